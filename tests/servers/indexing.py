"""Helpers for indexing tests: fake-embedding embedders, tiny corpora, index inspection.

``fake_embedder`` keeps the bundled model's id, tokenizer and dimension but embeds
with LangChain's ``DeterministicFakeEmbedding``, so pipeline logic is tested in
seconds; tests that need real vectors use ``open_embedder`` and are marked slow.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from core.settings import Settings, load_settings
from indexing.embed import Embedder
from indexing.pipeline import IndexReport


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
