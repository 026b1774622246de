"""The one facade the CLI and the Slack app call.

``Briefbot(settings)`` opens the embedder, store, retriever and LLM lazily and
once, so a long-running process (Slack bot, `briefbot chat`, `--batch`) pays for
model loading a single time. It imports neither slack_bolt nor the CLI framework.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.settings import Settings
from core.types import Passage, SearchFilters

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from bot.results import Answer, Summary
    from bot.retrieve import Retriever
    from indexing.embed import Embedder
    from indexing.pipeline import IndexReport
    from indexing.store import IndexStatus, Store


class Briefbot:
    """Answers, searches, summaries and re-indexing over one configured index."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        llm: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._llm = llm
        self._llm_set = llm is not None
        self._lock = threading.RLock()

    # --- lazily opened parts -------------------------------------------------
    @cached_property
    def embedder(self) -> Embedder:
        """The embedding model wrapper (the model itself loads on first use)."""
        if self._embedder is not None:
            return self._embedder
        from indexing.embed import open_embedder

        return open_embedder(self.settings)

    @cached_property
    def store(self) -> Store:
        """The vector store, opened for reading: a question never creates an index."""
        from indexing.store import open_store

        return open_store(self.settings, self.embedder, read_only=True)

    @cached_property
    def retriever(self) -> Retriever:
        """Hybrid retriever over the store and the BM25 index."""
        from bot.retrieve import Retriever

        return Retriever(self.settings, self.store)

    @property
    def llm(self) -> BaseChatModel | None:
        """The configured chat model, or None for the offline extractive default."""
        with self._lock:
            if not self._llm_set:
                from bot.llm import open_chat_model

                self._llm = open_chat_model(self.settings)
                self._llm_set = True
            return self._llm

    def refresh(self) -> None:
        """Forget cached retrieval state after the index changed (BM25 is reloaded)."""
        with self._lock:
            self.__dict__.pop("retriever", None)

    # --- read path -------------------------------------------------------------
    def search(
        self, query: str, *, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[Passage]:
        """Top passages for a query (hybrid)."""
        return self.retriever.search(query, k=k or self.settings.top_k, filters=filters)

    def ask(
        self,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        filters: SearchFilters | None = None,
        k: int | None = None,
    ) -> Answer:
        """A verified, cited answer; ``history`` is earlier (question, answer) turns."""
        from bot.answer import answer_question

        return answer_question(
            question,
            retriever=self.retriever,
            settings=self.settings,
            llm=self.llm,
            history=history,
            filters=filters,
            k=k,
        )

    def summarize(
        self,
        source: str,
        *,
        indexed: bool = False,
        length: str = "medium",
        words: int | None = None,
        focus: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Summary:
        """A cited summary of a file, URL, '-' (stdin) or, with ``indexed``, an indexed document."""
        from bot.summarize import summarize_source

        return summarize_source(
            source,
            service=self,
            indexed=indexed,
            length=length,
            words=words,
            focus=focus,
            progress=progress,
        )

    def digest(self, *, since: datetime | None = None, new: bool = False) -> list[Summary]:
        """Short summaries of reports indexed since a time, or since the last digest."""
        from bot.digest import digest

        return digest(self, since=since, new=new)

    # --- write path and status -------------------------------------------------
    def status(self) -> IndexStatus:
        """Documents, chunks, last indexed, model, store location."""
        from core.errors import EmptyIndexError
        from indexing.store import IndexStatus, index_status

        try:
            store = self.store
        except EmptyIndexError:
            where = (
                f"{self.settings.chroma_host}:{self.settings.chroma_port}"
                if self.settings.chroma_host
                else str(self.settings.chroma_path)
            )
            return IndexStatus(0, 0, None, self.embedder.model_id, where, self.settings.collection)
        return index_status(self.settings, store)

    def reindex(self, paths: Sequence[Path] | None = None, **options: Any) -> IndexReport:
        """Incrementally re-index ``paths`` (default: the corpus folder)."""
        from indexing.pipeline import index_paths

        with self._lock:
            report = index_paths(
                list(paths or [self.settings.corpus_dir]),
                self.settings,
                embedder=self.embedder,
                store=self.__dict__.get("store"),  # the pipeline opens (and creates) one if needed
                **options,
            )
            self.refresh()
        return report
