"""`briefbot eval`: retrieval and answer metrics on a QA file, next to the LangChain-tutorial baseline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli import _common

if TYPE_CHECKING:
    from bot.evaluate import SystemReport

# (metric key, label, kind) in display order; kind says how to format the value.
ROWS: list[tuple[str, str, str]] = [
    ("hit@1", "hit@1", "share"),
    ("hit@3", "hit@3", "share"),
    ("hit@5", "hit@5", "share"),
    ("hit@10", "hit@10", "share"),
    ("mrr", "MRR", "share"),
    ("all@10", "all@10 (multi-string items)", "share"),
    ("refusal_recall", "refusal recall (unanswerable)", "share"),
    ("answerable_refused", "answerable refused", "share"),
    ("citation_support", "citation support", "share"),
    ("p50_ms", "p50 latency (ms)", "ms"),
    ("p95_ms", "p95 latency (ms)", "ms"),
    ("retrieval_items", "items scored for retrieval", "int"),
    ("errors", "errors", "int"),
]


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "share":
        return f"{float(value):.3f}"
    if kind == "ms":
        return f"{float(value):.0f}"
    return str(value)


def render_table(reports: list[SystemReport], *, title: str) -> None:
    """Print the systems side by side as a rich table."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("metric")
    for report in reports:
        table.add_column(report.name, justify="right")
    for key, label, kind in ROWS:
        table.add_row(label, *(_fmt(r.metrics.get(key), kind) for r in reports))
    console = Console()
    console.print(table)
    if any(r.name == "baseline" for r in reports):
        console.print(
            "baseline = LangChain tutorial: RecursiveCharacterTextSplitter 1000/200, same embedding model, "
            "Chroma, dense top-k; it never refuses, its 'citations' are the top-k passages it would put in "
            "the prompt, and its latency is retrieval only (no LLM).",
            style="dim",
        )


def register(app: typer.Typer) -> None:
    """Add `briefbot eval`."""

    @app.command("eval")
    def eval_cmd(
        ctx: typer.Context,
        qa_file: Annotated[
            Path, typer.Argument(help="QA JSONL file (format of ../shared/eval/dev_qa.jsonl).")
        ],
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
        k: Annotated[
            int | None, typer.Option("-k", "--k", min=1, max=100, help="Passages per answer (default top_k).")
        ] = None,
        corpus: Annotated[
            Path | None, typer.Option("--corpus", help="Corpus the baseline indexes (default corpus_dir).")
        ] = None,
        no_baseline: Annotated[
            bool, typer.Option("--no-baseline", help="Skip the LangChain baseline.")
        ] = False,
    ) -> None:
        """Score retrieval (hit@k, MRR), refusals, citation support and latency on a QA file.

        Uses the index already built in BRIEFBOT_HOME (run `briefbot index CORPUS` first);
        the baseline indexes --corpus in a temporary folder.
        """
        from bot.eval_baseline import evaluate_baseline
        from bot.evaluate import evaluate_briefbot, load_qa
        from bot.service import Briefbot

        settings = _common.ctx_obj(ctx).settings
        if k is not None:
            settings = settings.model_copy(update={"top_k": k})
        items = load_qa(qa_file)
        service = Briefbot(settings)

        def note(message: str) -> None:
            if not as_json:
                print(message, file=sys.stderr, flush=True)

        note(f"briefbot: {len(items)} questions from {qa_file}")
        reports = [evaluate_briefbot(service, items)]
        if not no_baseline:
            reports.append(
                evaluate_baseline(
                    items,
                    corpus=corpus or settings.corpus_dir,
                    settings=settings,
                    embedder=service.embedder,
                    progress=note,
                )
            )
        if as_json:
            typer.echo(json.dumps({r.name: r.to_json() for r in reports}))
            return
        render_table(reports, title=f"briefbot eval — {qa_file.name} ({len(items)} questions)")
