"""Plain data types shared by the write path (indexing) and the read path (bot).

They are deliberately small dataclasses with no behaviour that touches the
outside world, so every pipeline stage can be a plain function on them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any


@dataclass(frozen=True)
class DocumentMeta:
    """What we know about one document.

    ``source`` is the file's path relative to the indexed folder (POSIX
    separators) or the URL it was fetched from; ``doc_id`` is derived from it
    and is stable across re-indexing.
    """

    doc_id: str
    source: str
    title: str = ""
    publisher: str = ""
    published: str | None = None  # ISO 8601 date, e.g. "2024-04-19"
    url: str = ""
    language: str = ""
    kind: str = ""  # "md", "txt", "html", "pdf", "url", "stdin"

    def with_(self, **changes: Any) -> DocumentMeta:
        """A copy with some fields replaced."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Page:
    """One page of text. Non-paged formats have a single page with ``label=None``.

    ``number`` is the 1-based physical page index; ``label`` the printed page
    label (PDF page labels such as "iv" or "12"), when the format has one.
    """

    number: int
    text: str
    label: str | None = None


@dataclass(frozen=True)
class LoadedDocument:
    """A document after loading (and, later, cleaning): metadata plus pages."""

    meta: DocumentMeta
    pages: tuple[Page, ...]

    @property
    def text(self) -> str:
        """All pages joined by blank lines."""
        return "\n\n".join(p.text for p in self.pages)

    def with_pages(self, pages: list[Page] | tuple[Page, ...]) -> LoadedDocument:
        """A copy with new pages."""
        return LoadedDocument(self.meta, tuple(pages))

    def with_meta(self, meta: DocumentMeta) -> LoadedDocument:
        """A copy with new metadata."""
        return LoadedDocument(meta, self.pages)


@dataclass(frozen=True)
class Chunk:
    """A passage ready to embed. ``chunk_id`` = doc_id + content hash (stable)."""

    chunk_id: str
    doc_id: str
    text: str
    index: int  # position within the document
    section: str = ""
    page: str | None = None  # printed page label (or physical number as text)
    page_number: int | None = None  # physical 1-based page


@dataclass
class Passage:
    """A retrieved chunk with everything needed to cite it."""

    chunk_id: str
    text: str
    source: str
    title: str = ""
    publisher: str = ""
    published: str | None = None
    page: str | None = None
    url: str = ""
    section: str = ""
    language: str = ""
    score: float = 0.0
    rank: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON shape used by `briefbot search --json` and friends."""
        return {
            "rank": self.rank,
            "text": self.text,
            "source": self.source,
            "title": self.title,
            "publisher": self.publisher,
            "published": self.published,
            "page": self.page,
            "url": self.url,
            "score": round(float(self.score), 6),
            "chunk_id": self.chunk_id,
        }


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions applied alike to dense (Chroma ``where``) and BM25 search."""

    publisher: str | None = None
    source: str | None = None
    after: date | None = None
    before: date | None = None
    language: str | None = None

    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return not any(asdict(self).values())

    def merged(self, other: SearchFilters) -> SearchFilters:
        """Fields set in ``other`` win."""
        mine = asdict(self)
        mine.update({k: v for k, v in asdict(other).items() if v is not None})
        return SearchFilters(**mine)
