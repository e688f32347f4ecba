"""`iotbaseline demo`: build the demo firmware, import the bundled NVD sample, scan, print where
the HTML report is. The README's main-job command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from iotbaseline.cli.common import console


@click.command(name="demo")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"), show_default=True,
              help="Directory for the demo image, its profile, database and the scan reports.")
def command(out_dir: Path) -> None:
    """Build the built-in demo firmware image, scan it with the demo profile and print the report path."""
    from iotbaseline.cli.scan import run_and_report
    from iotbaseline.demo.build import prepare_demo
    from iotbaseline.pipeline import ALL_FORMATS, ScanOptions

    out_dir.mkdir(parents=True, exist_ok=True)
    demo = prepare_demo(out_dir)
    console.print(f"demo image: {demo.image.path}")
    options = ScanOptions(out_dir=out_dir / "scan", profile=demo.profile, db_path=demo.db_path, formats=ALL_FORMATS)
    code = run_and_report(demo.image.path, options, None)
    console.print(f"\n[bold]HTML report:[/] {(out_dir / 'scan' / 'report.html').resolve()}")
    sys.exit(code)
