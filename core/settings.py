"""One settings object for the whole program.

Built once at an entry point (CLI command, Slack app, test) with
:func:`load_settings` and passed down. Sources, highest priority first:
explicit overrides, ``BRIEFBOT_*`` environment variables, the TOML file
(``BRIEFBOT_CONFIG`` or ``./briefbot.toml`` when present), defaults.
Nothing here reads the environment at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core.errors import ConfigError

DEFAULT_EMBEDDING_MODEL = "bundled:all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """Every path, model and limit briefbot uses."""

    model_config = SettingsConfigDict(
        env_prefix="BRIEFBOT_",
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
    )
    _toml_file: ClassVar[Path | None] = None

    # --- where things live -------------------------------------------------
    home: Path = Field(Path(".briefbot"), description="Everything briefbot writes lives here.")
    corpus_dir: Path = Field(Path("corpus"), description="Default folder for `briefbot index`.")
    ignore_globs: list[str] = Field(
        default_factory=lambda: ["SOURCES.md", "README.md", ".*", "*~"],
        description="File names skipped when indexing a folder (unless named explicitly).",
    )
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are refused.")

    # --- embedding and chunking --------------------------------------------
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="'bundled:all-MiniLM-L6-v2' (offline default) or any sentence-transformers name/path.",
    )
    embedding_batch_size: int = Field(64, ge=1)
    embedding_device: str = "cpu"
    chunk_max_tokens: int = Field(
        0, ge=0, description="Word pieces per chunk; 0 means the embedding model's own limit."
    )
    chunk_overlap_tokens: int = Field(32, ge=0)

    # --- store -------------------------------------------------------------
    chroma_host: str | None = Field(None, description="Chroma server host; unset = on-disk store.")
    chroma_port: int = Field(8000, ge=1, le=65535)
    chroma_ssl: bool = False
    chroma_tenant: str = "default_tenant"
    chroma_database: str = "default_database"
    chroma_auth_token: SecretStr | None = None
    collection: str = "briefbot"

    # --- retrieval ---------------------------------------------------------
    top_k: int = Field(5, ge=1, le=100)
    candidates: int = Field(40, ge=1, description="Candidates per retriever before fusion.")
    fusion: Literal["zscore", "rrf"] = Field(
        "zscore", description="How dense and BM25 scores are fused (docs/RETRIEVAL.md)."
    )
    rrf_k: int = Field(60, ge=1, description="Rank constant of reciprocal rank fusion (fusion=rrf).")
    dense_weight: float = Field(0.4, ge=0)
    bm25_weight: float = Field(0.6, ge=0)
    reranker_model: str | None = Field(None, description="Optional CrossEncoder name or path.")
    refusal_threshold: float | None = Field(
        None, description="Evidence score below which questions are refused; unset = calibrated default."
    )
    max_question_chars: int = Field(2000, ge=10)

    # --- LLM ---------------------------------------------------------------
    llm: str | None = Field(
        None, description="'provider:model', e.g. 'openai:gpt-4o-mini'. Unset = extractive."
    )
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(60.0, gt=0)
    llm_retries: int = Field(2, ge=0)
    llm_temperature: float = Field(0.0, ge=0)
    llm_max_tokens: int = Field(1024, ge=16)
    llm_context_tokens: int = Field(8192, ge=512, description="Context budget for prompts (summaries).")

    # --- HTTP (URLs) -------------------------------------------------------
    http_timeout: float = Field(20.0, gt=0)
    user_agent: str = "briefbot/0.1 (+https://github.com/briefbot)"

    # --- Slack -------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("BRIEFBOT_SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN", "slack_bot_token")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("BRIEFBOT_SLACK_APP_TOKEN", "SLACK_APP_TOKEN", "slack_app_token")
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices(
            "BRIEFBOT_SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET", "slack_signing_secret"
        ),
    )
    slack_api_url: str = "https://slack.com/api/"
    slack_notify_channel: str | None = Field(None, description="Channel told about new reports.")
    slack_admin_users: list[str] = Field(default_factory=list)
    slack_allowed_channels: list[str] = Field(
        default_factory=list, description="Empty = every channel the bot is in."
    )
    slack_rate_limit_per_minute: int = Field(10, ge=1)
    slack_workers: int = Field(4, ge=1)

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    # --- derived paths -------------------------------------------------------
    @property
    def chroma_path(self) -> Path:
        """On-disk Chroma folder (used when no server is configured)."""
        return self.home / "chroma"

    @property
    def record_db(self) -> Path:
        """SQLite file of the LangChain record manager and the file manifest."""
        return self.home / "records.sqlite"

    @property
    def bm25_dir(self) -> Path:
        """Folder of the persisted BM25 index."""
        return self.home / "bm25"

    @property
    def state_db(self) -> Path:
        """SQLite file for bot state: Slack dedup, feedback, digest marks."""
        return self.home / "state.sqlite"

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data, secrets replaced by '***'."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                out[name] = "***" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                out[name] = str(value)
            else:
                out[name] = value
        for name in ("chroma_path", "record_db", "bm25_dir", "state_db"):
            out[name] = str(getattr(self, name))
        return out

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls._toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls._toml_file))
        return tuple(sources)


def _config_file(explicit: Path | None, environ: dict[str, str]) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"Config file {explicit} does not exist.", hint="Check the --config path.")
        return explicit
    named = environ.get("BRIEFBOT_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(
                f"BRIEFBOT_CONFIG points at {path}, which does not exist.",
                hint="Fix the path or unset BRIEFBOT_CONFIG.",
            )
        return path
    default = Path("briefbot.toml")
    return default if default.is_file() else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings once, at an entry point.

    Raises :class:`ConfigError` naming the offending field when a value is invalid.
    """
    toml = _config_file(config_file, dict(os.environ))
    cls: type[Settings] = type("Settings", (Settings,), {"_toml_file": toml, "__module__": __name__})
    try:
        return cls(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise ConfigError(
            f"Invalid setting {field}: {first.get('msg', 'invalid value')}.",
            hint=f"Check BRIEFBOT_{field.upper()} or the [{field}] entry in your briefbot.toml.",
        ) from None
    except Exception as exc:  # TOML syntax errors and the like
        raise ConfigError(
            f"Could not read settings: {type(exc).__name__}.",
            hint=f"Check {toml or 'your BRIEFBOT_* variables'}.",
        ) from None
