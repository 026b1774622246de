"""Keep Slack tokens out of logs.

A filter on the *handlers* (not loggers) sees every record, including those
propagated from slack_sdk and slack_bolt, and rewrites anything that looks like
a bot, user, app or configuration token before it is written.
"""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"\b(xox[abposre]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]+")


def redact(text: str) -> str:
    """``text`` with every Slack token replaced by ``<prefix>-***``."""
    return _TOKEN.sub(lambda m: f"{m.group(1)}-***", text)


class TokenRedactingFilter(logging.Filter):
    """Rewrites a record's message and traceback with tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keeps the record; only its text changes."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is still logged, just not expanded
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_token_redaction(logger: logging.Logger | None = None) -> TokenRedactingFilter:
    """Add the filter to every handler of ``logger`` (default: the root logger); idempotent.

    Without handlers, Python writes warnings through ``logging.lastResort``, which gets the filter instead.
    Call it again after adding handlers.
    """
    target = logger or logging.getLogger()
    handlers = list(target.handlers) or ([logging.lastResort] if logging.lastResort is not None else [])
    existing = next((f for h in handlers for f in h.filters if isinstance(f, TokenRedactingFilter)), None)
    flt = existing or TokenRedactingFilter()
    for handler in handlers:
        if flt not in handler.filters:
            handler.addFilter(flt)
    return flt
