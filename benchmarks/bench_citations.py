"""Extractive answer quality and answering-stage latency on the dev set, retrieval held fixed.

For every question of the QA file the answerer runs exactly as ``briefbot ask`` does
(``bot.answer.answer_question`` with default settings, no LLM), but the retrieved passages
come from a cache: the first run retrieves with the real hybrid retriever and stores the
passages in ``--cache``; later runs reuse them, so changes to the answerer are compared on
identical evidence and no model needs loading. Corpus IDF is read from the index's BM25 files.

Reported over the answerable items that were answered:

- citation support: distinct cited passages containing a ``must_contain`` string (the
  ``briefbot eval`` definition, ``bot.evaluate.cited_texts`` / ``supports``);
- answer contains: answers whose text contains a ``must_contain`` string;
- any cited supports: answers citing at least one supporting passage;
- refusals (unanswerable refused / answerable refused) and the answering stage's
  p50/p95 (evidence + extractive answer + verification; ``Answer.timings['answer_ms']``).

    BRIEFBOT_HOME=/tmp/bb-cite .venv/bin/briefbot index ../shared/corpus    # once
    .venv/bin/python benchmarks/bench_citations.py --home /tmp/bb-cite [--rounds 3] [-v]
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"


def _pct(values: list[float], q: float) -> float:
    data = sorted(values)
    pos = (len(data) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


class CachedRetriever:
    """The real retriever's passages, cached per (query, k, filters) on disk."""

    def __init__(self, real: Any, cache: Path) -> None:
        self.real = real
        self.path = cache
        self.cache: dict[str, Any] = pickle.loads(cache.read_bytes()) if cache.is_file() else {}
        self.dirty = False

    def search(self, query: str, *, k: int, filters: Any = None) -> list[Any]:
        import copy

        key = repr((query, k, filters))
        if key not in self.cache:
            self.cache[key] = self.real.search(query, k=k, filters=filters)
            self.dirty = True
        return copy.deepcopy(self.cache[key])

    def lexical_index(self, count: int | None = None) -> Any:
        return self.real.lexical_index(count)

    def save(self) -> None:
        if self.dirty:
            self.path.write_bytes(pickle.dumps(self.cache))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, required=True, help="BRIEFBOT_HOME with an index of the corpus")
    parser.add_argument("--qa", type=Path, default=SHARED / "eval" / "dev_qa.jsonl")
    parser.add_argument("--cache", type=Path, help="passage cache (default: HOME/bench-citations.pkl)")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the questions (>= 1)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    from bot.answer import answer_question
    from bot.evaluate import cited_texts, load_qa, supports
    from bot.service import Briefbot
    from core.settings import load_settings

    settings = load_settings(home=args.home)
    bot = Briefbot(settings)
    retriever = CachedRetriever(bot.retriever, args.cache or args.home / "bench-citations.pkl")
    items = load_qa(args.qa)
    answers: dict[str, Any] = {}
    times: list[float] = []
    for _ in range(1 + args.rounds):  # the first pass fills caches and is not timed
        for item in items:
            answer = answer_question(item.question, retriever=retriever, settings=settings, llm=None)
            answers[item.id] = answer
            times.append(answer.timings["answer_ms"])
    times = times[len(items) :]
    retriever.save()

    cited = supporting = contains_ans = any_support = answered = 0
    unans_refused = ans_refused = n_unans = n_ans = 0
    for item in items:
        a = answers[item.id]
        if not item.answerable:
            n_unans += 1
            unans_refused += a.refused
            continue
        n_ans += 1
        if a.refused:
            ans_refused += 1
            continue
        answered += 1
        texts = cited_texts(a)
        ok = [supports(t, item.must_contain) for t in texts]
        cited += len(texts)
        supporting += sum(ok)
        any_support += any(ok)
        body_ok = supports(a.answer, item.must_contain)
        contains_ans += body_ok
        if args.verbose:
            print(f"--- {item.id} [{item.kind}] cited {sum(ok)}/{len(texts)} answer-has-it={body_ok}")
            print(f"Q: {item.question}\nmust: {list(item.must_contain)}\n{a.answer}\n")
    print(f"{len(items)} questions ({n_ans} answerable, {n_unans} unanswerable); index {args.home}")
    print(f"refused: unanswerable {unans_refused}/{n_unans}, answerable {ans_refused}/{n_ans}")
    print(f"citation support      {supporting}/{cited} = {supporting / max(cited, 1):.3f}")
    print(f"answer contains       {contains_ans}/{answered} = {contains_ans / max(answered, 1):.3f}")
    print(f"any cited supports    {any_support}/{answered} = {any_support / max(answered, 1):.3f}")
    print(f"citations per answer  {cited / max(answered, 1):.2f}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"answering stage (evidence+answer+verify) p50 {_pct(times, 0.5):.1f} ms, "
        f"p95 {_pct(times, 0.95):.1f} ms ({args.rounds} rounds, load average {load:.1f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
