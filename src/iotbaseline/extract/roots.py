"""Find the directories that look like a root filesystem and label them.

A root has the top-level names a Linux system boots from. Each name adds to a score; a tree
needs at least ``MIN_SCORE`` to count, and a root found inside another root is not reported
separately (the outer one contains it). Several roots (A/B slots, partitions) are all kept.
"""

from __future__ import annotations

import os
from pathlib import Path

WEIGHTS = {
    "etc": 3.0, "bin": 2.0, "sbin": 2.0, "lib": 2.0, "usr": 1.5, "init": 1.5, "linuxrc": 1.5,
    "var": 0.5, "dev": 0.5, "proc": 0.5, "sys": 0.5, "tmp": 0.5, "root": 0.5, "mnt": 0.5,
    "www": 0.5, "lib64": 0.5, "home": 0.3, "overlay": 0.3, "rom": 0.3, "opt": 0.3,
}
MIN_SCORE = 5.0
MAX_SEARCH_DEPTH = 12


def root_score(directory: Path) -> float:
    try:
        names = {entry.name for entry in os.scandir(directory)}
    except OSError:
        return 0.0
    return sum(weight for name, weight in WEIGHTS.items() if name in names)


def find_roots(top: Path) -> list[tuple[Path, float]]:
    """Root-like directories under ``top`` (itself included), outermost only, best first."""
    found: list[tuple[Path, float]] = []
    stack: list[tuple[Path, int]] = [(top, 0)]
    while stack:
        directory, depth = stack.pop()
        score = root_score(directory)
        if score >= MIN_SCORE:
            found.append((directory, score))
            continue
        if depth >= MAX_SEARCH_DEPTH:
            continue
        try:
            children = [e for e in os.scandir(directory) if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        stack.extend((Path(e.path), depth + 1) for e in children)
    found.sort(key=lambda item: (-item[1], str(item[0])))
    return found


def label_roots(count: int) -> list[str]:
    """"rootfs", then "rootfs_b", "rootfs_c" … for A/B and multi-partition images."""
    return ["rootfs"] + [f"rootfs_{chr(ord('b') + i)}" for i in range(min(count - 1, 24))] + [
        f"rootfs_{i}" for i in range(26, count + 1)
    ]
