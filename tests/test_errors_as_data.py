"""Errors as data: one line per failure in the reports, tracebacks only in the --debug log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from iotbaseline import errors
from iotbaseline.errors import ErrorRecord, one_line, record_exception


def _boom() -> None:
    raise ValueError("inode table runs past the image\nsecond line of detail")


@pytest.fixture(autouse=True)
def _reset_debug_logger() -> None:
    logger = logging.getLogger(errors.DEBUG_LOGGER)
    yield
    for handler in list(logger.handlers):
        if isinstance(handler, logging.FileHandler):
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(logging.NOTSET)


def test_record_is_one_line_with_stage_part_offset() -> None:
    try:
        _boom()
    except ValueError as exc:
        record = record_exception("squashfs", exc, part="rootfs", offset=0x40)
    assert record == ErrorRecord(stage="squashfs", cause="ValueError: inode table runs past the image",
                                 part="rootfs", offset=0x40)
    assert record.line() == "squashfs [rootfs @0x40]: ValueError: inode table runs past the image"
    as_json = record.as_analysis_error().model_dump()
    assert as_json == {"stage": "squashfs", "message": "ValueError: inode table runs past the image",
                       "path": "rootfs", "offset": 0x40}
    extraction = record.as_extraction_error()
    assert (extraction.stage, extraction.path, extraction.offset) == ("squashfs", "rootfs", 0x40)
    assert "\n" not in extraction.message


def test_one_line_of_a_traceback_is_the_exception_line() -> None:
    text = ('Traceback (most recent call last):\n  File "x.py", line 3, in f\n    g()\n'
            "struct.error: unpack requires a buffer of 4 bytes\n")
    assert one_line(text) == "struct.error: unpack requires a buffer of 4 bytes"
    assert one_line("first\nsecond") == "first"
    assert one_line("bell\x07 and\ttab") == "bell  and tab"
    assert len(one_line("x" * 1000)) == errors.MAX_CAUSE
    assert one_line("") == ""


def test_traceback_goes_to_the_debug_log_only_when_enabled(tmp_path: Path) -> None:
    log = tmp_path / "debug.log"
    try:
        _boom()
    except ValueError as exc:
        record_exception("inventory", exc, part="a")
    assert not log.exists()
    errors.enable_debug_log(log)
    errors.enable_debug_log(log)  # idempotent: one handler, one copy of each trace
    try:
        _boom()
    except ValueError as exc:
        record_exception("inventory", exc, part="b", offset=16)
    text = log.read_text()
    assert text.count("Traceback (most recent call last)") == 1
    assert "inventory [b @0x10]: ValueError" in text and "in _boom" in text
    assert "part=a" not in text and "[a]" not in text
