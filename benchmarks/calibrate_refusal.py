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
import itertools
import json
import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"

from benchmarks._setup import indexed_bot  # noqa: E402


def _auc(pos: list[float], neg: list[float]) -> float:
    """P(answerable score > unanswerable score): how well one signal separates the two."""
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def choose_threshold(
    answerable: list[float], unanswerable: list[float], max_frr: float
) -> tuple[float, float, float]:
    """(threshold, refusal recall, answerable refused) maximising recall with refused ≤ max_frr."""
    values = sorted(set(answerable) | set(unanswerable))
    cuts = [values[0] - 1e-6] + [(a + b) / 2 for a, b in itertools.pairwise(values)] + [values[-1] + 1e-6]
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


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, help="BRIEFBOT_HOME holding an index of the corpus.")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--qa", type=Path, default=SHARED / "eval" / "dev_qa.jsonl")
    parser.add_argument(
        "--extra",
        type=str,
        default=str(REPO / "benchmarks" / "refusal_extra.jsonl"),
        help="Extra unanswerable questions (off-topic, absent names) for choosing the weights; '' = none.",
    )
    parser.add_argument(
        "--max-frr", type=float, default=0.05, help="Largest share of answerable items refused."
    )
    parser.add_argument("--no-answers", action="store_true", help="Skip the run of the full answerer.")
    parser.add_argument("-k", type=int, default=None, help="Passages per question (default: settings.top_k).")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    from bot.answer import answer_question
    from bot.evidence import DEFAULT_REFUSAL_THRESHOLD, WEIGHTS, assess_evidence, combine, corpus_idf

    bot, tmp = indexed_bot(args.home, args.corpus, prefix="briefbot-calibrate-")
    settings = bot.settings
    dev = _load(args.qa)
    extra = _load(Path(args.extra)) if args.extra else []
    k = args.k or settings.top_k
    rows = []
    for item in dev + extra:
        passages = bot.retriever.search(item["question"], k=k)
        ev = assess_evidence(item["question"], passages, idf=corpus_idf(bot.retriever))
        rows.append((item, ev, item in extra))

    print(f"{'id':<9} {'kind':<12} {'score':>6} {'dense':>6} {'lex':>6} {'ent':>6}  missing entities")
    for item, ev, _x in sorted(rows, key=lambda r: r[1].score):
        print(
            f"{item['id']:<9} {item['kind']:<12} {ev.score:6.3f} {ev.dense:6.3f} {ev.lexical:6.3f} "
            f"{ev.entities:6.3f}  {', '.join(ev.missing_entities)}"
        )
    ans = [ev for item, ev, x in rows if item["kind"] != "unanswerable"]
    una = [ev for item, ev, x in rows if item["kind"] == "unanswerable" and not x]
    ext = [ev for item, ev, x in rows if x]
    print(f"\nanswerable: {len(ans)}   unanswerable (dev): {len(una)}   unanswerable (extra): {len(ext)}")
    for name in ("score", "dense", "lexical", "entities"):
        a = [getattr(e, name) for e in ans]
        u = [getattr(e, name) for e in una]
        x = [getattr(e, name) for e in ext]
        print(
            f"  {name:<9} answerable min {min(a):.3f} p05 {sorted(a)[max(0, len(a) // 20 - 1)]:.3f} "
            f"median {statistics.median(a):.3f} | dev unanswerable max {max(u) if u else float('nan'):.3f} "
            f"AUC {_auc(a, u):.3f} | extra AUC {_auc(a, x):.3f}"
        )

    # Weights: a small grid of exponents, scored on dev answerable vs all unanswerable questions.
    grid = []
    for wd in (0.5, 1.0, 2.0):
        for wl in (0.5, 1.0, 2.0):
            for we in (0.5, 1.0, 2.0):
                w = {"dense": wd, "lexical": wl, "entities": we}
                a = [combine(e.dense, e.lexical, e.entities, w) for e in ans]
                u = [combine(e.dense, e.lexical, e.entities, w) for e in una + ext]
                t, recall, frr = choose_threshold(a, u, args.max_frr)
                accepted = [s for s in a if s >= t]
                refused = [s for s in u if s < t]
                margin = (min(accepted) - max(refused)) if accepted and refused else 0.0
                neutral = abs(wd - 1) + abs(wl - 1) + abs(we - 1)
                grid.append((recall, -frr, margin, -neutral, w, t))
    # Best refusal recall, then fewest answerable refused; then, among weights whose margin between
    # accepted and refused scores is within 10% of the widest, the ones closest to equal weights.
    top = max(g[:2] for g in grid)
    feasible = [g for g in grid if g[:2] == top]
    widest = max(g[2] for g in feasible)
    grid = sorted(feasible, key=lambda g: (g[2] >= 0.9 * widest, g[3], g[2]), reverse=True) + sorted(
        [g for g in grid if g[:2] != top], key=lambda g: g[:4], reverse=True
    )
    print(
        "\nweights (dense, lexical, entities)  threshold  recall (all unanswerable)  "
        "answerable refused  margin"
    )
    for recall, nfrr, margin, _n, w, t in grid[:8]:
        print(
            f"  {w['dense']:>4} {w['lexical']:>4} {w['entities']:>4}          {t:.3f}      {recall:.2f}"
            f"                      {-nfrr:.1%}             {margin:.3f}"
        )
    recall, nfrr, margin, _n, w, t = grid[0]
    print(
        f"chosen weights {w}, threshold {t:.3f} (in bot/evidence.py: {WEIGHTS}, {DEFAULT_REFUSAL_THRESHOLD})"
    )
    dev_scores = [combine(e.dense, e.lexical, e.entities, w) for e in una]
    ext_scores = [combine(e.dense, e.lexical, e.entities, w) for e in ext]
    ans_scores = [combine(e.dense, e.lexical, e.entities, w) for e in ans]
    print(
        f"  dev: refusal recall {sum(s < t for s in dev_scores)}/{len(dev_scores)}, "
        f"answerable refused {sum(s < t for s in ans_scores)}/{len(ans_scores)}; "
        f"extra: refused {sum(s < t for s in ext_scores)}/{len(ext_scores)}"
    )
    if args.no_answers:
        return 0
    # The full answerer with the defaults in code: it may also refuse when no sentence fits.
    refused_ans = refused_una = refused_ext = 0
    for item, _ev, is_extra in rows:
        answer = answer_question(item["question"], retriever=bot.retriever, settings=settings, llm=None, k=k)
        if is_extra:
            refused_ext += answer.refused
        elif item["kind"] == "unanswerable":
            refused_una += answer.refused
        else:
            refused_ans += answer.refused
            if answer.refused:
                print(f"  answerable item refused: {item['id']} {item['question']}")
    print(
        f"extractive answerer with the defaults in code: dev refusal recall {refused_una}/{len(una)}, "
        f"answerable refused {refused_ans}/{len(ans)} ({refused_ans / len(ans):.1%}), "
        f"extra refused {refused_ext}/{len(ext)}"
    )
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
