"""The Chroma vector store: on disk under BRIEFBOT_HOME, or a Chroma server.

The collection is created with ``embedding_function=None`` (Chroma's default
function would download a model) and cosine distance; its metadata records the
embedding model and dimension, and opening it with another model is an
:class:`IndexMismatchError`. Vectors are always computed by our own embedder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError, EmptyIndexError, IndexMismatchError, StoreError, StoreUnavailableError
from core.settings import Settings
from core.types import Passage, SearchFilters
from indexing.records import record_to_passage, where_from_filters

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from langchain_chroma import Chroma

    from indexing.embed import Embedder

SCHEMA_VERSION = 1
_CONFIGURATION: dict[str, Any] = {"hnsw": {"space": "cosine"}}


def store_location(settings: Settings) -> str:
    """Human-readable place of the store: a folder or ``http://host:port``."""
    if settings.chroma_host:
        scheme = "https" if settings.chroma_ssl else "http"
        return f"{scheme}://{settings.chroma_host}:{settings.chroma_port}"
    return str(settings.chroma_path)


def store_namespace(settings: Settings) -> str:
    """Record-manager namespace: one per collection and store (a server and the disk never mix)."""
    if settings.chroma_host:
        server = f"{settings.chroma_host}:{settings.chroma_port}"
        where = f"{server}/{settings.chroma_tenant}/{settings.chroma_database}"
    else:
        where = "local"
    return f"{settings.collection}@{where}"


def _unavailable(settings: Settings, exc: BaseException) -> StoreUnavailableError:
    if settings.chroma_host:
        return StoreUnavailableError(
            f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
            f"({type(exc).__name__}: {exc}).",
            hint="Start it (e.g. `chroma run --path DIR --host 127.0.0.1 --port "
            f"{settings.chroma_port}`) or unset BRIEFBOT_CHROMA_HOST to use the on-disk store.",
        )
    return StoreUnavailableError(
        f"Cannot open the Chroma store at {settings.chroma_path} ({type(exc).__name__}: {exc}).",
        hint="Check that BRIEFBOT_HOME is writable, or move the folder away and run `briefbot index`.",
    )


def _is_connection_error(exc: BaseException) -> bool:
    import httpx

    text = str(exc).lower()
    return isinstance(exc, httpx.TransportError | ConnectionError) or "could not connect" in text


def _make_client(settings: Settings) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            headers: dict[str, str] = {}
            if settings.chroma_auth_token is not None and settings.chroma_auth_token.get_secret_value():
                headers["Authorization"] = f"Bearer {settings.chroma_auth_token.get_secret_value()}"
            client = chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                headers=headers or None,
                settings=chroma_settings,
                tenant=settings.chroma_tenant,
                database=settings.chroma_database,
            )
            client.heartbeat()
            return client
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(
            path=str(settings.chroma_path),
            settings=chroma_settings,
            tenant=settings.chroma_tenant,
            database=settings.chroma_database,
        )
    except Exception as exc:
        raise _unavailable(settings, exc) from None


def _as_int(value: object) -> int:
    return value if isinstance(value, int) else 0


class Store:
    """One Chroma collection plus the helpers the pipeline and the read path need."""

    def __init__(self, settings: Settings, embedder: Embedder, client: ClientAPI) -> None:
        self.settings = settings
        self.embedder = embedder
        self.client = client
        self.name = settings.collection
        self.location = store_location(settings)
        self.namespace = store_namespace(settings)
        self._collection: Collection | None = None

    # --- the collection ---------------------------------------------------------
    def _wanted_metadata(self) -> dict[str, Any]:
        return {
            "embedding_model": self.embedder.model_id,
            "embedding_dimension": self.embedder.dimension,
            "briefbot_schema": SCHEMA_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def _open_collection(self, *, verify: bool, read_only: bool = False) -> Collection:
        with self.guard():
            try:
                if read_only:
                    if self.name not in {c.name for c in self.client.list_collections()}:
                        raise EmptyIndexError(
                            f"The index is empty: nothing is indexed yet in {self.location}."
                        )
                    collection = self.client.get_collection(name=self.name, embedding_function=None)
                else:
                    collection = self.client.get_or_create_collection(
                        name=self.name,
                        embedding_function=None,
                        configuration=_CONFIGURATION,  # type: ignore[arg-type]
                        metadata=self._wanted_metadata(),
                    )
            except StoreError:
                raise
            except Exception as exc:
                if _is_connection_error(exc):
                    raise
                raise ConfigError(
                    f"Cannot use Chroma collection {self.name!r}: {exc}.",
                    hint="Set BRIEFBOT_COLLECTION to 3-512 letters, digits, '.', '_' or '-'.",
                ) from None
        if verify:
            self._verify(collection)
        return collection

    def _verify(self, collection: Collection) -> None:
        meta = dict(collection.metadata or {})
        model, dim = meta.get("embedding_model"), meta.get("embedding_dimension")
        where = f"The index {self.name!r} at {self.location}"
        if model is None:
            if collection.count() == 0:
                return
            raise IndexMismatchError(f"{where} was not built by briefbot (no embedding model recorded).")
        if model != self.embedder.model_id or dim != self.embedder.dimension:
            raise IndexMismatchError(
                f"{where} was built with embedding model {model} ({dim} dimensions), "
                f"but the configured model is {self.embedder.model_id} "
                f"({self.embedder.dimension} dimensions)."
            )
        space = (collection.configuration or {}).get("hnsw") or {}
        if isinstance(space, dict) and space.get("space") not in (None, "cosine"):
            raise IndexMismatchError(f"{where} uses {space.get('space')} distance instead of cosine.")

    @property
    def collection(self) -> Collection:
        """The Chroma collection (created on first use)."""
        if self._collection is None:
            self._collection = self._open_collection(verify=True)
        return self._collection

    @cached_property
    def vectorstore(self) -> Chroma:
        """``langchain_chroma.Chroma`` over the same client and collection, embedding with our embedder."""
        from langchain_chroma import Chroma

        collection = self.collection
        return Chroma(
            client=self.client,
            collection_name=collection.name,
            embedding_function=self.embedder,
            collection_metadata=dict(collection.metadata or {}),
            collection_configuration=_CONFIGURATION,  # type: ignore[arg-type]
        )

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn a lost server connection into :class:`StoreUnavailableError`."""
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                raise _unavailable(self.settings, exc) from None
            raise

    def reset(self) -> None:
        """Drop and recreate the collection (``briefbot index --rebuild``), even if it mismatched."""
        with self.guard():
            try:
                self.client.delete_collection(self.name)
            except Exception as exc:
                if _is_connection_error(exc):
                    raise
        self.__dict__.pop("vectorstore", None)
        self._collection = self._open_collection(verify=True)

    # --- reading ------------------------------------------------------------------
    def count(self) -> int:
        """Number of chunks in the collection."""
        with self.guard():
            return int(self.collection.count())

    def dense_search(self, query: str, k: int, filters: SearchFilters | None = None) -> list[Passage]:
        """Top ``k`` passages by cosine similarity (score = 1 − cosine distance)."""
        total = self.count()
        if total == 0:
            raise EmptyIndexError(f"The index {self.name!r} at {self.location} is empty.")
        vector = self.embedder.embed_query(query)
        with self.guard():
            result = self.collection.query(
                query_embeddings=[vector],  # type: ignore[arg-type]
                n_results=max(1, min(k, total)),
                where=where_from_filters(filters),
                include=["documents", "metadatas", "distances"],  # type: ignore[list-item]
            )
        ids = result["ids"][0]
        docs = (result.get("documents") or [[]])[0]
        metas = (result.get("metadatas") or [[]])[0]
        dists = (result.get("distances") or [[]])[0]
        passages = []
        for rank, (rid, doc, meta, dist) in enumerate(zip(ids, docs, metas, dists, strict=False), start=1):
            passage = record_to_passage(rid, doc, meta, score=1.0 - float(dist))
            passage.rank = rank
            passages.append(passage)
        return passages

    def iter_records(self, batch: int = 1000) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every record as ``(id, document, metadata)``, paged with limit/offset."""
        offset = 0
        while True:
            with self.guard():
                page = self.collection.get(limit=batch, offset=offset, include=["documents", "metadatas"])  # type: ignore[list-item]
            ids = page["ids"]
            if not ids:
                return
            docs = page.get("documents") or [""] * len(ids)
            metas = page.get("metadatas") or [{}] * len(ids)
            for rid, doc, meta in zip(ids, docs, metas, strict=False):
                yield rid, doc or "", dict(meta or {})
            if len(ids) < batch:
                return
            offset += len(ids)

    def all_ids(self, batch: int = 5000) -> list[str]:
        """Every record id (no documents or vectors are fetched)."""
        out: list[str] = []
        offset = 0
        while True:
            with self.guard():
                ids = self.collection.get(limit=batch, offset=offset, include=[])["ids"]
            out.extend(ids)
            if len(ids) < batch:
                return out
            offset += len(ids)

    def get_passages(self, ids: Sequence[str]) -> list[Passage]:
        """Passages for record ids, in the order asked; unknown ids are left out."""
        if not ids:
            return []
        with self.guard():
            page = self.collection.get(ids=list(ids), include=["documents", "metadatas"])  # type: ignore[list-item]
        found = {
            rid: record_to_passage(rid, doc, meta)
            for rid, doc, meta in zip(
                page["ids"], page.get("documents") or [], page.get("metadatas") or [], strict=False
            )
        }
        return [found[i] for i in ids if i in found]

    def passages_for_source(self, source: str) -> list[Passage]:
        """Every passage of one document, in reading order."""
        with self.guard():
            page = self.collection.get(where={"source": source}, include=["documents", "metadatas"])  # type: ignore[list-item]
        rows = sorted(
            zip(page["ids"], page.get("documents") or [], page.get("metadatas") or [], strict=False),
            key=lambda r: _as_int((r[2] or {}).get("chunk_index")),
        )
        return [record_to_passage(rid, doc, meta) for rid, doc, meta in rows]

    def list_documents(self) -> list[dict[str, Any]]:
        """One entry per indexed document: source, title, publisher, published, url, chunks."""
        docs: dict[str, dict[str, Any]] = {}
        offset, batch = 0, 5000
        while True:
            with self.guard():
                page = self.collection.get(limit=batch, offset=offset, include=["metadatas"])  # type: ignore[list-item]
            metas = page.get("metadatas") or []
            for meta in metas:
                source = str((meta or {}).get("source", ""))
                entry = docs.setdefault(
                    source,
                    {k: (meta or {}).get(k, "") for k in ("source", "title", "publisher", "published", "url")}
                    | {"chunks": 0},
                )
                entry["chunks"] += 1
            if len(page["ids"]) < batch:
                break
            offset += batch
        return sorted(docs.values(), key=lambda d: str(d["source"]))

    # --- writing ------------------------------------------------------------------
    def delete_ids(self, ids: Sequence[str]) -> None:
        """Delete records by id (in batches the server accepts)."""
        ids = list(ids)
        if not ids:
            return
        with self.guard():
            step = max(1, min(self.client.get_max_batch_size(), 5000))
            for start in range(0, len(ids), step):
                self.collection.delete(ids=ids[start : start + step])

    def stats(self) -> dict[str, Any]:
        """Chunks, model, dimension, location and collection name."""
        return {
            "chunks": self.count(),
            "model": self.embedder.model_id,
            "dimension": self.embedder.dimension,
            "location": self.location,
            "collection": self.name,
        }


def open_store(
    settings: Settings, embedder: Embedder, *, verify: bool = True, read_only: bool = False
) -> Store:
    """Connect to the configured Chroma store and open (or create) the collection.

    Raises :class:`StoreUnavailableError` when the server or folder cannot be used
    and :class:`IndexMismatchError` when the collection was built with another model
    (``verify=False`` skips that check, for ``--rebuild``). With ``read_only`` (the
    read path: questions, search, summaries of indexed documents) nothing is created:
    a missing store or collection is an :class:`EmptyIndexError`.
    """
    if read_only and not settings.chroma_host and not (settings.chroma_path / "chroma.sqlite3").is_file():
        raise EmptyIndexError(f"The index is empty: nothing is indexed yet in {settings.chroma_path}.")
    store = Store(settings, embedder, _make_client(settings))
    store._collection = store._open_collection(verify=verify, read_only=read_only)
    return store


@dataclass
class IndexStatus:
    """What `briefbot status` shows."""

    documents: int
    chunks: int
    last_indexed: str | None
    model: str
    store: str
    collection: str

    def to_json(self) -> dict[str, Any]:
        """Plain data for `--json`."""
        return asdict(self)

    def __str__(self) -> str:
        return json.dumps(self.to_json())


def index_status(settings: Settings, store: Store) -> IndexStatus:
    """Documents, chunks, last indexed time, model and store location of the index."""
    from indexing.manifest import Manifest, record_groups

    chunks = store.count()
    groups = record_groups(settings.record_db, store.namespace)
    if sum(groups.values()) == chunks:
        documents = len(groups)
    else:  # records kept elsewhere (another machine's server index): ask the store itself
        documents = len(store.list_documents()) if chunks else 0
    last = Manifest(settings.record_db, store.namespace, readonly=True).get_state("last_indexed")
    return IndexStatus(
        documents=documents,
        chunks=chunks,
        last_indexed=last,
        model=store.embedder.model_id,
        store=store.location,
        collection=store.name,
    )
