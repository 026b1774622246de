"""`briefbot digest`: which reports a digest covers, what it remembers, and the summaries it prints."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.digest import indexed_reports, mark_shown, pending
from bot.service import Briefbot
from bot.summarize import summarize_indexed
from core.settings import Settings, load_settings
from indexing.manifest import FileRow, Manifest
from indexing.pipeline import index_paths
from indexing.store import store_namespace
from tests.test_summarize_cli import REPORT_MD, assert_one_line_error, run_cli

ADVISORY_MD = """---
title: Edge device advisory
publisher: CISA
published: 2024-02-01
---

# Edge device advisory

CISA ordered federal agencies on 1 February 2024 to disconnect Ivanti Connect Secure appliances
within 48 hours.
Attackers chained two vulnerabilities to gain remote code execution on the appliances and steal credentials.
Agencies must rebuild the appliances from clean images and revoke every certificate stored on them.
"""


def _row(source: str, sha: str, at: float) -> FileRow:
    return FileRow(f"/corpus/{source}", "/corpus", source, 1, 1, sha, 1, "fp", at)


def test_pending_follows_indexed_time_and_what_was_shown(settings: Settings) -> None:
    manifest = Manifest(settings.record_db, store_namespace(settings))
    now = time.time()
    manifest.upsert(_row("old.md", "a1", now - 10 * 86400))
    manifest.upsert(_row("new.md", "b1", now - 3600))
    assert [r.source for r in indexed_reports(settings)] == ["old.md", "new.md"]

    yesterday = datetime.now() - timedelta(days=1)
    assert [r.source for r in pending(settings, since=yesterday)] == ["new.md"]
    assert [r.source for r in pending(settings)] == ["old.md", "new.md"]

    mark_shown(settings, indexed_reports(settings))
    assert pending(settings) == [] and pending(settings, new=True) == []
    assert [r.source for r in pending(settings, since=yesterday)] == ["new.md"], (
        "--since ignores what was shown"
    )

    manifest.upsert(_row("old.md", "a2", now))  # the report changed and was re-indexed
    assert [r.source for r in pending(settings, new=True)] == ["old.md"]


# --- with a real index ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path]]:
    root = tmp_path_factory.mktemp("digest")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "botnet.md").write_text(REPORT_MD, encoding="utf-8")
    (corpus / "ivanti.md").write_text(ADVISORY_MD, encoding="utf-8")
    settings = load_settings(home=root / "home")
    assert index_paths([corpus], settings).added == 2
    yield settings, corpus


@pytest.mark.slow
def test_summarize_indexed_gives_a_short_cited_summary(corpus_home: tuple[Settings, Path]) -> None:
    settings, _ = corpus_home
    summary = summarize_indexed(Briefbot(settings), "ivanti.md", points=3)
    assert summary.title == "Edge device advisory" and summary.publisher == "CISA"
    assert 1 <= len(summary.points) <= 3
    assert all(p.citations and p.citations[0].quote == p.text for p in summary.points)
    assert any("48 hours" in p.text for p in summary.points)


@pytest.mark.slow
def test_digest_shows_each_report_once_then_again_when_it_changes(
    corpus_home: tuple[Settings, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, corpus = corpus_home
    monkeypatch.setenv("BRIEFBOT_HOME", str(settings.home))

    code, out, err = run_cli(["digest", "--new", "--format", "json"], capsys)
    assert code == 0, err
    first = json.loads(out)
    assert sorted(s["source"] for s in first) == ["botnet.md", "ivanti.md"]
    for s in first:
        assert 1 <= len(s["points"]) <= 3
        assert all(p["citations"][0]["quote"] for p in s["points"])

    code, out, _ = run_cli(["digest"], capsys)
    assert code == 0 and out.strip() == "No reports indexed since the last digest."

    since = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    code, out, _ = run_cli(["digest", "--since", since], capsys)
    assert code == 0
    assert out.count("\n# ") + out.startswith("# ") == 2
    assert "Edge device advisory" in out and "Router botnet advisory" in out

    (corpus / "ivanti.md").write_text(ADVISORY_MD.replace("48 hours", "two days"), encoding="utf-8")
    index_paths([corpus], settings)
    code, out, _ = run_cli(["digest", "--new", "--format", "json"], capsys)
    (updated,) = json.loads(out)
    assert updated["source"] == "ivanti.md"
    assert any("Updated since" in n for n in updated["notes"])


def test_digest_in_the_future_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tomorrow = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    code, _, err = run_cli(["digest", "--since", tomorrow], capsys)
    assert_one_line_error(code, err, "in the future")
