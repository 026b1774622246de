"""indexing.clean: page boilerplate goes, body text stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from core.textmatch import contains, normalize
from core.types import DocumentMeta, LoadedDocument, Page
from indexing.clean import (
    clean_document,
    clean_text,
    is_boilerplate_line,
    join_hyphenated,
    reflow,
    strip_repeated_page_lines,
)
from indexing.load import load_file

SEED = "armyrecognition-2024-04-mivd-china-espionage.txt"

# The article body of the seed, identified by reading the file: the lead paragraph and the eight
# paragraphs between the photo caption and the "Defense News April 2024" footer line.
SEED_BODY_STARTS = [
    "The latest annual report from the Dutch Military Intelligence and Security Service (MIVD)",
    "sAccording to the report, Chinese intelligence systematically targeted Dutch industries",
    "Dutch intelligence agencies have been closely monitoring these activities",
    "The annual report also notes an increase in the scope, intensity",
    "Over the past few years, Europe has become a prime target",
    "China's objective through these incursions is clear",
    "In response to this growing threat, European countries",
    "Additionally, initiatives at the European Union level have emerged",
]


def _doc(*pages: Page) -> LoadedDocument:
    return LoadedDocument(DocumentMeta(doc_id="d", source="d.txt"), tuple(pages))


# --- the seed article (acceptance test from the issue) --------------------------------------------


@pytest.mark.shared
def test_seed_article_is_cleaned_to_headline_and_full_body(shared_corpus: Path, settings: Settings) -> None:
    raw = load_file(shared_corpus / SEED, settings, root=shared_corpus)
    cleaned = clean_document(raw).text
    assert cleaned.startswith(
        "Chinese Espionage targets Dutch high-tech industries to boost military capabilities."
    )
    for junk in ("Skip to main content", "Follow Army Recognition", "Copyright ©", "Webdesign"):
        assert junk not in cleaned
    raw_paragraphs = [p.strip() for p in raw.text.split("\n") if p.strip()]
    for start in SEED_BODY_STARTS:
        full = [p for p in raw_paragraphs if p.startswith(start)]
        assert len(full) == 1, start
        assert contains(cleaned, full[0]), f"body paragraph lost: {start}"
    # and nothing but the body: every cleaned paragraph after the headline is one of them
    body = [p for p in cleaned.split("\n\n")[1:] if p.strip()]
    assert len(body) == len(SEED_BODY_STARTS)


# --- a different news page with the same kinds of furniture ---------------------------------------

NEWS_PAGE = """Skip to content
Home
World
Politics
Technology
Security
Opinion

Router botnet hid espionage traffic, agencies say

Home › News › Cyber

By Jane Doe | 18 September 2024

Security agencies from five countries said on Wednesday that a botnet of compromised routers
was used to hide espionage traffic. The devices were mostly end-of-life models that no longer
receive updates.
Share on Twitter
Share on Facebook
Subscribe to our newsletter for free updates

The operators relayed traffic through household networks, the advisory says. Victims included
universities and defence contractors.

We use cookies to improve your experience. By continuing you accept our Privacy Policy.
Follow Daily Cyber Digest on Google News
Daily Cyber Digest Independent security news
Related articles
Advertisement
© 2024 Daily Cyber Digest. All rights reserved.
Website by Pixelworks
"""


def test_generic_news_page_boilerplate_is_removed() -> None:
    cleaned = clean_text(NEWS_PAGE)
    assert cleaned.startswith("Router botnet hid espionage traffic, agencies say")
    for junk in (
        "Skip to content",
        "Politics",
        "Home › News",
        "Share on",
        "newsletter",
        "cookies",
        "Follow Daily",
        "Independent security news",
        "Related articles",
        "Advertisement",
        "©",
        "Pixelworks",
    ):
        assert junk not in cleaned, junk
    assert contains(
        cleaned,
        "Security agencies from five countries said on Wednesday that a botnet of compromised routers "
        "was used to hide espionage traffic. The devices were mostly end-of-life models that no longer "
        "receive updates.",
    )
    assert contains(cleaned, "Victims included universities and defence contractors.")
    assert "By Jane Doe | 18 September 2024" in cleaned  # a byline is not boilerplate


@pytest.mark.parametrize(
    "line",
    [
        "Skip to main content",
        "Follow Army Recognition on Google News at this link",
        "Copyright © 2019 - 2024 Army Recognition | Webdesign by Zzam",
        "© 2025 The MITRE Corporation. This work is reproduced and distributed with permission.",
        "Share this article",
        "Subscribe to Alerts",
        "This website uses cookies. Accept all cookies to continue.",
        "Page 3 of 12",
        "Advertisement. Scroll to continue reading.",
        "Was this document helpful?  Yes  |  Somewhat  |  No",
        "The MIVD highlighted the threat (Picture source: Army Recognition)",
        "An official website of the United States government",
        "Here’s how you know",
        "**Secure .gov websites use HTTPS**",
        "A **lock** () or **https://** means you’ve safely connected to the .gov website. Share sensitive "
        "information only on official, secure websites.",
        "Official websites use .gov A .gov website belongs to an official government organization.",
    ],
)
def test_boilerplate_lines_are_recognised(line: str) -> None:
    assert is_boilerplate_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "The malware steals browser cookies and session tokens from its victims.",
        "The malware steals cookies and sends them to servers that accept any connection.",
        "Join forces with allies to counter these threats, the minister said today.",
        "Copyright law was used against the leakers, prosecutors said on Monday.",
        "Subscribers of the telecom provider were notified of the breach in March.",
        "- [PSIRT | FortiGuard](https://www.fortiguard.com/psirt/FG-IR-24-015)",
        "| Actor | Country | First seen |",
        "## Share of incidents by sector",
        "Follow the money: how ransomware groups launder their proceeds through mixers.",
        "Agencies must move their public websites to .gov domains that use HTTPS by the end of 2024.",
    ],
)
def test_body_lines_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate_line(line)


def test_copyright_footer_does_not_cut_a_long_appendix() -> None:
    text = "Intro paragraph that is long enough to be body text, surely.\n\n" * 6
    licence = "Licensed text that follows the notice and goes on with many more words than a footer has. " * 2
    text += "Copyright 2024 Example Corp\n\n" + "\n\n".join([licence] * 10)
    cleaned = clean_text(text)
    assert "Copyright 2024" not in cleaned
    assert cleaned.count("Licensed text that follows") == 20


# --- navigation menus -----------------------------------------------------------------------------


def test_navigation_runs_go_but_lists_and_indicators_stay() -> None:
    text = "\n".join(
        [
            "User",
            "Register",
            "Login",
            "",
            "Language",
            "English",
            "Français",
            "Deutsch",
            "Symantec Blogs",
            "",
            "The Black Vine group targeted aerospace firms.",
            "",
            "- Aerospace",
            "- Healthcare",
            "- Energy",
            "- Finance",
            "- Defence",
            "",
            "Indicators:",
            "203.0.113.10",
            "198.51.100.7",
            "evil-domain.example",
            "d41d8cd98f00b204e9800998ecf8427e",
            "5d41402abc4b2a76b9719d911017c592",
        ]
    )
    cleaned = clean_text(text)
    assert "Register" not in cleaned and "Français" not in cleaned
    assert cleaned.startswith("The Black Vine group targeted aerospace firms.")
    for kept in (
        "- Aerospace",
        "- Defence",
        "203.0.113.10",
        "evil-domain.example",
        "5d41402abc4b2a76b9719d911017c592",
    ):
        assert kept in cleaned


def test_short_label_lines_below_the_run_length_are_kept() -> None:
    cleaned = clean_text("Key findings\n\nChina targeted chip makers.\n\nRecommendations\n\nPatch routers.")
    assert "Key findings" in cleaned and "Recommendations" in cleaned


# --- PDF headers, footers, page numbers -----------------------------------------------------------


BODIES = [
    ("The botnet spans 200,000 devices.", "Most run end-of-life firmware."),
    ("Operators rent access to others.", "Traffic is relayed through homes."),
    ("Victims include universities.", "And defence contractors in 2023."),
    ("Mitigations are listed below.", "Replace unsupported devices."),
    ("Disable remote administration.", "Reboot routers regularly."),
]


def test_repeated_page_headers_and_numbers_are_stripped() -> None:
    pages = [
        Page(
            number=i,
            label=str(i),
            text=f"TLP:CLEAR\n{i} CISA | Joint Advisory\n{body[0]}\n{body[1]}\nPage {i} of 5",
        )
        for i, body in enumerate(BODIES, start=1)
    ]
    cleaned = strip_repeated_page_lines(pages)
    for page in cleaned:
        assert "TLP:CLEAR" not in page.text
        assert "CISA | Joint Advisory" not in page.text
        assert f"Page {page.number} of 5" not in page.text
        assert page.text == "\n".join(BODIES[page.number - 1])
    assert [(p.number, p.label) for p in cleaned] == [(p.number, p.label) for p in pages]


def test_bare_page_number_lines_go_only_when_they_match_the_page() -> None:
    pages = [
        Page(number=1, label="i", text="i\nPreface text here."),
        Page(number=2, label="1", text="Results\n81%\nof incidents were ransomware\n2238\n1"),
        Page(number=3, label="2", text="More results.\n2"),
    ]
    cleaned = strip_repeated_page_lines(pages)
    assert cleaned[0].text == "Preface text here."
    assert "81%" in cleaned[1].text and "2238" in cleaned[1].text
    assert not cleaned[1].text.endswith("\n1") and cleaned[1].text.endswith("2238")
    assert cleaned[2].text == "More results."


def test_lines_repeated_on_few_pages_are_kept() -> None:
    pages = [Page(number=i, label=str(i), text=f"Intro\nText {i}.") for i in range(1, 7)]
    pages[0] = Page(number=1, label="1", text="Summary line\nText 1.")
    pages[1] = Page(number=2, label="2", text="Summary line\nText 2.")
    cleaned = strip_repeated_page_lines(pages)
    assert cleaned[0].text.startswith("Summary line")  # on 2 of 6 pages: not a running header
    assert all("Intro" not in p.text for p in cleaned[2:])  # on 4 of 6 pages: running header


@pytest.mark.shared
def test_real_pdf_running_headers_are_removed(shared_corpus: Path, settings: Settings) -> None:
    name = "cisa-2021-11-federal-incident-and-vulnerability-response-playbooks.pdf"
    doc = clean_document(load_file(shared_corpus / name, settings))
    assert len(doc.pages) == 43
    assert doc.pages[4].label == "5"
    assert "CISA | Cybersecurity and Infrastructure Security Agency" not in doc.pages[4].text
    assert "TLP:WHITE" not in doc.pages[4].text
    assert (
        "This playbook provides a standardized response process for cybersecurity incidents"
        in doc.pages[4].text
    )


# --- hyphenation, reflow, markup ------------------------------------------------------------------


def test_words_hyphenated_across_lines_are_joined() -> None:
    assert join_hyphenated("industrial espio-\nnage is rising") == "industrial espionage is rising"
    text = "a state-sponsored group and another state-\nsponsored actor"
    assert join_hyphenated(text) == "a state-sponsored group and another state-sponsored actor"
    assert join_hyphenated("the list:\n-\nitem") == "the list:\n-\nitem"


def test_hard_wrapped_paragraphs_are_reflowed_but_structure_kept() -> None:
    text = (
        "# Findings\n\n"
        "The service observed a rise in cyber espionage against the\n"
        "semiconductor sector, and in attempts to recruit insiders at\n"
        "research institutes.\n\n"
        "- first item that is long enough to look like a wrapped line\n"
        "- second item\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
    )
    out = reflow(text)
    assert (
        "The service observed a rise in cyber espionage against the semiconductor sector, and in attempts "
        "to recruit insiders at research institutes." in out
    )
    assert out.startswith("# Findings\n\n")
    assert "\n- second item" in out
    assert "| a | b |\n|---|---|\n| 1 | 2 |" in out


def test_short_title_line_is_not_merged_into_the_paragraph() -> None:
    text = (
        "APT3 Linked to Chinese Ministry of State Security\n" + "Researchers claim that APT3 is linked. " * 8
    )
    assert reflow(text).split("\n")[0] == "APT3 Linked to Chinese Ministry of State Security"


def test_markdown_link_targets_and_dot_leaders_are_dropped() -> None:
    cleaned = clean_text(
        "[APT1](https://attack.mitre.org/groups/G0006) used [Mimikatz](https://x.org/S0002)."
    )
    assert cleaned == "APT1 used Mimikatz."
    assert clean_text("Preparation Phase ............................ 5") == "Preparation Phase … 5"
    assert "https://example.org/report.pdf" in clean_text("1. Report. https://example.org/report.pdf")
    # a line that is nothing but a link is a reference: its URL is the content and stays
    assert clean_text("- [PSIRT | FortiGuard](https://www.fortiguard.com/psirt/FG-IR-24-015)") == (
        "- PSIRT | FortiGuard (https://www.fortiguard.com/psirt/FG-IR-24-015)"
    )


def test_whitespace_and_invisible_characters_are_normalized() -> None:
    cleaned = clean_text("A\u00a0line  with\tspaces\u200b and soft\u00adhyphen.\n\n\n\nNext  paragraph.")
    assert cleaned == "A line with spaces and softhyphen.\n\nNext paragraph."


def test_clean_document_keeps_pages_and_labels() -> None:
    doc = _doc(Page(1, "Header\nText one.", "i"), Page(2, "Header\nText two.", "1"))
    cleaned = clean_document(doc)
    assert [(p.number, p.label) for p in cleaned.pages] == [(1, "i"), (2, "1")]
    assert cleaned.meta == doc.meta


BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
HELDOUT_SETS = sorted(p.name for p in BENCHMARKS.glob("heldout*_qa.jsonl"))


def _assert_quotes_survive_cleaning(qa: Path, corpus: Path, settings: Settings) -> None:
    import json

    cache: dict[str, str] = {}
    for line in qa.read_text().splitlines():
        item = json.loads(line)
        names = item.get("doc") or []
        names = names if isinstance(names, list) else [names]
        if not names:
            continue
        for name in names:
            if name not in cache:
                cache[name] = normalize(clean_document(load_file(corpus / name, settings)).text)
        text = " ".join(cache[n] for n in names)
        # Any one must_contain string proves support (the eval's rule); all of them are checked here.
        for quote in item.get("must_contain", []):
            assert normalize(quote) in text, (item["id"], quote)


@pytest.mark.shared
def test_cleaning_keeps_every_eval_quote(shared_corpus: Path, dev_qa: Path, settings: Settings) -> None:
    """Every must_contain string of the dev questions survives cleaning of its document."""
    _assert_quotes_survive_cleaning(dev_qa, shared_corpus, settings)


@pytest.mark.shared
@pytest.mark.parametrize("name", HELDOUT_SETS)
def test_cleaning_keeps_every_heldout_quote(name: str, shared_corpus: Path, settings: Settings) -> None:
    """The held-out sets in benchmarks/ are only fair if their quotes survive cleaning, too."""
    _assert_quotes_survive_cleaning(BENCHMARKS / name, shared_corpus, settings)
