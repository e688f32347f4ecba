"""`iotbaseline db`: the local vulnerability database (import, update, status)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.markup import escape

from iotbaseline.cli.common import EXIT_USAGE, console, err_console
from iotbaseline.vulns.db import ATTRIBUTION, ImportStats, VulnDatabase, VulnDatabaseError

_db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Database file (default: $IOTBASELINE_DB, else vulns.sqlite in the user data directory).")


def _open(db_path: Path | None) -> VulnDatabase:
    try:
        return VulnDatabase.open(db_path)
    except VulnDatabaseError as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(EXIT_USAGE)


def _print_stats(label: str, stats: ImportStats) -> None:
    console.print(
        f"{label}: {stats.new} new, {stats.updated} updated, {stats.unchanged} unchanged, "
        f"{stats.skipped} skipped ({', '.join(f'{k} {v}' for k, v in stats.by_source.items()) or 'no records'}; "
        f"{len(stats.files)} file(s), {stats.seconds:.1f} s)", soft_wrap=True, markup=False)
    for message in stats.errors:
        err_console.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True)


@click.group(name="db")
def command() -> None:
    """Manage the local vulnerability database (NVD, OSV, CISA KEV). Scans use it offline."""


@command.command(name="import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def import_(files: tuple[Path, ...], db_path: Path | None, as_json: bool) -> None:
    """Import NVD CVE API 2.0 feeds (.json/.json.gz), JSON Lines of {"cve": …}, OSV JSON or
    zip exports, or the CISA KEV catalog. Idempotent: newer lastModified wins."""
    db = _open(db_path)
    try:
        stats = db.import_files(files)
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(stats.as_dict(), indent=2))
    else:
        _print_stats(f"imported into {db.path}", stats)
        console.print(ATTRIBUTION, soft_wrap=True)
    if not stats.files:
        sys.exit(EXIT_USAGE)


@command.command(name="update")
@_db_option
@click.option("--api-key", envvar="NVD_API_KEY", default=None,
              help="NVD API key (raises the rate limit from 5 to 50 requests per 30 s).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              default=None, help="Fetch NVD records modified since this date (default: last sync).")
@click.option("--source", "sources", type=click.Choice(["nvd", "osv", "kev"]), multiple=True,
              help="Which source(s) to update (default: all three).")
@click.option("--ecosystem", "ecosystems", multiple=True,
              help="OSV ecosystem(s) to download (default: OSS-Fuzz).")
@click.option("--nvd-url", envvar="IOTBASELINE_NVD_URL", default=None, help="NVD API base URL.")
@click.option("--osv-url", envvar="IOTBASELINE_OSV_URL", default=None, help="OSV bucket URL.")
@click.option("--kev-url", envvar="IOTBASELINE_KEV_URL", default=None, help="KEV catalog URL.")
def update(db_path: Path | None, api_key: str | None, since: datetime | None,
           sources: tuple[str, ...], ecosystems: tuple[str, ...], nvd_url: str | None,
           osv_url: str | None, kev_url: str | None) -> None:
    """Download new and changed records (incremental, resumable, rate-limited)."""
    from iotbaseline.vulns import update as upd

    def log(message: str) -> None:
        err_console.print(f"[dim]{message}[/]", soft_wrap=True)

    db = _open(db_path)
    failed = False
    try:
        for source in sources or ("nvd", "osv", "kev"):
            try:
                if source == "nvd":
                    result = upd.update_nvd(
                        db, api_key=api_key, base_url=nvd_url, log=log,
                        since=since.replace(tzinfo=UTC) if since else None)
                elif source == "osv":
                    result = upd.update_osv(db, tuple(ecosystems) or upd.DEFAULT_OSV_ECOSYSTEMS,
                                            base_url=osv_url, log=log)
                else:
                    result = upd.update_kev(db, url=kev_url, log=log)
            except upd.UpdateError as exc:
                failed = True
                err_console.print(f"[red]error:[/] {source}: {escape(str(exc))}", soft_wrap=True)
                continue
            _print_stats(f"{source} ({result.requests} request(s))", result.stats)
            if result.note:
                console.print(result.note, soft_wrap=True)
    finally:
        db.close()
    console.print(ATTRIBUTION, soft_wrap=True)
    if failed:
        sys.exit(EXIT_USAGE)


@command.command(name="status")
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(db_path: Path | None, as_json: bool) -> None:
    """Sources, record counts, newest record dates, and a warning when the data is old.
    Exit 2 when there is no database (a status query never creates one)."""
    from iotbaseline.vulns.db import default_db_path

    path = db_path or default_db_path()
    if not path.exists():
        err_console.print(f"[red]error:[/] no vulnerability database at {escape(str(path))}: run "
                          "'iotbaseline db import FILE…' or 'iotbaseline db update'", soft_wrap=True)
        sys.exit(EXIT_USAGE)
    db = _open(path)
    try:
        info = db.info()
    finally:
        db.close()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    console.print(f"database: {info['path']} (schema {info['schema_version']})", soft_wrap=True)
    for name, source in info["sources"].items():
        newest = source.get("newest_last_modified") or source.get("newest_date_added")
        console.print(f"  {name}: {source['records']} records, newest {newest}, "
                      f"last import {source.get('last_import') or '-'}, "
                      f"last update {source.get('last_update') or '-'}", soft_wrap=True)
    console.print(f"  indexed product entries: {info['cpe_criteria']}", soft_wrap=True)
    if info["nvd_cursor"]:
        console.print("  an NVD update was interrupted; 'iotbaseline db update' resumes it", soft_wrap=True)
    if info["warning"]:
        err_console.print(f"[yellow]warning:[/] {info['warning']}", soft_wrap=True)
    console.print(ATTRIBUTION, soft_wrap=True)
