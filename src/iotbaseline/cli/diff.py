"""`iotbaseline diff OLD NEW`: what changed between two releases; exit 1 on regressions, so a
CI job can stop a firmware release that made things worse."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from iotbaseline.cli.common import EXIT_INTERNAL, EXIT_OK, EXIT_THRESHOLD, EXIT_USAGE, err_console
from iotbaseline.model import Assessment


class DiffInputError(Exception):
    """OLD or NEW cannot be used (exit code 2)."""


def _is_assessment_file(path: Path) -> bool:
    """A JSON document (an object at the top level) rather than an image or a directory: only
    the first bytes are read, so a large image is never loaded to decide. The loader then says
    clearly what is wrong with a JSON file that is not an assessment."""
    if not path.is_file():
        return False
    with path.open("rb") as fh:
        head = fh.read(64)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def load_or_scan(path: Path, work: Path, db: Path | None, use_db: bool, profile: Path | None) -> Assessment:
    """Read an assessment.json, or scan an image / archive / directory into ``work``."""
    from iotbaseline.report.json_report import ReportInputError, load_assessment

    if not path.exists():
        raise DiffInputError(f"{path}: no such file or directory")
    if _is_assessment_file(path):
        try:
            return load_assessment(path)
        except ReportInputError as exc:
            raise DiffInputError(str(exc)) from exc
    from iotbaseline.pipeline import InputError, ScanOptions, run_scan

    options = ScanOptions(out_dir=work, profile=profile, db_path=db, use_db=use_db, formats=("json",))
    try:
        result = run_scan(path, options, progress=lambda s: print(f"iotbaseline: {path.name}: {s}…", file=sys.stderr))
    except InputError as exc:
        raise DiffInputError(str(exc)) from exc
    if result.input_problem:
        raise DiffInputError(result.input_problem)
    return result.assessment


@click.command(name="diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True,
              help="Output format.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="File to write (default: standard output).")
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="Vulnerability database for scanning images.")
@click.option("--no-db", is_flag=True, help="Do not match CVEs when scanning images.")
@click.option("--profile", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="Device profile used when scanning images.")
def command(old: Path, new: Path, fmt: str, output: Path | None, db_path: Path | None, no_db: bool,
            profile: Path | None) -> None:
    """Compare OLD and NEW (assessment.json files, or firmware images / directories, which are
    scanned first): verdicts worse or better, new and fixed findings, components added, removed
    or upgraded, CVEs introduced and fixed.

    Exit codes: 0 no regression; 1 regressions (a verdict worse, a new finding or a CVE
    introduced); 2 unusable input; 3 internal error."""
    from iotbaseline.report.diff import diff_assessments
    from iotbaseline.report.diff_render import render_diff_html, render_diff_json, render_diff_text

    try:
        with tempfile.TemporaryDirectory(prefix="iotbaseline-diff-") as tmp:
            before = load_or_scan(old, Path(tmp) / "old", db_path, not no_db, profile)
            after = load_or_scan(new, Path(tmp) / "new", db_path, not no_db, profile)
    except DiffInputError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # noqa: BLE001 — reported with exit code 3, never a traceback dump
        err_console.print(f"internal error: {type(exc).__name__}: {exc}", markup=False, highlight=False)
        sys.exit(EXIT_INTERNAL)
    diff = diff_assessments(before, after)
    text = {"text": render_diff_text, "json": render_diff_json, "html": render_diff_html}[fmt](diff)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        err_console.print(f"diff written to {output}", markup=False, highlight=False)
    sys.exit(EXIT_THRESHOLD if diff.regressions else EXIT_OK)
