"""Escaping for Slack mrkdwn, link validation, question clean-up and token redaction in logs."""

from __future__ import annotations

import io
import logging

import pytest

from bot.slack.logs import TokenRedactingFilter, install_token_redaction, redact
from bot.slack.sanitize import escape, escape_markdown, from_slack, is_public_url, link, safe_url, truncate

EVIL = (
    "<!channel> read <http://evil.example|cisa.gov> <@U0BOSS> <!subteam^S1|@sec> <!here> <!everyone> & more"
)


def test_escape_neutralises_every_slack_control_sequence() -> None:
    out = escape(EVIL)
    assert "<" not in out and ">" not in out
    assert out.startswith("&lt;!channel&gt; read &lt;http://evil.example|cisa.gov&gt;")
    assert "&amp; more" in out


def test_escape_keeps_already_escaped_entities_literal() -> None:
    assert escape("&lt;!channel&gt;") == "&amp;lt;!channel&amp;gt;"


def test_escape_makes_plain_broadcast_words_inert_and_drops_bidi_overrides() -> None:
    out = escape("@channel @here @Everyone email@here.com \u202egro.live\u202c")
    assert "@channel" not in out and "@here " not in out and "@Everyone" not in out
    assert "\u202e" not in out and "gro.live" in out


def test_escape_markdown_turns_llm_markdown_into_mrkdwn_after_escaping() -> None:
    assert escape_markdown("## Key points\n**Volt Typhoon** <b>") == "*Key points*\n*Volt Typhoon* &lt;b&gt;"
    assert escape_markdown("Found:\n- one [1]\n  * two [2]") == "Found:\n• one [1]\n  • two [2]"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.cisa.gov/advisory?a=1&b=2", True),
        ("http://example.org/x", True),
        ("javascript:alert(1)", False),
        ("https://evil.example|cisa.gov", False),
        ("https://evil.example>x", False),
        ("https://a.example/ b", False),
        ("ftp://files.example/x", False),
        ("https://", False),
        ("", False),
        ("https://evil.example/\u202egro.asic", False),
    ],
)
def test_safe_url_accepts_only_plain_http_urls(url: str, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


def test_link_escapes_the_label_and_ampersands_in_the_url() -> None:
    assert (
        link("https://x.example/?a=1&b=2", "A <b> & c")
        == "<https://x.example/?a=1&amp;b=2|A &lt;b&gt; &amp; c>"
    )


def test_link_with_a_bad_url_is_just_the_escaped_label() -> None:
    assert link("https://evil.example|cisa.gov", "<!channel>") == "&lt;!channel&gt;"


def test_from_slack_unwraps_markup_and_drops_the_bots_own_mention() -> None:
    text = "<@UBOT> what did <@U1|alice> post in <#C1|general> about <https://cisa.gov/x|this>"
    text += " &amp; &lt;that&gt;?"
    assert from_slack(text, bot_user_id="UBOT") == (
        "what did @alice post in #general about https://cisa.gov/x & <that>?"
    )


def test_truncate_never_leaves_half_an_entity() -> None:
    out = truncate("a" * 10 + " &amp;" + "b" * 20, 14)
    assert out.endswith("…") and "&am" not in out and len(out) <= 14


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://localhost/x",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest",
        "http://[::1]/",
        "http://192.168.0.1/",
        "file:///etc/passwd",
    ],
)
def test_private_and_local_urls_are_not_public(url: str) -> None:
    assert not is_public_url(url)


def test_public_ip_literal_is_public() -> None:
    assert is_public_url("http://93.184.215.14/report.pdf")


def test_redact_replaces_every_kind_of_slack_token() -> None:
    text = "bot xoxb-123-456-abcDEF user xoxp-1-2-3 app xapp-1-A01-99-ff refresh xoxe.xoxb-1-abc"
    out = redact(text)
    for secret in ("abcDEF", "xoxp-1-2-3", "99-ff", "1-abc"):
        assert secret not in out
    assert "xoxb-***" in out and "xapp-***" in out


def test_log_filter_redacts_messages_args_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        install_token_redaction(logger)
        install_token_redaction(logger)  # idempotent
        assert sum(isinstance(f, TokenRedactingFilter) for f in handler.filters) == 1
        logger.warning("token %s in args", "xoxb-999-888-secretvalue")
        try:
            raise ValueError("bad token xapp-1-A02-777-secretapp")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "secretvalue" not in out and "secretapp" not in out
    assert "xoxb-***" in out and "xapp-***" in out and "ValueError" in out
