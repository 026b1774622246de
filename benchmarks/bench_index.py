"""Benchmark: briefbot's incremental indexer vs the LangChain-tutorial pipeline.

Usage: ``python benchmarks/bench_index.py [CORPUS]`` (default ``../shared/corpus``).

Runs, on a private copy of the corpus, in one process:

1. briefbot from scratch (model load included), then unchanged, then after a
   touch (mtime only), then after changing one file's content; plus the
   unchanged re-index as a fresh ``briefbot index`` process (startup included);
2. the tutorial baseline: our loader for fairness, RecursiveCharacterTextSplitter
   (1000/200), ``langchain_huggingface.HuggingFaceEmbeddings`` with the same
   bundled model, ``Chroma.from_documents`` into a temp folder. It has no
   incremental mode, so re-running it costs a full run.

Prints seconds and chunks/s for each, the ratios, and how many baseline chunks
exceed the model's token limit (silently truncated by the model).
Target: unchanged re-index < 2 s and < 5 % of the first run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.settings import load_settings  # noqa: E402
from indexing.embed import Embedder, open_embedder  # noqa: E402
from indexing.pipeline import IndexReport, index_paths  # noqa: E402

Row = tuple[str, float, float, int, str]  # label, wall s, CPU s, chunks embedded, note


def _row(label: str, seconds: float, cpu: float, chunks: int, note: str = "") -> str:
    rate = f"{chunks / seconds:6.1f}" if chunks and seconds > 0 else "     -"
    return f"{label:<42} {seconds:8.2f} s wall {cpu:8.2f} s cpu {chunks:5d} chunks {rate} chunks/s  {note}"


def _ours(corpus: Path, home: Path) -> list[Row]:
    settings = load_settings(home=home)
    rows: list[Row] = []

    def run(label: str, embedder: Embedder) -> IndexReport:
        started, cpu = time.perf_counter(), time.process_time()
        report = index_paths([corpus], settings, embedder=embedder)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        note = (
            f"added {report.added} updated {report.updated} skipped {report.skipped} "
            f"failed {len(report.failed)}, model loaded: {embedder.loaded}"
        )
        rows.append((label, seconds, cpu, report.chunks_embedded, note))
        return report

    first = run("briefbot: from scratch (incl. model load)", open_embedder(settings))
    if first.failed:
        print("failed files:", first.failed, file=sys.stderr)
    run("briefbot: unchanged re-index", open_embedder(settings))

    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(BRIEFBOT_HOME=str(home), HF_HUB_OFFLINE="1")
    code = f"from bot.cli import main; raise SystemExit(main(['index', {str(corpus)!r}, '--json']))"
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, cwd=home.parent)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    rows.append(
        (
            "briefbot: unchanged, fresh CLI process",
            time.perf_counter() - started,
            child_cpu,
            0,
            "startup incl.",
        )
    )

    target = sorted(p for p in corpus.glob("*.md") if p.name not in ("SOURCES.md", "README.md"))[0]
    os.utime(target, ns=(time.time_ns(), time.time_ns() + 10**9))
    run(f"briefbot: touch only ({target.name[:16]}…)", open_embedder(settings))
    text = target.read_text(encoding="utf-8")
    # a new paragraph inside the body (text after a copyright footer would be cleaned away)
    target.write_text(text.replace("\n## ", "\nOne more paragraph added by the benchmark.\n\n## ", 1))
    run("briefbot: one file's content changed", open_embedder(settings))
    return rows


def _baseline(corpus: Path, folder: Path) -> tuple[Row, int, int]:
    """The LangChain-tutorial pipeline's row, its chunks over the model limit, and the limit."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from core.errors import DocumentError
    from indexing.discover import walk
    from indexing.embed import resolve_model
    from indexing.prepare import prepare_file

    settings = load_settings(home=folder / "home")
    _, model_folder = resolve_model(settings.embedding_model)
    started, cpu = time.perf_counter(), time.process_time()
    docs = []
    for path in walk(corpus, settings.ignore_globs):
        try:
            loaded = prepare_file(path, settings, root=corpus)
        except DocumentError:
            continue
        docs.append(Document(page_content=loaded.text, metadata={"source": loaded.meta.source}))
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    embeddings = HuggingFaceEmbeddings(
        model_name=str(model_folder),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )
    Chroma.from_documents(
        chunks,
        embeddings,
        persist_directory=str(folder / "chroma"),
        collection_name="baseline",
        client_settings=ChromaSettings(anonymized_telemetry=False),
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    counter = open_embedder(settings)
    over = sum(1 for c in chunks if counter.count_tokens(c.page_content) > counter.max_tokens)
    row = ("baseline: LangChain tutorial, full run", seconds, cpu, len(chunks), "splitter 1000/200")
    return row, over, counter.max_tokens


def main() -> None:
    """Run both pipelines and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=REPO.parent / "shared" / "corpus")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus folder {args.corpus} not found")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    import sentence_transformers  # noqa: F401  (warm the import so neither side pays it alone)

    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        shutil.copytree(args.corpus, corpus)
        for path in corpus.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        print(f"corpus: {args.corpus} ({sum(1 for _ in corpus.rglob('*') if _.is_file())} files)")
        print(f"cpu threads: torch {__import__('torch').get_num_threads()}, os {os.cpu_count()}\n")
        ours = _ours(corpus, work / "home")
        base, over, limit = _baseline(args.corpus, work / "baseline")

    for row in [*ours, base]:
        print(_row(*row))
    print(_row("baseline: re-run (no incremental mode)", *base[1:4], "= a full run: re-embeds everything"))
    (_, first, first_cpu, _, _), (_, unchanged, _, _, _), (_, cli, _, _, _) = ours[:3]
    print()
    print(
        f"first run, briefbot / baseline:        {first / base[1]:6.2f}x wall {first_cpu / base[2]:5.2f}x cpu"
    )
    print(f"unchanged re-index / first run:        {unchanged / first:7.2%} (in process, {unchanged:.2f} s)")
    print(f"unchanged CLI process / first run:     {cli / first:7.2%} ({cli:.2f} s incl. python startup)")
    print(f"unchanged re-index / baseline re-run:  {unchanged / base[1]:7.2%}")
    met = "MET" if unchanged < 2 and unchanged / first < 0.05 and cli < 2 else "NOT MET"
    print(f"target: unchanged re-index < 2 s and < 5% of the first run: {met}")
    print(f"baseline chunks over the {limit}-token model limit (silently truncated): {over} of {base[3]}")


if __name__ == "__main__":
    main()
