"""Hybrid retrieval: fusion math, duplicate collapsing, filters, errors, BM25 reloads (fake vectors)."""

from __future__ import annotations

import hashlib
import math
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings

from bot.fusion import Candidate, collapse_duplicates, exact_ranks, fuse, is_near_duplicate, token_set
from bot.retrieve import Retriever, clean_query, plan_query, split_filters
from core.errors import EmptyIndexError, InputError
from core.settings import Settings
from core.types import SearchFilters
from indexing.bm25 import Bm25Index, current_version

# --- fusion math -------------------------------------------------------------------------------


def test_exact_ranks_order_by_score_and_skip_missing() -> None:
    assert exact_ranks({"a": 0.2, "b": 0.9, "c": None, "d": 0.5}) == {"b": 1, "d": 2, "a": 3}
    assert exact_ranks({"a": 0.0, "b": 2.0}, positive_only=True) == {"b": 1}


def test_rrf_adds_weighted_reciprocal_ranks() -> None:
    cands = [
        Candidate("a", dense=0.9, bm25=0.0),
        Candidate("b", dense=0.5, bm25=3.0),
        Candidate("c", dense=0.1, bm25=1.0),
    ]
    out = fuse(cands, method="rrf", dense_weight=1.0, bm25_weight=2.0, rrf_k=10)
    fused = {c.chunk_id: c.fused for c in out}
    assert fused["a"] == pytest.approx(1 / 11)  # no BM25 match: no BM25 share
    assert fused["b"] == pytest.approx(1 / 12 + 2 / 11)
    assert fused["c"] == pytest.approx(1 / 13 + 2 / 12)
    assert [c.chunk_id for c in out] == ["b", "c", "a"]
    assert (out[0].dense_rank, out[0].bm25_rank) == (2, 1)


def test_zscore_fusion_standardises_each_score() -> None:
    cands = [
        Candidate("a", dense=0.8, bm25=0.0),
        Candidate("b", dense=0.6, bm25=10.0),
        Candidate("c", dense=0.4, bm25=5.0),
    ]
    out = fuse(cands, method="zscore", dense_weight=1.0, bm25_weight=1.0)
    std_d = math.sqrt(((0.2**2) * 2) / 3)
    std_b = math.sqrt((25 + 25 + 0) / 3)
    expected_b = (0.0 / std_d + 5.0 / std_b) / 2
    assert {c.chunk_id: c.fused for c in out}["b"] == pytest.approx(expected_b)
    assert out[0].chunk_id == "b"


def test_fusion_weights_decide_between_the_retrievers() -> None:
    def order(wd: float, wb: float) -> list[str]:
        cands = [Candidate("dense-best", dense=0.9, bm25=1.0), Candidate("bm25-best", dense=0.3, bm25=9.0)]
        return [c.chunk_id for c in fuse(cands, dense_weight=wd, bm25_weight=wb)]

    assert order(1.0, 0.0)[0] == "dense-best"
    assert order(0.0, 1.0)[0] == "bm25-best"


def test_passage_the_embedding_model_cannot_read_is_scored_by_bm25_alone() -> None:
    def fused_of(trusted: bool) -> dict[str, float]:
        cands = [
            Candidate("en-1", dense=0.7, bm25=3.0),
            Candidate("en-2", dense=0.6, bm25=1.0),
            Candidate("nl-1", dense=0.1, bm25=4.0, dense_trusted=trusted),
        ]
        return {c.chunk_id: c.fused for c in fuse(cands, dense_weight=0.4, bm25_weight=0.6)}

    naive, fair = fused_of(True), fused_of(False)
    mean_b = 8.0 / 3
    std_b = math.sqrt(((3 - mean_b) ** 2 + (1 - mean_b) ** 2 + (4 - mean_b) ** 2) / 3)
    assert fair["nl-1"] == pytest.approx((4.0 - mean_b) / std_b)
    assert max(fair, key=fair.__getitem__) == "nl-1"
    assert max(naive, key=naive.__getitem__) != "nl-1"  # its low cosine would have buried it


def test_multilingual_models_are_recognised_by_name() -> None:
    from bot.retrieve import is_multilingual_model

    assert is_multilingual_model("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2")
    assert not is_multilingual_model("bundled:all-MiniLM-L6-v2")


def test_near_duplicates_are_collapsed_into_the_better_ranked_one() -> None:
    text = "The botnet hijacked routers and cameras across many countries in 2024 to hide espionage traffic."
    a = Candidate("doc1:a", tokens=token_set(text))
    b = Candidate("doc2:b", tokens=token_set(text + " Source: copy."))  # syndicated copy elsewhere
    c = Candidate(
        "doc1:c", tokens=token_set("An unrelated passage about export controls on lithography machines.")
    )
    kept, absorbed = collapse_duplicates([a, b, c], {"doc1:a": "doc1", "doc2:b": "doc2", "doc1:c": "doc1"}, 5)
    assert [k.chunk_id for k in kept] == ["doc1:a", "doc1:c"]
    assert absorbed == {"doc1:a": ["doc2:b"]}


def test_overlapping_neighbours_of_one_document_are_not_duplicates() -> None:
    first = token_set("one two three four five six seven eight nine ten eleven twelve")
    second = token_set("nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen")
    assert not is_near_duplicate(first, second, same_doc=True)
    assert is_near_duplicate(
        first, token_set("one two three four five six seven eight nine ten eleven"), same_doc=True
    )


# --- query handling ------------------------------------------------------------------------------


def test_clean_query_rejects_empty_and_overlong_questions() -> None:
    assert clean_query("  what\x00 is\tAPT1?\n", max_chars=100) == "what is APT1?"
    with pytest.raises(InputError, match="empty"):
        clean_query(" \x07 ", max_chars=100)
    with pytest.raises(InputError, match="10000 characters"):
        clean_query("x" * 10_000, max_chars=2000)


def test_dutch_question_is_glossed_for_both_retrievers() -> None:
    plan = plan_query("Welke kwetsbaarheid misbruikten de Russische hackers?")
    assert plan.language == "nl"
    assert "vulnerability" in plan.dense_text and "russian" in plan.dense_text
    assert "vulnerability" in plan.terms and "kwetsbaarheid" in plan.terms
    english = plan_query("Which vulnerability did Russian hackers exploit?")
    assert english.dense_text == english.text


def test_split_filters_merges_inline_filters_over_explicit_ones() -> None:
    text, filters = split_filters(
        "publisher:CISA after:2024 what changed?", SearchFilters(publisher="NCSC", language="en")
    )
    assert text == "what changed?"
    assert filters == SearchFilters(publisher="CISA", language="en", after=date(2024, 1, 1))
    assert split_filters("plain question") == ("plain question", None)


# --- the retriever over a real Chroma store --------------------------------------------------------


class HashEmbedding(Embeddings):
    """Bag-of-words vectors (hashed words, unit length): similar words → similar vectors."""

    size = 384

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.size
        for w in re.findall(r"[a-z0-9]+", text.lower()):
            v[int(hashlib.md5(w.encode()).hexdigest(), 16) % self.size] += 1.0
        n = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / n for x in v]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


def _write(folder: Path, name: str, title: str, body: str, **meta: str) -> None:
    from tests.servers.indexing import write_article

    write_article(folder, name, title=title, body=body, **meta)


def _open(settings: Settings, corpus: Path) -> Any:
    from indexing.embed import Embedder
    from indexing.pipeline import index_paths
    from indexing.store import open_store

    embedder = Embedder(settings, backend=HashEmbedding(), dimension=HashEmbedding.size)
    store = open_store(settings, embedder)
    index_paths([corpus], settings, embedder=embedder, store=store)
    return store


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    _write(
        folder,
        "teamcity.md",
        "SVR exploits TeamCity",
        "Russian SVR actors exploited CVE-2023-42793 in TeamCity servers.",
        publisher="CISA",
        published="2023-12-14",
    )
    _write(
        folder,
        "apt1.md",
        "APT1",
        "APT1 is attributed to PLA Unit 61398 in Shanghai.",
        publisher="MITRE",
        published="2017-05-31",
    )
    _write(
        folder,
        "botnet.md",
        "Router botnet",
        "The botnet hijacked routers and cameras to hide espionage traffic.",
        publisher="CISA",
        published="2024-09-18",
    )
    _write(
        folder,
        "botnet-copy.md",
        "Router botnet (copy)",
        "The botnet hijacked routers and cameras to hide espionage traffic.",
        publisher="Mirror",
        published="2024-09-19",
    )
    return folder


def test_search_returns_ranked_passages_with_evidence(settings: Settings, corpus: Path) -> None:
    retriever = Retriever(settings, _open(settings, corpus))
    passages = retriever.search("Which CVE-2023-42793 did SVR exploit in TeamCity?", k=3)
    assert passages[0].source == "teamcity.md"
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    top = passages[0].extra
    assert top["dense_rank"] == 1 and top["bm25_rank"] == 1
    assert top["dense"] > 0.2 and top["bm25"] > 0
    for p in passages:
        assert isinstance(p.extra["dense"], float)  # known even for passages only BM25 found


def test_duplicated_documents_are_collapsed(settings: Settings, corpus: Path) -> None:
    retriever = Retriever(settings, _open(settings, corpus))
    passages = retriever.search("botnet routers cameras espionage", k=4)
    botnet = [p for p in passages if p.source.startswith("botnet")]
    assert len(botnet) == 1
    assert len(botnet[0].extra["duplicates"]) == 1


def test_filters_apply_to_dense_and_bm25_alike(settings: Settings, corpus: Path) -> None:
    retriever = Retriever(settings, _open(settings, corpus))
    passages = retriever.search(
        "TeamCity CVE exploited", k=5, filters=SearchFilters(publisher="cisa", after=date(2024, 1, 1))
    )
    assert {p.source for p in passages} == {"botnet.md"}
    assert retriever.search("APT1", k=5, filters=SearchFilters(publisher="nobody")) == []


def test_a_publisher_filter_matches_the_acronym_and_words_of_the_stored_name(
    settings: Settings, corpus: Path
) -> None:
    _write(
        corpus,
        "playbook.md",
        "Incident response playbook",
        "Agencies must report a major incident to the national coordinator within one hour.",
        publisher="Cybersecurity and Infrastructure Security Agency",
        published="2021-11-15",
    )
    _write(
        corpus,
        "wasoc.md",
        "Router advisory",
        "Agencies should patch the routers named in the advisory within one hour.",
        publisher="Western Australian Government Security Operations Centre (WA SOC)",
        published="2023-04-19",
    )
    retriever = Retriever(settings, _open(settings, corpus))
    cisa = retriever.search(
        "report a major incident within one hour", k=10, filters=SearchFilters(publisher="CISA")
    )
    assert {p.source for p in cisa} == {"teamcity.md", "botnet.md", "playbook.md"}
    wa = retriever.search("patch routers within one hour", k=10, filters=SearchFilters(publisher="WA SOC"))
    assert {p.source for p in wa} == {"wasoc.md"}
    mitre = retriever.search("APT1 Shanghai", k=10, filters=SearchFilters(publisher="mitre"))
    assert {p.source for p in mitre} == {"apt1.md"}


def test_empty_index_and_bad_input_are_clear_errors(settings: Settings, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    retriever = Retriever(settings, _open(settings, empty))
    with pytest.raises(EmptyIndexError, match="empty"):
        retriever.search("anything", k=5)
    with pytest.raises(InputError):
        retriever.search("   ", k=5)


def test_reindex_is_picked_up_without_a_new_retriever(settings: Settings, corpus: Path) -> None:
    store = _open(settings, corpus)
    retriever = Retriever(settings, store)
    assert all(p.source != "volt.md" for p in retriever.search("Volt Typhoon", k=5))
    _write(corpus, "volt.md", "Volt Typhoon", "Volt Typhoon prepositioned in water utilities.")
    _open(settings, corpus)
    assert retriever.search("Volt Typhoon water utilities", k=1)[0].source == "volt.md"


def test_missing_bm25_index_is_built_in_memory_not_written(settings: Settings, corpus: Path) -> None:
    import shutil

    store = _open(settings, corpus)
    shutil.rmtree(settings.bm25_dir)
    retriever = Retriever(settings, store)
    assert retriever.search("PLA Unit 61398", k=1)[0].source == "apt1.md"
    assert current_version(settings) is None and not settings.bm25_dir.exists()


def test_injected_bm25_and_reranker_are_used(settings: Settings, corpus: Path) -> None:
    store = _open(settings, corpus)
    loaded = Bm25Index.load(settings)

    class Reverse:
        def scores(self, query: str, texts: list[str]) -> list[float]:
            return [float(i) for i in range(len(texts))]  # later = better: reverses the order

    plain = Retriever(settings, store, bm25=loaded).search("SVR TeamCity", k=3)
    reranked = Retriever(settings, store, bm25=loaded, reranker=Reverse()).search("SVR TeamCity", k=3)  # type: ignore[arg-type]
    assert reranked[0].chunk_id != plain[0].chunk_id
    assert "rerank" in reranked[0].extra
