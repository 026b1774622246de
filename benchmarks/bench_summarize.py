"""Benchmark: extractive summaries of generated 10-, 100- and 1000-page PDFs.

For each size, a fresh child process (so peak RSS is that run's own) loads the
bundled embedding model, then:

A. loads the PDF through the indexing pipeline and summarizes it (extractive,
   medium): wall-clock seconds, seconds per 100 pages, peak RSS and its growth
   over the process after model warm-up;
B. repeats A under tracemalloc: peak Python/numpy memory while loading, the
   loaded document's own size, and the summarizer's peak above it;
C. the same selection with fake 384-d vectors (no model) two ways: this
   streaming selector, and a naive baseline that embeds every sentence and runs
   MMR over all of them. Same vectors, so the memory difference is the design.

Memory should stay flat for the summarizer as the page count grows 10x and
100x; the naive baseline grows with the document. Usage:

    .venv/bin/python benchmarks/bench_summarize.py [--pages 10,100,1000] [--sentences 8]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _naive_peak(doc: Any, embed: Any, target: Any) -> float:
    """Peak MB of the non-streaming baseline: every sentence embedded and kept, MMR over all."""
    import numpy as np

    from bot.summarize_extractive import Candidate, mmr, relevance
    from bot.summarize_units import iter_units

    tracemalloc.start()
    tracemalloc.reset_peak()
    units = list(iter_units(doc.pages, title=doc.meta.title))
    vecs = np.asarray(embed([u.text for u in units]), dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    cands = [Candidate(u, v) for u, v in zip(units, vecs, strict=True)]
    centroid = vecs.sum(axis=0)
    mmr(cands, relevance(vecs, centroid / np.linalg.norm(centroid), None), target.points)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def child(pdf: Path, pages: int) -> dict[str, Any]:
    """One measured run in this (fresh) process."""
    import numpy as np
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from bot.summarize import summarize_document
    from bot.summarize_extractive import select_sentences
    from bot.summarize_units import iter_units, target_for
    from core.settings import load_settings
    from indexing.embed import open_embedder
    from indexing.prepare import prepare_file

    home = Path(tempfile.mkdtemp(prefix="bench-summarize-"))
    settings = load_settings(home=home)
    embedder = open_embedder(settings)
    embedder.embed_documents(["Warm-up sentence for the embedding model."] * 8)
    target = target_for("medium")
    rss_base, maxrss_base = _rss_mb(), _maxrss_mb()

    # A: time and RSS
    t0 = time.perf_counter()
    doc = prepare_file(pdf, settings)
    t1 = time.perf_counter()
    summary = summarize_document(doc, settings=settings, embedder=embedder, target=target)
    t2 = time.perf_counter()
    maxrss = _maxrss_mb()
    sentences = sum(1 for _ in iter_units(doc.pages, title=doc.meta.title))
    del doc

    # B: tracemalloc with the real model
    tracemalloc.start()
    doc = prepare_file(pdf, settings)
    held, load_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    summarize_document(doc, settings=settings, embedder=embedder, target=target)
    _, run_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # C: streaming vs naive with the same fake vectors
    fake = DeterministicFakeEmbedding(size=384)

    def embed(texts: list[str]) -> Any:
        return np.asarray(fake.embed_documents(texts), dtype=np.float32)

    t3 = time.perf_counter()
    select_sentences(iter_units(doc.pages, title=doc.meta.title), embed, target)
    t4 = time.perf_counter()
    tracemalloc.start()
    tracemalloc.reset_peak()
    select_sentences(iter_units(doc.pages, title=doc.meta.title), embed, target)
    _, stream_fake = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    naive_fake = _naive_peak(doc, embed, target)

    return {
        "pages": pages,
        "sentences": sentences,
        "points": len(summary.points),
        "load_s": t1 - t0,
        "summarize_s": t2 - t1,
        "s_per_100_pages": (t2 - t0) / pages * 100,
        "no_model_s_per_100_pages": (t4 - t3) / pages * 100,
        "trace_load_peak_mb": load_peak / 2**20,
        "trace_doc_mb": held / 2**20,
        "trace_summarize_peak_mb": max(run_peak - held, 0) / 2**20,
        "rss_base_mb": rss_base,
        "rss_peak_growth_mb": max(maxrss - maxrss_base, 0.0),
        "rss_peak_mb": maxrss,
        "stream_fake_mb": stream_fake / 2**20,
        "naive_fake_mb": naive_fake,
    }


def main() -> None:
    """Generate the PDFs, run one child per size, print the table and the ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", default="10,100,1000")
    parser.add_argument("--sentences", type=int, default=8, help="sentences per generated page")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-pages", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.child_pages)))
        return

    from tests.test_summarize_memory import write_report_pdf

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sizes = [int(p) for p in args.pages.split(",")]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-summarize-") as tmp:
        for n in sizes:
            pdf = write_report_pdf(Path(tmp) / f"report-{n}.pdf", n, sentences=args.sentences)
            print(
                f"running {n} pages ({pdf.stat().st_size / 2**20:.1f} MB PDF) ...",
                file=sys.stderr,
                flush=True,
            )
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(pdf), "--child-pages", str(n)],
                check=True,
                capture_output=True,
                text=True,
                cwd=REPO,
            ).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))

    print(
        f"extractive summaries of generated PDFs ({args.sentences} sentences/page), "
        f"CPU: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    head = (
        f"{'pages':>6} {'sents':>6} {'load s':>7} {'summ s':>7} {'s/100p':>7} {'-model':>7} "
        f"{'tm load':>8} {'tm doc':>7} {'tm summ':>8} {'RSS pk':>7} {'RSS +':>6} {'stream':>7} {'naive':>7}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['pages']:>6} {r['sentences']:>6} {r['load_s']:>7.2f} {r['summarize_s']:>7.2f} "
            f"{r['s_per_100_pages']:>7.2f} {r['no_model_s_per_100_pages']:>7.3f} "
            f"{r['trace_load_peak_mb']:>8.2f} {r['trace_doc_mb']:>7.2f} "
            f"{r['trace_summarize_peak_mb']:>8.2f} {r['rss_peak_mb']:>7.0f} {r['rss_peak_growth_mb']:>6.0f} "
            f"{r['stream_fake_mb']:>7.2f} {r['naive_fake_mb']:>7.2f}"
        )
    print(
        "s/100p = load + summarize per 100 pages; -model = the same selection with fake vectors "
        "(everything but the embedding model). MB columns: tm = tracemalloc peak "
        "(load = loading the PDF, doc = the loaded document held, "
        "summ = summarizer above the document); RSS pk = peak RSS of the run's process, RSS + = its growth "
        "after model warm-up; stream/naive = selection peak with the same fake vectors, streaming vs "
        "embed-everything baseline."
    )
    for a, b in itertools.pairwise(rows):
        x = b["pages"] / a["pages"]
        print(
            f"{a['pages']} -> {b['pages']} pages (x{x:g}): "
            f"summarizer peak x{_ratio(b, a, 'trace_summarize_peak_mb')}, "
            f"streaming (fake) x{_ratio(b, a, 'stream_fake_mb')}, "
            f"naive (fake) x{_ratio(b, a, 'naive_fake_mb')}, "
            f"RSS peak x{_ratio(b, a, 'rss_peak_mb')}, s/100 pages x{_ratio(b, a, 's_per_100_pages')}"
        )


def _ratio(b: dict[str, Any], a: dict[str, Any], key: str) -> str:
    return f"{b[key] / a[key]:.2f}" if a[key] else "n/a"


if __name__ == "__main__":
    main()
