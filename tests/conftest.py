"""Fixtures shared by every test module. Helpers for servers live in tests/servers/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's BRIEFBOT_*/SLACK_* variables or a stray briefbot.toml."""
    import os

    for key in list(os.environ):
        if key.startswith(("BRIEFBOT_", "SLACK_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with BRIEFBOT_HOME in a fresh tmp folder."""
    return load_settings(home=tmp_path / "home")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared next to the repo; tests that need it skip cleanly when it is absent."""
    if not (SHARED / "corpus").is_dir():
        pytest.skip("../shared/corpus is not available")
    return SHARED


@pytest.fixture(scope="session")
def shared_corpus(shared_dir: Path) -> Path:
    """../shared/corpus."""
    return shared_dir / "corpus"


@pytest.fixture(scope="session")
def dev_qa(shared_dir: Path) -> Path:
    """../shared/eval/dev_qa.jsonl."""
    path = shared_dir / "eval" / "dev_qa.jsonl"
    if not path.is_file():
        pytest.skip("../shared/eval/dev_qa.jsonl is not available")
    return path


@pytest.fixture(scope="session")
def repo_corpus() -> Path:
    """The sample reports shipped in the repo's corpus/."""
    return REPO / "corpus"


# --- indexing (issue 2): shared expensive fixtures; helpers live in tests/servers/ ---------------


@pytest.fixture(scope="session")
def indexed_corpus(shared_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A private copy of ../shared/corpus indexed once with the real bundled model (slow).

    Returns :class:`tests.servers.indexing.IndexedCorpus` (settings, corpus copy,
    loaded embedder, first report). Tests that edit the copy must restore it.
    """
    from tests.servers.indexing import index_shared_copy

    return index_shared_copy(shared_corpus, tmp_path_factory.mktemp("indexed-corpus"))


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real `chroma run` server on 127.0.0.1 (tests.servers.chroma.ChromaServer)."""
    from tests.servers.chroma import chroma_server as run_server

    with run_server(tmp_path_factory.mktemp("chroma-server") / "data") as server:
        yield server
