"""Chat models: ``open_chat_model(settings)`` for every supported backend.

- ``BRIEFBOT_LLM`` unset (and no base URL): ``None`` — the offline extractive default.
- ``BRIEFBOT_LLM="provider:model"``: LangChain's ``init_chat_model`` (openai, anthropic
  and ollama are optional extras of the briefbot package).
- ``BRIEFBOT_LLM_BASE_URL`` (+ ``BRIEFBOT_LLM_API_KEY``): any OpenAI-compatible server
  (vLLM, llama.cpp, LM Studio, Ollama's /v1) through ``ChatOpenAI``.

Timeouts, retries, temperature and the reply length come from the settings.
Nothing here touches the network: clients connect on first use.
"""

from __future__ import annotations

import importlib.util
from typing import Any
from urllib.parse import urlsplit

from langchain_core.language_models import BaseChatModel

from core.errors import ConfigError
from core.settings import Settings

# Provider → (integration module, briefbot extra that installs it).
_EXTRAS: dict[str, tuple[str, str]] = {
    "openai": ("langchain_openai", "openai"),
    "anthropic": ("langchain_anthropic", "anthropic"),
    "ollama": ("langchain_ollama", "ollama"),
}
DEFAULT_COMPATIBLE_MODEL = "default"


def _split(spec: str) -> tuple[str, str]:
    provider, sep, model = spec.partition(":")
    if not sep or not provider.strip() or not model.strip():
        raise ConfigError(
            f"BRIEFBOT_LLM={spec!r} is not 'provider:model'.",
            hint="Use e.g. BRIEFBOT_LLM=openai:gpt-4o-mini, anthropic:claude-3-5-haiku-latest, ollama:qwen3.",
        )
    return provider.strip().lower().replace("-", "_"), model.strip()


def _compatible_model_name(settings: Settings) -> str:
    if not settings.llm:
        return DEFAULT_COMPATIBLE_MODEL
    provider, sep, model = settings.llm.partition(":")
    # "openai:gpt-4o" and plain "my-model" both name the model; a local model id may contain ':'.
    if sep and provider.strip().lower() in ("openai", "openai_compatible", "openai-compatible"):
        return model.strip() or DEFAULT_COMPATIBLE_MODEL
    return settings.llm.strip()


def _require(module: str, extra: str, what: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ConfigError(
            f"{what} needs the {module.replace('_', '-')} package, which is not installed.",
            hint=f"Run: pip install 'briefbot[{extra}]'",
        )


def _secret(settings: Settings) -> str | None:
    key = settings.llm_api_key
    return key.get_secret_value() if key is not None and key.get_secret_value() else None


def _provider_kwargs(provider: str, settings: Settings) -> dict[str, Any]:
    common: dict[str, Any] = {"temperature": settings.llm_temperature}
    if provider == "ollama":
        # ChatOllama has no retry setting; its httpx client takes the timeout.
        return {
            **common,
            "num_predict": settings.llm_max_tokens,
            "client_kwargs": {"timeout": settings.llm_timeout},
        }
    kwargs = {
        **common,
        "max_tokens": settings.llm_max_tokens,
        "timeout": settings.llm_timeout,
        "max_retries": settings.llm_retries,
    }
    key = _secret(settings)
    if key is not None:
        kwargs["api_key"] = key
    return kwargs


def open_chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured chat model, or ``None`` when no LLM is configured (extractive mode).

    Raises :class:`ConfigError` when the setting is malformed, the provider's
    package is not installed (naming the extra to install) or the client
    rejects its configuration (e.g. a missing API key).
    """
    if settings.llm_base_url:
        _require("langchain_openai", "openai", "An OpenAI-compatible server (BRIEFBOT_LLM_BASE_URL)")
        from langchain_openai import ChatOpenAI

        try:
            return ChatOpenAI(
                model=_compatible_model_name(settings),
                base_url=settings.llm_base_url,
                api_key=_secret(settings) or "not-needed",  # type: ignore[arg-type]
                timeout=settings.llm_timeout,
                max_retries=settings.llm_retries,
                temperature=settings.llm_temperature,
                max_tokens=settings.llm_max_tokens,  # type: ignore[call-arg]
                # ChatOpenAI sends only `max_completion_tokens`, which llama.cpp/vLLM-style servers ignore.
                extra_body={"max_tokens": settings.llm_max_tokens},
            )
        except Exception as exc:
            raise ConfigError(
                f"Could not set up the OpenAI-compatible client: {str(exc).rstrip('.')}.",
                hint="Check BRIEFBOT_LLM_BASE_URL and BRIEFBOT_LLM.",
            ) from None
    if not settings.llm:
        return None
    provider, model = _split(settings.llm)
    if provider in _EXTRAS:
        module, extra = _EXTRAS[provider]
        _require(module, extra, f"BRIEFBOT_LLM={settings.llm}")
    from langchain.chat_models import init_chat_model

    try:
        chat = init_chat_model(model, model_provider=provider, **_provider_kwargs(provider, settings))
    except ImportError as exc:
        raise ConfigError(f"BRIEFBOT_LLM={settings.llm}: {exc}.", hint="Install the package named.") from None
    except ValueError as exc:
        raise ConfigError(
            f"BRIEFBOT_LLM={settings.llm}: {str(exc).splitlines()[0].rstrip('.')}.",
            hint="Use one of openai, anthropic or ollama as the provider.",
        ) from None
    except Exception as exc:  # e.g. the provider client refusing to start without an API key
        reason = (str(exc).splitlines()[0] if str(exc) else type(exc).__name__).rstrip(".")
        raise ConfigError(
            f"Could not set up {settings.llm}: {reason}.",
            hint="Set the provider's API key (e.g. OPENAI_API_KEY) or BRIEFBOT_LLM_API_KEY.",
        ) from None
    if not isinstance(chat, BaseChatModel):
        raise ConfigError(f"BRIEFBOT_LLM={settings.llm} did not give a chat model.", hint="Use a chat model.")
    return chat


def llm_label(settings: Settings) -> str:
    """Short model label used in ``Answer.method`` ("openai:gpt-4o-mini", "openai-compatible:m")."""
    if settings.llm_base_url:
        return f"openai-compatible:{_compatible_model_name(settings)}"
    return settings.llm or "extractive"


def describe_llm(settings: Settings) -> str:
    """One line for context lines: "extractive", "openai:gpt-4o-mini" or "openai-compatible:model@host"."""
    if settings.llm_base_url:
        parts = urlsplit(settings.llm_base_url)
        # hostname (not netloc): credentials embedded in the URL must never reach a context line.
        host = (parts.hostname or "?") + (f":{parts.port}" if parts.port else "")
        return f"openai-compatible:{_compatible_model_name(settings)}@{host}"
    if not settings.llm:
        return "extractive"
    return settings.llm
