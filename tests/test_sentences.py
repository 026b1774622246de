"""bot.sentences: sentence boundaries as a reader sees them, PDF footnote numbers included."""

from __future__ import annotations

from bot.extractive import extractive_body
from bot.sentences import split_sentences
from core.types import Passage


def test_a_footnote_number_glued_to_the_full_stop_ends_the_sentence() -> None:
    text = "If the agency is not enrolled, contact CISA for more information.12 Agencies should use the form."
    assert [s.text for s in split_sentences(text)] == [
        "If the agency is not enrolled, contact CISA for more information.12",
        "Agencies should use the form.",
    ]


def test_decimals_and_version_numbers_do_not_end_a_sentence() -> None:
    for text in [
        "The tool reached version 2.12 Beta in March.",
        "The flaw scored 9.8 Critical on the scale.",
    ]:
        assert len(split_sentences(text)) == 1


def test_an_extracted_sentence_is_quoted_without_its_footnote_number() -> None:
    passage = Passage(
        "p",
        "The primary method for sharing indicators with CISA is the Automated Indicator Sharing program.11 "
        "Agencies should be enrolled in it.",
        "playbook.pdf",
        title="Incident response playbook",
        score=1.0,
        extra={"bm25": 5.0, "chunk_index": 0},
    )
    body = extractive_body("What is the primary method for sharing indicators with CISA?", [passage])
    assert "Automated Indicator Sharing program. [1]" in body
    assert "program.11" not in body


def test_a_headline_over_the_first_paragraph_is_its_own_sentence() -> None:
    text = (
        "Iranian Hackers Target US Defense Contractors\n"
        "An Iranian hacking group has moved from website defacements to a new specialty, espionage.\n"
        "The group is known as the Ajax Security Team."
    )
    sentences = [s.text for s in split_sentences(text)]
    assert sentences[0] == "Iranian Hackers Target US Defense Contractors"
    assert sentences[1].startswith("An Iranian hacking group")


def test_a_capitalised_line_wrapped_mid_sentence_still_joins_the_next() -> None:
    text = (
        "According to the Federal Bureau of Investigation and the\n"
        "Department of Justice, the group was indicted in absentia in 2018."
    )
    assert len(split_sentences(text)) == 1
