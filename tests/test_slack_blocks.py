"""Block Kit rendering: answers with sources, refusals, summaries, notices, and Slack's size limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.results import Answer, Citation, RemovedCitation, Summary, SummaryCitation, SummaryPoint
from bot.slack.blocks import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    SlackMessage,
    answer_messages,
    format_when,
    home_view,
    notice_messages,
    split_mrkdwn,
    summary_messages,
)
from core.types import DocumentMeta, Passage
from tests.servers.slack_api import FakeStatus


def citation(n: int, quote: str = "A quote.", **kw: object) -> Citation:
    values: dict[str, object] = {
        "n": n,
        "source": f"reports/r{n}.md",
        "title": f"Report {n}",
        "publisher": "CISA",
        "published": "2024-05-01",
        "page": str(n),
        "url": f"https://www.cisa.gov/r{n}",
        "quote": quote,
    }
    values.update(kw)
    return Citation(**values)  # type: ignore[arg-type]


def section_texts(messages: list[SlackMessage]) -> list[str]:
    texts = []
    for m in messages:
        for b in m.blocks:
            if b["type"] == "section" and "text" in b:
                texts.append(b["text"]["text"])
            for e in b.get("elements", []):
                if "text" in e and isinstance(e["text"], str):
                    texts.append(e["text"])
    return texts


def assert_within_limits(messages: list[SlackMessage]) -> None:
    for m in messages:
        assert m.text
        assert len(m.blocks) <= MAX_BLOCKS
        for text in section_texts([m]):
            assert len(text) <= SECTION_LIMIT


def test_answer_has_markers_sources_quotes_context_and_buttons() -> None:
    answer = Answer(
        question="q",
        answer="Energy was targeted [1]. Water too [2].",
        refused=False,
        method="llm:openai:gpt-4o-mini",
        citations=[citation(1), citation(2, url="")],
        notes=["LLM timed out; extractive answer shown"],
        removed_citations=[RemovedCitation(marker="[7]", reason="no such passage")],
    )
    (message,) = answer_messages(
        answer, answer_id="abc123def456", index_updated=datetime(2025, 3, 4, 5, 6, tzinfo=UTC)
    )
    texts = section_texts([message])
    assert texts[0] == "Energy was targeted [1]. Water too [2]."
    assert (
        "*[1]* <https://www.cisa.gov/r1|Report 1> (cisa.gov) · CISA · 2024-05-01 · p. 1\n> A quote." in texts
    )
    assert "*[2]* Report 2 (reports/r2.md) · CISA · 2024-05-01 · p. 2\n> A quote." in texts
    joined = "\n".join(texts)
    assert "Written by openai:gpt-4o-mini" in joined and "Index updated 2025-03-04 05:06 UTC" in joined
    assert "LLM timed out" in joined and "1 unsupported citation removed" in joined
    assert message.blocks[-1]["type"] == "actions"
    assert message.text == "Energy was targeted [1]. Water too [2]."


def test_refusal_lists_closest_passages_without_sources_section() -> None:
    passage = Passage(
        chunk_id="c", text="Some nearby text " * 40, source="r.md", title="Nearby", url="https://a.example/r"
    )
    answer = Answer(
        question="q",
        answer="Nothing in the indexed reports answers this.",
        refused=True,
        method="extractive",
        passages=[passage],
    )
    texts = section_texts(answer_messages(answer, answer_id="abcdef0123"))
    joined = "\n".join(texts)
    assert "Closest passages" in joined and "<https://a.example/r|Nearby>" in joined
    assert "*Sources*" not in joined
    assert "Extracted verbatim" in joined


def test_long_answers_split_into_sections_and_messages_within_slack_limits() -> None:
    long_text = " ".join(f"Sentence number {i} about the energy sector [1]." for i in range(900))
    answer = Answer(
        question="q",
        answer=long_text,
        refused=False,
        method="extractive",
        citations=[citation(i, quote="Q" * 5000) for i in range(1, 61)],
    )
    messages = answer_messages(answer, answer_id="abcdef0123")
    assert len(messages) > 1
    assert_within_limits(messages)
    assert messages[-1].blocks[-1]["type"] == "actions"  # buttons once, at the very end
    assert sum(b["type"] == "actions" for m in messages for b in m.blocks) == 1
    rebuilt = " ".join(t for t in section_texts(messages) if t.startswith("Sentence"))
    assert rebuilt.split() == long_text.split()  # nothing lost at the cuts
    assert len(json.dumps([m.blocks for m in messages])) > 0


def test_split_mrkdwn_never_cuts_an_entity() -> None:
    text = "&amp;" * 1000
    pieces = split_mrkdwn(text, limit=3000)
    assert "".join(pieces) == text and all(p.endswith(";") for p in pieces)


def test_summary_points_show_labels_and_quotes() -> None:
    summary = Summary(
        title="Advisory",
        source="a.pdf",
        publisher="NCSC",
        published="2025-01-01",
        url="https://ncsc.gov.uk/a",
        points=[
            SummaryPoint("First point.", [SummaryCitation(quote="Exact words.", page="12")]),
            SummaryPoint("Second point.", [SummaryCitation(quote="More words.", section="Scope")]),
        ],
    )
    texts = section_texts(summary_messages(summary))
    joined = "\n".join(texts)
    assert "<https://ncsc.gov.uk/a|Advisory> (ncsc.gov.uk) · NCSC · 2025-01-01" in joined
    assert "• First point. _[p. 12]_\n> Exact words." in joined
    assert "• Second point. _[§ Scope]_" in joined
    assert "Extractive summary" in joined


def test_notice_shows_three_points_and_survives_a_missing_summary() -> None:
    meta = DocumentMeta(
        doc_id="d", source="new.md", title="New <!here> report", publisher="CISA", published="2025-02-02"
    )
    points = [SummaryPoint(f"P{i}.", [SummaryCitation(quote="q", page=str(i))]) for i in range(5)]
    (message,) = notice_messages(meta, Summary(title="", source="new.md", points=points))
    joined = "\n".join(section_texts([message]))
    assert joined.count("• P") == 3 and "New &lt;!here&gt; report" in joined and "CISA · 2025-02-02" in joined
    (bare,) = notice_messages(meta, None)
    assert "could not be made" in "\n".join(section_texts([bare]))


def test_home_view_has_status_and_how_to_ask() -> None:
    view = home_view(FakeStatus(), "extractive")
    text = json.dumps(view)
    assert view["type"] == "home" and "1,234" in text and "How to ask" in text


def test_format_when_handles_datetimes_dates_strings_and_none() -> None:
    assert format_when(None) == "never"
    assert format_when(datetime(2025, 1, 2, 3, 4)) == "2025-01-02 03:04 UTC"
    assert format_when("2025-01-02 <b>") == "2025-01-02 &lt;b&gt;"
    assert format_when("2026-11-26T06:38:04+00:00") == "2026-11-26 06:38 UTC"
