"""The offline answerer: the retrieved sentences that best answer the question, cited.

Sentences are scored on their own terms (no model call needed):

- the IDF-weighted share of the question's content terms they contain (rare terms and
  named entities weigh most), plus a bonus for question bigrams kept together;
- the fused retrieval score of their passage (normalised to the best passage);
- whether they fill the question's answer slot (:mod:`bot.answer_slot`): the asked-for
  noun next to a new name or figure ("which **contractor**" → "contractor Guangzhou Boyu…");
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

from bot.answer_slot import AnswerSlot
from bot.evidence import IdfFn, passage_idf
from bot.sentences import GLUED_NOTE, content_terms, named_entities, numbers, split_sentences, strip_notes
from core.types import Passage

EXTRACTIVE_PREFIX = "From the indexed reports (extracted):"
MAX_SENTENCES = 4
MAX_PER_PASSAGE = 3  # a third sentence of the same passage sometimes holds the answer (docs/ANSWERS.md)
PASSAGE_BM25 = 1.0  # weight of a passage's own BM25 score when picking the passage to answer from
SECOND_PASSAGE_RELATIVE = 0.7  # a second source must be nearly as strong as the first...
SECOND_PASSAGE_GAIN = 0.25  # ...and cover this share of the question's weighted terms the first lacks
SLOT_BONUS = 1.0  # a sentence that fills the answer slot outranks restatements (docs/ANSWERS.md)
MIN_RELATIVE = 0.6  # a sentence must score at least this share of the best one
MIN_LEXICAL = 0.12  # ...and share this much of the question's weighted terms
DENSE_CANDIDATES = 8
MAX_SENTENCE_CHARS = 600
_PRONOUN_START = re.compile(r"^(?:it|its|they|their|this|these|that|those|he|she|his|her|the group)\b", re.I)
_NUMBER_QUESTION = re.compile(
    r"\b(?:how (?:many|much|long|old|large|big|often|soon|quickly|fast|far)|what (?:share|percentage|percent|"
    r"proportion|year|date|month|amount|number)|when|which year|in what year)\b",
    re.IGNORECASE,
)
_NAME_QUESTION = re.compile(
    r"\b(?:who|whom|which|what (?:group|company|unit|contractor|agency|organi[sz]ation|country|university|"
    r"actor|service|malware|tool|machine|equipment|firm|vendor|name))\b",
    re.IGNORECASE,
)
_NOISE = re.compile(r"^\s*(?:#|\||!\[|\[\^|Retrieved\b)|https?://|www\.\w|[\w.+-]+@[\w-]+\.\w", re.IGNORECASE)

Encoder = Callable[[list[str]], list[list[float]]]


@dataclass
class Candidate:
    """One sentence of one retrieved passage."""

    passage: int  # 0-based index into the passages
    index: int  # sentence position within the passage
    text: str
    terms: frozenset[str]
    lexical: float = 0.0
    window: float = 0.0  # lexical share of this sentence together with the one before it
    slot: bool = False  # fills the question's answer slot (bot.answer_slot)
    score: float = 0.0


def _clean(text: str) -> str:
    # Drop the document's own footnote markers ("[12]"): in an answer they would read as our citations.
    text = strip_notes(text)
    text = re.sub(r"^\s*(?:[-*•·▪‣]|\d{1,2}[.)])\s+", "", text)
    return GLUED_NOTE.sub(".", " ".join(text.split()))


def _candidates(passages: Sequence[Passage]) -> tuple[list[Candidate], dict[tuple[int, int], frozenset[str]]]:
    """Usable sentences, and the terms of every sentence by (passage, index) for context windows."""
    out: list[Candidate] = []
    all_terms: dict[tuple[int, int], frozenset[str]] = {}
    for i, p in enumerate(passages):
        for s in split_sentences(strip_notes(p.text)):
            text = _clean(s.text)
            all_terms[(i, s.index)] = frozenset(content_terms(text))
            if _NOISE.search(s.text) or len(text) < 25 or len(text) > MAX_SENTENCE_CHARS:
                continue
            # Verification re-splits the answer: keep only text that reads as exactly one sentence.
            if len(text.split()) < 4 or len(split_sentences(text)) != 1:
                continue
            out.append(Candidate(i, s.index, text, all_terms[(i, s.index)]))
    return out, all_terms


def _bigrams(seq: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(seq))


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(y * y for y in b)) or 1.0
    return dot / (na * nb)


def answer_kind(question: str) -> str:
    """'number' (how many, when, what share…), 'name' (who, which group…) or '' for other questions."""
    if _NUMBER_QUESTION.search(question):
        return "number"
    if _NAME_QUESTION.search(question):
        return "name"
    return ""


def _type_bonus(kind: str, text: str, q_numbers: set[str], q_entities: set[str]) -> float:
    if kind == "number":
        return 1.0 if numbers(text) - q_numbers else 0.0
    if kind == "name":
        return 1.0 if {e.lower() for e in named_entities(text)} - q_entities else 0.0
    return 0.0


def score_sentences(
    question: str,
    passages: Sequence[Passage],
    *,
    idf: IdfFn | None = None,
    encoder: Encoder | None = None,
) -> list[Candidate]:
    """Every usable sentence of ``passages`` with its score, best first.

    score = 0.55·lexical + 0.15·window + 0.1·bigrams + 0.1·passage prior + 0.1·answer type
    + SLOT_BONUS·slot, where lexical is the IDF-weighted share of question terms in the sentence,
    window the same share for the sentence together with the one before it (an answer often
    continues its context: "This included…"), answer type rewards a figure for "how many"
    questions and a new name for "which group" ones, and slot is :meth:`bot.answer_slot.AnswerSlot.filled_by`.
    """
    cands, all_terms = _candidates(passages)
    if not cands:
        return []
    weigh = idf or passage_idf(passages)
    q_seq = content_terms(question)
    q_terms = list(dict.fromkeys(q_seq))
    q_entity_names = named_entities(question)
    entity_terms = {t for e in q_entity_names for t in content_terms(e)}
    weights = {t: weigh(t) * (1.5 if t in entity_terms else 1.0) for t in q_terms}
    total = sum(weights.values()) or 1.0
    q_bigrams = _bigrams(q_seq)
    kind = answer_kind(question)
    q_numbers = numbers(question)
    q_entities = {e.lower() for e in q_entity_names}
    slot = AnswerSlot.of(question, kind)
    scores = [p.score for p in passages]
    top_score = max(scores) if scores and max(scores) > 0 else 1.0

    def share(found: frozenset[str]) -> float:
        return sum(w for t, w in weights.items() if t in found) / total

    for c in cands:
        c.lexical = share(c.terms)
        c.window = window = share(c.terms | all_terms.get((c.passage, c.index - 1), frozenset()))
        bigram = min(1.0, len(q_bigrams & _bigrams(content_terms(c.text))) / 2) if q_bigrams else 0.0
        prior = max(0.0, passages[c.passage].score) / top_score
        bonus = _type_bonus(kind, c.text, q_numbers, q_entities)
        c.slot = slot.filled_by(c.text)
        c.score = 0.55 * c.lexical + 0.15 * window + 0.1 * bigram + 0.1 * prior + 0.1 * bonus
        c.score += SLOT_BONUS * c.slot
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


def _passage_strength(cands: Sequence[Candidate], passages: Sequence[Passage]) -> dict[int, float]:
    """Per passage: its best sentence score plus a share of its (normalised) BM25 score."""
    bm25 = [float(p.extra.get("bm25") or 0.0) for p in passages]
    top_bm25 = max(bm25) if bm25 and max(bm25) > 0 else 1.0
    strength: dict[int, float] = {}
    for c in cands:
        strength[c.passage] = max(strength.get(c.passage, 0.0), c.score)
    return {i: v + PASSAGE_BM25 * bm25[i] / top_bm25 for i, v in strength.items()}


def _base_score(c: Candidate) -> float:
    return c.score - SLOT_BONUS * c.slot


def _passage_terms(p: Passage) -> set[str]:
    return set(content_terms(f"{p.title} {p.section} {p.publisher} {p.text}"))


def select_sentences(
    cands: Sequence[Candidate],
    passages: Sequence[Passage],
    weights: dict[str, float],
    *,
    max_sentences: int = MAX_SENTENCES,
) -> list[Candidate]:
    """The best sentences of the strongest passage, plus a second passage only when it covers
    question terms the first passage (all of it, not just the chosen sentences) does not, as in
    a two-part question, and scores nearly as well.

    Citing few passages keeps every citation to the point (the eval's citation support).
    """
    usable = [c for c in cands if max(c.lexical, c.window) >= MIN_LEXICAL]
    if not usable:
        return []
    strength = _passage_strength(usable, passages)
    order = sorted(strength, key=lambda i: -strength[i])
    main = order[0]
    chosen: list[Candidate] = []

    def take(passage: int, limit: int) -> None:
        own = [c for c in usable if c.passage == passage]
        # Relative to the best sentence's score without the slot bonus, so that the sentences
        # setting the scene for a slot-filling answer still come with it.
        best = max(_base_score(c) for c in own)
        for c in own:
            if limit <= 0 or len(chosen) >= max_sentences:
                break
            if not c.slot and c.score < MIN_RELATIVE * best:
                continue
            if any(_near_duplicate(c.terms, o.terms) for o in chosen):
                continue
            chosen.append(c)
            limit -= 1

    take(main, MAX_PER_PASSAGE)
    # The main passage establishes the topic even where its chosen sentences do not repeat it.
    covered = _passage_terms(passages[main]) & set(weights)
    total = sum(weights.values()) or 1.0
    for other in order[1:]:
        if strength[other] < SECOND_PASSAGE_RELATIVE * strength[main]:
            break
        gain = sum(weights[t] for t in set(weights) - covered if t in _passage_terms(passages[other]))
        if gain / total >= SECOND_PASSAGE_GAIN:
            take(other, 1)
            break
    return chosen


def _with_context(chosen: list[Candidate], cands: Sequence[Candidate]) -> list[Candidate]:
    """Add the sentence before one that opens with a pronoun ("It was…") or that was chosen for
    what its predecessor says, so that it reads on its own."""
    by_pos = {(c.passage, c.index): c for c in cands}
    have = {(c.passage, c.index) for c in chosen}
    out = list(chosen)
    for c in chosen:
        prev = by_pos.get((c.passage, c.index - 1))
        leans_back = _PRONOUN_START.match(c.text) or c.lexical < MIN_LEXICAL
        if leans_back and prev is not None and (prev.passage, prev.index) not in have:
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


def extract(
    question: str,
    passages: Sequence[Passage],
    *,
    idf: IdfFn | None = None,
    encoder: Encoder | None = None,
    max_sentences: int = MAX_SENTENCES,
) -> tuple[str, dict[int, str]]:
    """The answer body with ``[n]`` markers (n = 1-based passage position), or '' when nothing
    fits, and per cited passage (0-based) its best sentence: the quote to show for that source."""
    cands = score_sentences(question, passages, idf=idf, encoder=encoder)
    weigh = idf or passage_idf(passages)
    weights = {t: weigh(t) for t in dict.fromkeys(content_terms(question))}
    chosen = select_sentences(cands, passages, weights, max_sentences=max_sentences)
    if not chosen:
        return "", {}
    quotes: dict[int, str] = {}
    for c in chosen:  # best first, before context sentences join
        quotes.setdefault(c.passage, c.text)
    chosen = _with_context(chosen, cands)
    lines = []
    for group in _reading_order(chosen, passages):
        # Verification moves each marker before the sentence's full stop: "… sectors [1]."
        lines.append("- " + " ".join(f"{c.text} [{c.passage + 1}]" for c in group))
    return "\n".join(lines), quotes


def extractive_body(
    question: str,
    passages: Sequence[Passage],
    *,
    idf: IdfFn | None = None,
    encoder: Encoder | None = None,
    max_sentences: int = MAX_SENTENCES,
) -> str:
    """The answer body of :func:`extract` alone."""
    return extract(question, passages, idf=idf, encoder=encoder, max_sentences=max_sentences)[0]
