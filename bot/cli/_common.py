"""Helpers shared by the CLI command modules."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from core.settings import Settings

DEBUG = False


@dataclass
class Context:
    """What every command receives: the settings built once at the entry point."""

    settings: Settings
    debug: bool = False


def ctx_obj(ctx: typer.Context) -> Context:
    """The :class:`Context` of a running command."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Context)
    return obj
