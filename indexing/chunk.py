"""Split a cleaned document into sentence-aware, token-bounded chunks.

Each chunk is embedded as ``chunk_header(title, section) + "\\n\\n" + text``
(see :mod:`indexing.records`), so the budget for the chunk text is the model's
limit minus the header's word pieces. No chunk exceeds the budget, so the
embedding model never silently truncates one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from core.types import Chunk, LoadedDocument

HEADER_SEPARATOR = "\n\n"
"""Between the header and the chunk text in the stored/embedded document."""

_TITLE_CHARS = 160
_SECTION_CHARS = 120
_MIN_BUDGET = 16


def chunk_header(title: str, section: str) -> str:
    """The header prepended to a chunk when embedding: the title line, then the section line.

    Empty parts are left out; both are collapsed to one line and clipped
    (title 160, section 120 characters) so the header stays small.
    """
    parts = []
    for value, limit in ((title, _TITLE_CHARS), (section, _SECTION_CHARS)):
        line = " ".join(value.split())
        if len(line) > limit:
            line = line[:limit].rsplit(" ", 1)[0] + "…"
        if line:
            parts.append(line)
    if len(parts) == 2 and parts[0].casefold() == parts[1].casefold():
        parts.pop()
    return "\n".join(parts)


def embed_text(title: str, section: str, text: str) -> str:
    """Exactly what is embedded for a chunk: header, blank line, text (no header → just text)."""
    header = chunk_header(title, section)
    return f"{header}{HEADER_SEPARATOR}{text}" if header else text


# --- sentences ----------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    """A word set from a whitespace-separated literal (keeps long word lists compact)."""
    return frozenset(text.split())


_ABBREVIATIONS = _words(
    """
    mr mrs ms dr prof sr jr st mt ft no nos nr art fig figs vol vols ed eds p pp ch sec sect par
    para vs etc e.g eg i.e ie cf al approx ca est dept govt gov gen col lt sgt capt cmdr adm maj
    rev sen rep inc ltd co corp llc plc bros jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.k u.n e.u a.m p.m min max tel ref refs resp viz op cit ibid incl excl bzw usw z.b d.h
    ggf vgl nl bijv enz mevr dhr
    """
)
# A boundary: sentence punctuation (plus closing quotes/brackets), whitespace, then something that
# can open a sentence (capital, digit, quote, bracket, markdown emphasis).
_BOUNDARY = re.compile(r"([.!?…]+[\"'”’)\]]*)(\s+)(?=[\"'“‘(\[*_]*[A-Z0-9À-ÖØ-Þ])")
_TOKEN_BEFORE = re.compile(r"(\S+)$")


def _is_abbreviation(before: str) -> bool:
    match = _TOKEN_BEFORE.search(before)
    if not match:
        return False
    token = match.group(1).lstrip("(\"'“‘[").rstrip(".").lower()
    if token in _ABBREVIATIONS:
        return True
    # Initials and dotted acronyms: "J.", "U.S.", "e.g." (letters separated by dots).
    return bool(re.fullmatch(r"[a-z](\.[a-z])*", token))


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences; every line break is also a boundary.

    Handles abbreviations ("U.S.", "e.g.", "No. 5", "Dr."), initials and
    decimals ("3.5" has no space after the dot, so it never splits).
    """
    sentences: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        start = 0
        for m in _BOUNDARY.finditer(line):
            end = m.end(1)
            single_dot = m.group(1).startswith(".") and len(m.group(1).rstrip("\"'”’)]")) == 1
            if single_dot and _is_abbreviation(line[start : m.start(1)]):
                continue
            piece = line[start:end].strip()
            if piece:
                sentences.append(piece)
            start = m.end()
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


# --- units ----------------------------------------------------------------------------------------


@dataclass
class _Unit:
    text: str
    tokens: int
    new_line: bool  # starts a new line in the source (joined with "\n", not " ")


def _split_long(text: str, budget: int, count: Callable[[str], int]) -> list[str]:
    """Split one over-long sentence on word boundaries into pieces of at most ``budget`` tokens.

    Words are counted one by one (linear in the sentence length); each piece
    is verified as a whole and halved if the counter is not additive.
    """
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for word in text.split():
        n = count(word)
        if n > budget:
            if current:
                pieces.extend(_verified(current, budget, count))
                current, used = [], 0
            pieces.extend(_split_chars(word, budget, count))
            continue
        if current and used + n > budget:
            pieces.extend(_verified(current, budget, count))
            current, used = [], 0
        current.append(word)
        used += n
    if current:
        pieces.extend(_verified(current, budget, count))
    return pieces


def _verified(words: list[str], budget: int, count: Callable[[str], int]) -> list[str]:
    text = " ".join(words)
    if len(words) == 1 or count(text) <= budget:
        return [text]
    middle = len(words) // 2
    return _verified(words[:middle], budget, count) + _verified(words[middle:], budget, count)


def _split_chars(word: str, budget: int, count: Callable[[str], int]) -> list[str]:
    """Split a single giant token-run (a hash list without spaces, say) by characters."""
    pieces = []
    while word:
        lo, hi = 1, len(word)
        while lo < hi:  # longest prefix within budget
            mid = (lo + hi + 1) // 2
            if count(word[:mid]) <= budget:
                lo = mid
            else:
                hi = mid - 1
        pieces.append(word[:lo])
        word = word[lo:]
    return pieces


def _units(text: str, budget: int, count: Callable[[str], int]) -> list[_Unit]:
    units: list[_Unit] = []
    for line in text.split("\n"):
        first = True
        for sentence in split_sentences(line):
            n = count(sentence)
            parts = [sentence] if n <= budget else _split_long(sentence, budget, count)
            for part in parts:
                units.append(_Unit(part, n if len(parts) == 1 else count(part), first))
                first = False
    return units


def _join(units: list[_Unit]) -> str:
    out = ""
    for i, unit in enumerate(units):
        if i:
            out += "\n" if unit.new_line else " "
        out += unit.text
    return out


# --- chunking -------------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def _sections(text: str) -> list[tuple[str | None, str]]:
    """Split page text at markdown headings: (heading or None for text before the first one, body)."""
    out: list[tuple[str | None, str]] = []
    heading: str | None = None
    body: list[str] = []
    in_code = False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        m = None if in_code else _HEADING.match(line)
        if m:
            out.append((heading, "\n".join(body)))
            heading = m.group(2).strip().strip("*_ ").strip()
            body = []
        else:
            body.append(line)
    out.append((heading, "\n".join(body)))
    return out


def make_chunk_id(doc_id: str, section: str, page: str, text: str) -> str:
    """``{doc_id}:{sha256(doc_id + section + page + text)[:16]}`` — stable across runs."""
    digest = hashlib.sha256((doc_id + section + page + text).encode("utf-8")).hexdigest()[:16]
    return f"{doc_id}:{digest}"


def chunk_document(
    doc: LoadedDocument,
    count_tokens: Callable[[str], int],
    *,
    max_tokens: int,
    overlap_tokens: int = 32,
) -> list[Chunk]:
    """Split ``doc`` into chunks of whole sentences that fit the embedding model.

    Token budget: ``count_tokens`` counts word pieces without special tokens
    and ``max_tokens`` is what the model can take (e.g. 254 = 256 − [CLS] −
    [SEP]). Each chunk is embedded as :func:`embed_text` — :func:`chunk_header`
    (title + "\\n" + section) + blank line + text — so its text may use at most
    ``max_tokens − (count_tokens(header + "\\n\\n") + 2)`` pieces (the 2 are
    slack), and each finished chunk is re-checked against the real embedded
    text: ``count_tokens(embed_text(title, section, chunk.text)) <= max_tokens``
    holds for every chunk. A sentence longer than the budget is split on word
    boundaries (a spaceless run by characters).

    Structure: markdown headings end a chunk and become the ``section`` of the
    chunks that follow; pages are never crossed, so every chunk of a paged
    document (PDF) has one ``page`` (printed label, else the physical number)
    and ``page_number``. Consecutive chunks of one section and page share up
    to ``overlap_tokens`` of trailing sentences. Identical chunks (same
    section, page and text) are emitted once, so ids are unique.
    """
    if max_tokens < _MIN_BUDGET:
        raise ValueError(f"max_tokens={max_tokens} is too small to chunk with (at least {_MIN_BUDGET}).")
    meta = doc.meta
    paged = len(doc.pages) > 1 or any(p.label is not None for p in doc.pages)
    header_cache: dict[str, int] = {}
    chunks: list[Chunk] = []
    seen: set[str] = set()
    section = ""

    def budget_for(sec: str) -> int:
        if sec not in header_cache:
            header = chunk_header(meta.title, sec)
            used = count_tokens(header + HEADER_SEPARATOR) + 2 if header else 0
            header_cache[sec] = max(max_tokens - used, _MIN_BUDGET)
        return header_cache[sec]

    def fits(sec: str) -> Callable[[str], bool]:
        return lambda text: count_tokens(embed_text(meta.title, sec, text)) <= max_tokens

    def emit(units: list[_Unit], sec: str, page: str | None, page_number: int | None) -> None:
        text = _join(units).strip()
        if not text:
            return
        chunk_id = make_chunk_id(meta.doc_id, sec, page or "", text)
        if chunk_id in seen:
            return
        seen.add(chunk_id)
        chunks.append(
            Chunk(
                chunk_id=chunk_id,
                doc_id=meta.doc_id,
                text=text,
                index=len(chunks),
                section=sec,
                page=page,
                page_number=page_number,
            )
        )

    for page in doc.pages:
        page_label = (page.label or str(page.number)) if paged else None
        page_number = page.number if paged else None
        for heading, body in _sections(page.text):
            if heading is not None:
                section = heading
            budget = budget_for(section)
            current: list[_Unit] = []
            used = 0
            for unit in _units(body, budget, count_tokens):
                if current and used + unit.tokens > budget:
                    fitted = _fit(current, fits(section))
                    emit(fitted, section, page_label, page_number)
                    rest = current[len(fitted) :]
                    current = rest or _overlap(fitted, overlap_tokens, budget - unit.tokens)
                    used = sum(u.tokens for u in current)
                current.append(unit)
                used += unit.tokens
            while current:
                fitted = _fit(current, fits(section))
                emit(fitted, section, page_label, page_number)
                current = current[len(fitted) :]
    return chunks


def _fit(units: list[_Unit], fits: Callable[[str], bool]) -> list[_Unit]:
    """The longest prefix of ``units`` whose text, embedded with its header, fits the model.

    With WordPiece counts are additive and this keeps everything; it guards
    tokenizers where joining text costs extra pieces.
    """
    while len(units) > 1 and not fits(_join(units)):
        units = units[:-1]
    return units


def _overlap(units: list[_Unit], overlap_tokens: int, room: int) -> list[_Unit]:
    """The trailing sentences (at most ``overlap_tokens``, never the whole chunk) to repeat next."""
    limit = min(overlap_tokens, room)
    carried: list[_Unit] = []
    total = 0
    for unit in reversed(units[1:]):
        if total + unit.tokens > limit:
            break
        carried.insert(0, unit)
        total += unit.tokens
    return [_Unit(u.text, u.tokens, u.new_line) for u in carried]
