"""👍/👎 buttons under answers: the vote is recorded and the user thanked (only they see it)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App

from bot.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, plain_message
from bot.slack.context import SlackContext
from bot.slack.replies import respond

ACTIONS = (FEEDBACK_UP, FEEDBACK_DOWN)
_ANSWER_ID = re.compile(r"^[0-9a-f]{8,64}$")


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the feedback buttons."""

    @app.action(FEEDBACK_UP)
    @app.action(FEEDBACK_DOWN)
    def on_feedback(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        record_feedback(ctx, body, action)


def record_feedback(ctx: SlackContext, body: dict[str, Any], action: dict[str, Any]) -> None:
    """Store the vote; thank the user through the response_url on the worker pool."""
    answer_id = str(action.get("value") or "")
    user = str((body.get("user") or {}).get("id") or "")
    if not _ANSWER_ID.match(answer_id) or not user:
        ctx.logger.warning("ignored a feedback click without a valid answer id")
        return
    vote = "up" if action.get("action_id") == FEEDBACK_UP else "down"
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    message_ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    try:
        ctx.feedback.record_vote(answer_id, user=user, vote=vote, channel=channel, message_ts=message_ts)
    except Exception:
        ctx.logger.exception("could not record feedback on %s", answer_id)
        return
    ctx.logger.info("feedback %s on answer %s", vote, answer_id)
    response_url = body.get("response_url")
    if response_url:
        thanks = (
            "Thanks, noted: 👍" if vote == "up" else "Thanks, noted: 👎. Rephrasing the question often helps."
        )

        def job() -> None:
            try:
                respond(str(response_url), [plain_message(thanks)])
            except Exception as exc:
                ctx.logger.info("could not thank for feedback: %s", type(exc).__name__)

        ctx.workers.submit(job, label=f"feedback {answer_id}")
