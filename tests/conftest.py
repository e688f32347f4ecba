"""Shared fixtures. Real firmware comes from IOTBASELINE_CORPUS (.ci/run sets it); tests that
need it skip with a clear message when it is not set. In CI none may skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _corpus() -> Path | None:
    value = os.environ.get("IOTBASELINE_CORPUS")
    if not value:
        return None
    path = Path(value)
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = _corpus()
    if path is None:
        pytest.skip("IOTBASELINE_CORPUS is not set to the real firmware folder (../shared/firmware)")
    return path


@pytest.fixture(scope="session")
def nvd_dir() -> Path:
    value = os.environ.get("IOTBASELINE_NVD")
    path = Path(value) if value else (Path(__file__).resolve().parents[1] / ".." / "shared" / "nvd")
    if not path.is_dir():
        pytest.skip("IOTBASELINE_NVD is not set to the real NVD data folder (../shared/nvd)")
    return path.resolve()


@pytest.fixture(scope="session")
def openwrt_image(corpus: Path) -> Path:
    return corpus / "openwrt-aa-tl-mr3020-librarybox" / "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin"


@pytest.fixture(scope="session")
def dvar_tarball(corpus: Path) -> Path:
    return corpus / "emux-dvar-arm" / "rootfs-arm.tar.bz2"


@pytest.fixture(scope="session")
def avr_dir(corpus: Path) -> Path:
    return corpus / "dvid-avr"
