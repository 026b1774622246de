"""Citation verification: markers, quotes, figures, support, renumbering and the removal report."""

from __future__ import annotations

from bot.verify import best_sentence, is_refusal, verify_answer
from core.textmatch import contains
from core.types import Passage

MIVD = Passage(
    "c-mivd",
    "The MIVD said Chinese intelligence targets the Dutch semiconductor, aerospace, and maritime sectors. "
    "The annual report was released on April 19, 2024. It describes cyber espionage and insiders.",
    "armyrecognition.txt",
    title="MIVD annual report",
    publisher="Army Recognition",
    published="2024-04-19",
    url="https://example.org/mivd",
)
APT1 = Passage(
    "c-apt1",
    "APT1 is a Chinese threat group that has been attributed to the 2nd Bureau of the PLA General Staff "
    "Department's 3rd Department, commonly known by its unit designator 61398. It targets many industries.",
    "attack-g0006-apt1.md",
    title="APT1",
    publisher="MITRE ATT&CK",
    page="3",
)
ASML = Passage(
    "c-asml",
    "China accounted for a whopping 49 percent of ASML's Q1 sales, up from 8 percent a year earlier.",
    "theregister.md",
    title="ASML profits plunge",
)
PASSAGES = [MIVD, APT1, ASML]


def _reasons(v: object) -> list[str]:
    return [r.reason for r in v.removed]  # type: ignore[attr-defined]


def test_valid_markers_are_kept_and_sources_renumbered_in_order_of_first_use() -> None:
    text = "ASML sold 49 percent of its Q1 tools to China [3]. APT1 is PLA unit 61398 [2]."
    v = verify_answer(text, PASSAGES)
    assert v.text == "ASML sold 49 percent of its Q1 tools to China [1]. APT1 is PLA unit 61398 [2]."
    assert [c.chunk_id for c in v.citations] == ["c-asml", "c-apt1"]
    assert [c.n for c in v.citations] == [1, 2]
    assert v.removed == []


def test_citation_carries_title_publisher_date_page_url_and_a_verbatim_supporting_quote() -> None:
    v = verify_answer("The MIVD named the semiconductor, aerospace and maritime sectors [1].", PASSAGES)
    c = v.citations[0]
    assert (c.title, c.publisher, c.published, c.url, c.source) == (
        "MIVD annual report",
        "Army Recognition",
        "2024-04-19",
        "https://example.org/mivd",
        "armyrecognition.txt",
    )
    assert c.quote.startswith("The MIVD said Chinese intelligence targets")
    assert contains(MIVD.text, c.quote)
    v2 = verify_answer("APT1 is unit 61398 of the PLA [2].", PASSAGES)
    assert v2.citations[0].page == "3"


def test_a_marker_naming_a_passage_that_was_not_given_is_removed_with_the_reason() -> None:
    v = verify_answer("APT1 is PLA unit 61398 [2][7].", PASSAGES)
    assert v.text == "APT1 is PLA unit 61398 [1]."
    assert any(r.marker == "[7]" and "no passage [7]" in r.reason for r in v.removed)


def test_grouped_and_range_markers_are_understood() -> None:
    v = verify_answer("APT1 is PLA unit 61398 and China bought 49 percent of ASML sales [2, 3].", PASSAGES)
    assert [c.chunk_id for c in v.citations] == ["c-apt1", "c-asml"]
    assert v.text.endswith("[1][2].")
    v2 = verify_answer("APT1 is PLA unit 61398 and China bought 49 percent of ASML sales [2-3].", PASSAGES)
    assert [c.chunk_id for c in v2.citations] == ["c-apt1", "c-asml"]
    v3 = verify_answer("APT1 is PLA unit 61398 [Passage 2].", PASSAGES)
    assert v3.text == "APT1 is PLA unit 61398 [1]."


def test_a_marker_after_the_full_stop_belongs_to_that_sentence() -> None:
    v = verify_answer("APT1 is PLA unit 61398. [2] China took 49 percent of ASML sales.[3]", PASSAGES)
    assert v.text == "APT1 is PLA unit 61398 [1]. China took 49 percent of ASML sales [2]."


def test_a_sentence_without_any_citation_is_dropped_and_reported() -> None:
    v = verify_answer("APT1 is PLA unit 61398 [2]. The moon is made of cheese.", PASSAGES)
    assert "cheese" not in v.text
    assert v.dropped_sentences == 1
    assert any(r.reason == "sentence dropped: no citation" and "cheese" in r.sentence for r in v.removed)


def test_a_citation_of_a_passage_that_does_not_say_it_is_removed_and_the_sentence_dropped() -> None:
    v = verify_answer("Bananas grow best in volcanic soil near Lisbon [1].", PASSAGES)
    assert v.text == ""
    assert v.citations == []
    assert "passage [1] does not contain what the sentence says" in _reasons(v)
    assert "sentence dropped: no valid citation left" in _reasons(v)


def test_a_wrong_citation_next_to_a_right_one_is_removed_but_the_sentence_stays() -> None:
    v = verify_answer("APT1 is attributed to PLA unit 61398 [1][2].", PASSAGES)
    assert v.text == "APT1 is attributed to PLA unit 61398 [1]."
    assert [c.chunk_id for c in v.citations] == ["c-apt1"]
    assert any(r.marker == "[1]" and "does not contain" in r.reason for r in v.removed)


def test_an_exact_quote_is_verified_and_becomes_the_citation_quote() -> None:
    text = 'Beijing went after the "semiconductor, aerospace, and maritime sectors" [1].'
    v = verify_answer(text, PASSAGES)
    assert v.kept_sentences == 1
    assert v.citations[0].quote == "semiconductor, aerospace, and maritime sectors"


def test_quote_check_ignores_whitespace_case_and_typographic_quotes() -> None:
    text = "The report says China wanted “Semiconductor,   aerospace, and maritime  sectors” [1]."
    v = verify_answer(text, PASSAGES)
    assert v.kept_sentences == 1


def test_an_invented_quote_drops_the_sentence() -> None:
    text = 'The MIVD said China "stole every Dutch chip design" from the semiconductor sectors [1].'
    v = verify_answer(text, PASSAGES)
    assert v.text == ""
    assert any("quoted text not found" in r.reason for r in v.removed)


def test_a_quote_from_another_passage_than_the_cited_one_is_not_accepted() -> None:
    text = 'China took "a whopping" share of the Dutch semiconductor sectors [1].'
    v = verify_answer(text, PASSAGES)
    assert v.kept_sentences == 0
    assert any("quoted text not found" in r.reason for r in v.removed)


def test_a_figure_that_no_cited_passage_contains_drops_the_sentence() -> None:
    v = verify_answer("China accounted for 59 percent of ASML's Q1 sales [3].", PASSAGES)
    assert v.text == ""
    assert any("figure 59" in r.reason for r in v.removed)
    ok = verify_answer("China accounted for 49 percent of ASML's Q1 sales [3].", PASSAGES)
    assert ok.kept_sentences == 1


def test_bullets_and_paragraphs_keep_their_layout() -> None:
    text = "Two things:\n- APT1 is PLA unit 61398 [2].\n- China took 49 percent of ASML's Q1 sales [3]."
    v = verify_answer(text, PASSAGES)
    assert v.text == "- APT1 is PLA unit 61398 [1].\n- China took 49 percent of ASML's Q1 sales [2]."


def test_nothing_survives_an_answer_with_no_valid_marker_at_all() -> None:
    v = verify_answer("APT1 is PLA unit 61398 [9]. ASML sells tools [0].", PASSAGES)
    assert v.text == "" and v.citations == [] and v.kept_sentences == 0
    assert {r.marker for r in v.removed} >= {"[9]", "[0]"}


def test_best_sentence_is_verbatim_from_the_passage() -> None:
    quote = best_sentence(MIVD, "When was the annual report released?")
    assert quote == "The annual report was released on April 19, 2024."


def test_refusal_sentence_is_recognised_with_small_variations_only() -> None:
    refusal = "Nothing in the indexed reports answers this."
    assert is_refusal(refusal, refusal)
    assert is_refusal("nothing in the indexed reports answers this", refusal)
    assert is_refusal('"Nothing in the indexed reports answers this." [1]', refusal)
    assert not is_refusal("APT1 is PLA unit 61398 [1].", refusal)


def test_a_preferred_quote_is_shown_only_when_it_occurs_in_its_passage() -> None:
    text = "Chinese intelligence targets Dutch semiconductor and maritime sectors [1]. It came in 2024 [1]."
    good = "The annual report was released on April 19, 2024."
    [cited] = verify_answer(text, PASSAGES, preferred_quotes={0: good}).citations
    assert cited.quote == good
    [cited] = verify_answer(
        text, PASSAGES, preferred_quotes={0: "The MIVD said nothing of the kind."}
    ).citations
    assert contains(MIVD.text, cited.quote) and "nothing of the kind" not in cited.quote
