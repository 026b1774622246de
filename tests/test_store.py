"""indexing.records and indexing.store against a real on-disk Chroma (fake embeddings)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.errors import EmptyIndexError, IndexMismatchError, StoreUnavailableError
from core.settings import Settings, load_settings
from core.types import Chunk, DocumentMeta, SearchFilters
from indexing.records import (
    chunk_to_document,
    days_since_epoch,
    publisher_matches,
    record_to_passage,
    where_from_filters,
)
from indexing.store import Store, index_status, open_store
from tests.servers.chroma import free_port
from tests.servers.indexing import fake_embedder

META = DocumentMeta(
    doc_id="apt28-abc",
    source="reports/apt28.md",
    title="APT28 routers",
    publisher="CISA",
    published="2023-04-18",
    url="https://example.org/apt28",
    language="en",
    kind="md",
)


def _chunk(i: int, text: str, *, doc_id: str = "apt28-abc", page: str | None = None) -> Chunk:
    return Chunk(
        chunk_id=f"{doc_id}:{i}",
        doc_id=doc_id,
        text=text,
        index=i,
        section="Summary",
        page=page,
        page_number=int(page) if page and page.isdigit() else (4 if page else None),
    )


def _fill(store: Store) -> None:
    other = DocumentMeta(doc_id="kim-def", source="kimsuky.md", title="Kimsuky", publisher="NCSC", kind="md")
    docs = [chunk_to_document(_chunk(i, f"APT28 passage number {i}."), META) for i in (2, 0, 1)]
    docs.append(chunk_to_document(_chunk(0, "Kimsuky phishing passage.", doc_id="kim-def"), other))
    store.vectorstore.add_documents(docs, ids=[str(d.id) for d in docs])


@pytest.fixture
def store(settings: Settings) -> Store:
    return open_store(settings, fake_embedder(settings))


# --- records ------------------------------------------------------------------------------------


def test_document_is_header_then_text_and_metadata_is_flat() -> None:
    doc = chunk_to_document(_chunk(0, "The actor used Jaguar Tooth.", page="iv"), META)
    assert doc.page_content == "APT28 routers\nSummary\n\nThe actor used Jaguar Tooth."
    meta = doc.metadata
    assert doc.page_content[meta["text_start"] :] == "The actor used Jaguar Tooth."
    assert meta["chunk_id"] == doc.id and str(doc.id).startswith("apt28-abc:")
    assert (
        meta["publisher_lc"] == "cisa" and meta["published_ts"] == (date(2023, 4, 18) - date(1970, 1, 1)).days
    )
    assert meta["page"] == "iv" and meta["chunk_index"] == 0
    assert all(isinstance(v, str | int | float | bool) for v in meta.values())


def test_missing_values_are_stored_as_empty_or_minus_one() -> None:
    bare = DocumentMeta(doc_id="d", source="d.txt")
    meta = chunk_to_document(Chunk("d:1", "d", "text", 0), bare).metadata
    assert meta["published"] == "" and meta["published_ts"] == -1
    assert meta["page"] == "" and meta["page_number"] == -1
    passage = record_to_passage("x", "text", meta)
    assert passage.published is None and passage.page is None


def test_record_id_changes_when_document_metadata_changes() -> None:
    chunk = _chunk(0, "Same text.")
    first = chunk_to_document(chunk, META).id
    assert chunk_to_document(chunk, META).id == first
    assert chunk_to_document(chunk, META.with_(publisher="NSA")).id != first


def test_passage_from_record_has_text_without_header_and_citation_fields() -> None:
    doc = chunk_to_document(_chunk(3, "Body text.", page="12"), META)
    passage = record_to_passage(str(doc.id), doc.page_content, doc.metadata, score=0.75)
    assert passage.text == "Body text."
    assert (passage.source, passage.title, passage.publisher, passage.published, passage.page) == (
        "reports/apt28.md",
        "APT28 routers",
        "CISA",
        "2023-04-18",
        "12",
    )
    assert passage.chunk_id == doc.id and passage.score == 0.75
    assert passage.extra["chunk_index"] == 3 and passage.extra["page_number"] == 12


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1970-01-02", 1), ("2024-04", (date(2024, 4, 1) - date(1970, 1, 1)).days), ("", -1), ("soon", -1)],
)
def test_days_since_epoch(value: str, expected: int) -> None:
    assert days_since_epoch(value) == expected


def test_where_clause_from_filters() -> None:
    assert where_from_filters(None) is None
    assert where_from_filters(SearchFilters()) is None
    assert where_from_filters(SearchFilters(publisher="Cisa ")) == {"publisher_lc": {"$eq": "cisa"}}
    known = ["cisa", "cybersecurity and infrastructure security agency", "ncsc"]
    assert where_from_filters(SearchFilters(publisher="CISA"), known) == {
        "publisher_lc": {"$in": ["cisa", "cybersecurity and infrastructure security agency"]}
    }
    assert where_from_filters(SearchFilters(publisher="nobody"), known) == {"publisher_lc": {"$eq": "nobody"}}
    both = where_from_filters(SearchFilters(source="a.md", after=date(2024, 1, 1), before=date(2024, 12, 31)))
    assert both is not None and len(both["$and"]) == 3
    before_only = where_from_filters(SearchFilters(before=date(2024, 1, 1)))
    assert before_only is not None and {"published_ts": {"$gte": 0}} in before_only["$and"]


# --- store --------------------------------------------------------------------------------------


def test_collection_records_model_dimension_and_cosine(store: Store) -> None:
    meta = store.collection.metadata or {}
    assert meta["embedding_model"] == "bundled:all-MiniLM-L6-v2"
    assert meta["embedding_dimension"] == 384
    assert store.collection.configuration["hnsw"]["space"] == "cosine"  # type: ignore[index]


def test_opening_an_index_built_with_another_model_says_to_rebuild(settings: Settings) -> None:
    open_store(settings, fake_embedder(settings, model_id="other-model", size=8))
    with pytest.raises(IndexMismatchError, match="index --rebuild") as err:
        open_store(settings, fake_embedder(settings))
    assert "other-model" in str(err.value)


def test_reset_recreates_the_collection_for_the_new_model(settings: Settings) -> None:
    old = open_store(settings, fake_embedder(settings, model_id="other-model", size=8))
    _fill(open_store(settings, fake_embedder(settings, model_id="other-model", size=8)))
    assert old.count() == 4
    fresh = open_store(settings, fake_embedder(settings), verify=False)
    fresh.reset()
    assert fresh.count() == 0
    assert open_store(settings, fake_embedder(settings)).count() == 0


def test_dense_search_scores_are_one_minus_cosine_distance(store: Store) -> None:
    _fill(store)
    exact = chunk_to_document(_chunk(1, "APT28 passage number 1."), META).page_content
    hits = store.dense_search(exact, k=3)
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].text == "APT28 passage number 1." and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[0].score >= hits[1].score >= hits[2].score


def test_dense_search_filters_publisher_case_insensitively_and_by_date(store: Store) -> None:
    _fill(store)
    assert {h.source for h in store.dense_search("x", 10, SearchFilters(publisher="ncsc"))} == {"kimsuky.md"}
    dated = store.dense_search("x", 10, SearchFilters(after=date(2023, 1, 1)))
    assert {h.source for h in dated} == {"reports/apt28.md"}  # the undated Kimsuky never matches
    assert store.dense_search("x", 10, SearchFilters(before=date(2023, 1, 1))) == []


def test_empty_index_search_says_to_index_first(store: Store) -> None:
    with pytest.raises(EmptyIndexError, match="briefbot index"):
        store.dense_search("anything", 5)


def test_records_are_paged_and_passages_come_back_in_order(store: Store) -> None:
    _fill(store)
    records = list(store.iter_records(batch=3))
    assert len(records) == 4 and len({r[0] for r in records}) == 4
    ordered = store.passages_for_source("reports/apt28.md")
    assert [p.extra["chunk_index"] for p in ordered] == [0, 1, 2]
    wanted = [ordered[2].chunk_id, "missing-id", ordered[0].chunk_id]
    assert [p.chunk_id for p in store.get_passages(wanted)] == [wanted[0], wanted[2]]
    store.delete_ids([ordered[0].chunk_id])
    assert store.count() == 3
    assert [d["source"] for d in store.list_documents()] == ["kimsuky.md", "reports/apt28.md"]


def test_status_counts_documents_and_chunks(settings: Settings, store: Store) -> None:
    _fill(store)
    status = index_status(settings, store)
    assert (status.documents, status.chunks) == (2, 4)
    assert status.model == "bundled:all-MiniLM-L6-v2" and status.store == str(settings.chroma_path)
    assert status.to_json()["last_indexed"] is None


def test_unreachable_server_names_host_port_and_what_to_do(tmp_path: Path) -> None:
    port = free_port()
    settings = load_settings(home=tmp_path, chroma_host="127.0.0.1", chroma_port=port)
    with pytest.raises(StoreUnavailableError) as err:
        open_store(settings, fake_embedder(settings))
    assert f"127.0.0.1:{port}" in str(err.value) and "chroma run" in str(err.value)


@pytest.mark.parametrize(
    ("wanted", "publisher", "matches"),
    [
        ("CISA", "CISA", True),
        ("CISA", "Cybersecurity and Infrastructure Security Agency", True),
        ("cisa", "Cybersecurity and Infrastructure Security Agency (CISA)", True),
        ("WA SOC", "Western Australian Government Security Operations Centre (WA SOC)", True),
        ("WASOC", "Western Australian Government Security Operations Centre (WA SOC)", True),
        ("MITRE", "The MITRE Corporation (MITRE ATT&CK)", True),
        ("MITRE ATT&CK", "The MITRE Corporation (MITRE ATT&CK)", True),
        ("Army Recognition", "Army Recognition", True),
        ("NCSC", "CISA", False),
        ("CISA", "NCSC", False),
        ("Arm", "Army Recognition", False),
        ("", "CISA", False),
    ],
)
def test_publisher_filter_matches_name_acronym_or_words(wanted: str, publisher: str, matches: bool) -> None:
    assert publisher_matches(wanted, publisher) is matches
