"""Set-up shared by the benchmark scripts that answer questions over an index."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.service import Briefbot


def indexed_bot(
    home: Path | None, corpus: Path, *, prefix: str
) -> tuple[Briefbot, tempfile.TemporaryDirectory[str] | None]:
    """A Briefbot over ``home``; without one, a tmp home indexed from ``corpus`` (caller cleans up)."""
    from bot.service import Briefbot
    from core.settings import load_settings

    tmp = None
    if home is None:
        tmp = tempfile.TemporaryDirectory(prefix=prefix)
        home = Path(tmp.name)
    bot = Briefbot(load_settings(home=home))
    if tmp is not None:
        started = time.perf_counter()
        bot.reindex([corpus])
        print(f"indexed {corpus} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return bot, tmp
