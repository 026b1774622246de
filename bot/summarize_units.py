"""Sentence units of a document for summaries: where each sentence sits, and which ones are junk.

A *unit* is one sentence with its page and section, in reading order. Units
are produced lazily, page by page, so a summarizer can stream a document of
any length. Sentences are split with the indexing pipeline's splitter
(:func:`indexing.chunk.split_sentences`); markdown markup and inline
"(Citation: …)" markers are removed from the reading text, and quotes are
taken from that reading text, so a quote is always a verbatim span of what a
reader sees (:func:`reading_text`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from core.errors import InputError
from core.textmatch import normalize
from core.types import LoadedDocument, Page
from indexing.chunk import split_sentences

MAX_BLOCK_UNITS = 40
"""A block (one section on one page) is cut after this many sentences, so no block grows unbounded."""

MIN_WORDS = 6
MAX_WORDS = 80

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_BOLD_HEADING = re.compile(r"^\s*(\*\*|__)([^*_\n]{2,100})\1\s*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
_CITATION_MARK = re.compile(r"\s*\(Citation:[^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_LINE_MARK = re.compile(r"^\s*(?:>\s*)+|^\s*(?:[-*+•▪◦]|\d{1,3}[.)])\s+", re.M)
# After "(Citation: …)" markers are removed, ".(Citation: X) Next" reads ". Next": a boundary.
_GLUED_BOUNDARY = re.compile(r"([a-z0-9)][.!?])(?=[A-Z][a-z]{2,})")

_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_TOC = re.compile(r"(\.\s?){4,}|…{2,}|\s(…|\.{2,})\s*[\divxl]*\s*$")
_PREAMBLE = re.compile(
    r"^(for more information|see (also|figure|table|appendix)|figure \d|table \d|source:)", re.I
)
_URLISH = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
_BOILERPLATE = re.compile(
    r"(skip to (main )?content|follow .{1,40} on (google news|twitter|x|facebook|linkedin)|"
    r"copyright\b|©|all rights reserved|\bwebdesign\b|web design by|subscribe to|sign up for|"
    r"cookies?\b.{0,40}\b(accept|consent|use)|click here|read more|share this|"
    r"tlp:\s?(white|clear|green|amber)|"
    r"this (page|document) (is )?intentionally left blank)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Unit:
    """One sentence of a document: its reading text and where it sits.

    ``index`` is the sentence's position among *all* sentences of the document
    (junk included), so units sort in reading order; ``block`` numbers the
    section-on-a-page pieces (a new block starts at each page, heading, and
    every :data:`MAX_BLOCK_UNITS` sentences).
    """

    index: int
    text: str
    page: str | None
    page_number: int
    section: str
    block: int


def reading_text(text: str) -> str:
    """``text`` as a reader sees it: links as their text, no images, emphasis or citation markers."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _CITATION_MARK.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _LINE_MARK.sub("", text)
    return text


def heading_of(line: str) -> str | None:
    """The heading text when ``line`` is a markdown heading or a standalone bold line, else None."""
    m = _MD_HEADING.match(line)
    if m:
        return reading_text(m.group(2)).strip(" *_#:") or None
    m = _BOLD_HEADING.match(line)
    if m and not _TERMINAL.search(m.group(2).strip()):
        return m.group(2).strip(" :")
    return None


def is_junk(sentence: str) -> bool:
    """True for sentences a summary should never quote.

    Too short or too long, mostly digits or symbols, table-of-contents lines,
    headings and other fragments without an ending, table rows, link lists,
    page furniture that survived cleaning, and fragments of a sentence that
    began on the previous page.
    """
    s = sentence.strip()
    n_words = len(s.split())
    if n_words < MIN_WORDS or n_words > MAX_WORDS:
        return True
    if s.startswith(("|", "#", "![", "```", "<")) or s.count("|") >= 2:
        return True
    first = s[0]
    if first.islower() and not (len(s) > 1 and s[1].isupper()):  # "sAccording" is a drop-cap slip, keep
        return True
    if not _TERMINAL.search(s):
        return True
    if _TOC.search(s) or _BOILERPLATE.search(s) or _PREAMBLE.match(s):
        return True
    chars = [c for c in s if not c.isspace()]
    letters = sum(c.isalpha() for c in chars)
    digits = sum(c.isdigit() for c in chars)
    if letters < 0.6 * len(chars) or digits > 0.25 * len(chars):
        return True
    urls = sum(len(m.group(0)) for m in _URLISH.finditer(s))
    return urls > 0.3 * len(s)


def _sentences(body: str) -> list[str]:
    out: list[str] = []
    for piece in split_sentences(reading_text(body)):
        out.extend(p.strip() for p in _GLUED_BOUNDARY.sub(r"\1\n", piece).split("\n") if p.strip())
    return out


def _page_sections(text: str, current: str) -> Iterator[tuple[str, str]]:
    """(section heading, body) pieces of one page; text before the first heading keeps ``current``."""
    body: list[str] = []
    in_code = False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        heading = None if in_code else heading_of(line)
        if heading is None:
            if not in_code:
                body.append(line)
            continue
        if any(b.strip() for b in body):
            yield current, "\n".join(body)
        body = []
        current = heading
    if any(b.strip() for b in body):
        yield current, "\n".join(body)


def iter_units(
    pages: Iterable[Page],
    *,
    title: str = "",
    keep_junk: bool = False,
    on_page: Callable[[int], None] | None = None,
) -> Iterator[Unit]:
    """Sentence units of ``pages`` in reading order, junk skipped unless ``keep_junk``.

    Pages are consumed one at a time (pass a generator to stream). Text before
    the first heading of a document gets ``title`` as its section. A sentence
    repeating the title is skipped. ``on_page(n)`` is called after page ``n``
    (1-based count of pages read) has been fully yielded.
    """
    index = 0
    block = -1
    section = title
    title_key = normalize(title)
    for count, page in enumerate(pages, start=1):
        label = page.label
        for sec, body in _page_sections(page.text, section):
            section = sec
            block += 1
            in_block = 0
            for sentence in _sentences(body):
                index += 1
                if not keep_junk and (
                    is_junk(sentence) or normalize(sentence).rstrip(".") == title_key.rstrip(".")
                ):
                    continue
                if in_block >= MAX_BLOCK_UNITS:
                    block += 1
                    in_block = 0
                in_block += 1
                yield Unit(index - 1, sentence, label, page.number, section, block)
        if on_page is not None:
            on_page(count)


def is_paged(doc: LoadedDocument) -> bool:
    """True when citations should name pages (PDFs): pages carry printed labels."""
    return any(p.label for p in doc.pages)


def section_texts(doc: LoadedDocument) -> dict[str, str]:
    """Reading text per section heading (all pages), for verifying quotes cited by section."""
    out: dict[str, list[str]] = {}
    section = doc.meta.title
    for page in doc.pages:
        for sec, body in _page_sections(page.text, section):
            section = sec
            out.setdefault(sec, []).append(reading_text(body))
    return {k: "\n".join(v) for k, v in out.items()}


@dataclass(frozen=True)
class Target:
    """How long a summary should be: at most ``points`` points and about ``words`` words."""

    points: int
    words: int


LENGTHS: dict[str, Target] = {
    "short": Target(points=4, words=120),
    "medium": Target(points=8, words=250),
    "long": Target(points=15, words=500),
}


def target_for(length: str = "medium", words: int | None = None) -> Target:
    """The :class:`Target` for ``--length`` or, when given, ``--words N`` (which wins)."""
    if words is not None:
        if words < 10 or words > 5000:
            raise InputError(f"--words {words} is out of range.", hint="Give between 10 and 5000 words.")
        return Target(points=max(1, min(40, round(words / 30))), words=words)
    try:
        return LENGTHS[length]
    except KeyError:
        raise InputError(
            f"Unknown summary length {length!r}.", hint=f"Use one of: {', '.join(LENGTHS)}."
        ) from None
