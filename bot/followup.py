"""Follow-up questions: make the question standalone before retrieval.

- LLM mode: the ``condense`` prompt rewrites the question using the earlier turns.
- Extractive mode (and when the LLM fails): carry the previous question's named
  entities when the new one leans on them — a pronoun ("What industries does it
  target?"), no name of its own ("When?"), or an elliptic "What about APT28?" —
  and carry the previous question's inline filters when the new one sets none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel

from bot.prompting import load_prompt
from bot.sentences import named_entities, words
from core.errors import BriefbotError, LLMError
from core.types import SearchFilters

PROMPT_VARS: dict[str, frozenset[str]] = {"condense": frozenset({"history", "question"})}
HISTORY_TURNS = 4
ANSWER_CHARS = 500

_SUBJECT = re.compile(
    r"\b(it|they|them|he|him|she|this group|that group|the group|this actor|the actor)\b", re.I
)
_POSSESSIVE = re.compile(r"\b(its|their|his|her)\b", re.I)
_REFERENCE = re.compile(
    r"\b(it|its|they|them|their|he|him|his|she|her|this|that|these|those|there|the (?:group|actor|"
    r"report|company|campaign|attack|operation|article|agency))\b",
    re.I,
)
_WHAT_ABOUT = re.compile(
    r"^\s*(?:and|what about|how about|and what about|same for|what of)\b[\s,]*(.*)$", re.I
)


@dataclass
class Standalone:
    """The question to retrieve with, and what was carried over from earlier turns."""

    question: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    notes: list[str] = field(default_factory=list)
    rewritten: bool = False


def _strip_filters(question: str) -> tuple[str, SearchFilters]:
    from bot.filters import parse_inline_filters

    try:
        return parse_inline_filters(question)
    except BriefbotError:
        return question, SearchFilters()


def _specificity(entity: str) -> tuple[int, int]:
    has_digit = any(ch.isdigit() for ch in entity)
    acronym = entity.isupper() and len(entity) > 1
    return (2 if has_digit else 1 if acronym or " " in entity else 0, len(entity))


def primary_entity(entities: Sequence[str]) -> str:
    """The most specific entity: codes (APT1) over acronyms and multi-word names over single names."""
    return max(reversed(list(entities)), key=_specificity)


def needs_context(question: str) -> bool:
    """True when the question leans on an earlier turn (pronoun, no name of its own, 'what about X')."""
    if _WHAT_ABOUT.match(question):
        return True
    if not named_entities(question):
        return True
    return bool(_REFERENCE.search(question)) and len(words(question)) <= 6


def carry_entities(question: str, previous: str) -> str:
    """Rewrite ``question`` using the entities of ``previous`` (an already standalone question)."""
    prev_entities = named_entities(previous)
    if not prev_entities:
        return question
    main = primary_entity(prev_entities)
    own = named_entities(question)
    about = _WHAT_ABOUT.match(question)
    if about and own:
        # "What about APT28?" → the previous question, asked about APT28.
        new = " ".join(own)
        if re.search(re.escape(main), previous):
            return re.sub(re.escape(main), new, previous, count=1)
        return f"{previous.rstrip(' ?')} ({new})?"
    if own:
        return question
    if _POSSESSIVE.search(question):
        return _POSSESSIVE.sub(f"{main}'s", question, count=1)
    if _SUBJECT.search(question):
        return _SUBJECT.sub(main, question, count=1)
    others = [e for e in prev_entities if e != main]
    context = ", ".join([main, *others[:2]])
    body = question.strip().rstrip("?").strip()
    return f"{body} ({context})?" if body else previous


def format_history(history: Sequence[tuple[str, str]]) -> str:
    """The last turns as 'User: …' / 'Assistant: …' lines (answers shortened)."""
    lines = []
    for q, a in list(history)[-HISTORY_TURNS:]:
        answer = " ".join(a.split())
        if len(answer) > ANSWER_CHARS:
            answer = answer[:ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"User: {' '.join(q.split())}")
        lines.append(f"Assistant: {answer}")
    return "\n".join(lines)


def condense_prompt_values(question: str, history: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The variables of the ``condense`` prompt."""
    return {"history": format_history(history), "question": question}


def condense_with_llm(question: str, history: Sequence[tuple[str, str]], llm: BaseChatModel) -> str:
    """The LLM's standalone version of ``question``. Raises :class:`LLMError` on failure or garbage."""
    messages = load_prompt("condense").format_messages(**condense_prompt_values(question, history))
    try:
        reply = llm.invoke(messages)
    except Exception as exc:
        raise LLMError(
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip()
        ) from exc
    text = reply.text.strip() if hasattr(reply, "text") else str(reply)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise LLMError("empty reply")
    out = re.sub(r"^(?:standalone question|question)\s*:\s*", "", lines[0], flags=re.I).strip().strip("\"'“”")
    if not out or len(out) > 3 * len(question) + 300:
        raise LLMError("the rewritten question is empty or far too long")
    return out


def make_standalone(
    question: str, history: Sequence[tuple[str, str]], *, llm: BaseChatModel | None = None
) -> Standalone:
    """The standalone question for retrieval, with the filters carried from the previous turn."""
    if not history:
        return Standalone(question)
    previous = ""
    carried = SearchFilters()
    for past, _answer in history:
        text, past_filters = _strip_filters(past)
        previous = carry_entities(text, previous) if previous and needs_context(text) else text
        if not past_filters.is_empty():
            carried = past_filters
    notes: list[str] = []
    if not needs_context(question):
        carried = SearchFilters()  # a fresh question does not inherit the last turn's filters
    if llm is not None:
        try:
            rewritten = condense_with_llm(question, history, llm)
            return Standalone(rewritten, carried, notes, rewritten=rewritten != question)
        except LLMError as exc:
            notes.append(
                f"The LLM could not rewrite the follow-up ({exc}); the previous question's names were used."
            )
    if needs_context(question):
        rewritten = carry_entities(question, previous)
        return Standalone(rewritten, carried, notes, rewritten=rewritten != question)
    return Standalone(question, carried, notes)
