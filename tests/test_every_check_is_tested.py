"""Every check — firmware (checks/registry.py) and live probe (probe/specs.py) — is named by at
least one test, by its id or its function, so no check ships without a fixture exercising it."""

from __future__ import annotations

import re
from pathlib import Path

from iotbaseline.checks.registry import all_checks

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src" / "iotbaseline"


def _test_text(*folders: str) -> str:
    files = [p for folder in folders for p in (TESTS / folder).rglob("*.py")]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_every_firmware_check_is_named_by_a_test() -> None:
    folders = [d.name for d in TESTS.iterdir() if d.is_dir() and d.name not in ("probe", "__pycache__")]
    text = _test_text(*folders)
    untested = [c.spec.id for c in all_checks() if c.spec.id not in text and c.run.__name__ not in text]
    assert untested == []


def test_every_probe_check_is_named_by_a_test() -> None:
    ids = set(re.findall(r'id="(IOTB-[A-Z]+-\d+)"', (SRC / "probe" / "specs.py").read_text()))
    assert len(ids) >= 20
    text = _test_text("probe")
    assert sorted(i for i in ids if i not in text) == []
