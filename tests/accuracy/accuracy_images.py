"""Helpers for the issue-10 regression tests: unpack real corpus images with the reference tool
(squashfs-tools' unsquashfs) and index a tree. Nothing from the images is copied into the
repository: each test reads the files of the unpacked image in place."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from iotbaseline.checks.context import CheckContext
from iotbaseline.inventory.index import FileIndex


def unsquash(image: Path, work: Path) -> Path:
    """Carve the first SquashFS (magic 'hsqs', little-endian) out of the image and unpack it."""
    unsquashfs = shutil.which("unsquashfs")
    assert unsquashfs, "unsquashfs (squashfs-tools, system-packages.txt) is needed"
    data = image.read_bytes()
    start = data.index(b"hsqs")
    (work / "fs.sqfs").write_bytes(data[start:])
    subprocess.run([unsquashfs, "-n", "-d", str(work / "root"), str(work / "fs.sqfs")],
                   check=False, capture_output=True)  # device nodes fail as non-root: files stay
    assert (work / "root" / "etc").is_dir(), f"{image.name}: unsquashfs gave no /etc"
    return work / "root"


def context(root: Path) -> CheckContext:
    return CheckContext(FileIndex.from_directory(root, jobs=1))
