"""Which files an index run looks at, and how each one changed since the last run.

A folder is walked recursively; names matching ``settings.ignore_globs`` (files
and folders alike) and unsupported suffixes are left out, but a file named
explicitly is always indexed. The diff against the manifest decides, per file,
``add``/``update``/``skip``, and which remembered files must be ``delete``d.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import Settings
from indexing.load import SUFFIX_KINDS, source_for
from indexing.manifest import Failure, FileRow


@dataclass(frozen=True)
class Target:
    """One file to consider: where it is, the folder its source is relative to, how to name it."""

    path: Path  # absolute, resolved
    root: Path  # absolute, resolved
    display: str  # as the user would write it (relative to the working directory when possible)

    @property
    def source(self) -> str:
        """The document's source: its path relative to the indexed folder."""
        return source_for(self.path, self.root)


@dataclass
class Change:
    """A planned action for one file."""

    action: str  # "add", "update", "delete", "skip", "touch"
    path: str
    source: str
    target: Target | None = None
    size: int = 0
    mtime_ns: int = 0
    sha256: str = ""


@dataclass
class Diff:
    """Everything an index run would do."""

    changes: list[Change] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def of(self, *actions: str) -> list[Change]:
        """The changes with one of ``actions``."""
        return [c for c in self.changes if c.action in actions]


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else absolute."""
    try:
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def ignored(name: str, globs: list[str]) -> bool:
    """True when a file or folder name matches one of the ignore globs."""
    return any(fnmatch.fnmatch(name, g) for g in globs)


def walk(root: Path, globs: list[str]) -> list[Path]:
    """Loadable files below ``root`` (sorted, ignore globs applied to every path component)."""
    found: list[Path] = []
    for here, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not ignored(d, globs))
        for name in sorted(files):
            if ignored(name, globs) or Path(name).suffix.lower() not in SUFFIX_KINDS:
                continue
            found.append(Path(here) / name)
    return found


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _under(path: str, root: Path) -> bool:
    return path.startswith(str(root).rstrip(os.sep) + os.sep)


def plan_changes(
    paths: list[Path],
    settings: Settings,
    rows: dict[str, FileRow],
    fingerprint: str,
    failures: dict[str, Failure] | None = None,
) -> Diff:
    """Compare the files under ``paths`` with the manifest ``rows``; reads no document.

    A file that failed before and has not changed since (``failures``) is listed
    as failed again, with the remembered reason, instead of being re-read.
    """
    failures = failures or {}
    diff = Diff()
    targets: dict[str, Target] = {}
    gone: set[str] = set()
    for given in paths:
        resolved = Path(given).expanduser().resolve()
        if resolved.is_dir():
            for file in walk(resolved, settings.ignore_globs):
                targets.setdefault(str(file.resolve()), Target(file.resolve(), resolved, display_path(file)))
            gone.update(p for p in rows if _under(p, resolved) and not Path(p).is_file())
            # remembered files that are now ignored (or no longer loadable) leave the index too
            gone.update(p for p in rows if _under(p, resolved) and p not in targets and Path(p).is_file())
        elif resolved.is_file():
            row = rows.get(str(resolved))
            root = Path(row.root) if row else resolved.parent
            targets[str(resolved)] = Target(resolved, root, display_path(Path(given)))
        else:
            remembered = [p for p in rows if p == str(resolved) or _under(p, resolved)]
            if remembered:
                gone.update(remembered)
            else:
                diff.failed.append((str(given), "no such file or folder"))
    for path in sorted(gone - targets.keys()):
        diff.changes.append(Change("delete", path, rows[path].source))

    owners = {row.source: p for p, row in rows.items() if p not in gone}
    limit = settings.max_file_mb * 1024 * 1024
    for key, target in targets.items():
        source = target.source
        owner = owners.get(source)
        if owner is not None and owner != key and Path(owner).is_file():
            diff.failed.append((target.display, f"has the same source name {source!r} as {owner}"))
            continue
        owners[source] = key
        try:
            st = target.path.stat()
        except OSError as exc:
            diff.failed.append((target.display, f"cannot read file ({exc.strerror or exc})"))
            continue
        failure = failures.get(key)
        if failure is not None and (failure.size, failure.mtime_ns, failure.fingerprint) == (
            st.st_size,
            st.st_mtime_ns,
            fingerprint,
        ):
            diff.failed.append((target.display, failure.reason))
            continue
        row = rows.get(key)
        change = Change("add" if row is None else "update", key, source, target, st.st_size, st.st_mtime_ns)
        same_setup = row is not None and row.fingerprint == fingerprint and row.source == source
        if row is not None and same_setup and (row.size, row.mtime_ns) == (st.st_size, st.st_mtime_ns):
            change.action, change.sha256 = "skip", row.sha256
        elif st.st_size <= limit:
            try:
                change.sha256 = file_sha256(target.path)
            except OSError as exc:
                diff.failed.append((target.display, f"cannot read file ({exc.strerror or exc})"))
                continue
            if row is not None and same_setup and row.sha256 == change.sha256:
                change.action = "touch"  # same bytes, new mtime: nothing to index
        diff.changes.append(change)
    return diff
