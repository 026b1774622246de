"""How well do the retrieved passages support answering a question?

The evidence score combines three signals, each in [0, 1]:

- ``dense``: cosine similarity of the best passage to the question (the embedding view);
- ``lexical``: the IDF-weighted share of the question's content terms found in the best
  passage (the BM25 view: are the question's words, rare ones weighted most, really there?);
- ``entities``: the share of the question's named entities, acronyms and codes found in
  any retrieved passage. A question about "Nexperia" that no passage mentions cannot be
  answered, however similar the passages are about chips and espionage.

``score = dense^a · lexical^b · entities^c`` (a weighted geometric mean, so one absent
signal pulls the score down). The weights and the refusal threshold were calibrated on
``../shared/eval/dev_qa.jsonl`` with ``benchmarks/calibrate_refusal.py``; see docs/ANSWERS.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.sentences import content_terms, entity_found, named_entities, word_forms
from core.settings import Settings
from core.types import Passage

# Calibrated defaults (benchmarks/calibrate_refusal.py; docs/ANSWERS.md).
DEFAULT_REFUSAL_THRESHOLD = 0.546
WEIGHTS = {"dense": 2.0, "lexical": 0.5, "entities": 2.0}
TOP_PASSAGES = 5  # passages looked at for entity coverage

IdfFn = Callable[[str], float]


@dataclass
class Evidence:
    """The evidence behind an answer and its parts."""

    score: float
    dense: float
    lexical: float
    entities: float
    missing_entities: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain data (calibration script, debugging)."""
        return {
            "score": round(self.score, 4),
            "dense": round(self.dense, 4),
            "lexical": round(self.lexical, 4),
            "entities": round(self.entities, 4),
            "missing_entities": list(self.missing_entities),
        }


def refusal_threshold(settings: Settings) -> float:
    """The configured threshold, or the calibrated default."""
    value = settings.refusal_threshold
    return DEFAULT_REFUSAL_THRESHOLD if value is None else float(value)


def passage_idf(passages: Sequence[Passage]) -> IdfFn:
    """IDF over the retrieved passages (a stand-in when no corpus statistics are at hand)."""
    n = len(passages)
    df: dict[str, int] = {}
    for p in passages:
        for t in set(content_terms(f"{p.title} {p.text}")):
            df[t] = df.get(t, 0) + 1

    def idf(term: str) -> float:
        d = df.get(term, 0)
        return math.log(1.0 + (n - d + 0.5) / (d + 0.5))

    return idf


def corpus_idf(retriever: object) -> IdfFn | None:
    """IDF from the BM25 index behind ``retriever`` (same analyzer as :func:`content_terms`), if any.

    A term the corpus never uses gets the highest IDF: it is the rarest there is.
    """
    get_index = getattr(retriever, "lexical_index", None)
    if not callable(get_index):
        return None
    try:
        model = getattr(get_index(), "model", None)
        vocab: dict[str, int] = model.vocab_dict  # type: ignore[union-attr]
        indptr = model.scores["indptr"]  # type: ignore[union-attr]
        n = int(model.scores["num_docs"])  # type: ignore[union-attr]
    except Exception:  # no BM25 index at hand: the caller falls back to passage IDF
        return None

    def idf(term: str) -> float:
        tid = vocab.get(term)
        df = 0 if tid is None or tid + 1 >= len(indptr) else int(indptr[tid + 1] - indptr[tid])
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    return idf


def dense_similarity(p: Passage) -> float:
    """The passage's cosine similarity to the question, from the retriever's extras."""
    value = p.extra.get("dense")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return 0.0


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def assess_evidence(question: str, passages: Sequence[Passage], *, idf: IdfFn | None = None) -> Evidence:
    """Score how well ``passages`` (best first) can answer ``question``."""
    if not passages:
        return Evidence(0.0, 0.0, 0.0, 0.0, named_entities(question))
    top = list(passages[:TOP_PASSAGES])
    weigh = idf or passage_idf(top)
    q_terms = list(dict.fromkeys(content_terms(question)))
    dense = _clamp(max(dense_similarity(p) for p in top))
    lexical = 1.0
    if q_terms:
        # Corpus IDF separates answerable from unanswerable questions better than IDF among the
        # retrieved passages (dev set AUC 0.99 vs 0.92): there a term all of them share weighs nothing.
        weights = {t: weigh(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        best = 0.0
        for p in top:
            vocab = set(content_terms(f"{p.title} {p.section} {p.text}"))
            best = max(best, sum(w for t, w in weights.items() if t in vocab) / total)
        lexical = best
    entities = named_entities(question)
    missing: list[str] = []
    entity_cov = 1.0
    if entities:
        # Metadata counts: a question naming the publisher ("according to CISA") is about its documents.
        forms: set[str] = set()
        for p in top:
            forms |= word_forms(f"{p.title} {p.section} {p.publisher} {p.source} {p.text}")
        # Rare names weigh most: missing "Rheinmetall" matters more than a missing "Russian".
        weights = {e: max((weigh(t) for t in content_terms(e)), default=1.0) for e in entities}
        missing = [e for e in entities if not entity_found(e, forms)]
        entity_cov = 1.0 - sum(weights[e] for e in missing) / (sum(weights.values()) or 1.0)
    return Evidence(combine(dense, lexical, entity_cov), dense, lexical, entity_cov, missing)


def combine(dense: float, lexical: float, entities: float, weights: dict[str, float] | None = None) -> float:
    """The weighted geometric mean of the three signals (one absent signal pulls the score down)."""
    w = weights or WEIGHTS
    floor = 0.02  # keeps the logarithm defined; a zero signal still drags the score near 0
    values = {"dense": dense, "lexical": lexical, "entities": entities}
    total = sum(w.values()) or 1.0
    return math.exp(sum(w[name] * math.log(max(floor, v)) for name, v in values.items()) / total)
