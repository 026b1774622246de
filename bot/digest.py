"""Digests: a short cited summary of each report indexed since a time, or since the last digest.

When a file was indexed comes from the index manifest (``indexed_at`` per file,
written by :mod:`indexing.pipeline`). Which reports a digest has already shown
is remembered in the ``digest_shown`` table of ``settings.state_db``, keyed by
source and content hash, so a report that changes is shown again (as updated).
This feeds the Slack new-report notice.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.results import Summary
from core.errors import BriefbotError, InputError

if TYPE_CHECKING:
    from bot.service import Briefbot
    from core.settings import Settings

log = logging.getLogger(__name__)

DIGEST_POINTS = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS digest_shown (
    namespace TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    shown_at REAL NOT NULL,
    PRIMARY KEY (namespace, source, sha256)
);
"""


@dataclass(frozen=True)
class IndexedReport:
    """One indexed file as the manifest records it."""

    source: str
    sha256: str
    indexed_at: float


@contextmanager
def _state(db: Path) -> Iterator[sqlite3.Connection]:
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db, timeout=30)
    try:
        conn.executescript(_SCHEMA)
        with conn:
            yield conn
    finally:
        conn.close()


def indexed_reports(settings: Settings) -> list[IndexedReport]:
    """Every indexed file of the configured collection, oldest first (from the index manifest)."""
    from indexing.manifest import Manifest
    from indexing.store import store_namespace

    rows = Manifest(settings.record_db, store_namespace(settings), readonly=True).rows().values()
    reports = {r.source: IndexedReport(r.source, r.sha256, r.indexed_at) for r in rows}
    return sorted(reports.values(), key=lambda r: (r.indexed_at, r.source))


def shown(settings: Settings) -> dict[str, set[str]]:
    """Source → content hashes already shown in a digest."""
    from indexing.store import store_namespace

    with _state(settings.state_db) as conn:
        rows = conn.execute(
            "SELECT source, sha256 FROM digest_shown WHERE namespace = ?", (store_namespace(settings),)
        ).fetchall()
    out: dict[str, set[str]] = {}
    for source, sha in rows:
        out.setdefault(str(source), set()).add(str(sha))
    return out


def mark_shown(settings: Settings, reports: list[IndexedReport]) -> None:
    """Remember that ``reports`` were shown, so ``--new`` skips them next time."""
    from indexing.store import store_namespace

    namespace = store_namespace(settings)
    now = time.time()
    with _state(settings.state_db) as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO digest_shown VALUES (?, ?, ?, ?)",
            [(namespace, r.source, r.sha256, now) for r in reports],
        )


def pending(settings: Settings, *, since: datetime | None = None, new: bool = False) -> list[IndexedReport]:
    """The reports a digest covers: indexed at or after ``since``, and/or not shown yet.

    With neither option, the reports not shown yet (since the last digest).
    A naive ``since`` is local time.
    """
    reports = indexed_reports(settings)
    if since is not None:
        if since.timestamp() > time.time():
            raise InputError(f"--since {since:%Y-%m-%d %H:%M} is in the future.", hint="Give a past date.")
        cutoff = since.timestamp()
        reports = [r for r in reports if r.indexed_at >= cutoff]
    if new or since is None:
        seen = shown(settings)
        reports = [r for r in reports if r.sha256 not in seen.get(r.source, set())]
    return reports


def digest(
    service: Briefbot, *, since: datetime | None = None, new: bool = False, limit: int | None = None
) -> list[Summary]:
    """A three-point cited summary per report indexed since ``since`` or not shown yet.

    Every report summarized is remembered as shown. A report that cannot be
    summarized any more (file gone and passages missing) gets a summary with
    no points and a note saying why, and is not marked.
    """
    from bot.summarize import summarize_indexed

    settings = service.settings
    reports = pending(settings, since=since, new=new)
    if limit is not None:
        reports = reports[-limit:] if limit > 0 else []
    seen = shown(settings)
    summaries: list[Summary] = []
    done: list[IndexedReport] = []
    for report in reports:
        try:
            summary = summarize_indexed(service, report.source, points=DIGEST_POINTS)
        except BriefbotError as exc:
            log.warning("digest: cannot summarize %s: %s", report.source, exc)
            summary = Summary(title=Path(report.source).name, source=report.source)
            summary.notes.append(f"Could not summarize: {exc}")
            summaries.append(summary)
            continue
        if seen.get(report.source):
            summary.notes.append("Updated since it was last shown in a digest.")
        summary.notes.append(
            f"Indexed {datetime.fromtimestamp(report.indexed_at).isoformat(timespec='minutes')}."
        )
        summaries.append(summary)
        done.append(report)
    if done:
        mark_shown(settings, done)
    return summaries
