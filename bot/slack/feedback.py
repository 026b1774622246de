"""👍/👎 feedback on answers, kept in the bot's SQLite state file.

Each posted answer is registered with an id carried by its buttons; a click
records (or changes) that user's vote on that answer.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.slack._db import StateDB

_SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_answers (
    answer_id TEXT PRIMARY KEY, created_at REAL NOT NULL, channel TEXT, thread_ts TEXT,
    user TEXT, question TEXT NOT NULL, method TEXT, refused INTEGER NOT NULL DEFAULT 0,
    sources TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS slack_feedback (
    answer_id TEXT NOT NULL, user TEXT NOT NULL, vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    channel TEXT, message_ts TEXT, voted_at REAL NOT NULL,
    PRIMARY KEY (answer_id, user)
);
"""


@dataclass
class FeedbackRecord:
    """One user's vote on one answer, with what was asked and answered."""

    answer_id: str
    vote: str
    user: str
    voted_at: float
    channel: str | None = None
    message_ts: str | None = None
    question: str = ""
    method: str = ""
    refused: bool = False
    sources: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON shape of `briefbot feedback --json`."""
        data = asdict(self)
        data["voted_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.voted_at))
        return data


class FeedbackStore:
    """Answers and the votes on them."""

    def __init__(self, path: Path) -> None:
        self._db = StateDB(path, _SCHEMA)

    def register_answer(
        self,
        *,
        question: str,
        method: str,
        refused: bool,
        sources: list[str],
        channel: str | None = None,
        thread_ts: str | None = None,
        user: str | None = None,
    ) -> str:
        """Store an answer about to be posted; returns the id its buttons carry."""
        answer_id = uuid.uuid4().hex[:16]
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO slack_answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    time.time(),
                    channel,
                    thread_ts,
                    user,
                    question,
                    method,
                    int(refused),
                    json.dumps(sources),
                ),
            )
        return answer_id

    def record_vote(
        self,
        answer_id: str,
        *,
        user: str,
        vote: str,
        channel: str | None = None,
        message_ts: str | None = None,
    ) -> None:
        """Record a vote ('up' or 'down'); a user's later vote on the same answer replaces the earlier one."""
        if vote not in ("up", "down"):
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO slack_feedback VALUES (?, ?, ?, ?, ?, ?)",
                (answer_id, user, vote, channel, message_ts, time.time()),
            )

    def list(self, limit: int | None = None) -> list[FeedbackRecord]:
        """Votes, newest first."""
        sql = (
            "SELECT f.answer_id, f.vote, f.user, f.voted_at, f.channel, f.message_ts,"
            " a.question, a.method, a.refused, a.sources"
            " FROM slack_feedback f LEFT JOIN slack_answers a USING (answer_id)"
            " ORDER BY f.voted_at DESC"
        )
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        with self._db.transaction() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [
            FeedbackRecord(
                answer_id=r[0],
                vote=r[1],
                user=r[2],
                voted_at=r[3],
                channel=r[4],
                message_ts=r[5],
                question=r[6] or "",
                method=r[7] or "",
                refused=bool(r[8]),
                sources=json.loads(r[9] or "[]"),
            )
            for r in rows
        ]

    def close(self) -> None:
        """Close the database."""
        self._db.close()
