"""Fixtures for the report tests: a real assessment of the demo firmware (built with the
project's own tooling, scanned with the bundled NVD sample and the demo profile)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
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
    from iotbaseline.demo.build import build_demo_image
    from iotbaseline.pipeline import ALL_FORMATS, ScanOptions, run_scan
    from iotbaseline.vulns.db import VulnDatabase

    base = tmp_path_factory.mktemp("demo")
    image = build_demo_image(base / "build")
    db_path = base / "vulns.sqlite"
    demo_pkg = resources.files("iotbaseline.demo")
    with resources.as_file(demo_pkg / "nvd-sample.jsonl.gz") as sample:
        db = VulnDatabase.open(db_path)
        try:
            db.import_files([Path(sample)])
        finally:
            db.close()
    with resources.as_file(demo_pkg / "profile-demo.yaml") as profile:
        profile_copy = base / "profile-demo.yaml"
        profile_copy.write_bytes(Path(profile).read_bytes())
    out = base / "scan"
    result = run_scan(image.path, ScanOptions(out_dir=out, profile=profile_copy, db_path=db_path,
                                              formats=ALL_FORMATS + ("md",)))
    return DemoScan(image.path, image.rootfs_dir, out, db_path, profile_copy, result.assessment)
