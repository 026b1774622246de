"""Extractive summaries in bounded memory: streaming sentence selection over embeddings.

The document is read as a stream of sentence units (:mod:`bot.summarize_units`)
and embedded in batches. Nothing proportional to the document's length is
kept: a running sum of all sentence vectors (the document centroid), the
sentences of the current block (one section on one page, at most
:data:`~bot.summarize_units.MAX_BLOCK_UNITS`), and a pool of candidate groups
of at most :data:`POOL_CAP` sentences. A short document fits the pool whole.
When the pool outgrows its cap, whole blocks are cut to their best few
sentences, then neighbouring groups are merged (narrowest pair first) and
re-selected, so the pool stays bounded while every part of the document keeps
representatives (coverage).

The final selection is MMR (maximal marginal relevance) against the final
centroid and, with ``focus``, the focus query: relevance minus redundancy with
what is already chosen, plus a bonus for parts of the document not yet
covered. The chosen sentences are returned in reading order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bot.summarize_units import Target, Unit

Vector = npt.NDArray[np.float32]
EmbedFn = Callable[[list[str]], npt.NDArray[np.float32]]

BATCH = 64
PER_BLOCK = 3
POOL_CAP = 256
FOCUS_WEIGHT = 0.6
MMR_LAMBDA = 0.7
COVERAGE_BONUS = 0.04
LEAD_BONUS = (0.12, 0.06)
"""Bonus for the first sentences of a document, which state its subject (news leads, report abstracts)."""
DANGLING_PENALTY = 0.05
"""Penalty for a sentence that leans on the one before ("This includes…", "However, …") out of context."""
_DANGLING = re.compile(
    r"^(this|these|that|those|it|its|they|their|he|she|such|additionally|furthermore|moreover|however|"
    r"also|in addition|meanwhile|similarly|likewise|therefore|thus)\b",
    re.IGNORECASE,
)
DUPLICATE = 0.92


@dataclass(slots=True)
class Candidate:
    """A sentence kept for the final selection, with its unit-length vector."""

    unit: Unit
    vec: Vector
    ordinal: int = 0  # position among the document's non-junk sentences


@dataclass
class _Group:
    """The candidates kept for a run of neighbouring blocks; ``span`` counts the blocks."""

    cands: list[Candidate]
    span: int = 1


@dataclass
class _State:
    dim: int = 0
    total: npt.NDArray[np.float64] | None = None
    seen: int = 0
    last_index: int = 0
    block: list[Candidate] = field(default_factory=list)
    groups: list[_Group] = field(default_factory=list)
    pooled: int = 0


def _unit_rows(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: npt.NDArray[np.float32] = (matrix / norms).astype(np.float32, copy=False)
    return out


def _direction(vec: npt.NDArray[np.floating] | None) -> Vector | None:
    if vec is None:
        return None
    norm = float(np.linalg.norm(vec))
    return (vec / norm).astype(np.float32) if norm > 0 else None


def relevance(
    vecs: npt.NDArray[np.float32], centroid: Vector | None, focus: Vector | None
) -> npt.NDArray[np.float32]:
    """Similarity to the document centroid, blended with similarity to the focus query when given."""
    n = vecs.shape[0]
    central = vecs @ centroid if centroid is not None else np.zeros(n, dtype=np.float32)
    if focus is None:
        return central.astype(np.float32)
    return ((1 - FOCUS_WEIGHT) * central + FOCUS_WEIGHT * (vecs @ focus)).astype(np.float32)


def prior(c: Candidate) -> float:
    """Position and form: a bonus for a document's lead sentences, a penalty for dangling openers."""
    lead = LEAD_BONUS[c.ordinal] if c.ordinal < len(LEAD_BONUS) else 0.0
    return lead - (DANGLING_PENALTY if _DANGLING.match(c.unit.text) else 0.0)


def mmr(
    cands: Sequence[Candidate],
    scores: npt.NDArray[np.float32],
    k: int,
    *,
    bonus: Callable[[Candidate, list[Candidate]], float] | None = None,
    accept: Callable[[Candidate, list[Candidate]], bool] | None = None,
) -> list[Candidate]:
    """Up to ``k`` candidates by maximal marginal relevance.

    ``bonus`` adds a coverage term given what is chosen; ``accept`` may refuse a
    candidate (e.g. over the word budget) without ending the selection.
    """
    if not cands or k <= 0:
        return []
    vecs = np.stack([c.vec for c in cands])
    chosen: list[int] = []
    max_sim = np.full(len(cands), -1.0, dtype=np.float32)
    blocked = np.zeros(len(cands), dtype=bool)
    while len(chosen) < k:
        best, best_score = -1, -np.inf
        picked = [cands[i] for i in chosen]
        for i in range(len(cands)):
            if blocked[i]:
                continue
            redundancy = max(float(max_sim[i]), 0.0) if chosen else 0.0
            score = MMR_LAMBDA * float(scores[i]) - (1 - MMR_LAMBDA) * redundancy
            if bonus is not None:
                score += bonus(cands[i], picked)
            if score > best_score:
                best, best_score = i, score
        if best < 0:
            break
        blocked[best] = True
        if accept is not None and not accept(cands[best], picked):
            continue
        chosen.append(best)
        sims = vecs @ vecs[best]
        np.maximum(max_sim, sims, out=max_sim)
        blocked |= sims >= DUPLICATE
    return [cands[i] for i in chosen]


class StreamingSelector:
    """Feeds on embedded units one batch at a time; keeps memory bounded; selects at the end."""

    def __init__(
        self,
        focus: Vector | None = None,
        *,
        per_block: int = PER_BLOCK,
        pool_cap: int = POOL_CAP,
    ) -> None:
        self.focus = _direction(focus)
        self.per_block = per_block
        self.pool_cap = max(pool_cap, 4 * per_block)
        self.state = _State()

    @property
    def sentences_seen(self) -> int:
        """Non-junk sentences embedded so far."""
        return self.state.seen

    @property
    def candidates(self) -> int:
        """Sentences currently held (pool plus the open block): bounded by the pool cap."""
        return self.state.pooled + len(self.state.block)

    def add(self, units: Sequence[Unit], vecs: npt.NDArray[np.float32]) -> None:
        """Take one embedded batch (units in reading order, one row per unit)."""
        st = self.state
        rows = _unit_rows(np.asarray(vecs, dtype=np.float32))
        if st.total is None:
            st.dim = rows.shape[1]
            st.total = np.zeros(st.dim, dtype=np.float64)
        for unit, vec in zip(units, rows, strict=True):
            if st.block and unit.block != st.block[-1].unit.block:
                self._close_block()
            st.block.append(Candidate(unit, vec.copy(), st.seen))
            st.total += vec
            st.seen += 1
            st.last_index = max(st.last_index, unit.index)

    def _close_block(self) -> None:
        """The open block becomes a group of the pool, whole; the pool is compacted when over its cap."""
        st = self.state
        block, st.block = st.block, []
        if not block:
            return
        st.groups.append(_Group(block))
        st.pooled += len(block)
        if st.pooled > self.pool_cap:
            self._compact()

    def _prune(self, cands: list[Candidate], *, local: bool) -> list[Candidate]:
        """The best :attr:`per_block` of ``cands`` by MMR (with the block's own centre when ``local``)."""
        vecs = np.stack([c.vec for c in cands])
        scores = relevance(vecs, _direction(self.state.total), self.focus)
        centre = _direction(vecs.sum(axis=0)) if local else None
        if centre is not None:
            scores = (0.5 * scores + 0.5 * (vecs @ centre)).astype(np.float32)
        kept = mmr(cands, scores, self.per_block, bonus=lambda c, _: prior(c))
        return sorted(kept, key=lambda c: c.unit.index)

    def _compact(self) -> None:
        """Shrink the pool to three quarters of its cap.

        Whole blocks (oldest first) are cut to their best few sentences; then
        neighbouring groups are merged, the pair covering the fewest blocks
        first, so groups keep roughly equal spans and the pool stays spread
        evenly over the document.
        """
        st = self.state
        goal = self.pool_cap * 3 // 4
        for group in st.groups:
            if st.pooled <= goal:
                return
            if len(group.cands) > self.per_block and group.span == 1:
                kept = self._prune(group.cands, local=True)
                st.pooled += len(kept) - len(group.cands)
                group.cands = kept
        while st.pooled > goal and len(st.groups) > 1:
            i = min(range(len(st.groups) - 1), key=lambda j: st.groups[j].span + st.groups[j + 1].span)
            left, right = st.groups[i], st.groups[i + 1]
            kept = self._prune(left.cands + right.cands, local=False)
            st.groups[i : i + 2] = [_Group(kept, left.span + right.span)]
            st.pooled += len(kept) - len(left.cands) - len(right.cands)

    def select(self, target: Target) -> list[Unit]:
        """The summary sentences for ``target``, in reading order."""
        self._close_block()
        st = self.state
        pool = [c for g in st.groups for c in g.cands]
        if not pool:
            return []
        vecs = np.stack([c.vec for c in pool])
        scores = relevance(vecs, _direction(st.total), self.focus)
        regions = max(1, target.points)
        span = max(st.last_index + 1, 1)

        def region(c: Candidate) -> int:
            return min(regions - 1, c.unit.index * regions // span)

        def bonus(c: Candidate, picked: list[Candidate]) -> float:
            covered_region = any(region(p) == region(c) for p in picked)
            covered_section = any(p.unit.section == c.unit.section for p in picked)
            return prior(c) + COVERAGE_BONUS * ((not covered_region) + 0.5 * (not covered_section))

        used = [0]

        def accept(c: Candidate, picked: list[Candidate]) -> bool:
            n = len(c.unit.text.split())
            if picked and used[0] + n > target.words * 1.1:
                return False
            used[0] += n
            return True

        chosen = mmr(pool, scores, target.points, bonus=bonus, accept=accept)
        return [c.unit for c in sorted(chosen, key=lambda c: c.unit.index)]


def select_sentences(
    units: Iterable[Unit],
    embed: EmbedFn,
    target: Target,
    *,
    focus: Vector | None = None,
    batch: int = BATCH,
    pool_cap: int = POOL_CAP,
) -> list[Unit]:
    """Stream ``units`` through ``embed`` in batches and select the summary sentences."""
    selector = StreamingSelector(focus, pool_cap=pool_cap)
    buffer: list[Unit] = []
    for unit in units:
        buffer.append(unit)
        if len(buffer) >= batch:
            selector.add(buffer, embed([u.text for u in buffer]))
            buffer = []
    if buffer:
        selector.add(buffer, embed([u.text for u in buffer]))
    return selector.select(target)
