"""`briefbot summarize --doc`: indexed documents found by source or file name, re-loaded or rebuilt."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.service import Briefbot
from bot.summarize import summarize_document
from bot.summarize_indexed import rebuild_document
from bot.summarize_units import target_for
from core.settings import Settings, load_settings
from core.textmatch import contains, normalize
from indexing.chunk import split_sentences
from indexing.pipeline import index_paths
from indexing.prepare import prepare_file
from tests.test_summarize_cli import REPORT_MD, assert_one_line_error, run_cli
from tests.test_summarize_memory import write_report_pdf

pytestmark = pytest.mark.slow

SECTIONS = {"Summary", "Technical details", "Mitigations"}
NOTES_MD = "# Field notes\n\n" + "\n\n".join(
    f"## Week {w}\n\n"
    + " ".join(f"Analysts saw {w * 10 + i} new {kind} hosts on day {i}." for i in range(1, 9))
    for w, kind in ((1, "botnet"), (2, "phishing"), (3, "scanner"))
)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path]]:
    root = tmp_path_factory.mktemp("indexed")
    corpus = root / "corpus"
    (corpus / "reports").mkdir(parents=True)
    (corpus / "botnet.md").write_text(REPORT_MD, encoding="utf-8")
    (corpus / "reports" / "botnet-2023.md").write_text(REPORT_MD.replace("2024", "2023"), encoding="utf-8")
    write_report_pdf(corpus / "reports" / "annual.pdf", 6, sentences=6)
    (corpus / "notes.md").write_text(NOTES_MD, encoding="utf-8")
    settings = load_settings(home=root / "home", chunk_max_tokens=40)  # small chunks: several per section
    report = index_paths([corpus], settings)
    assert report.added == 4, report.failed
    yield settings, corpus


@pytest.fixture
def cli_home(indexed: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    settings, corpus = indexed
    monkeypatch.setenv("BRIEFBOT_HOME", str(settings.home))
    monkeypatch.setenv("BRIEFBOT_CHUNK_MAX_TOKENS", "40")
    return corpus


@pytest.mark.parametrize("name", ["reports/annual.pdf", "annual.pdf", "annual", "ANNUAL.PDF"])
def test_doc_by_source_path_or_unique_file_name_cites_pages(
    name: str, cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["summarize", "--doc", name, "--format", "json", "--length", "short"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["source"] == "reports/annual.pdf"
    doc = prepare_file(cli_home / "reports" / "annual.pdf", load_settings())
    for point in data["points"]:
        (c,) = point["citations"]
        assert contains(doc.pages[int(c["page"]) - 1].text, c["quote"])


def test_ambiguous_and_unknown_names_are_one_line_errors(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["summarize", "--doc", "bot"], capsys)
    assert_one_line_error(code, err, "matches 2 indexed documents", "botnet.md", "reports/botnet-2023.md")
    code, _, err = run_cli(["summarize", "--doc", "nothing-like-this"], capsys)
    assert_one_line_error(code, err, "No indexed document matches")


def test_a_name_that_is_not_a_file_falls_back_to_the_index(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["summarize", "botnet-2023.md", "--format", "json"], capsys)
    assert code == 0, err
    assert json.loads(out)["source"] == "reports/botnet-2023.md"


def test_empty_index_says_to_index_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["summarize", "--doc", "botnet.md"], capsys)
    assert_one_line_error(code, err, "index is empty", "briefbot index")


def test_document_rebuilt_from_passages_has_no_overlap_and_cites_sections(
    indexed: tuple[Settings, Path],
) -> None:
    settings, _ = indexed
    service = Briefbot(settings)
    passages = service.store.passages_for_source("notes.md")
    overlapping = [
        (a, b) for a, b in itertools.pairwise(passages) if b.text[:30] in a.text and a.section == b.section
    ]
    assert overlapping, "small chunks with overlap: consecutive passages repeat sentences"
    doc = rebuild_document(passages)
    sentences = [s for s in split_sentences(doc.text) if s.startswith("Analysts")]
    assert sorted(sentences) == sorted(s for s in split_sentences(NOTES_MD) if s.startswith("Analysts"))
    summary = summarize_document(doc, settings=settings, embedder=service.embedder, target=target_for("long"))
    assert summary.points
    for point in summary.points:
        (c,) = point.citations
        assert c.page is None and c.section in {"Week 1", "Week 2", "Week 3"}
        seen = re.search(r"saw (\d+) new", c.quote)
        assert seen is not None and c.section == f"Week {int(seen.group(1)) // 10}"
        assert normalize(c.quote) in normalize(NOTES_MD)


def test_doc_whose_file_is_gone_is_rebuilt_from_the_index(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moved = cli_home.parent / "botnet.md.moved"
    (cli_home / "botnet.md").rename(moved)
    try:
        code, out, err = run_cli(["summarize", "--doc", "botnet.md", "--format", "json"], capsys)
    finally:
        moved.rename(cli_home / "botnet.md")
    assert code == 0, err
    data = json.loads(out)
    assert data["title"] == "Router botnet advisory" and data["published"] == "2024-09-18"
    assert {c["section"] for p in data["points"] for c in p["citations"]} <= SECTIONS
