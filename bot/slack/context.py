"""What every listener shares: settings, the service, the Web API client, stores and the worker pool."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from slack_sdk import WebClient

from bot.results import Answer, Summary
from bot.slack.blocks import StatusLike
from bot.slack.dedup import EventDedup
from bot.slack.feedback import FeedbackStore
from bot.slack.ratelimit import RateLimiter
from bot.slack.threads import ThreadRegistry
from bot.slack.workers import WorkerPool
from core.settings import Settings
from core.types import DocumentMeta, SearchFilters


class ReindexReportLike(Protocol):
    """What the bot reads from ``indexing.pipeline.IndexReport``."""

    @property
    def added(self) -> int: ...
    @property
    def updated(self) -> int: ...
    @property
    def deleted(self) -> int: ...
    @property
    def new_documents(self) -> Sequence[DocumentMeta]: ...


class Service(Protocol):
    """The part of :class:`bot.service.Briefbot` the Slack app calls (fakes implement it in tests)."""

    def ask(
        self,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = ...,
        filters: SearchFilters | None = ...,
    ) -> Answer: ...

    def summarize(self, source: str, *, indexed: bool = ..., length: str = ...) -> Summary: ...

    def status(self) -> StatusLike: ...

    def reindex(self) -> ReindexReportLike: ...

    def digest(self, *, new: bool = ...) -> list[Summary]: ...


@dataclass
class SlackContext:
    """Shared state of one running Slack app."""

    settings: Settings
    service: Service
    client: WebClient
    dedup: EventDedup
    threads: ThreadRegistry
    feedback: FeedbackStore
    limiter: RateLimiter
    workers: WorkerPool
    llm: str
    bot_user_id: str | None = None
    bot_id: str | None = None
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("bot.slack"))
    status_ttl: float = 30.0
    _status: StatusLike | None = field(default=None, init=False, repr=False)
    _status_at: float = field(default=0.0, init=False, repr=False)
    _status_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def index_status(self) -> StatusLike | None:
        """The index status, refreshed at most every ``status_ttl`` seconds; None when unavailable."""
        with self._status_lock:
            if self._status is not None and time.monotonic() - self._status_at < self.status_ttl:
                return self._status
        try:
            status = self.service.status()
        except Exception:
            self.logger.warning("index status unavailable", exc_info=True)
            return self.cached_status()
        with self._status_lock:
            self._status, self._status_at = status, time.monotonic()
        return status

    def cached_status(self) -> StatusLike | None:
        """The last known status without asking the service (for acknowledgements)."""
        with self._status_lock:
            return self._status

    def invalidate_status(self) -> None:
        """Forget the cached status (after a re-index)."""
        with self._status_lock:
            self._status_at = 0.0

    def is_admin(self, user: str) -> bool:
        """True for user IDs listed in ``slack_admin_users``."""
        return user in set(self.settings.slack_admin_users)

    def channel_allowed(self, channel: str, *, direct: bool = False) -> bool:
        """Direct messages always; channels when the allow-list is empty or names them."""
        allowed = self.settings.slack_allowed_channels
        return direct or not allowed or channel in allowed

    def close(self, *, wait: bool = True) -> None:
        """Finish queued jobs and close the stores."""
        self.workers.shutdown(wait=wait)
        for store in (self.dedup, self.threads, self.feedback):
            store.close()
