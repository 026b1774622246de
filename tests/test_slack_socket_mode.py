"""Socket Mode end to end: slack_bolt's SocketModeHandler connects (apps.connections.open on the Web API
stand-in) to a local websocket server playing Slack, which delivers envelopes and collects the acks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.slack.app import SlackBot, create_bot
from core.settings import load_settings
from tests.servers.slack_api import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER_ID,
    FakeService,
    SlackApiStandIn,
    SocketModeStandIn,
    event_body,
    mention,
)


@pytest.fixture
def api() -> Iterator[SlackApiStandIn]:
    with SlackApiStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def socket(api: SlackApiStandIn) -> Iterator[SocketModeStandIn]:
    with SocketModeStandIn(api) as server:
        yield server


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def bot(
    tmp_path: Path, api: SlackApiStandIn, socket: SocketModeStandIn, service: FakeService
) -> Iterator[SlackBot]:
    settings = load_settings(
        home=tmp_path / "home", slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN, slack_api_url=api.url
    )
    made = create_bot(settings, service, http=False)  # no signing secret needed in Socket Mode
    handler = SocketModeHandler(made.app, app_token=APP_TOKEN, logger=logging.getLogger("test.socket"))
    handler.connect()
    socket.wait_connected()
    yield made
    handler.close()
    made.close()


def test_socket_mode_mention_is_acknowledged_and_answered_in_the_thread(
    api: SlackApiStandIn, socket: SocketModeStandIn, bot: SlackBot, service: FakeService
) -> None:
    ts = api.add_message("C0GENERAL", f"<@{BOT_USER_ID}> What is Volt Typhoon?")
    envelope = socket.send(event_body(mention("What is Volt Typhoon?", ts=ts)))
    assert socket.wait_ack(envelope)["envelope_id"] == envelope
    api.wait_for("chat.update")
    assert bot.ctx.workers.wait_idle(30)
    assert service.asked == [("What is Volt Typhoon?", [])]
    assert api.calls_to("chat.postMessage")[0].args["thread_ts"] == ts
    assert api.calls_to("apps.connections.open")[0].token == APP_TOKEN


def test_socket_mode_retry_attempt_is_acknowledged_but_not_answered_again(
    api: SlackApiStandIn, socket: SocketModeStandIn, bot: SlackBot, service: FakeService
) -> None:
    ts = api.add_message("C0GENERAL", f"<@{BOT_USER_ID}> What is Volt Typhoon?")
    body = event_body(mention("What is Volt Typhoon?", ts=ts), event_id="Ev0SOCKET")
    first = socket.send(body)
    socket.wait_ack(first)
    retries = [socket.send(body, retry_attempt=n, retry_reason="timeout") for n in (1, 2)]
    for envelope in retries:
        socket.wait_ack(envelope)
    assert bot.ctx.workers.wait_idle(30)
    assert len(service.asked) == 1
    assert len(api.calls_to("chat.update")) == 1


def test_socket_mode_slash_command_acks_with_payload_then_answers_via_response_url(
    api: SlackApiStandIn, socket: SocketModeStandIn, bot: SlackBot, service: FakeService
) -> None:
    response_url = api.response_url("socket-ask")
    payload = {
        "command": "/ask",
        "text": "Which sectors were targeted?",
        "user_id": "U0ALICE",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "team_id": "T0000TEST",
        "response_url": response_url,
        "trigger_id": "tr-1",
    }
    envelope = socket.send(payload, kind="slash_commands")
    ack = socket.wait_ack(envelope)
    assert "Searching" in ack["payload"]["text"]
    (reply,) = api.wait_for("response_url")
    assert bot.ctx.workers.wait_idle(30)
    assert reply.args["response_type"] == "in_channel"
    assert service.asked == [("Which sectors were targeted?", [])]


def test_run_socket_mode_connects_with_the_app_token_answers_and_stops_cleanly(tmp_path: Path) -> None:
    import threading

    from bot.slack.runner import run_socket_mode

    service = FakeService()
    with SlackApiStandIn() as api, SocketModeStandIn(api) as socket:
        settings = load_settings(
            home=tmp_path / "home",
            slack_bot_token=BOT_TOKEN,
            slack_app_token=APP_TOKEN,
            slack_api_url=api.url,
        )
        stop = threading.Event()
        runner = threading.Thread(target=run_socket_mode, args=(settings, service), kwargs={"stop": stop})
        runner.start()
        try:
            socket.wait_connected()
            ts = api.add_message("D0DM", "What is Volt Typhoon?")
            event = {
                "type": "message",
                "user": "U0ALICE",
                "text": "What is Volt Typhoon?",
                "ts": ts,
                "channel": "D0DM",
                "channel_type": "im",
                "event_ts": ts,
            }
            socket.wait_ack(socket.send(event_body(event)))
            api.wait_for("chat.update")
        finally:
            stop.set()
            runner.join(30)
        assert not runner.is_alive()
        assert service.asked == [("What is Volt Typhoon?", [])]
        assert api.calls_to("apps.connections.open")[0].token == APP_TOKEN
