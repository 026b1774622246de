"""Warm `ask` latency in extractive mode, next to plain dense retrieval as a baseline.

Loads the models once, asks every question of the QA file once to warm up, then times
``rounds`` more passes: the full ``Briefbot.ask`` (retrieval + evidence + extractive
answer + verification) and its parts, and, as a baseline, a bare dense top-k query
(embedding + Chroma) — what the LangChain tutorial pipeline does before any answering.

    .venv/bin/python benchmarks/bench_ask.py [--home DIR] [--qa FILE] [--rounds 3]

Target (issue 3): ask p50 < 150 ms with models warm on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"

from benchmarks._setup import indexed_bot  # noqa: E402

TARGET_MS = 150.0


def _pct(values: list[float], q: float) -> float:
    data = sorted(values)
    pos = (len(data) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, help="BRIEFBOT_HOME holding an index of the corpus.")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--qa", type=Path, default=SHARED / "eval" / "dev_qa.jsonl")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    bot, tmp = indexed_bot(args.home, args.corpus, prefix="briefbot-bench-ask-")
    settings = bot.settings
    questions = [
        json.loads(line)["question"]
        for line in args.qa.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for q in questions:  # warm up: model, BM25 index, caches
        bot.ask(q)
    total, retrieve, answer, dense = [], [], [], []
    for _ in range(args.rounds):
        for q in questions:
            t0 = time.perf_counter()
            result = bot.ask(q)
            total.append((time.perf_counter() - t0) * 1000)
            retrieve.append(result.timings["retrieve_ms"])
            answer.append(result.timings["answer_ms"])
            t0 = time.perf_counter()
            bot.store.dense_search(q, settings.top_k)
            dense.append((time.perf_counter() - t0) * 1000)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{len(questions)} questions x {args.rounds} rounds, warm; "
        f"load average {load:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'':<28} {'p50 ms':>8} {'p95 ms':>8}")
    for name, values in (
        ("ask (extractive, total)", total),
        ("  retrieval (hybrid)", retrieve),
        ("  evidence+answer+verify", answer),
        ("baseline: dense top-k only", dense),
    ):
        print(f"{name:<28} {_pct(values, 0.5):8.1f} {_pct(values, 0.95):8.1f}")
    p50 = _pct(total, 0.5)
    print(f"target p50 < {TARGET_MS:.0f} ms: {'met' if p50 < TARGET_MS else 'NOT met'} ({p50:.1f} ms)")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
