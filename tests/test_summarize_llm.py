"""LLM summaries with scripted fake chat models: map-reduce keeps citations, prompts fit, verification."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models import FakeListChatModel
from langchain_core.messages import BaseMessage

from bot.summarize import summarize_document
from bot.summarize_llm import parse_points
from bot.summarize_units import Target, iter_units
from core.settings import Settings, load_settings
from core.textmatch import normalize
from core.types import DocumentMeta, LoadedDocument, Page
from indexing.embed import Embedder

CONTEXT, REPLY = 1024, 128
SECTORS = ["semiconductor", "aerospace", "maritime", "energy", "telecom", "finance", "health", "transport"]
_IDS = re.compile(r"\[c(\d+)\]")


class Recorder(BaseCallbackHandler):
    """Keeps every prompt sent to the chat model."""

    def __init__(self) -> None:
        self.prompts: list[list[BaseMessage]] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kw: Any
    ) -> None:
        self.prompts.append(messages[0])

    def of(self, step: str) -> list[list[BaseMessage]]:
        marker = {"map": "Key points (at most", "reduce": "Merged points", "final": "Summary (at most"}[step]
        return [p for p in self.prompts if marker in str(p[-1].content)]


@pytest.fixture
def llm_settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home", llm_context_tokens=CONTEXT, llm_max_tokens=REPLY)


@pytest.fixture
def embedder(llm_settings: Settings) -> Embedder:
    # Token counts come from the real bundled tokenizer; vectors from a fake (only the fallback uses them).
    return Embedder(llm_settings, backend=DeterministicFakeEmbedding(size=64), dimension=64)


def sector_doc(pages: int) -> LoadedDocument:
    texts = []
    for n in range(pages):
        sector = SECTORS[n % len(SECTORS)]
        texts.append(
            f"On {n + 1} March 2024 the MIVD said Chinese hackers targeted the {sector} sector in case {n}. "
            f"The {sector} firms lost design files worth {n + 10} million euros according to the report. "
            f"Investigators traced the {sector} intrusion to servers rented in region {n + 100}. "
            f"The agency advised {sector} companies to rotate VPN credentials within {n + 2} days."
        )
    meta = DocumentMeta(doc_id="mivd", source="mivd.pdf", title="MIVD annual report 2024", kind="pdf")
    return LoadedDocument(meta, tuple(Page(i + 1, t, str(i + 1)) for i, t in enumerate(texts)))


def run(doc: LoadedDocument, settings: Settings, embedder: Embedder, responses: list[str], **kw: Any) -> Any:
    recorder = Recorder()
    llm = FakeListChatModel(responses=responses, callbacks=[recorder])
    summary = summarize_document(doc, settings=settings, embedder=embedder, llm=llm, **kw)
    return summary, recorder


def test_parse_points_reads_bullets_numbers_and_id_lists() -> None:
    reply = "\n".join(
        [
            "Here are the points:",
            "1. Hackers hit chips [c12, c14]",
            "- Losses were 10 million. [c3][c3]",
            "* No id here",
        ]
    )
    points = parse_points(reply)
    assert [(p.text, p.ids) for p in points] == [
        ("Hackers hit chips", [12, 14]),
        ("Losses were 10 million.", [3]),
        ("No id here", []),
    ]


def test_map_reduce_keeps_citations_through_the_reduce_step(
    llm_settings: Settings, embedder: Embedder
) -> None:
    doc = sector_doc(12)
    units = {u.index + 1: u for u in iter_units(doc.pages, title=doc.meta.title)}
    _, probe = run(doc, llm_settings, embedder, ["nothing to report"])
    parts = [[int(i) for i in _IDS.findall(str(p[-1].content))] for p in probe.of("map")]
    assert len(parts) >= 2, "the document must need more than one map prompt"
    a, b = parts[0][0], parts[-1][1]
    sa, sb = units[a].text, units[b].text
    responses = [f"- {units[ids[0]].text} [c{ids[0]}]" for ids in parts]
    responses[-1] = f"- {sb} [c{b}]"
    responses.append(f"- {sa.rstrip('.')} and {sb} [c{a}][c{b}][c99999]")  # reduce: merges, invents one id
    responses.append(f"- {sa.rstrip('.')}; {sb} [c{a}][c{b}]")  # final

    summary, recorder = run(doc, llm_settings, embedder, responses, target=Target(points=3, words=120))

    assert summary.method.startswith("llm:")
    assert len(recorder.of("reduce")) == 1 and len(recorder.of("final")) == 1
    assert f"[c{a}]" in str(recorder.of("reduce")[0][-1].content)
    assert f"[c{b}]" in str(recorder.of("final")[0][-1].content)
    (point,) = summary.points
    assert [(c.page, c.quote) for c in point.citations] == [(units[a].page, sa), (units[b].page, sb)]
    assert any(r.marker == "[c99999]" and r.reason.startswith("reduce") for r in summary.removed)


def test_every_prompt_fits_the_context_budget_through_several_reduce_rounds(
    llm_settings: Settings, embedder: Embedder
) -> None:
    doc = sector_doc(60)
    all_ids = "".join(f"[c{u.index + 1}]" for u in iter_units(doc.pages, title=doc.meta.title))
    reply = "\n".join(
        f"- Chinese hackers targeted the {s} sector according to the MIVD report {all_ids}" for s in SECTORS
    )
    summary, recorder = run(doc, llm_settings, embedder, [reply], target=Target(points=8, words=250))

    assert len(recorder.of("reduce")) >= 2 and len(recorder.of("final")) == 1
    limit = CONTEXT - REPLY
    for prompt in recorder.prompts:
        assert sum(embedder.count_tokens(str(m.content)) for m in prompt) <= limit
    assert summary.method.startswith("llm:") and summary.points
    for point in summary.points:
        for c in point.citations:
            assert c.quote in doc.pages[int(c.page or 0) - 1].text


def test_fabricated_quotes_and_unknown_ids_are_dropped_and_numbers_flagged(
    llm_settings: Settings, embedder: Embedder
) -> None:
    doc = sector_doc(2)
    units = {u.index + 1: u for u in iter_units(doc.pages, title=doc.meta.title)}
    first = next(iter(units))
    losses = next(i for i, u in units.items() if "million euros" in u.text)
    final = "\n".join(
        [
            f'- The MIVD said hackers "targeted the semiconductor sector" in March. [c{first}]',
            f'- The MIVD said hackers "stole 40 fighter jets" from firms. [c{first}]',
            f"- The firms lost 99 million euros of design files to Volt Typhoon. [c{losses}]",
            "- An unsupported claim about ransomware gangs. [c4242]",
        ]
    )
    notes = f"- Hackers targeted the semiconductor sector and firms lost design files. [c{first}][c{losses}]"
    summary, _ = run(doc, llm_settings, embedder, [notes, final], target=Target(points=4, words=200))

    texts = [p.text for p in summary.points]
    assert len(texts) == 2
    assert summary.points[0].citations[0].quote == "targeted the semiconductor sector"
    assert "99 million" in texts[1]
    assert any("point 2: 99, Volt Typhoon does not occur" in n for n in summary.notes), summary.notes
    assert summary.points[0].flags == [] and summary.points[1].flags[0].startswith("99, Volt Typhoon")
    assert "flags" in summary.to_json()["points"][1] and "flags" not in summary.to_json()["points"][0]
    reasons = " | ".join(r.reason for r in summary.removed)
    assert "quote not found in the cited page" in reasons
    assert any(r.marker == "[c4242]" for r in summary.removed)


def test_a_reply_with_no_verifiable_point_falls_back_to_extractive_with_a_note(
    llm_settings: Settings, embedder: Embedder
) -> None:
    summary, _ = run(sector_doc(3), llm_settings, embedder, ["Sure! Here is a summary of the report."])
    assert summary.method == "extractive"
    assert summary.points
    assert "extractive summary shown" in summary.notes[0]
    assert summary.removed


def test_an_unreachable_llm_falls_back_to_extractive_with_a_note(tmp_path: Path, embedder: Embedder) -> None:
    from bot.llm import open_chat_model

    settings = load_settings(
        home=tmp_path / "home", llm_base_url="http://127.0.0.1:9/v1", llm_retries=0, llm_timeout=5
    )
    llm = open_chat_model(settings)
    assert llm is not None
    summary = summarize_document(sector_doc(3), settings=settings, embedder=embedder, llm=llm)
    assert summary.method == "extractive" and summary.points
    assert summary.notes[0].startswith("The LLM failed") and "extractive summary shown" in summary.notes[0]


# --- the real local LLM server ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.servers.llama import llama_server, missing_requirement

    reason = missing_requirement()
    if reason:
        pytest.skip(reason)
    with llama_server(tmp_path_factory.mktemp("llama")) as server:
        yield server


@pytest.mark.slow
def test_real_llm_server_summarizes_a_short_report_with_verified_citations(
    llama: Any, tmp_path: Path
) -> None:
    from bot.llm import open_chat_model
    from bot.summarize_units import reading_text
    from indexing.prepare import prepare_bytes
    from tests.servers.llama import MODEL_ALIAS
    from tests.test_summarize_cli import REPORT_MD

    settings = load_settings(
        home=tmp_path / "home",
        llm=MODEL_ALIAS,
        llm_base_url=llama.base_url,
        llm_context_tokens=2048,
        llm_max_tokens=96,  # three short points; the tiny model may ramble and CI CPUs are slow
        llm_timeout=300,
        llm_retries=0,
    )
    llm = open_chat_model(settings)
    assert llm is not None
    recorder = Recorder()
    llm.callbacks = [recorder]
    doc = prepare_bytes(REPORT_MD.encode(), "botnet.md", settings)
    embedder = Embedder(settings, backend=DeterministicFakeEmbedding(size=64), dimension=64)

    summary = summarize_document(doc, settings=settings, embedder=embedder, llm=llm, target=Target(3, 90))

    assert (recorder.of("map") and recorder.of("final")) or not summary.method.startswith("llm:")
    assert len(recorder.prompts) >= 1
    if summary.method.startswith("llm:"):
        assert summary.method == f"llm:openai-compatible:{MODEL_ALIAS}"
    else:  # the tiny model's points all failed verification: the extractive summary stands in, and says so
        assert "extractive summary shown" in summary.notes[0]
    text = normalize(reading_text(REPORT_MD))
    assert summary.points
    for point in summary.points:
        assert point.citations
        for c in point.citations:
            assert c.section in {"Summary", "Technical details", "Mitigations"}
            assert normalize(c.quote) in text
