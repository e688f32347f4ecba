"""Builders for the group C check tests: a small root filesystem in tmp_path, run one check."""

from __future__ import annotations

import os
from pathlib import Path

from iotbaseline.checks.base import Check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.runner import run_one
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import CheckOutcome, Finding


def tree_context(tmp_path: Path, files: dict[str, str | bytes]) -> CheckContext:
    """Write ``files`` under tmp_path/rootfs (text starting with #! becomes executable)."""
    root = tmp_path / "rootfs"
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
            os.chmod(path, 0o755)
        else:
            path.write_text(content)
            if content.startswith("#!"):
                os.chmod(path, 0o755)
    return CheckContext(FileIndex.from_directory(root, jobs=1))


def run(check: Check, ctx: CheckContext) -> tuple[CheckOutcome, list[Finding]]:
    outcome, findings, _ = run_one(check, ctx)
    return outcome, findings


def where(findings: list[Finding]) -> list[tuple[str | None, int | None]]:
    return [(f.location.path, f.location.line) for f in findings]
