"""Conversions between our chunks, LangChain documents, Chroma records and passages.

The stored Chroma document is ``header + "\\n\\n" + text``: the header carries the
title and section so dense and BM25 retrieval both see them, and ``text_start``
in the metadata says where the passage itself begins. Chroma metadata is flat
(str/int/float/bool only), so missing values are stored as ``""`` or ``-1``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from langchain_core.documents import Document

from core.types import Chunk, DocumentMeta, Passage, SearchFilters
from indexing.chunk import HEADER_SEPARATOR, chunk_header

EPOCH = date(1970, 1, 1)
MetadataValue = str | int | float | bool


def days_since_epoch(value: str | date | None) -> int:
    """Days since 1970-01-01 of an ISO date ("2024-04-19", "2024-04", "2024"), or -1 when unknown."""
    if value is None or value == "":
        return -1
    if isinstance(value, date):
        return (value - EPOCH).days
    text = value.strip()
    parts = text[:10].split("-")
    try:
        if len(parts) >= 3:
            day = date.fromisoformat(text[:10])
        elif len(parts) == 2:
            day = date(int(parts[0]), int(parts[1]), 1)
        else:
            day = date(int(parts[0][:4]), 1, 1)
    except ValueError:
        return -1
    return (day - EPOCH).days


def record_id(chunk: Chunk, content: str, metadata: Mapping[str, MetadataValue]) -> str:
    """The vector id of a chunk: document id + a hash of everything stored with it.

    The chunker's id hashes the chunk text; the stored record also holds the
    header and document metadata (title, publisher, position...), so the id
    covers those too. When any of it changes the record is re-written; when
    nothing changed, the LangChain record manager skips it without embedding.
    """
    payload = json.dumps(
        [chunk.chunk_id, content, {k: v for k, v in metadata.items() if k != "chunk_id"}],
        sort_keys=True,
        ensure_ascii=False,
    )
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]
    return f"{chunk.doc_id}:{digest}"


def chunk_metadata(chunk: Chunk, meta: DocumentMeta, text_start: int) -> dict[str, MetadataValue]:
    """Flat Chroma metadata for one chunk (no ``None`` values; ``chunk_id`` added by the caller)."""
    return {
        "doc_id": meta.doc_id,
        "source": meta.source,
        "title": meta.title or "",
        "publisher": meta.publisher or "",
        "publisher_lc": (meta.publisher or "").casefold(),
        "published": meta.published or "",
        "published_ts": days_since_epoch(meta.published),
        "url": meta.url or "",
        "language": (meta.language or "").lower(),
        "kind": meta.kind or "",
        "section": chunk.section or "",
        "page": chunk.page or "",
        "page_number": chunk.page_number if chunk.page_number is not None else -1,
        "chunk_index": chunk.index,
        "text_start": text_start,
    }


def chunk_to_document(chunk: Chunk, meta: DocumentMeta) -> Document:
    """A LangChain document whose ``id`` is the vector id and whose content is header + text."""
    header = chunk_header(meta.title, chunk.section)
    prefix = f"{header}{HEADER_SEPARATOR}" if header else ""
    content = prefix + chunk.text
    metadata = chunk_metadata(chunk, meta, len(prefix))
    rid = record_id(chunk, content, metadata)
    metadata["chunk_id"] = rid
    return Document(id=rid, page_content=content, metadata=metadata)


def chunks_to_documents(chunks: list[Chunk], meta: DocumentMeta) -> list[Document]:
    """:func:`chunk_to_document` for every chunk of one document."""
    return [chunk_to_document(c, meta) for c in chunks]


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def record_to_passage(
    record_id_: str, document: str | None, metadata: Mapping[str, Any] | None, score: float = 0.0
) -> Passage:
    """A citable :class:`Passage` from a Chroma record (text without the header)."""
    meta = dict(metadata or {})
    body = document or ""
    start = meta.get("text_start", 0)
    text = body[start:] if isinstance(start, int) and 0 <= start <= len(body) else body
    page_number = meta.get("page_number", -1)
    return Passage(
        chunk_id=str(meta.get("chunk_id") or record_id_),
        text=text,
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        publisher=str(meta.get("publisher", "")),
        published=_str_or_none(meta.get("published")),
        page=_str_or_none(meta.get("page")),
        url=str(meta.get("url", "")),
        section=str(meta.get("section", "")),
        language=str(meta.get("language", "")),
        score=float(score),
        extra={
            "doc_id": meta.get("doc_id", ""),
            "chunk_index": meta.get("chunk_index", -1),
            "page_number": page_number if isinstance(page_number, int) and page_number > 0 else None,
            "kind": meta.get("kind", ""),
            "header": body[:start].strip() if isinstance(start, int) else "",
        },
    )


_MINOR = frozenset(["a", "an", "and", "for", "of", "on", "the", "to"])
_WORD = re.compile(r"[^\W_]+(?:[&'][^\W_]+)*")


def publisher_matches(wanted: str, publisher: str) -> bool:
    """Whether a publisher filter names ``publisher``, ignoring case: the whole name, its
    acronym ("CISA" for "Cybersecurity and Infrastructure Security Agency", "WA SOC" for
    "… Operations Centre (WA SOC)") or words of it ("MITRE" for "The MITRE Corporation")."""
    want, name = wanted.strip().casefold(), publisher.strip().casefold()
    if not want or not name:
        return False
    if want == name:
        return True
    words = _WORD.findall(name)
    asked = _WORD.findall(want)
    squeezed = "".join(asked)
    acronyms = {"".join(w[0] for w in words if w not in _MINOR)}
    acronyms.update("".join(_WORD.findall(inner)) for inner in re.findall(r"\(([^)]*)\)", name))
    if squeezed in acronyms:
        return True
    return bool(asked) and all(w in words for w in asked)


def where_from_filters(
    filters: SearchFilters | None, publishers: Collection[str] | None = None
) -> dict[str, Any] | None:
    """A Chroma ``where`` clause for the filters, or None when nothing is filtered.

    Chroma compares metadata only for equality, so a publisher filter is resolved against
    ``publishers`` (the stored ``publisher_lc`` values, e.g. from the BM25 index) with
    :func:`publisher_matches` into an ``$in`` list; without them it matches the whole name,
    ignoring case. Dates compare on ``published_ts``; undated documents never match a date filter.
    """
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.publisher:
        wanted = filters.publisher.strip().casefold()
        named = sorted(p for p in publishers or () if publisher_matches(wanted, p))
        clauses.append({"publisher_lc": {"$in": named} if named else {"$eq": wanted}})
    if filters.source:
        clauses.append({"source": {"$eq": filters.source}})
    if filters.language:
        clauses.append({"language": {"$eq": filters.language.strip().lower()}})
    if filters.after is not None:
        clauses.append({"published_ts": {"$gte": days_since_epoch(filters.after)}})
    if filters.before is not None:
        clauses.append({"published_ts": {"$lte": days_since_epoch(filters.before)}})
        if filters.after is None:
            clauses.append({"published_ts": {"$gte": 0}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
