"""Cross-lingual retrieval with the default (English-only) embedding model, measured.

Questions: benchmarks/multilingual_qa.jsonl — dev questions translated by hand into
Dutch and German (with their English originals), plus English questions whose
answer is only in the Dutch sample report in corpus/. For each language the script
reports hit@1/5/10 and MRR of briefbot's hybrid retrieval, with the nl/de glossary
on (the default) and off, and for dense retrieval alone.

    .venv/bin/python benchmarks/bench_multilingual.py [--home DIR] [--shared ../shared/corpus]

The index (../shared/corpus + the Dutch sample) is built in --home (default: a
folder under /tmp) on first use and reused, incrementally, afterwards.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot import retrieve  # noqa: E402
from bot.evaluate import first_hit  # noqa: E402
from bot.retrieve import QueryPlan, Retriever  # noqa: E402
from core.settings import load_settings  # noqa: E402
from indexing.lexical import analyze  # noqa: E402

DUTCH_SAMPLE = REPO / "corpus" / "sample-2024-06-dreigingsbeeld-digitale-spionage-nl.md"


def english_only_plan(text: str) -> QueryPlan:
    """The query as is: no language detection, no glossing (the 'off' column)."""
    return QueryPlan(text=text, language="en", dense_text=text, terms=tuple(dict.fromkeys(analyze(text))))


def main() -> int:
    """Run the benchmark and print one table row per (question set, language, mode)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--home", type=Path, default=Path(tempfile.gettempdir()) / "briefbot-bench-multilingual"
    )
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--qa", type=Path, default=REPO / "benchmarks" / "multilingual_qa.jsonl")
    args = parser.parse_args()

    from indexing.embed import open_embedder
    from indexing.pipeline import index_paths
    from indexing.store import open_store

    settings = load_settings(home=args.home)
    embedder = open_embedder(settings)
    started = time.perf_counter()
    report = index_paths([args.shared, DUTCH_SAMPLE], settings, embedder=embedder)
    print(f"index: {report.added} added, {report.skipped} unchanged ({time.perf_counter() - started:.0f} s)")
    store = open_store(settings, embedder)
    retriever = Retriever(settings, store)
    items = [json.loads(line) for line in args.qa.read_text(encoding="utf-8").splitlines() if line.strip()]

    def dense_only(question: str) -> list[str]:
        return [p.text for p in store.dense_search(retrieve.plan_query(question).dense_text, 10)]

    def hybrid(question: str) -> list[str]:
        return [p.text for p in retriever.search(question, k=10)]

    original = retrieve.plan_query
    modes: list[tuple[str, Callable[[str], list[str]], Callable[[str], QueryPlan]]] = [
        ("hybrid + glossary", hybrid, retrieve.plan_query),
        ("hybrid, no glossary", hybrid, english_only_plan),
        ("dense + glossary", dense_only, original),
        ("dense only (MiniLM)", dense_only, english_only_plan),
    ]
    ranks: dict[tuple[str, str, str], list[int | None]] = defaultdict(list)
    try:
        for mode, search, plan in modes:
            retrieve.plan_query = plan  # type: ignore[assignment]
            for item in items:
                rank = first_hit(search(item["question"]), item["must_contain"])
                ranks[(item["set"], item["lang"], mode)].append(rank)
    finally:
        retrieve.plan_query = original  # type: ignore[assignment]

    head = ("question set", "lang", "mode", "n", "hit@1", "hit@5", "hit@10", "MRR")
    print("\n{:26} {:4} {:22} {:>3} {:>6} {:>6} {:>6} {:>6}".format(*head))
    for (qset, lang, mode), found in sorted(ranks.items()):
        n = len(found)
        hit = {k: sum(1 for r in found if r is not None and r <= k) / n for k in (1, 5, 10)}
        mrr = sum(1 / r for r in found if r) / n
        print(f"{qset:26} {lang:4} {mode:22} {n:3d} {hit[1]:6.2f} {hit[5]:6.2f} {hit[10]:6.2f} {mrr:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
