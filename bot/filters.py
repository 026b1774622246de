"""Search filters: inline syntax in questions and date bounds for CLI flags.

A question may carry filters inline, e.g.
``publisher:CISA after:2024-01-01 before:2024-06 lang:nl what changed?`` or
``publisher:"Army Recognition" …``. :func:`parse_inline_filters` strips them
from the text and returns them as :class:`~core.types.SearchFilters`, which the
retriever passes to Chroma's ``where`` and to BM25 alike.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from core.errors import InputError
from core.types import SearchFilters

# Filter names as typed by users → SearchFilters field.
FILTER_KEYS: dict[str, str] = {
    "publisher": "publisher",
    "pub": "publisher",
    "source": "source",
    "src": "source",
    "after": "after",
    "since": "after",
    "before": "before",
    "until": "before",
    "lang": "language",
    "language": "language",
}

_INLINE = re.compile(
    r"(?<!\S)(?P<key>" + "|".join(sorted(FILTER_KEYS, key=len, reverse=True)) + r"):"
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|“(?P<cq>[^”]*)”|(?P<bare>[^\s\"']+))",
    re.IGNORECASE,
)
_DATE = re.compile(r"^(?P<y>\d{4})(?:[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?)?$")
_LANG = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
DATE_FORMATS = "YYYY, YYYY-MM or YYYY-MM-DD"


def parse_date_bound(value: str, *, end: bool, name: str = "date") -> date:
    """Parse ``2024``, ``2024-03`` or ``2024-03-15`` as a date bound.

    With ``end=False`` (``after``) a period means its first day, with ``end=True``
    (``before``) its last day, so ``before:2024-06`` includes all of June.
    Raises :class:`InputError` naming ``name`` when the value is not a valid date.
    """
    text = value.strip()
    match = _DATE.match(text)
    if not match:
        raise InputError(
            f"Invalid date in {name}:{value!r}.", hint=f"Use {DATE_FORMATS}, e.g. {name}:2024-03-15."
        )
    year = int(match["y"])
    month = int(match["m"]) if match["m"] else None
    day = int(match["d"]) if match["d"] else None
    try:
        if month is None:
            return date(year, 12, 31) if end else date(year, 1, 1)
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return date(year, month, last if end else 1)
        return date(year, month, day)
    except ValueError:
        raise InputError(
            f"Invalid date in {name}:{value!r} (no such day).",
            hint=f"Use {DATE_FORMATS}, e.g. {name}:2024-03-15.",
        ) from None


def _language(value: str, name: str) -> str:
    lang = value.strip().lower()
    if not _LANG.match(lang):
        raise InputError(
            f"Invalid language in {name}:{value!r}.", hint="Use a language code such as en, nl or de."
        )
    return lang


def make_filters(
    *,
    publisher: str | None = None,
    source: str | None = None,
    after: str | date | None = None,
    before: str | date | None = None,
    language: str | None = None,
) -> SearchFilters:
    """Build validated filters from CLI-style strings (``--after 2024-01`` …).

    Raises :class:`InputError` naming the option for a bad date or language, or
    when ``after`` is later than ``before``.
    """
    after_d = parse_date_bound(after, end=False, name="after") if isinstance(after, str) else after
    before_d = parse_date_bound(before, end=True, name="before") if isinstance(before, str) else before
    if after_d and before_d and after_d > before_d:
        raise InputError(
            f"The date range is empty: after {after_d.isoformat()} "
            f"is later than before {before_d.isoformat()}.",
            hint="Swap or widen the after/before dates.",
        )
    return SearchFilters(
        publisher=(publisher or "").strip() or None,
        source=(source or "").strip() or None,
        after=after_d,
        before=before_d,
        language=_language(language, "lang") if language else None,
    )


def parse_inline_filters(question: str) -> tuple[str, SearchFilters]:
    """Strip ``key:value`` filters from a question.

    Recognised keys (case-insensitive): ``publisher`` (``pub``), ``source`` (``src``),
    ``after`` (``since``), ``before`` (``until``), ``lang``
    (``language``). Values may be quoted: ``publisher:"Army Recognition"``.
    Anything else that looks like ``word:word`` (``EXE:5200``) is left alone.
    Returns the remaining question (whitespace collapsed) and the filters; a later
    occurrence of the same key wins. Raises :class:`InputError` naming the filter
    when a date or language value is invalid.
    """
    values: dict[str, str] = {}

    def take(match: re.Match[str]) -> str:
        field = FILTER_KEYS[match["key"].lower()]
        raw = next(v for v in (match["dq"], match["sq"], match["cq"], match["bare"]) if v is not None)
        if not raw.strip():
            raise InputError(
                f"The filter {match['key']}: has no value.", hint=f'Write e.g. {match["key"]}:"value".'
            )
        values[field] = raw.strip()
        return " "

    rest = _INLINE.sub(take, question)
    filters = make_filters(
        publisher=values.get("publisher"),
        source=values.get("source"),
        after=values.get("after"),
        before=values.get("before"),
        language=values.get("language"),
    )
    return " ".join(rest.split()), filters


def describe_filters(filters: SearchFilters | None) -> str:
    """A short human description, e.g. ``publisher=CISA, after 2024-01-01`` ('' when empty)."""
    if filters is None or filters.is_empty():
        return ""
    parts = []
    if filters.publisher:
        parts.append(f"publisher={filters.publisher}")
    if filters.source:
        parts.append(f"source={filters.source}")
    if filters.language:
        parts.append(f"lang={filters.language}")
    if filters.after:
        parts.append(f"after {filters.after.isoformat()}")
    if filters.before:
        parts.append(f"before {filters.before.isoformat()}")
    return ", ".join(parts)
