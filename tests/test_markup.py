"""indexing.markup: text reads as the rendered page, escapes and link syntax resolved."""

from __future__ import annotations

from bot.sentences import split_sentences
from indexing.clean import clean_text
from indexing.markup import simplify_markup, unescape_markdown


def test_markdown_escapes_in_prose_are_resolved() -> None:
    assert unescape_markdown(r"SOCOM on February 19\. The breach") == "SOCOM on February 19. The breach"
    assert unescape_markdown(r"Court decision \| CBC News") == "Court decision | CBC News"
    assert unescape_markdown(r"\*not emphasis\* and a\_b") == "*not emphasis* and a_b"
    assert unescape_markdown(r"a literal \\ backslash") == "a literal \\ backslash"


def test_escapes_inside_code_spans_and_windows_paths_are_kept() -> None:
    code = r"used `C:\\windows\\temp\.exe` to stage"
    assert unescape_markdown(code) == code
    path = r"under HKCU\Software\Classes\ and %temp%\<name>"
    assert unescape_markdown(path) == path


def test_escaped_bracket_is_literal_text_not_a_link() -> None:
    assert simplify_markup(r"see \[note](x) here") == "see [note](x) here"
    assert simplify_markup("see [note](https://x.org/a) here") == "see note here"


def test_an_escaped_full_stop_still_ends_the_sentence() -> None:
    text = clean_text("Petlinsky confirms meeting him in Nice in July 2014\\. “You know,” he said.")
    sentences = [s.text for s in split_sentences(text)]
    assert sentences == ["Petlinsky confirms meeting him in Nice in July 2014.", "“You know,” he said."]
