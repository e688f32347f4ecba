"""`iotbaseline checks`: list the firmware checks, or run them alone on an unpacked tree / image
and write a findings file that `assess --findings` takes."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click
from rich.table import Table

from iotbaseline.cli.common import EXIT_USAGE, console, err_console


@click.group(name="checks")
def command() -> None:
    """Firmware baseline checks: list them or run them alone."""


@command.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_checks(as_json: bool) -> None:
    """Every registered check with its id, severity and the requirements it evidences."""
    from iotbaseline.checks.registry import all_checks

    specs = [c.spec for c in all_checks()]
    if as_json:
        print(json.dumps([
            {"id": s.id, "title": s.title, "severity": s.severity.value, "provisions": list(s.provisions),
             "applies_to": s.applies_to, "rationale": s.rationale, "remedy": s.remedy, "cwe": list(s.cwe)}
            for s in specs], indent=2))
        return
    table = Table(title=f"{len(specs)} checks")
    # ids are never cut with an ellipsis: in a pipe (80 columns) the list must stay greppable
    table.add_column("id", no_wrap=True)
    table.add_column("severity")
    table.add_column("title", overflow="fold")
    width = max((len(p) for s in specs for p in s.provisions), default=10)
    table.add_column("evidences", no_wrap=True, min_width=width)
    for s in specs:
        table.add_row(s.id, s.severity.value, s.title, "\n".join(s.provisions))
    console.print(table)


@command.command(name="run")
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("findings.json"), show_default=True,
              help="Findings file to write (iotbaseline.findings/1, for `assess --findings`).")
@click.option("--show-secrets", is_flag=True, help="Keep cracked passwords and key material in the findings file.")
@click.option("--crack-seconds", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Time bound for password cracking.")
def run(path: Path, out: Path, show_secrets: bool, crack_seconds: float) -> None:
    """Run every check on PATH (an unpacked root filesystem or an image) and write findings.json."""
    from iotbaseline.checks.context import CheckContext, CheckOptions
    from iotbaseline.checks.runner import run_checks
    from iotbaseline.extract import extract_image
    from iotbaseline.inventory.builder import build_inventory
    from iotbaseline.inventory.index import FileIndex
    from iotbaseline.model import FindingsFile

    with tempfile.TemporaryDirectory(prefix="iotbaseline-") as work:
        result = extract_image(path, Path(work) / "x")
        if not result.roots and not result.flat_images:
            err_console.print(f"[red]error:[/] {path}: nothing to check (no root filesystem or flat image)")
            sys.exit(EXIT_USAGE)
        index = FileIndex(build_inventory(list(result.roots)), flat_images=list(result.flat_images))
        ctx = CheckContext(index=index, options=CheckOptions(show_secrets=show_secrets, crack_seconds=crack_seconds))
        outcomes, findings, inferred = run_checks(ctx)
    data = FindingsFile(findings=findings, outcomes=outcomes, inferred=inferred).model_dump(mode="json", by_alias=True)
    if not show_secrets:
        for f in data["findings"]:
            f.pop("secret", None)
    out.write_text(json.dumps(data, indent=2))
    console.print(f"{len(findings)} findings from {len(outcomes)} checks → {out}")
