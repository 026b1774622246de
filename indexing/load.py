"""Load a file, URL or byte string into a :class:`~core.types.LoadedDocument`.

Formats: Markdown/text with optional YAML front matter, HTML (main text and
metadata via trafilatura), PDF (pypdf, page by page, with printed page labels).
Everything that makes a document unusable (missing, empty, binary, too large,
encrypted, corrupt, scanned) raises :class:`~core.errors.DocumentError` naming
the source and the reason. Nothing here cleans boilerplate or infers metadata:
see :mod:`indexing.clean` and :mod:`indexing.metadata`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import yaml

from core.errors import DocumentError, FetchError
from core.settings import Settings
from core.types import DocumentMeta, LoadedDocument, Page
from indexing.formats import load_html, load_pdf, short_error
from indexing.metadata import normalize_date

SUFFIX_KINDS: dict[str, str] = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
"""File suffixes briefbot can load, and the ``kind`` each one gets."""

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)(?:\r?\n)(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_HTML_SNIFF = re.compile(r"<\s*(!doctype\s+html|html|head|body|article|div|p)\b", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAX_CONTROL_RATIO = 0.05


# --- ids ------------------------------------------------------------------------------------------


def make_doc_id(source: str) -> str:
    """A stable document id derived from ``source``: readable slug + sha1 prefix.

    The same source (relative path or URL) always gives the same id, so
    re-indexing replaces a document instead of duplicating it.
    """
    stem = source.rstrip("/").rsplit("/", 1)[-1]
    stem = re.sub(r"\.[A-Za-z0-9]{1,8}$", "", stem)
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:40].strip("-") or "doc"
    digest = hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]
    return f"{slug}-{digest}"


def source_for(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` with POSIX separators, or the bare file name without a root."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.name


# --- entry points ---------------------------------------------------------------------------------


def load_file(path: Path, settings: Settings, root: Path | None = None) -> LoadedDocument:
    """Load one file, dispatching on its suffix (see :data:`SUFFIX_KINDS`).

    Raises DocumentError (naming ``path``) when the file is missing, unreadable,
    empty, binary, over ``settings.max_file_mb``, or an unusable PDF.
    """
    path = Path(path)
    name = str(path)
    kind = SUFFIX_KINDS.get(path.suffix.lower())
    if kind is None:
        raise DocumentError(
            name,
            f"unsupported file type '{path.suffix or '(none)'}'",
            hint=f"Convert it to one of {', '.join(sorted(SUFFIX_KINDS))}.",
        )
    try:
        if not path.exists():
            raise DocumentError(name, "file not found", hint="Check the path.")
        if path.is_dir():
            raise DocumentError(name, "is a folder, not a file")
        _check_size(name, path.stat().st_size, settings)
        data = path.read_bytes()
    except PermissionError:
        raise DocumentError(name, "permission denied", hint="Check the file's permissions.") from None
    except OSError as exc:
        raise DocumentError(name, f"cannot read file ({exc.strerror or exc})") from None
    source = source_for(path, root)
    return _load_data(data, kind=kind, name=name, source=source, settings=settings)


def load_bytes(data: bytes, name: str, settings: Settings) -> LoadedDocument:
    """Load a document given as bytes (e.g. stdin); ``name`` becomes its source.

    The format is sniffed: ``%PDF`` magic → PDF, HTML tags → HTML, else text.
    """
    _check_size(name, len(data), settings)
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF"):
        fmt = "pdf"
    elif _HTML_SNIFF.search(head.decode("latin-1")) and head.startswith(b"<"):
        fmt = "html"
    else:
        fmt = "txt"
    return _load_data(data, kind=fmt, name=name, source=name, settings=settings, meta_kind="stdin")


def load_url(url: str, settings: Settings) -> LoadedDocument:
    """Fetch ``url`` with httpx and load it as HTML, PDF or text by its content type.

    Follows redirects and honours ``settings.http_timeout``. HTTP errors,
    timeouts and unreachable hosts raise :class:`FetchError` with a one-line reason.
    """
    if not re.match(r"^https?://", url, re.I):
        raise FetchError(url, "not an http(s) URL", hint="Give a full URL starting with https://.")
    limit = int(settings.max_file_mb * 1024 * 1024)
    headers = {
        "User-Agent": settings.user_agent,
        "Accept": "text/html,application/pdf,text/plain;q=0.9,*/*;q=0.5",
    }
    try:
        with (
            httpx.Client(timeout=settings.http_timeout, follow_redirects=True, headers=headers) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise FetchError(
                    url,
                    f"HTTP {response.status_code} {response.reason_phrase}".rstrip(),
                    hint="Check the URL; the server refused or does not have it.",
                )
            chunks: list[bytes] = []
            size = 0
            for piece in response.iter_bytes():
                size += len(piece)
                if size > limit:
                    _check_size(url, size, settings)
                chunks.append(piece)
            content_type = response.headers.get("content-type", "").lower()
            final_url = str(response.url)
    except httpx.TimeoutException:
        raise FetchError(
            url,
            f"timed out after {settings.http_timeout:g} s",
            hint="Try again later or raise BRIEFBOT_HTTP_TIMEOUT.",
        ) from None
    except httpx.ConnectError as exc:
        raise FetchError(
            url, f"could not connect ({short_error(exc)})", hint="Check the host name and your network."
        ) from None
    except httpx.TooManyRedirects:
        raise FetchError(url, "too many redirects") from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        raise FetchError(url, "not a valid URL", hint="Give a full URL starting with https://.") from None
    except httpx.HTTPError as exc:
        raise FetchError(url, f"download failed ({type(exc).__name__}: {short_error(exc)})") from None
    data = b"".join(chunks)
    if "pdf" in content_type or data[:5] == b"%PDF-":
        fmt = "pdf"
    elif "html" in content_type or "xml" in content_type:
        fmt = "html"
    elif content_type.startswith("text/") or not content_type:
        fmt = "txt"
    else:
        raise DocumentError(
            url,
            f"unsupported content type '{content_type.split(';')[0]}'",
            hint="briefbot reads HTML, PDF and plain-text pages.",
        )
    doc = _load_data(data, kind=fmt, name=url, source=url, settings=settings, meta_kind="url", url=final_url)
    return doc if doc.meta.url else doc.with_meta(doc.meta.with_(url=final_url))


# --- dispatch -------------------------------------------------------------------------------------


def _load_data(
    data: bytes,
    *,
    kind: str,
    name: str,
    source: str,
    settings: Settings,
    meta_kind: str | None = None,
    url: str = "",
) -> LoadedDocument:
    _check_size(name, len(data), settings)
    if not data.strip():
        raise DocumentError(name, "empty file", hint="Nothing to index; remove it or add text.")
    meta = DocumentMeta(doc_id=make_doc_id(source), source=source, kind=meta_kind or kind, url=url)
    if kind == "pdf":
        return load_pdf(data, name, meta)
    text = decode_text(data, name)
    if kind == "html":
        return load_html(data, text, name, meta)
    return _load_text(text, name, meta)


def _check_size(name: str, size: int, settings: Settings) -> None:
    if size > settings.max_file_mb * 1024 * 1024:
        raise DocumentError(
            name,
            f"too large ({size / 1024 / 1024:.1f} MB, limit {settings.max_file_mb:g} MB)",
            hint="Split the file or raise BRIEFBOT_MAX_FILE_MB.",
        )


# --- text -----------------------------------------------------------------------------------------


def decode_text(data: bytes, name: str) -> str:
    """Decode bytes as text: UTF-16 by BOM, else UTF-8 (BOM stripped), cp1252, latin-1.

    Raises DocumentError when the bytes look binary (NUL bytes or many control characters).
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentError(name, "binary file (invalid UTF-16 text)") from None
    else:
        if b"\x00" in data:
            raise DocumentError(
                name, "binary file (contains NUL bytes)", hint="Only text, HTML and PDF are read."
            )
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = data.decode("latin-1")
    controls = len(_CONTROL.findall(text))
    if text and controls / len(text) > _MAX_CONTROL_RATIO:
        raise DocumentError(
            name, "binary file (too many control characters)", hint="Only text, HTML and PDF are read."
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, name: str) -> tuple[dict[str, Any], str]:
    """Split YAML front matter (``---`` … ``---``) from the body.

    Returns ``({}, text)`` when there is none. Malformed YAML, or front matter
    that is not a mapping, raises DocumentError naming ``name``.
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise DocumentError(
            name,
            f"malformed YAML front matter{where}: {problem}",
            hint="Fix the block between the '---' lines (quote values that contain ':').",
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DocumentError(
            name, "front matter is not a mapping", hint="Use 'key: value' lines between the '---' lines."
        )
    return {str(k).lower(): v for k, v in data.items()}, text[match.end() :]


def _fm_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if v is not None)
    return str(value).strip()


def meta_from_front_matter(meta: DocumentMeta, fm: dict[str, Any]) -> DocumentMeta:
    """Apply front-matter fields (title, url/source, published/date, publisher, language)."""
    url = _fm_str(fm.get("url") or fm.get("link"))
    if not url:
        src = _fm_str(fm.get("source"))
        url = src if re.match(r"^https?://\S+$", src) else ""
    published_raw = fm.get("published", fm.get("date", fm.get("published_at")))
    published = normalize_date(published_raw) if isinstance(published_raw, str | date) else None
    return meta.with_(
        title=_fm_str(fm.get("title")) or meta.title,
        url=url or meta.url,
        published=published or meta.published,
        publisher=_fm_str(fm.get("publisher") or fm.get("site") or fm.get("sitename")) or meta.publisher,
        language=_fm_str(fm.get("language") or fm.get("lang")).lower() or meta.language,
    )


def _load_text(text: str, name: str, meta: DocumentMeta) -> LoadedDocument:
    fm, body = split_front_matter(text, name)
    if fm:
        meta = meta_from_front_matter(meta, fm)
    if not body.strip():
        raise DocumentError(name, "no text after the front matter", hint="Add the document body.")
    return LoadedDocument(meta, (Page(number=1, text=body),))
