"""Per-file state of the index: the file manifest and a few key/value marks.

Why a manifest next to LangChain's record manager: the record manager keys on
*chunk* hashes, so it can only tell "unchanged" after a file has been loaded,
cleaned, chunked and hashed — and chunking needs the tokenizer. Skipping an
unchanged file without touching it at all needs per-file state: size, mtime and
sha256 of the bytes, plus a fingerprint of the settings that shape its chunks.
It lives in the same SQLite file as the record manager, one row per file and
namespace, and is written only after the file's vectors and records are.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_manifest (
    namespace TEXT NOT NULL,
    path TEXT NOT NULL,
    root TEXT NOT NULL,
    source TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    n_chunks INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    indexed_at REAL NOT NULL,
    PRIMARY KEY (namespace, path)
);
CREATE INDEX IF NOT EXISTS file_manifest_source ON file_manifest (namespace, source);
CREATE TABLE IF NOT EXISTS file_failures (
    namespace TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (namespace, path)
);
CREATE TABLE IF NOT EXISTS index_state (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
);
"""


@dataclass(frozen=True)
class Failure:
    """A file that could not be indexed, remembered until it changes (so it is not re-read every run)."""

    size: int
    mtime_ns: int
    fingerprint: str
    reason: str


@dataclass(frozen=True)
class FileRow:
    """What the manifest remembers about one indexed file."""

    path: str
    root: str
    source: str
    size: int
    mtime_ns: int
    sha256: str
    n_chunks: int
    fingerprint: str
    indexed_at: float


class Manifest:
    """The ``file_manifest`` and ``index_state`` tables of one namespace.

    With ``readonly=True`` (``--plan``) a missing database reads as empty and
    nothing is ever created or written.
    """

    def __init__(self, db_path: Path, namespace: str, *, readonly: bool = False) -> None:
        self.db_path = db_path
        self.namespace = namespace
        self.readonly = readonly
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection | None]:
        if self.readonly:
            if not self.db_path.is_file():
                yield None
                return
            conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
            try:
                found = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'file_manifest'"
                ).fetchone()
                yield conn if found else None
            finally:
                conn.close()
            return
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.db_path, timeout=30)
        try:
            if not self._ready:
                conn.executescript(_SCHEMA)
                self._ready = True
            with conn:
                yield conn
        finally:
            conn.close()

    def exists(self) -> bool:
        """True when the manifest tables exist (something was indexed in this home)."""
        with self._connect() as conn:
            return conn is not None

    def rows(self) -> dict[str, FileRow]:
        """Every file row of the namespace, keyed by absolute path."""
        with self._connect() as conn:
            if conn is None:
                return {}
            cur = conn.execute(
                "SELECT path, root, source, size, mtime_ns, sha256, n_chunks, fingerprint, indexed_at "
                "FROM file_manifest WHERE namespace = ?",
                (self.namespace,),
            )
            return {r[0]: FileRow(*r) for r in cur.fetchall()}

    def upsert(self, row: FileRow) -> None:
        """Insert or replace one file's row."""
        with self._connect() as conn:
            assert conn is not None
            conn.execute(
                "INSERT OR REPLACE INTO file_manifest VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self.namespace,
                    row.path,
                    row.root,
                    row.source,
                    row.size,
                    row.mtime_ns,
                    row.sha256,
                    row.n_chunks,
                    row.fingerprint,
                    row.indexed_at,
                ),
            )

    def delete(self, paths: list[str]) -> None:
        """Forget some files."""
        if not paths:
            return
        with self._connect() as conn:
            assert conn is not None
            conn.executemany(
                "DELETE FROM file_manifest WHERE namespace = ? AND path = ?",
                [(self.namespace, p) for p in paths],
            )

    def clear(self) -> None:
        """Forget every file of the namespace (``--rebuild``)."""
        with self._connect() as conn:
            assert conn is not None
            conn.execute("DELETE FROM file_manifest WHERE namespace = ?", (self.namespace,))

    def failures(self) -> dict[str, Failure]:
        """Files that failed, keyed by absolute path."""
        with self._connect() as conn:
            if conn is None:
                return {}
            try:
                cur = conn.execute(
                    "SELECT path, size, mtime_ns, fingerprint, reason FROM file_failures WHERE namespace = ?",
                    (self.namespace,),
                )
            except sqlite3.OperationalError:  # read-only view of an older database
                return {}
            return {r[0]: Failure(*r[1:]) for r in cur.fetchall()}

    def set_failure(self, path: str, failure: Failure) -> None:
        """Remember why a file failed."""
        with self._connect() as conn:
            assert conn is not None
            conn.execute(
                "INSERT OR REPLACE INTO file_failures VALUES (?, ?, ?, ?, ?, ?)",
                (self.namespace, path, failure.size, failure.mtime_ns, failure.fingerprint, failure.reason),
            )

    def clear_failures(self, paths: list[str] | None = None) -> None:
        """Forget the failures of some files (all of them with ``None``)."""
        with self._connect() as conn:
            assert conn is not None
            if paths is None:
                conn.execute("DELETE FROM file_failures WHERE namespace = ?", (self.namespace,))
            else:
                conn.executemany(
                    "DELETE FROM file_failures WHERE namespace = ? AND path = ?",
                    [(self.namespace, p) for p in paths],
                )

    def get_state(self, key: str) -> str | None:
        """A value stored with :meth:`set_state`, or None."""
        with self._connect() as conn:
            if conn is None:
                return None
            cur = conn.execute(
                "SELECT value FROM index_state WHERE namespace = ? AND key = ?", (self.namespace, key)
            )
            found = cur.fetchone()
            return str(found[0]) if found else None

    def set_state(self, key: str, value: str) -> None:
        """Remember a small value (e.g. the last indexed time)."""
        with self._connect() as conn:
            assert conn is not None
            conn.execute("INSERT OR REPLACE INTO index_state VALUES (?, ?, ?)", (self.namespace, key, value))


def record_groups(db_path: Path, namespace: str) -> dict[str, int]:
    """Chunk counts per source (group id) in LangChain's record manager table, read-only.

    Reads ``upsertion_record`` directly because the record manager API has no
    "list groups" call; a missing database or table reads as empty.
    """
    if not db_path.is_file():
        return {}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        cur = conn.execute(
            "SELECT group_id, COUNT(*) FROM upsertion_record WHERE namespace = ? GROUP BY group_id",
            (namespace,),
        )
        return {str(g): int(n) for g, n in cur.fetchall() if g is not None}
    except sqlite3.OperationalError:
        return {}
    finally:
        conn.close()


def record_keys_with_groups(db_path: Path, namespace: str) -> dict[str, str | None]:
    """Every record-manager key of the namespace with its group id (source)."""
    if not db_path.is_file():
        return {}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        cur = conn.execute("SELECT key, group_id FROM upsertion_record WHERE namespace = ?", (namespace,))
        return {str(k): (None if g is None else str(g)) for k, g in cur.fetchall()}
    except sqlite3.OperationalError:
        return {}
    finally:
        conn.close()


def now() -> float:
    """Seconds since the epoch (one place, so tests could pin it)."""
    return time.time()
