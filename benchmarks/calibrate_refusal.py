"""Calibrate the refusal threshold on a QA file (default ../shared/eval/dev_qa.jsonl).

For every question it retrieves the passages exactly as `briefbot ask` does, computes
the evidence score (bot/evidence.py) and prints the distribution for answerable and
unanswerable items. The threshold chosen maximises refusal recall on unanswerable
items subject to refusing at most 5% of answerable ones; among equally good values it
takes the middle of the widest gap (the largest margin on both sides). It then runs the
full extractive answerer with that threshold and reports the refusals it really makes.

    .venv/bin/python benchmarks/calibrate_refusal.py [--home DIR] [--qa FILE] [--max-frr 0.05]

With no --home, the shared corpus is indexed into a temporary BRIEFBOT_HOME first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"


def _auc(pos: list[float], neg: list[float]) -> float:
    """P(answerable score > unanswerable score): how well one signal separates the two."""
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def choose_threshold(answerable: list[float], unanswerable: list[float], max_frr: float) -> tuple[float, float, float]:
    """(threshold, refusal recall, answerable refused) maximising recall with refused ≤ max_frr."""
    values = sorted(set(answerable) | set(unanswerable))
    cuts = [values[0] - 1e-6] + [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)] + [values[-1] + 1e-6]
    scored = []
    for t in cuts:
        frr = sum(s < t for s in answerable) / len(answerable)
        recall = sum(s < t for s in unanswerable) / len(unanswerable) if unanswerable else 0.0
        if frr <= max_frr:
            scored.append((recall, -frr, t))
    # Best recall first, then fewest answerable refused; among equal cuts, the middle of their range
    # (the widest margin on both sides).
    best_recall, best_frr = max((r, f) for r, f, _t in scored)
    ties = [t for r, f, t in scored if (r, f) == (best_recall, best_frr)]
    return (min(ties) + max(ties)) / 2, best_recall, -best_frr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="BRIEFBOT_HOME holding an index of the corpus.")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--qa", type=Path, default=SHARED / "eval" / "dev_qa.jsonl")
    parser.add_argument("--max-frr", type=float, default=0.05, help="Largest share of answerable items refused.")
    parser.add_argument("--no-answers", action="store_true", help="Skip the run of the full answerer.")
    parser.add_argument("-k", type=int, default=None, help="Passages per question (default: settings.top_k).")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    from bot.answer import answer_question
    from bot.evidence import DEFAULT_REFUSAL_THRESHOLD, assess_evidence, corpus_idf
    from bot.service import Briefbot
    from core.settings import load_settings
    from indexing.pipeline import index_paths

    tmp = None
    home = args.home
    if home is None:
        tmp = tempfile.TemporaryDirectory(prefix="briefbot-calibrate-")
        home = Path(tmp.name)
    settings = load_settings(home=home)
    bot = Briefbot(settings)
    if args.home is None:
        t0 = time.perf_counter()
        index_paths([args.corpus], settings, embedder=bot.embedder, store=bot.store)
        bot.refresh()
        print(f"indexed {args.corpus} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    items = [json.loads(line) for line in args.qa.read_text(encoding="utf-8").splitlines() if line.strip()]
    k = args.k or settings.top_k
    rows = []
    for item in items:
        passages = bot.retriever.search(item["question"], k=k)
        ev = assess_evidence(item["question"], passages, idf=corpus_idf(bot.retriever))
        rows.append((item, ev))

    print(f"{'id':<8} {'kind':<12} {'score':>6} {'dense':>6} {'lex':>6} {'ent':>6}  missing entities")
    for item, ev in sorted(rows, key=lambda r: r[1].score):
        missing = ", ".join(ev.missing_entities)
        print(
            f"{item['id']:<8} {item['kind']:<12} {ev.score:6.3f} {ev.dense:6.3f} {ev.lexical:6.3f} "
            f"{ev.entities:6.3f}  {missing}"
        )
    ans = [ev for item, ev in rows if item["kind"] != "unanswerable"]
    una = [ev for item, ev in rows if item["kind"] == "unanswerable"]
    print(f"\nanswerable: {len(ans)}   unanswerable: {len(una)}")
    for name in ("score", "dense", "lexical", "entities"):
        a = [getattr(e, name) for e in ans]
        u = [getattr(e, name) for e in una]
        print(
            f"  {name:<9} answerable min {min(a):.3f} p05 {sorted(a)[max(0, len(a) // 20 - 1)]:.3f} "
            f"median {statistics.median(a):.3f} | unanswerable max {max(u) if u else float('nan'):.3f} "
            f"median {statistics.median(u) if u else float('nan'):.3f} | AUC {_auc(a, u):.3f}"
        )
    threshold, recall, frr = choose_threshold([e.score for e in ans], [e.score for e in una], args.max_frr)
    print(
        f"\nchosen threshold {threshold:.3f}: refusal recall {recall:.2f}, answerable refused {frr:.1%} "
        f"(default in bot/evidence.py: {DEFAULT_REFUSAL_THRESHOLD})"
    )

    if args.no_answers:
        return 0
    # The full answerer with the default threshold: it may also refuse when no sentence fits.
    refused_ans = refused_una = 0
    for item, _ev in rows:
        answer = answer_question(item["question"], retriever=bot.retriever, settings=settings, llm=None, k=k)
        if item["kind"] == "unanswerable":
            refused_una += answer.refused
        else:
            refused_ans += answer.refused
            if answer.refused:
                print(f"  answerable item refused: {item['id']} {item['question']}")
    print(
        f"extractive answerer at {DEFAULT_REFUSAL_THRESHOLD}: refusal recall {refused_una}/{len(una)}, "
        f"answerable refused {refused_ans}/{len(ans)} ({refused_ans / len(ans):.1%})"
    )
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
