"""New-report notices: one message per newly indexed report in ``settings.slack_notify_channel``.

Called by ``/briefbot reindex`` and, through :func:`notify_if_configured`, by
``briefbot index`` and ``briefbot watch`` after every run that added documents.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.results import Summary
from bot.slack.blocks import NOTICE_POINTS, notice_messages
from bot.slack.threads import NOTICE_EVENT, event_metadata
from core.errors import BriefbotError
from core.settings import Settings
from core.types import DocumentMeta

_log = logging.getLogger("bot.slack.notify")


class Summarizer(Protocol):
    """Anything with the service's ``summarize``."""

    def summarize(self, source: str, *, indexed: bool = ..., length: str = ...) -> Summary: ...


class NewDocumentsReport(Protocol):
    """An index report: only its newly added documents matter here."""

    @property
    def new_documents(self) -> Sequence[DocumentMeta]: ...


def notify_new_reports(
    settings: Settings,
    service: Summarizer,
    report: NewDocumentsReport,
    client: WebClient,
    *,
    logger: logging.Logger | None = None,
) -> int:
    """Post a notice (title, publisher, date, three cited points) per new report; returns how many posted.

    A report whose summary fails still gets a notice without points; a Slack
    error on one notice is logged and the others are still posted.
    """
    log = logger or _log
    channel = settings.slack_notify_channel
    if not channel:
        return 0
    posted = 0
    for meta in report.new_documents:
        summary: Summary | None = None
        try:
            summary = notice_summary(service, meta.source)
        except BriefbotError as exc:
            log.warning("no summary for new report %s: %s", meta.source, exc)
        except Exception:
            log.exception("summary of new report %s failed", meta.source)
        try:
            for message in notice_messages(meta, summary):
                client.chat_postMessage(
                    channel=channel,
                    text=message.text,
                    blocks=message.blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                    link_names=False,
                    metadata=event_metadata(NOTICE_EVENT),
                )
            posted += 1
        except SlackApiError as exc:
            log.warning(
                "could not post the notice for %s to %s: %s", meta.source, channel, exc.response.get("error")
            )
    if posted:
        log.info("posted %d new-report notice(s) to %s", posted, channel)
    return posted


def notice_summary(service: Summarizer, source: str) -> Summary:
    """The three-point cited summary `briefbot digest` shows, for one indexed report."""
    from bot.service import Briefbot

    if isinstance(service, Briefbot):
        from bot.summarize import summarize_indexed

        return summarize_indexed(service, source, points=NOTICE_POINTS)
    return service.summarize(source, indexed=True, length="short")


def notify_if_configured(
    settings: Settings, report: NewDocumentsReport, service: Summarizer | None = None
) -> int:
    """The hook for ``briefbot index``/``watch``: notices when a channel and a bot token are configured.

    Never raises: a Slack problem must not fail an index run; it is logged instead.
    """
    if not settings.slack_notify_channel or settings.slack_bot_token is None or not report.new_documents:
        return 0
    from bot.slack.config import make_web_client
    from bot.slack.logs import install_token_redaction

    install_token_redaction()
    try:
        client = make_web_client(settings)
        if service is None:
            from bot.service import Briefbot

            service = Briefbot(settings)
        return notify_new_reports(settings, service, report, client)
    except Exception as exc:
        _log.warning(
            "new-report notices not sent: %s", exc if isinstance(exc, BriefbotError) else type(exc).__name__
        )
        return 0
