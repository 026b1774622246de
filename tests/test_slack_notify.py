"""New-report notices posted to the configured channel (the index run itself is in test_slack_integration)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack.config import make_web_client
from bot.slack.notify import notify_if_configured, notify_new_reports
from core.errors import DocumentError
from core.settings import Settings, load_settings
from core.types import DocumentMeta
from tests.servers.slack_api import BOT_TOKEN, FakeReport, FakeService, SlackApiStandIn


@pytest.fixture
def api() -> Iterator[SlackApiStandIn]:
    with SlackApiStandIn() as stand_in:
        yield stand_in


def settings_for(tmp_path: Path, api: SlackApiStandIn, **kw: object) -> Settings:
    return load_settings(home=tmp_path / "home", slack_bot_token=BOT_TOKEN, slack_api_url=api.url, **kw)


def docs(n: int) -> list[DocumentMeta]:
    return [
        DocumentMeta(
            doc_id=f"d{i}",
            source=f"r{i}.md",
            title=f"Report {i}",
            publisher="CISA",
            published=f"2025-01-0{i + 1}",
        )
        for i in range(n)
    ]


def test_one_notice_per_new_report_with_three_cited_points(tmp_path: Path, api: SlackApiStandIn) -> None:
    settings = settings_for(tmp_path, api, slack_notify_channel="C0NEWS")
    service = FakeService()
    count = notify_new_reports(
        settings, service, FakeReport(added=2, new_documents=docs(2)), make_web_client(settings)
    )
    assert count == 2
    calls = api.calls_to("chat.postMessage")
    assert [c.args["channel"] for c in calls] == ["C0NEWS", "C0NEWS"]
    text = json.dumps(calls[1].args, ensure_ascii=False)
    assert "Report 1" in text and "CISA · 2025-01-02" in text
    assert text.count("• Point") == 3 and "[p. 1]" in text and "> Quote 1." in text
    assert [s for s, _, _ in service.summarized] == ["r0.md", "r1.md"]


def test_a_failed_summary_still_gets_a_notice(tmp_path: Path, api: SlackApiStandIn) -> None:
    settings = settings_for(tmp_path, api, slack_notify_channel="C0NEWS")
    service = FakeService()
    service.error = DocumentError("r0.md", "no extractable text")
    assert (
        notify_new_reports(settings, service, FakeReport(new_documents=docs(1)), make_web_client(settings))
        == 1
    )
    assert "Report 0" in api.calls_to("chat.postMessage")[0].args["text"]


def test_no_channel_or_no_new_documents_posts_nothing(tmp_path: Path, api: SlackApiStandIn) -> None:
    settings = settings_for(tmp_path, api)
    assert notify_if_configured(settings, FakeReport(new_documents=docs(1)), FakeService()) == 0
    with_channel = settings_for(tmp_path, api, slack_notify_channel="C0NEWS")
    assert notify_if_configured(with_channel, FakeReport(new_documents=[]), FakeService()) == 0
    assert api.calls == []


def test_hook_never_fails_an_index_run(tmp_path: Path, api: SlackApiStandIn) -> None:
    bad = load_settings(
        home=tmp_path / "h",
        slack_bot_token="xoxp-user-token",
        slack_api_url=api.url,
        slack_notify_channel="C0NEWS",
    )
    assert notify_if_configured(bad, FakeReport(new_documents=docs(1)), FakeService()) == 0
    good = settings_for(tmp_path, api, slack_notify_channel="C0NEWS")
    assert notify_if_configured(good, FakeReport(new_documents=docs(1)), FakeService()) == 1
