"""open_chat_model / describe_llm: every backend configured from settings, clear errors otherwise."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from bot.llm import describe_llm, llm_label, open_chat_model
from core.errors import ConfigError
from core.settings import load_settings


def test_no_llm_configured_means_the_offline_extractive_default() -> None:
    settings = load_settings()
    assert open_chat_model(settings) is None
    assert describe_llm(settings) == "extractive"


def test_base_url_gives_an_openai_compatible_client_with_timeouts_retries_and_limits() -> None:
    from langchain_openai import ChatOpenAI

    settings = load_settings(
        llm_base_url="http://127.0.0.1:8080/v1",
        llm="openai:local-gemma",
        llm_timeout=7.5,
        llm_retries=0,
        llm_max_tokens=256,
        llm_temperature=0.2,
    )
    model = open_chat_model(settings)
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:8080/v1"
    assert model.model_name == "local-gemma"
    assert model.request_timeout == 7.5
    assert model.max_retries == 0
    assert model.max_tokens == 256
    assert model.extra_body == {"max_tokens": 256}  # llama.cpp's server ignores max_completion_tokens
    assert model.temperature == 0.2
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == "not-needed"
    assert llm_label(settings) == "openai-compatible:local-gemma"


def test_compatible_request_carries_max_tokens_that_llama_cpp_reads() -> None:
    from langchain_core.messages import HumanMessage

    model: Any = open_chat_model(load_settings(llm_base_url="http://127.0.0.1:1/v1", llm_max_tokens=77))
    payload = model._get_request_payload([HumanMessage("hi")])
    assert payload["extra_body"] == {"max_tokens": 77}


def test_base_url_uses_the_api_key_setting_when_given() -> None:
    settings = load_settings(llm_base_url="http://127.0.0.1:8080/v1", llm="m", llm_api_key="sk-local")
    model: Any = open_chat_model(settings)
    assert model.openai_api_key.get_secret_value() == "sk-local"
    assert model.model_name == "m"


def test_describe_llm_names_model_and_host_but_never_credentials() -> None:
    settings = load_settings(
        llm_base_url="http://user:secret@10.0.0.5:8000/v1", llm="qwen", llm_api_key="sk-x"
    )
    line = describe_llm(settings)
    assert line == "openai-compatible:qwen@10.0.0.5:8000"
    assert "secret" not in line and "sk-x" not in line
    assert describe_llm(load_settings(llm="openai:gpt-4o-mini")) == "openai:gpt-4o-mini"


def test_provider_openai_goes_through_init_chat_model_with_the_settings() -> None:
    from langchain_openai import ChatOpenAI

    model: Any = open_chat_model(
        load_settings(llm="openai:gpt-4o-mini", llm_api_key="sk-test", llm_timeout=9)
    )
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "gpt-4o-mini"
    assert model.request_timeout == 9
    assert model.max_retries == 2


def test_provider_anthropic_gets_timeout_retries_and_max_tokens() -> None:
    from langchain_anthropic import ChatAnthropic

    model: Any = open_chat_model(
        load_settings(
            llm="anthropic:claude-3-5-haiku-latest", llm_api_key="k", llm_retries=4, llm_max_tokens=300
        )
    )
    assert isinstance(model, ChatAnthropic)
    assert model.default_request_timeout == 60.0
    assert model.max_retries == 4
    assert model.max_tokens == 300


def test_provider_ollama_gets_reply_length_and_client_timeout() -> None:
    from langchain_ollama import ChatOllama

    model: Any = open_chat_model(load_settings(llm="ollama:qwen3", llm_timeout=12, llm_max_tokens=200))
    assert isinstance(model, ChatOllama)
    assert model.num_predict == 200
    assert model.client_kwargs == {"timeout": 12}


def test_missing_api_key_is_a_config_error_naming_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="BRIEFBOT_LLM_API_KEY"):
        open_chat_model(load_settings(llm="openai:gpt-4o-mini"))


@pytest.mark.parametrize("spec", ["gpt4", "openai:", ":model"])
def test_malformed_llm_setting_is_a_config_error(spec: str) -> None:
    with pytest.raises(ConfigError, match="provider:model"):
        open_chat_model(load_settings(llm=spec))


def test_unknown_provider_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Unsupported provider"):
        open_chat_model(load_settings(llm="nosuchprovider:model"))


@pytest.mark.parametrize(
    ("spec", "module", "extra"),
    [
        ("anthropic:claude-3-5-haiku-latest", "langchain_anthropic", "anthropic"),
        ("ollama:qwen3", "langchain_ollama", "ollama"),
        ("openai:gpt-4o-mini", "langchain_openai", "openai"),
    ],
)
def test_a_missing_provider_package_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, spec: str, module: str, extra: str
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a)
    )
    with pytest.raises(ConfigError) as info:
        open_chat_model(load_settings(llm=spec, llm_api_key="k"))
    assert f"pip install 'briefbot[{extra}]'" in str(info.value)


def test_base_url_without_langchain_openai_names_the_openai_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "langchain_openai" else real(name, *a)
    )
    with pytest.raises(ConfigError, match=r"briefbot\[openai\]"):
        open_chat_model(load_settings(llm_base_url="http://127.0.0.1:1/v1"))
