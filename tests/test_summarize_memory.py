"""Long documents summarize in bounded memory: a generated 300-page PDF against a 30-page one.

The PDFs are generated here (real PDF files written with pypdf via the loader
tests' ``make_pdf``), loaded through the indexing pipeline, then summarized
with the real embedding model under tracemalloc. The summarizer streams: its
peak memory must stay about the same for ten times the pages (holding every
sentence vector would grow it ~10x).
"""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.summarize import summarize_document
from bot.summarize_units import target_for
from core.settings import Settings, load_settings
from core.textmatch import contains
from core.types import LoadedDocument
from indexing.embed import Embedder, open_embedder
from indexing.prepare import prepare_file
from tests.test_load import make_pdf

ACTORS = ["APT28", "APT41", "Volt Typhoon", "Lazarus Group", "Sandworm", "Mustang Panda", "Kimsuky", "APT29"]
SECTORS = ["semiconductor", "aerospace", "maritime", "energy", "telecom", "banking", "health", "water"]
VERBS = ["targeted", "breached", "probed", "exploited", "phished", "infiltrated"]
TOOLS = [
    "a VPN flaw",
    "stolen credentials",
    "a supply-chain update",
    "spear-phishing mail",
    "an edge router bug",
]
HEADER = "GENERATED THREAT REPORT | TLP:CLEAR"


def report_sentence(rng: random.Random, page: int) -> str:
    actor, sector, verb, tool = rng.choice(ACTORS), rng.choice(SECTORS), rng.choice(VERBS), rng.choice(TOOLS)
    n = rng.randint(2, 950)
    forms = [
        f"In {2015 + page % 10}, {actor} {verb} {n} {sector} organisations through {tool}.",
        f"Analysts attributed the {sector} campaign of week {page} to {actor}, which used {tool}.",
        f"The agency said on page {page} that {actor} kept access to {n} {sector} networks for months.",
        f"Defenders in the {sector} sector patched {tool} after {actor} {verb} {n} hosts.",
    ]
    return rng.choice(forms)


def report_pages(n_pages: int, *, sentences: int = 8, seed: int = 11) -> list[list[str]]:
    """Text lines per page: a running header, wrapped paragraphs of report sentences, a page footer."""
    rng = random.Random(seed)
    pages = []
    for page in range(1, n_pages + 1):
        words = " ".join(report_sentence(rng, page) for _ in range(sentences)).split()
        lines, line = [HEADER, ""], ""
        for w in words:
            if len(line) + len(w) + 1 > 86:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}".strip()
        lines += [line, "", f"Page {page}"]
        pages.append(lines)
    return pages


def write_report_pdf(path: Path, n_pages: int, *, sentences: int = 8) -> Path:
    """A generated n-page report PDF at ``path``."""
    pages = report_pages(n_pages, sentences=sentences)
    path.write_bytes(make_pdf(pages, title=f"Generated threat report ({n_pages} pages)"))
    return path


def peak_bytes(doc: LoadedDocument, settings: Settings, embedder: Embedder) -> tuple[int, int]:
    """tracemalloc peak while summarizing ``doc`` (already loaded), and the number of points."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        summary = summarize_document(doc, settings=settings, embedder=embedder, target=target_for("medium"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, len(summary.points)


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedder]:
    yield open_embedder(load_settings(home=tmp_path_factory.mktemp("home")))


@pytest.mark.slow
def test_a_300_page_pdf_summarizes_in_the_memory_of_a_30_page_one(
    tmp_path: Path, settings: Settings, embedder: Embedder
) -> None:
    # Four sentences a page keep the embedding time modest; 1,200 sentences overflow the candidate pool.
    small = prepare_file(write_report_pdf(tmp_path / "r30.pdf", 30, sentences=4), settings)
    large = prepare_file(write_report_pdf(tmp_path / "r300.pdf", 300, sentences=4), settings)
    assert len(large.pages) == 300 and HEADER not in large.text  # the running header was cleaned away
    summarize_document(small, settings=settings, embedder=embedder, target=target_for("short"))  # warm up

    peak_small, n_small = peak_bytes(small, settings, embedder)
    peak_large, n_large = peak_bytes(large, settings, embedder)

    assert n_small >= 4 and n_large >= 4
    ratio = peak_large / peak_small
    print(
        f"tracemalloc peak: 30 pages {peak_small / 1e6:.2f} MB, "
        f"300 pages {peak_large / 1e6:.2f} MB, x{ratio:.2f}"
    )
    assert ratio < 2.0, f"peak memory grew x{ratio:.2f} for 10x the pages"


@pytest.mark.slow
def test_long_pdf_summary_spreads_over_the_document_and_cites_real_pages(
    tmp_path: Path, settings: Settings, embedder: Embedder
) -> None:
    doc = prepare_file(write_report_pdf(tmp_path / "r90.pdf", 90, sentences=3), settings)
    summary = summarize_document(doc, settings=settings, embedder=embedder, target=target_for("long"))
    pages = [int(c.page or 0) for p in summary.points for c in p.citations]
    assert len(summary.points) >= 10
    assert pages == sorted(pages)
    assert len({(p - 1) * 6 // 90 for p in pages}) >= 5, f"points cluster on pages {pages}"
    for point in summary.points:
        (c,) = point.citations
        assert contains(doc.pages[int(c.page or 0) - 1].text, c.quote)
