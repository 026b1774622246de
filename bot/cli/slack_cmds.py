"""`briefbot slack` (run the Slack bot) and `briefbot feedback` (list 👍/👎 votes)."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from bot.cli import _common


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("slack")(slack_cmd)
    app.command("feedback")(feedback_cmd)


def slack_cmd(
    ctx: typer.Context,
    http: Annotated[
        bool,
        typer.Option(
            "--http", help="Serve the Events API over HTTP at /slack/events instead of Socket Mode."
        ),
    ] = False,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="HTTP port (with --http).")] = 3000,
    host: Annotated[str, typer.Option("--host", help="HTTP address to bind (with --http).")] = "0.0.0.0",
) -> None:
    """Run the Slack bot: Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN) or --http (SLACK_SIGNING_SECRET)."""
    import logging

    from bot.slack import config, runner

    settings = _common.ctx_obj(ctx).settings
    # Check every credential before loading anything heavy.
    config.bot_token(settings)
    if http:
        config.signing_secret(settings)
    else:
        config.app_token(settings)
    logging.getLogger("bot.slack").setLevel(logging.INFO)
    from bot.service import Briefbot

    service = Briefbot(settings)
    if http:
        runner.serve_http(settings, service, host=host, port=port)
    else:
        runner.run_socket_mode(settings, service)


def feedback_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object with every vote.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the newest N votes.")] = None,
) -> None:
    """List the 👍/👎 feedback given on Slack answers, newest first."""
    from bot.slack.feedback import FeedbackStore

    settings = _common.ctx_obj(ctx).settings
    if not settings.state_db.exists():
        records = []
    else:
        store = FeedbackStore(settings.state_db)
        try:
            records = store.list(limit)
        finally:
            store.close()
    up = sum(r.vote == "up" for r in records)
    if as_json:
        typer.echo(
            json.dumps(
                {"up": up, "down": len(records) - up, "feedback": [r.to_json() for r in records]}, indent=2
            )
        )
        return
    if not records:
        typer.echo("No feedback yet.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Feedback: {up} 👍, {len(records) - up} 👎")
    for column in ("when (UTC)", "vote", "user", "question", "method", "sources"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(
            time.strftime("%Y-%m-%d %H:%M", time.gmtime(r.voted_at)),
            "👍" if r.vote == "up" else "👎",
            r.user,
            r.question + (" (refused)" if r.refused else ""),
            r.method,
            ", ".join(r.sources[:3]) + (" …" if len(r.sources) > 3 else ""),
        )
    Console().print(table)
