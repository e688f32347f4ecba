"""Shared CLI helpers: consoles, exit codes, progress that is quiet in pipes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

EXIT_OK = 0
EXIT_THRESHOLD = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

console = Console(stderr=False)
err_console = Console(stderr=True)


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
