"""Latency of hybrid retrieval against its parts and the dense-only baseline (models warm).

    BRIEFBOT_HOME=... .venv/bin/python benchmarks/bench_retrieval.py [QA.jsonl] [--rounds 3]

Uses the index already built in BRIEFBOT_HOME (run `briefbot index ../shared/corpus`
first). For every question of the QA file (default ../shared/eval/dev_qa.jsonl) it
times: one query embedding, Chroma dense search alone (embedding included; what
LangChain's retriever does), and briefbot's full hybrid search (embedding, Chroma,
BM25, fusion, duplicate collapsing). Prints p50/p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.settings import load_settings  # noqa: E402


def _times(fn: Callable[[str], object], questions: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - started) * 1000.0)
    return out


def main() -> int:
    """Print p50/p95 per stage."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("qa", nargs="?", type=Path, default=REPO.parent / "shared" / "eval" / "dev_qa.jsonl")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from bot.retrieve import Retriever
    from indexing.embed import open_embedder
    from indexing.store import open_store

    settings = load_settings()
    embedder = open_embedder(settings)
    store = open_store(settings, embedder)
    if store.count() == 0:
        print(f"The index in {settings.home} is empty: run `briefbot index ../shared/corpus` first.")
        return 1
    retriever = Retriever(settings, store)
    rows = [json.loads(line) for line in args.qa.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [r["question"] for r in rows]
    retriever.search(questions[0], k=settings.top_k)  # warm: model, BM25, Chroma caches

    stages: list[tuple[str, Callable[[str], object]]] = [
        ("embed query only", embedder.embed_query),
        ("dense only (baseline)", lambda q: store.dense_search(q, settings.top_k)),
        ("hybrid search (briefbot)", lambda q: retriever.search(q, k=settings.top_k)),
    ]
    print(f"{len(questions)} questions x {args.rounds} rounds, k={settings.top_k}, {store.count()} chunks")
    print(f"{'stage':28} {'p50 ms':>8} {'p95 ms':>8}")
    for name, fn in stages:
        times = _times(fn, questions, args.rounds)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{name:28} {statistics.median(times):8.1f} {p95:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
