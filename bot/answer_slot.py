"""Does a sentence fill the question's answer slot, or only restate its topic?

Sentences that repeat the question's words ("Recorded Future … tied APT3 to the MSS")
win on word overlap but rarely hold the answer. The sentence that does usually names
the thing the question asks for, right next to a new name, code or figure:

- "Which **contractor** …?" → "… government **contractor** Guangzhou Boyu Information …"
- "Which TeamCity **CVE** …?" → "**CVE-2023-42793** - CVSS v3 Base Score …"
- "How many fake local news **sites** …?" → "A network of at least 123 web**sites** …"

The *focus* is the head noun after *which/what/how many/how much* ("contractor", "CVE",
"site"); a sentence fills the slot when a focus word and a candidate answer (a name, code
or figure the question does not contain; a figure for *how many*, a name or code for
*which*) stand within :data:`SLOT_SPAN` words. Document furniture ("Figure 1",
"Appendix B") never counts as an answer. A *when* question has no focus noun: its answer
is a date, so a sentence fills its slot with a year, month or weekday the question lacks
("… confirms meeting Marsalek aboard the yacht in Nice in **July 2014**"). A *why* question
asks for a reason: a sentence that gives one says so ("**because** adversaries often change
their infrastructure", "**due to** a misconfiguration"). This is the answer-type-plus-proximity test of
classic extractive QA systems; pure functions, microseconds per sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.sentences import STOPWORDS, content_terms, words
from indexing.metadata import MONTH_NAMES

SLOT_SPAN = 5  # words between the focus and the candidate answer (calibrated: docs/ANSWERS.md)
_FOCUS_WINDOW = 5  # words after the wh-word searched for the focus noun phrase
_WH = re.compile(r"\b(?:which|what|whose|how\s+(?:many|much))\s+(.*)", re.IGNORECASE | re.DOTALL)
# Adverbs that end the noun phrase: "What campaign first made…".
_ADVERBS = frozenset(
    ["first", "later", "now", "then", "still", "ever", "once", "mainly", "mostly", "primarily", "initially"]
)
_WHEN = re.compile(r"^\W*(?:(?:since|until|from)\s+)?when\b", re.IGNORECASE)
_WHY = re.compile(r"^\W*(?:why|for what reason)\b", re.IGNORECASE)
_CAUSE = re.compile(
    r"\b(?:because|due to|owing to|as a result of|in order to|so that|caused by|thanks to|reflects?"
    r"|the reason)\b",
    re.IGNORECASE,
)
_WEEKDAYS = frozenset(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
_YEAR = re.compile(r"(?:19|20)\d\d")
_FURNITURE = frozenset(
    [
        "figure",
        "fig",
        "table",
        "tab",
        "appendix",
        "annex",
        "section",
        "chapter",
        "page",
        "part",
        "step",
        "footnote",
        "exhibit",
    ]
)


@lru_cache(maxsize=1024)
def question_focus(question: str) -> frozenset[str]:
    """The analysed head noun of the noun phrase after the wh-word, or an empty set.

    "Which new first-stage backdoors did APT10 use" → {"backdoor"}; "What field of research"
    → {"field"}; "Which TeamCity CVE were…" → {"cve"}. Proper names in the phrase
    ("TeamCity") are topic, not focus; questions without such a phrase ("What did X do",
    "Who…", "Why…") have no focus.
    """
    m = _WH.search(question)
    if not m:
        return frozenset()
    phrase: list[str] = []
    for token in words(m.group(1))[:_FOCUS_WINDOW]:
        low = token.lower()
        if low in STOPWORDS:
            break
        if phrase and token.islower() and (low.endswith(("ed", "ly")) or low in _ADVERBS):
            break  # a verb or adverb: "Which Chinese APT hijacked…", "What campaign first made…"
        phrase.append(token)
    # Lower-case words and acronyms ("CVE", "PLA") can be the focus; Capitalised names are topic.
    heads = [t for t in phrase if t.islower() or t.isupper()]
    return frozenset(content_terms(heads[-1])) if heads else frozenset()


def _is_focus(token: str, focus: frozenset[str]) -> bool:
    low = token.lower()
    if set(content_terms(token)) & focus:
        return True
    for f in focus:
        if low.startswith(f) and any(ch.isdigit() for ch in low):  # "cve" → "CVE-2023-42793"
            return True
        if len(f) >= 4 and (low.endswith(f) or low.endswith(f + "s")):  # "site" → "websites"
            return True
    return False


@dataclass(frozen=True)
class AnswerSlot:
    """What a question asks for, analysed once per question: its focus, the expected answer
    type (``kind`` from :func:`bot.extractive.answer_kind`: ``number`` wants a figure, ``name``
    a name or code, ``''`` either), whether it asks *when* (wants a date) or *why* (wants a
    reason) and its own words, which are never an answer."""

    focus: frozenset[str]
    kind: str
    asked: frozenset[str]
    date: bool = False
    reason: bool = False

    @classmethod
    def of(cls, question: str, kind: str) -> AnswerSlot:
        """The slot of ``question``."""
        asked = frozenset(t.lower() for t in words(question))
        when, why = _WHEN.search(question) is not None, _WHY.search(question) is not None
        return cls(question_focus(question), kind, asked, when, why)

    def filled_by(self, text: str) -> bool:
        """True when ``text`` has a focus word within :data:`SLOT_SPAN` words of a candidate answer,
        or, for a *when* question, a date the question does not name, or, for a *why* question,
        a stated reason."""
        if self.reason:
            return _CAUSE.search(text) is not None
        tokens = words(text)
        if self.date:
            return any(
                token.lower() not in self.asked and _is_date(tokens, i) for i, token in enumerate(tokens)
            )
        if not self.focus:
            return False
        focus_at: list[int] = []
        answer_at: list[int] = []
        for i, token in enumerate(tokens):
            low = token.lower()
            is_focus = _is_focus(token, self.focus)
            if is_focus:
                focus_at.append(i)
            if low in _FURNITURE or (i and tokens[i - 1].lower() in _FURNITURE):
                continue
            if low in self.asked or low in STOPWORDS:
                continue
            has_digit = any(ch.isdigit() for ch in token)
            # A capital opening the sentence says nothing; a code does ("CVE-2023-42793 - …").
            name = has_digit or (token[:1].isupper() and i > 0)
            candidate = has_digit if self.kind == "number" else name
            if candidate and (not is_focus or has_digit):
                answer_at.append(i)
        return any(abs(f - a) <= SLOT_SPAN for f in focus_at for a in answer_at)


def _is_date(tokens: list[str], i: int) -> bool:
    """A year, a month or a weekday; "May" only next to a figure ("May 2020", "3 May")."""
    token = tokens[i]
    if _YEAR.fullmatch(token):
        return True
    if not token[:1].isupper():
        return False
    low = token.lower()
    if low in MONTH_NAMES or low in _WEEKDAYS:
        return True
    near = tokens[max(0, i - 1) : i] + tokens[i + 1 : i + 2]
    return low == "may" and any(t.isdigit() for t in near)
