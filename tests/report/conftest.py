"""Fixtures for the report tests: a real assessment of the demo firmware (built with the
project's own tooling, scanned with the bundled NVD sample and the demo profile)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from iotbaseline.model import Assessment


@dataclass(frozen=True)
class DemoScan:
    image: Path
    rootfs_dir: Path
    out: Path
    db: Path
    profile: Path
    assessment: Assessment


@pytest.fixture(scope="session")
def demo_scan(tmp_path_factory: pytest.TempPathFactory) -> DemoScan:
    from iotbaseline.demo.build import prepare_demo
    from iotbaseline.pipeline import ALL_FORMATS, ScanOptions, run_scan

    base = tmp_path_factory.mktemp("demo")
    demo = prepare_demo(base)
    out = base / "scan"
    result = run_scan(demo.image.path, ScanOptions(out_dir=out, profile=demo.profile, db_path=demo.db_path,
                                                   formats=ALL_FORMATS + ("md",)))
    return DemoScan(demo.image.path, demo.image.rootfs_dir, out, demo.db_path, demo.profile, result.assessment)
