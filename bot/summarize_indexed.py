"""Documents already in the index: find them by source or file name, and get their text back.

The file is re-loaded through the indexing pipeline when the manifest knows
where it lives and it is still there (exactly the text that was indexed, with
pages). Otherwise the document is rebuilt from its stored passages, in chunk
order, page by page, with the chunk overlap removed and section headings put
back, so summaries cite the same pages and sections as answers do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import DocumentError, EmptyIndexError, InputError
from core.types import DocumentMeta, LoadedDocument, Page, Passage

if TYPE_CHECKING:
    from bot.service import Briefbot

MAX_OVERLAP_CHARS = 4000


def find_indexed_source(service: Briefbot, name: str) -> str:
    """The indexed ``source`` that ``name`` denotes: the exact source, or a unique file-name match.

    Matching is tried in order: exact source, exact file name, file name
    without extension, then a case-insensitive substring of the source. Raises
    InputError when nothing or more than one document matches.
    """
    store = service.store
    if store.count() == 0:
        raise EmptyIndexError()
    docs: list[dict[str, Any]] = store.list_documents()
    sources = [str(d["source"]) for d in docs]
    if name in sources:
        return name
    wanted = name.strip().casefold()
    keys: tuple[Callable[[str], bool], ...] = (
        lambda s: Path(s).name.casefold() == wanted,
        lambda s: Path(s).stem.casefold() == wanted,
        lambda s: wanted in s.casefold(),
    )
    for matches_name in keys:
        matches = [s for s in sources if matches_name(s)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            shown = ", ".join(matches[:5]) + (" …" if len(matches) > 5 else "")
            raise InputError(
                f"'{name}' matches {len(matches)} indexed documents: {shown}.",
                hint="Give more of the file name or the full source path.",
            )
    raise InputError(
        f"No indexed document matches '{name}'.",
        hint="Run `briefbot status` or `briefbot search` to see what is indexed, or give a file path or URL.",
    )


def _reload(service: Briefbot, source: str) -> LoadedDocument | None:
    """The document re-loaded from its file, when the manifest knows it and it is unchanged on disk."""
    from indexing.manifest import Manifest
    from indexing.prepare import prepare_file
    from indexing.store import store_namespace

    settings = service.settings
    rows = Manifest(settings.record_db, store_namespace(settings), readonly=True).rows()
    for row in rows.values():
        if row.source != source:
            continue
        path = Path(row.path)
        try:
            stat = path.stat() if path.is_file() else None
            if stat is None or stat.st_size != row.size or stat.st_mtime_ns != row.mtime_ns:
                return None
            return prepare_file(path, settings, root=Path(row.root) if row.root else None)
        except DocumentError:
            return None
    return None


def _strip_overlap(previous: str, text: str) -> str:
    """``text`` without the part that repeats the end of ``previous`` (chunk overlap)."""
    tail = previous[-MAX_OVERLAP_CHARS:]
    probe = text[:40]
    if len(probe) < 10:
        return text
    start = tail.find(probe)
    while start != -1:
        repeated = tail[start:]
        if text.startswith(repeated):
            return text[len(repeated) :].lstrip()
        start = tail.find(probe, start + 1)
    return text


def rebuild_document(passages: Sequence[Passage]) -> LoadedDocument:
    """A document from its passages (chunk order): one page per page label, sections as headings."""
    first = passages[0]
    kind = str(first.extra.get("kind") or "")
    meta = DocumentMeta(
        doc_id=str(first.extra.get("doc_id") or first.source),
        source=first.source,
        title=first.title,
        publisher=first.publisher,
        published=first.published,
        url=first.url,
        language=first.language,
        kind=kind,
    )
    paged = any(p.page for p in passages)
    pages: list[Page] = []
    texts: list[str] = []
    key: tuple[int | None, str | None] | None = None
    section = first.title
    previous = ""
    for p in passages:
        number = p.extra.get("page_number") if paged else None
        here = (number if isinstance(number, int) else None, p.page if paged else None)
        if key is not None and here != key:
            pages.append(
                Page(
                    number=len(pages) + 1 if key[0] is None else key[0], text="\n\n".join(texts), label=key[1]
                )
            )
            texts = []
        key = here
        body = _strip_overlap(previous, p.text)
        previous = p.text
        if p.section and p.section != section:
            section = p.section
            texts.append(f"## {section}")
        if body.strip():
            texts.append(body)
    if key is not None:
        pages.append(
            Page(number=len(pages) + 1 if key[0] is None else key[0], text="\n\n".join(texts), label=key[1])
        )
    return LoadedDocument(meta, tuple(pages))


def load_indexed(service: Briefbot, source: str) -> LoadedDocument:
    """The document an indexed ``source`` (or unique file-name match) denotes, ready to summarize."""
    doc = _reload(service, source)  # an exact source whose file is unchanged: no need to open the store
    if doc is not None:
        return doc
    resolved = find_indexed_source(service, source)
    doc = _reload(service, resolved) if resolved != source else None
    if doc is not None:
        return doc
    passages = service.store.passages_for_source(resolved)
    if not passages:
        raise InputError(f"No passages stored for '{resolved}'.", hint="Re-index it with `briefbot index`.")
    return rebuild_document(passages)
