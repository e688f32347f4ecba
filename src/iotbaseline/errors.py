"""Errors as data: every failure is one short record, never a traceback in a report.

A hostile or just unusual image makes parsers fail in ways nobody planned for. Those
failures must reach the user as facts ("squashfs, part rootfs, offset 0x40: inode table
runs past the image"), one line each in ``extraction.json`` / ``assessment.json``, while
the Python traceback, useful only to us, goes to a debug log and only with ``--debug``.

How to use it (any stage)::

    from iotbaseline.errors import record_exception, ErrorRecord

    try:
        parse(part)
    except Exception as exc:            # a crash in one part must not end the scan
        rec = record_exception("inventory", exc, part="rootfs_b", offset=0x40)
        result.errors.append(rec.as_extraction_error())   # or rec.as_analysis_error()

``record_exception`` returns the one-line record and logs the traceback (with the same
stage/part/offset) to the logger ``iotbaseline.debug``. The CLI's ``--debug`` calls
``enable_debug_log(out_dir / "debug.log")``; without it the traceback is dropped. For a
problem that is not an exception, build ``ErrorRecord(stage, cause, part=…, offset=…)``
directly. ``one_line`` trims any foreign text (a tool's stderr, unblob's report) to one line.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from pathlib import Path

from iotbaseline.model import AnalysisError, ExtractionError

DEBUG_LOGGER = "iotbaseline.debug"
MAX_CAUSE = 300  # characters of a cause kept in a report

_log = logging.getLogger(DEBUG_LOGGER)
_log.propagate = False  # never printed by a root handler someone else configured
_log.addHandler(logging.NullHandler())


@dataclass(frozen=True)
class ErrorRecord:
    """One failure: which stage, which part of the input, where in it, and why (one line)."""

    stage: str  # "extract", "squashfs", "inventory", "checks:IOTB-CRED-001", …
    cause: str  # one line, no traceback
    part: str | None = None  # the file, partition or chunk it concerns
    offset: int | None = None  # byte offset inside ``part``
    size: int | None = None

    def line(self) -> str:
        """The record as one human line: ``stage [part @0x40]: cause``."""
        where = self.part or ""
        if self.offset is not None:
            where = f"{where} @{self.offset:#x}".strip()
        return f"{self.stage} [{where}]: {self.cause}" if where else f"{self.stage}: {self.cause}"

    def as_extraction_error(self) -> ExtractionError:
        return ExtractionError(stage=self.stage, path=self.part, offset=self.offset,
                               size=self.size, message=self.cause)

    def as_analysis_error(self) -> AnalysisError:
        return AnalysisError(stage=self.stage, path=self.part, offset=self.offset,
                             message=self.cause)


def one_line(text: object, limit: int = MAX_CAUSE) -> str:
    """The most telling single line of ``text``: for a traceback its last line (the
    exception), otherwise the first non-empty line; control characters removed, cut to
    ``limit`` characters."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    if not lines:
        return ""
    pick = lines[-1] if lines[0].startswith("Traceback (most recent call last)") else lines[0]
    clean = "".join(ch if ch.isprintable() else " " for ch in pick)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def describe(exc: BaseException) -> str:
    """``TypeName: message`` on one line (``TypeName`` alone when the message is empty)."""
    message = one_line(exc)
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


def record_exception(stage: str, exc: BaseException, *, part: str | None = None,
                     offset: int | None = None, size: int | None = None) -> ErrorRecord:
    """Turn a caught exception into a record; its traceback goes to the debug log only."""
    record = ErrorRecord(stage=stage, cause=describe(exc), part=part, offset=offset, size=size)
    if _log.isEnabledFor(logging.DEBUG):
        trace = "".join(traceback.format_exception(exc))
        _log.debug("%s\n%s", record.line(), trace.rstrip())
    return record


def log_debug(message: str) -> None:
    """Extra detail (a tool's full stderr, unblob's raw report entry) for the debug log only."""
    _log.debug("%s", message)


def enable_debug_log(path: Path) -> Path:
    """Send tracebacks and debug detail to ``path`` (appended) from now on (``--debug``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for handler in list(_log.handlers):
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename) == path.resolve():
            return path
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    _log.addHandler(handler)
    _log.setLevel(logging.DEBUG)
    return path


def debug_enabled() -> bool:
    return _log.isEnabledFor(logging.DEBUG)
