"""`briefbot summarize` and `briefbot digest`: cited summaries as markdown or JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli import _common
from core.errors import InputError

if TYPE_CHECKING:
    from bot.results import Summary, SummaryCitation, SummaryPoint

FORMATS = ("markdown", "json")
PROGRESS_MIN_STEPS = 5
"""Documents with fewer pages (or LLM calls) than this finish too fast to need a progress bar."""


# --- rendering ----------------------------------------------------------------------------------------------


LABEL_CHARS = 60


def label(c: SummaryCitation) -> str:
    """'[p. 12]' or '[§ Heading]', a long heading (an article title) clipped."""
    if c.page or not c.section or len(c.section) <= LABEL_CHARS:
        return c.label()
    return f"[§ {c.section[: LABEL_CHARS - 1].rstrip()}…]"


def _labels(point: SummaryPoint) -> str:
    return "".join(dict.fromkeys(label(c) for c in point.citations if c.label()))


def _method_line(summary: Summary) -> str:
    if summary.method == "extractive":
        return "_Extractive summary: every point is a sentence quoted from the document._"
    model = summary.method.removeprefix("llm:")
    return f"_Summary written by {model}; every citation verified against the document._"


def render_markdown(summary: Summary) -> str:
    """A summary as markdown: title, metadata line, cited bullets with quotes, method label, notes."""
    lines = [f"# {summary.title}"]
    meta = [summary.publisher, summary.published or "", summary.url or summary.source]
    lines.append(" · ".join(m for m in meta if m))
    lines.append("")
    if not summary.points:
        lines.append("_No summary points._")
    for point in summary.points:
        labels = _labels(point)
        verbatim = [c.quote for c in point.citations] == [
            point.text
        ]  # an extracted sentence is its own quote
        text = f"“{point.text}”" if verbatim else point.text
        lines.append(f"- {text}" + (f" {labels}" if labels else ""))
        for c in point.citations:
            if c.quote and not verbatim:
                lines.append(f"  > “{c.quote}” {label(c)}".rstrip())
    lines.append("")
    lines.append(_method_line(summary) + f" ({summary.words} words)")
    if summary.removed:
        lines.append("")
        lines.append(f"Removed by verification ({len(summary.removed)}):")
        for r in summary.removed:
            what = f"{r.marker} " if r.marker else ""
            lines.append(f"- {what}{r.reason}" + (f": “{r.sentence[:120]}”" if r.sentence else ""))
    if summary.notes:
        lines.append("")
        lines.extend(f"Note: {n}" for n in summary.notes)
    return "\n".join(lines) + "\n"


def render(summaries: list[Summary], fmt: str, *, single: bool) -> str:
    """Markdown or JSON text for one summary (``single``) or a digest list."""
    if fmt == "json":
        data: Any = summaries[0].to_json() if single else [s.to_json() for s in summaries]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return "\n---\n\n".join(render_markdown(s) for s in summaries)


def _check_format(fmt: str) -> str:
    fmt = fmt.strip().lower()
    if fmt == "md":
        fmt = "markdown"
    if fmt not in FORMATS:
        raise InputError(f"Unknown format {fmt!r}.", hint="Use --format markdown or --format json.")
    return fmt


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"Cannot write {out}: {exc.strerror or exc}.", hint="Check the --out path."
        ) from None
    typer.echo(f"summary written to {out}", err=True)


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress callback drawing a rich bar on stderr (terminals only, long documents only)."""
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "progress" not in state:
            if total < PROGRESS_MIN_STEPS:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            console = Console(stderr=True)
            if not console.is_terminal:
                state["progress"] = None
                return
            progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            progress.start()
            state["progress"] = progress
            state["task"] = progress.add_task(description, total=total)
        progress = state["progress"]
        if progress is not None:
            progress.update(state["task"], completed=done, total=max(total, done))

    try:
        yield update
    finally:
        if state.get("progress") is not None:
            state["progress"].stop()


# --- commands -----------------------------------------------------------------------------------------------


def summarize_cmd(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Argument(help="A file (.md .txt .html .pdf), a URL, or '-' for stdin.")
    ] = None,
    doc: Annotated[
        str | None, typer.Option("--doc", help="An indexed document: its source path or a unique file name.")
    ] = None,
    length: Annotated[str, typer.Option("--length", "-l", help="short, medium or long.")] = "medium",
    words: Annotated[
        int | None, typer.Option("--words", "-w", help="About this many words (overrides --length).")
    ] = None,
    focus: Annotated[str | None, typer.Option("--focus", help="A topic or question to focus on.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown or json.")] = "markdown",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the summary to this file.")] = None,
) -> None:
    """A cited summary of one report: every point names its page or section and quotes it."""
    from bot.service import Briefbot
    from bot.summarize_units import target_for

    fmt = _check_format(fmt)
    if (source is None) == (doc is None):
        raise InputError(
            "Give exactly one document to summarize.",
            hint="Pass a file, URL or '-' as SOURCE, or --doc NAME for an indexed document.",
        )
    target_for(length, words)  # reject a bad --length/--words before any loading
    service = Briefbot(_common.ctx_obj(ctx).settings)
    with progress_bar("summarizing") as progress:
        summary = service.summarize(
            doc if doc is not None else str(source),
            indexed=doc is not None,
            length=length,
            words=words,
            focus=focus,
            progress=progress,
        )
    _emit(render([summary], fmt, single=True), out)


def digest_cmd(
    ctx: typer.Context,
    since: Annotated[
        datetime | None,
        typer.Option(
            "--since",
            help="Reports indexed at or after this date/time (local time).",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        ),
    ] = None,
    new: Annotated[
        bool, typer.Option("--new", help="Reports not shown in an earlier digest (the default).")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown or json.")] = "markdown",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the digest to this file.")] = None,
) -> None:
    """A short cited summary of each report indexed since a date, or since the last digest."""
    from bot.service import Briefbot

    fmt = _check_format(fmt)
    summaries = Briefbot(_common.ctx_obj(ctx).settings).digest(since=since, new=new)
    if not summaries:
        if fmt == "json":
            _emit("[]\n", out)
        else:
            when = f"since {since:%Y-%m-%d %H:%M}" if since is not None else "since the last digest"
            _emit(f"No reports indexed {when}.\n", out)
        return
    _emit(render(summaries, fmt, single=False), out)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("summarize")(summarize_cmd)
    app.command("digest")(digest_cmd)
