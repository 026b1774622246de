"""`briefbot eval`: retrieval and answer quality on a QA file, next to a LangChain-tutorial baseline.

The QA format is that of ``../shared/eval/dev_qa.jsonl``: one JSON object per
line with ``id``, ``question``, ``answer``, ``must_contain`` (strings a supporting
passage contains; empty for unanswerable items), ``doc`` and ``kind``
(``factoid``, ``multi-hop``, ``summary``, ``unanswerable``).

Metrics (all computed by the plain functions below, so tests check the math):

- hit@1/3/5/10 and MRR of retrieval over items with ``must_contain``: a passage
  *supports* an item when it contains any of its strings (case, whitespace and
  typographic quotes ignored, :func:`core.textmatch.contains`); all@10 is the share
  of multi-string items whose strings are all found in the top 10;
- refusal recall: share of ``unanswerable`` items refused; answerable refused:
  share of the other items refused;
- citation support: over answered answerable items, the share of distinct cited
  passages that support the item;
- p50/p95 latency of a full ``ask`` (models warm).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import EmptyIndexError, InputError
from core.textmatch import contains
from core.types import Passage

if TYPE_CHECKING:
    from bot.results import Answer
    from bot.service import Briefbot

HIT_KS = (1, 3, 5, 10)
UNANSWERABLE = "unanswerable"


@dataclass(frozen=True)
class QAItem:
    """One evaluation question."""

    id: str
    question: str
    must_contain: tuple[str, ...] = ()
    answer: str = ""
    doc: str | tuple[str, ...] | None = None
    kind: str = ""

    @property
    def answerable(self) -> bool:
        """Items with strings to find; ``unanswerable`` items have none."""
        return self.kind != UNANSWERABLE and bool(self.must_contain)


def load_qa(path: Path) -> list[QAItem]:
    """Read a QA JSONL file. Raises :class:`InputError` naming the file and line of a bad entry."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(
            f"Cannot read QA file {path}: {exc.strerror or exc}.", hint="Check the path."
        ) from None
    items: list[QAItem] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            must = row.get("must_contain") or []
            if isinstance(must, str):
                must = [must]
            doc = row.get("doc")
            items.append(
                QAItem(
                    id=str(row.get("id") or f"line-{lineno}"),
                    question=str(row["question"]),
                    must_contain=tuple(str(m) for m in must),
                    answer=str(row.get("answer") or ""),
                    doc=tuple(doc) if isinstance(doc, list) else doc,
                    kind=str(row.get("kind") or ("" if must else UNANSWERABLE)),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                f"{path}:{lineno}: not a QA item ({type(exc).__name__}: {exc}).",
                hint='Each line must be a JSON object with at least "question" (and "must_contain").',
            ) from None
    if not items:
        raise InputError(
            f"{path} holds no questions.", hint="Use a JSONL file like ../shared/eval/dev_qa.jsonl."
        )
    return items


# --- metric math ---------------------------------------------------------------------


def supports(text: str, must_contain: Sequence[str]) -> bool:
    """True when ``text`` contains any of the strings (normalised match)."""
    return any(contains(text, m) for m in must_contain)


def first_hit(texts: Sequence[str], must_contain: Sequence[str]) -> int | None:
    """1-based rank of the first supporting text, or None."""
    return next((i for i, t in enumerate(texts, start=1) if supports(t, must_contain)), None)


def all_found(texts: Sequence[str], must_contain: Sequence[str]) -> bool:
    """True when every string occurs in at least one of the texts."""
    return all(any(contains(t, m) for t in texts) for m in must_contain)


def retrieval_metrics(ranks: Sequence[int | None], multi_all: Sequence[bool]) -> dict[str, Any]:
    """hit@k, MRR and all@10 from first-hit ranks (None = not in the top 10)."""
    n = len(ranks)
    out: dict[str, Any] = {"retrieval_items": n}
    for k in HIT_KS:
        out[f"hit@{k}"] = _share(sum(1 for r in ranks if r is not None and r <= k), n)
    out["mrr"] = round(sum(1.0 / r for r in ranks if r) / n, 4) if n else None
    out["all@10"] = _share(sum(multi_all), len(multi_all))
    out["multi_items"] = len(multi_all)
    return out


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile (0..1) with linear interpolation; None for no values."""
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def cited_texts(answer: Answer) -> list[str]:
    """The text of each distinct passage an answer cites (the quote when the passage is missing)."""
    by_id = {p.chunk_id: p.text for p in answer.passages}
    seen: dict[str, str] = {}
    for c in answer.citations:
        key = c.chunk_id or f"{c.source}#{c.n}"
        if key not in seen:
            seen[key] = by_id.get(c.chunk_id, "") or c.quote
    return list(seen.values())


# --- running a system -------------------------------------------------------------------


@dataclass
class ItemResult:
    """What one system did with one item."""

    id: str
    kind: str
    scored: bool = False  # took part in the retrieval metrics
    rank: int | None = None
    all_found: bool | None = None
    refused: bool | None = None
    cited: int = 0
    cited_supporting: int = 0
    ms: float | None = None
    error: str = ""


@dataclass
class SystemReport:
    """Metrics of one system plus its per-item results."""

    name: str
    metrics: dict[str, Any] = field(default_factory=dict)
    items: list[ItemResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {**self.metrics, "items": [vars(i) for i in self.items]}


def score_retrieval(
    items: Sequence[QAItem], search: Callable[[str], list[str]], depth: int
) -> list[ItemResult]:
    """Run ``search`` (question → ranked passage texts) on every answerable item."""
    results = []
    for item in items:
        if not item.answerable:
            continue
        texts = search(item.question)[:depth]
        res = ItemResult(item.id, item.kind, scored=True, rank=first_hit(texts, item.must_contain))
        if len(item.must_contain) > 1:
            res.all_found = all_found(texts, item.must_contain)
        results.append(res)
    return results


def summarize_results(name: str, results: Iterable[ItemResult]) -> SystemReport:
    """Aggregate per-item results into the report's metrics."""
    rows = list(results)
    retrieval = [r for r in rows if r.scored]
    metrics = retrieval_metrics(
        [r.rank for r in retrieval], [r.all_found for r in retrieval if r.all_found is not None]
    )
    asked = [r for r in rows if r.refused is not None]
    unans = [r for r in asked if r.kind == UNANSWERABLE]
    ans = [r for r in asked if r.kind != UNANSWERABLE]
    answered = [r for r in ans if not r.refused]
    cited = sum(r.cited for r in answered)
    latencies = [r.ms for r in asked if r.ms is not None]
    metrics.update(
        {
            "refusal_recall": _share(sum(1 for r in unans if r.refused), len(unans)),
            "answerable_refused": _share(sum(1 for r in ans if r.refused), len(ans)),
            "citation_support": _share(sum(r.cited_supporting for r in answered), cited),
            "citations": cited,
            "p50_ms": _round(percentile(latencies, 0.5)),
            "p95_ms": _round(percentile(latencies, 0.95)),
            "errors": sum(1 for r in rows if r.error),
        }
    )
    return SystemReport(name, metrics, rows)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def evaluate_briefbot(
    service: Briefbot, items: Sequence[QAItem], *, depth: int = 10, progress: Callable[[], None] | None = None
) -> SystemReport:
    """Retrieval metrics from ``service.search`` and answer metrics from ``service.ask``."""
    from bot.retrieve import split_filters
    from core.errors import BriefbotError

    if service.store.count() == 0:
        raise EmptyIndexError(
            f"The index at {service.store.location} is empty.",
        )

    def search(question: str) -> list[str]:
        text, filters = split_filters(question)
        return [p.text for p in service.search(text, k=depth, filters=filters)]

    service.ask(items[0].question)  # warm: models loaded, caches filled, before anything is timed
    by_id = {r.id: r for r in score_retrieval(items, search, depth)}
    results: list[ItemResult] = []
    for item in items:
        res = by_id.get(item.id) or ItemResult(item.id, item.kind)
        started = time.perf_counter()
        try:
            answer = service.ask(item.question)
        except BriefbotError as exc:
            res.error = str(exc)
        else:
            res.ms = (time.perf_counter() - started) * 1000.0
            res.refused = answer.refused
            if not answer.refused and item.answerable:
                texts = cited_texts(answer)
                res.cited = len(texts)
                res.cited_supporting = sum(1 for t in texts if supports(t, item.must_contain))
        results.append(res)
        if progress:
            progress()
    return summarize_results("briefbot", results)


def passages_texts(passages: Sequence[Passage]) -> list[str]:
    """Passage texts in rank order."""
    return [p.text for p in passages]
