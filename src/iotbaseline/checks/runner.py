"""Runs every registered check on a file index and wraps each run into an outcome.

The runner is the only place that turns a ``Hit`` into a ``Finding``: it adds the id, the
spec's title, severity, provisions and remedy, and the file's hash and provenance. A check that
raises becomes an ``error`` outcome (reported, not swallowed); the other checks still run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from iotbaseline.checks.base import Check, CheckReport, CheckSpec, Hit
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.registry import all_checks
from iotbaseline.errors import record_exception
from iotbaseline.model import (
    CheckOutcome,
    Evidence,
    Finding,
    Location,
    OutcomeStatus,
)


def _applies(check: Check, ctx: CheckContext) -> str | None:
    """Return why the check does not apply to this target, or None."""
    has_root = bool(ctx.index.roots)
    platform = ctx.platform
    if check.spec.applies_to == "rootfs" and platform is not None and not platform.linux_userspace:
        from iotbaseline.analysis.platform import not_linux_reason

        return not_linux_reason(platform)
    if "microcontroller" in check.spec.tags and platform is not None and platform.kind != "bare-metal":
        # prompt-beside-string heuristics are tuned to small MCU images, not RTOS kernels
        return f"{platform.name} image: not microcontroller firmware"
    if check.spec.applies_to == "rootfs" and not has_root:
        return "no root filesystem in this image (flat or microcontroller firmware)"
    if check.spec.applies_to == "flat" and not ctx.index.flat_images:
        return "no flat binary image to analyse"
    return None


def _finding(check: Check, hit: Hit, number: int, ctx: CheckContext) -> Finding:
    entry = ctx.index.get(hit.path, hit.root) if hit.path else None
    location = Location(
        path=hit.path,
        root=hit.root or (entry.root if entry else None),
        line=hit.line,
        offset=hit.offset,
        sha256=entry.sha256 if entry else None,
        provenance=list(entry.provenance) if entry else [],
    )
    evidence = list(hit.evidence)
    if hit.path:
        evidence.insert(
            0,
            Evidence(
                kind="file",
                ref=hit.path,
                detail=hit.message,
                sha256=location.sha256,
                line=hit.line,
                excerpt=hit.excerpt,
            ),
        )
    return Finding(
        id=f"{check.spec.id}#{number}",
        check=check.spec.id,
        title=check.spec.title,
        severity=hit.severity or check.spec.severity,
        provisions=list(hit.provisions if hit.provisions is not None else check.spec.provisions),
        message=hit.message,
        location=location,
        evidence=evidence,
        remedy=check.spec.remedy,
        confidence=hit.confidence,
        secret=hit.secret,
        redacted=hit.redacted,
        cwe=list(check.spec.cwe),
        properties=dict(hit.properties),
    )


def _pass_summary(spec: CheckSpec, status: OutcomeStatus) -> str:
    """A passing check that gave no summary would otherwise be shown as "pass: <title>", and a
    title names the problem ("ZigBee Alliance default link key in the image"): say it is absent."""
    return f"not found: {spec.title}" if status is OutcomeStatus.PASS else ""


def run_one(check: Check, ctx: CheckContext) -> tuple[CheckOutcome, list[Finding], dict[str, Any]]:
    spec = check.spec
    started = time.perf_counter()
    reason = _applies(check, ctx)
    if reason:
        return (
            CheckOutcome(
                check=spec.id,
                title=spec.title,
                status=OutcomeStatus.NOT_APPLICABLE,
                provisions=list(spec.provisions),
                summary=reason,
                seconds=0.0,
            ),
            [],
            {},
        )
    try:
        report: CheckReport = check.run(ctx)
    except Exception as exc:  # noqa: BLE001 - a crashing check becomes an error outcome
        return (
            CheckOutcome(
                check=spec.id,
                title=spec.title,
                status=OutcomeStatus.ERROR,
                provisions=list(spec.provisions),
                summary="the check failed to run",
                # one line; the traceback goes to the --debug log only
                error=record_exception(f"checks:{spec.id}", exc).cause,
                seconds=time.perf_counter() - started,
            ),
            [],
            {},
        )
    findings = [_finding(check, hit, n, ctx) for n, hit in enumerate(report.hits, start=1)]
    if findings:
        status = OutcomeStatus.FAIL
    elif report.not_applicable:
        status = OutcomeStatus.NOT_APPLICABLE
    else:
        status = OutcomeStatus.PASS
    provisions = sorted({p for f in findings for p in f.provisions}) if findings else list(
        spec.provisions
    )
    outcome = CheckOutcome(
        check=spec.id,
        title=spec.title,
        status=status,
        provisions=provisions,
        summary=report.summary or report.not_applicable or _pass_summary(spec, status),
        evidence=list(report.examined),
        findings=[f.id for f in findings],
        seconds=time.perf_counter() - started,
    )
    return outcome, findings, dict(report.inferred)


def run_checks(
    ctx: CheckContext, checks: Iterable[Check] | None = None
) -> tuple[list[CheckOutcome], list[Finding], dict[str, Any]]:
    """Run the given (default: all registered) checks; return outcomes, findings, inferred facts."""
    outcomes: list[CheckOutcome] = []
    findings: list[Finding] = []
    inferred: dict[str, Any] = {}
    for check in checks if checks is not None else all_checks():
        outcome, found, facts = run_one(check, ctx)
        outcomes.append(outcome)
        findings.extend(found)
        for key, value in facts.items():
            inferred.setdefault(key, value)
    return outcomes, findings, inferred
