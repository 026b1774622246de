"""Result types of the read path: answers and summaries.

The CLI prints them (markdown or JSON) and the Slack app renders them as
Block Kit; neither surface builds its own shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.types import Passage


@dataclass
class Citation:
    """One numbered source actually cited by an answer."""

    n: int
    source: str
    title: str = ""
    publisher: str = ""
    published: str | None = None
    page: str | None = None
    url: str = ""
    quote: str = ""
    chunk_id: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON shape of `briefbot ask --json` citations."""
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "publisher": self.publisher,
            "published": self.published,
            "page": self.page,
            "url": self.url,
            "quote": self.quote,
        }


@dataclass
class RemovedCitation:
    """A citation marker or claim removed by verification, and why."""

    marker: str
    reason: str
    sentence: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON shape."""
        return {"marker": self.marker, "reason": self.reason, "sentence": self.sentence}


@dataclass
class Answer:
    """A verified, cited answer (or an honest refusal)."""

    question: str
    answer: str
    refused: bool
    method: str  # "extractive" or "llm:<provider:model>"
    citations: list[Citation] = field(default_factory=list)
    removed_citations: list[RemovedCitation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "LLM timed out; extractive answer shown"
    standalone_question: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON shape of `briefbot ask --json`."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "method": self.method,
            "citations": [c.to_json() for c in self.citations],
            "removed_citations": [r.to_json() for r in self.removed_citations],
            "passages": [p.to_json() for p in self.passages],
            "notes": list(self.notes),
            "standalone_question": self.standalone_question,
        }


@dataclass
class SummaryCitation:
    """Where one summary point comes from: page (PDFs) or section, with a verbatim quote."""

    quote: str
    page: str | None = None
    section: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON shape."""
        return {"page": self.page, "section": self.section, "quote": self.quote}

    def label(self) -> str:
        """'[p. 12]' for paged documents, '[§ Heading]' otherwise."""
        if self.page:
            return f"[p. {self.page}]"
        if self.section:
            return f"[§ {self.section}]"
        return ""


@dataclass
class SummaryPoint:
    """One point of a summary with its citations."""

    text: str
    citations: list[SummaryCitation] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # e.g. a number not found on the cited page

    def to_json(self) -> dict[str, Any]:
        """JSON shape."""
        out: dict[str, Any] = {"text": self.text, "citations": [c.to_json() for c in self.citations]}
        if self.flags:
            out["flags"] = list(self.flags)
        return out


@dataclass
class Summary:
    """A cited summary of one document."""

    title: str
    source: str
    publisher: str = ""
    published: str | None = None
    url: str = ""
    method: str = "extractive"
    points: list[SummaryPoint] = field(default_factory=list)
    removed: list[RemovedCitation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """The points as one paragraph of plain text."""
        return " ".join(p.text for p in self.points)

    @property
    def words(self) -> int:
        """Word count of the summary text."""
        return len(self.summary.split())

    def to_json(self) -> dict[str, Any]:
        """JSON shape of `briefbot summarize --format json`."""
        return {
            "title": self.title,
            "source": self.source,
            "publisher": self.publisher,
            "published": self.published,
            "url": self.url,
            "method": self.method,
            "words": self.words,
            "summary": self.summary,
            "points": [p.to_json() for p in self.points],
            "removed": [r.to_json() for r in self.removed],
            "notes": list(self.notes),
        }
