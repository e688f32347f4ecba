"""Fuzzing in the test run: every crash input found so far stays fixed, and a short Atheris
pass over every harness (a few seconds each, under 60 s in all) shows a new regression."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FUZZ = ROOT / "fuzz"
REGRESSIONS = Path(__file__).resolve().parent / "fuzz_regressions"
CI_SECONDS_EACH = 2  # 11 harnesses: ~22 s of fuzzing plus start-up, within the 60 s budget

sys.path.insert(0, str(FUZZ))
from harnesses import HARNESSES, by_name  # noqa: E402

PARSERS = {"squashfs", "headers", "cramfs_jffs2", "elf", "accounts", "boot", "configs", "keys",
           "vulndata", "profile", "probe"}


def test_every_parser_of_untrusted_bytes_has_a_harness() -> None:
    assert {h.name for h in HARNESSES} == PARSERS
    assert len({h.name for h in HARNESSES}) == len(HARNESSES)


CASES = sorted(p for p in REGRESSIONS.glob("*/*") if p.is_file())


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name[:18]}")
def test_crash_input_found_by_fuzzing_no_longer_crashes(case: Path) -> None:
    harness = by_name(case.parent.name)
    harness.guarded()(case.read_bytes())  # raised before the fix (see docs/fuzzing.md)


def test_regression_inputs_exist_for_found_crashes() -> None:
    assert CASES, "the crashes found by fuzzing are kept as regression inputs"
    assert {p.parent.name for p in CASES} <= PARSERS


def test_short_fuzz_pass(tmp_path: Path) -> None:
    """Each harness runs a few seconds under Atheris; none may crash. Seeds come from the
    corpus when IOTBASELINE_CORPUS is set (cached in build/fuzz-ci), else none."""
    work = ROOT / "build" / "fuzz-ci"
    summary = tmp_path / "fuzz.json"
    proc = subprocess.run(
        [sys.executable, str(FUZZ / "run.py"), "--seconds", str(CI_SECONDS_EACH),
         "--work", str(work), "--json", str(summary)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "FUZZ_NICE": "0"},
    )
    runs = json.loads(summary.read_text())
    assert {r["name"] for r in runs} == PARSERS, proc.stdout + proc.stderr
    crashed = {r["name"]: r["causes"] for r in runs if r["crashes"] or r["causes"]}
    assert not crashed, f"new crashes (inputs under {work}/<harness>/crashes): {crashed}"
    assert all(r["executions"] > 0 for r in runs), proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
