"""The BM25 index: analyzer, build, persistence, filters, and staying in step with the store."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from core.errors import StoreError
from core.settings import Settings
from core.types import SearchFilters
from indexing import bm25
from indexing.bm25 import Bm25Index, build_index, current_version, save_index, sync_bm25
from indexing.lexical import analyze, gloss, gloss_word, guess_language, stem

Record = tuple[str, str, dict[str, Any]]


def record(rid: str, title: str, body: str, **meta: Any) -> Record:
    header = f"{title}\n\n"
    base = {
        "doc_id": rid.split(":")[0],
        "source": f"{rid.split(':')[0]}.md",
        "publisher": "Example",
        "publisher_lc": "example",
        "language": "en",
        "published_ts": 19800,
        "text_start": len(header),
    }
    base.update(meta)
    return rid, header + body, base


RECORDS = [
    record("a:1", "TeamCity advisory", "SVR actors exploited CVE-2023-42793 in JetBrains TeamCity servers."),
    record(
        "b:1",
        "APT1 profile",
        "APT1 is PLA Unit 61398, which stole 1,700 gigabytes.",
        publisher="MITRE",
        publisher_lc="mitre",
        source="b.md",
        published_ts=17000,
    ),
    record("c:1", "Router botnet", "The botnet hijacked 260,000 routers and cameras.", published_ts=-1),
    record(
        "d:1",
        "Dreigingsbeeld spionage",
        "Statelijke actoren richten zich op toeleveranciers; spionage via kwetsbaarheden in apparatuur.",
        language="nl",
        source="d.md",
    ),
]


# --- analyzer ------------------------------------------------------------------------


def test_identifiers_and_numbers_survive_tokenization() -> None:
    terms = analyze("Which CVE-2023-42793 hit Unit 61398? 1,700 orgs, ASML's EXE:5200, U.S. and 2.0")
    for term in ("cve-2023-42793", "cve", "2023", "42793", "61398", "1700", "asml", "exe:5200", "us", "2.0"):
        assert term in terms
    assert "which" not in terms and "s" not in terms


def test_stemmer_conflates_inflections_but_keeps_numbers() -> None:
    assert stem("attacks") == stem("attacked") == stem("attacking") == stem("attack")
    assert stem("released") == stem("release") == stem("releases")
    assert stem("vulnerabilities") == stem("vulnerability")
    assert stem("61398s") == "61398s"
    assert stem("pass") == "pass"


def test_language_guess_and_glossing() -> None:
    assert guess_language("Welke eenheid van het Chinese leger is APT1?") == "nl"
    assert guess_language("Welche Einheit der chinesischen Armee ist APT1?") == "de"
    assert guess_language("Which PLA unit is APT1?") == "en"
    assert (
        gloss("Welke kwetsbaarheid misbruikten de hackers?", "nl")
        == "which vulnerability flaw exploited abused hackers"
    )
    assert "port crane" in gloss("Hafenkräne", "de")  # compound split: Hafen + Kräne
    assert gloss_word("beveiligingsupdates", "nl") == "security updates"
    assert gloss_word("spionagepogingen", "nl") == "espionage"  # one known part is kept
    assert gloss_word("onbekendwoord", "nl") is None


# --- build, search, persist ----------------------------------------------------------------


def test_search_ranks_the_passage_with_the_rare_term_first() -> None:
    index = build_index(RECORDS)
    hits = index.search("Which TeamCity CVE did SVR exploit?", 3)
    assert hits[0][0] == "a:1"
    assert all(score > 0 for _, score in hits)
    assert [cid for cid, _ in index.search("61398", 5)] == ["b:1"]  # only positive scores are returned


def test_title_field_counts_but_less_than_the_body() -> None:
    index = build_index(
        [
            record("t:1", "Kimsuky phishing", "Generic text about many things and other things."),
            record("t:2", "Generic report", "Kimsuky phishing is described here in the body itself."),
            record("t:3", "Another report", "Nothing relevant at all in this passage of text."),
        ]
    )
    scores = index.score_array(analyze("Kimsuky phishing"))
    assert scores[index.position["t:2"]] > scores[index.position["t:1"]] > 0
    assert scores[index.position["t:3"]] == 0


def test_english_question_finds_the_dutch_passage_through_the_glossary() -> None:
    index = build_index(RECORDS)
    hits = index.search("espionage against suppliers", 2)
    assert hits and hits[0][0] == "d:1"


def test_dutch_stopwords_of_dutch_passages_are_not_indexed() -> None:
    index = build_index(RECORDS)
    assert index.search("op de zich", 5) == []  # Dutch function words match nothing


def test_persisted_index_loads_with_identical_results(settings: Settings) -> None:
    index = build_index(RECORDS)
    version = save_index(index, settings)
    assert current_version(settings) == version
    loaded = Bm25Index.load(settings)
    assert loaded is not None and loaded.version == version
    assert loaded.ids == index.ids
    for query in ("TeamCity CVE", "PLA unit 61398", "routers cameras", "spionage"):
        assert loaded.search(query, 4) == index.search(query, 4)


def test_load_without_an_index_is_none(settings: Settings) -> None:
    assert Bm25Index.load(settings) is None


def test_index_of_an_older_format_is_not_used(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bm25, "FORMAT_VERSION", 1)
    save_index(build_index(RECORDS), settings)
    monkeypatch.setattr(bm25, "FORMAT_VERSION", 2)
    assert Bm25Index.load(settings) is None


def test_empty_store_gives_an_empty_index_that_finds_nothing(settings: Settings) -> None:
    save_index(build_index([]), settings)
    loaded = Bm25Index.load(settings)
    assert loaded is not None and len(loaded) == 0
    assert loaded.search("anything", 5) == []


def test_failed_write_keeps_the_previous_index(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    first = save_index(build_index(RECORDS), settings)
    bigger = build_index([*RECORDS, record("e:1", "Extra", "More text about Volt Typhoon.")])

    def broken_save(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bigger.models["body"], "save", broken_save)
    with pytest.raises(StoreError, match="BM25"):
        save_index(bigger, settings)
    assert current_version(settings) == first
    loaded = Bm25Index.load(settings)
    assert loaded is not None and len(loaded) == len(RECORDS)
    assert not [p for p in settings.bm25_dir.iterdir() if p.name.startswith(".tmp-")]


def test_leftovers_of_an_interrupted_write_are_pruned(settings: Settings) -> None:
    save_index(build_index(RECORDS), settings)
    (settings.bm25_dir / ".tmp-v-killed").mkdir()
    (settings.bm25_dir / ".tmp-v-killed" / "data.csc.index.npy").write_bytes(b"half")
    latest = save_index(build_index(RECORDS[:2]), settings)
    assert sorted(p.name for p in settings.bm25_dir.iterdir()) == sorted([bm25.CURRENT, latest])
    meta = json.loads((settings.bm25_dir / latest / bm25.META).read_text())
    assert meta["ids"] == ["a:1", "b:1"]


# --- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(publisher="MITRE"), {"b:1"}),
        (SearchFilters(source="d.md"), {"d:1"}),
        (SearchFilters(language="NL"), {"d:1"}),
        (SearchFilters(after=date(2020, 1, 1)), {"a:1", "d:1"}),
        (SearchFilters(before=date(2020, 1, 1)), {"b:1"}),  # undated c:1 never matches a date filter
        (SearchFilters(publisher="example", after=date(2024, 3, 1)), {"a:1", "d:1"}),
    ],
)
def test_filters_mask_candidates(filters: SearchFilters, expected: set[str]) -> None:
    index = build_index(RECORDS)
    mask = index.mask(filters)
    assert mask is not None
    assert {cid for cid, keep in zip(index.ids, mask, strict=True) if keep} == expected
    everything = "teamcity apt1 routers spionage svr pla botnet statelijke example"
    assert {cid for cid, _ in index.search(everything, 10, filters)} <= expected


# --- in step with a real Chroma store (fake embeddings) ------------------------------------------


def _index(folder: Path, settings: Settings) -> Any:
    from indexing.pipeline import index_paths
    from indexing.store import open_store
    from tests.servers.indexing import fake_embedder

    embedder = fake_embedder(settings)
    store = open_store(settings, embedder)
    report = index_paths([folder], settings, embedder=embedder, store=store)
    return store, report


def _sources(settings: Settings, query: str) -> set[str]:
    loaded = Bm25Index.load(settings)
    assert loaded is not None
    return {str(loaded.source[loaded.position[cid]]) for cid, _ in loaded.search(query, 50)}


def test_bm25_follows_added_changed_and_deleted_documents(settings: Settings, tmp_path: Path) -> None:
    from tests.servers.indexing import sentences, write_article

    corpus = tmp_path / "corpus"
    write_article(corpus, "apt28.md", title="APT28 routers", body=sentences("Fancybear", 6))
    write_article(corpus, "kimsuky.md", title="Kimsuky phishing", body=sentences("Kimsuky", 6))
    store, _ = _index(corpus, settings)
    loaded = Bm25Index.load(settings)
    assert loaded is not None and len(loaded) == store.count()
    assert _sources(settings, "Fancybear") == {"apt28.md"}

    write_article(corpus, "volt.md", title="Volt Typhoon", body=sentences("Volttyphoon", 4))  # added
    write_article(corpus, "kimsuky.md", title="Kimsuky phishing", body=sentences("Lazarusx", 6))  # changed
    (corpus / "apt28.md").unlink()  # deleted
    _, report = _index(corpus, settings)
    assert (report.added, report.updated, report.deleted) == (1, 1, 1)
    assert _sources(settings, "Volttyphoon") == {"volt.md"}
    assert _sources(settings, "Lazarusx") == {"kimsuky.md"}
    assert _sources(settings, "Kimsuky") == {"kimsuky.md"}  # title still there
    assert _sources(settings, "Fancybear") == set()
    assert _sources(settings, "campaign sector") == {"kimsuky.md", "volt.md"}
    loaded = Bm25Index.load(settings)
    assert loaded is not None and sorted(loaded.ids) == sorted(store.all_ids())


def test_sync_bm25_rebuilds_from_the_store(settings: Settings, tmp_path: Path) -> None:
    from tests.servers.indexing import sentences, write_article

    corpus = tmp_path / "corpus"
    write_article(corpus, "a.md", title="Alpha", publisher="CISA", body=sentences("Alphabet", 3))
    store, _ = _index(corpus, settings)
    before = current_version(settings)
    sync_bm25(settings, store)
    assert current_version(settings) != before
    loaded = Bm25Index.load(settings)
    assert loaded is not None
    assert set(loaded.publisher_lc.tolist()) == {"cisa"}
    assert sorted(loaded.ids) == sorted(store.all_ids())


def test_filters_select_the_same_chunks_as_chromas_where(settings: Settings, tmp_path: Path) -> None:
    from indexing.records import where_from_filters
    from tests.servers.indexing import sentences, write_article

    corpus = tmp_path / "corpus"
    write_article(corpus, "a.md", title="A", publisher="CISA", published="2024-01-10", body=sentences("x", 3))
    write_article(corpus, "b.md", title="B", publisher="NCSC", published="2023-05-01", body=sentences("y", 3))
    write_article(corpus, "c.md", title="C", publisher="Cisa", published="2024-07-01", body=sentences("z", 3))
    write_article(
        corpus,
        "d.md",
        title="D",
        publisher="Cybersecurity and Infrastructure Security Agency",
        published="2021-11-15",
        body=sentences("w", 3),
    )
    store, _ = _index(corpus, settings)
    loaded = Bm25Index.load(settings)
    assert loaded is not None
    cases = [
        SearchFilters(publisher="cisa"),
        SearchFilters(publisher="CISA", before=date(2024, 6, 30)),
        SearchFilters(after=date(2024, 1, 1)),
        SearchFilters(source="b.md"),
        SearchFilters(language="en", after=date(2023, 6, 1), before=date(2024, 12, 31)),
    ]
    for filters in cases:
        where = where_from_filters(filters, loaded.publishers())
        chroma = set(store.collection.get(where=where, include=[])["ids"])
        mask = loaded.mask(filters)
        assert mask is not None
        assert {cid for cid, keep in zip(loaded.ids, mask, strict=True) if keep} == chroma, filters
    cisa = loaded.mask(SearchFilters(publisher="CISA"))
    ncsc = set(store.collection.get(where={"publisher_lc": {"$eq": "ncsc"}}, include=[])["ids"])
    assert cisa is not None and ncsc
    # Everything but the NCSC document: "CISA", "Cisa" and the full name "Cybersecurity and …".
    assert {cid for cid, keep in zip(loaded.ids, cisa, strict=True) if not keep} == ncsc
    assert int(cisa.sum()) == len(loaded.ids) - len(ncsc)
