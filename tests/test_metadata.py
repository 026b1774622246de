"""indexing.metadata (dates, title, publisher, language) and indexing.prepare (load → clean → metadata)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core.errors import DocumentError, FetchError
from core.settings import Settings
from core.types import DocumentMeta, LoadedDocument, Page
from indexing.metadata import (
    detect_language,
    infer_metadata,
    infer_published,
    infer_publisher,
    infer_title,
    normalize_date,
)
from indexing.prepare import prepare_bytes, prepare_file, prepare_url

SEED = "armyrecognition-2024-04-mivd-china-espionage.txt"


def _doc(text: str, **meta: object) -> LoadedDocument:
    return LoadedDocument(DocumentMeta(doc_id="d", source="d.txt", **meta), (Page(1, text),))  # type: ignore[arg-type]


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-19", "2024-01-19"),
        ("2024-1-9", "2024-01-09"),
        ("2024-01-19T10:30:00Z", "2024-01-19"),
        ("2024/01/19", "2024-01-19"),
        ("January 19, 2024", "2024-01-19"),
        ("Jan. 19 2024", "2024-01-19"),
        ("19 January 2024", "2024-01-19"),
        ("19th of January, 2024", "2024-01-19"),
        ("19 januari 2024", "2024-01-19"),
        ("19. März 2024", "2024-03-19"),
        ("April 2024", "2024-04"),
        ("2024-04", "2024-04"),
        ("2017-05 (approx.)", "2017-05"),
        ("2014 (approx.)", "2014"),
        ("2024", "2024"),
        (2024, "2024"),
        (date(2024, 1, 19), "2024-01-19"),
        (datetime(2024, 1, 19, 23, 59), "2024-01-19"),
        ("2024-13-01", None),
        ("February 30, 2024", None),
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_dates_are_normalized_to_iso(value: object, expected: str | None) -> None:
    assert normalize_date(value) == expected


def test_published_prefers_a_cued_day_date_over_a_date_line() -> None:
    text = (
        "Headline\n\n| Defense News Army 2024\n\n"
        "The annual report, released on April 19, 2024, says a lot.\n\n"
        "Defense News April 2024"
    )
    assert infer_published(text) == "2024-04-19"


def test_published_falls_back_to_a_date_line() -> None:
    assert infer_published("Headline\n\nSome body text.\n\nDefense News April 2024") == "2024-04"
    assert infer_published("Report\nPublication: November 2021\nBody.") == "2021-11"


def test_dates_in_running_prose_are_not_publication_dates() -> None:
    text = "The attack began on March 3, 2019 and lasted until the network was rebuilt in the following year."
    assert infer_published(text) is None


# --- title, publisher, language -------------------------------------------------------------------


def test_title_is_first_heading_else_first_line() -> None:
    assert infer_title("Some intro\n\n# The Real Title\n\nBody.") == "The Real Title"
    assert (
        infer_title("\n\nChinese Espionage targets Dutch industry.\nBody.")
        == "Chinese Espionage targets Dutch industry."
    )
    assert infer_title("Managed Detection and\nResponse Analytics report\nH1 2019") == (
        "Managed Detection and Response Analytics report"
    )
    assert len(infer_title("word " * 100)) <= 201


def test_publisher_from_page_furniture() -> None:
    assert (
        infer_publisher("Body.\nCopyright © 2019 - 2024 Army Recognition | Webdesign by Zzam")
        == "Army Recognition"
    )
    assert (
        infer_publisher("Body.\n© 2025 The MITRE Corporation. This work is reproduced.")
        == "The MITRE Corporation"
    )
    assert infer_publisher("Body.\nFollow Daily Cyber on Google News") == "Daily Cyber"
    assert infer_publisher("Cover\nwww.kaspersky.com\n") == "Kaspersky"
    assert infer_publisher("Subject to standard copyright rules, TLP:WHITE information may be shared.") == ""


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "The agency said that the group has been active since 2010 and that it was behind the attack on "
            "the ministry, which is one of the largest in the region.",
            "en",
        ),
        (
            "De dienst zegt dat de groep sinds 2010 actief is en dat het netwerk van het ministerie werd "
            "aangevallen door een groep die ook in andere landen actief is.",
            "nl",
        ),
        (
            "Der Dienst sagt, dass die Gruppe seit 2010 aktiv ist und dass sie hinter dem Angriff auf das "
            "Ministerium steht, das eines der größten in der Region ist.",
            "de",
        ),
        (
            "Le service affirme que le groupe est actif depuis 2010 et qu'il est à l'origine de l'attaque "
            "contre le ministère, qui est l'un des plus grands de la région.",
            "fr",
        ),
        ("APT1 T1003 T1005 S0002", ""),
    ],
)
def test_language_is_detected_by_stopwords(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_front_matter_values_win_over_inference() -> None:
    doc = _doc(
        "# Inferred title\n\nReleased on May 1, 2023. The report was published by the service.\n"
        "© 2023 Someone Else",
        title="Given title",
        publisher="Given publisher",
        published="2024-01-19",
        language="nl",
        url="https://example.org/given",
    )
    meta = infer_metadata(doc).meta
    assert (meta.title, meta.publisher, meta.published, meta.language, meta.url) == (
        "Given title",
        "Given publisher",
        "2024-01-19",
        "nl",
        "https://example.org/given",
    )


def test_missing_metadata_is_inferred_and_raw_furniture_names_the_publisher() -> None:
    raw = _doc("Skip to main content\nHeadline here\nText.\nCopyright © 2024 Example News | Webdesign by X")
    cleaned = _doc(
        "Headline here\n\nThe report, published on 3 May 2023, says the group hit the ministry and that the "
        "attack was one of the largest in the region.\n\nSource: https://example.org/story"
    )
    meta = infer_metadata(cleaned, raw=raw).meta
    assert meta.title == "Headline here"
    assert meta.published == "2023-05-03"
    assert meta.publisher == "Example News"
    assert meta.language == "en"
    assert meta.url == "https://example.org/story"


def test_unparseable_given_date_is_replaced_by_inference() -> None:
    meta = infer_metadata(_doc("Title\n\nIt was released on 2 June 2022.", published="sometime")).meta
    assert meta.published == "2022-06-02"


# --- prepare --------------------------------------------------------------------------------------


@pytest.mark.shared
def test_seed_article_is_prepared_with_report_date_and_publisher(
    shared_corpus: Path, settings: Settings
) -> None:
    doc = prepare_file(shared_corpus / SEED, settings, root=shared_corpus)
    assert (
        doc.meta.title
        == "Chinese Espionage targets Dutch high-tech industries to boost military capabilities."
    )
    assert doc.meta.published == "2024-04-19"
    assert doc.meta.publisher == "Army Recognition"
    assert doc.meta.language == "en"
    assert doc.meta.source == SEED
    assert doc.meta.kind == "txt"
    assert doc.text.startswith("Chinese Espionage targets")


@pytest.mark.shared
def test_every_shared_document_prepares_with_full_metadata(shared_corpus: Path, settings: Settings) -> None:
    paths = [p for p in sorted(shared_corpus.iterdir()) if p.name != "SOURCES.md"]
    assert len(paths) == 62
    for path in paths:
        doc = prepare_file(path, settings, root=shared_corpus)
        meta = doc.meta
        assert meta.title and meta.publisher and meta.published, path.name
        assert meta.language == "en", path.name
        assert meta.source == path.name
        assert doc.text.strip()


def test_document_of_only_boilerplate_fails_after_cleaning(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "nav.txt"
    path.write_text("Skip to main content\nShare this article\nCopyright © 2024 Example\n")
    with pytest.raises(DocumentError, match="no text left after cleaning") as err:
        prepare_file(path, settings)
    assert "nav.txt" in str(err.value)


def test_prepare_bytes_cleans_and_infers(settings: Settings) -> None:
    data = (
        b"Skip to main content\n\nBotnet warning\n\n"
        b"The advisory, issued on 18 September 2024, warns of a botnet."
    )
    doc = prepare_bytes(data, "<stdin>", settings)
    assert doc.text.startswith("Botnet warning")
    assert doc.meta.title == "Botnet warning"
    assert doc.meta.published == "2024-09-18"
    assert doc.meta.source == "<stdin>"


class _Pages(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/story":
            body = (
                b"<html><head><title>Botnet story</title><meta property='og:site_name' content='Cyber Wire'>"
                b"</head><body><article><h1>Botnet story</h1><p>Agencies warned on Wednesday about a large "
                b"botnet of routers used to hide espionage traffic from defenders.</p>"
                b"</article></body></html>"
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
        else:
            body = b"gone"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_prepare_url_returns_a_described_document(site: str, settings: Settings) -> None:
    doc = prepare_url(f"{site}/story", settings)
    assert "large botnet of routers" in doc.text
    assert doc.meta.publisher == "Cyber Wire"
    assert doc.meta.title == "Botnet story"
    assert doc.meta.source == f"{site}/story"
    assert doc.meta.language == "en"
    with pytest.raises(FetchError, match="404"):
        prepare_url(f"{site}/gone", settings)


def test_repo_samples_are_marked_and_fully_described(repo_corpus: Path, settings: Settings) -> None:
    from indexing.metadata import detect_language

    samples = sorted(repo_corpus.glob("*.md"))
    samples = [p for p in samples if p.name != "README.md"]
    assert 3 <= len(samples) <= 5
    languages = set()
    for path in samples:
        doc = prepare_file(path, settings, root=repo_corpus)
        meta = doc.meta
        assert meta.title.startswith("Sample —") and meta.publisher.startswith("Sample —"), path.name
        assert "This is a sample document written for the briefbot demo." in doc.text, path.name
        assert meta.published and meta.url.startswith("https://example.org/samples/")
        assert detect_language(doc.text) == meta.language, path.name  # front matter agrees with the text
        languages.add(meta.language)
    assert languages == {"en", "nl"}
