"""Bolt listeners, one module per kind of request, each with ``register(app, ctx)``."""

from __future__ import annotations

from typing import Any

from bot.slack.context import SlackContext
from bot.slack.listeners import actions, commands, home, messages

MODULES = (messages, commands, actions, home)


def register_all(app: Any, ctx: SlackContext) -> None:
    """Register every listener on ``app``."""
    for module in MODULES:
        module.register(app, ctx)
