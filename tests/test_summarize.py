"""Extractive summaries: sentence units, junk, bounded streaming selection, citations, rendering."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import numpy.typing as npt
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from bot.cli.summary_cmds import render, render_markdown
from bot.results import RemovedCitation, Summary, SummaryCitation, SummaryPoint
from bot.summarize import summarize_document
from bot.summarize_extractive import POOL_CAP, StreamingSelector, select_sentences
from bot.summarize_units import MAX_BLOCK_UNITS, Target, Unit, is_junk, iter_units, reading_text, target_for
from core.errors import InputError
from core.settings import Settings
from core.textmatch import contains
from core.types import DocumentMeta, LoadedDocument, Page
from indexing.embed import Embedder

TOPICS = [
    "ransomware",
    "espionage",
    "phishing",
    "botnet",
    "sanctions",
    "satellites",
    "elections",
    "pipelines",
]


def make_doc(pages: list[str], *, paged: bool = True, title: str = "Test report") -> LoadedDocument:
    meta = DocumentMeta(doc_id="d1", source="reports/test.pdf" if paged else "test.md", title=title)
    return LoadedDocument(
        meta,
        tuple(Page(number=i + 1, text=t, label=str(i + 1) if paged else None) for i, t in enumerate(pages)),
    )


def topic_sentence(topic: str, n: int) -> str:
    return f"In {2000 + n} the agency linked {n + 3} {topic} incidents to the same operators in region {n}."


def keyword_embed(texts: list[str]) -> npt.NDArray[np.float32]:
    """One axis per topic word plus a small hashed jitter, so similar topics really are similar."""
    out = np.zeros((len(texts), len(TOPICS) + 8), dtype=np.float32)
    for row, text in enumerate(texts):
        for j, topic in enumerate(TOPICS):
            out[row, j] = text.lower().count(topic)
        digest = hashlib.sha256(text.encode()).digest()
        out[row, len(TOPICS) :] = np.frombuffer(digest[:8], dtype=np.uint8) / 255.0 * 0.8
    return out


@pytest.fixture
def fake_embedder(settings: Settings) -> Embedder:
    return Embedder(settings, backend=DeterministicFakeEmbedding(size=64), dimension=64)


# --- units and junk --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Too short to matter.",
        "Introduction ........................................ 4",
        "Appendix B: Incident Response Checklist …",
        "45445 6288 515 2238 40806 4.92% 1.26% alerts 2019.",
        "| Sector | Share | Change |",
        "Follow Army Recognition on Google News at this link.",
        "Copyright © 2024 Army Recognition, all rights reserved by the publisher.",
        "continued from the previous page, this clause has no start of its own.",
        "A heading line without any final punctuation mark here",
        "For more information, see the NIST guide on incident handling and response.",
    ],
)
def test_junk_sentences_are_never_quoted(sentence: str) -> None:
    assert is_junk(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The MIVD report was released on April 19, 2024, and names China as the main threat.",
        "sAccording to the report, Chinese intelligence targeted the semiconductor sector.",
        "Malicious activity was detected in 95% of government bodies in 2018.",
    ],
)
def test_real_sentences_are_kept(sentence: str) -> None:
    assert not is_junk(sentence)


def test_reading_text_drops_markdown_links_emphasis_and_citation_markers() -> None:
    raw = "[APT28](https://attack.mitre.org/groups/G0007) is a **threat group**.(Citation: FireEye APT28)"
    assert reading_text(raw) == "APT28 is a threat group."


def test_units_carry_page_labels_sections_and_reading_order() -> None:
    text = (
        "# Findings\n\nThe agency observed 12 intrusions into energy networks during 2023. "
        "Most intrusions used stolen VPN credentials bought on criminal forums.\n\n"
        "## Response\n\nThe agency issued an emergency directive to all federal civilian agencies."
    )
    units = list(iter_units([Page(1, text, "iv")], title="Annual report"))
    assert [u.section for u in units] == ["Findings", "Findings", "Response"]
    assert {u.page for u in units} == {"iv"}
    assert [u.index for u in units] == sorted(u.index for u in units)
    assert units[0].text.startswith("The agency observed 12 intrusions")


def test_text_before_the_first_heading_is_in_the_title_section_and_the_title_is_not_a_unit() -> None:
    text = (
        "Dutch agency warns of espionage.\n\n"
        "The Dutch agency warned on Friday that espionage against chip firms grew."
    )
    units = list(iter_units([Page(1, text)], title="Dutch agency warns of espionage."))
    assert [u.text for u in units] == [
        "The Dutch agency warned on Friday that espionage against chip firms grew."
    ]
    assert units[0].section == "Dutch agency warns of espionage."


def test_blocks_never_grow_past_the_cap() -> None:
    body = " ".join(topic_sentence(TOPICS[i % 8], i) for i in range(3 * MAX_BLOCK_UNITS))
    units = list(iter_units([Page(1, body, "1")]))
    sizes: dict[int, int] = {}
    for u in units:
        sizes[u.block] = sizes.get(u.block, 0) + 1
    assert len(units) == 3 * MAX_BLOCK_UNITS
    assert max(sizes.values()) == MAX_BLOCK_UNITS


# --- selection ----------------------------------------------------------------------------------------------


def test_selector_memory_is_bounded_and_covers_the_whole_stream() -> None:
    rng = np.random.default_rng(7)
    common = rng.normal(size=32)
    selector = StreamingSelector()
    peak = 0
    n_units = 64_000
    for start in range(0, n_units, 64):
        batch = [
            Unit(i, f"sentence {i}", str(i // 20 + 1), i // 20 + 1, "", i // 20)
            for i in range(start, start + 64)
        ]
        selector.add(batch, (common + 0.3 * rng.normal(size=(64, 32))).astype(np.float32))
        peak = max(peak, selector.candidates)
    assert selector.sentences_seen == n_units
    assert peak <= POOL_CAP + MAX_BLOCK_UNITS + 64
    chosen = selector.select(Target(points=8, words=10_000))
    assert len(chosen) == 8
    regions = {u.index * 8 // n_units for u in chosen}
    assert len(regions) >= 6, "the selection should spread over the document"
    assert [u.index for u in chosen] == sorted(u.index for u in chosen)


def test_selection_prefers_central_sentences_and_skips_repeats() -> None:
    sentences = [topic_sentence("espionage", i) for i in range(6)] + [
        topic_sentence("satellites", 50),
        topic_sentence("espionage", 0),  # an exact repeat
    ]
    units = [Unit(i, s, None, 1, "Main", 0) for i, s in enumerate(sentences)]
    chosen = select_sentences(units, keyword_embed, Target(points=3, words=500))
    texts = [u.text for u in chosen]
    assert len(texts) == len(set(texts))
    assert sum("espionage" in t for t in texts) >= 2


def test_focus_pulls_in_sentences_about_the_focus() -> None:
    sentences = [topic_sentence("espionage", i) for i in range(10)] + [topic_sentence("botnet", 77)]
    units = [Unit(i, s, None, 1, "Main", 0) for i, s in enumerate(sentences)]
    focus = keyword_embed(["botnet"])[0]
    plain = select_sentences(units, keyword_embed, Target(points=2, words=500))
    focused = select_sentences(units, keyword_embed, Target(points=2, words=500), focus=focus)
    assert not any("botnet" in u.text for u in plain)
    assert any("botnet" in u.text for u in focused)


def test_extractive_summary_cites_every_point_with_its_page_and_a_verbatim_quote(
    settings: Settings, fake_embedder: Embedder
) -> None:
    pages = [" ".join(topic_sentence(t, i) for i in range(4)) for t in TOPICS]
    doc = make_doc(pages)
    seen: list[tuple[int, int]] = []
    summary = summarize_document(
        doc,
        settings=settings,
        embedder=fake_embedder,
        target=target_for("short"),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert summary.method == "extractive"
    assert 1 <= len(summary.points) <= 4
    assert summary.words <= 120 * 1.1
    assert seen[-1] == (len(pages), len(pages))
    order = []
    for point in summary.points:
        (cite,) = point.citations
        assert cite.quote == point.text
        assert cite.page is not None
        assert contains(doc.pages[int(cite.page) - 1].text, cite.quote)
        order.append((int(cite.page), pages[int(cite.page) - 1].index(cite.quote)))
    assert order == sorted(order), "points are in reading order"


def test_unpaged_documents_cite_section_headings(settings: Settings, fake_embedder: Embedder) -> None:
    text = "\n\n".join(
        f"## {t.title()}\n\n" + " ".join(topic_sentence(t, i) for i in range(3)) for t in TOPICS[:4]
    )
    doc = make_doc([text], paged=False)
    summary = summarize_document(doc, settings=settings, embedder=fake_embedder, target=target_for("medium"))
    assert summary.points
    for point in summary.points:
        (cite,) = point.citations
        assert cite.page is None
        assert cite.section in {t.title() for t in TOPICS[:4]}
        assert cite.label() == f"[§ {cite.section}]"
        assert cite.section.lower() in cite.quote


def test_words_option_bounds_the_summary_length(settings: Settings, fake_embedder: Embedder) -> None:
    doc = make_doc([" ".join(topic_sentence(t, i) for i in range(5)) for t in TOPICS])
    summary = summarize_document(doc, settings=settings, embedder=fake_embedder, target=target_for(words=50))
    assert 1 <= len(summary.points) <= 2
    assert summary.words <= 55


def test_a_text_of_short_lines_still_gets_a_summary_with_a_note(
    settings: Settings, fake_embedder: Embedder
) -> None:
    doc = make_doc(["Patch now\nRotate keys\nCheck the VPN logs"], paged=False)
    summary = summarize_document(doc, settings=settings, embedder=fake_embedder, target=target_for("short"))
    assert summary.points
    assert any("short lines" in n for n in summary.notes)


@pytest.mark.parametrize(("length", "words"), [("huge", None), ("short", 3), ("medium", 100_000)])
def test_bad_length_or_word_count_is_an_input_error(length: str, words: int | None) -> None:
    with pytest.raises(InputError):
        target_for(length, words)


# --- rendering ----------------------------------------------------------------------------------------------


def _sample_summary() -> Summary:
    return Summary(
        title="MIVD annual report",
        source="mivd.pdf",
        publisher="MIVD",
        published="2024-04-19",
        method="llm:openai:gpt-4o-mini",
        points=[
            SummaryPoint(
                "China targeted the semiconductor sector.",
                [SummaryCitation("Chinese intelligence targeted the semiconductor sector", page="12")],
            )
        ],
        removed=[RemovedCitation("[c99]", "reduce: cites a sentence it was not given", "Invented point.")],
        notes=["Check point 1: 45 does not occur on its cited page."],
    )


def test_json_has_the_documented_shape() -> None:
    data = json.loads(render([_sample_summary()], "json", single=True))
    assert set(data) >= {"title", "source", "publisher", "published", "method", "words", "summary", "points"}
    assert data["points"][0] == {
        "text": "China targeted the semiconductor sector.",
        "citations": [
            {"page": "12", "section": "", "quote": "Chinese intelligence targeted the semiconductor sector"}
        ],
    }
    assert data["words"] == 5
    assert data["removed"][0]["marker"] == "[c99]"


def test_markdown_shows_title_metadata_labels_quotes_method_removed_and_notes() -> None:
    text = render_markdown(_sample_summary())
    lines = text.splitlines()
    assert lines[0] == "# MIVD annual report"
    assert "MIVD · 2024-04-19" in lines[1]
    assert "- China targeted the semiconductor sector. [p. 12]" in lines
    assert "  > “Chinese intelligence targeted the semiconductor sector” [p. 12]" in lines
    assert "openai:gpt-4o-mini" in text
    assert "[c99]" in text and "Check point 1" in text


def test_progress_bar_draws_on_a_terminal_only_for_long_documents(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli.summary_cmds import progress_bar

    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    with progress_bar("summarizing") as update:
        update(1, 2)  # two pages: too short for a bar
    assert "summarizing" not in capsys.readouterr().err
    with progress_bar("summarizing") as update:
        for page in range(1, 41):
            update(page, 40)
    assert "summarizing" in capsys.readouterr().err
