"""Real corpus images unpacked with the reference tool (squashfs-tools' unsquashfs) for the
false-positive class regression tests of issue 10. Nothing from the images is copied into the
repository: each test reads the files of the unpacked image in place."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def netgear_root(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unsquash(corpus / "netgear-wnr2000v5" / "WNR2000v5-V1.0.0.34.img", tmp_path_factory.mktemp("wnr"))


@pytest.fixture(scope="session")
def wrt54g_root(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unsquash(corpus / "linksys-wrt54g-v4" / "FW_WRT54Gv4_4.21.5.000_20120220.bin",
                    tmp_path_factory.mktemp("wrt"))


@pytest.fixture(scope="session")
def openwrt_root(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unsquash(corpus / "openwrt-aa-tl-mr3020-librarybox" /
                    "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin", tmp_path_factory.mktemp("owrt"))


def context(root: Path) -> CheckContext:
    return CheckContext(FileIndex.from_directory(root, jobs=1))
