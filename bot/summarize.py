"""Cited summaries of one document: a file, a URL, stdin or an indexed report.

Loading and cleaning go through the indexing pipeline (:mod:`indexing.prepare`),
so page boilerplate never reaches a summary. Two methods:

- **extractive** (offline default, and the fallback when the LLM fails): the
  sentences that best balance centrality and coverage, selected in bounded
  memory (:mod:`bot.summarize_extractive`), each quoted verbatim with its page
  or section;
- **LLM**: map-reduce within the context budget with citations carried as
  sentence ids (:mod:`bot.summarize_llm`), then verified
  (:mod:`bot.summarize_verify`).

Public entry points: :func:`summarize_source` (what ``Briefbot.summarize`` calls),
:func:`summarize_document` and :func:`summarize_indexed` (the Slack notice).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bot.results import RemovedCitation, Summary, SummaryPoint
from bot.summarize_extractive import select_sentences
from bot.summarize_units import Target, Unit, is_paged, iter_units, target_for
from bot.summarize_verify import citation_for
from core.errors import BriefbotError, DocumentError, InputError, LLMError
from core.types import LoadedDocument

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from bot.service import Briefbot
    from core.settings import Settings
    from indexing.embed import Embedder

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]
_URL = re.compile(r"^https?://", re.IGNORECASE)


# --- loading ----------------------------------------------------------------------------------------------


def read_stdin() -> bytes:
    """All of stdin as bytes; raises InputError when it is empty."""
    stream = getattr(sys.stdin, "buffer", None)
    data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
    if not data.strip():
        raise InputError(
            "stdin is empty: nothing to summarize.",
            hint="Pipe a document in, e.g. `cat report.md | briefbot summarize -`.",
        )
    return data


def load_document(source: str, service: Briefbot, *, indexed: bool = False) -> LoadedDocument:
    """The cleaned document for ``source``: a file path, a URL, ``-`` (stdin) or an indexed source.

    A path that does not exist is looked up in the index before giving up.
    Raises DocumentError/FetchError/InputError with a one-line reason.
    """
    from bot.summarize_indexed import find_indexed_source, load_indexed
    from indexing.prepare import prepare_bytes, prepare_file, prepare_url

    settings = service.settings
    source = source.strip()
    if not source:
        raise InputError("No document given.", hint="Give a file, a URL, '-' for stdin, or --doc SOURCE.")
    if indexed:
        return load_indexed(service, source)
    if source == "-":
        return prepare_bytes(read_stdin(), "stdin", settings)
    if _URL.match(source):
        return prepare_url(source, settings)
    path = Path(source).expanduser()
    if path.exists():
        return prepare_file(path, settings)
    if settings.chroma_host or settings.chroma_path.exists():
        try:
            return load_indexed(service, find_indexed_source(service, source))
        except BriefbotError as exc:  # not (uniquely) in the index, or no index to ask: the path is wrong
            log.debug("%s is not an indexed document either: %s", source, exc)
    raise DocumentError(
        source,
        "file not found",
        hint="Give a file, a URL, '-' for stdin, or --doc SOURCE for a document in the index.",
    )


# --- summarizing --------------------------------------------------------------------------------------------


def _embed_fn(embedder: Embedder) -> Callable[[list[str]], npt.NDArray[np.float32]]:
    def embed(texts: list[str]) -> npt.NDArray[np.float32]:
        return np.asarray(embedder.embed_documents(texts), dtype=np.float32)

    return embed


def _summary(doc: LoadedDocument, method: str) -> Summary:
    m = doc.meta
    return Summary(
        title=m.title or Path(m.source).name or m.source,
        source=m.source,
        publisher=m.publisher,
        published=m.published,
        url=m.url,
        method=method,
    )


def _points_from_units(units: list[Unit], doc: LoadedDocument) -> list[SummaryPoint]:
    paged = is_paged(doc)
    return [SummaryPoint(u.text, [citation_for(u, paged=paged, title=doc.meta.title)]) for u in units]


def summarize_extractive(
    doc: LoadedDocument,
    embedder: Embedder,
    target: Target,
    *,
    focus: str | None = None,
    progress: ProgressFn | None = None,
) -> Summary:
    """Extractive summary: selected sentences in reading order, each cited and quoted verbatim."""
    total = len(doc.pages)
    on_page = (lambda n: progress(n, total)) if progress is not None else None
    focus_vec = np.asarray(embedder.embed_query(focus), dtype=np.float32) if focus else None
    embed = _embed_fn(embedder)
    units = iter_units(iter(doc.pages), title=doc.meta.title, on_page=on_page)
    chosen = select_sentences(units, embed, target, focus=focus_vec)
    summary = _summary(doc, "extractive")
    if not chosen:
        # Short or list-like texts: fall back to any sentence with a few words.
        relaxed = (
            u
            for u in iter_units(iter(doc.pages), title=doc.meta.title, keep_junk=True)
            if len(u.text.split()) >= 3
        )
        chosen = select_sentences(relaxed, embed, target, focus=focus_vec)
        if chosen:
            summary.notes.append("The document has few full sentences; the summary quotes short lines.")
    if not chosen:
        summary.notes.append("No sentence in the document could be quoted; nothing to summarize.")
    summary.points = _points_from_units(chosen, doc)
    return summary


def summarize_with_llm(
    doc: LoadedDocument,
    llm: BaseChatModel,
    settings: Settings,
    embedder: Embedder,
    target: Target,
    *,
    focus: str | None = None,
    progress: ProgressFn | None = None,
) -> Summary:
    """LLM map-reduce summary with verified citations. Raises LLMError when the model fails."""
    from bot.llm import llm_label
    from bot.summarize_llm import MapReduce, budget_for
    from bot.summarize_verify import Scopes, verify_points

    paged = is_paged(doc)
    run = MapReduce(
        llm,
        budget_for(settings, embedder.count_tokens),
        title=doc.meta.title or doc.meta.source,
        paged=paged,
        target=target,
        focus=focus,
        progress=progress,
    )
    units = list(iter_units(iter(doc.pages), title=doc.meta.title))
    if not units:
        raise LLMError("The document has no full sentences to give the LLM.")
    points = run.run(units)
    configured = bool(settings.llm or settings.llm_base_url)
    label = llm_label(settings) if configured else str(getattr(llm, "model_name", "") or type(llm).__name__)
    summary = _summary(doc, f"llm:{label}")
    summary.removed = list(run.removed)
    summary.points = verify_points(
        points,
        run.units,
        Scopes(doc, paged=paged),
        title=doc.meta.title,
        removed=summary.removed,
        notes=summary.notes,
    )
    return summary


def summarize_document(
    doc: LoadedDocument,
    *,
    settings: Settings,
    embedder: Embedder,
    llm: BaseChatModel | None = None,
    target: Target | None = None,
    focus: str | None = None,
    progress: ProgressFn | None = None,
) -> Summary:
    """A cited summary of a loaded document: LLM when one is given, else extractive.

    An LLM that fails, or whose points all fail verification, gives way to the
    extractive summary with a note saying so.
    """
    target = target or target_for()
    focus = focus.strip() if focus and focus.strip() else None
    if llm is None:
        return summarize_extractive(doc, embedder, target, focus=focus, progress=progress)
    removed: list[RemovedCitation] = []
    try:
        summary = summarize_with_llm(doc, llm, settings, embedder, target, focus=focus, progress=progress)
        if summary.points:
            return summary
        removed = summary.removed
        note = "The LLM summary had no point that passed verification; extractive summary shown."
    except LLMError as exc:
        log.warning("LLM summary failed for %s: %s", doc.meta.source, exc)
        note = f"{exc.message.rstrip('.')}; extractive summary shown."
    summary = summarize_extractive(doc, embedder, target, focus=focus, progress=progress)
    summary.removed = removed
    summary.notes.insert(0, note)
    return summary


def summarize_source(
    source: str,
    *,
    service: Briefbot,
    indexed: bool = False,
    length: str = "medium",
    words: int | None = None,
    focus: str | None = None,
    progress: ProgressFn | None = None,
) -> Summary:
    """A cited summary of a file, URL, ``-`` (stdin) or, with ``indexed``, an indexed document."""
    target = target_for(length, words)
    doc = load_document(source, service, indexed=indexed)
    return summarize_document(
        doc,
        settings=service.settings,
        embedder=service.embedder,
        llm=service.llm,
        target=target,
        focus=focus,
        progress=progress,
    )


def summarize_indexed(service: Briefbot, source: str, points: int = 3) -> Summary:
    """A short cited summary of an indexed document (the Slack new-report notice uses it)."""
    from bot.summarize_indexed import load_indexed

    doc = load_indexed(service, source)
    target = Target(points=points, words=max(30, 30 * points))
    return summarize_document(
        doc, settings=service.settings, embedder=service.embedder, llm=service.llm, target=target
    )
