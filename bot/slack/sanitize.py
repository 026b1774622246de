"""Make untrusted text safe for Slack mrkdwn, and turn Slack's markup in questions into plain text.

Everything that comes from documents, an LLM or a user is untrusted. Slack's
control sequences all start with ``<`` (``<!channel>``, ``<@U…>``,
``<!subteam^…>``, ``<http://evil.example|cisa.gov>``), so escaping ``&``, ``<``
and ``>`` neutralises them; the only ``<…>`` markup we ever emit is our own link
markup from :func:`link`, whose URL is validated and whose label is escaped.
"""

from __future__ import annotations

import html
import ipaddress
import re
import socket
from urllib.parse import urlsplit

# Bidi overrides and isolates can make a URL read differently from what it is.
_INVISIBLE = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C, 0xFEFF], None
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Plain-text broadcast words are only expanded with link_names, which we never set;
# a word joiner after the "@" keeps them inert even if that changes.
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_MD_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)
_MD_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE)


def clean_text(text: str) -> str:
    """Drop control and bidi-override characters (keeps newlines and tabs)."""
    return _CONTROL.sub("", text.translate(_INVISIBLE))


def escape(text: str) -> str:
    """Escape untrusted text for mrkdwn: ``&``, ``<``, ``>`` and inert broadcast words."""
    text = clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u2060\\1", text)


def escape_markdown(text: str) -> str:
    """:func:`escape`, then the common Markdown an LLM writes turned into Slack mrkdwn."""
    text = escape(text)
    text = _MD_HEADING.sub(lambda m: f"*{m.group(1)}*", text)
    text = _MD_BULLET.sub(r"\1• ", text)
    return _MD_BOLD.sub(r"*\1*", text)


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a space where possible, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    # Never leave half an entity such as "&am" behind.
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def safe_url(url: str | None) -> str | None:
    """The URL when it is an http(s) URL fit for link markup, else None."""
    if not url:
        return None
    url = url.strip()
    if any(c in url for c in '|<> \t\r\n"') or _CONTROL.search(url) or url != url.translate(_INVISIBLE):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def host_of(url: str) -> str:
    """The host name shown next to a link, so a label can never pose as another site."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def link(url: str | None, label: str) -> str:
    """``<url|label>`` with a validated URL and an escaped label; just the label when the URL is unfit."""
    label = escape(label.strip()) or "link"
    good = safe_url(url)
    if good is None:
        return label
    return f"<{good.replace('&', '&amp;')}|{label}>"


def from_slack(text: str, *, bot_user_id: str | None = None) -> str:
    """A user's message as plain text: our own mention removed, Slack markup unwrapped, entities decoded."""

    def unwrap(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "" if target[1:] == bot_user_id else "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        if target.startswith("mailto:"):
            return label or target[7:]
        return target  # a URL: the target, not whatever label was typed

    text = re.sub(r"<([^<>]*)>", unwrap, text)
    return re.sub(r"[ \t]+", " ", html.unescape(text)).strip()


def is_public_url(url: str) -> bool:
    """True when every address the URL's host resolves to is public.

    Slack users can ask the bot to fetch a URL; this keeps them from pointing it
    at the machine it runs on or the network behind it.
    """
    good = safe_url(url)
    if good is None:
        return False
    host = urlsplit(good).hostname or ""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        # Unresolvable here: the fetch itself will fail with a clear message.
        return not _is_private_literal(host)
    return not any(_is_private_address(str(info[4][0])) for info in infos)


def _is_private_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return _is_private_address(host)


def _is_private_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return not ip.is_global or ip.is_multicast
