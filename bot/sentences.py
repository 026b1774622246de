"""Small, fast text helpers for answers: sentences, terms and named entities.

Used by the extractive answerer (sentence selection), citation verification
(support checks) and follow-up handling (entities to carry). Pure functions,
no models: everything here runs in microseconds per sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from indexing.lexical import analyze
from indexing.lexical import stem as _lexical_stem

_STOPWORDS_TEXT = """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing done down during each either else ever every few for
    from further get gets got had has have having he her here hers herself him himself his how however i if
    in into is it its itself just let like many may me might more most much must my myself no nor not now of
    off on once one only or other others our ours ourselves out over own per same say said says shall she
    should since so some such than that the their theirs them themselves then there these they this those
    through thus to too under until up upon us very via was we were what whatever when where whether which
    while who whom whose why will with within without would yet you your yours yourself
    tell give show list describe explain name according named called exactly
    """
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# Words that ask rather than say: no evidence either way.
_QUESTION_WORDS = frozenset(
    _lexical_stem(w)
    for w in [
        "tell",
        "give",
        "show",
        "list",
        "describe",
        "explain",
        "according",
        "named",
        "called",
        "exactly",
        "say",
        "said",
    ]
)
_ABBREVIATIONS_TEXT = (
    "e.g i.e etc vs mr mrs ms dr prof inc ltd co corp no nos fig figs approx est jan feb mar apr jun jul aug "
    "sep sept oct nov dec st gen col lt sgt u.s u.k u.n e.u p pp vol al rev ver"
)
_ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())
_WORD = re.compile(r"[^\W_]+(?:[&:.'’\-][^\W_]+)*", re.UNICODE)
# End punctuation, closing quotes/brackets and citation or footnote markers ('….” [1] Next'), then space;
# or a PDF's footnote number glued to the full stop ("…more information.12 Agencies should…").
_BOUNDARY = re.compile(
    r"(?:[.!?…]+[\"'”’)\]]*(?:\s*\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\])*|(?<=[a-z)”’\"])\.\d{1,3}(?=\s+[A-Z]))(?:\s+|$)"
)
# The glued footnote number at the end of a sentence: "…(AIS) program.11" → "…(AIS) program."
GLUED_NOTE = re.compile(r"(?<=[a-z)”’\"])\.\d{1,3}$")
_BULLET = re.compile(r"^\s*(?:[-*•·▪‣]|\d{1,2}[.)])\s+")
_CAPITAL = re.compile(r"^[A-Z0-9\"“'‘(\[*_]")
# A short line without end punctuation ("ID: G0006", "Version: 1.4", a title) is not part of a paragraph.
_KEY_VALUE = re.compile(r"^[\w][\w .()/-]{0,40}:\s")
# A line ending in a lower-case word, a comma or an open bracket stops mid-sentence.
_ENDS_MID_SENTENCE = re.compile(r"(?:\b[a-z][a-z'’-]*|[,(])$")
_MINOR_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "vs",
        "via",
        "with",
    ]
)


def _is_title_line(line: str) -> bool:
    """A headline: no end punctuation and every word but the minor ones capitalised
    ("Iranian Hackers Target US Defense Contractors"), so the next line starts a paragraph."""
    tokens = line.split()
    if not 2 <= len(tokens) <= 16 or line.endswith((".", "!", "?", ",", ";", ":")):
        return False
    if tokens[-1].lower() in _MINOR_WORDS:  # "According to the Federal Bureau of Investigation and the"
        return False
    major = [t for t in tokens if t.lower() not in _MINOR_WORDS]
    return bool(major) and all(t[:1].isupper() or t[:1].isdigit() for t in major)


def _is_prose(following: list[str]) -> bool:
    """The next line reads as running text: a capitalised sentence of eight words or more."""
    line = following[0].strip() if following else ""
    return len(line.split()) >= 8 and line[:1].isupper() and line.endswith((".", "!", "?", "”", '"'))


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text with its character span."""

    text: str
    start: int
    end: int
    index: int


def _blocks(text: str) -> list[tuple[int, int]]:
    """Spans of paragraphs and list items (a list item or heading line stands on its own)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    block_start: int | None = None
    mid_sentence = False  # the open block's last line stopped mid-sentence ("… National Institute of")
    lines = text.splitlines(keepends=True)
    for n, line in enumerate(lines):
        stripped = line.strip()
        line_start, line_end = pos, pos + len(line)
        pos = line_end
        short = len(stripped.split()) < 6 and not stripped.endswith((".", "!", "?", ",", ";", ":"))
        standalone = (
            bool(_BULLET.match(line))
            or stripped.startswith(("#", "|"))
            or bool(_KEY_VALUE.match(stripped))
            # A short line is a title or a table cell, unless it continues a hard-wrapped sentence (PDFs).
            or (short and not (block_start is not None and mid_sentence))
            # A headline over its article's first paragraph ("Iranian Hackers Target …\nAn Iranian…").
            or (block_start is None and _is_title_line(stripped) and _is_prose(lines[n + 1 : n + 2]))
        )
        mid_sentence = bool(stripped) and _ENDS_MID_SENTENCE.search(stripped) is not None
        if not stripped or standalone:
            if block_start is not None:
                spans.append((block_start, line_start))
                block_start = None
            if stripped:
                spans.append((line_start, line_end))
            continue
        if block_start is None:
            block_start = line_start
    if block_start is not None:
        spans.append((block_start, len(text)))
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the '.' at ``dot`` ends an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in '(["“':
        start -= 1
    word = text[start:dot].lower().rstrip(".")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of ``text`` (paragraph- and bullet-aware), with their spans in ``text``."""
    out: list[Sentence] = []
    for b_start, b_end in _blocks(text):
        cursor = b_start
        block = text[:b_end]
        for m in _BOUNDARY.finditer(block, b_start):
            end = m.end()
            if end >= b_end or not _CAPITAL.match(text[end : end + 1]):
                continue
            if _is_abbreviation(text, m.start()):
                continue
            _add(out, text, cursor, end)
            cursor = end
        _add(out, text, cursor, b_end)
    return out


def _add(out: list[Sentence], text: str, start: int, end: int) -> None:
    raw = text[start:end]
    stripped = raw.strip()
    if not stripped:
        return
    lead = len(raw) - len(raw.lstrip())
    s = start + lead
    out.append(Sentence(" ".join(stripped.split()), s, s + len(stripped), len(out)))


_FOOTNOTE = re.compile(r"\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\]")
_CITATION_NOTE = re.compile(r"\s*\(Citation:[^)]*\)")


def strip_notes(text: str) -> str:
    """Text without the document's own footnote markers ("[12]") and ATT&CK "(Citation: …)" notes.

    They would read as our citations in an answer, and the notes glue sentences together.
    """
    return _CITATION_NOTE.sub("", _FOOTNOTE.sub("", text))


def stem(word: str) -> str:
    """A light suffix stripper so 'sectors'/'sector', 'targeted'/'targets', 'files'/'file' meet."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3 or any(ch.isdigit() for ch in w):
        return w
    if w.endswith("ies") and len(w) >= 5:
        w = w[:-3] + "y"
    elif w.endswith("ing") and len(w) >= 6:
        w = w[:-3]
    elif w.endswith("ed") and len(w) >= 5:
        w = w[:-2]
    elif w.endswith("s") and len(w) >= 4 and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    """Word tokens as written (codes like 'APT28', 'EXE:5200', 'ATT&CK' stay whole)."""
    return [m.group(0).rstrip(".'’") for m in _WORD.finditer(text)]


def terms(text: str, *, drop_stopwords: bool = False) -> list[str]:
    """Stemmed lower-case tokens; compound tokens ('cyber-espionage', 'ATT&CK') also yield their parts."""
    out: list[str] = []
    for w in words(text):
        lw = w.lower().replace("’", "'")
        if lw.endswith("'s"):
            lw = lw[:-2]
        if drop_stopwords and lw in STOPWORDS:
            continue
        out.append(stem(lw))
        if any(ch in lw for ch in "-&:.'"):
            out.extend(
                stem(p) for p in re.split(r"[-&:.']", lw) if p and not (drop_stopwords and p in STOPWORDS)
            )
    return out


def content_terms(text: str) -> list[str]:
    """Content terms as the BM25 index analyses them (stemmed, stop words out), in order.

    Sharing :func:`indexing.lexical.analyze` lets corpus IDF from the BM25 vocabulary
    weigh these terms directly.
    """
    return list(_content_terms(text))


@lru_cache(maxsize=8192)
def _content_terms(text: str) -> tuple[str, ...]:
    # Cached: the same passages are analysed for evidence, sentence scoring and verification.
    return tuple(t for t in analyze(text) if t not in _QUESTION_WORDS)


def numbers(text: str) -> set[str]:
    """The figures written in a text ("49", "2024", "3.5"), used to catch invented numbers."""
    return {m.group(0).replace(",", "") for m in re.finditer(r"\d+(?:[.,]\d+)*", text)}


def named_entities(text: str) -> list[str]:
    """Proper names, acronyms and codes in a text: 'Nexperia', 'MIVD', 'APT1', 'Midnight Blizzard'.

    Consecutive capitalised words form one entity. A lone capitalised word that opens a
    sentence ("Summarise …", "Roughly …") is not one unless it is an acronym or a code.
    """
    entities: list[str] = []
    run: list[str] = []
    run_at_start = False
    sentence_start = True

    def close() -> None:
        nonlocal run
        if run:
            lone = len(run) == 1 and run_at_start and not _is_code_or_acronym(run[0])
            if not lone:
                entities.append(" ".join(run))
        run = []

    for m in _WORD.finditer(text):
        w = m.group(0).rstrip(".'’")
        possessive = w.lower().endswith(("'s", "’s"))
        if possessive:
            w = w[:-2]
        capital = w[:1].isupper() and w.lower() not in STOPWORDS
        if capital or _is_code_or_acronym(w):
            if not run:
                run_at_start = sentence_start
            run.append(w)
        else:
            close()
        if possessive:
            close()
        tail = text[m.end() : m.end() + 2]
        sentence_start = bool(re.match(r"\s*[.!?:]", tail))
    close()
    seen: set[str] = set()
    unique = []
    for e in entities:
        if e.lower() not in seen:
            seen.add(e.lower())
            unique.append(e)
    return unique


def _is_code_or_acronym(word: str) -> bool:
    has_digit = any(ch.isdigit() for ch in word)
    has_alpha = any(ch.isalpha() for ch in word)
    return (has_digit and has_alpha) or (word.isupper() and len(word) > 1)


def squash(word: str) -> str:
    """A word reduced to lower-case letters and digits: 'U.S.' → 'us', 'High-NA' → 'highna'."""
    return re.sub(r"[\W_]", "", word.casefold())


def word_forms(text: str) -> set[str]:
    """Squashed words of a text plus the parts of compound words, for entity look-ups."""
    out: set[str] = set()
    for w in words(text):
        out.add(squash(w))
        if re.search(r"[-&./:'’]", w):
            out.update(squash(p) for p in re.split(r"[-&./:'’]", w) if p)
    out.discard("")
    return out


def entity_found(entity: str, forms: set[str]) -> bool:
    """True when every word of ``entity`` (or every part of a compound word) is among ``forms``."""
    parts = entity.split()
    if not parts:
        return False
    for w in parts:
        if squash(w) in forms:
            continue
        pieces = [squash(p) for p in re.split(r"[-&./:'’]", w) if squash(p)]
        if not pieces or not all(p in forms for p in pieces):
            return False
    return True
