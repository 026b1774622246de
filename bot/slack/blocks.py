"""Block Kit rendering of answers, summaries, notices, status and the App Home tab.

Every string that comes from a document, an LLM or a user goes through
:mod:`bot.slack.sanitize`; the only link markup is built by ``sanitize.link``.
Long content is split to Slack's limits (3,000 characters per section text,
50 blocks per message) into as many messages as needed, and every message has
a plain ``text`` fallback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from bot.results import Answer, Citation, Summary
from bot.slack.sanitize import escape, escape_markdown, host_of, link, truncate
from core.types import DocumentMeta, Passage

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
# Slack rejects very large messages (msg_too_long); stay well below by character budget too.
MESSAGE_CHAR_BUDGET = 12_000
FALLBACK_LIMIT = 3000
QUOTE_LIMIT = 1200
SNIPPET_LIMIT = 300
NOTICE_POINTS = 3
FEEDBACK_BLOCK = "briefbot_feedback"
FEEDBACK_UP = "briefbot_feedback_up"
FEEDBACK_DOWN = "briefbot_feedback_down"

Block = dict[str, Any]


class StatusLike(Protocol):
    """What the status views need from ``indexing.store.IndexStatus``."""

    @property
    def documents(self) -> int: ...
    @property
    def chunks(self) -> int: ...
    @property
    def last_indexed(self) -> object: ...


@dataclass
class SlackMessage:
    """One message to post: fallback text plus blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)


# --- primitives --------------------------------------------------------------------------
def section(text: str) -> Block:
    """A mrkdwn section (``text`` must already be escaped and within the limit)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(*texts: str) -> Block:
    """A context block of mrkdwn elements (already escaped)."""
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": t[:SECTION_LIMIT]} for t in texts[:10]],
    }


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def split_mrkdwn(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Escaped text cut into pieces of at most ``limit`` characters at paragraph, line or word breaks."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            cut = window.rfind(sep)
            if cut > limit // 3:
                cut += len(sep)
                break
        if cut <= 0:
            cut = limit
            amp = window.rfind("&")
            if amp > 0 and ";" not in window[amp:]:
                cut = amp  # do not split an entity such as &amp;
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def text_sections(text: str) -> list[Block]:
    """Sections holding ``text`` (already escaped), split to the section limit."""
    return [section(piece) for piece in split_mrkdwn(text)]


def paginate(body: Sequence[Block], tail: Sequence[Block], fallback: str) -> list[SlackMessage]:
    """Blocks spread over messages of at most 50 blocks and a character budget; ``tail`` ends the last."""
    pages: list[list[Block]] = [[]]
    size = 0
    for block in body:
        block_size = _block_chars(block)
        if pages[-1] and (len(pages[-1]) >= MAX_BLOCKS or size + block_size > MESSAGE_CHAR_BUDGET):
            pages.append([])
            size = 0
        pages[-1].append(block)
        size += block_size
    tail = list(tail)
    if tail and (
        len(pages[-1]) + len(tail) > MAX_BLOCKS or size + sum(map(_block_chars, tail)) > MESSAGE_CHAR_BUDGET
    ):
        pages.append([])
    pages[-1].extend(tail)
    fallback = truncate(fallback, FALLBACK_LIMIT) or "briefbot"
    messages = [SlackMessage(fallback, pages[0])]
    for i, page in enumerate(pages[1:], start=2):
        messages.append(SlackMessage(f"(continued, part {i} of {len(pages)})", page))
    return messages


def _block_chars(block: Block) -> int:
    if "text" in block and isinstance(block["text"], dict):
        return len(block["text"].get("text", ""))
    return sum(len(e.get("text", "")) for e in block.get("elements", []) if isinstance(e, dict)) + 50


# --- formatting helpers ------------------------------------------------------------------
def format_when(value: object) -> str:
    """A timestamp for people: '2025-01-31 14:05 UTC', a date, or 'never'."""
    if value is None or value == "":
        return "never"
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else value
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return escape(str(value))


def source_line(
    title: str,
    url: str,
    publisher: str = "",
    published: str | None = None,
    page: str | None = None,
    source: str = "",
) -> str:
    """'<url|Title> (host) · Publisher · 2024-04-19 · p. 12', everything escaped."""
    label = title or source or url or "untitled"
    head = link(url, label)
    host = host_of(url) if head.startswith("<") else ""
    if host:
        head += f" ({escape(host)})"
    elif source and source != label:
        head += f" ({escape(truncate(source, 120))})"
    parts = [head]
    parts += [escape(p) for p in (publisher, published or "") if p]
    if page:
        parts.append(f"p. {escape(str(page))}")
    return " · ".join(parts)


def quote_block(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Verbatim text as a mrkdwn quote (escaped; each line prefixed)."""
    cleaned = " ".join(text.split())
    return "> " + escape(truncate(cleaned, limit)) if cleaned else ""


def method_label(method: str) -> str:
    """'extractive' or which LLM wrote it, for context lines."""
    if not method or method == "extractive":
        return ":mag: Extracted verbatim from the indexed reports (no LLM)"
    model = method.removeprefix("llm:")
    return f":robot_face: Written by {escape(model)} from the indexed reports; every [n] was checked"


def _citation_section(c: Citation) -> Block:
    head = f"*[{c.n}]* " + source_line(c.title, c.url, c.publisher, c.published, c.page, c.source)
    quote = quote_block(c.quote, max(SECTION_LIMIT - len(head) - 10, 100))
    return section(truncate(f"{head}\n{quote}" if quote else head, SECTION_LIMIT))


def _passage_section(p: Passage) -> Block:
    head = "• " + source_line(p.title, p.url, p.publisher, p.published, p.page, p.source)
    quote = quote_block(p.text, SNIPPET_LIMIT)
    return section(truncate(f"{head}\n{quote}" if quote else head, SECTION_LIMIT))


def feedback_actions(answer_id: str) -> Block:
    """👍/👎 buttons carrying the answer id."""
    return {
        "type": "actions",
        "block_id": FEEDBACK_BLOCK,
        "elements": [
            {
                "type": "button",
                "action_id": FEEDBACK_UP,
                "value": answer_id,
                "text": {"type": "plain_text", "text": "👍 Helpful", "emoji": True},
            },
            {
                "type": "button",
                "action_id": FEEDBACK_DOWN,
                "value": answer_id,
                "text": {"type": "plain_text", "text": "👎 Not helpful", "emoji": True},
            },
        ],
    }


# --- messages ----------------------------------------------------------------------------
def answer_messages(
    answer: Answer,
    *,
    answer_id: str | None = None,
    index_updated: object = None,
    heading: str | None = None,
) -> list[SlackMessage]:
    """An answer (or refusal with the closest passages) as one or more messages.

    ``heading`` (already escaped) goes first, e.g. the question of a slash command.
    """
    body: list[Block] = []
    if heading:
        body += text_sections(heading)
    body += text_sections(escape_markdown(answer.answer) or "_(empty answer)_")
    if answer.refused:
        if answer.passages:
            body.append(section("*Closest passages* (they do not answer the question):"))
            body += [_passage_section(p) for p in answer.passages[:5]]
    elif answer.citations:
        body.append(divider())
        body.append(section("*Sources*"))
        body += [_citation_section(c) for c in answer.citations]
    tail: list[Block] = []
    notes = [escape(n) for n in answer.notes]
    if answer.removed_citations:
        count = len(answer.removed_citations)
        notes.append(f"{count} unsupported citation{'s' if count != 1 else ''} removed by verification")
    if notes:
        tail.append(context(*(f":warning: {truncate(n, 500)}" for n in notes[:5])))
    tail.append(context(method_label(answer.method), f"Index updated {format_when(index_updated)}"))
    if answer_id:
        tail.append(feedback_actions(answer_id))
    return paginate(body, tail, escape(answer.answer))


def summary_messages(
    summary: Summary,
    *,
    max_points: int | None = None,
    heading: str | None = None,
    footer: str | None = None,
) -> list[SlackMessage]:
    """A cited summary: title line, points with their page/section labels and quotes, method."""
    title = source_line(
        summary.title, summary.url, summary.publisher, summary.published, source=summary.source
    )
    body: list[Block] = []
    if heading:
        body.append(section(heading))
    body.append(section(truncate(f"*{title}*" if not title.startswith("<") else title, SECTION_LIMIT)))
    points = summary.points[:max_points] if max_points else summary.points
    for point in points:
        labels = " ".join(escape(c.label()) for c in point.citations if c.label())
        line = f"• {escape_markdown(point.text)}" + (f" _{labels}_" if labels else "")
        quotes = [quote_block(c.quote, SNIPPET_LIMIT) for c in point.citations[:2] if c.quote]
        body += text_sections("\n".join([line, *quotes]))
    if not points:
        body.append(section("_No summary could be drawn from this document._"))
    tail_texts = [_summary_method(summary.method)] + [
        f":warning: {escape(truncate(n, 300))}" for n in summary.notes[:3]
    ]
    if footer:
        tail_texts.append(footer)
    fallback = f"{summary.title or summary.source}: {summary.summary}"
    return paginate(body, [context(*tail_texts)], escape(fallback))


def _summary_method(method: str) -> str:
    if not method or method == "extractive":
        return ":mag: Extractive summary: sentences quoted from the report"
    model = escape(method.removeprefix("llm:"))
    return f":robot_face: Summary written by {model}; quotes checked against the report"


def notice_messages(meta: DocumentMeta, summary: Summary | None) -> list[SlackMessage]:
    """A new-report notice: title, publisher, date and a three-point cited summary."""
    heading = ":newspaper: *New report indexed*"
    if summary is None:
        line = source_line(meta.title, meta.url, meta.publisher, meta.published, source=meta.source)
        body = [
            section(heading),
            section(truncate(line, SECTION_LIMIT)),
            section("_A summary could not be made; ask me about it instead._"),
        ]
        return paginate(body, [], escape(f"New report: {meta.title or meta.source}"))
    merged = Summary(
        title=meta.title or summary.title,
        source=meta.source or summary.source,
        publisher=meta.publisher or summary.publisher,
        published=meta.published or summary.published,
        url=meta.url or summary.url,
        method=summary.method,
        points=summary.points[:NOTICE_POINTS],
        notes=summary.notes,
    )
    footer = f"Ask about it by mentioning me, or `/summarize {escape(truncate(meta.source, 200))}` for more."
    messages = summary_messages(merged, heading=heading, footer=footer)
    fallback = f"New report: {merged.title or merged.source}. {merged.summary}"
    messages[0].text = truncate(escape(fallback), FALLBACK_LIMIT)
    return messages


def plain_message(text: str) -> SlackMessage:
    """A short message of our own wording (``text`` already escaped)."""
    return SlackMessage(text, [section(text)])


def status_blocks(status: StatusLike | None, llm: str, extra: Sequence[tuple[str, str]] = ()) -> list[Block]:
    """Index status as section fields."""
    if status is None:
        return [section(":warning: The index status is not available right now.")]
    fields = [
        ("Documents", f"{status.documents:,}"),
        ("Passages", f"{status.chunks:,}"),
        ("Last indexed", format_when(status.last_indexed)),
        ("Answers", "extractive (no LLM)" if llm == "extractive" else escape(llm)),
    ]
    model = getattr(status, "model", None)
    if model:
        fields.append(("Embedding model", escape(str(model))))
    fields += list(extra)
    return [
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields[:10]]}
    ]


HOW_TO_ASK = (
    "*How to ask*\n"
    "• Mention me in a channel: `@briefbot Which sectors were targeted?`; I answer in a thread.\n"
    "• Send me a direct message, any question.\n"
    "• Reply in my thread to ask a follow-up; I keep the thread's earlier questions in mind.\n"
    "• `/ask <question>`: answer in the channel. `/summarize <indexed report, file name or URL>`.\n"
    "• Narrow a question inline: `publisher:CISA after:2024-01-01 ...`\n"
    "• `/briefbot status` shows this index; every claim links to the passage behind it."
)


def home_view(status: StatusLike | None, llm: str) -> dict[str, Any]:
    """The App Home tab."""
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": "briefbot: cited answers from the reports"},
        },
        section(
            "I answer questions from the indexed security and policy reports, and cite the passage "
            "behind every claim."
        ),
        *status_blocks(status, llm),
        divider(),
        section(HOW_TO_ASK),
        context(f"Updated {format_when(datetime.now(UTC))}"),
    ]
    return {"type": "home", "blocks": blocks}
