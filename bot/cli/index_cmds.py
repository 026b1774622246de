"""`briefbot index`, `watch`, `search` and `status`."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from bot.cli import _common
from core.errors import InputError
from core.types import Passage, SearchFilters

if TYPE_CHECKING:
    from bot.service import Briefbot
    from core.settings import Settings
    from indexing.pipeline import IndexReport


def _paths(given: list[Path] | None, default: Path) -> list[Path]:
    return list(given) if given else [default]


def print_report(report: IndexReport, *, as_json: bool, out: TextIO | None = None) -> None:
    """An index report as one JSON object or a few human lines (failures named with their reason)."""
    out = out or sys.stdout
    if as_json:
        print(json.dumps(report.to_json()), file=out, flush=True)
        return
    verb = "would index" if report.plan else "indexed"
    print(
        f"{verb}: {report.added} added, {report.updated} updated, {report.deleted} deleted, "
        f"{report.skipped} unchanged, {len(report.failed)} failed"
        + ("" if report.plan else f" ({report.chunks_embedded} chunks embedded, {report.seconds:.1f} s)"),
        file=out,
        flush=True,
    )
    if report.plan:
        for action, source in report.changes:
            print(f"  {action:<6} {source}", file=out)
    if report.repaired:
        print(f"repaired {report.repaired} records left by an interrupted run", file=out)
    if report.failed:
        print("failed:", file=out)
        for source, reason in report.failed:
            print(f"  {source}: {reason}", file=out)
    out.flush()


def index_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the corpus folder).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
    plan: Annotated[bool, typer.Option("--plan", help="Show what would change; change nothing.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the index and start over.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit non-zero when any file failed.")] = False,
) -> None:
    """Index new and changed files, prune deleted ones; unchanged files are skipped."""
    from indexing.pipeline import index_paths

    settings = _common.ctx_obj(ctx).settings
    report = index_paths(
        _paths(paths, settings.corpus_dir),
        settings,
        rebuild=rebuild,
        plan=plan,
        progress=not as_json,
        strict=strict,
    )
    print_report(report, as_json=as_json)
    if not plan:
        _notify(settings, report)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def watch_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Folders or files to watch (default: corpus).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON report per line.")] = False,
    debounce: Annotated[
        float, typer.Option("--debounce", min=0.1, help="Seconds of quiet before re-indexing.")
    ] = 2.0,
) -> None:
    """Index, then re-index whenever files appear, change or disappear (Ctrl-C stops)."""
    from indexing.watch import watch

    settings = _common.ctx_obj(ctx).settings
    targets = _paths(paths, settings.corpus_dir)
    typer.echo(f"watching {', '.join(map(str, targets))} (Ctrl-C to stop)", err=True)
    watch(
        targets,
        settings,
        on_report=lambda r: _report_and_notify(settings, r, as_json=as_json),
        on_error=lambda e: typer.echo(f"error: {e} (will retry on the next change)", err=True),
        debounce=debounce,
    )
    typer.echo("stopped", err=True)


def _report_and_notify(settings: Settings, report: IndexReport, *, as_json: bool) -> None:
    print_report(report, as_json=as_json)
    _notify(settings, report)


def _notify(settings: Settings, report: IndexReport) -> None:
    """Tell the configured Slack channel about new reports (does nothing when none is set)."""
    if report.new_documents and settings.slack_notify_channel:
        from bot.slack.notify import notify_if_configured

        notify_if_configured(settings, report)


def _filters(query: str, **options: str | None) -> tuple[str, SearchFilters]:
    from bot.filters import make_filters, parse_inline_filters

    text, inline = parse_inline_filters(query)
    return text, inline.merged(make_filters(**options))


def run_search(service: Briefbot, query: str, k: int, filters: SearchFilters | None) -> list[Passage]:
    """Top passages of the hybrid retriever."""
    if not query.strip():
        raise InputError("The search query is empty.", hint='Write e.g. briefbot search "APT28 routers".')
    return service.search(query, k=k, filters=filters)


def _print_passages(passages: list[Passage]) -> None:
    if not passages:
        typer.echo("no passages found")
    for p in passages:
        where = ", ".join(x for x in (p.publisher, p.published or "", f"p. {p.page}" if p.page else "") if x)
        typer.echo(f"[{p.rank}] {p.score:.3f}  {p.title or p.source}" + (f"  ({where})" if where else ""))
        typer.echo(f"    {p.source}" + (f"  {p.url}" if p.url else ""))
        snippet = " ".join(p.text.split())
        typer.echo(textwrap.indent(textwrap.fill(textwrap.shorten(snippet, 400), 100), "    "))
        typer.echo("")


def _batch(service: Briefbot, file: Path, k: int, base: SearchFilters) -> None:
    stream = sys.stdin if str(file) == "-" else None
    try:
        handle = stream or file.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"Cannot read {file}: {exc.strerror or exc}.", hint="Check the --batch path."
        ) from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            ident: Any = None
            out: dict[str, Any]
            try:
                item = json.loads(line)
                ident = item.get("id") if isinstance(item, dict) else None
                if not isinstance(item, dict) or not isinstance(item.get("question"), str):
                    raise InputError('expected an object with a "question" string')
                query, filters = _filters(item["question"])
                results = run_search(service, query, k, base.merged(filters))
                out = {"id": ident, "results": [p.to_json() for p in results]}
            except json.JSONDecodeError as exc:
                out = {"id": None, "line": number, "error": f"line {number}: not valid JSON ({exc.msg})"}
            except InputError as exc:  # store errors stop the batch: every later line would fail alike
                out = {"id": ident, "line": number, "error": f"line {number}: {exc}"}
            print(json.dumps(out, ensure_ascii=False), flush=True)


def search_cmd(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Argument(help="What to look for; inline filters like publisher:CISA work.")
    ] = None,
    k: Annotated[int | None, typer.Option("-k", "--top", min=1, max=100, help="How many passages.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    batch: Annotated[
        Path | None, typer.Option("--batch", help='JSONL file of {"id", "question"} ("-" = stdin).')
    ] = None,
    publisher: Annotated[str | None, typer.Option("--publisher", help="Only this publisher.")] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Only this document (its source path).")
    ] = None,
    after: Annotated[str | None, typer.Option("--after", help="Published on/after YYYY[-MM[-DD]].")] = None,
    before: Annotated[
        str | None, typer.Option("--before", help="Published on/before YYYY[-MM[-DD]].")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Only this language code.")] = None,
) -> None:
    """The top passages for a query (or one JSON line per question with --batch)."""
    from bot.filters import make_filters
    from bot.service import Briefbot

    settings = _common.ctx_obj(ctx).settings
    service = Briefbot(settings)
    top = k or settings.top_k
    options = make_filters(publisher=publisher, source=source, after=after, before=before, language=lang)
    if batch is not None:
        if query:
            raise InputError("Give either a query or --batch FILE, not both.")
        _batch(service, batch, top, options)
        return
    if query is None:
        raise InputError("No query given.", hint='Run e.g. briefbot search "APT28 routers" -k 5.')
    text, inline = _filters(query)
    passages = run_search(service, text, top, inline.merged(options))
    if as_json:
        typer.echo(json.dumps([p.to_json() for p in passages], ensure_ascii=False, indent=2))
    else:
        _print_passages(passages)


def status_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Documents, chunks, last indexed time, model and store location."""
    from bot.service import Briefbot

    status = Briefbot(_common.ctx_obj(ctx).settings).status()
    data = status.to_json()
    if as_json:
        typer.echo(json.dumps(data))
        return
    width = max(len(key) for key in data)
    for key, value in data.items():
        typer.echo(f"{key.replace('_', ' ').ljust(width)}  {value if value is not None else '-'}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("index")(index_cmd)
    app.command("watch")(watch_cmd)
    app.command("search")(search_cmd)
    app.command("status")(status_cmd)
