"""`briefbot ask` and `briefbot chat`: output shapes, batch files, piped chat, bad input and faults.

Fast tests swap the service for one answering from scripted passages (the real answer code);
the slow tests index the repo's sample corpus with the real model and run the real commands.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bot.answer import answer_question
from bot.cli import main
from core.settings import Settings
from core.types import SearchFilters
from tests.servers.chroma import free_port
from tests.servers.indexing import PASSAGE_KEYS
from tests.test_answer import APT1, MIVD_1, MIVD_2, ScriptedRetriever

JSON_KEYS = {
    "question",
    "answer",
    "refused",
    "method",
    "citations",
    "removed_citations",
    "passages",
    "notes",
    "standalone_question",
}
CITATION_KEYS = {"n", "source", "title", "publisher", "published", "page", "url", "quote"}


class ScriptedService:
    """Stands in for bot.service.Briefbot: the real answerer over fixed passages."""

    calls: ClassVar[list[dict[str, Any]]] = []
    instances: ClassVar[list[ScriptedService]] = []

    def __init__(self, settings: Settings, **_: Any) -> None:
        self.settings = settings
        self.retriever = ScriptedRetriever([MIVD_1, MIVD_2, APT1])
        ScriptedService.instances.append(self)

    def ask(
        self,
        question: str,
        *,
        history: Sequence[tuple[str, str]] = (),
        filters: SearchFilters | None = None,
        k: int | None = None,
    ) -> Any:
        ScriptedService.calls.append(
            {"question": question, "history": list(history), "filters": filters, "k": k}
        )
        return answer_question(
            question, retriever=self.retriever, settings=self.settings, history=history, filters=filters, k=k
        )


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> type[ScriptedService]:
    import bot.service

    monkeypatch.setenv("BRIEFBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(bot.service, "Briefbot", ScriptedService)
    ScriptedService.calls = []
    ScriptedService.instances = []
    return ScriptedService


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- ask ------------------------------------------------------------------------------------


def test_ask_json_has_the_documented_shape(scripted: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "ask", "Which Dutch sectors did the MIVD say China targets?", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == JSON_KEYS
    assert data["refused"] is False and data["method"] == "extractive"
    assert data["citations"] and all(set(c) == CITATION_KEYS for c in data["citations"])
    assert data["citations"][0]["n"] == 1
    assert set(data["passages"][0]) == PASSAGE_KEYS


def test_ask_human_output_shows_the_answer_then_numbered_sources(
    scripted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "ask", "Which Dutch sectors did the MIVD say China targets?")
    assert code == 0
    assert out.startswith("From the indexed reports (extracted):")
    sources = out.index("\nSources\n")
    assert "semiconductor" in out[:sources]
    assert "[1] MIVD annual report — Pub, 2024-04-19" in out[sources:]
    assert "https://example.org/mivd.txt" in out[sources:]


def test_ask_refusal_lists_the_closest_passages(scripted: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "ask", "Which Chinese group compromised Nexperia's Nijmegen chip plant?")
    assert code == 0
    assert out.startswith("Nothing in the indexed reports answers this.")
    assert "Closest passages" in out and "1. MIVD annual report" in out


def test_ask_passes_k_and_filter_flags_and_inline_filters(
    scripted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = _run(
        capsys,
        "ask",
        "lang:en Which Dutch sectors did the MIVD say China targets?",
        "-k",
        "2",
        "--publisher",
        "Army Recognition",
        "--after",
        "2024-01",
        "--before",
        "2024-12-31",
        "--source",
        "mivd.txt",
    )
    assert code == 0
    call = scripted.calls[0]
    assert call["k"] == 2
    query, k, filters = scripted.instances[-1].retriever.queries[-1]
    assert k == 2 and query == "Which Dutch sectors did the MIVD say China targets?"
    assert (
        filters.publisher == "Army Recognition" and filters.source == "mivd.txt" and filters.language == "en"
    )
    assert str(filters.after) == "2024-01-01" and str(filters.before) == "2024-12-31"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", ""], "The question is empty."),
        (["ask", "\x00\x07\x1b"], "The question is empty."),
        (["ask", "x" * 10_000], "10,000 characters long; the limit is 2,000"),
        (["ask"], "No question given."),
        (["ask", "Which sectors?", "--after", "2024-13"], "Invalid date"),
        (["ask", 'publisher:"" Which sectors?'], "has no value"),
    ],
)
def test_bad_questions_get_one_line_and_a_non_zero_exit(
    scripted: Any, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = _run(capsys, *argv)
    assert code != 0
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_batch_answers_each_line_reports_bad_lines_and_goes_on(
    scripted: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    batch = tmp_path / "questions.jsonl"
    batch.write_text(
        "\n".join(
            [
                json.dumps({"id": "q1", "question": "Which Dutch sectors did the MIVD say China targets?"}),
                "{not json",
                json.dumps({"id": "q3", "question": ""}),
                json.dumps({"id": "q4"}),
                "",
                json.dumps({"id": 5, "question": "Which PLA unit is APT1 attributed to?"}),
            ]
        ),
        encoding="utf-8",
    )
    code, out, err = _run(capsys, "ask", "--batch", str(batch))
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == ["q1", None, "q3", None, 5]
    assert lines[0]["refused"] is False and set(lines[0]) >= JSON_KEYS
    assert lines[1]["line"] == 2 and "not valid JSON" in lines[1]["error"]
    assert lines[2]["line"] == 3 and "empty" in lines[2]["error"]
    assert lines[3]["line"] == 4 and "question" in lines[3]["error"]
    assert "61398" in lines[4]["answer"]
    assert "line 2:" in err and "line 3:" in err and "line 4:" in err


def test_batch_file_that_does_not_exist_is_one_line(
    scripted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "ask", "--batch", "/no/such/file.jsonl")
    assert code != 0 and out == ""
    assert "Cannot read /no/such/file.jsonl" in err


# --- chat -----------------------------------------------------------------------------------


def test_piped_chat_answers_each_line_with_follow_ups(
    scripted: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("Which PLA unit is APT1?\n\nWhat industries does it target?\n")
    )
    code, out, _ = _run(capsys, "chat", "--json")
    assert code == 0
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == 2
    assert "APT1" in answers[1]["standalone_question"]
    assert scripted.calls[1]["history"] == [(answers[0]["question"], answers[0]["answer"])]


def test_piped_chat_reset_forgets_the_conversation(
    scripted: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("Which PLA unit is APT1?\n/reset\nWhat industries does it target?\n")
    )
    code, _, _ = _run(capsys, "chat", "--json")
    assert code == 0
    assert scripted.calls[1]["history"] == []


def test_piped_chat_reports_a_bad_question_and_goes_on(
    scripted: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    long_line = "x" * 3000
    monkeypatch.setattr(
        "sys.stdin", io.StringIO(f"{long_line}\nWhich PLA unit is APT1?\n/quit\nnever asked\n")
    )
    code, out, err = _run(capsys, "chat")
    assert code == 1
    assert "3,000 characters long" in err
    assert "61398" in out
    assert len(scripted.calls) == 2


# --- faults with the real store -------------------------------------------------------------


def test_asking_an_empty_index_is_one_line_and_non_zero(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BRIEFBOT_HOME", str(tmp_path / "home"))
    code, out, err = _run(capsys, "ask", "Which sectors did the MIVD name?")
    assert code != 0 and out == ""
    assert "is empty" in err and "briefbot index" in err
    assert len(err.strip().splitlines()) == 1


def test_a_chroma_server_that_is_down_is_one_line_and_non_zero(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BRIEFBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BRIEFBOT_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("BRIEFBOT_CHROMA_PORT", str(free_port()))
    code, out, err = _run(capsys, "ask", "Which sectors did the MIVD name?")
    assert code != 0 and out == ""
    assert "Cannot reach the Chroma server" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_question_writes_nothing_when_no_index_exists(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("BRIEFBOT_HOME", str(home))
    code, _, _ = _run(capsys, "ask", "Which sectors did the MIVD name?")
    assert code != 0
    assert not home.exists() or not any(home.rglob("*")), sorted(map(str, home.rglob("*")))


# --- the real thing (slow) --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory, repo_corpus: Path) -> Path:
    from core.settings import load_settings
    from indexing.pipeline import index_paths

    home = tmp_path_factory.mktemp("ask-cli-home")
    report = index_paths([repo_corpus], load_settings(home=home))
    assert report.added >= 1
    return home


def _tree(home: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(home)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in home.rglob("*")
        if p.is_file()
    }


@pytest.mark.slow
def test_real_ask_json_cites_the_sample_corpus_and_writes_nothing(
    sample_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BRIEFBOT_HOME", str(sample_home))
    before = _tree(sample_home)
    code, out, err = _run(capsys, "ask", "Which routers did the Tidewater botnet compromise?", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert not data["refused"], data
    assert data["citations"] and all(c["source"].endswith(".md") for c in data["citations"])
    texts = {p["chunk_id"]: p["text"] for p in data["passages"]}
    assert texts
    after = _tree(sample_home)
    changed = {k for k in before if before[k] != after.get(k)} | (set(after) - set(before))
    assert not {k for k in changed if not k.endswith(("-wal", "-shm", ".lock"))}, changed


@pytest.mark.slow
def test_real_batch_and_piped_chat_load_models_once_and_answer(
    sample_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("BRIEFBOT_HOME", str(sample_home))
    batch = tmp_path / "b.jsonl"
    batch.write_text(
        json.dumps({"id": "a", "question": "Which routers did the Tidewater botnet compromise?"})
        + "\n"
        + json.dumps({"id": "b", "question": "Which company makes the Nexperia A400M ransomware?"})
        + "\n",
        encoding="utf-8",
    )
    code, out, err = _run(capsys, "ask", "--batch", str(batch))
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    assert lines[1]["refused"] is True
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("Which routers did the Tidewater botnet compromise?\nWho published it?\n")
    )
    code, out, err = _run(capsys, "chat", "--json")
    assert code == 0, err
    turns = [json.loads(line) for line in out.splitlines()]
    assert len(turns) == 2 and "Tidewater" in turns[1]["standalone_question"]
