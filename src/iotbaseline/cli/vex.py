"""`iotbaseline vex`: write a VEX template from a scan's CVEs for the maker to fill in, and read
(check and list) a VEX file. `scan --vex FILE` applies it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from iotbaseline.cli.common import EXIT_USAGE


@click.group(name="vex")
def command() -> None:
    """Vulnerability Exploitability eXchange: the maker's "not affected" statements per CVE and
    component, in OpenVEX or CycloneDX VEX."""


@command.command(name="write")
@click.argument("assessment", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True, help="VEX file to write.")
@click.option("--format", "fmt", type=click.Choice(["openvex", "cyclonedx"]), default="openvex", show_default=True, help="OpenVEX 0.2.0 or CycloneDX 1.6 VEX.")
@click.option("--author", default="", help="Who makes the statements (OpenVEX author).")
def write(assessment: Path, output: Path, fmt: str, author: str) -> None:
    """A template from ASSESSMENT (assessment.json of a scan): every affected CVE of every
    component as "under investigation", for the maker to set to not_affected (with a
    justification) or affected."""
    from pydantic import ValidationError

    from iotbaseline.model import Assessment
    from iotbaseline.vulns.vex import template

    try:
        data = Assessment.model_validate_json(assessment.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError) as exc:
        click.echo(f"error: {assessment}: not a readable assessment.json ({str(exc).splitlines()[0]})", err=True)
        sys.exit(EXIT_USAGE)
    doc = template(data.components, fmt, author)
    output.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    count = len(doc.get("statements") or doc.get("vulnerabilities") or [])
    click.echo(f"{count} statements -> {output}", err=True)


@command.command(name="read")
@click.argument("vex_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the statements as JSON.")
def read(vex_file: Path, as_json: bool) -> None:
    """Check VEX_FILE and list its statements (exit 2 with one line when it is not usable)."""
    from dataclasses import asdict

    from iotbaseline.vulns.vex import VexError, read_vex

    try:
        statements = read_vex(vex_file)
    except VexError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if as_json:
        click.echo(json.dumps([asdict(s) for s in statements], indent=2))
        return
    for s in statements:
        why = f" ({s.justification})" if s.justification else ""
        click.echo(f"{s.vulnerability}  {s.status}{why}  {', '.join(s.products)}"
                   + (f"  — {s.impact}" if s.impact else ""))
