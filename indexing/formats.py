"""HTML and PDF loaders used by :mod:`indexing.load` (one function per format)."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.errors import DocumentError
from core.types import DocumentMeta, LoadedDocument, Page
from indexing.metadata import normalize_date

# A PDF /Author naming an organisation (not a person) is the publisher.
_ORGANISATION = re.compile(
    r"\b(agency|institute|corporation|inc|ltd|llc|gmbh|center|centre|department|office|service|ministry|"
    r"council|commission|bureau|authority|foundation|university|lab|labs|laboratory|group|team)\b",
    re.I,
)


def short_error(exc: BaseException) -> str:
    """The first line of an exception message, clipped, for one-line error reasons."""
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__


# --- html -----------------------------------------------------------------------------------------


def load_html(data: bytes, text: str, name: str, meta: DocumentMeta) -> LoadedDocument:
    """Main text of an HTML page (markdown, headings kept) plus title, site name, date, url, language.

    ``data`` is parsed by trafilatura, which honours the page's declared
    charset; ``text`` (our own decoding) is the fallback when it cannot.
    """
    import trafilatura
    from trafilatura.utils import load_html as parse

    def tree() -> Any:  # a fresh tree per call: extraction prunes the tree it is given
        parsed = parse(data)
        return parsed if parsed is not None else parse(text)

    url = meta.url or None
    with _quiet("trafilatura", "htmldate", "courlan"):
        first = tree()
        if first is None:
            raise DocumentError(name, "not a readable HTML page", hint="Check that the file is HTML.")
        info = trafilatura.extract_metadata(first, default_url=url)
        body = trafilatura.extract(
            tree(),
            url=url,
            output_format="markdown",
            include_formatting=True,
            include_tables=True,
            include_comments=False,
            with_metadata=False,
        )
        if not body:
            body = trafilatura.extract(tree(), url=url, favor_recall=True, include_comments=False)
    if not body or not body.strip():
        raise DocumentError(
            name, "no main text found in the HTML page", hint="Is it a page of links or a login page?"
        )
    if info is not None:
        meta = meta.with_(
            title=info.title or meta.title,
            publisher=info.sitename or meta.publisher,
            published=normalize_date(info.date) if info.date else meta.published,
            url=meta.url or info.url or "",
            language=(info.language or meta.language or "").lower()[:2],
        )
    return LoadedDocument(meta, (Page(number=1, text=body),))


# --- pdf ------------------------------------------------------------------------------------------


@contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """Silence chatty library loggers (pypdf's font warnings) while extracting."""
    saved = [(lg, lg.level) for lg in (logging.getLogger(n) for n in loggers)]
    for lg, _ in saved:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in saved:
            lg.setLevel(level)


def load_pdf(data: bytes, name: str, meta: DocumentMeta) -> LoadedDocument:
    """One Page per PDF page with its printed label; refuses encrypted, corrupt and scanned PDFs."""
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    hint_enc = "Remove the password (e.g. `qpdf --decrypt in.pdf out.pdf`) and index the copy."
    with _quiet("pypdf"):
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                        raise DocumentError(name, "encrypted PDF", hint=hint_enc)
                except DependencyError:
                    raise DocumentError(name, "encrypted PDF (AES; cannot decrypt)", hint=hint_enc) from None
            count = len(reader.pages)
            labels = _page_labels(reader, count)
        except DocumentError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
            raise DocumentError(
                name, f"corrupt PDF ({short_error(exc)})", hint="Re-download or re-export the file."
            ) from None
        pages: list[Page] = []
        for i in range(count):
            try:
                text = reader.pages[i].extract_text() or ""
            except Exception:  # one broken page must not lose the rest of the document
                text = ""
            pages.append(Page(number=i + 1, text=text.replace("\x00", ""), label=labels[i]))
        info = _pdf_info(reader)
    if not any(p.text.strip() for p in pages):
        raise DocumentError(
            name,
            "no extractable text; is it a scanned PDF?",
            hint="Run OCR on it first (e.g. `ocrmypdf in.pdf out.pdf`).",
        )
    meta = meta.with_(
        title=meta.title or info.get("title", ""),
        published=meta.published or info.get("published"),
        publisher=meta.publisher or info.get("publisher", ""),
    )
    return LoadedDocument(meta, tuple(pages))


def _page_labels(reader: Any, count: int) -> list[str]:
    try:
        labels = [str(label) for label in reader.page_labels]
    except Exception:
        labels = []
    if len(labels) != count:
        return [str(i + 1) for i in range(count)]
    return [label.strip() or str(i + 1) for i, label in enumerate(labels)]


def _pdf_info(reader: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        info = reader.metadata
    except Exception:
        return out
    if not info:
        return out
    title = str(info.get("/Title") or "").strip()
    # Titles such as "Microsoft Word - draft3.docx" or "untitled" are file names, not titles.
    if title and not re.search(r"(^microsoft word|\.(docx?|pdf|indd)$|^untitled$)", title, re.I):
        out["title"] = title
    author = " ".join(str(info.get("/Author") or "").split())
    if _ORGANISATION.search(author) and len(author) <= 100:
        out["publisher"] = author
    created = str(info.get("/CreationDate") or "")
    match = re.match(r"D:(\d{4})(\d{2})(\d{2})", created)
    if match:
        iso = normalize_date("-".join(match.groups()))
        if iso:
            out["published"] = iso
    return out
