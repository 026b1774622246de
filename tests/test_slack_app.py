"""The Slack app end to end over HTTP: signed requests into the real Bolt app, served by briefbot's
HTTP runner on 127.0.0.1, with the Web API stand-in recording what the bot posts. The service is a
fake here; tests/test_slack_integration.py runs the real one."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.app import SlackBot, create_bot
from bot.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP
from bot.slack.feedback import FeedbackStore
from core.errors import LLMError
from core.settings import Settings, load_settings
from tests.servers.slack_api import (
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    ApiCall,
    FakeService,
    SlackApiStandIn,
    action_form,
    action_payload,
    command_form,
    event_body,
    mention,
    message,
    post,
    serving,
    signed_headers,
)

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def api() -> Iterator[SlackApiStandIn]:
    with SlackApiStandIn() as stand_in:
        yield stand_in


def make_settings(tmp_path: Path, api: SlackApiStandIn, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "home": tmp_path / "home",
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": api.url,
        "slack_admin_users": ["U0ADMIN"],
        "slack_notify_channel": "C0NEWS",
        "slack_workers": 2,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def slack_settings(tmp_path: Path, api: SlackApiStandIn) -> Settings:
    return make_settings(tmp_path, api)


@pytest.fixture
def bot(slack_settings: Settings, service: FakeService) -> Iterator[SlackBot]:
    made = create_bot(slack_settings, service, http=True)
    yield made
    made.close()


@pytest.fixture
def url(bot: SlackBot) -> Iterator[str]:
    with serving(bot) as events_url:
        yield events_url


def send_event(
    url: str, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
) -> int:
    body = json.dumps(event_body(event, event_id=event_id))
    headers = signed_headers(body)
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    status, _ = post(url, body, headers)
    return status


def send_form(url: str, form: str) -> tuple[int, str]:
    return post(url, form, signed_headers(form, content_type=FORM))


def settle(bot: SlackBot) -> None:
    assert bot.ctx.workers.wait_idle(60), "jobs did not finish"


def posted_payloads(api: SlackApiStandIn) -> list[ApiCall]:
    return [
        c
        for c in api.calls
        if c.method in ("chat.postMessage", "chat.update") or c.method.startswith("response")
    ]


def all_text(call: ApiCall) -> str:
    return json.dumps(call.args, ensure_ascii=False)


def ask_in_channel(api: SlackApiStandIn, url: str, text: str, **kw: Any) -> str:
    ts = api.add_message("C0GENERAL", f"<@{BOT_USER_ID}> {text}", user=kw.get("user", "U0ALICE"))
    assert send_event(url, mention(text, ts=ts, **kw)) == 200
    return ts


# --- answering ---------------------------------------------------------------------------
def test_mention_gets_a_threaded_cited_answer_replacing_a_progress_placeholder(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    ts = ask_in_channel(api, url, "Which sectors did Volt Typhoon target?")
    settle(bot)

    assert service.asked == [("Which sectors did Volt Typhoon target?", [])]
    (placeholder,) = api.calls_to("chat.postMessage")
    assert placeholder.args["thread_ts"] == ts
    assert "Searching 1,234 passages" in placeholder.args["text"]
    (update,) = api.calls_to("chat.update")
    answer = all_text(update)
    assert update.args["text"].startswith("Volt Typhoon targeted the energy sector [1].")
    assert f"<{service.url}|{service.title}> (cisa.gov) · CISA · 2024-02-07 · p. 3" in answer
    assert "> Volt Typhoon actors have targeted communications, energy and water sectors." in answer
    assert "Extracted verbatim" in answer and "Index updated 2025-01-02" in answer
    actions = [b for b in update.args["blocks"] if b["type"] == "actions"]
    assert {e["action_id"] for e in actions[0]["elements"]} == {FEEDBACK_UP, FEEDBACK_DOWN}
    assert update.args["metadata"]["event_type"] == "briefbot_answer"


def test_direct_message_is_answered_in_a_thread(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    ts = api.add_message("D0DM", "What is Volt Typhoon?")
    assert send_event(url, message("What is Volt Typhoon?", channel="D0DM", ts=ts, channel_type="im")) == 200
    settle(bot)

    assert service.asked == [("What is Volt Typhoon?", [])]
    assert api.calls_to("chat.postMessage")[0].args["thread_ts"] == ts
    assert api.calls_to("chat.update")[0].args["channel"] == "D0DM"


def test_reply_in_the_bots_thread_is_a_follow_up_with_the_earlier_turn(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    root = ask_in_channel(api, url, "Which sectors did Volt Typhoon target?")
    settle(bot)
    reply = api.add_message("C0GENERAL", "And what about water utilities?", thread_ts=root)
    assert (
        send_event(
            url, message("And what about water utilities?", channel="C0GENERAL", ts=reply, thread_ts=root)
        )
        == 200
    )
    settle(bot)

    assert len(service.asked) == 2
    question, history = service.asked[1]
    assert question == "And what about water utilities?"
    assert history == [
        (
            "Which sectors did Volt Typhoon target?",
            "Volt Typhoon targeted the energy sector [1]. (Which sectors did Volt Typhoon target?)",
        )
    ]
    replies = api.calls_to("conversations.replies")
    assert replies and replies[-1].args["ts"] == root
    assert api.calls_to("chat.postMessage")[-1].args["thread_ts"] == root


def test_channel_messages_outside_the_bots_threads_are_ignored(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    root = api.add_message("C0GENERAL", "lunch?")
    reply = api.add_message("C0GENERAL", "sure", thread_ts=root)
    assert send_event(url, message("lunch?", channel="C0GENERAL", ts=root)) == 200
    assert send_event(url, message("sure", channel="C0GENERAL", ts=reply, thread_ts=root)) == 200
    settle(bot)
    assert service.asked == []
    assert posted_payloads(api) == []


@pytest.mark.parametrize(
    "extra",
    [
        {"user": BOT_USER_ID},
        {"bot_id": "B0OTHER", "subtype": "bot_message"},
        {"bot_id": BOT_ID},
        {"subtype": "message_changed"},
        {"subtype": "channel_join"},
    ],
    ids=["own-message", "other-bot", "own-bot-id", "edit", "join"],
)
def test_own_and_bot_messages_and_edits_are_ignored(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService, extra: dict[str, Any]
) -> None:
    ts = api.next_ts()
    event = message("What is Volt Typhoon?", channel="D0DM", ts=ts, channel_type="im")
    event.update(extra)
    assert send_event(url, event) == 200
    settle(bot)
    assert service.asked == []
    assert posted_payloads(api) == []


# --- never twice --------------------------------------------------------------------------
def test_duplicate_delivery_and_retries_are_answered_once(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    ts = api.add_message("C0GENERAL", f"<@{BOT_USER_ID}> What is Volt Typhoon?")
    event = mention("What is Volt Typhoon?", ts=ts)
    assert send_event(url, event, event_id="Ev0DUP") == 200
    assert send_event(url, event, event_id="Ev0DUP") == 200  # duplicate delivery
    assert send_event(url, event, event_id="Ev0DUP", retry=1) == 200  # Slack's retry
    assert send_event(url, event, event_id="Ev0DUP", retry=2) == 200
    settle(bot)
    assert len(service.asked) == 1
    assert len(api.calls_to("chat.update")) == 1


def test_one_mention_arriving_as_app_mention_and_message_gets_one_answer(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    root = ask_in_channel(api, url, "Which sectors did Volt Typhoon target?")
    settle(bot)
    text = f"<@{BOT_USER_ID}> and water?"
    ts = api.add_message("C0GENERAL", text, thread_ts=root)
    assert send_event(url, message(text, channel="C0GENERAL", ts=ts, thread_ts=root)) == 200
    assert send_event(url, mention("and water?", ts=ts, thread_ts=root)) == 200
    settle(bot)
    assert [q for q, _ in service.asked] == ["Which sectors did Volt Typhoon target?", "and water?"]
    assert len(api.calls_to("chat.update")) == 2


def test_a_restart_does_not_answer_a_redelivered_event_again(
    api: SlackApiStandIn, slack_settings: Settings, service: FakeService
) -> None:
    ts = api.add_message("C0GENERAL", f"<@{BOT_USER_ID}> What is Volt Typhoon?")
    event = mention("What is Volt Typhoon?", ts=ts)
    for retry in (None, 1):
        restarted = create_bot(slack_settings, service, http=True)
        with serving(restarted) as events_url:
            assert send_event(events_url, event, event_id="Ev0RESTART", retry=retry) == 200
            settle(restarted)
        restarted.close()
    assert len(service.asked) == 1


# --- request verification -------------------------------------------------------------------
def test_forged_signature_and_stale_timestamp_are_rejected_without_an_answer(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    ts = api.add_message("C0GENERAL", f"<@{BOT_USER_ID}> hi")
    body = json.dumps(event_body(mention("What is Volt Typhoon?", ts=ts)))
    forged = signed_headers(body, secret="0" * 32)
    stale = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    assert post(url, body, forged)[0] == 401
    assert post(url, body, stale)[0] == 401
    unsigned = {"Content-Type": "application/json"}
    assert post(url, body, unsigned)[0] == 401
    settle(bot)
    assert service.asked == []
    assert [c.method for c in api.calls] == ["auth.test", "auth.test"]


# --- slash commands ---------------------------------------------------------------------------
def test_ask_command_is_acknowledged_before_the_answer_then_answered_via_response_url(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    import threading

    service.gate = threading.Event()
    response_url = api.response_url("ask")
    status, body = send_form(
        url, command_form("/ask", "Which sectors were targeted?", response_url=response_url)
    )
    # The HTTP acknowledgement came back while the answer is still being worked on.
    assert status == 200
    assert "Searching" in json.loads(body)["text"]
    assert api.calls_to("response_url") == []
    service.gate.set()
    (reply,) = api.wait_for("response_url")
    settle(bot)
    assert reply.args["response_type"] == "in_channel"
    text = all_text(reply)
    assert "*Question:* Which sectors were targeted?" in text
    assert f"<{service.url}|{service.title}>" in text
    assert service.asked == [("Which sectors were targeted?", [])]


def test_summarize_command_summarizes_an_indexed_report_via_response_url(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    import threading

    service.gate = threading.Event()
    status, body = send_form(
        url, command_form("/summarize", "cisa/aa24-038a.md", response_url=api.response_url())
    )
    assert status == 200 and "Summarizing" in json.loads(body)["text"]
    assert api.calls_to("response_url") == []
    service.gate.set()
    (reply,) = api.wait_for("response_url")
    settle(bot)
    assert service.summarized == [("cisa/aa24-038a.md", True, "medium")]
    text = all_text(reply)
    assert "Point 1 about cisa/aa24-038a.md." in text and "[p. 1]" in text and "> Quote 1." in text


@pytest.mark.parametrize(
    "target", ["http://127.0.0.1:8080/admin", "http://localhost/x", "http://10.0.0.5/r.pdf"]
)
def test_summarize_refuses_urls_on_the_bots_own_network(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService, target: str
) -> None:
    assert send_form(url, command_form("/summarize", target, response_url=api.response_url()))[0] == 200
    (reply,) = api.wait_for("response_url")
    settle(bot)
    assert service.summarized == []
    assert "public http(s) web pages" in reply.args["text"]


def test_briefbot_status_command_reports_the_index(api: SlackApiStandIn, url: str, bot: SlackBot) -> None:
    assert send_form(url, command_form("/briefbot", "status", response_url=api.response_url()))[0] == 200
    (reply,) = api.wait_for("response_url")
    text = all_text(reply)
    assert "*Documents*\\n3" in text and "*Passages*\\n1,234" in text and "extractive" in text


def test_reindex_is_refused_politely_for_non_admins(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    status, body = send_form(url, command_form("/briefbot", "reindex", response_url=api.response_url()))
    settle(bot)
    assert status == 200 and "only briefbot admins" in json.loads(body)["text"]
    assert service.reindexed == 0


def test_reindex_by_an_admin_reports_and_posts_new_report_notices(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    form = command_form("/briefbot", "reindex", response_url=api.response_url(), user="U0ADMIN")
    assert send_form(url, form)[0] == 200
    api.wait_for("response_url")
    settle(bot)
    assert service.reindexed == 1
    assert "1 added" in api.calls_to("response_url")[0].args["text"]
    (notice,) = api.calls_to("chat.postMessage")
    assert notice.args["channel"] == "C0NEWS"
    text = all_text(notice)
    assert "New report indexed" in text and "<https://ncsc.gov.uk/r|New report on ICS> (ncsc.gov.uk)" in text
    assert "NCSC · 2025-01-01" in text
    assert text.count("• Point") == 3
    assert service.summarized == [("reports/new-report.md", True, "short")]


# --- safety --------------------------------------------------------------------------------
def test_document_text_cannot_ping_channels_or_disguise_links(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    evil = "<!channel> read <http://evil.example|cisa.gov> and <@U0BOSS> <!subteam^S123|@team> @here"
    service.answer_text = lambda q: f"Attention {evil} [1]."
    service.quote = f"Quote: {evil}"
    service.title = f"Title {evil}"
    ask_in_channel(api, url, "What does the advisory say?")
    settle(bot)
    payloads = [all_text(c) for c in posted_payloads(api)]
    assert payloads
    for text in payloads:
        for forbidden in ("<!channel>", "<http://evil.example|cisa.gov>", "<@U0BOSS>", "<!subteam", "@here"):
            assert forbidden not in text
    assert "&lt;!channel&gt;" in payloads[-1]


def test_channel_allow_list_gets_a_polite_reply_and_dms_still_work(
    tmp_path: Path, api: SlackApiStandIn, service: FakeService
) -> None:
    made = create_bot(make_settings(tmp_path, api, slack_allowed_channels=["C0OK"]), service, http=True)
    try:
        with serving(made) as events_url:
            ts = ask_in_channel(api, events_url, "What is Volt Typhoon?")
            dm = api.add_message("D0DM", "What is Volt Typhoon?")
            send_event(events_url, message("What is Volt Typhoon?", channel="D0DM", ts=dm, channel_type="im"))
            settle(made)
    finally:
        made.close()
    assert [q for q, _ in service.asked] == ["What is Volt Typhoon?"]
    refusal = [c for c in api.calls_to("chat.postMessage") if c.args["channel"] == "C0GENERAL"]
    assert refusal[0].args["thread_ts"] == ts
    assert "only answer in the channels" in refusal[0].args["text"]


def test_per_user_rate_limit_gets_a_polite_reply(
    tmp_path: Path, api: SlackApiStandIn, service: FakeService
) -> None:
    made = create_bot(make_settings(tmp_path, api, slack_rate_limit_per_minute=2), service, http=True)
    try:
        with serving(made) as events_url:
            for i in range(3):
                ask_in_channel(api, events_url, f"question {i}")
            ask_in_channel(api, events_url, "question from someone else", user="U0BOB")
            settle(made)
    finally:
        made.close()
    assert sorted(q for q, _ in service.asked) == ["question 0", "question 1", "question from someone else"]
    limited = [c for c in api.calls_to("chat.postMessage") if "my limit per person" in c.args["text"]]
    assert len(limited) == 1


# --- never silent -----------------------------------------------------------------------------
def test_web_api_429_is_retried_after_retry_after_and_the_answer_lands(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    api.fail_next("chat.update", status=429, retry_after=0)
    ask_in_channel(api, url, "What is Volt Typhoon?")
    settle(bot)
    assert [c.method for c in api.calls if c.method.startswith("chat.update")] == [
        "chat.update:failed-429",
        "chat.update",
    ]
    assert api.calls_to("chat.update")[-1].args["text"].startswith("Volt Typhoon targeted")


def test_llm_error_ends_in_a_friendly_reply_and_a_log_line_with_the_event_id(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService, caplog: pytest.LogCaptureFixture
) -> None:
    service.error = LLMError("openai:gpt-4o-mini timed out after 60s at https://internal-proxy:8443")
    ts = api.add_message("C0GENERAL", f"<@{BOT_USER_ID}> What is Volt Typhoon?")
    with caplog.at_level(logging.WARNING, logger="bot.slack"):
        send_event(url, mention("What is Volt Typhoon?", ts=ts), event_id="Ev0LLMFAIL")
        settle(bot)
    (update,) = api.calls_to("chat.update")
    assert "language model did not answer" in update.args["text"]
    assert "internal-proxy" not in all_text(update) and "LLMError" not in all_text(update)
    assert any("Ev0LLMFAIL" in r.getMessage() for r in caplog.records)


def test_unexpected_error_ends_in_a_friendly_reply_without_exception_text(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService, caplog: pytest.LogCaptureFixture
) -> None:
    service.error = RuntimeError("boom at /srv/secret/path")
    ts = api.add_message("D0DM", "What is Volt Typhoon?")
    with caplog.at_level(logging.ERROR, logger="bot.slack"):
        send_event(
            url, message("What is Volt Typhoon?", channel="D0DM", ts=ts, channel_type="im"), event_id="Ev0BUG"
        )
        settle(bot)
    (update,) = api.calls_to("chat.update")
    assert "something went wrong" in update.args["text"] and "Ev0BUG" in update.args["text"]
    assert "boom" not in all_text(update)
    assert any("Ev0BUG" in r.getMessage() and r.exc_info for r in caplog.records)


def test_refusal_renders_politely_with_the_closest_passages(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    service.refuse = True
    ask_in_channel(api, url, "Who won the 1998 World Cup?")
    settle(bot)
    text = all_text(api.calls_to("chat.update")[0])
    assert "Nothing in the indexed reports answers this." in text
    assert "Closest passages" in text and service.title in text


# --- feedback and home -----------------------------------------------------------------------
def test_feedback_click_is_recorded_with_the_question(
    api: SlackApiStandIn, url: str, bot: SlackBot, slack_settings: Settings
) -> None:
    ask_in_channel(api, url, "What is Volt Typhoon?")
    settle(bot)
    actions = next(b for b in api.calls_to("chat.update")[0].args["blocks"] if b["type"] == "actions")
    answer_id = actions["elements"][1]["value"]
    payload = action_payload(FEEDBACK_DOWN, answer_id, response_url=api.response_url("thanks"), user="U0BOB")
    status, _ = send_form(url, action_form(payload))
    settle(bot)
    assert status == 200
    store = FeedbackStore(slack_settings.state_db)
    (record,) = store.list()
    store.close()
    assert (record.vote, record.user, record.question) == ("down", "U0BOB", "What is Volt Typhoon?")
    assert record.sources == ["cisa/aa24-038a.md"] and record.method == "extractive"
    assert "Thanks" in api.calls_to("response_url")[0].args["text"]


def test_app_home_shows_index_status_and_how_to_ask(api: SlackApiStandIn, url: str, bot: SlackBot) -> None:
    event = {
        "type": "app_home_opened",
        "user": "U0ALICE",
        "channel": "D0DM",
        "tab": "home",
        "event_ts": api.next_ts(),
    }
    assert send_event(url, event) == 200
    (call,) = api.wait_for("views.publish")
    settle(bot)
    assert call.args["user_id"] == "U0ALICE"
    text = all_text(call)
    assert call.args["view"]["type"] == "home"
    assert "*Documents*\\n3" in text and "*Passages*\\n1,234" in text and "2025-01-02" in text
    assert "How to ask" in text


def test_url_verification_challenge_is_answered(url: str) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "legacy"})
    status, text = post(url, body, signed_headers(body))
    assert status == 200 and "abc123" in text


def test_a_bare_mention_gets_help_instead_of_an_empty_question(
    api: SlackApiStandIn, url: str, bot: SlackBot, service: FakeService
) -> None:
    ts = api.add_message("C0GENERAL", f"<@{BOT_USER_ID}>")
    event = mention("", ts=ts)
    assert send_event(url, event) == 200
    settle(bot)
    assert service.asked == []
    (reply,) = api.calls_to("chat.postMessage")
    assert reply.args["thread_ts"] == ts and "Ask me a question" in reply.args["text"]


def test_empty_slash_commands_answer_with_usage(api: SlackApiStandIn, url: str, bot: SlackBot) -> None:
    for command, expected in (
        ("/ask", "/ask Which sectors"),
        ("/summarize", "/summarize <indexed"),
        ("/briefbot", "briefbot commands"),
    ):
        status, body = send_form(url, command_form(command, "", response_url=api.response_url()))
        assert status == 200 and expected in json.loads(body)["text"]


def test_a_full_queue_says_busy_instead_of_staying_silent(
    tmp_path: Path, api: SlackApiStandIn, service: FakeService
) -> None:
    import threading

    service.gate = threading.Event()
    made = create_bot(make_settings(tmp_path, api, slack_workers=1), service, http=True, max_pending=1)
    try:
        with serving(made) as events_url:
            ask_in_channel(api, events_url, "first question")
            second = ask_in_channel(api, events_url, "second question")
            busy = api.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == second)
            service.gate.set()
            settle(made)
    finally:
        made.close()
    assert "answering a lot of questions" in busy[0].args["text"]
    assert [q for q, _ in service.asked] == ["first question"]
