"""Crash safety of index runs: the run lock, the dirty marker and reconciliation.

Per file the pipeline writes vectors first, then record-manager keys, then the
manifest row; a run killed between any two steps leaves one of a few shapes of
inconsistency, and :func:`reconcile` (run at the start of every full run) removes
each of them, so the next run ends in exactly the state a clean run would give.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import StoreError
from core.settings import Settings
from indexing.manifest import Manifest, record_groups, record_keys_with_groups

if TYPE_CHECKING:
    from langchain_classic.indexes import SQLRecordManager

    from indexing.store import Store

_LOCK_WAIT_SECONDS = 300.0


def dirty_marker(settings: Settings) -> Path:
    """File present while the store may be ahead of the BM25 index (removed after sync)."""
    return settings.home / "index.dirty"


@contextmanager
def index_lock(settings: Settings) -> Iterator[None]:
    """One index run per BRIEFBOT_HOME at a time (the kernel frees the lock if we are killed)."""
    settings.home.mkdir(parents=True, exist_ok=True)
    with (settings.home / "index.lock").open("a") as fh:
        deadline = time.monotonic() + _LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"Another index run holds {settings.home / 'index.lock'}.",
                        hint="Wait for it to finish (or stop `briefbot watch`) and try again.",
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def open_record_manager(settings: Settings, namespace: str) -> SQLRecordManager:
    """LangChain's SQL record manager in ``settings.record_db``, schema created."""
    from langchain_classic.indexes import SQLRecordManager

    settings.record_db.parent.mkdir(parents=True, exist_ok=True)
    manager = SQLRecordManager(namespace, db_url=f"sqlite:///{settings.record_db}")
    manager.create_schema()
    return manager


def delete_source(source: str, store: Store, manager: SQLRecordManager) -> int:
    """Remove every chunk of one document: vectors first, then their record-manager keys."""
    deleted = 0
    while keys := manager.list_keys(group_ids=[source], limit=5000):
        store.delete_ids(keys)
        manager.delete_keys(keys)
        deleted += len(keys)
    return deleted


def reconcile(
    settings: Settings, store: Store, manager: SQLRecordManager, manifest: Manifest, *, deep: bool
) -> int:
    """Bring vectors, record-manager keys and manifest rows back in step; returns repairs made.

    The id-level comparison runs when ``deep`` (a previous run was interrupted) or
    when the key count and the vector count differ; the row-level one is cheap
    SQL and always runs. Chunks of sources with no manifest row are left to
    :func:`prune_unrecorded`, which runs once the files to index are known.
    """
    repairs = 0
    keys = record_keys_with_groups(settings.record_db, store.namespace)
    if deep or len(keys) != store.count():
        ids = set(store.all_ids())
        orphans = sorted(ids - keys.keys())  # vectors written, run killed before their keys
        ghosts = sorted(keys.keys() - ids)  # keys whose vectors are gone (deletes cut short, lost data)
        store.delete_ids(orphans)
        manager.delete_keys(ghosts)
        stale = {keys[g] for g in ghosts}
        manifest.delete([p for p, r in manifest.rows().items() if r.source in stale])
        repairs += len(orphans) + len(ghosts)
    groups = record_groups(settings.record_db, store.namespace)
    drop = [p for p, r in manifest.rows().items() if groups.get(r.source, 0) != r.n_chunks]
    manifest.delete(drop)  # their files are indexed again in this run
    return repairs + len(drop)


def prune_unrecorded(
    settings: Settings, store: Store, manager: SQLRecordManager, manifest: Manifest, keep: set[str]
) -> int:
    """Delete chunks of sources that have no manifest row and are not about to be indexed.

    Such chunks come from a run killed before it wrote the manifest rows; when
    their file is indexed again (``keep``) the chunks already written are reused
    (the record manager skips them) instead of being embedded a second time.
    """
    groups = record_groups(settings.record_db, store.namespace)
    known = {r.source for r in manifest.rows().values()} | keep
    return sum(delete_source(source, store, manager) for source in sorted(groups.keys() - known))
