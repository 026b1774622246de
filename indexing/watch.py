"""`briefbot watch`: re-index when files appear, change or disappear (watchdog, debounced).

Events only mark the index as stale; after ``debounce`` seconds without new
events the watched paths are re-indexed incrementally (unchanged files cost a
``stat``), so bursts such as a copied folder or an editor's save dance trigger
one run. The embedder and store are opened once and reused across runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from watchdog.events import FileSystemEvent, FileSystemEventHandler

from core.errors import BriefbotError, IndexMismatchError, InputError
from core.settings import Settings
from indexing.discover import ignored

if TYPE_CHECKING:
    from indexing.embed import Embedder
    from indexing.pipeline import IndexReport
    from indexing.store import Store

log = logging.getLogger(__name__)


class _Changes(FileSystemEventHandler):
    """Watchdog event handler that records when the last relevant event happened."""

    def __init__(self, roots: list[Path], files: set[Path], globs: list[str], home: Path) -> None:
        super().__init__()
        self.roots, self.files, self.globs, self.home = roots, files, globs, home
        self._lock = threading.Lock()
        self.pending = False
        self.last = 0.0

    def relevant(self, raw: str | bytes) -> bool:
        path = Path(raw.decode() if isinstance(raw, bytes) else raw).resolve()
        if path == self.home or self.home in path.parents:
            return False
        if path in self.files:
            return True
        for root in self.roots:
            if root in path.parents:
                parts = path.relative_to(root).parts
                return not any(ignored(part, self.globs) for part in parts)
        return False

    def dispatch(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or (
            event.is_directory and event.event_type == "modified"
        ):
            return
        paths = [event.src_path] + ([event.dest_path] if getattr(event, "dest_path", "") else [])
        if any(self.relevant(p) for p in paths):
            with self._lock:
                self.pending = True
                self.last = time.monotonic()

    def take_if_quiet(self, debounce: float) -> tuple[bool, float]:
        """(run now?, seconds to wait before asking again)."""
        with self._lock:
            if not self.pending:
                return False, 0.2
            quiet = time.monotonic() - self.last
            if quiet < debounce:
                return False, debounce - quiet
            self.pending = False
            return True, 0.0


def watch(
    paths: list[Path],
    settings: Settings,
    *,
    on_report: Callable[[IndexReport], None],
    debounce: float = 2.0,
    stop: threading.Event | None = None,
    on_error: Callable[[BriefbotError], None] | None = None,
    embedder: Embedder | None = None,
    initial: bool = True,
) -> None:
    """Index ``paths`` now (``initial``), then again after each quiet spell following changes.

    Returns when ``stop`` is set or on Ctrl-C. A store that cannot be reached is
    reported through ``on_error`` and retried on the next change; an index built
    with another model stops the watch.
    """
    from watchdog.observers import Observer

    from indexing.embed import open_embedder
    from indexing.pipeline import index_paths
    from indexing.store import open_store

    stop = stop or threading.Event()
    resolved = [Path(p).expanduser().resolve() for p in paths]
    roots = [p for p in resolved if p.is_dir()]
    files = {p for p in resolved if p.is_file()}
    for p in resolved:
        if p not in files and p not in roots:
            raise InputError(f"Cannot watch {p}: no such file or folder.", hint="Check the path.")
    handler = _Changes(roots, files, settings.ignore_globs, settings.home.expanduser().resolve())
    emb = embedder or open_embedder(settings)
    store: list[Store] = []

    def run() -> None:
        try:
            if not store:
                store.append(open_store(settings, emb))
            on_report(index_paths(list(paths), settings, embedder=emb, store=store[0], progress=False))
        except IndexMismatchError:
            raise
        except BriefbotError as exc:
            store.clear()
            (on_error or (lambda e: log.error("%s", e)))(exc)

    observer = Observer()
    for root in roots:
        observer.schedule(handler, str(root), recursive=True)
    for parent in sorted({f.parent for f in files} - set(roots)):
        observer.schedule(handler, str(parent), recursive=False)
    observer.start()
    try:
        if initial:
            run()
        while not stop.is_set():
            due, wait = handler.take_if_quiet(debounce)
            if due:
                run()
            else:
                stop.wait(min(wait, 0.5))
    except KeyboardInterrupt:
        log.info("watch interrupted")
    finally:
        observer.stop()
        observer.join(timeout=5)
