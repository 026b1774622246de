"""Build the Bolt app: credentials checked, Web API client, stores, worker pool, listeners.

``create_app(settings, service)`` is all a runner (Socket Mode or HTTP) or a
test needs. The app acknowledges inside the request (``process_before_response``)
after only quick work; answers run on a bounded worker pool.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import config
from bot.slack.context import ReindexReportLike, Service, SlackContext
from bot.slack.dedup import EventDedup
from bot.slack.feedback import FeedbackStore
from bot.slack.listeners import register_all
from bot.slack.logs import install_token_redaction
from bot.slack.ratelimit import RateLimiter
from bot.slack.threads import ThreadRegistry
from bot.slack.workers import WorkerPool
from core.errors import SlackConfigError
from core.settings import Settings

__all__ = ["ReindexReportLike", "Service", "SlackBot", "create_app", "create_bot"]


@dataclass
class SlackBot:
    """A Bolt app with the context its listeners share."""

    app: App
    ctx: SlackContext

    def close(self, *, wait: bool = True) -> None:
        """Finish queued answers and close the stores."""
        self.ctx.close(wait=wait)


class _IgnoreEnvTokenWarning(logging.Filter):
    """Bolt also reads SLACK_BOT_TOKEN itself and warns that the client's token wins; it is the same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _describe_llm(settings: Settings) -> str:
    try:
        from bot.llm import describe_llm

        return describe_llm(settings)
    except Exception:  # the label is cosmetic; never fail start-up over it
        return settings.llm or "extractive"


def _auth_test(client: WebClient) -> dict[str, Any]:
    try:
        resp = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "error")
        raise SlackConfigError(
            f"SLACK_BOT_TOKEN was rejected by Slack ({error}).",
            hint="Check the Bot User OAuth Token and that the app is installed to the workspace.",
        ) from None
    except OSError as exc:
        raise SlackConfigError(
            f"Could not reach the Slack Web API at {client.base_url} ({type(exc).__name__}).",
            hint="Check BRIEFBOT_SLACK_API_URL and the network connection.",
        ) from None
    return dict(resp.data) if isinstance(resp.data, dict) else {}


def create_bot(
    settings: Settings,
    service: Service,
    *,
    client: WebClient | None = None,
    http: bool = False,
    max_pending: int = 500,
    logger: logging.Logger | None = None,
) -> SlackBot:
    """Check credentials, call auth.test, open the stores and register every listener.

    ``http`` requires SLACK_SIGNING_SECRET (every HTTP request is verified);
    Socket Mode requests arrive over an authenticated websocket and are not signed.
    Raises :class:`SlackConfigError` naming the variable when a credential is missing or malformed.
    """
    log = logger or logging.getLogger("bot.slack")
    install_token_redaction()
    token = config.bot_token(settings) if client is None else (client.token or config.bot_token(settings))
    secret = config.signing_secret(settings) if http else ""
    client = client or config.make_web_client(settings, token)
    auth = _auth_test(client)
    bolt_logger = logging.getLogger("bot.slack.bolt")
    if not any(isinstance(f, _IgnoreEnvTokenWarning) for f in bolt_logger.filters):
        bolt_logger.addFilter(_IgnoreEnvTokenWarning())
    try:
        app = App(
            client=client,
            signing_secret=secret,
            process_before_response=True,
            name="briefbot",
            logger=bolt_logger,
            request_verification_enabled=True,
            token_verification_enabled=True,
        )
    except BoltError as exc:
        raise SlackConfigError(f"Slack app set-up failed: {exc}.", hint="Check SLACK_BOT_TOKEN.") from None
    ctx = SlackContext(
        settings=settings,
        service=service,
        client=client,
        dedup=EventDedup(settings.state_db),
        threads=ThreadRegistry(settings.state_db),
        feedback=FeedbackStore(settings.state_db),
        limiter=RateLimiter(settings.slack_rate_limit_per_minute),
        workers=WorkerPool(settings.slack_workers, max_pending=max_pending, logger=log),
        llm=_describe_llm(settings),
        bot_user_id=auth.get("user_id"),
        bot_id=auth.get("bot_id"),
        logger=log,
    )
    register_all(app, ctx)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        # Reached only for failures outside our own guarded listeners (middleware and the like).
        ctx.logger.error(
            "unhandled Slack request error (event %s): %s", body.get("event_id"), type(error).__name__
        )

    log.info(
        "Slack app ready as %s (%s) against %s", auth.get("user"), auth.get("user_id"), settings.slack_api_url
    )
    return SlackBot(app, ctx)


def create_app(
    settings: Settings,
    service: Service,
    *,
    client: WebClient | None = None,
    http: bool = False,
    max_pending: int = 500,
) -> App:
    """The Bolt app alone (see :func:`create_bot` for one with its context and ``close()``)."""
    return create_bot(settings, service, client=client, http=http, max_pending=max_pending).app
