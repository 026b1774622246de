"""The slow half of every request, run on the worker pool after Slack has its acknowledgement."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.results import Answer
from bot.slack.blocks import (
    SlackMessage,
    answer_messages,
    plain_message,
    section,
    status_blocks,
    summary_messages,
)
from bot.slack.context import SlackContext
from bot.slack.notify import notify_new_reports
from bot.slack.replies import deliver, notice_in_thread, post, reply_failure, respond
from bot.slack.sanitize import escape, from_slack, is_public_url, truncate
from bot.slack.threads import NOTICE_EVENT, answer_metadata, event_metadata, history_from_replies
from core.errors import InputError

HELP_TEXT = (
    "Ask me a question about the indexed reports, e.g. _Which sectors were targeted?_ "
    "I answer in this thread and cite the passage behind every claim."
)


@dataclass(frozen=True)
class ThreadQuestion:
    """A mention or DM to answer in a thread."""

    channel: str
    user: str
    text: str
    ts: str
    thread_ts: str  # root of the thread; equals ts for a new conversation
    event_id: str
    direct: bool = False

    @property
    def is_followup(self) -> bool:
        """True when the message is a reply inside an existing thread."""
        return self.thread_ts != self.ts


def progress_text(ctx: SlackContext, *, followup: bool = False) -> str:
    """'Searching 1,234 passages…' (from the cached or fresh index status)."""
    status = ctx.index_status()
    what = f"{status.chunks:,} passages" if status is not None and status.chunks else "the reports"
    return f":mag: Searching {what}{' with this thread in mind' if followup else ''}…"


def thread_history(ctx: SlackContext, q: ThreadQuestion, *, max_pages: int = 5) -> list[tuple[str, str]]:
    """Earlier (question, answer) turns of the thread, via conversations.replies."""
    messages: list[dict[str, object]] = []
    cursor: str | None = None
    for _ in range(max_pages):
        resp = ctx.client.conversations_replies(
            channel=q.channel, ts=q.thread_ts, limit=200, include_all_metadata=True, cursor=cursor
        )
        messages += list(resp.get("messages") or [])
        cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return history_from_replies(messages, bot_user_id=ctx.bot_user_id, bot_id=ctx.bot_id, before_ts=q.ts)


def _register(
    ctx: SlackContext, answer: Answer, *, question: str, channel: str, thread_ts: str | None, user: str
) -> str:
    sources = [c.source for c in answer.citations] or [p.source for p in answer.passages[:5]]
    return ctx.feedback.register_answer(
        question=question,
        method=answer.method,
        refused=answer.refused,
        sources=sources,
        channel=channel,
        thread_ts=thread_ts,
        user=user,
    )


def answer_in_thread(ctx: SlackContext, q: ThreadQuestion) -> None:
    """Placeholder, history, answer, update: the whole life of a mention or DM."""
    started = time.monotonic()
    placeholder: str | None = None
    try:
        question = from_slack(q.text, bot_user_id=ctx.bot_user_id)
        if not question:
            notice_in_thread(ctx, q.channel, q.thread_ts, HELP_TEXT)
            return
        history = thread_history(ctx, q) if q.is_followup else []
        ctx.threads.mark(q.channel, q.thread_ts)  # replies from now on are follow-ups
        placeholder = post(
            ctx,
            q.channel,
            plain_message(progress_text(ctx, followup=bool(history))),
            thread_ts=q.thread_ts,
            metadata=event_metadata(NOTICE_EVENT),
        )
        answer = ctx.service.ask(question, history=history)
        answer_id = _register(
            ctx, answer, question=question, channel=q.channel, thread_ts=q.thread_ts, user=q.user
        )
        status = ctx.cached_status()
        messages = answer_messages(answer, answer_id=answer_id, index_updated=status and status.last_indexed)
        deliver(
            ctx,
            q.channel,
            q.thread_ts,
            messages,
            placeholder_ts=placeholder,
            metadata=answer_metadata(question, answer_id),
        )
        ctx.logger.info(
            "answered event %s in %s (%s, %d turns of history, %.2fs)",
            q.event_id,
            q.channel,
            answer.method,
            len(history),
            time.monotonic() - started,
        )
    except Exception as exc:
        reply_failure(
            ctx,
            exc,
            q.event_id or q.ts,
            what="answer",
            channel=q.channel,
            thread_ts=q.thread_ts,
            placeholder_ts=placeholder,
        )


def answer_command(
    ctx: SlackContext, *, question: str, user: str, channel: str, response_url: str, ref: str
) -> None:
    """/ask: the answer posted to the channel through response_url."""
    try:
        answer = ctx.service.ask(question)
        answer_id = _register(ctx, answer, question=question, channel=channel, thread_ts=None, user=user)
        status = ctx.cached_status()
        heading = f"*Question:* {escape(truncate(question, 500))}"
        messages = answer_messages(
            answer, answer_id=answer_id, index_updated=status and status.last_indexed, heading=heading
        )
        respond(response_url, messages, response_type="in_channel")
        ctx.logger.info("answered /ask %s (%s)", ref, answer.method)
    except Exception as exc:
        reply_failure(ctx, exc, ref, what="/ask", response_url=response_url)


def is_url(source: str) -> bool:
    """True for http(s) URLs."""
    return urlsplit(source).scheme.lower() in ("http", "https")


def summarize_command(ctx: SlackContext, *, source: str, response_url: str, ref: str) -> None:
    """/summarize: an indexed report (by source path or file name) or a public URL, never a local file."""
    try:
        if is_url(source):
            if not is_public_url(source):
                raise InputError("I only fetch public http(s) web pages.")
            summary = ctx.service.summarize(source, indexed=False, length="medium")
        else:
            summary = ctx.service.summarize(source, indexed=True, length="medium")
        heading = f"*Summary of* `{escape(truncate(source, 200))}`"
        respond(response_url, summary_messages(summary, heading=heading), response_type="in_channel")
        ctx.logger.info("summarized %s for %s (%s)", truncate(source, 200), ref, summary.method)
    except Exception as exc:
        reply_failure(ctx, exc, ref, what="/summarize", response_url=response_url)


def status_command(ctx: SlackContext, *, response_url: str, ref: str) -> None:
    """/briefbot status: documents, passages, last indexed, answer mode."""
    try:
        ctx.invalidate_status()
        blocks = [section("*briefbot index status*"), *status_blocks(ctx.index_status(), ctx.llm)]
        respond(response_url, [SlackMessage("briefbot index status", blocks)])
    except Exception as exc:
        reply_failure(ctx, exc, ref, what="/briefbot status", response_url=response_url)


def reindex_command(ctx: SlackContext, *, user: str, response_url: str, ref: str) -> None:
    """/briefbot reindex (admins only): incremental re-index, then new-report notices."""
    try:
        started = time.monotonic()
        report = ctx.service.reindex()
        ctx.invalidate_status()
        took = time.monotonic() - started
        text = (
            f"Re-indexed in {took:.0f}s: {report.added} added, {report.updated} updated, "
            f"{report.deleted} deleted."
        )
        respond(response_url, [plain_message(text)])
        ctx.logger.info("reindex by %s (%s): %s", user, ref, text)
        notify_new_reports(ctx.settings, ctx.service, report, ctx.client, logger=ctx.logger)
    except Exception as exc:
        reply_failure(ctx, exc, ref, what="/briefbot reindex", response_url=response_url)
