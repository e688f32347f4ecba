"""Builders for the group B check tests: small root filesystems in tmp_path and a runner."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from iotbaseline.checks.base import Check
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.runner import run_one
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import CheckOutcome, Finding


@dataclass(frozen=True)
class Link:
    target: str


@dataclass(frozen=True)
class Mode:
    content: str | bytes
    mode: int


def make_tree(root: Path, files: dict[str, str | bytes | Link | Mode | None]) -> Path:
    """Write files (None = directory) under root; returns root."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
        elif isinstance(content, Link):
            os.symlink(content.target, path)
        elif isinstance(content, Mode):
            if content.content is None:
                path.mkdir(exist_ok=True)
            elif isinstance(content.content, bytes):
                path.write_bytes(content.content)
            else:
                path.write_text(content.content)
            os.chmod(path, content.mode)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
            if content.startswith("#!"):
                os.chmod(path, 0o755)
    return root


def context(root: Path) -> CheckContext:
    return CheckContext(FileIndex.from_directory(root, jobs=1))


def tree_context(tmp_path: Path, files: dict[str, str | bytes | Link | Mode | None]) -> CheckContext:
    return context(make_tree(tmp_path / "rootfs", files))


def run(check: Check, ctx: CheckContext) -> tuple[CheckOutcome, list[Finding], dict[str, object]]:
    return run_one(check, ctx)


def where(findings: list[Finding]) -> list[tuple[str | None, int | None]]:
    return [(f.location.path, f.location.line) for f in findings]
