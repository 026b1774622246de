"""The OpenAI-compatible LLM path against a real local server (llama.cpp + Gemma 3 270M).

That tiny base model answers badly; these tests prove the protocol path, the timeout and
connection fallbacks, and that verification strips whatever the model invents.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answer import answer_question
from bot.llm import describe_llm, open_chat_model
from bot.llm_answer import REFUSAL, ask_llm
from bot.verify import is_refusal, verify_answer
from core.settings import Settings, load_settings
from core.textmatch import contains
from tests.servers.chroma import free_port
from tests.servers.llama import LlamaServer, llama_server, missing_requirement
from tests.test_answer import APT1, MIVD_1, ScriptedRetriever

PASSAGES = [MIVD_1, APT1]
QUESTION = "Which Dutch sectors did the MIVD say China targets?"


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    reason = missing_requirement()
    if reason:
        pytest.skip(reason)
    with llama_server(tmp_path_factory.mktemp("llama")) as server:
        yield server


def _settings(tmp_path: Path, base_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "home": tmp_path / "home",
        "llm_base_url": base_url,
        "llm": "gemma-3-270m",
        "llm_max_tokens": 48,
        "llm_timeout": 300.0,
        "llm_retries": 0,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.mark.slow
def test_answer_through_the_real_server_keeps_only_verified_citations(
    llama: LlamaServer, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, llama.base_url)
    llm = open_chat_model(settings)
    assert llm is not None
    assert describe_llm(settings) == f"openai-compatible:gemma-3-270m@127.0.0.1:{llama.port}"

    answer = answer_question(QUESTION, retriever=ScriptedRetriever(PASSAGES), settings=settings, llm=llm)
    # At temperature 0 the server gives the same reply again; verify it on its own to know what to expect.
    raw = ask_llm(llm, QUESTION, PASSAGES, settings)
    assert raw.strip()
    verified = verify_answer(raw, PASSAGES)

    by_id = {p.chunk_id: p for p in PASSAGES}
    for c in answer.citations:
        assert c.chunk_id in by_id
        assert contains(by_id[c.chunk_id].text, c.quote.rstrip(" …"))
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    if is_refusal(raw, REFUSAL):
        assert answer.refused and answer.method == "llm:openai-compatible:gemma-3-270m"
    elif verified.kept_sentences:
        assert answer.method == "llm:openai-compatible:gemma-3-270m"
        assert answer.answer == verified.text
        assert answer.removed_citations == verified.removed
    else:
        # Nothing the model wrote carried a valid citation: the extractive answer, saying why,
        # and every dropped sentence of the model listed with its reason.
        assert answer.method == "extractive"
        assert any("gave no answer with a verifiable citation" in n for n in answer.notes)
        assert answer.removed_citations[: len(verified.removed)] == verified.removed
        assert all(r.reason for r in answer.removed_citations)
        assert "semiconductor" in answer.answer


@pytest.mark.slow
def test_a_timeout_too_small_falls_back_to_the_extractive_answer(llama: LlamaServer, tmp_path: Path) -> None:
    settings = _settings(tmp_path, llama.base_url, llm_timeout=0.01)
    answer = answer_question(
        QUESTION, retriever=ScriptedRetriever(PASSAGES), settings=settings, llm=open_chat_model(settings)
    )
    assert answer.method == "extractive"
    assert not answer.refused and "semiconductor" in answer.answer
    assert any("timed out after 0.01s" in n for n in answer.notes)


def test_a_server_that_is_down_falls_back_with_a_note(tmp_path: Path) -> None:
    settings = _settings(tmp_path, f"http://127.0.0.1:{free_port()}/v1", llm_timeout=5.0)
    answer = answer_question(
        QUESTION, retriever=ScriptedRetriever(PASSAGES), settings=settings, llm=open_chat_model(settings)
    )
    assert answer.method == "extractive"
    assert "semiconductor" in answer.answer
    assert any("could not connect" in n and "extractive answer instead" in n for n in answer.notes)
