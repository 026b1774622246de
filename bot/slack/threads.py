"""Conversation threads: which threads the bot answered in, and their history as (question, answer) turns.

Every answer the bot posts carries Slack message metadata
(``event_type: briefbot_answer`` with the question), so the history read back
with ``conversations.replies`` pairs each question with its answer exactly; the
bot's other messages (placeholders, notices, continuations) are told apart by
their own event types and skipped.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.slack._db import StateDB
from bot.slack.sanitize import from_slack

ANSWER_EVENT = "briefbot_answer"
CONTINUATION_EVENT = "briefbot_continuation"
NOTICE_EVENT = "briefbot_notice"
MAX_TURNS = 6

_SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_threads (
    channel TEXT NOT NULL, thread_ts TEXT NOT NULL, answered_at REAL NOT NULL,
    PRIMARY KEY (channel, thread_ts)
);
"""


class ThreadRegistry:
    """Threads the bot has answered in (persisted, so follow-ups survive a restart)."""

    def __init__(self, path: Path) -> None:
        self._db = StateDB(path, _SCHEMA)

    def mark(self, channel: str, thread_ts: str) -> None:
        """Remember that the bot answered in this thread."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO slack_threads (channel, thread_ts, answered_at) VALUES (?, ?, ?)",
                (channel, thread_ts, time.time()),
            )

    def answered(self, channel: str, thread_ts: str) -> bool:
        """True when the bot answered in this thread before."""
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT 1 FROM slack_threads WHERE channel = ? AND thread_ts = ?", (channel, thread_ts)
            ).fetchone()
        return row is not None

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def answer_metadata(question: str, answer_id: str) -> dict[str, Any]:
    """Message metadata attached to an answer."""
    return {
        "event_type": ANSWER_EVENT,
        "event_payload": {"question": question[:2000], "answer_id": answer_id},
    }


def event_metadata(event_type: str) -> dict[str, Any]:
    """Message metadata for the bot's other messages."""
    return {"event_type": event_type, "event_payload": {}}


def history_from_replies(
    messages: Iterable[Mapping[str, Any]],
    *,
    bot_user_id: str | None,
    bot_id: str | None,
    before_ts: str,
    max_turns: int = MAX_TURNS,
) -> list[tuple[str, str]]:
    """(question, answer) turns of a thread, oldest first, from messages older than ``before_ts``.

    Bot messages with answer metadata pair with their recorded question; a bot
    message without any metadata pairs with the user message before it (older
    answers, or a workspace that strips metadata). Other bots are ignored.
    """
    turns: list[tuple[str, str]] = []
    pending: str | None = None
    for msg in messages:
        ts = str(msg.get("ts", ""))
        if ts and _ts_key(ts) >= _ts_key(before_ts):
            continue
        mine = (bot_user_id and msg.get("user") == bot_user_id) or (bot_id and msg.get("bot_id") == bot_id)
        if mine:
            meta = msg.get("metadata") or {}
            kind = meta.get("event_type") if isinstance(meta, Mapping) else None
            answer = _plain_answer(str(msg.get("text", "")))
            if kind == ANSWER_EVENT:
                payload = meta.get("event_payload") or {}
                question = str(payload.get("question") or pending or "").strip()
                if question and answer:
                    turns.append((question, answer))
                pending = None
            elif kind is None and pending and answer:
                turns.append((pending, answer))
                pending = None
            continue
        if msg.get("bot_id") or msg.get("subtype") not in (None, "thread_broadcast", "file_share"):
            continue
        text = from_slack(str(msg.get("text", "")), bot_user_id=bot_user_id)
        if text:
            pending = text
    return turns[-max_turns:]


def _plain_answer(text: str) -> str:
    return html.unescape(text.replace("\u2060", "")).strip()


def _ts_key(ts: str) -> tuple[int, int]:
    sec, _, frac = ts.partition(".")
    try:
        return int(sec), int(frac.ljust(6, "0")[:6])
    except ValueError:
        return 0, 0
