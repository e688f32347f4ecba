"""`iotbaseline assess`: verdicts from a profile plus saved findings / probe results, without
re-reading any image. Writes assessment.json, ics.md and ics.csv."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from rich.table import Table

from iotbaseline.assess.engine import build_assessment
from iotbaseline.assess.profile import ProfileError, load_profile
from iotbaseline.catalog.loader import CATALOG_IDS, CatalogError, load_catalogs
from iotbaseline.cli.common import EXIT_USAGE, console, err_console
from iotbaseline.cli.summary import print_readiness
from iotbaseline.model import AnalysisError, Assessment, Target, VerdictValue
from iotbaseline.report.ics import render_ics_csv, render_ics_markdown
from iotbaseline.report.json_report import (
    AssessInputs,
    ReportInputError,
    load_findings_input,
    load_probe_input,
    write_assessment_json,
)


def _usage_error(message: str) -> SystemExit:
    err_console.print(f"[red]error:[/] {message}", highlight=False)
    return SystemExit(EXIT_USAGE)


def summary_table(assessment: Assessment) -> Table:
    """Verdict counts per catalog."""
    table = Table(title="Verdicts per catalog")
    table.add_column("catalog")
    columns = (VerdictValue.PASS, VerdictValue.FAIL, VerdictValue.INCONCLUSIVE,
               VerdictValue.NOT_APPLICABLE)
    styles = {VerdictValue.PASS: "green", VerdictValue.FAIL: "red",
              VerdictValue.INCONCLUSIVE: "yellow", VerdictValue.NOT_APPLICABLE: "dim"}
    for value in columns:
        table.add_column(value.value, justify="right", style=styles[value])
    table.add_column("total", justify="right")
    for catalog_id, verdicts in assessment.verdicts.items():
        counts = Counter(v.verdict for v in verdicts.values())
        table.add_row(catalog_id, *(str(counts.get(v, 0)) for v in columns), str(len(verdicts)))
    return table


@click.command(name="assess")
@click.option("--profile", "profile_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Device profile (YAML).")
@click.option("--findings", "findings_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Findings file (iotbaseline.findings/1) or a saved assessment.json.")
@click.option("--probe-results", "probe_path", type=click.Path(dir_okay=False, path_type=Path),
              help="probe.json from `iotbaseline probe`.")
@click.option("--stream-results", "stream_path", type=click.Path(dir_okay=False, path_type=Path),
              help="stream.json from `iotbaseline stream`.")
@click.option("--catalog", "catalog_ids", multiple=True, type=click.Choice(CATALOG_IDS),
              help="Catalog to assess (repeatable; default: all).")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("iotbaseline-out"), show_default=True, help="Output directory.")
@click.option("--show-secrets", is_flag=True,
              help="Keep secret values (cracked passwords, keys) in assessment.json.")
@click.option("--vex", "vex_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The maker's VEX statements (OpenVEX or CycloneDX): CVEs they clear are suppressed, with the reason.")
def command(profile_path: Path, findings_path: Path | None, probe_path: Path | None,
            stream_path: Path | None,
            catalog_ids: tuple[str, ...], out_dir: Path, show_secrets: bool,
            vex_path: Path | None = None) -> None:
    """Decide a verdict for every requirement from the profile, declarations, findings and
    probe observations; write assessment.json, ics.md and ics.csv into the output directory."""
    try:
        profile = load_profile(profile_path)
    except ProfileError as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        raise SystemExit(EXIT_USAGE) from None
    inputs = AssessInputs()
    try:
        if findings_path is not None:
            inputs = load_findings_input(findings_path)
        probe = load_probe_input(probe_path) if probe_path is not None else None
        if stream_path is not None:
            from iotbaseline.pipeline import InputError, _with_stream_results

            try:
                probe = _with_stream_results(probe, stream_path)
            except InputError as exc:
                raise ReportInputError(str(exc)) from None
        catalogs = load_catalogs(list(catalog_ids) or None)
    except (ReportInputError, CatalogError) as exc:
        raise _usage_error(str(exc)) from None
    errors = list(inputs.errors)
    findings, outcomes, observations = inputs.findings, inputs.outcomes, inputs.observations
    components = inputs.components
    if vex_path is not None:
        from iotbaseline.vulns.vex import VexError, apply_to_saved, read_vex

        try:
            statements = read_vex(vex_path)
        except VexError as exc:
            raise _usage_error(str(exc)) from None
        components, findings, outcomes, suppressed = apply_to_saved(components, findings, outcomes, statements)
        click.echo(f"VEX {vex_path}: {len(suppressed)} CVE(s) suppressed", err=True)
    if probe is not None:
        findings = [*findings, *probe.findings]
        outcomes = [*outcomes, *probe.outcomes]
        observations = [*observations, *probe.observations]
        errors.extend(AnalysisError(stage="probe", message=m) for m in probe.errors)
    target = inputs.target or Target(name=profile.product.name, kind="profile-only",
                                     path=str(profile_path))
    assessment = build_assessment(
        catalogs, profile, findings, outcomes, observations, components, inputs.inferred,
        target=target, extraction=inputs.extraction, errors=errors,
        options={"profile": str(profile_path),
                 "findings": str(findings_path) if findings_path else None,
                 "probe_results": str(probe_path) if probe_path else None,
                 "stream_results": str(stream_path) if stream_path else None,
                 "vex": str(vex_path) if vex_path else None,
                 "catalogs": list(catalogs), "show_secrets": show_secrets},
    )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = [write_assessment_json(assessment, out_dir / "assessment.json", show_secrets)]
        if "etsi-en-303-645" in catalogs:
            for name, render in (("ics.md", render_ics_markdown), ("ics.csv", render_ics_csv)):
                path = out_dir / name
                path.write_text(render(assessment, catalogs), encoding="utf-8")
                written.append(path)
    except OSError as exc:
        raise _usage_error(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    console.print(summary_table(assessment))
    print_readiness(assessment)
    for error in assessment.errors:
        err_console.print(f"[yellow]warning:[/] {error.stage}: {error.message}", highlight=False)
    if "etsi-en-303-645" not in catalogs:
        console.print("ETSI EN 303 645 not selected: no conformance statement (ics.md/ics.csv).")
    console.print("wrote " + ", ".join(str(p) for p in written), highlight=False)
