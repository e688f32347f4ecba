"""`iotbaseline batch`: scan many images on a Dask cluster into the results store."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from iotbaseline.cli.common import EXIT_OK, EXIT_THRESHOLD, EXIT_USAGE, console, err_console

store_option = click.option(
    "--store", "store_url", default=None, metavar="URL",
    help="Results store: sqlite:///PATH, a file path, or postgresql+psycopg://USER@HOST/DB "
         "(default: $IOTBASELINE_STORE, else fleet.sqlite in the user data directory).")


def open_store_or_exit(url: str | None):  # type: ignore[no-untyped-def]
    from iotbaseline.store import Store, StoreError

    try:
        return Store.open(url)
    except StoreError as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(EXIT_USAGE)


def _table(summary) -> Table:  # type: ignore[no-untyped-def]
    table = Table(title="Batch")
    for col in ("image", "status", "product", "version", "assessment", "seconds"):
        table.add_column(col)
    for item in summary.items:
        status = item.status if not item.error else f"{item.status}: {item.error[:80]}"
        table.add_row(item.path, status, item.product, item.version,
                      str(item.assessment_id or ""), f"{item.seconds:.1f}" if item.seconds else "")
    return table


@click.command(name="batch")
@click.argument("inputs", nargs=-1, required=True)
@store_option
@click.option("--workers", type=click.IntRange(min=1), help="Dask workers of a local cluster (default: cores).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Use this running Dask scheduler instead of a local cluster (the images and options must be readable by its workers at the same paths).")
@click.option("--profile", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="Device profile applied to every image.")
@click.option("--catalog", "catalogs", multiple=True, help="Catalog id to assess (repeatable; default: all).")
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="Vulnerability database.")
@click.option("--no-db", is_flag=True, help="Do not match CVEs.")
@click.option("--product", help="Product name for images whose profile does not name one.")
@click.option("--version", "fw_version", help="Firmware version for images whose profile does not give one.")
@click.option("--rescan", is_flag=True, help="Scan images already in the store again and replace their assessments.")
@click.option("--crack-seconds", type=click.FloatRange(min=0), default=10.0, show_default=True, help="Time bound for password cracking, per image.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def command(inputs: tuple[str, ...], store_url: str | None, workers: int | None, scheduler: str | None,
            profile: Path | None, catalogs: tuple[str, ...], db_path: Path | None, no_db: bool,
            product: str | None, fw_version: str | None, rescan: bool, crack_seconds: float,
            as_json: bool) -> None:
    """Scan INPUT… (images, directories of images, @list.txt) into the results store.

    Images already assessed with the same tool version, catalogs and options are skipped, so an
    interrupted batch resumes where it stopped. One failing image is recorded with its error and
    never stops the batch. Exit codes: 0 done; 1 done but some images failed; 2 bad usage."""
    from iotbaseline.fleet.inputs import BatchInputError, expand_inputs
    from iotbaseline.fleet.runner import BatchItem, run_batch
    from iotbaseline.pipeline import InputError, ScanOptions, _check_catalogs

    try:
        images = expand_inputs(list(inputs), product, fw_version)
        _check_catalogs(catalogs)
    except (BatchInputError, InputError) as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(EXIT_USAGE)
    if not images:
        err_console.print("[red]error:[/] the inputs name no image files", soft_wrap=True)
        sys.exit(EXIT_USAGE)
    store = open_store_or_exit(store_url)
    options = ScanOptions(out_dir=Path("."), profile=profile, catalogs=catalogs, db_path=db_path,
                          use_db=not no_db, crack_seconds=crack_seconds)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("[bold]batch"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   TextColumn("{task.description}"), console=err_console,
                   disable=not err_console.is_terminal)
    task = bar.add_task("", total=None)

    def on_result(item: BatchItem, finished: int, total: int) -> None:
        bar.update(task, completed=finished, total=total, description=f"{item.path}: {item.status}")
        if not err_console.is_terminal:
            print(f"iotbaseline: [{finished}/{total}] {item.path}: {item.status}"
                  + (f" ({item.error})" if item.error else ""), file=sys.stderr, flush=True)

    try:
        with bar:
            summary = run_batch(images, store, options, workers=workers, scheduler=scheduler,
                                rescan=rescan, progress=on_result)
    finally:
        store.close()
    if as_json:
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        console.print(_table(summary))
        console.print(f"{summary.count('stored')} stored, {summary.count('partial')} partial, "
                      f"{summary.count('skipped')} skipped, {summary.count('failed')} failed "
                      f"in {summary.seconds:.1f} s on {summary.workers} worker(s)")
    if summary.interrupted:
        err_console.print("[yellow]interrupted[/]: run the same command again to resume")
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_THRESHOLD if summary.count("failed") else EXIT_OK)
