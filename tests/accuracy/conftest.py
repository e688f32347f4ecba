"""Real corpus images unpacked with the reference tools for the false-positive class
regression tests of issue 10 (see accuracy_images.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from accuracy_images import unsquash


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
