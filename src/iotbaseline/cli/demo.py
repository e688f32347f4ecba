"""`iotbaseline demo`: build the demo firmware, import the bundled NVD sample, scan, print where
the HTML report is. The README's main-job command."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import click

from iotbaseline.cli.common import EXIT_OK, console


@click.command(name="demo")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("demo-output"), show_default=True)
def command(out_dir: Path) -> None:
    """Build the built-in demo firmware image, scan it with the demo profile and print the report path."""
    from iotbaseline.cli.scan import run_and_report
    from iotbaseline.demo.build import build_demo_image
    from iotbaseline.pipeline import ALL_FORMATS, ScanOptions
    from iotbaseline.vulns.db import VulnDatabase

    out_dir.mkdir(parents=True, exist_ok=True)
    image = build_demo_image(out_dir / "build")
    console.print(f"demo image: {image.path}")
    db_path = out_dir / "demo-vulns.sqlite"
    demo_pkg = resources.files("iotbaseline.demo")
    with resources.as_file(demo_pkg / "nvd-sample.jsonl.gz") as sample:
        db = VulnDatabase.open(db_path)
        try:
            db.import_files([Path(sample)])
        finally:
            db.close()
    with resources.as_file(demo_pkg / "profile-demo.yaml") as profile:
        options = ScanOptions(out_dir=out_dir / "scan", profile=Path(profile), db_path=db_path, formats=ALL_FORMATS)
        code = run_and_report(image.path, options, None)
    report = (out_dir / "scan" / "report.html").resolve()
    console.print(f"\n[bold]HTML report:[/] {report}")
    sys.exit(code if code != EXIT_OK else EXIT_OK)
