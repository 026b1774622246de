"""`briefbot ask` and `briefbot chat`: cited answers on the command line."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from bot.cli import _common
from core.errors import InputError
from core.types import SearchFilters

if TYPE_CHECKING:
    from bot.results import Answer
    from bot.service import Briefbot

CHAT_HISTORY_TURNS = 8
WIDTH = 100

KOption = Annotated[int | None, typer.Option("-k", "--top", min=1, max=100, help="Passages to answer from.")]
PublisherOption = Annotated[str | None, typer.Option("--publisher", help="Only this publisher.")]
SourceOption = Annotated[str | None, typer.Option("--source", help="Only this document (its source path).")]
AfterOption = Annotated[str | None, typer.Option("--after", help="Published on/after YYYY[-MM[-DD]].")]
BeforeOption = Annotated[str | None, typer.Option("--before", help="Published on/before YYYY[-MM[-DD]].")]
LangOption = Annotated[str | None, typer.Option("--lang", help="Only this language code.")]


def _wrap(text: str, indent: str = "") -> str:
    lines = []
    for para in text.splitlines():
        if not para.strip():
            lines.append("")
            continue
        lead = indent + ("  " if para.lstrip().startswith("- ") else "")
        lines.append(textwrap.fill(para, WIDTH, initial_indent=indent, subsequent_indent=lead))
    return "\n".join(lines)


def format_answer(answer: Answer) -> str:
    """The human-readable answer: the text, then the numbered sources (or the closest passages)."""
    out = [_wrap(answer.answer)]
    if answer.citations:
        out.append("\nSources")
        for c in answer.citations:
            where = ", ".join(
                x for x in (c.publisher, c.published or "", f"p. {c.page}" if c.page else "") if x
            )
            out.append(f"[{c.n}] {c.title or c.source}" + (f" — {where}" if where else ""))
            out.append(f"    {c.url or c.source}")
            if c.quote:
                out.append(_wrap(f"“{c.quote}”", "    "))
    if answer.refused and answer.passages:
        out.append("\nClosest passages")
        for i, p in enumerate(answer.passages, start=1):
            where = ", ".join(
                x for x in (p.publisher, p.published or "", f"p. {p.page}" if p.page else "") if x
            )
            out.append(
                f"{i}. {p.title or p.source}" + (f" — {where}" if where else "") + f"  (score {p.score:.3f})"
            )
            out.append(f"    {p.url or p.source}")
            out.append(_wrap(textwrap.shorten(" ".join(p.text.split()), 300), "    "))
    if answer.removed_citations:
        n = len(answer.removed_citations)
        out.append(
            f"\n({n} unsupported citation{'' if n == 1 else 's'} or claim{'' if n == 1 else 's'} removed;"
            " --json shows why)"
        )
    for note in answer.notes:
        out.append(f"note: {note}")
    return "\n".join(out)


def _options(
    publisher: str | None, source: str | None, after: str | None, before: str | None, lang: str | None
) -> SearchFilters:
    from bot.filters import make_filters

    return make_filters(publisher=publisher, source=source, after=after, before=before, language=lang)


def _open(file: Path) -> TextIO:
    if str(file) == "-":
        return sys.stdin
    try:
        return file.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(
            f"Cannot read {file}: {exc.strerror or exc}.", hint="Check the --batch path."
        ) from None


def run_batch(
    service: Briefbot, handle: TextIO, *, k: int | None, filters: SearchFilters, out: TextIO
) -> int:
    """Answer each JSONL line ``{"id", "question"}``; one JSON line out per input line. Returns failures.

    A bad line yields ``{"id", "line", "error"}`` (and a message on stderr) and the batch goes on;
    store errors (empty index, server down) stop it, since every later line would fail alike.
    """
    failures = 0
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        ident: Any = None
        record: dict[str, Any]
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("question"), str):
                raise InputError('expected an object with a "question" string')
            ident = item.get("id")
            answer = service.ask(item["question"], filters=filters, k=k)
            record = {"id": ident, **answer.to_json()}
        except json.JSONDecodeError as exc:
            record = {"id": None, "line": number, "error": f"line {number}: not valid JSON ({exc.msg})"}
        except InputError as exc:
            record = {"id": ident, "line": number, "error": f"line {number}: {exc}"}
        if "error" in record:
            failures += 1
            typer.echo(f"error: {record['error']}", err=True)
        print(json.dumps(record, ensure_ascii=False), file=out, flush=True)
    return failures


def ask_cmd(
    ctx: typer.Context,
    question: Annotated[
        str | None,
        typer.Argument(help="The question; inline filters like publisher:CISA after:2024-01 work."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    k: KOption = None,
    batch: Annotated[
        Path | None,
        typer.Option(
            "--batch",
            help='JSONL file of {"id", "question"} ("-" = stdin); one JSON line out per line. '
            "Exits 1 when any line failed.",
        ),
    ] = None,
    publisher: PublisherOption = None,
    source: SourceOption = None,
    after: AfterOption = None,
    before: BeforeOption = None,
    lang: LangOption = None,
) -> None:
    """Answer a question from the indexed reports, every claim cited."""
    from bot.service import Briefbot

    settings = _common.ctx_obj(ctx).settings
    filters = _options(publisher, source, after, before, lang)
    if batch is not None:
        if question is not None:
            raise InputError("Give either a question or --batch FILE, not both.")
        handle = _open(batch)
        try:
            failures = run_batch(Briefbot(settings), handle, k=k, filters=filters, out=sys.stdout)
        finally:
            if handle is not sys.stdin:
                handle.close()
        if failures:
            raise typer.Exit(1)
        return
    if question is None:
        raise InputError(
            "No question given.", hint='Run e.g. briefbot ask "Which sectors did the MIVD name?".'
        )
    answer = Briefbot(settings).ask(question, filters=filters, k=k)
    if as_json:
        typer.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(format_answer(answer))


def _lines(interactive: bool) -> Iterator[str]:
    if not interactive:
        yield from sys.stdin
        return
    while True:
        try:
            yield input("you> ")
        except EOFError:
            typer.echo("")
            return


def chat_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON answer per line.")] = False,
    k: KOption = None,
    publisher: PublisherOption = None,
    source: SourceOption = None,
    after: AfterOption = None,
    before: BeforeOption = None,
    lang: LangOption = None,
) -> None:
    """A conversation with follow-ups: type questions (or pipe them in, one per line).

    /reset forgets the conversation; /quit, Ctrl-D or the end of the input ends it.
    """
    from bot.service import Briefbot

    settings = _common.ctx_obj(ctx).settings
    filters = _options(publisher, source, after, before, lang)
    service = Briefbot(settings)
    interactive = sys.stdin.isatty()
    if interactive and not as_json:
        typer.echo("Ask about the indexed reports. /reset forgets the conversation; /quit or Ctrl-D ends.")
    history: list[tuple[str, str]] = []
    failures = 0
    for raw in _lines(interactive):
        line = raw.strip()
        if not line:
            continue
        if line in ("/quit", "/exit"):
            break
        if line == "/reset":
            history.clear()
            if not as_json:
                typer.echo("(conversation forgotten)")
            continue
        try:
            answer = service.ask(line, history=history, filters=filters, k=k)
        except InputError as exc:
            failures += 1
            typer.echo(f"error: {exc}", err=True)
            continue
        if as_json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            typer.echo(format_answer(answer) + "\n")
        history.append((answer.question, answer.answer))
        del history[:-CHAT_HISTORY_TURNS]
    if failures and not interactive:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("ask")(ask_cmd)
    app.command("chat")(chat_cmd)
