"""The indexing flows against a real `chroma run` server on 127.0.0.1 (HttpClient)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from core.errors import StoreUnavailableError
from core.settings import Settings, load_settings
from indexing.embed import open_embedder
from indexing.pipeline import index_paths
from indexing.store import index_status, open_store
from tests.servers.chroma import ChromaServer
from tests.servers.chroma import chroma_server as run_server
from tests.servers.indexing import (
    assert_consistent,
    fake_embedder,
    kill_mid_run_and_recover,
    sentences,
    small_corpus,
    write_article,
)

pytestmark = pytest.mark.slow


def _server_settings(server: ChromaServer, home: Path) -> Settings:
    # one collection per test, so tests sharing the session server never see each other's data
    return load_settings(
        home=home, chroma_host=server.host, chroma_port=server.port, collection=f"t-{uuid.uuid4().hex[:12]}"
    )


def test_index_reindex_edit_delete_against_a_server(chroma_server: ChromaServer, tmp_path: Path) -> None:
    settings = _server_settings(chroma_server, tmp_path / "home")
    corpus = small_corpus(tmp_path / "corpus")
    embedder = fake_embedder(settings)
    first = index_paths([corpus], settings, embedder=embedder)
    assert first.added == 3 and first.store == chroma_server.url
    assert not settings.chroma_path.exists()  # nothing on disk: the vectors live in the server

    fresh = open_embedder(settings)
    unchanged = index_paths([corpus], settings, embedder=fresh)
    assert (unchanged.skipped, unchanged.chunks_embedded, fresh.loaded) == (3, 0, False)

    write_article(
        corpus, "kimsuky.md", title="Kimsuky phishing", publisher="NCSC", body=sentences("Kimsuky", 13)
    )
    counter = fake_embedder(settings)
    edited = index_paths([corpus], settings, embedder=counter)
    assert edited.updated == 1 and counter.texts_embedded > 0
    (corpus / "apt28.md").unlink()
    assert index_paths([corpus], settings, embedder=embedder).deleted == 1
    per_source = assert_consistent(settings, embedder)
    assert set(per_source) == {"kimsuky.md", "sub/volt.md"}
    status = index_status(settings, open_store(settings, embedder))
    assert status.documents == 2 and status.store == chroma_server.url


def test_server_that_goes_away_is_a_clear_error(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path / "corpus")
    with run_server(tmp_path / "short-lived") as server:
        settings = _server_settings(server, tmp_path / "home")
        index_paths([corpus], settings, embedder=fake_embedder(settings))
    write_article(corpus, "more.md", title="More", body=sentences("more", 3))
    with pytest.raises(StoreUnavailableError, match=f"{server.host}:{server.port}"):
        index_paths([corpus], settings, embedder=fake_embedder(settings))


def test_server_data_lost_behind_our_back_is_reindexed(chroma_server: ChromaServer, tmp_path: Path) -> None:
    settings = _server_settings(chroma_server, tmp_path / "home")
    corpus = small_corpus(tmp_path / "corpus")
    embedder = fake_embedder(settings)
    index_paths([corpus], settings, embedder=embedder)
    open_store(settings, embedder).reset()  # e.g. the server was restarted without its volume
    report = index_paths([corpus], settings, embedder=embedder)
    assert report.repaired > 0 and report.updated + report.added == 3
    assert set(assert_consistent(settings, embedder)) == {"apt28.md", "kimsuky.md", "sub/volt.md"}


def test_kill_9_mid_run_against_a_server(indexed_corpus, chroma_server: ChromaServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    extra = {
        "BRIEFBOT_CHROMA_HOST": chroma_server.host,
        "BRIEFBOT_CHROMA_PORT": str(chroma_server.port),
        "BRIEFBOT_COLLECTION": f"kill-{uuid.uuid4().hex[:12]}",
    }
    kill_mid_run_and_recover(indexed_corpus, tmp_path / "home", tmp_path / "subset", extra)
