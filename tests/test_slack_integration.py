"""The Slack app over the real Briefbot: the bundled embedding model, a real Chroma index of a tiny
corpus in a tmp home, extractive answers, summaries and new-report notices, all posted to the local
Web API stand-in."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.app import SlackBot, create_bot
from bot.slack.notify import notify_if_configured
from core.settings import Settings, load_settings
from tests.servers.slack_api import (
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    SlackApiStandIn,
    command_form,
    event_body,
    mention,
    message,
    post,
    serving,
    signed_headers,
)

pytestmark = pytest.mark.slow

INJECTION_DOC = """---
title: "Router replacement notice"
publisher: "Example CERT"
published: "2024-10-01"
url: "https://example.org/router-replacement-notice"
language: "en"
---

Owners of end-of-life routers should replace them, because vendors no longer ship security updates for them.
<!channel> <@U0BOSS> the full list of affected router models covers 40 models from six vendors.
The list is also mirrored at <http://evil.example|cisa.gov> for convenience.
Replacement devices should be bought from vendors that publish a support period.
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, repo_corpus: Path) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copy(repo_corpus / "sample-2024-09-joint-advisory-tidewater-router-botnet.md", folder)
    (folder / "router-replacement-notice.md").write_text(INJECTION_DOC, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def api() -> Iterator[SlackApiStandIn]:
    with SlackApiStandIn() as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, api: SlackApiStandIn) -> Settings:
    return load_settings(
        home=tmp_path_factory.mktemp("home"),
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api.url,
        slack_notify_channel="C0NEWS",
    )


@pytest.fixture(scope="module")
def indexed(settings: Settings, corpus: Path) -> Any:
    from bot.service import Briefbot

    service = Briefbot(settings)
    report = service.reindex([corpus])
    assert report.added == 2
    return service, report


class Recording:
    """The real service, with the history each question was asked with recorded."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.histories: list[list[tuple[str, str]]] = []

    def ask(self, question: str, **kwargs: Any) -> Any:
        self.histories.append(list(kwargs.get("history", ())))
        return self.inner.ask(question, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def recording(indexed: Any) -> Recording:
    return Recording(indexed[0])


@pytest.fixture(scope="module")
def bot(settings: Settings, recording: Recording) -> Iterator[SlackBot]:
    made = create_bot(settings, recording, http=True)
    yield made
    made.close()


@pytest.fixture(scope="module")
def url(bot: SlackBot) -> Iterator[str]:
    with serving(bot) as events_url:
        yield events_url


def deliver(url: str, event: dict[str, Any]) -> None:
    body = json.dumps(event_body(event))
    assert post(url, body, signed_headers(body))[0] == 200


def nth_answer(api: SlackApiStandIn, channel: str, n: int = 1) -> dict[str, Any]:
    """The n-th answer (a chat.update of a placeholder) in a channel."""
    updates = api.wait_for("chat.update", n, where=lambda c: c.args["channel"] == channel, timeout=120)
    return updates[n - 1].args


def test_real_service_answers_a_mention_with_cited_sources_and_a_follow_up_uses_the_thread(
    api: SlackApiStandIn, url: str, bot: SlackBot, recording: Recording
) -> None:
    question = "How many routers and cameras are in the Tidewater botnet?"
    root = api.add_message("C0REAL", f"<@{BOT_USER_ID}> {question}")
    deliver(url, mention(question, channel="C0REAL", ts=root))
    first = nth_answer(api, "C0REAL")
    assert api.calls_to("chat.postMessage")[0].args["thread_ts"] == root
    text = json.dumps(first, ensure_ascii=False)
    assert "190,000" in text
    assert "<https://example.org/samples/joint-advisory-tidewater-botnet|" in text and "[1]" in first["text"]
    assert "Extracted verbatim" in text

    followup = "Which targets did they attack with it?"
    reply = api.add_message("C0REAL", followup, thread_ts=root)
    deliver(url, message(followup, channel="C0REAL", ts=reply, thread_ts=root))
    second = json.dumps(nth_answer(api, "C0REAL", 2), ensure_ascii=False)
    earlier_answer = first["text"]  # the fallback text is the answer itself
    assert recording.histories[-1] == [(question, earlier_answer)]
    # The content is the answerer's business (tests/test_answer*.py); here: a cited answer in the thread.
    assert "<https://example.org/samples/joint-advisory-tidewater-botnet|" in second and "[1]" in second


def test_document_text_cannot_ping_or_disguise_a_link_through_the_real_answer_path(
    api: SlackApiStandIn, url: str, bot: SlackBot
) -> None:
    question = "How many router models are on the full list of affected models?"
    ts = api.add_message("D0REAL", question)
    deliver(url, message(question, channel="D0REAL", ts=ts, channel_type="im"))
    assert bot.ctx.workers.wait_idle(120)
    payloads = [
        json.dumps(c.args, ensure_ascii=False) for c in api.calls if c.args.get("channel") == "D0REAL"
    ]
    assert payloads
    for text in payloads:
        for forbidden in ("<!channel>", "<@U0BOSS>", "<http://evil.example|cisa.gov>"):
            assert forbidden not in text
    # The sentence did reach Slack, as inert text. (The extractive answerer skips sentences with URLs,
    # and the loader unwraps link markup; the rendering of a disguised link is in test_slack_app.py.)
    assert any("&lt;!channel&gt; &lt;@U0BOSS&gt; the full list" in text for text in payloads)


def test_summarize_command_summarizes_an_indexed_report_by_file_name(
    api: SlackApiStandIn, url: str, bot: SlackBot
) -> None:
    form = command_form(
        "/summarize",
        "sample-2024-09-joint-advisory-tidewater-router-botnet.md",
        response_url=api.response_url("s"),
    )
    assert post(url, form, signed_headers(form, content_type="application/x-www-form-urlencoded"))[0] == 200
    (reply,) = api.wait_for("response_url:s", timeout=120)
    text = json.dumps(reply.args, ensure_ascii=False)
    assert reply.args["response_type"] == "in_channel"
    assert "Tidewater" in text and "_[§" in text and "\\n> " in text


def test_new_report_notice_after_an_index_run(
    api: SlackApiStandIn, settings: Settings, indexed: Any, corpus: Path
) -> None:
    service, _ = indexed
    (corpus / "late-report.md").write_text(
        '---\ntitle: "Late report on satellite ground stations"\npublisher: "Example Agency"\n'
        'published: "2025-02-03"\nurl: "https://example.org/late-report"\n---\n\n'
        "The agency found that three satellite ground stations exposed their management interfaces. "
        "Attackers scanned these interfaces within hours of each new exposure. "
        "Operators were told to move management access behind a VPN and to rotate all shared passwords. "
        "The agency will publish a follow-up report in the autumn.\n",
        encoding="utf-8",
    )
    report = service.reindex([corpus])
    assert [m.source for m in report.new_documents] == ["late-report.md"]
    assert notify_if_configured(settings, report, service) == 1
    (notice,) = api.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "C0NEWS")
    text = json.dumps(notice.args, ensure_ascii=False)
    assert "<https://example.org/late-report|Late report on satellite ground stations>" in text
    assert "Example Agency · 2025-02-03" in text
    assert 1 <= text.count("• ") <= 3 and "> " in text
    # A run that adds nothing posts nothing.
    assert notify_if_configured(settings, service.reindex([corpus]), service) == 0
