"""The app manifest parses and asks for exactly what the listeners handle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.slack.listeners import register_all

MANIFEST = Path(__file__).resolve().parent.parent / "bot" / "slack" / "manifest.yaml"
# Message events are subscribed per conversation type but arrive as one "message" event.
MESSAGE_EVENTS = {"message.channels", "message.groups", "message.im", "message.mpim"}
SCOPE_FOR_EVENT = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
}


class RecordingApp:
    """Stands in for slack_bolt.App and records what the listeners register."""

    def __init__(self) -> None:
        self.events: set[str] = set()
        self.commands: set[str] = set()
        self.actions: set[str] = set()

    def _decorator(self, into: set[str], name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        into.add(name)
        return lambda fn: fn

    def event(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._decorator(self.events, name)

    def command(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._decorator(self.commands, name)

    def action(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._decorator(self.actions, name)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"listeners use app.{name}, which this test does not know; extend it")


def load_manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def registered() -> RecordingApp:
    app = RecordingApp()
    register_all(app, ctx=None)  # type: ignore[arg-type]  # registration does not touch the context
    return app


def test_manifest_subscribes_to_exactly_the_events_the_listeners_handle() -> None:
    bot_events = set(load_manifest()["settings"]["event_subscriptions"]["bot_events"])
    as_delivered = {"message" if e in MESSAGE_EVENTS else e for e in bot_events}
    assert as_delivered == registered().events


def test_manifest_declares_exactly_the_slash_commands_the_listeners_handle() -> None:
    commands = {c["command"] for c in load_manifest()["features"]["slash_commands"]}
    assert commands == registered().commands == {"/ask", "/summarize", "/briefbot"}


def test_manifest_enables_interactivity_socket_mode_home_tab_and_needed_scopes() -> None:
    manifest = load_manifest()
    settings = manifest["settings"]
    assert registered().actions and settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {
        SCOPE_FOR_EVENT[e] for e in settings["event_subscriptions"]["bot_events"] if e in SCOPE_FOR_EVENT
    }
    needed |= {"chat:write", "commands"}
    assert scopes == needed
