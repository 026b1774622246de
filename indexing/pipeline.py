"""Incremental indexing: files → prepare → chunk → embed → Chroma, via LangChain's indexing API.

``langchain_core.indexing.index`` with a ``SQLRecordManager`` writes each changed
document's chunks (the vector id is the chunk's record id, so unchanged chunks
are never re-embedded) and removes the chunks that document no longer has. The
file manifest (see :mod:`indexing.manifest` for why it exists) lets unchanged
files be skipped without loading them or the embedding model.

Changed documents are written in groups of about ``_INDEX_BATCH`` chunks, so
embedding batches span small documents. Crash safety (:mod:`indexing.recovery`):
vectors are written first, then record-manager keys, then the manifest rows;
every full run starts by reconciling the three (and a dirty marker makes the next
run rebuild BM25), so a run killed at any point is brought to exactly the right
state by the next one: no duplicate chunks, no orphans.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import BriefbotError, DocumentError
from core.settings import Settings
from core.types import Chunk, DocumentMeta, LoadedDocument
from indexing.discover import Change, Diff, plan_changes
from indexing.manifest import Failure, FileRow, Manifest, now, record_groups
from indexing.progress import IndexProgress
from indexing.recovery import (
    delete_source,
    dirty_marker,
    index_lock,
    open_record_manager,
    prune_unrecorded,
    reconcile,
)

if TYPE_CHECKING:
    from langchain_classic.indexes import SQLRecordManager
    from langchain_core.documents import Document

    from indexing.embed import Embedder
    from indexing.store import Store

log = logging.getLogger(__name__)

PIPELINE_VERSION = "3"  # bump when loading/cleaning/chunking changes so every file is re-processed
_INDEX_BATCH = 256


@dataclass
class IndexReport:
    """What an index run did (or, with ``plan``, would do)."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks_added: int = 0
    chunks_deleted: int = 0
    chunks_embedded: int = 0
    repaired: int = 0
    new_documents: list[DocumentMeta] = field(default_factory=list)
    changes: list[tuple[str, str]] = field(default_factory=list)
    plan: bool = False
    strict: bool = False
    seconds: float = 0.0
    store: str = ""

    @property
    def changed(self) -> bool:
        """True when documents were added, updated or deleted."""
        return bool(self.added or self.updated or self.deleted)

    @property
    def exit_code(self) -> int:
        """0, or 1 with ``strict`` when some files failed."""
        return 1 if self.strict and self.failed else 0

    def to_json(self) -> dict[str, Any]:
        """One JSON object for `briefbot index --json`."""
        return {
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "skipped": self.skipped,
            "failed": [{"source": s, "reason": r} for s, r in self.failed],
            "chunks_added": self.chunks_added,
            "chunks_deleted": self.chunks_deleted,
            "chunks_embedded": self.chunks_embedded,
            "repaired": self.repaired,
            "new_documents": [m.source for m in self.new_documents],
            "changes": [{"action": a, "source": s} for a, s in self.changes],
            "plan": self.plan,
            "seconds": round(self.seconds, 3),
            "store": self.store,
        }


def pipeline_fingerprint(settings: Settings, embedder: Embedder) -> str:
    """Hash of everything that shapes a file's chunks; a change re-processes every file."""
    data = [PIPELINE_VERSION, embedder.model_id, embedder.max_tokens, settings.chunk_overlap_tokens]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


def index_paths(
    paths: list[Path],
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    store: Store | None = None,
    rebuild: bool = False,
    plan: bool = False,
    progress: bool = False,
    strict: bool = False,
) -> IndexReport:
    """Bring the index in step with the files under ``paths`` (files or folders).

    Unchanged files are skipped without being read; changed ones are re-chunked
    and only their new chunks embedded; deleted ones lose their chunks. Bad files
    are listed in ``report.failed`` and the rest goes on. ``plan`` changes nothing
    and loads no model; ``rebuild`` empties the collection, records and manifest first.
    """
    from indexing.embed import open_embedder
    from indexing.store import store_location, store_namespace

    started = time.monotonic()
    embedder = embedder or open_embedder(settings)
    fingerprint = pipeline_fingerprint(settings, embedder)
    report = IndexReport(plan=plan, strict=strict, store=store_location(settings))
    if plan:
        manifest = Manifest(settings.record_db, store_namespace(settings), readonly=True)
        if rebuild:
            diff = plan_changes(paths, settings, {}, fingerprint)
        else:
            diff = plan_changes(paths, settings, manifest.rows(), fingerprint, manifest.failures())
        _count_plan(diff, report)
    else:
        with index_lock(settings):
            if rebuild or not _nothing_to_do(paths, settings, fingerprint, report):
                _run(paths, settings, embedder, store, rebuild, progress, fingerprint, report)
    report.seconds = time.monotonic() - started
    return report


def _count_plan(diff: Diff, report: IndexReport) -> None:
    report.failed.extend(diff.failed)
    report.added = len(diff.of("add"))
    report.updated = len(diff.of("update"))
    report.deleted = len(diff.of("delete"))
    report.skipped = len(diff.of("skip", "touch"))
    report.changes = [(c.action, c.source) for c in diff.of("add", "update", "delete")]


def _nothing_to_do(paths: list[Path], settings: Settings, fingerprint: str, report: IndexReport) -> bool:
    """The fast path of an unchanged re-index: True (report filled) when no file changed.

    Needs neither Chroma nor the record-manager API: the manifest says every file
    is unchanged, no run was interrupted (no dirty marker) and the record-manager
    table agrees with the manifest. A Chroma server is always checked the long
    way, since it can lose data behind our back.
    """
    from indexing.store import store_namespace

    if settings.chroma_host or dirty_marker(settings).exists():
        return False
    namespace = store_namespace(settings)
    manifest = Manifest(settings.record_db, namespace, readonly=True)
    rows = manifest.rows()
    groups = record_groups(settings.record_db, namespace)
    if not rows or groups != {r.source: r.n_chunks for r in rows.values()}:
        return False
    diff = plan_changes(paths, settings, rows, fingerprint, manifest.failures())
    if diff.of("add", "update", "delete"):
        return False
    writable = Manifest(settings.record_db, namespace)
    for change in diff.of("touch"):
        _touch(writable, change, rows[change.path])
    report.failed.extend(diff.failed)
    report.skipped = len(diff.changes)
    return True


def _run(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder,
    store: Store | None,
    rebuild: bool,
    progress: bool,
    fingerprint: str,
    report: IndexReport,
) -> None:
    from indexing.store import open_store

    store = store or open_store(settings, embedder, verify=not rebuild)
    manager = open_record_manager(settings, store.namespace)
    manifest = Manifest(settings.record_db, store.namespace)
    marker = dirty_marker(settings)
    was_dirty = marker.exists()
    marker.write_text(store.namespace)  # from here on the store may change before BM25 follows
    try:
        with store.guard():
            if rebuild:
                store.reset()
                while keys := manager.list_keys(limit=5000):
                    manager.delete_keys(keys)
                manifest.clear()
                manifest.clear_failures()
            else:
                report.repaired = reconcile(settings, store, manager, manifest, deep=was_dirty)
            manifest.clear_failures([p for p in manifest.failures() if not Path(p).is_file()])
            rows = manifest.rows()
            diff = plan_changes(paths, settings, rows, fingerprint, manifest.failures())
            report.failed.extend(diff.failed)
            report.skipped = len(diff.of("skip", "touch"))
            for change in diff.of("touch"):
                _touch(manifest, change, rows[change.path])
            work = diff.of("delete", "add", "update")
            keep = {c.source for c in diff.of("add", "update")}
            report.repaired += prune_unrecorded(settings, store, manager, manifest, keep)
            _apply(work, settings, embedder, store, manager, manifest, fingerprint, report, progress)
        if report.changed or report.repaired or was_dirty or rebuild:
            _sync_bm25(settings, store)
            if report.changed or rebuild:
                manifest.set_state("last_indexed", datetime.now(UTC).isoformat(timespec="seconds"))
        marker.unlink(missing_ok=True)
    finally:
        manager.engine.dispose()


def _touch(manifest: Manifest, change: Change, row: FileRow) -> None:
    """Same bytes, new mtime: remember the new stat, keep when the content was indexed."""
    manifest.upsert(replace(row, size=change.size, mtime_ns=change.mtime_ns))


def _remember(manifest: Manifest, change: Change, source: str, n_chunks: int, fingerprint: str) -> None:
    manifest.upsert(
        FileRow(
            path=change.path,
            root=str(change.target.root) if change.target else "",
            source=source,
            size=change.size,
            mtime_ns=change.mtime_ns,
            sha256=change.sha256,
            n_chunks=n_chunks,
            fingerprint=fingerprint,
            indexed_at=now(),
        )
    )


@dataclass
class _Pending:
    """Changed documents waiting to be written together, so embedding batches span documents."""

    docs: list[Document] = field(default_factory=list)
    files: list[tuple[Change, DocumentMeta, int]] = field(default_factory=list)


def _apply(
    work: list[Change],
    settings: Settings,
    embedder: Embedder,
    store: Store,
    manager: SQLRecordManager,
    manifest: Manifest,
    fingerprint: str,
    report: IndexReport,
    progress: bool,
) -> None:
    from indexing.records import chunks_to_documents

    rows = manifest.rows()
    embedded_before = embedder.texts_embedded
    pending = _Pending()
    with IndexProgress(len(work), enabled=progress) as bar, embedder.observe(bar.embedded):
        for change in work:
            bar.file(change.source)
            if change.action == "delete":
                report.chunks_deleted += delete_source(change.source, store, manager)
                manifest.delete([change.path])
                manifest.clear_failures([change.path])
                report.deleted += 1
                report.changes.append(("delete", change.source))
                continue
            prepared = _prepare(change, settings, embedder)
            if isinstance(prepared, str):
                _failed(manifest, change, prepared, fingerprint, report)
                continue
            doc, chunks = prepared
            old = rows.get(change.path)
            if old is not None and old.source != doc.meta.source:
                report.chunks_deleted += delete_source(old.source, store, manager)
            docs = chunks_to_documents(chunks, doc.meta)
            pending.docs.extend(docs)
            pending.files.append((change, doc.meta, len({d.id for d in docs})))
            if len(pending.docs) >= _INDEX_BATCH:
                _flush(pending, store, manager, manifest, fingerprint, report)
        _flush(pending, store, manager, manifest, fingerprint, report)
    report.chunks_embedded = embedder.texts_embedded - embedded_before


def _prepare(
    change: Change, settings: Settings, embedder: Embedder
) -> tuple[LoadedDocument, list[Chunk]] | str:
    """Load, clean and chunk one file; a string is the reason it failed."""
    from indexing.chunk import chunk_document
    from indexing.prepare import prepare_file

    assert change.target is not None
    try:
        doc = prepare_file(change.target.path, settings, root=change.target.root)
        chunks = chunk_document(
            doc,
            embedder.count_tokens,
            max_tokens=embedder.max_tokens,
            overlap_tokens=settings.chunk_overlap_tokens,
        )
    except DocumentError as exc:
        return exc.reason
    except BriefbotError:
        raise
    except Exception as exc:  # a loader bug on one file must not stop the run
        log.exception("failed to prepare %s", change.target.display)
        return f"unexpected {type(exc).__name__}: {exc}"
    if not chunks:
        return "no text to index: after cleaning only a title, headings or page boilerplate are left"
    return doc, chunks


def _flush(
    pending: _Pending,
    store: Store,
    manager: SQLRecordManager,
    manifest: Manifest,
    fingerprint: str,
    report: IndexReport,
) -> None:
    """Write the pending documents (vectors, then records), then their manifest rows."""
    from langchain_core.indexing import index

    if not pending.files:
        return
    result = index(
        pending.docs,
        manager,
        store.vectorstore,
        batch_size=_INDEX_BATCH,
        cleanup="scoped_full",  # removes each document's old chunks once all its new ones are in
        source_id_key="source",
        key_encoder=lambda d: str(d.id),  # the record id is the vector id
    )
    report.chunks_added += result["num_added"]
    report.chunks_deleted += result["num_deleted"]
    for change, meta, n_chunks in pending.files:
        _remember(manifest, change, meta.source, n_chunks, fingerprint)
        manifest.clear_failures([change.path])
        if change.action == "add":
            report.added += 1
            report.new_documents.append(meta)
        else:
            report.updated += 1
        report.changes.append((change.action, meta.source))
    pending.docs.clear()
    pending.files.clear()


def _failed(manifest: Manifest, change: Change, reason: str, fingerprint: str, report: IndexReport) -> None:
    """Report a file as failed and remember why until it changes (its old chunks, if any, stay)."""
    assert change.target is not None
    report.failed.append((change.target.display, reason))
    manifest.set_failure(change.path, Failure(change.size, change.mtime_ns, fingerprint, reason))


def _sync_bm25(settings: Settings, store: Store) -> None:
    try:
        from indexing.bm25 import sync_bm25
    except ImportError:  # the lexical index is optional until indexing/bm25.py exists
        log.info("indexing.bm25 is not available; the BM25 index was not rebuilt")
        return
    sync_bm25(settings, store)
