"""Helpers for indexing tests: fake-embedding embedders, tiny corpora, index inspection.

``fake_embedder`` keeps the bundled model's id, tokenizer and dimension but embeds
with LangChain's ``DeterministicFakeEmbedding``, so pipeline logic is tested in
seconds; tests that need real vectors use ``open_embedder`` and are marked slow.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from core.settings import Settings, load_settings
from indexing.embed import Embedder
from indexing.pipeline import IndexReport, dirty_marker, index_paths
from indexing.store import open_store, store_namespace

# The keys of one passage in `search --json` and `ask --json` (Passage.to_json).
PASSAGE_KEYS = {
    "rank",
    "text",
    "source",
    "title",
    "publisher",
    "published",
    "page",
    "url",
    "score",
    "chunk_id",
}


def fake_embedder(settings: Settings, *, model_id: str | None = None, size: int = 384) -> Embedder:
    """An :class:`Embedder` with the bundled tokenizer and fake vectors (``loaded`` once used)."""
    return Embedder(
        settings, backend=DeterministicFakeEmbedding(size=size), model_id=model_id, dimension=size
    )


ARTICLE = """---
title: {title}
publisher: {publisher}
published: {published}
url: https://example.org/{slug}
language: en
---

# {title}

{body}
"""


def sentences(topic: str, n: int) -> str:
    """``n`` distinct sentences about ``topic`` (enough text for several chunks when n is large)."""
    return " ".join(
        f"Sentence {i} reports that the {topic} campaign targeted sector number {i} with tool {i * 7}."
        for i in range(n)
    )


def write_article(
    folder: Path,
    name: str,
    *,
    title: str,
    publisher: str = "Example Agency",
    published: str = "2024-04-19",
    body: str = "",
) -> Path:
    """A markdown report with front matter in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    slug = Path(name).stem
    path.write_text(
        ARTICLE.format(title=title, publisher=publisher, published=published, slug=slug, body=body),
        encoding="utf-8",
    )
    return path


def small_corpus(folder: Path) -> Path:
    """Three short reports, a README and a SOURCES.md (the last two are not documents)."""
    write_article(folder, "apt28.md", title="APT28 routers", publisher="CISA", body=sentences("APT28", 40))
    write_article(
        folder,
        "kimsuky.md",
        title="Kimsuky phishing",
        publisher="NCSC",
        published="2023-01-05",
        body=sentences("Kimsuky", 12),
    )
    write_article(
        folder / "sub",
        "volt.md",
        title="Volt Typhoon",
        publisher="CISA",
        published="2024-02-07",
        body=sentences("Volt Typhoon", 6),
    )
    (folder / "README.md").write_text("# Not a document\n\nThis folder holds reports.\n")
    (folder / "SOURCES.md").write_text("# Sources\n\n- somewhere\n")
    return folder


def chroma_ids(settings: Settings, store: object) -> list[str]:
    """Every vector id in the store."""
    from indexing.store import Store

    assert isinstance(store, Store)
    return store.all_ids()


def record_keys(settings: Settings, namespace: str) -> dict[str, str | None]:
    """Record-manager keys with their sources."""
    from indexing.manifest import record_keys_with_groups

    return record_keys_with_groups(settings.record_db, namespace)


def manifest_sources(settings: Settings, namespace: str) -> dict[str, int]:
    """Source → chunk count from the file manifest."""
    if not settings.record_db.is_file():
        return {}
    conn = sqlite3.connect(settings.record_db)
    try:
        rows = conn.execute(
            "SELECT source, n_chunks FROM file_manifest WHERE namespace = ?", (namespace,)
        ).fetchall()
    finally:
        conn.close()
    return {str(s): int(n) for s, n in rows}


@contextmanager
def clean_settings_env(cwd: Path) -> Iterator[None]:
    """No BRIEFBOT_* variable or stray briefbot.toml while session fixtures build settings."""
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith(("BRIEFBOT_", "SLACK_")):
                mp.delenv(key, raising=False)
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        mp.chdir(cwd)
        yield


@dataclass
class IndexedCorpus:
    """The shared corpus (a private copy) indexed once with the real bundled model."""

    settings: Settings
    corpus: Path
    embedder: Embedder
    report: IndexReport


def index_shared_copy(shared_corpus: Path, base: Path) -> IndexedCorpus:
    """Copy ``shared_corpus`` under ``base`` and index it with the real model in ``base/home``."""
    from indexing.embed import open_embedder
    from indexing.pipeline import index_paths

    corpus = base / "corpus"
    shutil.copytree(shared_corpus, corpus)
    for path in corpus.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    with clean_settings_env(base):
        settings = load_settings(home=base / "home")
    embedder = open_embedder(settings)
    report = index_paths([corpus], settings, embedder=embedder)
    return IndexedCorpus(settings=settings, corpus=corpus, embedder=embedder, report=report)


def assert_consistent(settings: Settings, embedder: Embedder) -> dict[str, int]:
    """Assert vectors == record keys == manifest; return chunks per source."""
    store = open_store(settings, embedder)
    ids = store.all_ids()
    assert len(ids) == len(set(ids))
    keys = record_keys(settings, store.namespace)
    assert set(keys) == set(ids), "record manager and vector store disagree"
    per_source: dict[str, int] = {}
    positions = set()
    for rid, _doc, meta in store.iter_records():
        per_source[meta["source"]] = per_source.get(meta["source"], 0) + 1
        positions.add((meta["source"], meta["chunk_index"]))
        assert keys[rid] == meta["source"]
    assert len(positions) == len(ids), "two records claim the same place in a document"
    assert manifest_sources(settings, store.namespace) == per_source
    return per_source


KILL_SUBSET = [  # ~350 chunks: more than one write batch (256), so a kill lands between batches
    "attack-c0024-solarwinds-compromise.md",
    "attack-g0007-apt28.md",
    "attack-g0016-apt29.md",
    "attack-g0027-threat-group-3390.md",
    "attack-g0035-dragonfly.md",
    "attack-g0059-magic-hound.md",
    "attack-g0094-kimsuky.md",
    "attack-g0096-apt41.md",
    "wasoc-2023-07-28-compromised-microsoft-key.md",
]


def kill_mid_run_and_recover(
    indexed: IndexedCorpus, home: Path, folder: Path, extra_env: dict[str, str]
) -> None:
    """Run `briefbot index` in a subprocess, kill -9 it once chunks are written, re-run, compare."""
    from indexing.manifest import record_groups

    folder.mkdir()
    for name in KILL_SUBSET:
        (folder / name).write_bytes((indexed.corpus / name).read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update({"BRIEFBOT_HOME": str(home), "HF_HUB_OFFLINE": "1", **extra_env})
    settings = load_settings(home=home, **{k[9:].lower(): v for k, v in extra_env.items()})
    code = f"from bot.cli import main; raise SystemExit(main(['index', {str(folder)!r}]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300
    while sum(record_groups(settings.record_db, store_namespace(settings)).values()) == 0:
        assert proc.poll() is None, f"index finished before it could be killed: {proc.stderr.read()!r}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert dirty_marker(settings).exists()
    start = indexed.embedder.texts_embedded
    report = index_paths([folder], settings, embedder=indexed.embedder)
    assert report.failed == []
    assert not dirty_marker(settings).exists()
    per_source = assert_consistent(settings, indexed.embedder)
    reference = open_store(indexed.settings, indexed.embedder)
    expected = {p.chunk_id for name in KILL_SUBSET for p in reference.passages_for_source(name)}
    assert set(open_store(settings, indexed.embedder).all_ids()) == expected  # == a clean run's index
    assert sum(per_source.values()) == len(expected)
    assert indexed.embedder.texts_embedded - start < len(expected)  # the killed run's batches are reused
