"""Lexical analysis for BM25: tokenizer, light English stemmer, language guess, nl/de glossing.

One analyzer serves documents and queries so both sides produce the same terms:
lowercase, accents folded, English stopwords removed, a conservative suffix
stemmer (no extra dependency), and identifiers kept whole *and* split:
``CVE-2023-42793`` yields ``cve-2023-42793``, ``cve``, ``2023`` and ``42793``;
``1,700`` yields ``1700``. Dutch and German text is glossed into English terms
with the small generic glossary in :mod:`indexing.glossary`, so an English
question can match a Dutch passage and a Dutch question can match English ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN_PLUS, STOPWORDS_GERMAN

from indexing.glossary import GLOSSARY

# "us" (the United States) and "it" (IT) carry meaning in this corpus.
STOP_EN = (frozenset(STOPWORDS_EN_PLUS) - {"us", "it"}) | {"many", "much", "whose", "also", "would", "could"}
STOP_NL = frozenset(STOPWORDS_DUTCH) | {"welke", "welk", "hoeveel", "waarom", "wanneer", "volgens", "werden"}
STOP_DE = frozenset(STOPWORDS_GERMAN) | {
    "welche",
    "welcher",
    "welches",
    "welchen",
    "welchem",
    "laut",
    "wurde",
}

# Function words that are frequent in one language and rare in the others.
_MARKERS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "which",
            "what",
            "who",
            "how",
            "did",
            "does",
            "is",
            "are",
            "was",
            "were",
            "of",
            "and",
            "to",
            "in",
            "with",
            "from",
            "by",
            "for",
            "that",
            "this",
        ]
    ),
    "nl": frozenset(
        [
            "de",
            "het",
            "een",
            "welke",
            "welk",
            "wat",
            "wie",
            "hoe",
            "hoeveel",
            "waarom",
            "wanneer",
            "zijn",
            "werd",
            "werden",
            "van",
            "voor",
            "door",
            "naar",
            "niet",
            "ook",
            "volgens",
            "en",
            "heeft",
            "hebben",
            "bij",
            "aan",
            "op",
            "uit",
            "dat",
            "zich",
            "zou",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "den",
            "dem",
            "des",
            "ein",
            "eine",
            "einer",
            "welche",
            "welcher",
            "welches",
            "welchen",
            "wer",
            "wie",
            "warum",
            "wann",
            "ist",
            "sind",
            "wurde",
            "wurden",
            "und",
            "nicht",
            "auch",
            "laut",
            "von",
            "mit",
            "fur",
            "zu",
            "bei",
            "hat",
            "haben",
            "sich",
            "aus",
            "uber",
        ]
    ),
}

_TOKEN = re.compile(r"[^\W_]+(?:[-'’./:][^\W_]+)*", re.UNICODE)
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?:,\d{3})+)(?![\d,])")
_DIGIT = re.compile(r"\d")
_VOWEL = re.compile(r"[aeiouy]")
_SPLIT = re.compile(r"[-'’./:]")


def fold(text: str) -> str:
    """Lowercase and strip accents (``Universität`` → ``universitat``, ``ß`` → ``ss``)."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


# British spellings folded to American ones before stemming (the corpus mixes both).
_UK_WORDS = {
    "defence": "defense",
    "offence": "offense",
    "licence": "license",
    "pretence": "pretense",
    "centre": "center",
    "programme": "program",
    "catalogue": "catalog",
    "behaviour": "behavior",
    "colour": "color",
    "favour": "favor",
    "honour": "honor",
    "labour": "labor",
    "neighbour": "neighbor",
    "rumour": "rumor",
    "harbour": "harbor",
    "endeavour": "endeavor",
    "manoeuvre": "maneuver",
    "cheque": "check",
}
_UK_ISE = re.compile(r"^(\w{3,}[^aeiouw])is(e|ed|es|ing|er|ers|ation|ations)$")
_UK_YSE = re.compile(r"^(\w+)ys(e|ed|es|ing)$")


def americanize(word: str) -> str:
    """``organisation`` → ``organization``, ``defence`` → ``defense``, ``analyse`` → ``analyze``."""
    base, plural = (word[:-1], "s") if word.endswith("s") and word[:-1] in _UK_WORDS else (word, "")
    if base in _UK_WORDS:
        return _UK_WORDS[base] + plural
    if (m := _UK_ISE.match(word)) is not None:
        return f"{m[1]}iz{m[2]}"
    if (m := _UK_YSE.match(word)) is not None and m[1].endswith(("al", "par", "cata")):
        return f"{m[1]}yz{m[2]}"
    return word


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light English suffix stemmer (plural, -ing, -ed, final -e) after British → American
    spelling; words with digits are kept."""
    if len(word) <= 3 or _DIGIT.search(word):
        return word
    w = americanize(word)
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is", "'s")) and len(w) > 3:
        w = w[:-1]
    for suffix in ("ingly", "edly", "ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and _VOWEL.search(w[: -len(suffix)]):
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # running → run, but keep "install", "pass"
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def raw_tokens(text: str) -> list[str]:
    """Folded word tokens, compound identifiers kept whole; thousands separators dropped."""
    text = _THOUSANDS.sub(lambda m: m[1] + m[2].replace(",", ""), fold(text))
    out: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match[0].strip(".:'’")
        if token.endswith(("'s", "’s")):
            token = token[:-2]
        if token:
            out.append(token)
    return out


def _expand(token: str) -> list[str]:
    """A compound token plus its parts (``cve-2023-42793`` → itself, cve, 2023, 42793)."""
    parts = [p for p in _SPLIT.split(token) if p]
    if len(parts) <= 1:
        return [token]
    if "." in token and all(p.isdigit() for p in parts):
        return [token]  # 2.0, 10.1.2 - version numbers stay whole
    if all(len(p) == 1 for p in parts):
        return ["".join(parts)]  # u.s → us, e.u → eu
    return [token, *parts]


def analyze(text: str, *, stopwords: frozenset[str] = STOP_EN) -> list[str]:
    """Text → BM25 terms (stemmed, stopwords removed)."""
    terms: list[str] = []
    for token in raw_tokens(text):
        for piece in _expand(token):
            if piece in stopwords or (len(piece) == 1 and not piece.isdigit()):
                continue
            terms.append(stem(piece))
    return terms


def guess_language(text: str) -> str:
    """'en', 'nl' or 'de' from function-word counts ('en' when unsure)."""
    counts = dict.fromkeys(_MARKERS, 0)
    for token in raw_tokens(text[:4000]):
        for lang, words in _MARKERS.items():
            if token in words:
                counts[lang] += 1
    best = max(counts, key=lambda lang: counts[lang])
    if best != "en" and counts[best] >= 2 and counts[best] > counts["en"]:
        return best
    return "en"


def _lookup(word: str, lang: str) -> str | None:
    table = GLOSSARY[lang]
    if word in table:
        return table[word]
    suffixes = ("en", "e", "s", "n", "er", "es", "em", "ern") if lang == "de" else ("en", "e", "s", "n")
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and word[: -len(suffix)] in table:
            return table[word[: -len(suffix)]]
    return None


def _head(head: str, lang: str) -> str | None:
    """A compound's first part, also with its linking ``s`` (``dreigings-beeld``) removed."""
    return _lookup(head, lang) or (_lookup(head[:-1], lang) if head.endswith("s") else None)


def gloss_word(word: str, lang: str) -> str | None:
    """English for one folded Dutch/German word, trying suffixes and two-part compounds.

    Compounds are split where both parts are known (``havenkranen`` → port cranes);
    failing that, a known part of at least 5 letters is kept on its own
    (``hightechsector`` → sector), which is better recall than nothing.
    """
    if lang not in GLOSSARY:
        return None
    found = _lookup(word, lang)
    if found is not None or len(word) < 8:
        return found
    splits = [(word[:i], word[i:]) for i in range(len(word) - 4, 3, -1)]  # longest head first
    for head, tail in splits:
        tail_en, head_en = _lookup(tail, lang), _head(head, lang)
        if tail_en is not None and head_en is not None:
            return f"{head_en} {tail_en}"
    for head, tail in splits:
        if len(tail) >= 5 and (tail_en := _lookup(tail, lang)) is not None:
            return tail_en
        if len(head) >= 5 and (head_en := _head(head, lang)) is not None:
            return head_en
    return None


def gloss(text: str, lang: str) -> str:
    """``text`` with every Dutch/German word the glossary knows replaced by English.

    Unknown words (names, acronyms, numbers) are kept; stopwords of ``lang`` are dropped.
    """
    stop = STOP_NL if lang == "nl" else STOP_DE if lang == "de" else frozenset()
    out: list[str] = []
    for token in raw_tokens(text):
        if token in stop and gloss_word(token, lang) is None:
            continue
        english = gloss_word(token, lang)
        if english is None and _SPLIT.search(token):
            parts = [gloss_word(p, lang) or p for p in _SPLIT.split(token) if p and p not in stop]
            english = " ".join(parts)
        out.append(english if english is not None else token)
    return " ".join(out)


def gloss_terms(tokens: Iterable[str], lang: str) -> list[str]:
    """English BM25 terms for the Dutch/German words among ``tokens`` (document expansion)."""
    terms: list[str] = []
    for token in tokens:
        english = gloss_word(token, lang)
        if english:
            terms.extend(analyze(english))
    return terms
