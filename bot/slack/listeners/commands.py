"""Slash commands: /ask, /summarize and /briefbot (status, reindex, help).

Each is acknowledged at once with a short ephemeral message; the work runs on
the worker pool and the result goes back through the command's response_url.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.slack.context import SlackContext
from bot.slack.jobs import answer_command, reindex_command, status_command, summarize_command
from bot.slack.listeners._common import BUSY_TEXT, NOT_ALLOWED_TEXT, ephemeral, quoted, rate_limited_text
from bot.slack.replies import log_failure

COMMANDS = ("/ask", "/summarize", "/briefbot")

BRIEFBOT_USAGE = (
    "*briefbot commands*\n"
    "• `/ask <question>`: a cited answer from the indexed reports\n"
    "• `/summarize <indexed report, file name or URL>`: a cited summary\n"
    "• `/briefbot status`: what is indexed and when\n"
    "• `/briefbot reindex`: re-index the reports (admins only)\n"
    "You can also mention me in a channel or send me a direct message."
)


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the three slash commands."""

    @app.command("/ask")
    def on_ask(ack: Ack, command: dict[str, Any]) -> None:
        question = str(command.get("text") or "").strip()
        if not question:
            ack(**ephemeral("Ask me something: `/ask Which sectors were targeted?`"))
            return
        status = ctx.cached_status()
        what = f"{status.chunks:,} passages" if status is not None and status.chunks else "the reports"
        _start(
            ctx,
            ack,
            command,
            f":mag: Searching {what} for _{quoted(question)}_…",
            lambda ref: answer_command(
                ctx,
                question=question,
                user=str(command.get("user_id")),
                channel=str(command.get("channel_id")),
                response_url=str(command.get("response_url")),
                ref=ref,
            ),
        )

    @app.command("/summarize")
    def on_summarize(ack: Ack, command: dict[str, Any]) -> None:
        source = str(command.get("text") or "").strip().strip("<>").split("|")[0]
        if not source:
            ack(**ephemeral("Tell me what to summarize: `/summarize <indexed report, file name or URL>`."))
            return
        _start(
            ctx,
            ack,
            command,
            f":memo: Summarizing _{quoted(source)}_…",
            lambda ref: summarize_command(
                ctx, source=source, response_url=str(command.get("response_url")), ref=ref
            ),
        )

    @app.command("/briefbot")
    def on_briefbot(ack: Ack, command: dict[str, Any]) -> None:
        words = str(command.get("text") or "").split()
        sub = words[0].lower() if words else "help"
        user = str(command.get("user_id"))
        url = str(command.get("response_url"))
        if sub == "status":
            _start(
                ctx,
                ack,
                command,
                "Checking the index…",
                lambda ref: status_command(ctx, response_url=url, ref=ref),
                rate_limited=False,
            )
        elif sub == "reindex":
            if not ctx.is_admin(user):
                ctx.logger.info("reindex refused for %s (not in slack_admin_users)", user)
                ack(
                    **ephemeral(
                        "Sorry, only briefbot admins can re-index. Ask one of them; see `/briefbot status`."
                    )
                )
                return
            _start(
                ctx,
                ack,
                command,
                ":arrows_counterclockwise: Re-indexing the reports; I'll report back here.",
                lambda ref: reindex_command(ctx, user=user, response_url=url, ref=ref),
                rate_limited=False,
            )
        else:
            ack(**ephemeral(BRIEFBOT_USAGE))


def _start(
    ctx: SlackContext,
    ack: Ack,
    command: dict[str, Any],
    ack_text: str,
    job: Callable[[str], None],
    *,
    rate_limited: bool = True,
) -> None:
    """Allow-list, rate limit, acknowledge, queue."""
    ref = str(command.get("trigger_id") or command.get("command") or "")
    try:
        channel = str(command.get("channel_id") or "")
        direct = command.get("channel_name") == "directmessage" or channel.startswith("D")
        if not ctx.channel_allowed(channel, direct=direct):
            ack(**ephemeral(NOT_ALLOWED_TEXT))
            return
        if rate_limited:
            wait = ctx.limiter.check(str(command.get("user_id")))
            if wait is not None:
                ack(**ephemeral(rate_limited_text(wait, ctx.limiter.per_minute)))
                return
        if not ctx.workers.submit(lambda: job(ref), label=f"{command.get('command')} {ref}"):
            ack(**ephemeral(BUSY_TEXT))
            return
        ack(**ephemeral(ack_text))
    except Exception as exc:
        log_failure(ctx, exc, ref, str(command.get("command")))
        ack(**ephemeral("Sorry, I could not start on that. Please try again in a minute."))
