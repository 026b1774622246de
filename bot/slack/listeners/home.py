"""The App Home tab: index status and how to ask."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.blocks import home_view
from bot.slack.context import SlackContext

EVENTS = ("app_home_opened",)


def register(app: App, ctx: SlackContext) -> None:
    """Listen to app_home_opened and publish the Home view."""

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        user = str(event["user"])
        event_id = str(body.get("event_id") or "")
        ctx.workers.submit(lambda: publish_home(ctx, user, event_id), label=f"home {event_id}")


def publish_home(ctx: SlackContext, user: str, event_id: str = "") -> None:
    """views.publish the Home tab for one user."""
    try:
        ctx.client.views_publish(user_id=user, view=home_view(ctx.index_status(), ctx.llm))
    except Exception as exc:
        ctx.logger.warning("could not publish the Home tab (event %s): %s", event_id, type(exc).__name__)
