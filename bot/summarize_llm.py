"""LLM summaries: map-reduce within the context budget, citations carried as sentence ids.

Every sentence the model sees is numbered (``[c12]``); the model cites those ids
and the code maps them back to page, section and the verbatim sentence, so a
citation survives every step unchanged:

1. **map**: the document is packed into parts that fit the prompt budget; each
   part yields a few cited points (``summary_map``);
2. **reduce**: while the points do not fit one final prompt, neighbouring groups
   of points are merged (``summary_reduce``), keeping the ids of what they merge;
3. **final**: the points become the summary at the requested length
   (``summary_final``).

Token counts use the embedder's tokenizer as an approximation of the LLM's, with
a safety factor; every prompt is checked against ``settings.llm_context_tokens``
minus the reply budget before it is sent. Verification (:mod:`bot.summarize_verify`)
then keeps only citations whose ids were given and whose quotes occur on the
cited page or section.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from bot.prompting import load_prompt
from bot.results import RemovedCitation
from bot.summarize_units import Target, Unit
from core.errors import ConfigError, LLMError
from core.settings import Settings

PROMPT_VARS: dict[str, frozenset[str]] = {
    "summary_map": frozenset({"title", "part", "text", "points", "focus"}),
    "summary_reduce": frozenset({"title", "points", "count", "focus"}),
    "summary_final": frozenset({"title", "points", "count", "words", "focus"}),
}
SAFETY = 1.2
"""Tokens of the LLM per word piece of the embedder, pessimistically."""
MESSAGE_OVERHEAD = 8
MIN_PART_TOKENS = 160
MAX_ROUNDS = 8
MAX_IDS_PER_POINT = 6
"""Ids a point keeps (the first ones); more cannot be checked by a reader and would swamp the prompts."""

CountFn = Callable[[str], int]
ProgressFn = Callable[[int, int], None]

_ID = re.compile(r"\[\s*(c\s*\d{1,7}(?:\s*[,;]\s*c?\s*\d{1,7})*)\s*\]", re.IGNORECASE)
_ECHO = re.compile(r"^(</?[a-z]+>|\((?:p\.|§)[^)]*\))$")  # the prompt's own tags and location lines, copied
_BULLET = re.compile(r"^\s*(?:[-*•·▪‣]|\d{1,2}[.)])\s+")


@dataclass
class Point:
    """A point as the model wrote it: text (ids removed) and the ids it cites, in order."""

    text: str
    ids: list[int] = field(default_factory=list)

    def render(self) -> str:
        """The point as a note line for the next prompt."""
        return f"- {self.text} " + "".join(f"[c{i}]" for i in self.ids)


@dataclass
class Budget:
    """The prompt budget in LLM tokens and the counter that estimates them."""

    context: int
    reply: int
    count: CountFn

    @property
    def prompt(self) -> int:
        """Tokens a prompt may use: the context minus the reply."""
        return self.context - self.reply

    def tokens(self, text: str) -> int:
        """Estimated LLM tokens of ``text``."""
        return int(self.count(text) * SAFETY) + 1

    def of_messages(self, messages: Sequence[BaseMessage]) -> int:
        """Estimated LLM tokens of a whole prompt."""
        return sum(self.tokens(str(m.content)) + MESSAGE_OVERHEAD for m in messages)


def budget_for(settings: Settings, count: CountFn) -> Budget:
    """The budget from settings; raises ConfigError when the reply leaves no room for text."""
    budget = Budget(settings.llm_context_tokens, settings.llm_max_tokens, count)
    if budget.prompt < 2 * MIN_PART_TOKENS + 200:
        raise ConfigError(
            f"BRIEFBOT_LLM_CONTEXT_TOKENS={settings.llm_context_tokens} leaves too little room for a "
            f"summary prompt next to a {settings.llm_max_tokens}-token reply.",
            hint="Raise BRIEFBOT_LLM_CONTEXT_TOKENS or lower BRIEFBOT_LLM_MAX_TOKENS.",
        )
    return budget


def parse_points(reply: str) -> list[Point]:
    """Points of a model reply: one per bulleted (or plain) line, ids collected and removed."""
    points: list[Point] = []
    for raw in reply.splitlines():
        line = raw.strip()
        if not line or (line.endswith(":") and not _ID.search(line)) or _ECHO.match(line):
            continue
        ids: list[int] = []
        for m in _ID.finditer(line):
            for part in re.split(r"[,;]", m.group(1)):
                digits = re.sub(r"\D", "", part)
                if digits and int(digits) not in ids:
                    ids.append(int(digits))
        text = _ID.sub("", _BULLET.sub("", line))
        text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
        if text:
            points.append(Point(text, ids))
    return points


def _focus_line(focus: str | None) -> str:
    return f"Focus on: {focus}" if focus else ""


def _location(unit: Unit, paged: bool) -> str:
    return f"p. {unit.page or unit.page_number}" if paged else f"§ {unit.section}" if unit.section else ""


class MapReduce:
    """One summary run: the model, the budget, the registry of sentence ids, the removed log."""

    def __init__(
        self,
        llm: BaseChatModel,
        budget: Budget,
        *,
        title: str,
        paged: bool,
        target: Target,
        focus: str | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        self.llm = llm
        self.budget = budget
        self.title = title[:200]
        self.paged = paged
        self.target = target
        self.focus = focus
        self.progress = progress
        self.units: dict[int, Unit] = {}
        self.removed: list[RemovedCitation] = []
        self.calls = 0
        self.max_prompt_tokens = 0
        self.parts = 0
        self._planned = 0

    # --- plumbing -----------------------------------------------------------------
    def _messages(self, name: str, **values: str) -> list[BaseMessage]:
        assert set(values) == PROMPT_VARS[name], name
        return load_prompt(name).format_messages(**values)

    def _overhead(self, name: str, **values: str) -> int:
        return self.budget.of_messages(self._messages(name, **values))

    def _call(self, messages: list[BaseMessage]) -> str:
        used = self.budget.of_messages(messages)
        if used > self.budget.prompt:  # by construction this cannot happen; never send an oversize prompt
            raise LLMError(f"A summary prompt of ~{used} tokens exceeds the budget of {self.budget.prompt}.")
        self.max_prompt_tokens = max(self.max_prompt_tokens, used)
        try:
            reply = self.llm.invoke(messages)
        except Exception as exc:
            raise LLMError(f"The LLM failed: {type(exc).__name__}: {str(exc)[:200]}") from exc
        self.calls += 1
        if self.progress is not None:
            self.progress(self.calls, max(self._planned, self.calls))
        content = reply.content if isinstance(reply.content, str) else str(reply.content)
        return content

    def _keep_known(self, points: list[Point], allowed: set[int], step: str) -> list[Point]:
        """Drop ids the step was not given; drop points left without any id."""
        out: list[Point] = []
        for p in points:
            bad = [i for i in p.ids if i not in allowed]
            if bad:
                marker = "".join(f"[c{i}]" for i in bad[:5]) + (
                    f" and {len(bad) - 5} more" if len(bad) > 5 else ""
                )
                what = "sentences" if len(bad) > 1 else "a sentence"
                self.removed.append(RemovedCitation(marker, f"{step}: cites {what} it was not given", p.text))
            p.ids = [i for i in p.ids if i in allowed][:MAX_IDS_PER_POINT]
            if p.ids:
                out.append(p)
            elif not bad:
                self.removed.append(RemovedCitation("", f"{step}: point without a citation", p.text))
        return out

    # --- map ------------------------------------------------------------------------
    def pack(self, units: Sequence[Unit], room: int) -> list[list[Unit]]:
        """Units packed in reading order into parts of at most ``room`` tokens."""
        parts: list[list[Unit]] = []
        current: list[Unit] = []
        used = 0
        for unit in units:
            cost = self.budget.tokens(self._line(unit)) + 1
            if cost > room:
                continue  # one over-long sentence cannot be sent whole; it stays out of the prompts
            if current and used + cost > room:
                parts.append(current)
                current, used = [], 0
            current.append(unit)
            used += cost
        if current:
            parts.append(current)
        return parts

    def _line(self, unit: Unit) -> str:
        return f"[c{unit.index + 1}] {unit.text}"

    def _part_label(self, part: Sequence[Unit]) -> str:
        first, last = _location(part[0], self.paged), _location(part[-1], self.paged)
        return first if first == last else f"{first} to {last}"

    def _part_text(self, part: Sequence[Unit]) -> str:
        lines: list[str] = []
        where = None
        for unit in part:
            here = _location(unit, self.paged)
            if here and here != where:
                lines.append(f"({here})")
                where = here
            lines.append(self._line(unit))
        return "\n".join(lines)

    def map(self, units: Sequence[Unit]) -> list[Point]:
        """Cited points of every part of the document."""
        for unit in units:
            self.units[unit.index + 1] = unit
        per_part = max(3, min(8, self.target.points))
        fixed = dict(title=self.title, part="p. 9999 to p. 9999", text="", points=str(per_part))
        room = self.budget.prompt - self._overhead("summary_map", focus=_focus_line(self.focus), **fixed)
        room -= 2 * 24  # location lines inside a part
        if room < MIN_PART_TOKENS:
            raise ConfigError(
                "The summary prompt leaves no room for document text within BRIEFBOT_LLM_CONTEXT_TOKENS.",
                hint="Raise BRIEFBOT_LLM_CONTEXT_TOKENS or shorten --focus.",
            )
        parts = self.pack(units, room)
        self.parts = len(parts)
        self._planned = len(parts) + 1 + (1 + len(parts) // 4 if len(parts) > 1 else 0)
        points: list[Point] = []
        for part in parts:
            messages = self._messages(
                "summary_map",
                title=self.title,
                part=self._part_label(part),
                text=self._part_text(part),
                points=str(per_part),
                focus=_focus_line(self.focus),
            )
            got = parse_points(self._call(messages))
            points.extend(self._keep_known(got, {u.index + 1 for u in part}, "map"))
        return points

    # --- reduce and final -----------------------------------------------------------------
    def _notes_room(self, name: str) -> int:
        values = dict(
            title=self.title, points="", count=str(self.target.points), focus=_focus_line(self.focus)
        )
        if name == "summary_final":
            values["words"] = str(self.target.words)
        return self.budget.prompt - self._overhead(name, **values)

    def _groups(self, points: list[Point], room: int) -> list[list[Point]]:
        groups: list[list[Point]] = [[]]
        used = 0
        for p in points:
            cost = self.budget.tokens(p.render()) + 1
            if cost > room:  # a runaway point: keep its start
                p.text = p.text[: max(40, len(p.text) * room // (2 * cost))]
                cost = self.budget.tokens(p.render()) + 1
            if groups[-1] and used + cost > room:
                groups.append([])
                used = 0
            groups[-1].append(p)
            used += cost
        return groups

    def reduce(self, points: list[Point], *, parts: int = 2) -> list[Point]:
        """Merge points in rounds (neighbouring groups that fit one prompt) until they fit the final prompt.

        Points from more than one part are always merged at least once, so
        repeats across parts are combined with their ids; a single part's
        points go to the final step as they are when they fit.
        """
        final_room = self._notes_room("summary_final")
        reduce_room = self._notes_room("summary_reduce")

        def fits(ps: list[Point]) -> bool:
            return sum(self.budget.tokens(p.render()) + 1 for p in ps) <= final_room

        if not points or (parts <= 1 and fits(points)):
            return points
        for _ in range(MAX_ROUNDS):
            groups = self._groups(points, reduce_room)
            self._planned = self.calls + len(groups) + 1
            merged: list[Point] = []
            for group in groups:
                allowed = {i for p in group for i in p.ids}
                # Several groups: each must shrink (at most half), so the rounds converge.
                count = (
                    min(self.target.points, max(1, len(group) // 2))
                    if len(groups) > 1
                    else self.target.points
                )
                messages = self._messages(
                    "summary_reduce",
                    title=self.title,
                    points="\n".join(p.render() for p in group),
                    count=str(count),
                    focus=_focus_line(self.focus),
                )
                got = self._keep_known(parse_points(self._call(messages)), allowed, "reduce")
                merged.extend(got[: max(count, 1)])
            points = merged
            if not points or (len(groups) == 1 and fits(points)):
                return points
        # Still too long after the last round: keep what fits, in order.
        return self._groups(points, final_room)[0]

    def final(self, points: list[Point]) -> list[Point]:
        """The summary points at the requested length."""
        if not points:
            return []
        allowed = {i for p in points for i in p.ids}
        messages = self._messages(
            "summary_final",
            title=self.title,
            points="\n".join(p.render() for p in points),
            count=str(self.target.points),
            words=str(self.target.words),
            focus=_focus_line(self.focus),
        )
        got = self._keep_known(parse_points(self._call(messages)), allowed, "final")
        return got[: self.target.points]

    def run(self, units: Sequence[Unit]) -> list[Point]:
        """Map, reduce and final: the cited points, ids not yet verified against the text."""
        points = self.map(units)
        return self.final(self.reduce(points, parts=self.parts))
