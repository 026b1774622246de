"""indexing.markup: text reads as the rendered page, escapes and link syntax resolved."""

from __future__ import annotations

from bot.sentences import split_sentences
from indexing.clean import clean_text
from indexing.markup import simplify_markup, strip_html, unescape_markdown


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


def test_inline_html_goes_but_its_text_stays() -> None:
    html = (
        'A <b>lock</b> (<svg viewBox="0 0 52 64"><title>Lock</title><desc>A padlock</desc></svg>) icon<br/>'
    )
    assert strip_html(html) == "A lock () icon"
    assert (
        strip_html('<span class="x">APT28</span> used <a href="https://x.org">X-Agent</a>')
        == "APT28 used X-Agent"
    )


def test_angle_bracket_placeholders_and_code_are_not_html() -> None:
    text = r"run `<svg onload=x>` as <username> from %temp%\<name>.exe when a < b"
    assert strip_html(text) == text


def test_a_gov_banner_page_cleans_down_to_its_title() -> None:
    page = (
        "# ED 24-02: Mitigating the Significant Risk | CISA\n\n"
        "**Secure .gov websites use HTTPS**\n\n"
        'A **lock** (<svg xmlns="http://www.w3.org/2000/svg"><title id="t">Lock</title></svg>) or '
        "**https://** means you’ve safely connected to the .gov website. Share sensitive information only "
        "on official, secure websites.\n"
    )
    assert clean_text(page) == "# ED 24-02: Mitigating the Significant Risk | CISA"
