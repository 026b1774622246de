"""The offline answerer: the retrieved sentences that best answer the question, cited.

Sentences are scored on their own terms (no model call needed):

- the IDF-weighted share of the question's content terms they contain (rare terms and
  named entities weigh most), plus a bonus for question bigrams kept together;
- the fused retrieval score of their passage (normalised to the best passage);
- optionally, the cosine similarity of the top few candidates to the question, computed
  in one batched encode call when an encoder is given.

The chosen sentences are shown in a readable order — grouped by source (best source
first), then in document order — each with its ``[n]`` marker, and then go through the
same citation verification as LLM answers.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.evidence import IdfFn, passage_idf
from bot.sentences import content_terms, named_entities, split_sentences, terms
from bot.verify import MARKER
from core.types import Passage

EXTRACTIVE_PREFIX = "From the indexed reports (extracted):"
MAX_SENTENCES = 4
MAX_PER_PASSAGE = 2
MIN_RELATIVE = 0.6  # a sentence must score at least this share of the best one
MIN_LEXICAL = 0.12  # ...and share this much of the question's weighted terms
DENSE_CANDIDATES = 8
MAX_SENTENCE_CHARS = 600
_PRONOUN_START = re.compile(r"^(?:it|its|they|their|this|these|that|those|he|she|his|her|the group)\b", re.I)
_NOISE = re.compile(r"^\s*(?:#|\||!\[|\[\^)")

Encoder = Callable[[list[str]], list[list[float]]]


@dataclass
class Candidate:
    """One sentence of one retrieved passage."""

    passage: int  # 0-based index into the passages
    index: int  # sentence position within the passage
    text: str
    terms: frozenset[str]
    lexical: float = 0.0
    score: float = 0.0


def _clean(text: str) -> str:
    # Drop the document's own footnote markers ("[12]"): in an answer they would read as our citations.
    text = MARKER.sub("", text)
    text = re.sub(r"^\s*(?:[-*•·▪‣]|\d{1,2}[.)])\s+", "", text)
    return " ".join(text.split())


def _candidates(passages: Sequence[Passage]) -> list[Candidate]:
    out: list[Candidate] = []
    for i, p in enumerate(passages):
        for s in split_sentences(MARKER.sub("", p.text)):
            if _NOISE.match(s.text):
                continue
            text = _clean(s.text)
            if len(text) < 25 or len(text) > MAX_SENTENCE_CHARS or len(text.split()) < 4:
                continue
            out.append(Candidate(i, s.index, text, frozenset(content_terms(text))))
    return out


def _bigrams(seq: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(seq))


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(y * y for y in b)) or 1.0
    return dot / (na * nb)


def score_sentences(
    question: str,
    passages: Sequence[Passage],
    *,
    idf: IdfFn | None = None,
    encoder: Encoder | None = None,
) -> list[Candidate]:
    """Every usable sentence of ``passages`` with its score, best first."""
    cands = _candidates(passages)
    if not cands:
        return []
    weigh = idf or passage_idf(passages)
    q_seq = content_terms(question)
    q_terms = list(dict.fromkeys(q_seq))
    entity_terms = {t for e in named_entities(question) for t in terms(e)}
    weights = {t: weigh(t) * (1.5 if t in entity_terms else 1.0) for t in q_terms}
    total = sum(weights.values()) or 1.0
    q_bigrams = _bigrams(q_seq)
    scores = [p.score for p in passages]
    top_score = max(scores) if scores and max(scores) > 0 else 1.0
    for c in cands:
        c.lexical = sum(w for t, w in weights.items() if t in c.terms) / total
        bigram = 0.0
        if q_bigrams:
            bigram = min(1.0, len(q_bigrams & _bigrams(content_terms(c.text))) / 2)
        prior = max(0.0, passages[c.passage].score) / top_score
        c.score = 0.7 * c.lexical + 0.1 * bigram + 0.2 * prior
    cands.sort(key=lambda c: -c.score)
    if encoder is not None and q_terms:
        head = cands[:DENSE_CANDIDATES]
        vectors = encoder([question, *(c.text for c in head)])
        for c, vec in zip(head, vectors[1:], strict=False):
            c.score = 0.6 * c.score + 0.4 * max(0.0, _cosine(vectors[0], vec))
        cands[: len(head)] = sorted(head, key=lambda c: -c.score)
    return cands


def _near_duplicate(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return False
    return len(a & b) / len(a | b) > 0.7


def select_sentences(cands: Sequence[Candidate], *, max_sentences: int = MAX_SENTENCES) -> list[Candidate]:
    """The best sentences: close to the best score, at most two per passage, no near-duplicates."""
    if not cands or cands[0].lexical < MIN_LEXICAL:
        return []
    best = cands[0].score
    chosen: list[Candidate] = []
    per_passage: dict[int, int] = {}
    for c in cands:
        if len(chosen) >= max_sentences or c.score < MIN_RELATIVE * best:
            break
        if c.lexical < MIN_LEXICAL or per_passage.get(c.passage, 0) >= MAX_PER_PASSAGE:
            continue
        if any(_near_duplicate(c.terms, o.terms) for o in chosen):
            continue
        chosen.append(c)
        per_passage[c.passage] = per_passage.get(c.passage, 0) + 1
    return chosen


def _with_context(chosen: list[Candidate], cands: Sequence[Candidate]) -> list[Candidate]:
    """Add the sentence before one that opens with a pronoun ("It was…"), so it reads on its own."""
    by_pos = {(c.passage, c.index): c for c in cands}
    have = {(c.passage, c.index) for c in chosen}
    out = list(chosen)
    for c in chosen:
        prev = by_pos.get((c.passage, c.index - 1))
        if _PRONOUN_START.match(c.text) and prev is not None and (prev.passage, prev.index) not in have:
            out.append(prev)
            have.add((prev.passage, prev.index))
    return out


def _reading_order(chosen: list[Candidate], passages: Sequence[Passage]) -> list[list[Candidate]]:
    """Groups per source (best-scoring source first), each in document order."""
    groups: dict[str, list[Candidate]] = {}
    for c in sorted(chosen, key=lambda c: -c.score):
        groups.setdefault(passages[c.passage].source, []).append(c)

    def position(c: Candidate) -> tuple[int, int, int]:
        chunk = passages[c.passage].extra.get("chunk_index")
        order = chunk if isinstance(chunk, int) and chunk >= 0 else c.passage
        return (order, c.passage, c.index)

    return [sorted(group, key=position) for group in groups.values()]


def extractive_body(
    question: str,
    passages: Sequence[Passage],
    *,
    idf: IdfFn | None = None,
    encoder: Encoder | None = None,
    max_sentences: int = MAX_SENTENCES,
) -> str:
    """The answer body with ``[n]`` markers (n = 1-based passage position), or '' when nothing fits."""
    cands = score_sentences(question, passages, idf=idf, encoder=encoder)
    chosen = select_sentences(cands, max_sentences=max_sentences)
    if not chosen:
        return ""
    chosen = _with_context(chosen, cands)
    lines = []
    for group in _reading_order(chosen, passages):
        # Verification moves each marker before the sentence's full stop: "… sectors [1]."
        lines.append("- " + " ".join(f"{c.text} [{c.passage + 1}]" for c in group))
    return "\n".join(lines)
