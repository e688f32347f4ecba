"""Helpers for the corpus extraction tests: where a format's tree landed in a work directory,
and what reference tools list for the same image."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

SPECIAL = re.compile(r"^[cbps]")  # device nodes, FIFOs, sockets: recorded, never created


def listing(top: Path) -> set[str]:
    """Relative paths of every entry below ``top`` (files, directories, symlinks), not
    descending into the ``*_extract`` directories unblob adds for nested containers."""
    found: set[str] = set()
    for base, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.endswith("_extract")]
        for name in dirs + files:
            if name.endswith("_extract"):
                continue
            found.add(str(Path(base, name).relative_to(top)))
    return found


def format_dirs(work: Path, kind: str) -> list[Path]:
    """Directories holding what a chunk of ``kind`` extracted to: unblob's
    ``<start>-<end>.<kind>_extract``, ``<file>_extract`` when the chunk is the whole input
    (per extraction.json), or the fast path's ``squashfs-0x…``; outermost first."""
    found = []
    report = json.loads((work / "extraction.json").read_text()) if (
        work / "extraction.json").is_file() else None
    if report is not None:
        name = Path(report["input"]).name
        for chunk in report["chunks"]:
            if (chunk["depth"] == 0 and chunk["start"] == 0 and kind in chunk["kind"]
                    and chunk["end"] == report["input_size"]
                    and (work / "unblob" / f"{name}_extract").is_dir()):
                found.append(work / "unblob" / f"{name}_extract")
    for path in sorted(work.rglob("*"), key=lambda p: len(p.parts)):
        if not path.is_dir() or path.is_symlink():
            continue
        name = path.name
        if (kind == "squashfs" and name.startswith("squashfs-0x")) or (
                name.endswith("_extract") and f".{kind}" in name):
            found.append(path)
    return found


def only_dir(work: Path, kind: str) -> Path:
    dirs = format_dirs(work, kind)
    assert len(dirs) == 1, f"expected one {kind} tree in {work}, found {dirs}"
    return dirs[0]


def whole_file_dir(work: Path, name: str) -> Path:
    """unblob's directory for a chunk that is the whole input file."""
    path = work / "unblob" / f"{name}_extract"
    assert path.is_dir(), f"{path} missing"
    return path


def unsquashfs_listing(image: Path, offset: int = 0) -> tuple[set[str], set[str]]:
    """(entries on disk, special entries) as squashfs-tools lists them; empty when it fails."""
    run = subprocess.run(["unsquashfs", "-d", "", "-lls", "-o", str(offset), str(image)],
                         capture_output=True, text=True, check=False)
    disk, special = set(), set()
    for line in run.stdout.splitlines():
        match = re.search(r" \d\d:\d\d (/.*?)( -> .*)?$", line)
        if match and match[1] != "/":
            (special if SPECIAL.match(line) else disk).add(match[1].lstrip("/"))
    return disk, special


def tool_tree(cmd: list[str], out: Path) -> set[str]:
    """Run an extractor that writes into ``out`` and list what it wrote."""
    subprocess.run(cmd, capture_output=True, check=True)
    assert out.is_dir(), f"{cmd[0]} wrote nothing"
    return listing(out)
