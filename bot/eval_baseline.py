"""The LangChain-tutorial RAG baseline that `briefbot eval` compares against.

As in the LangChain RAG tutorial: the same loaded and cleaned documents, split
with ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``,
embedded with the same model (our :class:`~indexing.embed.Embedder`), stored with
``Chroma.from_documents`` in a temporary folder, and searched by dense
similarity only (top k). It never refuses; its "sources" are the top
``settings.top_k`` passages it would stuff into the prompt, and its latency is
that of retrieval alone (the tutorial would add an LLM call).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.evaluate import ItemResult, QAItem, SystemReport, score_retrieval, summarize_results, supports
from core.errors import BriefbotError, InputError
from core.settings import Settings

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from indexing.embed import Embedder

log = logging.getLogger(__name__)

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200


def baseline_documents(corpus: Path, settings: Settings) -> list[Document]:
    """The corpus loaded and cleaned as briefbot does it, split as in the tutorial."""
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from indexing.discover import walk
    from indexing.prepare import prepare_file

    if not corpus.exists():
        raise InputError(
            f"Corpus folder {corpus} does not exist.", hint="Pass --corpus PATH (or --no-baseline)."
        )
    root = corpus if corpus.is_dir() else corpus.parent
    paths = walk(corpus, settings.ignore_globs) if corpus.is_dir() else [corpus]
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    docs: list[Document] = []
    for path in paths:
        try:
            loaded = prepare_file(path, settings, root=root)
        except BriefbotError as exc:  # the same files fail for briefbot; skip them here too
            log.warning("baseline: skipping %s (%s)", path, exc)
            continue
        meta = {"source": loaded.meta.source, "title": loaded.meta.title}
        docs.extend(splitter.split_documents([Document(page_content=loaded.text, metadata=meta)]))
    if not docs:
        raise InputError(f"No documents to index under {corpus}.", hint="Pass --corpus PATH.")
    return docs


def evaluate_baseline(
    items: Sequence[QAItem],
    *,
    corpus: Path,
    settings: Settings,
    embedder: Embedder,
    depth: int = 10,
    progress: Callable[[str], None] | None = None,
) -> SystemReport:
    """Build the tutorial index in a temporary folder and score it on ``items``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    docs = baseline_documents(corpus, settings)
    if progress:
        progress(f"baseline: embedding {len(docs)} chunks of {CHUNK_SIZE} characters")
    with tempfile.TemporaryDirectory(prefix="briefbot-baseline-") as tmp:
        client = chromadb.PersistentClient(path=tmp, settings=ChromaSettings(anonymized_telemetry=False))
        store = Chroma.from_documents(docs, embedding=embedder, client=client, collection_name="baseline")
        cache: dict[str, tuple[list[str], float]] = {}

        def search(question: str) -> list[str]:
            started = time.perf_counter()
            found = [d.page_content for d in store.similarity_search(question, k=depth)]
            cache[question] = (found, (time.perf_counter() - started) * 1000.0)
            return found

        store.similarity_search(items[0].question, k=1)  # warm
        by_id = {r.id: r for r in score_retrieval(items, search, depth)}
        results: list[ItemResult] = []
        for item in items:
            res = by_id.get(item.id) or ItemResult(item.id, item.kind)
            if item.question not in cache:
                search(item.question)
            texts, res.ms = cache[item.question]
            res.refused = False  # the tutorial chain always answers
            if item.answerable:
                sources = texts[: settings.top_k]
                res.cited = len(sources)
                res.cited_supporting = sum(1 for t in sources if supports(t, item.must_contain))
            results.append(res)
    report = summarize_results("baseline", results)
    report.metrics["chunks"] = len(docs)
    return report
