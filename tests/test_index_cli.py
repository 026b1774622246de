"""`briefbot index / search / status` through the real CLI entry point (fake vectors, real Chroma)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import indexing.embed
from bot.cli import main
from core.settings import Settings
from indexing.embed import Embedder
from tests.servers.chroma import free_port
from tests.servers.indexing import PASSAGE_KEYS, fake_embedder, small_corpus


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Embedder]:
    """BRIEFBOT_HOME in tmp_path; every embedder the CLI opens is a fake one (recorded here)."""
    monkeypatch.setenv("BRIEFBOT_HOME", str(tmp_path / "home"))
    made: list[Embedder] = []

    def fake_open(settings: Settings) -> Embedder:
        made.append(fake_embedder(settings))
        return made[-1]

    monkeypatch.setattr(indexing.embed, "open_embedder", fake_open)
    small_corpus(tmp_path / "corpus")
    return made


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_index_json_prints_one_object_with_counts(
    opened: list[Embedder], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "index", "corpus", "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["added"], data["updated"], data["deleted"], data["skipped"], data["failed"]) == (
        3,
        0,
        0,
        0,
        [],
    )
    assert data["chunks_added"] > 3
    code, out, _ = _run(capsys, "index", "--json")  # default: the corpus folder of the settings
    assert json.loads(out)["skipped"] == 3


def test_index_lists_failures_by_name_and_strict_fails(
    opened: list[Embedder], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "corpus" / "empty.md").write_text("")
    code, out, _ = _run(capsys, "index", "corpus")
    assert code == 0
    assert "3 added" in out and "1 failed" in out and "corpus/empty.md: empty file" in out
    code, out, _ = _run(capsys, "index", "corpus", "--strict")
    assert code == 1 and "corpus/empty.md" in out


def test_plan_shows_changes_and_writes_nothing(
    opened: list[Embedder], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = _run(capsys, "index", "corpus", "--plan")
    assert code == 0 and "would index: 3 added" in out and "add    sub/volt.md" in out
    assert not (tmp_path / "home" / "chroma").exists()


def test_status_and_search_after_indexing(opened: list[Embedder], capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "index", "corpus")
    code, out, _ = _run(capsys, "status", "--json")
    status = json.loads(out)
    assert code == 0 and status["documents"] == 3 and status["chunks"] > 3 and status["last_indexed"]
    code, out, _ = _run(capsys, "search", "Kimsuky campaign sector", "-k", "2", "--json")
    results = json.loads(out)
    assert code == 0 and len(results) == 2
    assert all(set(r) == PASSAGE_KEYS for r in results) and [r["rank"] for r in results] == [1, 2]
    code, out, _ = _run(capsys, "search", "Kimsuky campaign publisher:NCSC", "--json")
    assert {r["source"] for r in json.loads(out)} == {"kimsuky.md"}
    code, out, _ = _run(capsys, "search", "Kimsuky campaign")
    assert code == 0 and "[1]" in out


def test_batch_search_loads_once_and_reports_bad_lines(
    opened: list[Embedder], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _run(capsys, "index", "corpus")
    batch = tmp_path / "questions.jsonl"
    batch.write_text(
        '{"id": "q1", "question": "APT28 routers"}\n'
        "not json\n"
        '{"id": "q3"}\n'
        "\n"
        '{"id": "q5", "question": "Volt Typhoon sector", "extra": 1}\n'
    )
    opened.clear()
    code, out, _ = _run(capsys, "search", "--batch", str(batch), "-k", "3")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [line["id"] for line in lines] == ["q1", None, "q3", "q5"]
    assert len(lines[0]["results"]) == 3 and set(lines[0]["results"][0]) == PASSAGE_KEYS
    assert lines[1]["error"].startswith("line 2:") and lines[2]["error"].startswith("line 3:")
    assert len(opened) == 1  # one embedder for the whole batch


def test_search_on_an_empty_index_is_a_one_line_error(
    opened: list[Embedder], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "search", "anything")
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and "briefbot index" in err and "Traceback" not in err


def test_unreachable_chroma_server_is_a_one_line_error(
    opened: list[Embedder], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("BRIEFBOT_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("BRIEFBOT_CHROMA_PORT", str(port))
    code, _, err = _run(capsys, "index", "corpus")
    assert code != 0 and f"127.0.0.1:{port}" in err and err.count("\n") == 1
