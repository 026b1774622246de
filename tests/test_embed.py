"""indexing.embed: model resolution, token limits and counts without loading, lazy batched embedding."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from core.errors import ConfigError
from core.settings import Settings, load_settings
from indexing.embed import Embedder, open_embedder, resolve_model
from tests.servers.indexing import fake_embedder


def test_default_model_resolves_to_the_bundled_package_folder() -> None:
    model_id, folder = resolve_model("bundled:all-MiniLM-L6-v2")
    assert model_id == "bundled:all-MiniLM-L6-v2"
    assert folder is not None and (folder / "tokenizer.json").is_file()


def test_unknown_bundled_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="BRIEFBOT_EMBEDDING_MODEL"):
        resolve_model("bundled:some-other-model")


def test_limits_and_dimension_are_read_without_loading_the_model(settings: Settings) -> None:
    embedder = open_embedder(settings)
    assert embedder.model_id == "bundled:all-MiniLM-L6-v2"
    assert embedder.max_tokens == 254  # max_seq_length 256 minus [CLS] and [SEP]
    assert embedder.dimension == 384
    assert embedder.count_tokens("hello world") == 2
    assert embedder.loaded is False


def test_token_counts_are_not_truncated_at_the_tokenizer_files_length(settings: Settings) -> None:
    # tokenizer.json of the bundled model carries truncation at 128; counting must ignore it.
    embedder = open_embedder(settings)
    assert embedder.count_tokens("espionage " * 300) == 300


def test_chunk_max_tokens_setting_lowers_but_never_raises_the_limit(tmp_path: Path) -> None:
    assert open_embedder(load_settings(home=tmp_path, chunk_max_tokens=100)).max_tokens == 100
    assert open_embedder(load_settings(home=tmp_path, chunk_max_tokens=5000)).max_tokens == 254


def test_a_model_folder_given_by_path_is_read_from_its_config(tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}))
    (folder / "modules.json").write_text(
        json.dumps(
            [{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
        )
    )
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 256, "pooling_mode_mean_tokens": True})
    )
    _, bundled = resolve_model("bundled:all-MiniLM-L6-v2")
    assert bundled is not None
    (folder / "tokenizer.json").write_bytes((bundled / "tokenizer.json").read_bytes())
    embedder = open_embedder(load_settings(home=tmp_path, embedding_model=str(folder)))
    assert embedder.model_id == str(folder.resolve())
    assert embedder.max_tokens == 126
    assert embedder.dimension == 256
    assert embedder.loaded is False


def test_injected_backend_embeds_in_batches_and_reports_progress(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, embedding_batch_size=2)
    embedder = Embedder(settings, backend=DeterministicFakeEmbedding(size=8), dimension=8)
    seen: list[int] = []
    with embedder.observe(seen.append):
        vectors = embedder.embed_documents([f"text {i}" for i in range(19)])
    assert len(vectors) == 19 and all(len(v) == 8 for v in vectors)
    assert seen == [8, 8, 3]  # batches of 4 x batch_size, so progress moves while embedding
    assert embedder.texts_embedded == 19
    assert embedder.loaded is True
    embedder.embed_query("a query")
    assert embedder.texts_embedded == 19  # queries are not counted as indexed texts


def test_fake_embedder_keeps_the_bundled_model_identity(settings: Settings) -> None:
    embedder = fake_embedder(settings)
    assert embedder.model_id == open_embedder(settings).model_id
    assert embedder.max_tokens == 254


@pytest.mark.slow
def test_real_model_loads_lazily_once_and_returns_unit_vectors(settings: Settings) -> None:
    embedder = open_embedder(settings)
    assert embedder.loaded is False
    docs = embedder.embed_documents(
        ["APT28 exploited Cisco routers.", "Kimsuky sent phishing mail.", "Bread recipes with rye."]
    )
    assert embedder.loaded is True
    assert all(len(v) == 384 for v in docs)
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-4) for v in docs)
    query = embedder.embed_query("Russian hackers abused network routers")
    sims = [sum(a * b for a, b in zip(query, d, strict=True)) for d in docs]
    assert sims.index(max(sims)) == 0
    model = embedder._model
    embedder.embed_documents(["again"])
    assert embedder._model is model  # loaded once per embedder
