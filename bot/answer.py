"""A question in, a verified and cited answer (or an honest refusal) out.

``answer_question`` is what :class:`bot.service.Briefbot` calls for the CLI and Slack:
clean the question → strip inline filters → make a follow-up standalone → retrieve →
weigh the evidence (refuse below the calibrated threshold, listing the closest
passages) → answer with the LLM when one is configured, else extractively → verify
every citation. An LLM that fails in any way yields the extractive answer and a note.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel

from bot.evidence import IdfFn, assess_evidence, corpus_idf, refusal_threshold
from bot.extractive import EXTRACTIVE_PREFIX, Encoder, extract
from bot.followup import make_standalone
from bot.llm_answer import REFUSAL, ask_llm, model_label
from bot.results import Answer
from bot.verify import is_refusal, verify_answer
from core.errors import InputError, LLMError
from core.settings import Settings
from core.types import Passage, SearchFilters

EXTRACTIVE = "extractive"
SENTENCE_EMBEDDINGS = False


class SearchesPassages(Protocol):
    """What the answerer needs from a retriever."""

    def search(self, query: str, *, k: int, filters: SearchFilters | None = None) -> list[Passage]:
        """Top passages, best first."""
        ...


def clean_question(question: str, settings: Settings) -> str:
    """The question without control/format characters and extra whitespace.

    Raises :class:`InputError` when it is empty (also after stripping) or longer
    than ``settings.max_question_chars``.
    """
    if not isinstance(question, str):
        raise InputError("The question must be text.", hint='Ask e.g. briefbot ask "Who is APT1?".')
    kept = []
    for ch in question:
        cat = unicodedata.category(ch)
        if ch in "\t\n\r\v\f" or cat == "Zs":
            kept.append(" ")
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append(ch)
    text = " ".join("".join(kept).split())
    if not text:
        raise InputError("The question is empty.", hint='Ask e.g. briefbot ask "Who is APT1?".')
    if len(text) > settings.max_question_chars:
        raise InputError(
            f"The question is {len(text):,} characters long; the limit is {settings.max_question_chars:,}.",
            hint="Shorten it, or raise BRIEFBOT_MAX_QUESTION_CHARS.",
        )
    return text


def _encoder_of(retriever: object, settings: Settings) -> Encoder | None:
    """The embedding model behind the retriever, for re-scoring the top sentences, when enabled.

    Off by default: one batched encode of the question and eight sentences cost more than the
    whole rest of `ask` on 2 CPU cores and did not improve the dev set (docs/ANSWERS.md).
    """
    if not SENTENCE_EMBEDDINGS:
        return None
    store = getattr(retriever, "store", None)
    embedder = getattr(store, "embedder", None) or getattr(retriever, "embedder", None)
    fn = getattr(embedder, "embed_documents", None)
    return fn if callable(fn) else None


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 2)


def _refusal(base: dict[str, Any], passages: list[Passage], method: str, notes: list[str]) -> Answer:
    return Answer(answer=REFUSAL, refused=True, method=method, passages=passages, notes=notes, **base)


def extractive_answer(
    question: str,
    passages: list[Passage],
    *,
    base: dict[str, Any],
    notes: list[str],
    idf: IdfFn | None = None,
    encoder: Encoder | None = None,
) -> Answer:
    """The extractive answer from ``passages`` (a refusal when no sentence fits)."""
    body, quotes = extract(question, passages, idf=idf, encoder=encoder)
    verified = verify_answer(body, passages, preferred_quotes=quotes) if body else None
    if verified is None or not verified.kept_sentences:
        return _refusal(base, passages, EXTRACTIVE, notes)
    return Answer(
        answer=f"{EXTRACTIVE_PREFIX}\n{verified.text}",
        refused=False,
        method=EXTRACTIVE,
        citations=verified.citations,
        removed_citations=verified.removed,
        passages=passages,
        notes=notes,
        **base,
    )


def _llm_answer(
    question: str,
    passages: list[Passage],
    *,
    llm: BaseChatModel,
    settings: Settings,
    base: dict[str, Any],
    notes: list[str],
    fallback: Callable[[str], Answer],
) -> Answer:
    label = model_label(llm, settings)
    method = f"llm:{label}"
    try:
        reply = ask_llm(llm, question, passages, settings)
    except LLMError as exc:
        return fallback(f"The LLM ({label}) failed: {exc}. This is the extractive answer instead.")
    if is_refusal(reply, REFUSAL):
        return _refusal(base, passages, method, notes)
    verified = verify_answer(reply, passages)
    if not verified.kept_sentences:
        answer = fallback(
            f"The LLM ({label}) gave no answer with a verifiable citation. "
            "This is the extractive answer instead."
        )
        answer.removed_citations = verified.removed + answer.removed_citations
        return answer
    return Answer(
        answer=verified.text,
        refused=False,
        method=method,
        citations=verified.citations,
        removed_citations=verified.removed,
        passages=passages,
        notes=notes,
        **base,
    )


def answer_question(
    question: str,
    *,
    retriever: SearchesPassages,
    settings: Settings,
    llm: BaseChatModel | None = None,
    history: Sequence[tuple[str, str]] = (),
    filters: SearchFilters | None = None,
    k: int | None = None,
) -> Answer:
    """A verified, cited answer to ``question`` (``history``: earlier (question, answer) turns).

    Raises :class:`InputError` for an empty or over-long question or a bad inline
    filter; store errors (empty index, server down) propagate from the retriever.
    LLM failures never raise: they produce the extractive answer with a note.
    """
    from bot.filters import parse_inline_filters

    start = time.perf_counter()
    text = clean_question(question, settings)
    bare, inline = parse_inline_filters(text)
    if not bare:
        raise InputError(
            "The question is empty once the filters are taken out.", hint="Add the question itself."
        )
    standalone = make_standalone(bare, history, llm=llm)
    effective = standalone.filters.merged(filters or SearchFilters()).merged(inline)
    notes = list(standalone.notes)
    base: dict[str, Any] = {"question": text, "standalone_question": standalone.question}

    t_retrieve = time.perf_counter()
    passages = retriever.search(standalone.question, k=k or settings.top_k, filters=effective)
    retrieve_ms = _ms(t_retrieve)

    t_answer = time.perf_counter()
    idf = corpus_idf(retriever)
    evidence = assess_evidence(standalone.question, passages, idf=idf)
    threshold = refusal_threshold(settings)
    if evidence.score < threshold:
        if llm is not None:
            notes.append(
                "The passages found do not support an answer "
                f"(evidence {evidence.score:.2f} < {threshold:.2f}), so the LLM was not asked."
            )
        answer = _refusal(base, passages, f"llm:{model_label(llm, settings)}" if llm else EXTRACTIVE, notes)
    else:
        encoder = _encoder_of(retriever, settings)

        def fallback(note: str) -> Answer:
            return extractive_answer(
                standalone.question, passages, base=base, notes=[*notes, note], idf=idf, encoder=encoder
            )

        if llm is None:
            answer = extractive_answer(
                standalone.question, passages, base=base, notes=notes, idf=idf, encoder=encoder
            )
        else:
            answer = _llm_answer(
                standalone.question,
                passages,
                llm=llm,
                settings=settings,
                base=base,
                notes=notes,
                fallback=fallback,
            )
    answer.timings = {"retrieve_ms": retrieve_ms, "answer_ms": _ms(t_answer), "total_ms": _ms(start)}
    return answer
