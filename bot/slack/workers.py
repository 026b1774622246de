"""The bounded worker pool that does the slow part of every request, after Slack has its acknowledgement."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager


class WorkerPool:
    """At most ``workers`` jobs (retrieval, LLM, Web API calls) at a time, at most ``max_pending`` waiting.

    Listeners only validate, deduplicate and enqueue, so Slack gets its
    acknowledgement at once. Acknowledgements also come first for the CPU: while
    any is in flight (see :meth:`acknowledging`) and for ``quiet`` seconds after
    the last one, jobs wait to *start* (for at most ``ack_priority_wait``
    seconds), so a burst of events is acknowledged before the answering begins
    instead of competing with it for the GIL.
    """

    def __init__(
        self,
        workers: int,
        *,
        max_pending: int = 500,
        ack_priority_wait: float = 0.5,
        quiet: float = 0.02,
        logger: logging.Logger | None = None,
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="briefbot-slack")
        self._max_pending = max_pending
        self._ack_wait = ack_priority_wait
        self._quiet = quiet
        self._last_ack = 0.0
        self._pending = 0
        self._acks = 0
        self._cond = threading.Condition()
        self._logger = logger or logging.getLogger("bot.slack")

    @contextmanager
    def acknowledging(self) -> Iterator[None]:
        """Mark one incoming request as being acknowledged (wraps the whole request in the runners)."""
        with self._cond:
            self._acks += 1
        try:
            yield
        finally:
            with self._cond:
                self._acks -= 1
                self._last_ack = time.monotonic()

    def submit(self, job: Callable[[], None], *, label: str) -> bool:
        """Queue a job; False when the queue is full (the caller replies that the bot is busy)."""
        with self._cond:
            if self._pending >= self._max_pending:
                return False
            self._pending += 1

        def run() -> None:
            try:
                self._wait_for_quiet()
                job()
            except Exception:  # jobs reply to users themselves; this is the last line of defence
                self._logger.exception("Slack job %s failed", label)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

        try:
            self._pool.submit(run)
        except RuntimeError:  # shut down
            with self._cond:
                self._pending -= 1
            return False
        return True

    def _wait_for_quiet(self) -> None:
        deadline = time.monotonic() + self._ack_wait
        while True:
            with self._cond:
                now = time.monotonic()
                busy = self._acks > 0 or now - self._last_ack < self._quiet
            if not busy or now >= deadline:
                return
            time.sleep(min(self._quiet / 2, deadline - now))

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        with self._cond:
            return self._pending

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout=timeout)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop taking jobs; with ``wait``, finish the queued ones."""
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
