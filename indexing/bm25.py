"""The BM25 side of hybrid retrieval: a bm25s index persisted under ``BRIEFBOT_HOME/bm25``.

It is rebuilt from the vector store after every index change (:func:`sync_bm25`,
called by the pipeline), so added, changed and deleted documents are always in
step with Chroma. Rebuilding ~thousands of chunks takes well under a second,
which is simpler and safer than patching a sparse matrix in place.

Two fields are scored: the passage body and its header (document title, section
heading, publisher), the header with a lower weight (:data:`HEADER_WEIGHT`), so a
title match lifts every passage of a document a little without letting short
passages win on their title alone (docs/RETRIEVAL.md has the measurements).

Layout: ``bm25/CURRENT`` names the active version folder (``v-…``), which holds
the bm25s arrays of both fields (``body/``, ``header/``) plus ``meta.json``
(ordered chunk ids and the metadata filters need: publisher_lc, source,
language, published_ts). A new version is written
completely, then ``CURRENT`` is switched with an atomic rename, so a crash at
any point leaves the previous index usable and never a half-written one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from core.errors import StoreError
from core.settings import Settings
from core.types import SearchFilters
from indexing.lexical import STOP_DE, STOP_EN, STOP_NL, analyze, gloss_terms, guess_language, raw_tokens
from indexing.records import days_since_epoch, publisher_matches

if TYPE_CHECKING:
    import bm25s

    from indexing.store import Store

log = logging.getLogger(__name__)

FORMAT_VERSION = 5  # bump when the analyzer or the layout changes: old indexes are rebuilt
CURRENT = "CURRENT"
META = "meta.json"
FIELDS = ("body", "header")
PARAMS = {"body": (1.2, 0.5), "header": (1.2, 0.3)}  # (k1, b) per field
HEADER_WEIGHT = 0.2
FloatArray = npt.NDArray[np.float32]


@dataclass
class Bm25Index:
    """A loaded BM25 index: the bm25s model, chunk ids in index order, and filter columns."""

    ids: list[str]
    models: dict[str, bm25s.BM25]
    publisher_lc: npt.NDArray[np.str_]
    source: npt.NDArray[np.str_]
    language: npt.NDArray[np.str_]
    published_ts: npt.NDArray[np.int64]
    version: str = ""
    position: dict[str, int] = field(default_factory=dict)
    _masks: dict[SearchFilters, npt.NDArray[np.bool_]] = field(default_factory=dict, repr=False)
    _publishers: frozenset[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.position:
            self.position = {cid: i for i, cid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def model(self) -> bm25s.BM25 | None:
        """The body field's bm25s model (corpus statistics such as IDF), None when empty."""
        return self.models.get("body")

    def document_frequency(self, term: str) -> int:
        """In how many passages an analyzed term occurs (body field)."""
        model = self.model
        tid = None if model is None else model.vocab_dict.get(term)
        if model is None or tid is None:
            return 0
        indptr = model.scores["indptr"]
        return int(indptr[tid + 1] - indptr[tid]) if tid + 1 < len(indptr) else 0

    @classmethod
    def load(cls, settings: Settings) -> Bm25Index | None:
        """The persisted index, or None when none was built (or it is from an older format)."""
        for _attempt in range(2):  # a concurrent sync may delete the folder we were about to read
            version = current_version(settings)
            if version is None:
                return None
            try:
                return _load_version(settings.bm25_dir / version, version)
            except FileNotFoundError:
                continue
            except (OSError, ValueError, KeyError) as exc:
                log.warning("BM25 index %s is unreadable (%s); it will be rebuilt", version, exc)
                return None
        return None

    # --- scoring ---------------------------------------------------------------------
    def score_array(self, terms: Sequence[str]) -> FloatArray:
        """BM25 score of every chunk for analyzed query terms: body + HEADER_WEIGHT × header.

        Repeated query terms count once.
        """
        total = np.zeros(len(self.ids), dtype=np.float32)
        for name, model in self.models.items():
            vocab = model.vocab_dict
            token_ids = sorted({vocab[t] for t in terms if t in vocab and t != ""})
            if token_ids:
                weight = HEADER_WEIGHT if name == "header" else 1.0
                total += weight * np.asarray(model.get_scores_from_ids(token_ids), dtype=np.float32)
        return total

    def publishers(self) -> frozenset[str]:
        """The distinct stored publishers (case-folded), computed once per loaded index."""
        if self._publishers is None:
            self._publishers = frozenset(str(p) for p in np.unique(self.publisher_lc))
        return self._publishers

    def mask(self, filters: SearchFilters | None) -> npt.NDArray[np.bool_] | None:
        """Chunks allowed by ``filters`` (same semantics as ``records.where_from_filters``)."""
        if filters is None or filters.is_empty():
            return None
        cached = self._masks.get(filters)
        if cached is not None:
            return cached
        keep = np.ones(len(self.ids), dtype=bool)
        if filters.publisher:
            named = [p for p in self.publishers() if publisher_matches(filters.publisher, p)]
            keep &= np.isin(self.publisher_lc, named)
        if filters.source:
            keep &= self.source == filters.source
        if filters.language:
            keep &= self.language == filters.language.strip().lower()
        if filters.after is not None:
            keep &= self.published_ts >= days_since_epoch(filters.after)
        if filters.before is not None:
            keep &= (self.published_ts <= days_since_epoch(filters.before)) & (self.published_ts >= 0)
        if len(self._masks) > 64:
            self._masks.clear()
        self._masks[filters] = keep
        return keep

    def top(
        self, scores: FloatArray, k: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` best (chunk id, score) pairs with a positive score among allowed chunks."""
        if k <= 0 or not self.ids:
            return []
        allowed = self.mask(filters)
        scores = np.where(allowed, scores, 0.0) if allowed is not None else scores
        k = min(k, len(scores))
        idx = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in idx if scores[i] > 0.0]

    def search(
        self, query: str | Sequence[str], k: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, BM25 score) for a query string or analyzed terms, filtered."""
        terms = analyze(query) if isinstance(query, str) else list(query)
        return self.top(self.score_array(terms), k, filters)


def _bm25s() -> Any:
    """Import bm25s, whose logger announces every build at DEBUG level unless told otherwise."""
    import bm25s

    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def current_version(settings: Settings) -> str | None:
    """Name of the active version folder (cheap: one small file read), or None."""
    try:
        name = (settings.bm25_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return name or None


def _load_version(folder: Path, version: str) -> Bm25Index | None:
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT_VERSION:
        return None
    ids = [str(i) for i in meta["ids"]]
    models = {}
    if ids:
        bm25s = _bm25s()
        for name in FIELDS:
            models[name] = bm25s.BM25.load(str(folder / name), mmap=False, show_progress=False)
    return Bm25Index(
        ids=ids,
        models=models,
        publisher_lc=np.asarray(meta["publisher_lc"], dtype=np.str_),
        source=np.asarray(meta["source"], dtype=np.str_),
        language=np.asarray(meta["language"], dtype=np.str_),
        published_ts=np.asarray(meta["published_ts"], dtype=np.int64),
        version=version,
    )


def document_fields(document: str, metadata: dict[str, Any]) -> dict[str, list[str]]:
    """BM25 terms of one stored record per field; Dutch/German text also gets English terms.

    The stored document is ``header + text`` (``text_start`` says where the text begins);
    the header field adds the publisher.
    """
    start = metadata.get("text_start", 0)
    start = start if isinstance(start, int) and 0 <= start <= len(document) else 0
    header, body = document[:start], document[start:]
    header = f"{header}\n{metadata.get('publisher') or ''}"
    lang = str(metadata.get("language") or "").lower()[:2] or guess_language(body)
    stop = STOP_EN | (STOP_NL if lang == "nl" else STOP_DE if lang == "de" else frozenset())
    fields = {"body": analyze(body, stopwords=stop), "header": analyze(header, stopwords=stop)}
    if lang in ("nl", "de"):
        for name, text in (("body", body), ("header", header)):
            fields[name].extend(gloss_terms(raw_tokens(text), lang))
    return fields


def build_index(records: Iterable[tuple[str, str, dict[str, Any]]]) -> Bm25Index:
    """An in-memory index over ``(id, document, metadata)`` records (not persisted)."""
    bm25s = _bm25s()

    ids: list[str] = []
    corpus: dict[str, list[list[str]]] = {name: [] for name in FIELDS}
    cols: dict[str, list[Any]] = {"publisher_lc": [], "source": [], "language": [], "published_ts": []}
    for rid, document, metadata in records:
        ids.append(rid)
        for name, terms in document_fields(document, metadata).items():
            corpus[name].append(terms or [""])
        cols["publisher_lc"].append(str(metadata.get("publisher_lc") or "").casefold())
        cols["source"].append(str(metadata.get("source") or ""))
        cols["language"].append(str(metadata.get("language") or "").lower())
        ts = metadata.get("published_ts", -1)
        cols["published_ts"].append(int(ts) if isinstance(ts, int | float) else -1)
    models = {}
    if ids:
        for name in FIELDS:
            k1, b = PARAMS[name]
            models[name] = bm25s.BM25(k1=k1, b=b, method="lucene")
            models[name].index(corpus[name], show_progress=False)
    return Bm25Index(
        ids=ids,
        models=models,
        publisher_lc=np.asarray(cols["publisher_lc"], dtype=np.str_),
        source=np.asarray(cols["source"], dtype=np.str_),
        language=np.asarray(cols["language"], dtype=np.str_),
        published_ts=np.asarray(cols["published_ts"], dtype=np.int64),
    )


def save_index(index: Bm25Index, settings: Settings) -> str:
    """Persist ``index`` as a new version and switch ``CURRENT`` to it atomically; returns the version."""
    root = settings.bm25_dir
    root.mkdir(parents=True, exist_ok=True)
    version = f"v-{time.time_ns()}-{uuid.uuid4().hex[:6]}"
    tmp = root / f".tmp-{version}"
    try:
        tmp.mkdir()
        for name, model in index.models.items():
            model.save(str(tmp / name), show_progress=False)
        meta = {
            "format": FORMAT_VERSION,
            "count": len(index.ids),
            "ids": index.ids,
            "publisher_lc": index.publisher_lc.tolist(),
            "source": index.source.tolist(),
            "language": index.language.tolist(),
            "published_ts": index.published_ts.tolist(),
        }
        (tmp / META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        _fsync_dir(tmp)
        os.replace(tmp, root / version)
        pointer = root / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
        pointer.write_text(version, encoding="utf-8")
        os.replace(pointer, root / CURRENT)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise StoreError(
            f"Could not write the BM25 index under {root} ({exc}).",
            hint="Check free space and permissions of BRIEFBOT_HOME, then run `briefbot index` again.",
        ) from None
    index.version = version
    _prune(root, keep=version)
    return version


def _fsync_dir(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())


def _prune(root: Path, *, keep: str) -> None:
    """Remove older versions and leftovers of interrupted writes."""
    for path in root.iterdir():
        if path.name in (keep, CURRENT):
            continue
        if path.is_dir() and (path.name.startswith("v-") or path.name.startswith(".tmp-")):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(f".{CURRENT}."):
            path.unlink(missing_ok=True)


def sync_bm25(settings: Settings, store: Store) -> None:
    """Rebuild the persisted BM25 index from every record in ``store`` (after any index change)."""
    started = time.perf_counter()
    index = build_index(store.iter_records())
    save_index(index, settings)
    log.info("BM25 index rebuilt: %d chunks in %.2fs", len(index), time.perf_counter() - started)
