"""`iotbaseline inventory PATH`: every file of an unpacked root filesystem (or of the roots an
`extract` run recorded in extraction.json) with its kind, hashes and ELF hardening facts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from iotbaseline.cli.common import EXIT_USAGE, console, err_console, is_interactive
from iotbaseline.model import ExtractionResult, Inventory, RootFilesystem


def roots_of(path: Path) -> list[RootFilesystem]:
    """The roots to inventory: those of extraction.json when PATH is (or holds) one, else PATH."""
    report = path if path.is_file() else path / "extraction.json"
    if report.is_file():
        try:
            result = ExtractionResult.model_validate_json(report.read_bytes())
        except (ValidationError, ValueError) as exc:
            raise click.ClickException(f"{report}: not a valid extraction.json ({exc.__class__.__name__})")
        roots = []
        for root in result.roots:
            disk = Path(root.path)
            if not disk.is_absolute():  # relative to the work directory of that run
                disk = report.parent / disk
            roots.append(root.model_copy(update={"path": str(disk.resolve())}))
        if not roots:
            raise click.ClickException(f"{report}: the extraction found no root filesystem")
        return roots
    if not path.is_dir():
        raise click.ClickException(f"{path}: neither a directory nor an extraction.json")
    return [RootFilesystem(label="rootfs", path=str(path.resolve()))]


@click.command(name="inventory")
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the full inventory as JSON.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the full inventory JSON to this file.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: number of cores).")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Reuse ELF facts by content hash across runs.")
def command(path: Path, as_json: bool, output: Path | None, jobs: int | None,
            cache_dir: Path | None) -> None:
    """Inventory PATH: an unpacked root filesystem, or an `extract` output directory."""
    from iotbaseline.inventory.builder import build_inventory
    from iotbaseline.inventory.summary import summarise

    try:
        roots = roots_of(path)
    except click.ClickException as exc:
        err_console.print(f"[red]error:[/] {exc.message}")
        sys.exit(EXIT_USAGE)
    inventory = _run(build_inventory, roots, jobs, cache_dir)
    payload = None
    if as_json or output:
        payload = inventory.model_dump_json(by_alias=True, indent=2)
    if output and payload is not None:
        output.write_text(payload)
    if as_json and payload is not None:
        sys.stdout.write(payload + "\n")
        return
    _print_summary(summarise(inventory), inventory)
    if output:
        console.print(f"inventory → {output}")


def _run(build: Any, roots: list[RootFilesystem], jobs: int | None, cache_dir: Path | None) -> Inventory:
    """A progress bar on a terminal; one log line on stderr in a pipe."""
    if not is_interactive():
        print(f"iotbaseline: inventory of {len(roots)} root(s)…", file=sys.stderr, flush=True)
        inventory: Inventory = build(roots, jobs=jobs, cache_dir=cache_dir)
        return inventory
    with Progress(TextColumn("[bold]inventory[/]"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as progress:
        task = progress.add_task("files", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        inventory = build(roots, jobs=jobs, cache_dir=cache_dir, progress=report)
    return inventory


def _print_summary(summary: dict[str, Any], inventory: Inventory) -> None:
    kinds = Table(title=f"{summary['files']} entries, {len(inventory.roots)} root(s)")
    kinds.add_column("kind")
    kinds.add_column("count", justify="right")
    for kind, count in summary["kinds"].items():
        kinds.add_row(kind, str(count))
    console.print(kinds)
    elf = summary["elf"]
    console.print(
        f"ELF: {elf['executables']} executables, {elf['shared_libraries']} shared libraries, "
        f"{elf['kernel_modules']} kernel modules, {elf['malformed']} malformed · "
        f"architectures: {', '.join(summary['architectures']) or 'none'} · {summary['seconds']} s"
    )
    console.print(f"setuid {summary['setuid']} · setgid {summary['setgid']} · "
                  f"world-writable {summary['world_writable']}")
    for group in ("executables", "shared_libraries"):
        facts: dict[str, dict[str, int]] = summary[group]
        if not any(facts.get("nx", {}).values()):
            continue
        table = Table(title=f"hardening of {group.replace('_', ' ')}")
        table.add_column("property")
        table.add_column("counts")
        for name, counts in facts.items():
            table.add_row(name, "  ".join(f"{k}: {v}" for k, v in counts.items()))
        console.print(table)
    if inventory.errors:
        err_console.print(f"[yellow]{len(inventory.errors)} problem(s):[/]")
        for problem in inventory.errors[:10]:
            err_console.print(f"  {problem.path}: {problem.message}")
        if len(inventory.errors) > 10:
            err_console.print("  … (all of them are in --json)")

