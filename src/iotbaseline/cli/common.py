"""Shared CLI helpers: consoles, exit codes, progress that is quiet in pipes."""

from __future__ import annotations

import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

EXIT_OK = 0
EXIT_THRESHOLD = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

# soft_wrap: messages are never broken at the terminal width (80 in a pipe) — an error is one
# line a CI log or grep can take whole, and a printed path or command can be copied; tables still
# fit the width.
console = Console(stderr=False, soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def is_interactive() -> bool:
    return sys.stderr.isatty()


@contextmanager
def stage(name: str) -> Iterator[None]:
    """A spinner on a terminal; a plain log line when not a terminal."""
    if is_interactive():
        with err_console.status(f"[bold]{name}[/]…"):
            yield
    else:
        print(f"iotbaseline: {name}…", file=sys.stderr, flush=True)
        yield


def output_dir_problem(path: Path) -> str | None:
    """Why ``path`` cannot be the output directory (checked before any long work), or None."""
    if path.exists() and not path.is_dir():
        return f"{path}: output path exists and is not a directory"
    parent = next((p for p in (path, *path.parents) if p.exists()), None)
    if parent is not None and not parent.is_dir():
        return f"{parent}: is not a directory, cannot create {path} under it"
    return None


def write_debug_log(out_dir: Path | None = None) -> Path:
    """The current exception's trace, for exit code 3: in the output directory when it is usable,
    else in a fresh private temporary file (never a fixed name in the shared /tmp)."""
    text = traceback.format_exc()
    if out_dir is not None and out_dir.is_dir():
        try:
            log = out_dir / "iotbaseline-debug.log"
            log.write_text(text)
            return log
        except OSError:
            pass
    fd, name = tempfile.mkstemp(prefix="iotbaseline-debug-", suffix=".log")
    with open(fd, "w") as fh:
        fh.write(text)
    return Path(name)
