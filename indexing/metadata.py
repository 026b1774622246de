"""Fill in missing document metadata: title, published date, publisher, language, url.

Values that came with the document (front matter, HTML metadata, PDF info)
always win; inference only fills gaps. Dates are normalized to ISO 8601 at the
precision the source gives: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlparse

from core.types import DocumentMeta, LoadedDocument

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januari janvier janvier jänner",
        "february feb febr februari februar février fevrier",
        "march mar maart märz maerz mars",
        "april apr avril",
        "may mei mai",
        "june jun juni juin",
        "july jul juli juillet",
        "august aug augustus août aout",
        "september sep sept septembre",
        "october oct oktober octobre okt",
        "november nov novembre",
        "december dec dezember décembre decembre dez",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

MONTH_NAMES = frozenset(_MONTHS)  # English, Dutch, German and French month names and abbreviations
_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?!\d)")
_SLASH_YMD = re.compile(r"(?<!\d)(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)")
_MDY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.I)
_MY = re.compile(rf"\b({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.I)
_YEAR = re.compile(r"^\s*((?:19|20)\d{2})(?![\d/.:-])")  # "2014", "2014 (approx.)"

_CUE = re.compile(
    r"\b(released|published|issued|dated|posted|publication date|date of publication|"
    r"gepubliceerd|verschenen|veröffentlicht|publié)\b",
    re.I,
)
_CUE_WINDOW = 60


def _ymd(year: int, month: int, day: int | None) -> str | None:
    if not 1900 <= year <= 2100 or not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _dates_in(text: str) -> list[tuple[int, str, bool]]:
    """Every date in ``text`` as (position, ISO string, has_day), in order of position."""
    found: list[tuple[int, int, str, bool]] = []
    for m in _ISO.finditer(text):
        iso = _ymd(int(m[1]), int(m[2]), int(m[3]) if m[3] else None)
        if iso:
            found.append((m.start(), m.end(), iso, m[3] is not None))
    for m in _SLASH_YMD.finditer(text):
        iso = _ymd(int(m[1]), int(m[2]), int(m[3]))
        if iso:
            found.append((m.start(), m.end(), iso, True))
    for m in _MDY.finditer(text):
        iso = _ymd(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
        if iso:
            found.append((m.start(), m.end(), iso, True))
    for m in _DMY.finditer(text):
        iso = _ymd(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
        if iso:
            found.append((m.start(), m.end(), iso, True))
    for m in _MY.finditer(text):
        iso = _ymd(int(m[2]), _MONTHS[m[1].lower()], None)
        if iso:
            found.append((m.start(), m.end(), iso, False))
    # Drop matches nested inside a longer one (the "April 2024" inside "April 19, 2024" never
    # matches _MY, but "19 April 2024" contains a month-year match).
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out: list[tuple[int, str, bool]] = []
    last_end = -1
    for start, end, iso, has_day in found:
        if start < last_end:
            continue
        out.append((start, iso, has_day))
        last_end = end
    return out


def normalize_date(value: object) -> str | None:
    """An ISO 8601 date string for ``value``, or None when it holds no recognisable date.

    Accepts ``date``/``datetime`` objects, ints (a year) and strings such as
    "2024-01-19", "2024-01-19T10:00:00Z", "2024/01/19", "January 19, 2024",
    "19 January 2024", "April 2024", "2024-05 (approx.)" or "2024".
    """
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if 1900 <= value <= 2100 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    found = _dates_in(text)
    if found:
        return found[0][1]
    year = _YEAR.match(text)
    return year.group(1) if year else None


def infer_published(text: str) -> str | None:
    """The publication date stated in ``text``, or None.

    Preference: a day-precision date just after a cue word ("released on April
    19, 2024", "published 3 May 2023"); then a short line that is mostly a date
    (a dateline such as "Defense News April 2024" or "Publication: November
    2021"). Dates in running prose without a cue are ignored: they are usually
    events, not the publication date.
    """
    head = text[:20000]
    for cue in _CUE.finditer(head):
        window = head[cue.end() : cue.end() + _CUE_WINDOW]
        for _pos, iso, has_day in _dates_in(window):
            if has_day:
                return iso
    for line in head.splitlines():
        stripped = line.strip(" \t|#*_>-")
        if not stripped or len(stripped.split()) > 8:
            continue
        dates = _dates_in(stripped)
        if dates:
            return max(dates, key=lambda d: d[2])[1]
    return None


# --- publisher ------------------------------------------------------------------------------------

_COPYRIGHT = re.compile(
    r"^[ \t*_]*(?:copyright\s*(?:©|\(c\))?|©|\(c\))\s*"
    r"(?:(?:19|20)\d{2}\s*(?:[-–—]\s*(?:19|20)\d{2})?)\s*,?\s*"
    r"([^|\n.]{2,80})",
    re.I | re.M,
)
_FOLLOW = re.compile(
    r"^\s*follow\s+(.{2,60}?)\s+on\s+(?:google news|twitter|x|facebook|linkedin)\b", re.I | re.M
)
_WWW_LINE = re.compile(r"^\s*(?:https?://)?www\.([a-z0-9-]+)\.[a-z.]{2,10}/?\s*$", re.I | re.M)
_TRAILING_JUNK = re.compile(r"[\s.,;:]*(all rights reserved.*|\bwebdesign.*|\bdesign by.*)?$", re.I)


def infer_publisher(text: str) -> str:
    """A publisher named by page furniture in ``text`` (copyright line, "Follow X on …", a www line)."""
    for m in _COPYRIGHT.finditer(text):
        name = _TRAILING_JUNK.sub("", m.group(1)).strip(" .,-–—")
        if name and not re.search(r"\d", name) and len(name.split()) <= 6 and name.lower() != "by":
            return name
    follow = _FOLLOW.search(text)
    if follow:
        return follow.group(1).strip()
    www = _WWW_LINE.search(text)
    if www:
        return www.group(1).capitalize()
    return ""


# --- language -------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    """A word set from a whitespace-separated literal (keeps long word lists compact)."""
    return frozenset(text.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """
        the of and to in is that for it as was with be by on not he are this at from have or an
        they which but has its their were been also would will can more these than a about into after who said
        """
    ),
    "nl": _words(
        """
        de het een en van in is dat op te zijn voor met niet die aan er ook als bij door worden
        wordt naar om uit maar heeft hebben deze over nog werd
        """
    ),
    "de": _words(
        """
        der die das und in ist nicht zu den von mit sich des auf für ein eine dem auch es an als
        werden wird bei hat sind wurde oder nach einer aus
        """
    ),
    "fr": _words(
        """
        le la les et des du un une est en que qui dans pour pas au sur par ce sont avec plus ont
        été aux cette il elle nous leur mais
        """
    ),
}
_WORD = re.compile(r"[a-zà-ÿäöüß]+", re.I)


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text`` among en/nl/de/fr by stopword share; "" when unsure."""
    words = [w.lower() for w in _WORD.findall(text[:50000])]
    if len(words) < 8:
        return ""
    scores = {lang: sum(1 for w in words if w in stops) / len(words) for lang, stops in _STOPWORDS.items()}
    ranked = sorted(scores, key=lambda lang: scores[lang], reverse=True)
    best, second = ranked[0], ranked[1]
    return best if scores[best] >= 0.08 and scores[best] > 1.5 * scores[second] else ""


# --- title and url --------------------------------------------------------------------------------

_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_URL_LINE = re.compile(
    r"^\s*(?:source|url|link|originally published at)\s*:\s*(https?://\S+)\s*$", re.I | re.M
)


_CONTINUES = re.compile(r"\b(and|or|of|the|for|in|on|to|with|a|an|&|-|–|—|:)$", re.I)


def infer_title(text: str) -> str:
    """The first markdown heading, else the first non-empty line (trimmed to 200 characters).

    A first line that visibly continues ("Managed Detection and") is joined with the next one.
    """
    head = text[:5000]
    heading = _HEADING.search(head)
    if heading:
        return heading.group(1).strip()
    lines = [line.strip(" \t|#*_>") for line in head.splitlines()]
    lines = [line for line in lines if len(line) >= 3]
    if not lines:
        return ""
    title = lines[0]
    if len(lines) > 1 and _CONTINUES.search(title) and len(lines[1]) <= 120:
        title = f"{title} {lines[1]}"
    return title if len(title) <= 200 else title[:200].rsplit(" ", 1)[0] + "…"


def infer_url(text: str) -> str:
    """A "Source: https://…" style line near the top, else ""."""
    match = _URL_LINE.search(text[:5000])
    return match.group(1) if match else ""


def infer_metadata(doc: LoadedDocument, *, raw: LoadedDocument | None = None) -> LoadedDocument:
    """Fill missing title, published, publisher, language and url from the text.

    ``raw`` is the document before cleaning: page furniture that cleaning
    removes (copyright footers, "Follow X on Google News") still names the
    publisher. Existing values are kept, except ``published`` which is
    normalized to ISO 8601 (and inferred when it cannot be normalized).
    """
    meta: DocumentMeta = doc.meta
    text = doc.text
    furniture = raw.text if raw is not None else text
    title = " ".join(meta.title.split()) or infer_title(text)
    published = normalize_date(meta.published) if meta.published else None
    if published is None:
        published = infer_published(text) or (infer_published(furniture) if raw is not None else None)
    publisher = " ".join(meta.publisher.split()) or infer_publisher(furniture)
    language = meta.language.strip().lower() or detect_language(text)
    url = meta.url or infer_url(text) or infer_url(furniture)
    if url and not urlparse(url).scheme:
        url = ""
    return doc.with_meta(
        meta.with_(title=title, published=published, publisher=publisher, language=language, url=url)
    )
