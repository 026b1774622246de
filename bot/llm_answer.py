"""LLM answers: the ``answer`` prompt over numbered, delimited passages.

Passages reach the model as untrusted data inside ``<passage n=…>`` elements; any
look-alike of the delimiter inside a passage is defused first, and the document's
own footnote markers ("[12]") are removed so they cannot pass for citations.
The reply is either the exact refusal sentence or an answer whose citations
:mod:`bot.verify` then checks. Failures raise :class:`LLMError`, which the caller
turns into the extractive answer with a note.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel

from bot.prompting import load_prompt
from bot.verify import MARKER
from core.errors import LLMError
from core.settings import Settings
from core.types import Passage

PROMPT_VARS: dict[str, frozenset[str]] = {"answer": frozenset({"question", "passages", "refusal"})}
REFUSAL = "Nothing in the indexed reports answers this."

_DELIMITER = re.compile(r"<(\s*/?\s*passages?\b)", re.IGNORECASE)


def _attr(value: object) -> str:
    return html.escape(" ".join(str(value).split()), quote=True)


def passage_body(p: Passage) -> str:
    """Passage text as shown to the model: delimiter look-alikes defused, footnote markers removed."""
    text = MARKER.sub("", p.text)
    return _DELIMITER.sub(r"‹\1", text).strip()


def format_passages(passages: Sequence[Passage]) -> str:
    """The numbered ``<passage>`` elements of the prompt."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        attrs = [f'n="{n}"', f'source="{_attr(p.source)}"']
        for name, value in (
            ("title", p.title),
            ("publisher", p.publisher),
            ("date", p.published),
            ("page", p.page),
        ):
            if value:
                attrs.append(f'{name}="{_attr(value)}"')
        blocks.append(f"<passage {' '.join(attrs)}>\n{passage_body(p)}\n</passage>")
    return "\n".join(blocks)


def answer_prompt_values(question: str, passages: Sequence[Passage]) -> dict[str, str]:
    """The variables of the ``answer`` prompt."""
    return {"question": question, "passages": format_passages(passages), "refusal": REFUSAL}


def describe_failure(exc: BaseException, settings: Settings) -> str:
    """A short reason for a failed LLM call: 'timed out after 60s', 'HTTP 500', 'connection refused'."""
    name = type(exc).__name__
    text = str(exc).splitlines()[0] if str(exc) else ""
    if "timeout" in name.lower() or "timed out" in text.lower():
        return f"timed out after {settings.llm_timeout:g}s"
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return f"HTTP {status}"
    if "connection" in name.lower() or "connect" in text.lower():
        return "could not connect"
    return f"{name}: {text[:120]}" if text else name


def ask_llm(llm: BaseChatModel, question: str, passages: Sequence[Passage], settings: Settings) -> str:
    """The model's raw reply to the answer prompt. Raises :class:`LLMError` on failure or an empty reply."""
    messages = load_prompt("answer").format_messages(**answer_prompt_values(question, passages))
    try:
        reply = llm.invoke(messages)
    except Exception as exc:
        raise LLMError(describe_failure(exc, settings)) from exc
    text = reply.text if hasattr(reply, "text") else str(reply)
    text = str(text).strip()
    if not text:
        raise LLMError("it returned an empty reply")
    return text


def model_label(llm: BaseChatModel, settings: Settings) -> str:
    """The model's name for ``Answer.method``: from the settings, else from the model object."""
    from bot.llm import llm_label

    if settings.llm or settings.llm_base_url:
        return llm_label(settings)
    for attr in ("model_name", "model"):
        value = getattr(llm, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(llm).__name__
