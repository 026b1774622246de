"""Posting to Slack (threads, placeholders, response_url) and turning failures into friendly replies."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from slack_sdk.webhook import WebhookClient

from bot.slack.blocks import SlackMessage, plain_message
from bot.slack.config import retry_handlers
from bot.slack.context import SlackContext
from bot.slack.sanitize import escape, truncate
from bot.slack.threads import CONTINUATION_EVENT, NOTICE_EVENT, event_metadata
from core.errors import (
    BriefbotError,
    DocumentError,
    EmptyIndexError,
    FetchError,
    InputError,
    LLMError,
    StoreError,
)

MAX_RESPONSE_URL_USES = 5
_log = logging.getLogger("bot.slack")


class ResponseUrlError(Exception):
    """A response_url did not accept a message."""


GENERIC_FAILURE = (
    "Sorry, something went wrong while I was working on that. It has been logged (ref `{ref}`); "
    "please try again in a minute."
)


def friendly_error(exc: BaseException, ref: str) -> str:
    """A short reply for a failure: what happened in plain words, never the exception text.

    Only input errors, whose messages are written for the person who made them, are quoted.
    """
    ref = escape(ref or uuid.uuid4().hex[:8])
    if isinstance(exc, EmptyIndexError):
        return "No reports are indexed yet, so I cannot answer. An admin can run `/briefbot reindex`."
    if isinstance(exc, StoreError):
        return f"The report index is not available right now. Please try again later (ref `{ref}`)."
    if isinstance(exc, LLMError):
        return f"The language model did not answer in time. Please try again in a minute (ref `{ref}`)."
    if isinstance(exc, FetchError):
        return f"I could not fetch that page ({escape(truncate(exc.reason, 200))})."
    if isinstance(exc, DocumentError):
        return f"I could not read that document: {escape(truncate(exc.reason, 200))}."
    if isinstance(exc, InputError):
        return escape(truncate(exc.message, 300))
    return GENERIC_FAILURE.format(ref=ref)


def log_failure(ctx: SlackContext, exc: BaseException, ref: str, what: str) -> None:
    """One log line with the event id (a traceback for bugs, none for expected errors)."""
    if isinstance(exc, BriefbotError):
        ctx.logger.warning("%s failed (event %s): %s: %s", what, ref, type(exc).__name__, exc)
    else:
        ctx.logger.error("%s failed (event %s)", what, ref, exc_info=exc)


def _message_args(message: SlackMessage, metadata: dict[str, Any] | None) -> dict[str, Any]:
    args: dict[str, Any] = {
        "text": message.text,
        "blocks": message.blocks or None,
        "unfurl_links": False,
        "unfurl_media": False,
        "link_names": False,
    }
    if metadata is not None:
        args["metadata"] = metadata
    return args


def post(
    ctx: SlackContext,
    channel: str,
    message: SlackMessage,
    *,
    thread_ts: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> str:
    """chat.postMessage; returns the new message's ts."""
    resp = ctx.client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, **_message_args(message, metadata)
    )
    return str(resp.get("ts") or "")


def update(
    ctx: SlackContext, channel: str, ts: str, message: SlackMessage, *, metadata: dict[str, Any] | None = None
) -> None:
    """chat.update of one of the bot's messages."""
    args = _message_args(message, metadata)
    args.pop("unfurl_links"), args.pop("unfurl_media")
    ctx.client.chat_update(channel=channel, ts=ts, **args)


def deliver(
    ctx: SlackContext,
    channel: str,
    thread_ts: str,
    messages: Sequence[SlackMessage],
    *,
    placeholder_ts: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> list[str]:
    """The first message replaces the placeholder (or is posted); the rest follow in the thread."""
    posted: list[str] = []
    for i, message in enumerate(messages):
        meta = metadata if i == 0 else event_metadata(CONTINUATION_EVENT)
        if i == 0 and placeholder_ts:
            update(ctx, channel, placeholder_ts, message, metadata=meta)
            posted.append(placeholder_ts)
        else:
            posted.append(post(ctx, channel, message, thread_ts=thread_ts, metadata=meta))
    return posted


def notice_in_thread(
    ctx: SlackContext, channel: str, thread_ts: str, text: str, *, ts: str | None = None
) -> None:
    """A short message of ours in the thread (``text`` already escaped); replaces ``ts`` when given."""
    message = plain_message(text)
    if ts:
        update(ctx, channel, ts, message, metadata=event_metadata(NOTICE_EVENT))
    else:
        post(ctx, channel, message, thread_ts=thread_ts, metadata=event_metadata(NOTICE_EVENT))


def respond(
    response_url: str,
    messages: Sequence[SlackMessage],
    *,
    response_type: str = "ephemeral",
    replace_original: bool = False,
) -> None:
    """Send messages to a slash command's or button's response_url (at most 5 uses per URL)."""
    webhook = WebhookClient(response_url, timeout=30, retry_handlers=retry_handlers())
    if len(messages) > MAX_RESPONSE_URL_USES:
        _log.warning(
            "response_url accepts %d messages; %d dropped",
            MAX_RESPONSE_URL_USES,
            len(messages) - MAX_RESPONSE_URL_USES,
        )
    for i, message in enumerate(messages[:MAX_RESPONSE_URL_USES]):
        resp = webhook.send(
            text=message.text,
            blocks=message.blocks or None,
            response_type=response_type,
            replace_original=replace_original and i == 0,
            unfurl_links=False,
            unfurl_media=False,
        )
        if resp.status_code != 200:
            raise ResponseUrlError(f"response_url answered HTTP {resp.status_code}")


def reply_failure(
    ctx: SlackContext,
    exc: BaseException,
    ref: str,
    *,
    what: str,
    channel: str | None = None,
    thread_ts: str | None = None,
    placeholder_ts: str | None = None,
    response_url: str | None = None,
) -> None:
    """Log the failure with its event id, then tell the user in the thread or via response_url."""
    log_failure(ctx, exc, ref, what)
    text = friendly_error(exc, ref)
    try:
        if response_url:
            respond(response_url, [plain_message(text)], replace_original=False)
        elif channel and thread_ts:
            notice_in_thread(ctx, channel, thread_ts, text, ts=placeholder_ts)
    except Exception as exc_reply:
        last: BaseException = exc_reply
        if placeholder_ts and channel and thread_ts:
            try:  # the placeholder may be gone; a new message still ends the silence
                notice_in_thread(ctx, channel, thread_ts, text)
                return
            except Exception as exc_post:
                last = exc_post
        ctx.logger.error("could not tell the user about the failure (event %s): %s", ref, type(last).__name__)
