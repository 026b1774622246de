"""Citation verification for answers in both modes (extractive and LLM).

Rules, applied sentence by sentence:

- every ``[n]`` marker (also ``[n, m]``, ``[n-m]``, ``[n][m]``, ``[passage n]``) must name a
  passage that was given; other markers are removed;
- a cited passage must actually share the sentence's content (a minimum share of its
  content words, title and section included); a citation that does not is removed;
- a figure written in the sentence must occur in one of its supporting passages;
- a quoted span ("…") must occur in one of the sentence's supporting passages
  (:func:`core.textmatch.contains`, whitespace- and quote-normalised);
- a sentence left without valid support, or with an unsupported quote or figure, is dropped.

The kept passages are renumbered 1..N in order of first use, and each becomes a
:class:`~bot.results.Citation` carrying its supporting quote: the model's own verified
quote, or else the passage sentence that best matches the sentences citing it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.results import Citation, RemovedCitation
from bot.sentences import content_terms, numbers, split_sentences, strip_notes
from core.textmatch import contains, normalize
from core.types import Passage

MIN_SUPPORT = 0.3  # share of a sentence's content terms its cited passage must contain
MAX_QUOTE_CHARS = 400

MARKER = re.compile(
    r"\[\s*(?:(?:passages?|sources?|docs?|documents?|refs?)\s*)?"
    r"(\d{1,4}(?:\s*(?:,|;|-|–|and)\s*\d{1,4})*)\s*\]",
    re.IGNORECASE,
)
# "claim. [1] Next" and "claim.[1]" → "claim [1]. Next": a marker after the full stop is that sentence's.
_TRAILING = re.compile(r"([.!?])((?:\s*\[[^\]\n]{1,40}\])+)(?=\s|$)")
_QUOTE = re.compile(r"[\"“”„]([^\"“”„\n]{3,}?)[\"“”„]")
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")


@dataclass
class Verified:
    """The outcome of verification."""

    text: str
    citations: list[Citation]
    removed: list[RemovedCitation]
    used: list[int]  # 0-based indexes of the cited passages, in citation order
    kept_sentences: int = 0
    dropped_sentences: int = 0
    quotes: dict[int, str] = field(default_factory=dict)


def _numbers_in(marker_body: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", marker_body):
        if re.fullmatch(r"\d+\s*[-–]\s*\d+", part):
            lo, hi = (int(x) for x in re.split(r"\s*[-–]\s*", part))
            if 0 < hi - lo < 20:
                out.extend(range(lo, hi + 1))
                continue
            out.extend((lo, hi))
        elif part.strip().isdigit():
            out.append(int(part))
    return out


def _passage_terms(p: Passage) -> set[str]:
    return set(content_terms(f"{p.title}\n{p.section}\n{p.text}"))


def _support(claim_terms: set[str], passage_terms: set[str]) -> float:
    if not claim_terms:
        return 1.0
    return len(claim_terms & passage_terms) / len(claim_terms)


def _quote_found(passage: Passage, quote: str) -> bool:
    pieces = [q.strip(" .,;:!?") for q in re.split(r"\.\.\.|…|\[\.\.\.\]", quote)]
    pieces = [q for q in pieces if len(q) >= 3]
    # Documents carry their own footnote markers ("[12]"); a quote may span one that the model dropped.
    bare = strip_notes(passage.text)
    return bool(pieces) and all(contains(passage.text, q) or contains(bare, q) for q in pieces)


def best_sentence(passage: Passage, claim: str) -> str:
    """The passage sentence that best matches ``claim`` (verbatim from the passage)."""
    sentences = split_sentences(strip_notes(passage.text))
    if not sentences:
        return passage.text.strip()[:MAX_QUOTE_CHARS]
    claim_terms = set(content_terms(claim))
    best = max(sentences, key=lambda s: (len(claim_terms & set(content_terms(s.text))), -s.index))
    return _clip(best.text)


def _clip(text: str) -> str:
    if len(text) <= MAX_QUOTE_CHARS:
        return text
    cut = text[:MAX_QUOTE_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


def _tidy(sentence: str) -> str:
    sentence = _SPACES.sub(" ", sentence)
    sentence = _SPACE_BEFORE_PUNCT.sub(r"\1", sentence)
    return sentence.strip()


def verify_answer(
    text: str,
    passages: Sequence[Passage],
    *,
    min_support: float = MIN_SUPPORT,
    preferred_quotes: Mapping[int, str] | None = None,
) -> Verified:
    """Check every citation of ``text`` against ``passages`` (numbered from 1 as the model saw them).

    ``preferred_quotes`` (by 0-based passage) name the sentence to show for a source when the
    answer quotes none itself, e.g. the extractive answer's best sentence; a preferred quote that
    does not occur in its passage is ignored.
    """
    count = len(passages)
    p_terms = [_passage_terms(p) for p in passages]
    p_numbers = [numbers(f"{p.title} {p.text}") for p in passages]
    text = _TRAILING.sub(lambda m: f" {m.group(2).strip()}{m.group(1)}", text.strip())
    removed: list[RemovedCitation] = []
    kept: list[tuple[str, str, list[int]]] = []  # (separator before, sentence with placeholders, passages)
    order: list[int] = []
    quotes: dict[int, str] = {}
    claims: dict[int, list[str]] = {}
    dropped = 0
    prev_end = 0
    for sent in split_sentences(text):
        gap = text[prev_end : sent.start]
        prev_end = sent.end
        sep = "\n\n" if gap.count("\n") >= 2 else ("\n" if "\n" in gap else " ")
        raw = sent.text
        claim = _tidy(MARKER.sub(" ", raw))
        claim_terms = set(content_terms(claim))
        cited: list[int] = []
        for m in MARKER.finditer(raw):
            for n in _numbers_in(m.group(1)):
                if not 1 <= n <= count:
                    removed.append(
                        RemovedCitation(
                            f"[{n}]", f"no passage [{n}] was given (only 1–{count})", claim.strip()
                        )
                    )
                elif n - 1 not in cited:
                    cited.append(n - 1)
        supported: list[int] = []
        for i in cited:
            if _support(claim_terms, p_terms[i]) >= min_support:
                supported.append(i)
            else:
                removed.append(
                    RemovedCitation(
                        f"[{i + 1}]",
                        f"passage [{i + 1}] does not contain what the sentence says",
                        claim.strip(),
                    )
                )
        reason = ""
        if not claim_terms and not numbers(claim):
            reason = "nothing but a citation marker" if MARKER.search(raw) else "no content"
        elif not supported:
            reason = "no citation" if not cited and not MARKER.search(raw) else "no valid citation left"
        else:
            figures = numbers(claim) - set().union(*(p_numbers[i] for i in supported))
            if figures:
                reason = f"figure {sorted(figures)[0]} does not occur in the cited passages"
            for q in _QUOTE.findall(claim):
                holders = [i for i in supported if _quote_found(passages[i], q)]
                if not holders:
                    reason = f"quoted text not found in the cited passages: “{q.strip()[:80]}”"
                    break
                quotes.setdefault(holders[0], q.strip())
        if reason:
            dropped += 1
            markers = "".join(f"[{i + 1}]" for i in cited) or "-"
            removed.append(RemovedCitation(markers, f"sentence dropped: {reason}", claim.strip()))
            continue
        for i in supported:
            if i not in order:
                order.append(i)
            claims.setdefault(i, []).append(claim)
        kept.append((sep, raw, supported))
    renumber = {old: new + 1 for new, old in enumerate(order)}
    parts: list[str] = []
    for sep, raw, supported in kept:

        def _rewrite(m: re.Match[str], keep: list[int] = supported) -> str:
            wanted = [n - 1 for n in _numbers_in(m.group(1)) if n - 1 in keep]
            return "".join(f"[{renumber[i]}]" for i in dict.fromkeys(wanted))

        body = MARKER.sub(_rewrite, raw)
        parts.append(sep if parts else "")
        parts.append(_tidy(body))
    citations = []
    for i in order:
        p = passages[i]
        preferred = (preferred_quotes or {}).get(i)
        if preferred and not _quote_found(p, preferred):
            preferred = None
        quote = quotes.get(i) or preferred or best_sentence(p, " ".join(claims.get(i, [])))
        citations.append(
            Citation(
                n=renumber[i],
                source=p.source,
                title=p.title,
                publisher=p.publisher,
                published=p.published,
                page=p.page,
                url=p.url,
                quote=_clip(quote),
                chunk_id=p.chunk_id,
            )
        )
    return Verified(
        text="".join(parts).strip(),
        citations=citations,
        removed=removed,
        used=order,
        kept_sentences=len(kept),
        dropped_sentences=dropped,
        quotes={renumber[i]: q for i, q in quotes.items() if i in renumber},
    )


def is_refusal(reply: str, refusal: str) -> bool:
    """True when an LLM reply is (essentially) the agreed refusal sentence."""
    got = normalize(MARKER.sub(" ", reply)).strip(" .\"'")
    want = normalize(refusal).strip(" .\"'")
    return got == want or (got.startswith(want) and len(got) < len(want) + 40)
