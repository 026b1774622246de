"""Answer every Slack event once, across retries, duplicate deliveries and restarts.

Slack redelivers an event it thinks was not acknowledged (``X-Slack-Retry-Num``
over HTTP, ``retry_attempt`` in Socket Mode) and sends one mention both as
``app_mention`` and as ``message``. Keys are claimed atomically in SQLite:
``event:<event_id>`` catches redeliveries, ``msg:<channel>:<ts>`` catches the
same message arriving as two event types.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.slack._db import StateDB

_SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_seen (key TEXT PRIMARY KEY, seen_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS slack_seen_at ON slack_seen (seen_at);
"""


def event_key(event_id: str) -> str:
    """Dedup key of one delivery of one event."""
    return f"event:{event_id}"


def message_key(channel: str, ts: str) -> str:
    """Dedup key of one Slack message, whatever event types it arrives as."""
    return f"msg:{channel}:{ts}"


class EventDedup:
    """Persistent set of handled keys."""

    def __init__(self, path: Path, *, keep_days: float = 7.0) -> None:
        self._db = StateDB(path, _SCHEMA)
        self.prune(keep_days)

    def claim(self, *keys: str) -> bool:
        """Record every key; True only when none of them had been seen before."""
        keys = tuple(k for k in keys if k)
        if not keys:
            return True
        now = time.time()
        fresh = 0
        with self._db.transaction() as conn:
            for key in keys:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO slack_seen (key, seen_at) VALUES (?, ?)", (key, now)
                )
                fresh += cur.rowcount
        return fresh == len(keys)

    def seen(self, key: str) -> bool:
        """True when ``key`` was claimed before."""
        with self._db.transaction() as conn:
            row = conn.execute("SELECT 1 FROM slack_seen WHERE key = ?", (key,)).fetchone()
        return row is not None

    def prune(self, keep_days: float) -> int:
        """Forget keys older than ``keep_days`` (Slack stops retrying after minutes)."""
        with self._db.transaction() as conn:
            cur = conn.execute("DELETE FROM slack_seen WHERE seen_at < ?", (time.time() - keep_days * 86400,))
        return cur.rowcount

    def close(self) -> None:
        """Close the database."""
        self._db.close()
