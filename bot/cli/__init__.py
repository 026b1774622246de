"""The `briefbot` command line: a thin surface over indexing and bot services.

Each command group lives in its own module with a ``register(app)`` function.
Settings are built once here and passed down through the Typer context.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli import _common
from core.errors import BriefbotError
from core.settings import load_settings

app = typer.Typer(
    name="briefbot",
    help="Cited answers and summaries from a corpus of security and policy reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML settings file (default ./briefbot.toml).")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    _common.DEBUG = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    ctx.obj = _common.Context(settings=load_settings(config), debug=debug)


@app.command("config")
def config_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Print the effective settings, secrets masked."""
    data = _common.ctx_obj(ctx).settings.masked()
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    width = max(len(k) for k in data)
    for key, value in data.items():
        typer.echo(f"{key.ljust(width)}  {value}")


def _register_all() -> None:
    from bot.cli import ask_cmds, eval_cmds, index_cmds, slack_cmds, summary_cmds

    for module in (index_cmds, ask_cmds, eval_cmds, summary_cmds, slack_cmds):
        module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: one-line errors and a non-zero exit code, never a traceback."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        result = app(args=argv, standalone_mode=False)
    except BriefbotError as exc:
        if debug:
            raise
        typer.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # click usage errors and friends
        # Typer vendors its own click, so match click's exception types by name.
        kinds = {cls.__name__ for cls in type(exc).__mro__}
        if "Exit" in kinds:
            return int(getattr(exc, "exit_code", 0) or 0)
        if "Abort" in kinds:
            typer.echo("aborted", err=True)
            return 130
        if "ClickException" in kinds:
            ctx = getattr(exc, "ctx", None)
            see = f" (see `{ctx.command_path} --help`)" if "UsageError" in kinds and ctx else ""
            typer.echo(f"error: {exc.format_message()}{see}", err=True)  # type: ignore[attr-defined]
            return int(getattr(exc, "exit_code", 2))
        if debug:
            raise
        typer.echo(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
        return 1
    return result if isinstance(result, int) else 0  # click returns typer.Exit codes here
