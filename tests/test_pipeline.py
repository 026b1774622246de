"""indexing.pipeline: incremental re-index, faults and crash recovery.

Fast tests use the bundled tokenizer with fake vectors on a tiny corpus; the
tests marked slow index the shared corpus with the real model (once per session).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from core.errors import IndexMismatchError
from core.settings import Settings, load_settings
from indexing.embed import open_embedder
from indexing.pipeline import dirty_marker, index_paths, open_record_manager
from indexing.store import open_store, store_namespace
from tests.servers.indexing import (
    assert_consistent,
    fake_embedder,
    kill_mid_run_and_recover,
    sentences,
    small_corpus,
    write_article,
)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return small_corpus(tmp_path / "corpus")


def test_first_run_indexes_documents_and_skips_readme_and_sources(settings: Settings, corpus: Path) -> None:
    embedder = fake_embedder(settings)
    report = index_paths([corpus], settings, embedder=embedder)
    assert (report.added, report.updated, report.deleted, report.failed) == (3, 0, 0, [])
    assert sorted(m.source for m in report.new_documents) == ["apt28.md", "kimsuky.md", "sub/volt.md"]
    per_source = assert_consistent(settings, embedder)
    assert set(per_source) == {"apt28.md", "kimsuky.md", "sub/volt.md"}
    assert per_source["apt28.md"] > 1  # long enough for several chunks
    assert report.chunks_added == report.chunks_embedded == sum(per_source.values())
    assert not dirty_marker(settings).exists()


def test_unchanged_reindex_embeds_nothing_and_never_loads_the_model(settings: Settings, corpus: Path) -> None:
    index_paths([corpus], settings, embedder=fake_embedder(settings))
    fresh = open_embedder(settings)  # the real model: would take seconds to load
    report = index_paths([corpus], settings, embedder=fresh)
    assert (report.added, report.updated, report.deleted, report.skipped) == (0, 0, 0, 3)
    assert report.chunks_embedded == 0 and not report.changed
    assert fresh.loaded is False


def test_touch_without_change_is_skipped_by_hash(settings: Settings, corpus: Path) -> None:
    from indexing.manifest import Manifest

    index_paths([corpus], settings, embedder=fake_embedder(settings))
    target = corpus / "kimsuky.md"
    manifest = Manifest(settings.record_db, store_namespace(settings), readonly=True)
    before = manifest.rows()[str(target.resolve())]
    os.utime(target, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    fresh = open_embedder(settings)
    report = index_paths([corpus], settings, embedder=fresh)
    assert (report.updated, report.skipped, fresh.loaded) == (0, 3, False)
    after = manifest.rows()[str(target.resolve())]
    assert after.mtime_ns == target.stat().st_mtime_ns != before.mtime_ns  # next run skips on stat alone
    assert after.indexed_at == before.indexed_at  # a touch is not a newly indexed report


def test_editing_one_file_reembeds_only_its_changed_chunks(settings: Settings, corpus: Path) -> None:
    embedder = fake_embedder(settings)
    index_paths([corpus], settings, embedder=embedder)
    before = open_store(settings, embedder)
    old = {p.chunk_id for p in before.passages_for_source("apt28.md")}
    others = {p.chunk_id for s in ("kimsuky.md", "sub/volt.md") for p in before.passages_for_source(s)}
    path = corpus / "apt28.md"
    path.write_text(path.read_text() + "\nA new closing sentence about patched routers.\n")
    counter = fake_embedder(settings)
    report = index_paths([corpus], settings, embedder=counter)
    assert (report.added, report.updated, report.skipped) == (0, 1, 2)
    assert 0 < counter.texts_embedded < len(old)  # only the changed tail, not the whole document
    after = open_store(settings, counter)
    new = {p.chunk_id for p in after.passages_for_source("apt28.md")}
    assert old - new and new - old and old & new
    assert {p.chunk_id for s in ("kimsuky.md", "sub/volt.md") for p in after.passages_for_source(s)} == others
    assert any("patched routers" in p.text for p in after.passages_for_source("apt28.md"))
    assert_consistent(settings, counter)


def test_changed_front_matter_rewrites_metadata_of_unchanged_text(settings: Settings, corpus: Path) -> None:
    embedder = fake_embedder(settings)
    index_paths([corpus], settings, embedder=embedder)
    path = corpus / "kimsuky.md"
    path.write_text(path.read_text().replace("publisher: NCSC", "publisher: NCSC-NL"))
    index_paths([corpus], settings, embedder=embedder)
    passages = open_store(settings, embedder).passages_for_source("kimsuky.md")
    assert passages and {p.publisher for p in passages} == {"NCSC-NL"}
    assert_consistent(settings, embedder)


def test_deleted_file_loses_its_chunks(settings: Settings, corpus: Path) -> None:
    embedder = fake_embedder(settings)
    index_paths([corpus], settings, embedder=embedder)
    (corpus / "sub" / "volt.md").unlink()
    report = index_paths([corpus], settings, embedder=embedder)
    assert report.deleted == 1 and report.chunks_deleted > 0
    assert ("delete", "sub/volt.md") in report.changes
    assert "sub/volt.md" not in assert_consistent(settings, embedder)


def test_plan_changes_nothing_and_loads_no_model(settings: Settings, corpus: Path) -> None:
    fresh = open_embedder(settings)
    report = index_paths([corpus], settings, embedder=fresh, plan=True)
    assert report.plan and report.added == 3
    assert sorted(report.changes) == [("add", "apt28.md"), ("add", "kimsuky.md"), ("add", "sub/volt.md")]
    assert not settings.record_db.exists() and not settings.chroma_path.exists()
    embedder = fake_embedder(settings)
    index_paths([corpus], settings, embedder=embedder)
    (corpus / "apt28.md").unlink()
    plan = index_paths([corpus], settings, embedder=fresh, plan=True)
    assert plan.changes == [("delete", "apt28.md")] and plan.skipped == 2 and fresh.loaded is False
    assert "apt28.md" in assert_consistent(settings, embedder)


def test_bad_files_are_reported_by_name_and_the_rest_is_indexed(tmp_path: Path, corpus: Path) -> None:
    settings = load_settings(home=tmp_path / "home", max_file_mb=0.05)
    (corpus / "empty.md").write_text("")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n\x00\x01 this is not really a pdf \xff\xfe")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (corpus / "huge.md").write_text("big " * 20_000)
    (corpus / "latin1.txt").write_bytes(
        "Le rapport annuel décrit l'espionnage économique. ".encode("latin-1") * 3
    )
    report = index_paths([corpus], settings, embedder=fake_embedder(settings))
    failed = dict(report.failed)
    assert set(failed) == {f"corpus/{n}" for n in ("empty.md", "broken.pdf", "binary.txt", "huge.md")}
    assert "MB" in failed["corpus/huge.md"] and "empty" in failed["corpus/empty.md"]
    assert report.added == 4  # the three reports and the latin-1 text
    assert report.exit_code == 0
    passages = open_store(settings, fake_embedder(settings)).passages_for_source("latin1.txt")
    assert passages and "décrit" in passages[0].text
    again = index_paths([corpus], settings, embedder=open_embedder(settings), strict=True)
    assert dict(again.failed) == failed  # remembered: unchanged bad files are not read again
    assert again.exit_code == 1


def test_a_fixed_bad_file_is_indexed_on_the_next_run(settings: Settings, corpus: Path) -> None:
    embedder = fake_embedder(settings)
    bad = corpus / "late.md"
    bad.write_text("")
    assert [Path(s).name for s, _ in index_paths([corpus], settings, embedder=embedder).failed] == ["late.md"]
    write_article(corpus, "late.md", title="Late report", body=sentences("late", 3))
    report = index_paths([corpus], settings, embedder=embedder)
    assert report.failed == [] and report.added == 1


def test_file_named_explicitly_is_indexed_even_if_ignored(settings: Settings, corpus: Path) -> None:
    embedder = fake_embedder(settings)
    report = index_paths([corpus / "README.md"], settings, embedder=embedder)
    assert [m.source for m in report.new_documents] == ["README.md"]


def test_missing_path_is_a_failure_not_a_crash(settings: Settings, tmp_path: Path) -> None:
    report = index_paths([tmp_path / "nope"], settings, embedder=fake_embedder(settings))
    assert report.failed == [(str(tmp_path / "nope"), "no such file or folder")]


def test_rebuild_starts_over_and_accepts_a_new_model(settings: Settings, corpus: Path) -> None:
    index_paths([corpus], settings, embedder=fake_embedder(settings, model_id="old-model", size=8))
    with pytest.raises(IndexMismatchError):
        index_paths([corpus], settings, embedder=fake_embedder(settings))
    embedder = fake_embedder(settings)
    report = index_paths([corpus], settings, embedder=embedder, rebuild=True)
    assert report.added == 3 and report.skipped == 0
    assert_consistent(settings, embedder)


def test_orphan_vectors_and_unrecorded_sources_are_repaired(settings: Settings, corpus: Path) -> None:
    embedder = fake_embedder(settings)
    index_paths([corpus], settings, embedder=embedder)
    store = open_store(settings, embedder)
    # a run killed after writing vectors but before their record-manager keys:
    store.collection.upsert(
        ids=["ghost:1"], embeddings=[[0.1] * 384], documents=["ghost"], metadatas=[{"source": "x"}]
    )
    # a run killed after writing keys but before the manifest row of a new file:
    manager = open_record_manager(settings, store.namespace)
    manager.update(["stale:1"], group_ids=["gone.md"])
    store.collection.upsert(
        ids=["stale:1"], embeddings=[[0.2] * 384], documents=["s"], metadatas=[{"source": "gone.md"}]
    )
    report = index_paths([corpus], settings, embedder=embedder)
    assert report.repaired >= 2
    assert "ghost:1" not in store.all_ids() and "stale:1" not in store.all_ids()
    assert_consistent(settings, embedder)


def test_chunks_written_before_a_kill_are_reused_not_reembedded(settings: Settings, corpus: Path) -> None:
    from indexing.manifest import Manifest

    embedder = fake_embedder(settings)
    index_paths([corpus], settings, embedder=embedder)
    # a run killed after the vectors and keys of apt28.md were written, before its manifest row:
    manifest = Manifest(settings.record_db, store_namespace(settings))
    manifest.delete([str((corpus / "apt28.md").resolve())])
    counter = fake_embedder(settings)
    report = index_paths([corpus], settings, embedder=counter)
    assert report.added == 1 and counter.texts_embedded == 0
    assert_consistent(settings, counter)


def test_dirty_marker_from_an_interrupted_run_triggers_bm25_sync(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = fake_embedder(settings)
    index_paths([corpus], settings, embedder=embedder)
    calls: list[int] = []
    import indexing.bm25

    monkeypatch.setattr(indexing.bm25, "sync_bm25", lambda s, st: calls.append(st.count()))
    dirty_marker(settings).write_text(store_namespace(settings))
    report = index_paths([corpus], settings, embedder=embedder)
    assert not report.changed and calls and not dirty_marker(settings).exists()
    index_paths([corpus], settings, embedder=embedder)
    assert len(calls) == 1  # a clean unchanged run does not rebuild BM25


def test_bm25_failure_leaves_the_marker_for_the_next_run(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import indexing.bm25

    def boom(settings: Settings, store: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(indexing.bm25, "sync_bm25", boom)
    with pytest.raises(OSError):
        index_paths([corpus], settings, embedder=fake_embedder(settings))
    assert dirty_marker(settings).exists()


def test_same_source_name_from_two_folders_is_refused(settings: Settings, tmp_path: Path) -> None:
    write_article(tmp_path / "a", "x.md", title="A", body="One.")
    write_article(tmp_path / "b", "x.md", title="B", body="Two.")
    embedder = fake_embedder(settings)
    index_paths([tmp_path / "a"], settings, embedder=embedder)
    report = index_paths([tmp_path / "b"], settings, embedder=embedder)
    assert report.added == 0 and "same source name" in report.failed[0][1]


# --- the shared corpus with the real model (slow) ----------------------------------------------------

BANNER_ONLY = "news-2024-04-cisa-ed-24-02-mitigating-the-significant-risk-from-nation-st.md"


@pytest.mark.slow
def test_shared_corpus_is_fully_indexed(indexed_corpus) -> None:  # type: ignore[no-untyped-def]
    report = indexed_corpus.report
    documents = [p for p in indexed_corpus.corpus.iterdir() if p.name != "SOURCES.md"]
    assert len(documents) == 62 and report.added == 61
    # One file is a saved cisa.gov page holding only the site banner and the title: it is named, not indexed.
    [(failed, reason)] = report.failed
    assert failed.endswith(BANNER_ONLY) and "page boilerplate" in reason
    per_source = assert_consistent(indexed_corpus.settings, indexed_corpus.embedder)
    assert len(per_source) == 61 and report.chunks_added == sum(per_source.values())


@pytest.mark.slow
def test_pdf_pages_keep_their_printed_labels(indexed_corpus) -> None:  # type: ignore[no-untyped-def]
    store = open_store(indexed_corpus.settings, indexed_corpus.embedder)
    source = "cisa-2021-11-federal-incident-and-vulnerability-response-playbooks.pdf"
    passages = store.passages_for_source(source)
    assert passages and all(p.page for p in passages)
    numbers = [p.extra["page_number"] for p in passages]
    assert numbers == sorted(numbers) and numbers[0] >= 1
    assert max(numbers) == 43  # every page of the 43-page PDF is reachable
    # the report's own contents page says the Introduction is on page 3
    intro = next(p for p in passages if "committed to leading the response" in p.text)
    assert (intro.page, intro.extra["page_number"]) == ("3", 3)
    assert passages[0].title and passages[0].extra["kind"] == "pdf"


@pytest.mark.slow
def test_seed_article_is_clean_and_dated(indexed_corpus) -> None:  # type: ignore[no-untyped-def]
    store = open_store(indexed_corpus.settings, indexed_corpus.embedder)
    passages = store.passages_for_source("armyrecognition-2024-04-mivd-china-espionage.txt")
    text = " ".join(p.text for p in passages)
    assert passages[0].published == "2024-04-19"
    assert text.startswith("Chinese Espionage targets Dutch high-tech industries")
    for junk in ("Skip to main content", "Follow Army Recognition", "Copyright ©", "Webdesign"):
        assert junk not in text
    hits = store.dense_search("Dutch military intelligence report on Chinese espionage", 3)
    assert hits[0].source == "armyrecognition-2024-04-mivd-china-espionage.txt"


@pytest.mark.slow
def test_real_reindex_unchanged_never_loads_the_model(indexed_corpus) -> None:  # type: ignore[no-untyped-def]
    fresh = open_embedder(indexed_corpus.settings)
    report = index_paths([indexed_corpus.corpus], indexed_corpus.settings, embedder=fresh)
    assert (report.skipped, report.chunks_embedded, fresh.loaded) == (61, 0, False)
    assert [Path(name).name for name, _ in report.failed] == [BANNER_ONLY]


@pytest.mark.slow
def test_real_edit_and_delete_touch_only_that_document(indexed_corpus) -> None:  # type: ignore[no-untyped-def]
    settings, corpus, embedder = indexed_corpus.settings, indexed_corpus.corpus, indexed_corpus.embedder
    name = "wasoc-2023-07-28-compromised-microsoft-key.md"
    path = corpus / name
    original = path.read_bytes()
    before = assert_consistent(settings, embedder)
    try:
        path.write_bytes(original + b"\nAnalysts added one more sentence about the stolen signing key.\n")
        start = embedder.texts_embedded
        report = index_paths([corpus], settings, embedder=embedder)
        assert (report.updated, report.skipped, len(report.failed)) == (1, 60, 1)
        assert 0 < embedder.texts_embedded - start <= before[name]
        path.unlink()
        report = index_paths([corpus], settings, embedder=embedder)
        assert report.deleted == 1
        after = assert_consistent(settings, embedder)
        assert name not in after and {k: v for k, v in before.items() if k != name} == after
    finally:
        path.write_bytes(original)
        index_paths([corpus], settings, embedder=embedder)
    assert assert_consistent(settings, embedder) == before


@pytest.mark.slow
def test_kill_9_mid_run_then_rerun_gives_exactly_a_clean_index(indexed_corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kill_mid_run_and_recover(indexed_corpus, tmp_path / "home", tmp_path / "subset", {})


# --- watch ----------------------------------------------------------------------------------------


def _wait_for(reports: list, predicate, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for report in list(reports):
            if predicate(report):
                return report
        time.sleep(0.05)
    raise AssertionError(f"no matching report in {[r.to_json() for r in reports]}")


def test_watch_reindexes_after_changes_settle_and_stops_on_event(settings: Settings, corpus: Path) -> None:
    import threading

    from indexing.watch import watch

    reports: list = []
    stop = threading.Event()
    embedder = fake_embedder(settings)
    thread = threading.Thread(
        target=watch,
        args=([corpus], settings),
        kwargs={"on_report": reports.append, "debounce": 0.3, "stop": stop, "embedder": embedder},
        daemon=True,
    )
    thread.start()
    try:
        _wait_for(reports, lambda r: r.added == 3)
        write_article(corpus, "new.md", title="New report", body=sentences("new", 4))
        added = _wait_for(reports, lambda r: r.added == 1)
        assert [m.source for m in added.new_documents] == ["new.md"]
        (corpus / "kimsuky.md").unlink()
        _wait_for(reports, lambda r: r.deleted == 1)
        (corpus / ".draft.md").write_text("ignored by the .* glob")
        time.sleep(1.0)
        assert all(not r.changed for r in reports[3:])
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert set(assert_consistent(settings, embedder)) == {"apt28.md", "sub/volt.md", "new.md"}


def test_watch_returns_cleanly_on_ctrl_c(settings: Settings, corpus: Path) -> None:
    from indexing.watch import watch

    def interrupt(report: object) -> None:
        raise KeyboardInterrupt

    watch([corpus], settings, on_report=interrupt, embedder=fake_embedder(settings))  # returns, no raise
