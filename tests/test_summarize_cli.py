"""`briefbot summarize` end to end: files, URLs, stdin, --doc, output formats, and every bad input."""

from __future__ import annotations

import io
import json
import re
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from core.textmatch import normalize
from tests.test_load import ARTICLE_HTML, make_pdf

REPORT_MD = """---
title: Router botnet advisory
publisher: Joint agencies
published: 2024-09-18
---

# Router botnet advisory

## Summary

Security agencies from five countries published a joint advisory on 18 September 2024 about a botnet of
260,000 compromised routers and cameras. The operators used the devices to hide espionage traffic aimed
at government networks in Europe and Asia.

## Technical details

The operators exploit known vulnerabilities in end-of-life devices and install a small implant. Traffic
is relayed through infected devices so that attacks appear to come from household networks.

## Mitigations

The advisory recommends replacing devices that no longer get security updates. Administrators should
disable remote administration and reboot routers regularly to clear the memory-resident implant.
"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(3)
        if self.path in ("/article.html", "/slow"):
            body = ARTICLE_HTML.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_error(404, "Not Found")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_HOME", str(tmp_path / "home"))


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code != 0
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]


# --- bad input: one line, non-zero exit, no model loaded ---------------------------------------------------


def test_url_that_returns_404(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["summarize", f"{server}/missing"], capsys)
    assert_one_line_error(code, err, "/missing", "HTTP 404")


def test_url_that_times_out(
    server: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFBOT_HTTP_TIMEOUT", "0.5")
    code, _, err = run_cli(["summarize", f"{server}/slow"], capsys)
    assert_one_line_error(code, err, "/slow", "timed out")


def test_pdf_without_a_text_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scanned = tmp_path / "scan.pdf"
    scanned.write_bytes(make_pdf([[], []]))
    code, _, err = run_cli(["summarize", str(scanned)], capsys)
    assert_one_line_error(code, err, "scan.pdf", "no extractable text; is it a scanned PDF?")


def test_encrypted_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(make_pdf([["Secret findings of the agency."]], password="hunter2"))
    code, _, err = run_cli(["summarize", str(locked)], capsys)
    assert_one_line_error(code, err, "locked.pdf", "encrypted PDF")


def test_empty_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"  \n")))
    code, _, err = run_cli(["summarize", "-"], capsys)
    assert_one_line_error(code, err, "stdin is empty")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("blob.txt", b"\x00\x01\x02binary\x00" * 50, "binary file"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "unsupported file type"),
    ],
)
def test_binary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, reason: str
) -> None:
    (tmp_path / name).write_bytes(content)
    code, _, err = run_cli(["summarize", str(tmp_path / name)], capsys)
    assert_one_line_error(code, err, name, reason)


def test_missing_file_names_what_can_be_summarized(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["summarize", "no-such-report.pdf"], capsys)
    assert_one_line_error(code, err, "no-such-report.pdf", "file not found", "--doc")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["summarize"], "exactly one document"),
        (["summarize", "a.md", "--doc", "b.md"], "exactly one document"),
        (["summarize", "a.md", "--length", "huge"], "Unknown summary length"),
        (["summarize", "a.md", "--words", "2"], "--words 2"),
        (["summarize", "a.md", "--format", "xml"], "Unknown format"),
        (["digest", "--since", "2999-01-01"], "in the future"),
    ],
)
def test_bad_options(args: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(args, capsys)
    assert_one_line_error(code, err, needle)


# --- summaries with the real model -------------------------------------------------------------------


@pytest.mark.slow
def test_markdown_file_summary_cites_sections_and_writes_out_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "botnet.md"
    report.write_text(REPORT_MD, encoding="utf-8")
    out = tmp_path / "out" / "summary.md"
    code, stdout, err = run_cli(["summarize", str(report), "--length", "short", "--out", str(out)], capsys)
    assert code == 0, err
    assert stdout == "" and "summary written to" in err
    text = out.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Router botnet advisory"
    assert lines[1].startswith("Joint agencies · 2024-09-18")
    bullets = [line for line in lines if line.startswith("- ")]
    assert 1 <= len(bullets) <= 4
    assert all(re.search(r"\[§ (Summary|Technical details|Mitigations)\]$", b) for b in bullets)
    assert "_Extractive summary" in text


@pytest.mark.slow
def test_url_summary_reuses_the_pipeline_cleaning(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["summarize", f"{server}/article.html", "--format", "json", "--words", "60"], capsys
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["url"].startswith(server)
    assert data["points"] and data["words"] <= 70
    assert "copyright" not in out.lower() and "all rights reserved" not in out.lower()


@pytest.mark.slow
def test_stdin_summary_and_focus_steers_the_selection(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def summarize(*extra: str) -> dict[str, Any]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(REPORT_MD.encode())))
        code, out, err = run_cli(["summarize", "-", "--format", "json", "--words", "30", *extra], capsys)
        assert code == 0, err
        data: dict[str, Any] = json.loads(out)
        return data

    plain = summarize()
    focused = summarize("--focus", "rebooting routers and disabling remote administration")
    assert plain["source"] == focused["source"] == "stdin"
    assert plain["points"][0]["citations"][0]["section"] != "Mitigations"
    (point,) = focused["points"]
    assert point["citations"][0]["section"] == "Mitigations"
    assert normalize(point["citations"][0]["quote"]) in normalize(REPORT_MD)
