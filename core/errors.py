"""The briefbot exception hierarchy.

Every error carries a message that says what went wrong *and* what to do next.
Surfaces (CLI, Slack) catch :class:`BriefbotError` and show ``str(err)`` as one
line; anything else is a bug and is logged, never shown raw to a Slack user.
"""

from __future__ import annotations


class BriefbotError(Exception):
    """Base class for every error briefbot raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class ConfigError(BriefbotError):
    """A setting is missing or invalid (names the setting or variable)."""

    exit_code = 2


class InputError(BriefbotError):
    """The user gave something briefbot cannot work with (question, option, file)."""

    exit_code = 2


class DocumentError(InputError):
    """One document could not be loaded; names the file or URL and the reason."""

    def __init__(self, source: str, reason: str, *, hint: str | None = None) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}", hint=hint)


class FetchError(DocumentError):
    """A URL could not be fetched (HTTP error, timeout, unreachable host)."""


class StoreError(BriefbotError):
    """The vector store or another index file cannot be used as it is."""


class StoreUnavailableError(StoreError):
    """The Chroma server (or on-disk store) cannot be reached or opened."""


class IndexMismatchError(StoreError):
    """The index was built with another embedding model or dimension."""

    def __init__(self, message: str) -> None:
        super().__init__(message, hint="Run `briefbot index --rebuild` to re-embed the corpus.")


class EmptyIndexError(StoreError):
    """Nothing has been indexed yet."""

    def __init__(self, message: str = "The index is empty.") -> None:
        super().__init__(message, hint="Run `briefbot index corpus/` first.")


class LLMError(BriefbotError):
    """The configured LLM failed: timeout, HTTP error, or a reply that cannot be used."""


class SlackConfigError(ConfigError):
    """A Slack token or secret is missing or malformed (names the variable)."""
