"""Pure functions of hybrid retrieval: rank fusion and near-duplicate collapsing.

Kept apart from :mod:`bot.retrieve` (which talks to Chroma and BM25) so the
math is unit-tested on plain data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from indexing.lexical import raw_tokens


@dataclass
class Candidate:
    """One passage seen by at least one retriever, with both scores when known."""

    chunk_id: str
    dense: float | None = None  # cosine similarity to the query
    bm25: float = 0.0
    dense_rank: int | None = None  # 1-based among all candidates (by exact score)
    bm25_rank: int | None = None
    fused: float = 0.0
    tokens: frozenset[str] = field(default_factory=frozenset)
    dense_trusted: bool = True  # False: the embedding model cannot compare this passage's language


def exact_ranks(scores: Mapping[str, float | None], *, positive_only: bool = False) -> dict[str, int]:
    """1-based ranks by descending score; ids without a score (or ≤ 0 with ``positive_only``) get none."""
    usable = [(cid, s) for cid, s in scores.items() if s is not None and (not positive_only or s > 0.0)]
    usable.sort(key=lambda item: (-item[1], item[0]))
    return {cid: rank for rank, (cid, _) in enumerate(usable, start=1)}


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def fuse(
    candidates: Sequence[Candidate],
    *,
    method: str = "zscore",
    dense_weight: float = 0.4,
    bm25_weight: float = 0.6,
    rrf_k: int = 60,
) -> list[Candidate]:
    """Combine dense and BM25 evidence into ``fused``; returns the candidates best first.

    Every candidate's dense similarity and BM25 score are known exactly (not only
    for the retriever that found it), so both methods work on the union of the
    two candidate lists:

    - ``zscore`` (default): each score is standardised over the candidates and
      ``fused = (wd·z_dense + wb·z_bm25) / (wd + wb)``; unlike rank fusion it keeps
      how far ahead a passage is, which measured better on the dev set. A passage
      whose dense similarity is not trusted (``dense_trusted=False``: a Dutch passage
      under an English-only embedding model) is scored by its BM25 z-score alone.
    - ``rrf``: weighted reciprocal rank fusion, ``fused = Σ w / (rrf_k + rank)``;
      a passage without any BM25 term match gets no BM25 contribution.
    """
    if not candidates:
        return []
    dense_ranks = exact_ranks({c.chunk_id: c.dense for c in candidates})
    bm25_ranks = exact_ranks({c.chunk_id: c.bm25 for c in candidates}, positive_only=True)
    for c in candidates:
        c.dense_rank = dense_ranks.get(c.chunk_id)
        c.bm25_rank = bm25_ranks.get(c.chunk_id)
    if method == "rrf":
        for c in candidates:
            c.fused = 0.0
            if c.dense_rank is not None and c.dense_trusted:
                c.fused += dense_weight / (rrf_k + c.dense_rank)
            if c.bm25_rank is not None:
                c.fused += bm25_weight / (rrf_k + c.bm25_rank)
    else:
        total = (dense_weight + bm25_weight) or 1.0
        trusted = [c.dense for c in candidates if c.dense is not None and c.dense_trusted]
        mean_d, std_d = _mean_std(trusted)
        mean_b, std_b = _mean_std([c.bm25 for c in candidates])
        for c in candidates:
            zb = (c.bm25 - mean_b) / std_b if std_b > 1e-9 else 0.0
            if not c.dense_trusted:
                c.fused = zb  # no usable dense evidence: BM25 speaks alone
                continue
            dense = c.dense if c.dense is not None else min(trusted, default=0.0)
            zd = (dense - mean_d) / std_d if std_d > 1e-9 else 0.0
            c.fused = (dense_weight * zd + bm25_weight * zb) / total
    return sorted(candidates, key=lambda c: (-c.fused, c.dense_rank or 10**9, c.chunk_id))


def token_set(text: str) -> frozenset[str]:
    """The set of folded word tokens of a passage (for duplicate detection)."""
    return frozenset(raw_tokens(text))


def is_near_duplicate(a: frozenset[str], b: frozenset[str], *, same_doc: bool) -> bool:
    """True when two passages say the same thing.

    Within one document (overlapping or repeated chunks) a Jaccard overlap of
    0.8 suffices; across documents (the same article indexed twice, a syndicated
    copy) the smaller passage must be 90 % contained in the larger one.
    """
    if not a or not b:
        return False
    inter = len(a & b)
    if same_doc and inter / len(a | b) >= 0.8:
        return True
    return inter / min(len(a), len(b)) >= 0.9 and min(len(a), len(b)) >= 8


def collapse_duplicates(
    ordered: Sequence[Candidate], doc_of: Mapping[str, str], limit: int
) -> tuple[list[Candidate], dict[str, list[str]]]:
    """Keep the first of each group of near-duplicates, up to ``limit`` passages.

    Returns the kept candidates (order preserved) and, per kept id, the ids it absorbed.
    """
    kept: list[Candidate] = []
    absorbed: dict[str, list[str]] = {}
    for cand in ordered:
        if len(kept) >= limit:
            break
        twin = next(
            (
                k
                for k in kept
                if is_near_duplicate(
                    cand.tokens, k.tokens, same_doc=doc_of.get(cand.chunk_id) == doc_of.get(k.chunk_id)
                )
            ),
            None,
        )
        if twin is None:
            kept.append(cand)
        else:
            absorbed.setdefault(twin.chunk_id, []).append(cand.chunk_id)
    return kept, absorbed
