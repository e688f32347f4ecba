"""Helpers for group-A check tests: build a small root filesystem, index it, run one check."""

from __future__ import annotations

import os
from pathlib import Path

from iotbaseline.checks.base import Check
from iotbaseline.checks.context import CheckContext, CheckOptions
from iotbaseline.checks.runner import run_one
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import CheckOutcome, Finding


def build_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """files: in-image path -> content; content "->target" makes a symlink."""
    for path, content in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str) and content.startswith("->"):
            os.symlink(content[2:], target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return root


def run(check: Check, index: FileIndex, **options: object) -> tuple[CheckOutcome, list[Finding]]:
    ctx = CheckContext(index, CheckOptions(**options))  # type: ignore[arg-type]
    outcome, findings, _ = run_one(check, ctx)
    assert outcome.error is None, outcome.error
    return outcome, findings


def where(findings: list[Finding]) -> list[tuple[str | None, int | None]]:
    return [(f.location.path, f.location.line) for f in findings]
