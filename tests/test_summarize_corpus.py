"""Summaries of the real shared corpus with the real embedding model.

Every corpus PDF is summarized extractively and with a scripted map-reduce LLM
under a small context budget: no prompt exceeds the budget and every citation's
quote is checked against pypdf's own text of the cited page. The seed article's
summary names the sectors and carries none of the page's boilerplate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import FakeListChatModel
from langchain_core.messages import BaseMessage
from pypdf import PdfReader

from bot.cli import main
from bot.results import Summary
from bot.summarize import summarize_document
from bot.summarize_units import iter_units, target_for
from core.settings import load_settings
from core.textmatch import normalize
from indexing.embed import Embedder, open_embedder
from indexing.prepare import prepare_file

pytestmark = [pytest.mark.slow, pytest.mark.shared]

CONTEXT, REPLY = 2048, 256
SEED = "armyrecognition-2024-04-mivd-china-espionage.txt"
BOILERPLATE = ["Skip to main content", "Follow Army Recognition", "Copyright", "Webdesign"]


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedder]:
    yield open_embedder(load_settings(home=tmp_path_factory.mktemp("home")))


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.prompts: list[list[BaseMessage]] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kw: Any
    ) -> None:
        self.prompts.append(messages[0])


def _folded(text: str) -> list[str]:
    """pypdf page text normalised, with words hyphenated across lines both joined and kept."""
    n = normalize(text)
    return [n, re.sub(r"(\w)- (\w)", r"\1\2", n), re.sub(r"(\w)- (\w)", r"\1-\2", n)]


def assert_quotes_on_pypdf_pages(summary: Summary, pdf: Path) -> None:
    reader = PdfReader(pdf)
    labels = list(reader.page_labels)
    for point in summary.points:
        assert point.citations, point.text
        for c in point.citations:
            assert c.page is not None and c.page in labels, (pdf.name, c.page)
            page_text = reader.pages[labels.index(c.page)].extract_text() or ""
            quote = normalize(c.quote)
            assert any(quote in t for t in _folded(page_text)), (pdf.name, c.page, c.quote)


def test_every_corpus_pdf_summarizes_within_budget_with_quotes_on_the_cited_pages(
    shared_corpus: Path, embedder: Embedder, tmp_path: Path
) -> None:
    settings = load_settings(home=tmp_path / "home", llm_context_tokens=CONTEXT, llm_max_tokens=REPLY)
    pdfs = sorted(shared_corpus.glob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        doc = prepare_file(pdf, settings)
        extractive = summarize_document(
            doc, settings=settings, embedder=embedder, target=target_for("medium")
        )
        assert extractive.method == "extractive" and len(extractive.points) >= 3, pdf.name
        assert_quotes_on_pypdf_pages(extractive, pdf)

        # A scripted model that cites every sentence id: each step keeps the ids it was given.
        ids = "".join(f"[c{u.index + 1}]" for u in iter_units(doc.pages, title=doc.meta.title))
        reply = "\n".join(f"- {p.text} {ids}" for p in extractive.points)
        recorder = Recorder()
        llm = FakeListChatModel(responses=[reply], callbacks=[recorder])
        summary = summarize_document(
            doc, settings=settings, embedder=embedder, llm=llm, target=target_for("medium")
        )
        assert len(recorder.prompts) >= 3, pdf.name
        for prompt in recorder.prompts:
            assert sum(embedder.count_tokens(str(m.content)) for m in prompt) <= CONTEXT - REPLY, pdf.name
        assert summary.method.startswith("llm:") and summary.points, (pdf.name, summary.notes)
        assert_quotes_on_pypdf_pages(summary, pdf)


def test_seed_article_summary_names_the_sectors_and_has_no_boilerplate(
    shared_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFBOT_HOME", str(tmp_path / "home"))
    code = main(["summarize", str(shared_corpus / SEED), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    text = " ".join(p["text"] for p in data["points"])
    for sector in ("semiconductor", "aerospace", "maritime"):
        assert sector in text
    for junk in BOILERPLATE:
        assert junk.lower() not in out.lower()
    assert data["method"] == "extractive"
    assert data["published"] == "2024-04-19"
    raw = (shared_corpus / SEED).read_text(encoding="utf-8")
    for point in data["points"]:
        for c in point["citations"]:
            assert normalize(c["quote"]) in normalize(raw)
            assert c["page"] is None and c["section"]
