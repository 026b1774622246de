"""Markdown markup that means nothing to a reader: link targets, image syntax, inline HTML,
escapes, leaders.

Part of cleaning (:mod:`indexing.clean`): text keeps what a reader sees when the
page is rendered, so passages, quotes and sentence boundaries are those of the
rendered text ("in July 2014\\. The" reads "in July 2014. The").
"""

from __future__ import annotations

import re
from collections.abc import Callable

_MD_IMAGE = re.compile(r"!\[([^\]\n]{0,300})\]\([^)\n]*\)")
_MD_LINK = re.compile(r"(?<!\\)\[([^\]\n]{1,300})\]\((?:[^()\s]|\([^()\s]*\))+(?:\s+\"[^\"\n]*\")?\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_LEADER = re.compile(r"(?:\s?\.){4,}|(?:\s?…){2,}")
# CommonMark lets any ASCII punctuation be backslash-escaped; converters escape the ones that
# would otherwise start a list or a table ("2014\\.", "\\|"). "<" and ">" stay: Windows paths.
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|\"'~=:;,?/&%$@^])")
_CODE_SPAN = re.compile(r"(`+)[^`\n]*?\1")
# Inline HTML in Markdown: pictures and scripts say nothing; other tags keep their text.
_HTML_BLOCK = re.compile(r"<(svg|script|style|noscript)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(
    # Known tag names only: "<username>" or "%temp%\\<name>.exe" in an advisory are text, not HTML.
    r"</?(?:a|abbr|article|aside|b|big|blockquote|br|button|center|cite|code|dd|del|details|div|dl|dt|em|"
    r"figcaption|figure|font|footer|form|h[1-6]|header|hr|i|iframe|img|input|ins|kbd|label|li|link|main|mark|"
    r"meta|nav|ol|option|p|picture|pre|s|section|select|small|source|span|strike|strong|sub|summary|sup|"
    r"table|tbody|td|textarea|tfoot|th|thead|time|tr|tt|u|ul|var|video|wbr)"
    r"(?:\s+[\w:.-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*\s*/?>",
    re.IGNORECASE,
)
_RULE_RUN = re.compile(r"(?<=\S)\s*[_=~]{5,}\s*|\s*[_=~]{5,}\s*(?=\S)")


def simplify_markup(text: str) -> str:
    """Keep link text, drop link targets in prose ("[APT1](https://…)" → "APT1"); shorten dot leaders.

    Link targets cost many word pieces and mean nothing for retrieval, except
    where the link *is* the content: a line holding nothing but a link (a
    reference list entry) keeps its URL as "text (url)". Bare URLs are kept.
    Table-of-contents dot leaders ("Preparation ........ 5") become one "…". Backslash
    escapes are resolved (:func:`unescape_markdown`).
    """
    text = strip_html(_MD_IMAGE.sub(lambda m: m.group(1), text))
    lines = []
    for line in text.split("\n"):
        links = list(_MD_LINK.finditer(line))
        if links:
            rest = _MD_LINK.sub("", line)
            if len(links) == 1 and not re.search(r"[^\W_]", re.sub(r"^\s*([-*+•]|\d{1,3}[.)])\s", "", rest)):
                link = links[0]
                target = link.group(0)[len(link.group(1)) + 3 : -1].split()[0]
                line = f"{line[: link.start()]}{link.group(1)} ({target}){line[link.end() :]}"
            else:
                line = _MD_LINK.sub(lambda m: m.group(1), line)
        lines.append(line)
    # After the links: an escaped "\[" is literal text, never the start of a link.
    text = _AUTOLINK.sub(lambda m: m.group(1), unescape_markdown("\n".join(lines)))
    text = _LEADER.sub(" … ", text)
    return _RULE_RUN.sub(" ", text)


def strip_html(text: str) -> str:
    """Inline HTML out of Markdown text: ``<svg>…</svg>`` (and scripts, styles) with their
    content, any other tag alone (``<b>APT28</b>`` → "APT28"). Code spans are left alone."""
    if "<" not in text:
        return text
    return _outside_code(text, lambda part: _HTML_TAG.sub("", _HTML_BLOCK.sub("", part)))


def unescape_markdown(text: str) -> str:
    """Resolve backslash escapes ("2014\\." → "2014.", "\\|" → "|") outside `code spans`."""
    if "\\" not in text:
        return text
    return _outside_code(text, lambda part: _ESCAPE.sub(r"\1", part))


def _outside_code(text: str, rewrite: Callable[[str], str]) -> str:
    """``text`` with ``rewrite`` applied to everything but its `code spans`."""
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(rewrite(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(rewrite(text[pos:]))
    return "".join(out)
