"""`iotbaseline scan`: one command from image to verdicts and reports."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from iotbaseline.cli.common import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_THRESHOLD,
    EXIT_USAGE,
    err_console,
    write_debug_log,
)
from iotbaseline.cli.scan_store import with_store_options
from iotbaseline.cli.summary import print_summary, threshold_reached
from iotbaseline.model import Severity
from iotbaseline.report.formats import FORMAT_GROUPS

# A gate trips on problems: a finding at or above a severity, or a FAIL (or any undecided) verdict.
FAIL_ON_CHOICES = [s.value for s in Severity] + ["fail", "inconclusive"]


def run_and_report(source: Path | list[Path], options: object, fail_on: str | None) -> int:
    """Run the scan with progress, print the summary, return the exit code."""
    from iotbaseline.pipeline import InputError, run_scan

    try:
        if err_console.is_terminal:
            with err_console.status("scanning…") as status:
                result = run_scan(source, options, progress=lambda s: status.update(f"[bold]{s}[/]…"))  # type: ignore[arg-type]
        else:
            result = run_scan(source, options, progress=lambda s: print(f"iotbaseline: {s}…", file=sys.stderr))  # type: ignore[arg-type]
    except InputError as exc:
        err_console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return EXIT_USAGE
    except Exception:  # noqa: BLE001 - any crash is exit 3 with a debug log
        log = write_debug_log(getattr(options, "out_dir", None))
        err_console.print(f"[red]internal error[/]: see {log}", soft_wrap=True)
        return EXIT_INTERNAL
    print_summary(result)
    if result.input_problem:
        err_console.print(f"[red]error:[/] {result.input_problem} (partial report written)", soft_wrap=True)
        return EXIT_USAGE
    if fail_on and threshold_reached(result.assessment, fail_on):
        err_console.print(f"[yellow]--fail-on {fail_on}: threshold reached[/]")
        return EXIT_THRESHOLD
    return EXIT_OK


@click.command(name="scan")
@with_store_options
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--mount", "mounts", multiple=True, metavar="PART=/path", help="Where the device mounts a partition input (repeatable), e.g. conf.bin=/mnt/conf; default: from the image's fstab, mount lines and bootargs.")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("iotbaseline-out"), show_default=True, help="Directory for the reports.")
@click.option("--profile", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="Device profile and declarations (YAML).")
@click.option("--catalog", "catalogs", multiple=True, help="Catalog id to assess (repeatable; default: all).")
@click.option("--probe-results", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="probe.json from `iotbaseline probe`.")
@click.option("--stream-results", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="stream.json from `iotbaseline stream`.")
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="Vulnerability database (default: user data dir or $IOTBASELINE_DB).")
@click.option("--no-db", is_flag=True, help="Do not match CVEs.")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES, case_sensitive=False), help="Exit 1 when a finding of this severity or higher is present (info…critical), when any verdict is FAIL (fail), or when any is FAIL or INCONCLUSIVE (inconclusive).")
@click.option("--format", "formats", multiple=True, type=click.Choice(sorted(FORMAT_GROUPS)), help="Report formats (repeatable; default: json html sarif cyclonedx ics extraction).")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: number of cores).")
@click.option("--show-secrets", is_flag=True, help="Keep cracked passwords and key material in assessment.json.")
@click.option("--vex", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="The maker's VEX statements (OpenVEX or CycloneDX): CVEs they clear are shown as suppressed, with the reason, and not counted.")
@click.option("--crack-seconds", type=click.FloatRange(min=0), default=10.0, show_default=True, help="Time bound for password cracking.")
@click.option("--debug", is_flag=True, help="Write tracebacks of recorded errors to OUTPUT/debug.log.")
def command(paths: tuple[Path, ...], mounts: tuple[str, ...], out_dir: Path, profile: Path | None, catalogs: tuple[str, ...], probe_results: Path | None,
            stream_results: Path | None, db_path: Path | None, no_db: bool, fail_on: str | None, formats: tuple[str, ...], jobs: int | None,
            show_secrets: bool, crack_seconds: float, vex: Path | None, debug: bool = False) -> None:
    """Scan a firmware image, an archive of a root filesystem, or a directory: extract, inventory,
    run the baseline checks, build the SBOM, match CVEs, decide verdicts and write the reports.
    Several paths (or a directory of partition dumps) are the partitions of one device.

    Exit codes: 0 done; 1 done and --fail-on reached; 2 bad usage or unreadable input;
    3 internal error."""
    from iotbaseline.pipeline import ALL_FORMATS, ScanOptions

    if debug:  # tracebacks only here; reports keep one line per error (iotbaseline.errors)
        from iotbaseline.errors import enable_debug_log

        try:
            enable_debug_log(out_dir / "debug.log")
        except OSError as exc:
            raise click.UsageError(f"cannot write {out_dir / 'debug.log'}: {exc.strerror}") from exc

    options = ScanOptions(
        out_dir=out_dir, profile=profile, catalogs=catalogs, probe_results=probe_results,
        stream_results=stream_results,
        db_path=db_path, use_db=not no_db, formats=formats or ALL_FORMATS, jobs=jobs,
        show_secrets=show_secrets, crack_seconds=crack_seconds, vex=vex, mounts=mounts,
    )
    sys.exit(run_and_report(paths[0] if len(paths) == 1 else list(paths), options, fail_on))
