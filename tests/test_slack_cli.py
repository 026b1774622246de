"""`briefbot slack` credentials checks and serving, and `briefbot feedback`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.cli import main
from bot.slack.feedback import FeedbackStore
from tests.servers.slack_api import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackApiStandIn,
    event_body,
    message,
    post,
    signed_headers,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("env", "args", "variable"),
    [
        ({}, ["slack"], "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-123-user"}, ["slack"], "SLACK_BOT_TOKEN does not look like a bot token"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, ["slack"], "SLACK_APP_TOKEN is not set"),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": BOT_TOKEN},
            ["slack"],
            "SLACK_APP_TOKEN does not look",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN},
            ["slack", "--http"],
            "SLACK_SIGNING_SECRET is not set",
        ),
    ],
)
def test_missing_or_malformed_credentials_give_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    env: dict[str, str],
    args: list[str],
    variable: str,
) -> None:
    monkeypatch.setenv("BRIEFBOT_HOME", str(tmp_path / "home"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert variable in err and len(err.splitlines()) == 1
    assert "xoxp-123-user" not in err and BOT_TOKEN not in err


def test_feedback_lists_votes_as_json_and_as_a_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("BRIEFBOT_HOME", str(home))
    assert main(["feedback"]) == 0
    assert "No feedback yet" in capsys.readouterr().out
    store = FeedbackStore(home / "state.sqlite")
    answer_id = store.register_answer(
        question="What is Volt Typhoon?", method="extractive", refused=False, sources=["cisa.md"]
    )
    store.record_vote(answer_id, user="U1", vote="up")
    store.record_vote(answer_id, user="U2", vote="down")
    store.close()
    assert main(["feedback", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["up"], data["down"]) == (1, 1)
    assert {r["user"] for r in data["feedback"]} == {"U1", "U2"}
    assert data["feedback"][0]["question"] == "What is Volt Typhoon?"
    assert main(["feedback"]) == 0
    table = capsys.readouterr().out
    assert "1 👍, 1 👎" in table and all(
        word in table for word in ("Volt", "Typhoon?", "U1", "U2", "cisa.md")
    )


@pytest.mark.slow
def test_briefbot_slack_http_serves_verified_requests_and_keeps_tokens_out_of_logs(tmp_path: Path) -> None:
    with SlackApiStandIn() as api:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "SLACK_"))}
        env.update(
            BRIEFBOT_HOME=str(tmp_path / "home"),
            BRIEFBOT_SLACK_API_URL=api.url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            HF_HUB_OFFLINE="1",
        )
        log_path = tmp_path / "bot.log"  # a file, not a pipe, which could fill up and block the bot
        log = log_path.open("w")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))",
                "--debug",
                "slack",
                "--http",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
                        assert resp.read() == b"ok"
                        break
                except OSError:
                    assert proc.poll() is None, log_path.read_text()
                    assert time.monotonic() < deadline, "briefbot slack --http did not start"
                    time.sleep(0.3)
            url = f"http://127.0.0.1:{port}/slack/events"
            body = json.dumps({"type": "url_verification", "challenge": "c-42", "token": "legacy"})
            status, text = post(url, body, signed_headers(body))
            assert status == 200 and "c-42" in text
            assert post(url, body, signed_headers(body, secret="f" * 32))[0] == 401
            # Nothing is indexed in this home: the real service fails, and the user is told so.
            ts = api.add_message("D0DM", "What is Volt Typhoon?")
            event = event_body(message("What is Volt Typhoon?", channel="D0DM", ts=ts, channel_type="im"))
            body = json.dumps(event)
            assert post(url, body, signed_headers(body))[0] == 200
            (reply,) = api.wait_for("chat.update", timeout=120)
            assert "No reports are indexed yet" in reply.args["text"]
        finally:
            proc.terminate()
            proc.wait(timeout=60)
            log.close()
        out = log_path.read_text()
        assert proc.returncode == 0, out
        assert "listening on http://127.0.0.1" in out
        assert BOT_TOKEN not in out and "testtoken" not in out
        assert api.calls_to("auth.test")
