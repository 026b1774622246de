"""`briefbot eval`: metric math on hand-made data, the baseline, and the real dev set (slow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.evaluate import (
    QAItem,
    cited_texts,
    evaluate_briefbot,
    first_hit,
    load_qa,
    percentile,
    retrieval_metrics,
)
from bot.results import Answer, Citation
from core.errors import EmptyIndexError, InputError
from core.types import Passage

QA = [
    {
        "id": "q1",
        "question": "Where?",
        "answer": "A",
        "must_contain": ["alpha  Site"],
        "doc": "a.md",
        "kind": "factoid",
    },
    {
        "id": "q2",
        "question": "Who?",
        "answer": "B",
        "must_contain": ["bravo"],
        "doc": "b.md",
        "kind": "factoid",
    },
    {
        "id": "q3",
        "question": "Both?",
        "answer": "C",
        "must_contain": ["charlie", "delta"],
        "doc": ["c.md", "d.md"],
        "kind": "multi-hop",
    },
    {"id": "q4", "question": "Never?", "answer": "", "must_contain": [], "doc": None, "kind": "unanswerable"},
    {
        "id": "q5",
        "question": "Nobody?",
        "answer": "",
        "must_contain": [],
        "doc": None,
        "kind": "unanswerable",
    },
]

# Ranked passage texts the fake service returns per question.
RANKED = {
    "Where?": ["noise", "the ALPHA site is here", "alpha site again"],  # first hit at rank 2
    "Who?": ["x"] * 10 + ["bravo"],  # bravo at rank 11: outside the top 10
    "Both?": ["delta here", "noise", "noise", "charlie there"],  # first hit rank 1; all found
    "Never?": ["noise"],
    "Nobody?": ["noise"],
}


def _p(cid: str, text: str) -> Passage:
    return Passage(chunk_id=cid, text=text, source=f"{cid}.md")


# What the fake service answers: (refused, cited chunk ids); passages come from RANKED.
ANSWERS = {
    "Where?": (False, ["Where?-1", "Where?-0"]),  # one supporting of two
    "Who?": (True, []),  # answerable but refused
    "Both?": (False, ["Both?-0", "Both?-3", "Both?-3"]),  # duplicate citation counts once: 2 of 2
    "Never?": (True, []),
    "Nobody?": (False, ["Nobody?-0"]),  # not refused; unanswerable citations are not scored
}


class FakeStore:
    location = "memory"

    def __init__(self, count: int) -> None:
        self._count = count

    def count(self) -> int:
        return self._count


class FakeService:
    def __init__(self, count: int = 10) -> None:
        self.store = FakeStore(count)
        self.asked: list[str] = []

    def search(self, query: str, *, k: int, filters: Any = None) -> list[Passage]:
        return [_p(f"{query}-{i}", t) for i, t in enumerate(RANKED[query])][:k]

    def ask(self, question: str) -> Answer:
        self.asked.append(question)
        refused, cited = ANSWERS[question]
        passages = [_p(f"{question}-{i}", t) for i, t in enumerate(RANKED[question])]
        citations = [Citation(n=i + 1, source="s", chunk_id=c) for i, c in enumerate(cited)]
        return Answer(
            question=question,
            answer="...",
            refused=refused,
            method="extractive",
            citations=citations,
            passages=passages,
        )


@pytest.fixture
def qa_file(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in QA) + "\n\n", encoding="utf-8")
    return path


def test_load_qa_reads_every_field(qa_file: Path) -> None:
    items = load_qa(qa_file)
    assert [i.id for i in items] == ["q1", "q2", "q3", "q4", "q5"]
    assert items[2].must_contain == ("charlie", "delta") and items[2].doc == ("c.md", "d.md")
    assert items[0].answerable and not items[3].answerable


def test_load_qa_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "ok", "must_contain": ["x"]}\n{"nope": 1}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:2"):
        load_qa(path)
    with pytest.raises(InputError, match="Cannot read"):
        load_qa(tmp_path / "missing.jsonl")


def test_metric_helpers() -> None:
    assert first_hit(["a", "The  Alpha\nsite"], ["alpha site"]) == 2
    assert first_hit(["a"], ["b"]) is None
    assert percentile([10.0, 20.0, 30.0, 40.0], 0.5) == pytest.approx(25.0)
    assert percentile([10.0, 20.0, 30.0, 40.0], 0.95) == pytest.approx(38.5)
    assert percentile([], 0.5) is None
    m = retrieval_metrics([1, 2, None, 4], [True, False])
    assert (m["hit@1"], m["hit@3"], m["hit@5"], m["hit@10"]) == (0.25, 0.5, 0.75, 0.75)
    assert m["mrr"] == pytest.approx(round((1 + 0.5 + 0.25) / 4, 4))
    assert m["all@10"] == 0.5


def test_cited_texts_deduplicates_and_falls_back_to_the_quote() -> None:
    answer = Answer(
        "q",
        "a",
        False,
        "extractive",
        passages=[_p("p1", "one")],
        citations=[
            Citation(1, "s", chunk_id="p1"),
            Citation(2, "s", chunk_id="p1"),
            Citation(3, "s", chunk_id="gone", quote="quoted"),
        ],
    )
    assert cited_texts(answer) == ["one", "quoted"]


def test_evaluate_briefbot_computes_every_metric_exactly(qa_file: Path) -> None:
    service = FakeService()
    report = evaluate_briefbot(service, load_qa(qa_file))  # type: ignore[arg-type]
    m = report.metrics
    # retrieval over q1 (rank 2), q2 (miss), q3 (rank 1)
    assert m["retrieval_items"] == 3
    assert (m["hit@1"], m["hit@3"], m["hit@5"], m["hit@10"]) == (0.3333, 0.6667, 0.6667, 0.6667)
    assert m["mrr"] == pytest.approx(round((0.5 + 1.0) / 3, 4))
    assert m["all@10"] == 1.0 and m["multi_items"] == 1
    assert m["refusal_recall"] == 0.5  # q4 refused, q5 answered
    assert m["answerable_refused"] == pytest.approx(0.3333)  # q2
    assert m["citations"] == 4  # q1: 2, q3: 2 distinct
    assert m["citation_support"] == 0.75  # q1: 1 of 2, q3: 2 of 2
    assert m["p50_ms"] is not None and m["errors"] == 0
    assert service.asked.count("Where?") == 2  # one warm-up ask, then the timed one
    by_id = {r.id: r for r in report.items}
    assert by_id["q1"].rank == 2 and by_id["q2"].rank is None and not by_id["q4"].scored


def test_evaluate_on_an_empty_index_says_to_index_first(qa_file: Path) -> None:
    with pytest.raises(EmptyIndexError, match="index"):
        evaluate_briefbot(FakeService(count=0), load_qa(qa_file))  # type: ignore[arg-type]


def test_eval_cli_on_an_empty_index_fails_with_one_line(
    qa_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv("BRIEFBOT_HOME", str(tmp_path / "empty-home"))
    assert main(["eval", str(qa_file), "--no-baseline"]) != 0
    err = capsys.readouterr().err.strip()
    last = err.splitlines()[-1]
    assert last.startswith("error:") and "is empty" in last and "briefbot index" in last
    assert "Traceback" not in err
    assert main(["eval", str(tmp_path / "nope.jsonl")]) == 2


def test_baseline_splits_1000_200_and_scores_dense_top_k(settings: Any, tmp_path: Path) -> None:
    from bot.eval_baseline import baseline_documents, evaluate_baseline
    from tests.servers.indexing import fake_embedder, sentences, write_article

    corpus = tmp_path / "corpus"
    write_article(corpus, "a.md", title="Alpha", body=sentences("Alpha", 40))
    write_article(corpus, "b.md", title="Bravo", body="The bravo fact is here.")
    (corpus / "README.md").write_text("not a document")
    docs = baseline_documents(corpus, settings)
    assert {d.metadata["source"] for d in docs} == {"a.md", "b.md"}
    assert max(len(d.page_content) for d in docs) <= 1000 and len(docs) > 3
    items = [
        QAItem("b", "bravo fact", ("bravo fact",), kind="factoid"),
        QAItem("u", "nothing", (), kind="unanswerable"),
    ]
    report = evaluate_baseline(items, corpus=corpus, settings=settings, embedder=fake_embedder(settings))
    m = report.metrics
    assert m["chunks"] == len(docs) and m["retrieval_items"] == 1
    assert m["refusal_recall"] == 0.0 and m["answerable_refused"] == 0.0  # it never refuses
    assert m["hit@10"] in (0.0, 1.0) and m["citations"] == settings.top_k


def test_baseline_needs_an_existing_corpus(settings: Any, tmp_path: Path) -> None:
    from bot.eval_baseline import baseline_documents

    with pytest.raises(InputError, match="--corpus"):
        baseline_documents(tmp_path / "nowhere", settings)


# --- the real thing (slow) -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.shared
def test_dev_set_retrieval_meets_the_targets(
    indexed_corpus: Any, dev_qa: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.setenv("BRIEFBOT_HOME", str(indexed_corpus.settings.home))
    assert main(["eval", str(dev_qa), "--json", "--no-baseline"]) == 0
    result = json.loads(capsys.readouterr().out)
    metrics = result["briefbot"]
    assert metrics["retrieval_items"] == 44
    assert metrics["hit@5"] >= 0.95
    assert metrics["mrr"] >= 0.80
    assert set(result) == {"briefbot"}
