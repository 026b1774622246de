"""Slack credentials from the settings, checked up front, and the Web API client built from them."""

from __future__ import annotations

import re

from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from core.errors import SlackConfigError
from core.settings import Settings

_BOT_TOKEN = re.compile(r"^xoxb-[A-Za-z0-9-]+$")
_APP_TOKEN = re.compile(r"^xapp-[A-Za-z0-9-]+$")


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value().strip() if value is not None else ""


def bot_token(settings: Settings) -> str:
    """SLACK_BOT_TOKEN, which must be a bot token (``xoxb-…``)."""
    token = _secret(settings.slack_bot_token)
    if not token:
        raise SlackConfigError(
            "SLACK_BOT_TOKEN is not set.",
            hint="Copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page.",
        )
    if not _BOT_TOKEN.match(token):
        raise SlackConfigError(
            "SLACK_BOT_TOKEN does not look like a bot token (it must start with xoxb-).",
            hint="Use the Bot User OAuth Token from OAuth & Permissions, not a user or app token.",
        )
    return token


def app_token(settings: Settings) -> str:
    """SLACK_APP_TOKEN, which must be an app-level token (``xapp-…``) with connections:write."""
    token = _secret(settings.slack_app_token)
    if not token:
        raise SlackConfigError(
            "SLACK_APP_TOKEN is not set (Socket Mode needs it).",
            hint="Create an app-level token with the connections:write scope under Basic Information, "
            "or run `briefbot slack --http`.",
        )
    if not _APP_TOKEN.match(token):
        raise SlackConfigError(
            "SLACK_APP_TOKEN does not look like an app-level token (it must start with xapp-).",
            hint="Use the app-level token from Basic Information > App-Level Tokens.",
        )
    return token


def signing_secret(settings: Settings) -> str:
    """SLACK_SIGNING_SECRET, required to verify requests in HTTP mode."""
    secret = _secret(settings.slack_signing_secret)
    if not secret:
        raise SlackConfigError(
            "SLACK_SIGNING_SECRET is not set (HTTP mode verifies every request with it).",
            hint="Copy the Signing Secret from your app's Basic Information page.",
        )
    if not re.fullmatch(r"[0-9A-Za-z]{16,}", secret):
        raise SlackConfigError(
            "SLACK_SIGNING_SECRET does not look like a signing secret (expected 16+ letters or digits).",
            hint="Copy the Signing Secret from your app's Basic Information page.",
        )
    return secret


def retry_handlers() -> list[RetryHandler]:
    """Retries for dropped connections, 429 (honouring Retry-After) and 5xx answers."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=1),
    ]


def make_web_client(settings: Settings, token: str | None = None, *, timeout: int = 30) -> WebClient:
    """A WebClient for ``settings.slack_api_url`` (GovSlack: https://slack-gov.com/api/) with retries."""
    return WebClient(
        token=token if token is not None else bot_token(settings),
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=retry_handlers(),
    )
