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


def test_extraction_crash_is_one_line_and_traceback_only_with_debug(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A parser crash on hostile bytes (simulated in the fast path) becomes one line in
    extraction.json; the traceback is in DIR/debug.log only when --debug is given."""
    import json
    import os

    from click.testing import CliRunner

    from iotbaseline.cli.extract import command
    from iotbaseline.extract import pipeline

    def crash(*_args: object, **_kwargs: object) -> None:
        raise ValueError("inode table runs past the image\nsecond line")

    monkeypatch.setattr(pipeline, "carve_image", crash)
    image = tmp_path / "random.bin"
    image.write_bytes(os.urandom(4096))
    for flags, out in (([], tmp_path / "plain"), (["--debug"], tmp_path / "debug")):
        result = CliRunner().invoke(command, [str(image), "-o", str(out), *flags])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        errors = json.loads((out / "extraction.json").read_text())["errors"]
        carve = [e for e in errors if e["stage"] == "carve" and "inode table" in e["message"]]
        assert carve == [{"stage": "carve", "path": "random.bin", "offset": None, "size": None,
                          "message": "ValueError: inode table runs past the image"}]
        assert all("\n" not in e["message"] for e in errors)
    assert not (tmp_path / "plain" / "debug.log").exists()
    log = (tmp_path / "debug" / "debug.log").read_text()
    assert "Traceback (most recent call last)" in log and "in crash" in log
