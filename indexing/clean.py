"""Strip page boilerplate from loaded documents without losing body text.

The rules are line-based and deliberately conservative: a line is only dropped
when it is recognisably page furniture (skip links, "Follow X on Google News",
share/subscribe prompts, cookie notices, copyright and web-design footers,
breadcrumbs, photo credits, runs of navigation menu items, page numbers,
headers and footers that repeat across PDF pages). Markdown structure
(headings, lists, tables, quotes, code) is never merged or dropped by the
shape rules. After that, words hyphenated across line breaks are re-joined and
hard-wrapped lines are re-flowed into paragraphs.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from core.types import LoadedDocument, Page
from indexing.markup import simplify_markup

# --- line classification ------------------------------------------------------------------------------

_STRUCTURAL = re.compile(r"^\s*(#{1,6}\s|[-*+•▪◦]\s|\d{1,3}[.)]\s|>|\||```|~~~|<!--)")
_HEADING = re.compile(r"^#{1,6}\s")
_LIST_ITEM = re.compile(r"^\s*([-*+•▪◦]\s|\d{1,3}[.)]\s|#{1,6}\s)")
_HRULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_SENTENCE_END = re.compile(r"[.!?…:;][\"”’)\]*_]*\s*$")
_KEY_VALUE = re.compile(r"^[\w][\w .&/()-]{0,40}:\s+\S")

_BOILERPLATE_LINES = [
    re.compile(p, re.I)
    for p in (
        r"^skip (to|navigation)\b.{0,40}$",
        r"^(jump|go) to (main )?(content|navigation|menu)\b.{0,20}$",
        r"^follow\b.{1,60}\bon (google news|twitter|x|facebook|linkedin|instagram|telegram|youtube)\b"
        r".{0,40}$",
        r"^(share|tweet|pin|email|print|copy link|whatsapp)( (this|the))?( (article|story|post|page))?"
        r"( (on|via|with) \w+)?\s*[:!]?$",
        r"^(share|tweet) (on|via) .{1,40}$",
        r"^(subscribe|sign up|register)\b[^.!?]{0,60}\b(newsletter|updates|inbox|alerts|free|now|today)\b"
        r"[^.!?]{0,40}[.!]?$",
        r"^(subscribe|sign up|log ?in|sign in|register|advertisement|advertising|sponsored( content)?|"
        r"loading\.*|read more|see more|show more|back to top|scroll to top|top of page|print this page)"
        r"\s*[.:!]?$",
        r"^(related|recommended|popular|trending|most read)( (articles|posts|stories|news|reading|content))?"
        r"\s*:?$",
        r"^(all rights reserved)\.?$",
        r"^(web\s?design|website|site|design(ed)?|powered|developed|built)\s+by\b.{0,60}$",
        r"^(photo|picture|image|video)( source| credit)?s?\s*:.{0,80}$",
        r"^advertisement\W*(scroll (down )?to continue( reading)?\W*)?$",
        r"^.{0,40}\b(sign up|subscribe)\b.{0,80}\bnewsletter\b.{0,300}$",
        r"^\W*(you('ve| have) (accessed|reached) an? (article|story) .{0,40}subscribers|"
        r"(this (article|content) is )?(only )?available (only )?to (paid )?subscribers)\b.{0,60}$",
        r"^(was this (page|article|document|information) (helpful|useful)\?).{0,40}$",
        # The banner on every US government site (cisa.gov, nist.gov, …).
        r"^an official website of the united states government\b.{0,40}$",
        r"^here['’]?s how you know\W*$",
        r"^(official websites use \.gov|secure \.gov websites use https)\b.{0,300}$",
        r"^an? \.gov website belongs to an official government organi[sz]ation\b.{0,100}$",
        r"^an? \W*lock\W.{0,400}safely connected to the \.gov website\b.{0,200}$",
    )
]
_COOKIE = re.compile(r"\bcookies?\b", re.I)
_COOKIE_CONTEXT = re.compile(
    r"\b(we use cookies|(this|our) (web)?site uses? cookies|uses cookies to|"
    r"cookies? (policy|settings|preferences|consent|notice|banner)|accept (all )?cookies|"
    r"by continuing to (browse|use))\b",
    re.I,
)
_COPYRIGHT = re.compile(r"^(copyright\s*(©|\(c\)|\d{4})|©|\(c\)\s*\d{4})", re.I)
_COPYRIGHT_ANYWHERE = re.compile(r"(copyright\s*©|©\s*\d{4}|\bwebdesign\b|\ball rights reserved\b)", re.I)
_CREDIT_SUFFIX = re.compile(r"\((picture|photo|image) (source|credit)s?\s*:[^)]*\)\s*$", re.I)
_PAGE_WORDS = re.compile(r"^(page|seite|pagina|p\.)\s*\d{1,4}(\s*(of|/|van|von|de|sur)\s*\d{1,4})?$", re.I)
_BARE_PAGE_NUMBER = re.compile(r"^[-–—\s]*(\d{1,4}|[ivxlcdm]{1,7})[-–—\s]*$", re.I)
_MENU_WORD = re.compile(r"^([^\W\d_][\w'’&.-]*|&|\+)$")
_BYLINE = re.compile(r"^(by|door|von|par|written by|posted by)\s", re.I)
_BREADCRUMB_SEP = re.compile(r"\s*[|›»]\s*|\s+[>/]\s+")


def _is_menu_line(line: str) -> bool:
    """A short label without sentence punctuation: the shape of a navigation menu item."""
    if not line or _STRUCTURAL.match(line) or _SENTENCE_END.search(line) or "," in line:
        return False
    words = line.split()
    return 1 <= len(words) <= 4 and all(_MENU_WORD.match(w) for w in words)


def _is_breadcrumb(line: str) -> bool:
    """'Home › News › Defense' or '| Defense News Army 2024' (but not a markdown table row)."""
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|") and stripped.count("|") >= 2:
        return False
    if not _BREADCRUMB_SEP.search(stripped) or _SENTENCE_END.search(stripped) or _BYLINE.match(stripped):
        return False
    parts = [p for p in _BREADCRUMB_SEP.split(stripped) if p.strip()]
    words = stripped.split()
    return 1 <= len(parts) <= 6 and len(words) <= 10 and all(len(p.split()) <= 5 for p in parts)


def _is_cookie_notice(line: str) -> bool:
    return bool(_COOKIE.search(line) and _COOKIE_CONTEXT.search(line)) and len(line.split()) <= 60


def _is_copyright_line(line: str) -> bool:
    stripped = line.strip(" |*_")
    return (
        bool(_COPYRIGHT.match(stripped) or _COPYRIGHT_ANYWHERE.search(stripped))
        and len(stripped.split()) <= 30
    )


def is_boilerplate_line(line: str) -> bool:
    """True when ``line`` on its own is recognisably page furniture, not body text."""
    stripped = line.strip().strip("*_").strip()
    if not stripped:
        return False
    if any(p.match(stripped) for p in _BOILERPLATE_LINES):
        return True
    if _is_cookie_notice(stripped) or _is_copyright_line(stripped) or _PAGE_WORDS.match(stripped):
        return True
    if _CREDIT_SUFFIX.search(stripped) and not _HEADING.match(stripped):
        return True  # an image caption with its credit; captions repeat body sentences
    return not _LIST_ITEM.match(stripped) and _is_breadcrumb(stripped)


# --- whitespace, hyphens, reflow ------------------------------------------------------------------------

_INVISIBLE = str.maketrans({"\u00ad": None, "\u200b": None, "\u200c": None, "\ufeff": None, "\u2060": None})
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_HYPHEN_BREAK = re.compile(r"([^\W\d_]{2,})[-\u2010]\n[ \t]*([a-zà-ÿ]{2,})")
_DROP_CAP = re.compile(r"(?m)^([A-Z])[ \t]*\n(?=[a-z]{2,})")


def normalize_whitespace(text: str) -> str:
    """NFC, no invisible characters, single spaces, no trailing spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def join_hyphenated(text: str) -> str:
    """Re-join words split across lines: "espio-\\nnage" → "espionage".

    When the hyphenated form occurs elsewhere in the text ("state-\\nsponsored"
    next to "state-sponsored"), the hyphen is kept.
    """

    def repl(m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        if f"{left}-{right}".lower() in lowered:
            return f"{left}-{right}"
        return left + right

    lowered = text.lower()
    text = _HYPHEN_BREAK.sub(repl, text)
    return _DROP_CAP.sub(r"\1", text)


def _joins(line: str, nxt: str, width: int) -> bool:
    """Whether raw line ``nxt`` continues raw line ``line`` (a hard wrap inside a paragraph).

    A lower-case continuation always joins. Otherwise ``line`` must be long
    (near the block's wrap width) and unfinished, and ``nxt`` must itself look
    like running text (long, or ending a sentence) rather than a short heading.
    """
    if not line or not nxt or _STRUCTURAL.match(nxt) or _HRULE.match(nxt) or _HEADING.match(line):
        return False
    if line.startswith(("|", "```", "~~~")) or _HRULE.match(line) or _KEY_VALUE.match(nxt):
        return False
    if nxt[0].islower() and not re.match(r"(www\.|https?:)", nxt):
        return True
    if _SENTENCE_END.search(line) or len(line) < 30 or len(line) < 0.6 * width:
        return False
    return len(nxt) >= 0.6 * width or bool(_SENTENCE_END.search(nxt))


def reflow(text: str) -> str:
    """Join hard-wrapped lines within paragraphs; keep blank lines, headings, lists, tables and code."""
    out: list[str] = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if any(line.startswith(("```", "~~~")) for line in lines):
            out.append(block)
            continue
        width = max((len(line) for line in lines), default=0)
        merged: list[str] = []
        previous = ""
        for line in lines:
            if merged and _joins(previous, line, width):
                merged[-1] = f"{merged[-1]} {line}"
            else:
                merged.append(line)
            previous = line
        out.append("\n".join(merged))
    return "\n\n".join(out)


# --- document-level rules ---------------------------------------------------------------------------------


def _drop_menu_runs(lines: list[str], min_run: int = 5) -> list[str]:
    """Drop runs of ``min_run`` or more menu-shaped lines (blank lines inside a run are ignored)."""
    keep = [True] * len(lines)
    i = 0
    while i < len(lines):
        if not _is_menu_line(lines[i]):
            i += 1
            continue
        j, members = i, []
        while j < len(lines) and (not lines[j] or _is_menu_line(lines[j])):
            if lines[j]:
                members.append(j)
            j += 1
        if len(members) >= min_run:
            for k in range(members[0], members[-1] + 1):
                keep[k] = False
        i = j
    return [line for line, k in zip(lines, keep, strict=True) if k]


def _site_names(lines: list[str]) -> set[str]:
    """Site names announced by page furniture ("Follow Army Recognition on …", "© 2024 Army Recognition")."""
    names: set[str] = set()
    for line in lines:
        m = re.match(r"^follow (.{2,60}?) on \w", line, re.I)
        if m:
            names.add(m.group(1).strip().lower())
        m = re.search(
            r"(?:copyright|©)\s*©?\s*(?:\d{4}\s*(?:[-–—]\s*\d{4})?)?\s*([^|\n.,]{2,60})", line, re.I
        )
        if m and _is_copyright_line(line):
            name = re.sub(
                r"\s*(all rights reserved|webdesign|design by).*$", "", m.group(1), flags=re.I
            ).strip()
            if name and not re.search(r"\d", name):
                names.add(name.lower())
    return names


def _drop_site_taglines(lines: list[str], names: set[str]) -> list[str]:
    """Drop short non-sentence lines that begin with the site's own name (taglines, logos)."""
    if not names:
        return lines
    out = []
    for i, line in enumerate(lines):
        low = line.lower()
        if (
            i > 0
            and any(low.startswith(n) for n in names)
            and len(line.split()) <= 10
            and not _SENTENCE_END.search(line)
            and not _STRUCTURAL.match(line)
        ):
            continue
        out.append(line)
    return out


def _drop_footer(lines: list[str]) -> list[str]:
    """Cut a web page's footer: from a copyright line near the end, plus the short label lines before it."""
    nonblank = [i for i, line in enumerate(lines) if line]
    if len(nonblank) < 4:
        return lines
    tail_start = nonblank[max(0, int(len(nonblank) * 0.75) - 1)]
    cut = next(
        (
            i
            for i in nonblank
            if i >= tail_start and _is_copyright_line(lines[i]) and not _STRUCTURAL.match(lines[i])
        ),
        None,
    )
    if cut is None:
        return lines
    after = [line for line in lines[cut + 1 :] if line]
    if len(after) > 8 or any(len(line.split()) > 20 for line in after):
        return lines  # real text follows (an appendix, a licence): only the copyright line goes
    j = cut
    dropped = 0
    while j > 0 and dropped < 6:
        prev = lines[j - 1]
        if not prev or _HRULE.match(prev):
            j -= 1
            continue
        if _STRUCTURAL.match(prev) or _SENTENCE_END.search(prev) or len(prev.split()) > 8:
            break
        j -= 1
        dropped += 1
    return lines[:j]


def _normalize_edge_line(line: str) -> str:
    """Comparison key for header/footer lines; numbers only vary in short lines (page numbers, dates)."""
    key = re.sub(r"\s+", "", line.lower())
    return re.sub(r"\d+", "#", key) if len(line.split()) <= 8 else key


def strip_repeated_page_lines(pages: list[Page] | tuple[Page, ...], edge: int = 4) -> list[Page]:
    """Remove running headers/footers and page numbers from PDF-like pages.

    A line within the first or last ``edge`` non-empty lines of a page is a
    running header/footer when the same line (digits ignored, so "4 CISA | …"
    and "5 CISA | …" match) sits at a page edge on at least half of the pages
    (and at least 3). A line at a page edge holding only that page's number or
    label ("12", "- 12 -", "Page 12 of 40", "iv") is dropped as well.
    """
    pages = list(pages)
    counts: Counter[str] = Counter()
    edges: list[set[int]] = []
    for page in pages:
        lines = page.text.split("\n")
        idx = [i for i, line in enumerate(lines) if line.strip()]
        zone = set(idx[:edge] + idx[-edge:])
        edges.append(zone)
        counts.update({_normalize_edge_line(lines[i]) for i in zone})
    threshold = max(3, (len(pages) + 1) // 2)
    repeated = {key for key, n in counts.items() if n >= threshold and key} if len(pages) >= 3 else set()
    out: list[Page] = []
    for page, zone in zip(pages, edges, strict=True):
        lines = page.text.split("\n")
        numbers = {str(page.number), (page.label or "").lower()} - {""}
        kept = []
        for i, line in enumerate(lines):
            if i in zone:
                stripped = line.strip()
                bare = _BARE_PAGE_NUMBER.match(stripped)
                if _normalize_edge_line(line) in repeated:
                    continue
                if bare and bare.group(1).lower() in numbers:
                    continue
                if _PAGE_WORDS.match(stripped):
                    continue
            kept.append(line)
        out.append(Page(number=page.number, text="\n".join(kept), label=page.label))
    return out


# --- entry points -------------------------------------------------------------------------------------------


def clean_text(text: str, *, web_page: bool = True) -> str:
    """Clean one text: boilerplate lines out, hyphenation re-joined, hard wraps re-flowed.

    ``web_page`` enables the rules that only make sense for a whole page of
    text (cutting the footer after a copyright line near the end, dropping the
    site's own taglines); PDF pages are cleaned with it off.
    """
    text = normalize_whitespace(simplify_markup(text))
    lines = text.split("\n")
    names = _site_names(lines) if web_page else set()
    if web_page:
        lines = _drop_footer(lines)
    lines = [line for line in lines if not is_boilerplate_line(line)]
    lines = _drop_menu_runs(lines)
    lines = _drop_site_taglines(lines, names)
    while lines and (not lines[-1] or _HRULE.match(lines[-1])):
        lines.pop()
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    text = join_hyphenated(text)
    return reflow(text)


def clean_document(doc: LoadedDocument) -> LoadedDocument:
    """Clean every page of ``doc``; multi-page documents also lose running headers and footers.

    Pages keep their numbers and labels (a page may end up empty).
    """
    paged = len(doc.pages) > 1
    pages = strip_repeated_page_lines(doc.pages) if paged else list(doc.pages)
    cleaned = [
        Page(number=p.number, text=clean_text(p.text, web_page=not paged), label=p.label) for p in pages
    ]
    return doc.with_pages(cleaned)
