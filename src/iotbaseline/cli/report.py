"""`iotbaseline report`: re-render a saved assessment.json in another format, without scanning
again (a report never re-reads the image)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from iotbaseline.cli.common import EXIT_OK, EXIT_USAGE, err_console
from iotbaseline.report.formats import ReportFormat

# --format name → what it renders (ics = ETSI Table B.1 as Markdown; ics-csv the same as CSV)
FORMATS: dict[str, ReportFormat] = {
    "html": ReportFormat.HTML,
    "md": ReportFormat.MARKDOWN,
    "sarif": ReportFormat.SARIF,
    "ics": ReportFormat.ICS_MD,
    "ics-csv": ReportFormat.ICS_CSV,
    "json": ReportFormat.JSON,
    "cyclonedx": ReportFormat.CYCLONEDX,
    "spdx": ReportFormat.SPDX,
}


@click.command(name="report")
@click.argument("assessment", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="html", show_default=True,
              help="Output format (ics: ETSI Table B.1 as Markdown; ics-csv: as CSV).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="File to write (default: standard output).")
def command(assessment: Path, fmt: str, output: Path | None) -> None:
    """Re-render ASSESSMENT (an assessment.json written by `scan` or `assess`) as html, md,
    sarif, ics… Exit codes: 0 written; 2 the file is missing or not an assessment."""
    from iotbaseline.report.formats import render
    from iotbaseline.report.json_report import ReportInputError, load_assessment

    try:
        loaded = load_assessment(assessment)
    except ReportInputError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(EXIT_USAGE)
    data = render(loaded, FORMATS[fmt])
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stream as they are
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
        err_console.print(f"{fmt} report written to {output}", markup=False, highlight=False)
    sys.exit(EXIT_OK)
