"""Mentions in channels, direct messages, and replies in threads the bot answered.

The listener does only the quick part (filter, deduplicate, allow-list, rate
limit) and queues the answer, so Slack is acknowledged at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.slack.context import SlackContext
from bot.slack.dedup import event_key, message_key
from bot.slack.jobs import ThreadQuestion, answer_in_thread
from bot.slack.listeners._common import BUSY_TEXT, NOT_ALLOWED_TEXT, header, rate_limited_text
from bot.slack.replies import notice_in_thread, reply_failure

EVENTS = ("app_mention", "message")
# Message subtypes that are still a person writing; everything else (edits, deletions, joins,
# bot_message, ...) is ignored.
USER_SUBTYPES = (None, "thread_broadcast", "file_share")


def register(app: App, ctx: SlackContext) -> None:
    """Listen to app_mention and message events."""

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], request: BoltRequest) -> None:
        handle_message_event(ctx, body, event, request, kind="app_mention")

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], request: BoltRequest) -> None:
        handle_message_event(ctx, body, event, request, kind="message")


def is_from_person(ctx: SlackContext, event: Mapping[str, Any]) -> bool:
    """False for the bot's own messages, other bots, and edits, deletions and other subtypes."""
    if event.get("bot_id") or event.get("bot_profile") or event.get("hidden"):
        return False
    if event.get("subtype") not in USER_SUBTYPES:
        return False
    user = event.get("user")
    return bool(user) and user != ctx.bot_user_id


def handle_message_event(
    ctx: SlackContext, body: Mapping[str, Any], event: Mapping[str, Any], request: BoltRequest, *, kind: str
) -> None:
    """Decide whether to answer, claim the message once, and queue the answer."""
    event_id = str(body.get("event_id") or "")
    try:
        if not is_from_person(ctx, event):
            return
        channel, ts = str(event.get("channel", "")), str(event.get("ts", ""))
        thread_ts = str(event.get("thread_ts") or ts)
        direct = event.get("channel_type") == "im"
        # In channels, plain messages count only as follow-ups in threads the bot answered;
        # mentions anywhere arrive as app_mention.
        if (
            kind == "message"
            and not direct
            and (thread_ts == ts or not ctx.threads.answered(channel, thread_ts))
        ):
            return
        if not channel or not ts:
            return
        if not ctx.dedup.claim(event_key(event_id), message_key(channel, ts)):
            ctx.logger.info(
                "duplicate %s delivery ignored (event %s, retry %s)",
                kind,
                event_id,
                header(request.headers, "x-slack-retry-num") or 0,
            )
            return
        user = str(event.get("user"))
        if not ctx.channel_allowed(channel, direct=direct):
            ctx.logger.info(
                "event %s from channel %s ignored: not in slack_allowed_channels", event_id, channel
            )
            _queue_notice(ctx, channel, thread_ts, NOT_ALLOWED_TEXT, event_id)
            return
        wait = ctx.limiter.check(user)
        if wait is not None:
            ctx.logger.info("event %s: user %s rate limited", event_id, user)
            _queue_notice(ctx, channel, thread_ts, rate_limited_text(wait, ctx.limiter.per_minute), event_id)
            return
        question = ThreadQuestion(
            channel=channel,
            user=user,
            text=str(event.get("text", "")),
            ts=ts,
            thread_ts=thread_ts,
            event_id=event_id,
            direct=direct,
        )
        if not ctx.workers.submit(lambda: answer_in_thread(ctx, question), label=f"event {event_id}"):
            ctx.logger.warning("event %s: worker queue full", event_id)
            notice_in_thread(ctx, channel, thread_ts, BUSY_TEXT)
    except Exception as exc:
        reply_failure(
            ctx,
            exc,
            event_id,
            what=kind,
            channel=str(event.get("channel") or "") or None,
            thread_ts=str(event.get("thread_ts") or event.get("ts") or "") or None,
        )


def _queue_notice(ctx: SlackContext, channel: str, thread_ts: str, text: str, event_id: str) -> None:
    def job() -> None:
        try:
            notice_in_thread(ctx, channel, thread_ts, text)
        except Exception as exc:
            ctx.logger.warning("could not post a notice (event %s): %s", event_id, type(exc).__name__)

    ctx.workers.submit(job, label=f"notice {event_id}")
