"""A rich progress display for long index runs: files done and chunks embedded (on stderr)."""

from __future__ import annotations

from types import TracebackType
from typing import Any


class IndexProgress:
    """Two rich progress bars, shown only when enabled and stderr is a terminal."""

    def __init__(self, files: int, *, enabled: bool) -> None:
        self._progress: Any = None
        self._files: Any = None
        self._chunks: Any = None
        if not enabled or files == 0:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(stderr=True)
        if not console.is_terminal:
            return
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[name]}"),
            console=console,
            transient=True,
        )
        self._files = self._progress.add_task("files ", total=files, name="")
        self._chunks = self._progress.add_task("chunks", total=None, name="embedded")

    def __enter__(self) -> IndexProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def file(self, name: str) -> None:
        """A file is about to be processed (the previous one is done)."""
        if self._progress is not None:
            task = self._progress.tasks[self._files]
            if task.fields.get("name"):
                self._progress.advance(self._files)
            self._progress.update(self._files, name=name[-60:])

    def embedded(self, count: int) -> None:
        """``count`` more chunks were embedded."""
        if self._progress is not None:
            self._progress.advance(self._chunks, count)
