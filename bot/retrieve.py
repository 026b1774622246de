"""Hybrid retrieval: dense (Chroma) + BM25 (bm25s), fused, deduplicated, optionally reranked.

``Retriever(settings, store).search(query, k=5, filters=...)`` returns ranked
:class:`~core.types.Passage` objects. Each carries ``score`` (the fused score)
and ``extra`` with the evidence behind it: ``dense`` (cosine similarity),
``bm25``, ``dense_rank`` and ``bm25_rank`` (1-based over all candidates, None
when that retriever gave it nothing), plus ``rerank`` when a cross-encoder ran.

Dutch and German questions are glossed into English keywords
(:mod:`indexing.lexical`) before embedding and BM25, because the default
embedding model only understands English; see docs/RETRIEVAL.md for the numbers.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.filters import parse_inline_filters
from bot.fusion import Candidate, collapse_duplicates, fuse, token_set
from core.errors import EmptyIndexError, InputError
from core.settings import Settings
from core.types import Passage, SearchFilters
from indexing.bm25 import Bm25Index, build_index, current_version
from indexing.lexical import STOP_DE, STOP_EN, STOP_NL, analyze, gloss, guess_language
from indexing.records import record_to_passage, where_from_filters

if TYPE_CHECKING:
    from indexing.store import Store

log = logging.getLogger(__name__)

RERANK_POOL = 20  # passages handed to the cross-encoder (at least k)
# Embedding model names that compare texts across languages; others are treated as English-only,
# so their similarity to a non-English passage is not used in fusion (docs/RETRIEVAL.md).
MULTILINGUAL_MARKERS = ("multilingual", "labse", "xlm", "bge-m3", "mul-")


def is_multilingual_model(model_id: str) -> bool:
    """True when the embedding model is known to compare texts across languages."""
    name = model_id.lower()
    return any(marker in name for marker in MULTILINGUAL_MARKERS)


@dataclass(frozen=True)
class QueryPlan:
    """How one query is searched: the text embedded and the BM25 terms."""

    text: str
    language: str
    dense_text: str
    terms: tuple[str, ...]


def clean_query(query: str, *, max_chars: int) -> str:
    """The query without control characters and extra whitespace.

    Raises :class:`InputError` when it is empty or longer than ``max_chars``.
    """
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in query or "")
    text = " ".join(text.split())
    if not text:
        raise InputError(
            "The question is empty.", hint='Ask something, e.g. "Which sectors did the MIVD name?"'
        )
    if len(text) > max_chars:
        raise InputError(
            f"The question is {len(text)} characters long; the limit is {max_chars}.",
            hint="Shorten it (or raise BRIEFBOT_MAX_QUESTION_CHARS).",
        )
    return text


def plan_query(text: str) -> QueryPlan:
    """Detect the language; gloss Dutch/German into English keywords for both retrievers."""
    lang = guess_language(text)
    if lang in ("nl", "de"):
        english = gloss(text, lang)
        native = analyze(text, stopwords=STOP_EN | STOP_NL | STOP_DE)
        terms = tuple(dict.fromkeys([*analyze(english), *native]))
        return QueryPlan(text=text, language=lang, dense_text=english, terms=terms)
    return QueryPlan(text=text, language=lang, dense_text=text, terms=tuple(dict.fromkeys(analyze(text))))


def split_filters(question: str, filters: SearchFilters | None = None) -> tuple[str, SearchFilters | None]:
    """Strip inline filters (``publisher:CISA after:2024``) from a question and merge them
    with explicit ones (inline values win). Returns the bare question and the filters (None if none).
    Raises :class:`InputError` for an invalid inline filter value.
    """
    text, inline = parse_inline_filters(question)
    merged = (filters or SearchFilters()).merged(inline)
    return text, (None if merged.is_empty() else merged)


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder, loaded lazily and offline from a name or path."""

    def __init__(self, model: str, *, device: str = "cpu") -> None:
        self.model_name = model
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                import os

                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
                from sentence_transformers import CrossEncoder

                from core.errors import ConfigError

                try:
                    self._model = CrossEncoder(self.model_name, device=self.device)
                except Exception as exc:
                    raise ConfigError(
                        f"Cannot load reranker {self.model_name!r} offline: {type(exc).__name__}: {exc}.",
                        hint="Set BRIEFBOT_RERANKER_MODEL to a local CrossEncoder folder, or unset it.",
                    ) from None
        return self._model

    def scores(self, query: str, texts: list[str]) -> list[float]:
        """Relevance of each text to the query (higher is better)."""
        if not texts:
            return []
        raw = self._load().predict([(query, t) for t in texts], show_progress_bar=False)
        return [float(s) for s in raw]


class Retriever:
    """Dense + BM25 hybrid search over one store; thread-safe, reloads BM25 when it was rebuilt."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        bm25: Bm25Index | None = None,
        reranker: CrossEncoderReranker | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self._bm25 = bm25
        self._bm25_injected = bm25 is not None
        self._lock = threading.Lock()
        if reranker is None and settings.reranker_model:
            reranker = CrossEncoderReranker(settings.reranker_model, device=settings.embedding_device)
        self.reranker = reranker

    # --- the lexical index -----------------------------------------------------------
    def lexical_index(self, count: int | None = None) -> Bm25Index:
        """The BM25 index in step with the store: loaded from disk, reloaded after a re-index,
        or built in memory (never written: questions do not change the index) when missing or stale."""
        count = self.store.count() if count is None else count
        with self._lock:
            if self._bm25 is not None and self._bm25_injected:
                return self._bm25
            version = current_version(self.settings)
            index = self._bm25
            if index is not None and index.version == (version or "") and len(index) == count:
                return index
            index = Bm25Index.load(self.settings) if version else None
            if index is None or len(index) != count:
                log.warning("BM25 index missing or out of date; building it in memory (run `briefbot index`)")
                index = build_index(self.store.iter_records())
                index.version = version or ""
            self._bm25 = index
            return index

    # --- search ------------------------------------------------------------------------
    def search(self, query: str, *, k: int, filters: SearchFilters | None = None) -> list[Passage]:
        """The ``k`` best passages for ``query`` (inline filters must already be stripped).

        Raises :class:`InputError` for an empty or over-long query and
        :class:`EmptyIndexError` when nothing is indexed.
        """
        text = clean_query(query, max_chars=self.settings.max_question_chars)
        if k < 1:
            raise InputError(f"k must be at least 1 (got {k}).", hint="Use -k 5, for example.")
        count = self.store.count()
        if count == 0:
            raise EmptyIndexError(f"The index {self.store.name!r} at {self.store.location} is empty.")
        plan = plan_query(text)
        n = max(self.settings.candidates, k)
        pool = max(k, RERANK_POOL) if self.reranker else k
        vector = self.store.embedder.embed_query(plan.dense_text)
        index = self.lexical_index(count)
        # Chroma compares publishers only for equality: resolve "CISA" to the stored names it means.
        publishers = index.publishers() if filters is not None and filters.publisher else None
        passages, cands = self._dense(vector, min(n, count), filters, publishers)
        bm25_scores = index.score_array(plan.terms)
        for cid, score in index.top(bm25_scores, n, filters):
            if cid not in cands:
                cands[cid] = Candidate(cid, bm25=score)
        for cid, cand in cands.items():
            pos = index.position.get(cid)
            cand.bm25 = float(bm25_scores[pos]) if pos is not None else 0.0
        missing = [cid for cid, c in cands.items() if c.dense is None]
        passages.update(self._fetch_with_similarity(missing, vector, cands))
        if not is_multilingual_model(self.store.embedder.model_id):
            for cid, passage in passages.items():
                cands[cid].dense_trusted = passage.language[:2] in ("", "en")
        ordered = fuse(
            [c for c in cands.values() if c.chunk_id in passages],
            method=self.settings.fusion,
            dense_weight=self.settings.dense_weight,
            bm25_weight=self.settings.bm25_weight,
            rrf_k=self.settings.rrf_k,
        )
        for cand in ordered[: pool * 4]:
            cand.tokens = token_set(passages[cand.chunk_id].text)
        doc_of = {cid: str(p.extra.get("doc_id") or p.source) for cid, p in passages.items()}
        kept, absorbed = collapse_duplicates(ordered, doc_of, pool)
        if self.reranker is not None:
            kept = self._rerank(plan.text, kept, passages)
        return [self._finish(passages[c.chunk_id], c, rank, absorbed) for rank, c in enumerate(kept[:k], 1)]

    def _dense(
        self,
        vector: list[float],
        n: int,
        filters: SearchFilters | None,
        publishers: frozenset[str] | None = None,
    ) -> tuple[dict[str, Passage], dict[str, Candidate]]:
        with self.store.guard():
            result = self.store.collection.query(
                query_embeddings=[vector],  # type: ignore[arg-type]
                n_results=max(1, n),
                where=where_from_filters(filters, publishers),
                include=["documents", "metadatas", "distances"],  # type: ignore[list-item]
            )
        passages: dict[str, Passage] = {}
        cands: dict[str, Candidate] = {}
        docs = (result.get("documents") or [[]])[0]
        metas = (result.get("metadatas") or [[]])[0]
        dists = (result.get("distances") or [[]])[0]
        for rid, doc, meta, dist in zip(result["ids"][0], docs, metas, dists, strict=False):
            sim = 1.0 - float(dist)
            passages[rid] = record_to_passage(rid, doc, meta, score=sim)
            cands[rid] = Candidate(rid, dense=sim)
        return passages, cands

    def _fetch_with_similarity(
        self, ids: list[str], vector: list[float], cands: dict[str, Candidate]
    ) -> dict[str, Passage]:
        """Passages found only by BM25, with their exact cosine similarity to the query."""
        if not ids:
            return {}
        with self.store.guard():
            page = self.store.collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])  # type: ignore[list-item]
        out: dict[str, Passage] = {}
        embeddings = page.get("embeddings")
        docs = page.get("documents") or []
        metas = page.get("metadatas") or []
        sims: list[float] = [0.0] * len(page["ids"])
        if embeddings is not None and len(embeddings):
            matrix = np.asarray(embeddings, dtype=np.float32)
            query = np.asarray(vector, dtype=np.float32)
            norms = np.linalg.norm(matrix, axis=1) * (float(np.linalg.norm(query)) or 1.0)
            sims = (matrix @ query / np.where(norms > 0, norms, 1.0)).tolist()
        for i, rid in enumerate(page["ids"]):
            cands[rid].dense = float(sims[i])
            out[rid] = record_to_passage(
                rid, docs[i] if i < len(docs) else "", metas[i] if i < len(metas) else {}
            )
        return out

    def _rerank(self, query: str, kept: list[Candidate], passages: dict[str, Passage]) -> list[Candidate]:
        assert self.reranker is not None
        texts = [_with_header(passages[c.chunk_id]) for c in kept]
        scores = self.reranker.scores(query, texts)
        for cand, score in zip(kept, scores, strict=True):
            passages[cand.chunk_id].extra["rerank"] = score
        order = sorted(range(len(kept)), key=lambda i: -scores[i])
        return [kept[i] for i in order]

    @staticmethod
    def _finish(passage: Passage, cand: Candidate, rank: int, absorbed: dict[str, list[str]]) -> Passage:
        passage.rank = rank
        passage.score = cand.fused
        passage.extra.update(
            dense=cand.dense,
            bm25=cand.bm25,
            dense_rank=cand.dense_rank,
            bm25_rank=cand.bm25_rank,
        )
        if absorbed.get(cand.chunk_id):
            passage.extra["duplicates"] = list(absorbed[cand.chunk_id])
        return passage


def _with_header(passage: Passage) -> str:
    header = str(passage.extra.get("header") or "")
    return f"{header}\n\n{passage.text}" if header else passage.text
