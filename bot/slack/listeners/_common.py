"""Small helpers shared by the listener modules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.slack.sanitize import escape, truncate

BUSY_TEXT = "I'm answering a lot of questions right now; please ask again in a minute."
NOT_ALLOWED_TEXT = (
    "I only answer in the channels I'm set up for. "
    "Ask me in a direct message, or ask an admin to add this channel."
)


def header(headers: Mapping[str, Sequence[str] | str], name: str) -> str | None:
    """A request header's first value (Bolt lower-cases names)."""
    value = headers.get(name.lower())
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value[0] if value else None


def rate_limited_text(wait: float, per_minute: int) -> str:
    """The polite reply for a user over the per-minute limit."""
    seconds = max(int(wait + 0.999), 1)
    return (
        f"You've asked {per_minute} questions in the last minute, which is my limit per person. "
        f"Please try again in {seconds} second{'s' if seconds != 1 else ''}."
    )


def ephemeral(text: str) -> dict[str, Any]:
    """Keyword arguments for ack() showing ``text`` (already escaped) only to the user."""
    return {"response_type": "ephemeral", "text": text}


def quoted(text: str, limit: int = 200) -> str:
    """A user's text echoed back safely."""
    return escape(truncate(" ".join(text.split()), limit))
