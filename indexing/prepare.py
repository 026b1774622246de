"""load → clean → infer metadata, in one call: what indexing, summaries and Slack all use."""

from __future__ import annotations

from pathlib import Path

from core.errors import DocumentError
from core.settings import Settings
from core.types import LoadedDocument
from indexing.clean import clean_document
from indexing.load import load_bytes, load_file, load_url
from indexing.metadata import infer_metadata


def finish(raw: LoadedDocument, name: str) -> LoadedDocument:
    """Clean ``raw`` and fill in its metadata; raises DocumentError when no text is left."""
    cleaned = clean_document(raw)
    if not cleaned.text.strip():
        raise DocumentError(
            name, "no text left after cleaning", hint="The page seems to hold only navigation or boilerplate."
        )
    return infer_metadata(cleaned, raw=raw)


def prepare_file(path: Path, settings: Settings, root: Path | None = None) -> LoadedDocument:
    """Load, clean and describe one file. ``source`` is its path relative to ``root`` when given.

    Raises DocumentError naming the file and the reason.
    """
    return finish(load_file(Path(path), settings, root=root), str(path))


def prepare_url(url: str, settings: Settings) -> LoadedDocument:
    """Fetch, clean and describe one URL. Raises FetchError/DocumentError naming the URL."""
    return finish(load_url(url, settings), url)


def prepare_bytes(data: bytes, name: str, settings: Settings) -> LoadedDocument:
    """Load, clean and describe a document given as bytes (e.g. stdin), with ``name`` as its source."""
    return finish(load_bytes(data, name, settings), name)
