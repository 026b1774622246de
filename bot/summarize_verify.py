"""Verification of LLM summary points against the document, as answers are verified.

A point keeps a citation only when its id names a sentence the model was given
and that sentence shares content with the point; a quoted span in a point must
occur (whitespace- and quote-normalised, :func:`core.textmatch.contains`) on the
cited page (PDFs) or in the cited section. A point left without a citation, or
with a quote that is not there, is dropped and reported in ``Summary.removed``.
A figure or a name (actor, agency, code) in a point that does not occur on its
cited pages is flagged in the notes; the point is kept, the reader checks it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.results import RemovedCitation, SummaryCitation, SummaryPoint
from bot.sentences import content_terms, named_entities, numbers
from bot.summarize_llm import Point
from bot.summarize_units import Unit, reading_text, section_texts
from core.textmatch import contains
from core.types import LoadedDocument

_QUOTE = re.compile(r"[\"“”„]([^\"“”„\n]{3,}?)[\"“”„]")


class Scopes:
    """Reading text of every page and section of a document, for quote and figure checks."""

    def __init__(self, doc: LoadedDocument, *, paged: bool) -> None:
        self.paged = paged
        self.pages = {p.number: reading_text(p.text) for p in doc.pages} if paged else {}
        self.sections = {} if paged else section_texts(doc)
        self.whole = "" if paged or len(self.sections) > 1 else "\n".join(self.sections.values())

    def of(self, unit: Unit) -> str:
        """The text a quote citing ``unit`` must occur in: its page, or its section."""
        if self.paged:
            return self.pages.get(unit.page_number, unit.text)
        return self.sections.get(unit.section, self.whole or unit.text)


def _is_name(entity: str) -> bool:
    """Names worth checking: several capitalised words, acronyms, codes ("Volt Typhoon", "MIVD", "APT28")."""
    return " " in entity or (entity.isupper() and len(entity) > 1) or any(ch.isdigit() for ch in entity)


def citation_for(unit: Unit, *, paged: bool, title: str) -> SummaryCitation:
    """The citation of one sentence: page label for PDFs, else section heading; the sentence as quote."""
    section = unit.section if unit.section != title or not paged else ""
    page = (unit.page or str(unit.page_number)) if paged else None
    return SummaryCitation(quote=unit.text, page=page, section=section)


def verify_points(
    points: Sequence[Point],
    units: Mapping[int, Unit],
    scopes: Scopes,
    *,
    title: str,
    removed: list[RemovedCitation],
    notes: list[str],
) -> list[SummaryPoint]:
    """Cited, verified summary points; what fails is appended to ``removed`` (and flags to ``notes``)."""
    out: list[SummaryPoint] = []
    for point in points:
        cited = [units[i] for i in point.ids if i in units]
        for i in point.ids:
            if i not in units:
                removed.append(RemovedCitation(f"[c{i}]", "cites a sentence that does not exist", point.text))
        terms = set(content_terms(point.text))
        supported: list[Unit] = []
        for unit in cited:
            if terms and not terms & set(content_terms(unit.text)):
                removed.append(
                    RemovedCitation(
                        f"[c{unit.index + 1}]", "the cited sentence does not support the point", point.text
                    )
                )
            else:
                supported.append(unit)
        if not supported:
            removed.append(RemovedCitation("", "point dropped: no supporting citation left", point.text))
            continue
        scope = "\n".join(dict.fromkeys(scopes.of(u) for u in supported))
        bad_quote = next((q for q in _QUOTE.findall(point.text) if not contains(scope, q)), None)
        if bad_quote is not None:
            where = "page" if scopes.paged else "section"
            removed.append(
                RemovedCitation(
                    f'"{bad_quote[:80]}"', f"point dropped: quote not found in the cited {where}", point.text
                )
            )
            continue
        citations = [citation_for(u, paged=scopes.paged, title=title) for u in dict.fromkeys(supported)]
        for q in _QUOTE.findall(point.text):
            for u, c in zip(dict.fromkeys(supported), citations, strict=True):
                if contains(u.text, q):
                    c.quote = q
                    break
        missing = sorted(numbers(point.text) - numbers(scope)) + [
            e for e in named_entities(point.text) if _is_name(e) and not contains(scope, e)
        ]
        flags = []
        if missing:
            flag = (
                f"{', '.join(missing)} does not occur on its cited {'page' if scopes.paged else 'section'}."
            )
            flags.append(flag)
            notes.append(f"Check point {len(out) + 1}: {flag}")
        out.append(SummaryPoint(point.text, citations, flags))
    return out
