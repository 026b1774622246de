"""Extractive selection: the answer slot beats a restatement; no second passage for the publisher."""

from __future__ import annotations

import pytest

from bot.answer_slot import AnswerSlot, question_focus
from bot.extractive import answer_kind, extractive_body, score_sentences
from core.types import Passage


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("Which contractor did the vendor tie to the ministry?", {"contractor"}),
        ("Which new first-stage backdoors did the group use in 2017?", {"backdoor"}),
        ("What field of research worried the officer?", {"field"}),
        ("Which TeamCity CVE were the actors exploiting?", {"cve"}),
        ("How many fake local news sites were part of the network?", {"site"}),
        ("Which Chinese APT hijacked the updates?", {"apt"}),
        ("What campaign first made the researchers suspect a supplier?", {"campaign"}),
    ],
)
def test_focus_is_the_head_noun_after_the_wh_word(question: str, focus: set[str]) -> None:
    assert set(question_focus(question)) == focus


@pytest.mark.parametrize(
    "question",
    [
        "What did the group do with the stolen key?",
        "Why did the password spray work?",
        "Who planted the malware at the plant?",
        "Summarise the report on the annual review.",
    ],
)
def test_questions_without_an_asked_for_noun_have_no_focus(question: str) -> None:
    assert question_focus(question) == frozenset()


def _fills(question: str, sentence: str) -> bool:
    return AnswerSlot.of(question, answer_kind(question)).filled_by(sentence)


def test_the_focus_next_to_a_new_name_fills_the_slot() -> None:
    question = "Which contractor did Acme Research link to the ministry?"
    assert _fills(question, "Acme showed a link between the ministry and contractor Blue Heron Systems Ltd.")
    assert not _fills(question, "Acme Research released a report that links the group to the ministry.")


def test_a_code_that_starts_with_the_focus_fills_the_slot() -> None:
    assert _fills("Which Jenkins CVE were the actors exploiting?", "**CVE-2024-12345** - CVSS score 9.8")


def test_a_figure_next_to_a_compound_of_the_focus_fills_a_number_slot() -> None:
    question = "How many fake news sites were part of the network?"
    assert _fills(question, "A network of at least 87 websites posed as regional outlets.")
    # A name is no answer to "how many".
    assert not _fills(question, "The websites were hosted by Tencent in Shenzhen.")


def test_names_and_figures_from_the_question_are_not_answers() -> None:
    question = "Which unit of the Cobalt Service ran the 2019 operation?"
    assert not _fills(question, "The unit of the Cobalt Service planned the 2019 operation carefully.")
    assert _fills(question, "The operation was run by Unit 4471 of the Cobalt Service.")


def test_document_furniture_is_not_an_answer() -> None:
    question = "Which incident response phases does the playbook follow?"
    assert not _fills(question, "Figure 1 illustrates these phases, and Appendix B lists the checklist.")


def _p(cid: str, text: str, *, bm25: float, score: float, chunk: int) -> Passage:
    return Passage(
        cid,
        text,
        "report.md",
        title="Threat group linked to the ministry",
        score=score,
        extra={"bm25": bm25, "dense": 0.6, "chunk_index": chunk},
    )


RESTATES = _p(
    "r",
    "Acme Research used a report released on Wednesday to tie the Lantern group to the ministry. "
    "The Lantern group has been active since at least 2012, according to Acme Research.",
    bm25=14.0,
    score=3.0,
    chunk=0,
)
ANSWERS = _p(
    "a",
    "Using public company records, Acme Research tied the Lantern group's tradecraft to "
    "government contractor Blue Heron Systems Ltd. The firm did not answer requests for comment.",
    bm25=10.0,
    score=2.2,
    chunk=1,
)


def test_the_answer_sentence_outranks_a_restatement_with_more_question_words() -> None:
    question = "Which contractor did Acme Research use to tie the Lantern group to the ministry?"
    ranked = score_sentences(question, [RESTATES, ANSWERS])
    assert ranked[0].slot and "Blue Heron" in ranked[0].text
    restatement = next(c for c in ranked if c.passage == 0)
    assert restatement.lexical > ranked[0].lexical  # it shares more words, yet ranks lower


def test_the_extractive_answer_cites_the_passage_that_answers_not_the_one_that_restates() -> None:
    question = "Which contractor did Acme Research use to tie the Lantern group to the ministry?"
    body = extractive_body(question, [RESTATES, ANSWERS])
    assert "Blue Heron Systems" in body
    assert "[2]" in body and "[1]" not in body


def _report(cid: str, text: str, *, bm25: float, chunk: int) -> Passage:
    return Passage(
        cid,
        text,
        "ir-report.pdf",
        title="Incident Response Analytics Report",
        publisher="Kaspersky",
        score=1.0,
        extra={"bm25": bm25, "dense": 0.6, "chunk_index": chunk},
    )


def test_the_publishers_name_in_the_question_does_not_pull_in_a_second_passage() -> None:
    question = "How often was RDP the initial vector, according to Kaspersky?"
    answering = _report(
        "a",
        "The remote management interface of the RDP service was the initial attack vector in one "
        "out of three incidents.",
        bm25=11.0,
        chunk=3,
    )
    other = _report(
        "b",
        "Kaspersky experts responded to incidents in many countries during the year, often within hours.",
        bm25=12.0,
        chunk=1,
    )
    body = extractive_body(question, [answering, other])
    assert "one out of three incidents" in body and "[1]" in body
    assert "[2]" not in body


def test_contact_boilerplate_with_an_email_address_is_never_quoted() -> None:
    question = "Which incident response services does the vendor offer to customers?"
    passage = _report(
        "c",
        "To request incident response services, please email us at ir-team@example.com today. "
        "The vendor offers incident response, digital forensics and malware analysis services to customers.",
        bm25=10.0,
        chunk=0,
    )
    body = extractive_body(question, [passage])
    assert "digital forensics" in body
    assert "@" not in body


def test_the_answer_comes_with_the_sentence_that_sets_its_scene() -> None:
    question = "Which contractor did Acme Research use to tie the Lantern group to the ministry?"
    passage = _p(
        "s",
        "Records show that government contractor Blue Heron Systems Ltd registered the Lantern domains. "
        "Acme Research used those records to tie the Lantern group to the ministry on Wednesday.",
        bm25=12.0,
        score=3.0,
        chunk=0,
    )
    body = extractive_body(question, [passage])
    assert "Blue Heron Systems" in body
    assert "Acme Research used those records to tie the Lantern group to the ministry" in body


def test_a_new_date_fills_the_slot_of_a_when_question() -> None:
    question = "When did Petrov say he first got to know the Lantern executive?"
    assert _fills(question, "Petrov confirms meeting him aboard the yacht in Nice in July 2014.")
    assert _fills(question, "They met in Vienna on a Friday, he said.")
    assert _fills(question, "The two met in May 2019 at a conference.")
    assert not _fills(question, "Petrov says the Lantern executive has such a beautiful mind.")
    assert not _fills(question, "The executive's office is at Prinzregentenstrasse 61.")  # a figure, no date
    assert not _fills(question, "You may ask him how he got to know the executive.")


def test_a_date_the_question_names_is_not_the_answer_to_when() -> None:
    question = "When, after the 2014 meeting, did Petrov leave Nice?"
    assert not _fills(question, "Petrov first met him in Nice in 2014.")
    assert _fills(question, "Petrov left Nice in March 2016.")


def test_a_stated_reason_fills_the_slot_of_a_why_question() -> None:
    question = "Why does the playbook tell agencies to hunt on TTPs rather than atomic indicators?"
    assert _fills(
        question, "Atomic indicators age fast because adversaries often change their infrastructure."
    )
    assert _fills(
        question, "The low conversion rate reflects the need to detect living-off-the-land threats."
    )
    assert not _fills(question, "Agencies should use TTPs to identify malicious activity when possible.")


def test_how_quickly_asks_for_a_figure() -> None:
    assert answer_kind("How quickly must an agency inform CISA of an incident?") == "number"
    assert answer_kind("How soon was the server secured?") == "number"


def test_the_when_answer_outranks_a_restatement_with_more_question_words() -> None:
    question = "When did Petrov say he first got to know the Lantern executive, and where?"
    restates = _p(
        "r",
        "Petrov even told friends that he moved his mother to Munich to be closer to the Lantern executive, "
        "whose office is at Prinzregentenstrasse 61.",
        bm25=12.0,
        score=3.0,
        chunk=0,
    )
    dated = _p(
        "d",
        "In gray, Petrov confirms first meeting the Lantern executive on a yacht in Nice in July 2014.",
        bm25=9.0,
        score=2.4,
        chunk=1,
    )
    body = extractive_body(question, [restates, dated])
    assert "July 2014" in body and "[2]" in body
    assert "[1]" not in body


def test_the_why_answer_outranks_a_restatement_with_more_question_words() -> None:
    question = "Why does the playbook tell agencies to hunt on adversary TTPs rather than atomic indicators?"
    restates = _p(
        "r",
        "For these reasons, agencies should hunt on adversary TTPs rather than atomic indicators "
        "when possible.",
        bm25=12.0,
        score=3.0,
        chunk=0,
    )
    reason = _p(
        "c",
        "However, because adversaries often change their infrastructure between campaigns, the shelf-life "
        "of the atomic indicators that agencies hunt on is limited.",
        bm25=9.0,
        score=2.4,
        chunk=1,
    )
    body = extractive_body(question, [restates, reason])
    assert "because adversaries often change their infrastructure" in body and "[2]" in body


def test_a_source_quotes_the_answers_best_sentence_not_its_longest() -> None:
    from bot.extractive import extract
    from bot.verify import verify_answer

    question = "Which vulnerability did APT28 exploit on Cisco routers?"
    passage = _p(
        "w",
        "Agencies published a joint advisory on APT28 and its campaign against Cisco routers. "
        "By exploiting the vulnerability CVE-2017-6742, APT28 gained SNMP access to Cisco routers worldwide. "
        "Please tell the operations centre if privileged SNMP access to Cisco routers exists on agency "
        "networks, which vulnerability it concerns and the timeline for resolving it.",
        bm25=10.0,
        score=2.0,
        chunk=0,
    )
    body, quotes = extract(question, [passage])
    assert body.count("[1]") >= 2  # more than one sentence of the passage is used
    [citation] = verify_answer(body, [passage], preferred_quotes=quotes).citations
    assert "CVE-2017-6742" in citation.quote
    assert "Please tell" not in citation.quote
