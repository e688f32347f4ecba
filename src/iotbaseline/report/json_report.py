"""assessment.json: write it, and read back the JSON inputs of ``assess`` (a findings file, a
saved assessment, a probe result), each with a clear error naming the file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from iotbaseline.model import (
    ASSESSMENT_SCHEMA,
    FINDINGS_SCHEMA,
    PROBE_SCHEMA,
    AnalysisError,
    Assessment,
    CheckOutcome,
    Component,
    ExtractionResult,
    Finding,
    FindingsFile,
    Observation,
    ProbeResult,
    Target,
)


class ReportInputError(ValueError):
    """A JSON input file that cannot be used (unreadable, not JSON, wrong schema)."""


def render_assessment_json(assessment: Assessment, show_secrets: bool = False) -> str:
    """The text of assessment.json (secrets only with ``show_secrets``)."""
    return assessment.to_json(show_secrets=show_secrets) + "\n"


def write_assessment_json(assessment: Assessment, path: Path, show_secrets: bool = False) -> Path:
    path.write_text(render_assessment_json(assessment, show_secrets), encoding="utf-8")
    return path


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportInputError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ReportInputError(f"{path}: expected a JSON object at the top level")
    return data


def _problems(exc: ValidationError) -> str:
    shown = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]]
    more = len(exc.errors()) - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def load_assessment(path: Path) -> Assessment:
    data = _read_json(path)
    if data.get("schema") != ASSESSMENT_SCHEMA:
        raise ReportInputError(f"{path}: schema is {data.get('schema')!r}, expected "
                               f"{ASSESSMENT_SCHEMA!r}")
    try:
        return Assessment.model_validate(data)
    except ValidationError as exc:
        raise ReportInputError(f"{path}: {_problems(exc)}") from exc


@dataclass
class AssessInputs:
    """What ``--findings`` and ``--probe-results`` contribute to an assessment."""

    findings: list[Finding] = field(default_factory=list)
    outcomes: list[CheckOutcome] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    inferred: dict[str, Any] = field(default_factory=dict)
    target: Target | None = None  # from a saved assessment
    extraction: ExtractionResult | None = None
    errors: list[AnalysisError] = field(default_factory=list)


def load_findings_input(path: Path) -> AssessInputs:
    """A ``FindingsFile`` (iotbaseline.findings/1) or a saved assessment (its findings,
    outcomes, observations, components and inferred facts — never its verdicts)."""
    data = _read_json(path)
    schema = data.get("schema")
    if schema == ASSESSMENT_SCHEMA:
        old = load_assessment(path)
        return AssessInputs(findings=old.findings, outcomes=old.outcomes,
                        observations=old.observations, components=old.components,
                        inferred=old.inferred, target=old.target, extraction=old.extraction,
                        errors=[e for e in old.errors if e.stage != "assess"])
    if schema != FINDINGS_SCHEMA:
        raise ReportInputError(f"{path}: schema is {schema!r}, expected {FINDINGS_SCHEMA!r} or "
                               f"{ASSESSMENT_SCHEMA!r}")
    try:
        found = FindingsFile.model_validate(data)
    except ValidationError as exc:
        raise ReportInputError(f"{path}: {_problems(exc)}") from exc
    return AssessInputs(findings=found.findings, outcomes=found.outcomes,
                    components=found.components, inferred=found.inferred)


def load_probe_input(path: Path) -> ProbeResult:
    data = _read_json(path)
    if data.get("schema") != PROBE_SCHEMA:
        raise ReportInputError(f"{path}: schema is {data.get('schema')!r}, expected "
                               f"{PROBE_SCHEMA!r}")
    try:
        return ProbeResult.model_validate(data)
    except ValidationError as exc:
        raise ReportInputError(f"{path}: {_problems(exc)}") from exc
