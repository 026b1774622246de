"""indexing.load: files, bytes and URLs into LoadedDocument, and every way that can fail."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.constants import PageLabelStyle
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from core.errors import DocumentError, FetchError
from core.settings import Settings, load_settings
from indexing.load import decode_text, load_bytes, load_file, load_url, make_doc_id, split_front_matter

ARTICLE_HTML = """<!doctype html>
<html lang="en"><head>
<title>Router botnet advisory | Example Security News</title>
<meta property="og:site_name" content="Example Security News">
<meta property="article:published_time" content="2024-09-18T10:00:00Z">
<link rel="canonical" href="https://news.example.org/2024/09/router-botnet">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/tech">Tech</a></nav>
<article>
<h1>Agencies warn of a router botnet run from abroad</h1>
<p>Security agencies from five countries published a joint advisory on Wednesday about a botnet of
more than two hundred thousand compromised routers and cameras used to hide espionage traffic.</p>
<h2>How the botnet works</h2>
<p>The operators exploit known vulnerabilities in end-of-life devices, install a small implant, and
relay traffic through the infected devices so that attacks appear to come from household networks.</p>
<p>The advisory lists indicators of compromise and recommends replacing devices that no longer get
security updates, disabling remote administration, and rebooting routers regularly.</p>
</article>
<footer>Copyright 2024 Example Security News. All rights reserved.</footer>
</body></html>
"""


def make_pdf(
    pages: list[list[str]],
    *,
    labels: list[tuple[int, int, str, int]] | None = None,
    password: str | None = None,
    title: str | None = None,
) -> bytes:
    """A small real PDF with one text line per entry (Helvetica), optional page labels and password."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        ops = ["BT", "/F1 11 Tf", "14 TL", "72 740 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        page.replace_contents(stream)  # type: ignore[arg-type]  # a decoded stream works; stubs are narrow
    for start, end, style, first in labels or []:
        writer.set_page_label(start, end, style=PageLabelStyle(style), start=first)
    if title:
        writer.add_metadata({"/Title": title, "/CreationDate": "D:20230314120000Z"})
    if password:
        writer.encrypt(user_password=password, owner_password=None, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- text and front matter ------------------------------------------------------------------------


def test_front_matter_fields_become_metadata(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "reports" / "mivd.md"
    path.parent.mkdir()
    path.write_text(
        "---\n"
        'title: "MIVD annual report 2023"\n'
        "url: https://example.org/mivd-2023\n"
        "published: 2024-04-19\n"
        "publisher: MIVD\n"
        "language: NL\n"
        "---\n\n# MIVD annual report\n\nChina targets the Dutch semiconductor sector.\n",
        encoding="utf-8",
    )
    doc = load_file(path, settings, root=tmp_path)
    assert doc.meta.title == "MIVD annual report 2023"
    assert doc.meta.url == "https://example.org/mivd-2023"
    assert doc.meta.published == "2024-04-19"  # YAML gave a date object
    assert doc.meta.publisher == "MIVD"
    assert doc.meta.language == "nl"
    assert doc.meta.kind == "md"
    assert doc.meta.source == "reports/mivd.md"
    assert "title:" not in doc.text
    assert doc.text.strip().startswith("# MIVD annual report")
    assert [p.label for p in doc.pages] == [None]


def test_front_matter_source_url_and_long_date_are_used(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "a.txt"
    path.write_text(
        "---\ntitle: A\nsource: https://example.org/a\ndate: January 19, 2024\n---\nBody text here.\n"
    )
    doc = load_file(path, settings)
    assert doc.meta.url == "https://example.org/a"
    assert doc.meta.published == "2024-01-19"
    assert doc.meta.source == "a.txt"
    assert doc.meta.kind == "txt"


def test_non_url_source_in_front_matter_is_not_a_url(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "a.md"
    path.write_text('---\ntitle: A\nsource: "github:owner/repo path.yaml"\n---\nBody.\n')
    assert load_file(path, settings).meta.url == ""


def test_malformed_front_matter_names_the_file(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "broken.md"
    path.write_text('---\ntitle: "unterminated\npublisher: [x\n---\nBody.\n')
    with pytest.raises(DocumentError) as err:
        load_file(path, settings)
    assert "broken.md" in str(err.value)
    assert "front matter" in str(err.value)


def test_front_matter_that_is_not_a_mapping_is_rejected() -> None:
    with pytest.raises(DocumentError, match="not a mapping"):
        split_front_matter("---\n- a\n- b\n---\nbody\n", "list.md")


def test_text_without_front_matter_is_kept_whole(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("Headline\n\n---\n\nA body with a rule in it.\n")
    doc = load_file(path, settings)
    assert doc.text == "Headline\n\n---\n\nA body with a rule in it.\n"
    assert doc.meta.title == ""


def test_doc_id_is_stable_and_depends_on_source(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "x").mkdir()
    for name in ("x/a.md", "a.md"):
        (tmp_path / name).write_text("Some text.\n")
    first = load_file(tmp_path / "x/a.md", settings, root=tmp_path)
    again = load_file(tmp_path / "x/a.md", settings, root=tmp_path)
    other = load_file(tmp_path / "a.md", settings, root=tmp_path)
    assert first.meta.doc_id == again.meta.doc_id == make_doc_id("x/a.md")
    assert first.meta.doc_id != other.meta.doc_id
    assert ":" not in first.meta.doc_id  # chunk ids are "{doc_id}:{hash}"


# --- encodings and bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Café déjà vu – “quoted”".encode("cp1252"), "Café déjà vu – “quoted”"),
        ("Grüße aus Köln".encode("latin-1"), "Grüße aus Köln"),
        ("\ufeffUTF-8 with BOM: naïve".encode(), "UTF-8 with BOM: naïve"),
        ("UTF-16 text: Zoë".encode("utf-16"), "UTF-16 text: Zoë"),
        (b"line one\r\nline two\r", "line one\nline two\n"),
    ],
)
def test_text_that_is_not_utf8_is_decoded_not_dropped(raw: bytes, expected: str) -> None:
    assert decode_text(raw, "x.txt") == expected


def test_non_utf8_file_loads(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Rapport über Spionage – Sektor Halbleiter.".encode("cp1252"))
    assert "über Spionage – Sektor" in load_file(path, settings).text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n\t ", "empty"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00binary", "binary"),
        (bytes(range(1, 32)) * 20, "binary"),
    ],
)
def test_bad_files_fail_with_the_reason(
    tmp_path: Path, settings: Settings, content: bytes, reason: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(DocumentError) as err:
        load_file(path, settings)
    assert reason in err.value.reason
    assert "bad.txt" in str(err.value)


def test_front_matter_only_file_is_empty(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "fm.md"
    path.write_text("---\ntitle: Only metadata\n---\n\n")
    with pytest.raises(DocumentError, match="no text"):
        load_file(path, settings)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    small = load_settings(home=tmp_path / "home", max_file_mb=0.001)
    path = tmp_path / "big.md"
    path.write_text("word " * 1000)
    with pytest.raises(DocumentError, match="too large") as err:
        load_file(path, small)
    assert "BRIEFBOT_MAX_FILE_MB" in str(err.value)
    with pytest.raises(DocumentError, match="too large"):
        load_bytes(b"word " * 1000, "<stdin>", small)


def test_missing_unsupported_and_folder_paths_fail(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(DocumentError, match="not found"):
        load_file(tmp_path / "nope.md", settings)
    (tmp_path / "doc.docx").write_bytes(b"PK\x03\x04")
    with pytest.raises(DocumentError, match="unsupported file type"):
        load_file(tmp_path / "doc.docx", settings)
    (tmp_path / "dir.md").mkdir()
    with pytest.raises(DocumentError, match="folder"):
        load_file(tmp_path / "dir.md", settings)


def test_unreadable_file_fails_with_permission_reason(tmp_path: Path, settings: Settings) -> None:
    import os

    path = tmp_path / "locked.md"
    path.write_text("secret")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(DocumentError, match="permission denied"):
            load_file(path, settings)
    finally:
        path.chmod(0o644)


# --- html -----------------------------------------------------------------------------------------


def test_html_main_text_and_metadata(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "page.html"
    path.write_text(ARTICLE_HTML)
    doc = load_file(path, settings)
    assert doc.meta.kind == "html"
    assert "two hundred thousand compromised routers" in " ".join(doc.text.split())
    assert "## How the botnet works" in doc.text  # headings kept as markdown
    assert "World" not in doc.text.split()  # navigation is not main text
    assert doc.meta.publisher == "Example Security News"
    assert doc.meta.published == "2024-09-18"
    assert doc.meta.url == "https://news.example.org/2024/09/router-botnet"
    assert doc.meta.title.startswith("Agencies warn of a router botnet") or "Router botnet" in doc.meta.title


def test_html_without_main_text_fails(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><head><script>var x = 1;</script></head><body><img src='a.png'></body></html>")
    with pytest.raises(DocumentError, match="no main text"):
        load_file(path, settings)


# --- pdf ------------------------------------------------------------------------------------------


def test_pdf_pages_keep_printed_labels(tmp_path: Path, settings: Settings) -> None:
    data = make_pdf(
        [["Cover: Threat report"], ["Chapter one text about espionage."], ["Chapter two text."]],
        labels=[(0, 0, "/r", 1), (1, 2, "/D", 1)],
        title="Threat report 2023",
    )
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    doc = load_file(path, settings)
    assert [(p.number, p.label) for p in doc.pages] == [(1, "i"), (2, "1"), (3, "2")]
    assert "Chapter one text about espionage." in doc.pages[1].text
    assert doc.meta.kind == "pdf"
    assert doc.meta.title == "Threat report 2023"
    assert doc.meta.published == "2023-03-14"


def test_encrypted_pdf_is_refused(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(make_pdf([["Secret text."]], password="s3cret"))
    with pytest.raises(DocumentError, match="encrypted PDF") as err:
        load_file(path, settings)
    assert "locked.pdf" in str(err.value)


def test_pdf_without_text_layer_is_a_scanned_pdf(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[], []]))
    with pytest.raises(DocumentError, match="no extractable text; is it a scanned PDF"):
        load_file(path, settings)


def test_corrupt_pdf_is_reported(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"garbage " * 50)
    with pytest.raises(DocumentError, match="PDF"):
        load_file(path, settings)


@pytest.mark.shared
def test_real_pdfs_load_page_by_page_with_labels(shared_corpus: Path, settings: Settings) -> None:
    path = shared_corpus / "kaspersky-2019-incident-response-analytics-report-2018.pdf"
    doc = load_file(path, settings, root=shared_corpus)
    assert doc.meta.source == path.name
    assert len(doc.pages) == 8
    assert all(p.label for p in doc.pages)
    assert doc.pages[3].label == "4" and doc.pages[3].number == 4
    assert "Incident Response" in doc.meta.title
    cisa = load_file(
        shared_corpus / "cisa-2021-11-federal-incident-and-vulnerability-response-playbooks.pdf", settings
    )
    assert len(cisa.pages) == 43
    assert cisa.meta.publisher == "Cybersecurity and Infrastructure Security Agency"


# --- bytes (stdin) --------------------------------------------------------------------------------


def test_load_bytes_sniffs_the_format(settings: Settings) -> None:
    pdf = load_bytes(make_pdf([["Piped PDF text."]]), "<stdin>", settings)
    assert "Piped PDF text." in pdf.text and pdf.pages[0].label == "1"
    html = load_bytes(ARTICLE_HTML.encode(), "<stdin>", settings)
    assert "<p>" not in html.text and "compromised routers" in html.text
    text = load_bytes(b"---\ntitle: Piped\n---\nPlain text from a pipe.\n", "<stdin>", settings)
    assert text.meta.title == "Piped" and text.meta.kind == "stdin" and text.meta.source == "<stdin>"
    with pytest.raises(DocumentError, match="empty"):
        load_bytes(b"", "<stdin>", settings)


# --- urls -----------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    pdf = b""

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/article":
            self._send(200, ARTICLE_HTML.encode(), "text/html; charset=utf-8")
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/article")
            self.end_headers()
        elif self.path == "/report.pdf":
            self._send(200, self.pdf, "application/pdf")
        elif self.path == "/notes.txt":
            self._send(200, "Plain notes – über.".encode("cp1252"), "text/plain")
        elif self.path == "/blob":
            self._send(200, b"\x00\x01" * 10, "application/octet-stream")
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, b"too late", "text/plain")
        else:
            self._send(404, b"not here", "text/plain")


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving the fixture pages."""
    _Handler.pdf = make_pdf([["A PDF served over HTTP."]])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_url_html_is_loaded_with_metadata(web: str, settings: Settings) -> None:
    doc = load_url(f"{web}/moved", settings)
    assert doc.meta.kind == "url"
    assert doc.meta.source == f"{web}/moved"
    assert "compromised routers" in doc.text
    assert doc.meta.publisher == "Example Security News"
    assert doc.meta.url  # canonical URL from the page


@pytest.mark.slow
def test_url_pdf_and_text_dispatch_on_content_type(web: str, settings: Settings) -> None:
    pdf = load_url(f"{web}/report.pdf", settings)
    assert "A PDF served over HTTP." in pdf.text and pdf.pages[0].label == "1"
    assert pdf.meta.url == f"{web}/report.pdf"
    text = load_url(f"{web}/notes.txt", settings)
    assert text.text == "Plain notes – über."


@pytest.mark.slow
def test_url_errors_are_one_line_fetch_errors(web: str, tmp_path: Path) -> None:
    quick = load_settings(home=tmp_path / "home", http_timeout=0.5)
    with pytest.raises(FetchError, match="HTTP 404"):
        load_url(f"{web}/missing", quick)
    with pytest.raises(FetchError, match=r"timed out after 0.5 s") as err:
        load_url(f"{web}/slow", quick)
    assert "\n" not in str(err.value)
    with pytest.raises(DocumentError, match="unsupported content type"):
        load_url(f"{web}/blob", quick)
    with pytest.raises(FetchError, match="not an http"):
        load_url("ftp://example.org/x", quick)


@pytest.mark.slow
def test_unreachable_host_is_a_fetch_error(settings: Settings) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError, match="could not connect"):
        load_url(f"http://127.0.0.1:{port}/x", settings)


def test_html_declared_charset_is_honoured(tmp_path: Path, settings: Settings) -> None:
    page = (
        '<html><head><meta charset="shift_jis"><title>スパイ活動</title></head><body><article>'
        "<p>これは日本語のテストです。スパイ活動についての記事です。半導体産業が標的になっています。</p>"
        "</article></body></html>"
    )
    path = tmp_path / "ja.html"
    path.write_bytes(page.encode("shift_jis"))
    doc = load_file(path, settings)
    assert "半導体産業が標的になっています" in doc.text
    assert doc.meta.title == "スパイ活動"
