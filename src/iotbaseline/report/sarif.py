"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers.

Rules are the checks (title, rationale as full description, remedy as help, the requirements
they evidence as tags, a ``security-severity`` GitHub ranks by); results are findings, located
by their path inside the firmware (``artifactLocation.uri`` relative, under the ``FIRMWARE``
base) with the line when known and the extraction provenance as a property. Vulnerable
components become one result per CVE under rule ``IOTB-VULN-001`` (those replace the
per-component findings of that check, so nothing is counted twice). ``partialFingerprints``
carry the run-independent identity of ``report.fingerprint`` so re-scans dedupe.

Built as plain dicts: the document is small and the SARIF object-model packages on PyPI are
unmaintained (``sarif-om`` last released 2019); the tests validate the output against the
official OASIS schema.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote

from iotbaseline.catalog.model import Catalog
from iotbaseline.model import (
    Assessment,
    Component,
    Finding,
    OutcomeStatus,
    Severity,
    Vulnerability,
)
from iotbaseline.report.fingerprint import SecretScrubber, finding_fingerprint, where

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
VULN_RULE = "IOTB-VULN-001"
FINGERPRINT_KEY = "iotbaseline/v1"
BASE_ID = "FIRMWARE"

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub maps security-severity > 9 critical, >= 7 high, >= 4 medium, > 0 low
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.INFO: "0.0",
}


def _text(value: str, fallback: str) -> str:
    """SARIF messages must not be empty."""
    return value.strip() or fallback


def _uri(path: str) -> str:
    """A path inside the firmware as a relative URI reference ('etc/shadow')."""
    return quote(path.lstrip("/"), safe="/-._~!$&'()*+,;=:@")


def _rule(rule_id: str, title: str, rationale: str, remedy: str, severity: Severity,
          provisions: list[str], cwe: list[int]) -> dict[str, Any]:
    tags = ["security", "firmware", *sorted(set(provisions)), *(f"external/cwe/cwe-{n}" for n in cwe)]
    help_text = _text(remedy, "See the finding's message.")
    return {
        "id": rule_id,
        "name": "".join(w[:1].upper() + w[1:] for w in title.replace("-", " ").split() if w.isalnum()) or rule_id,
        "shortDescription": {"text": _text(title, rule_id)},
        "fullDescription": {"text": _text(rationale, title or rule_id)},
        "help": {"text": help_text, "markdown": f"**Remedy:** {help_text}"},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "tags": tags,
            "security-severity": SECURITY_SEVERITY[severity],
            "precision": "high",
            "requirements": sorted(set(provisions)),
        },
    }


class _RuleBook:
    """Rules in first-use order, with their index for ``ruleIndex``."""

    def __init__(self) -> None:
        from iotbaseline.checks.registry import all_checks

        self._specs = {c.spec.id: c.spec for c in all_checks()}
        self.rules: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}

    def index(self, rule_id: str, finding: Finding | None = None) -> int:
        if rule_id in self._index:
            return self._index[rule_id]
        spec = self._specs.get(rule_id)
        if spec is not None:
            rule = _rule(spec.id, spec.title, spec.rationale, spec.remedy, spec.severity,
                         list(spec.provisions), list(spec.cwe))
        elif rule_id == VULN_RULE:
            from iotbaseline.vulns import findings as vf

            rule = _rule(VULN_RULE, vf.TITLE,
                         "A component whose version carries published vulnerabilities can be "
                         "attacked with public knowledge, often with public exploit code.",
                         vf.REMEDY, Severity.HIGH, list(vf.PROVISIONS), [1395])
        else:  # a probe finding or a check unknown to this version: described by the finding
            f = finding
            rule = _rule(rule_id, f.title if f else rule_id, "", f.remedy if f else "",
                         f.severity if f else Severity.MEDIUM, list(f.provisions) if f else [],
                         list(f.cwe) if f else [])
        self._index[rule_id] = len(self.rules)
        self.rules.append(rule)
        return self._index[rule_id]


def _location(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    if loc.path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.path), "uriBaseId": BASE_ID}}
        if loc.line and loc.line > 0:
            physical["region"] = {"startLine": loc.line}
        elif loc.offset is not None and loc.offset >= 0:
            physical["region"] = {"byteOffset": loc.offset}
        out: dict[str, Any] = {"physicalLocation": physical}
        if loc.root:
            out["properties"] = {"root": loc.root}
        return out
    return {"logicalLocations": [{"fullyQualifiedName": where(loc) or finding.id, "kind": "resource"}]}


def _finding_result(f: Finding, rules: _RuleBook, scrubber: SecretScrubber) -> dict[str, Any]:
    scrub = scrubber.for_finding(f)
    excerpts = [scrub(e.excerpt) for e in f.evidence if e.excerpt]
    props: dict[str, Any] = {
        "findingId": f.id,
        "severity": f.severity.value,
        "confidence": f.confidence,
        "requirements": list(f.provisions),
        "provenance": [scrub(p) for p in f.location.provenance],
    }
    if f.location.sha256:
        props["sha256"] = f.location.sha256
    if excerpts:
        props["excerpts"] = excerpts
    if f.redacted:
        props["redacted"] = f.redacted
    return {
        "ruleId": f.check,
        "ruleIndex": rules.index(f.check, f),
        "level": LEVEL[f.severity],
        "message": {"text": _text(scrub(f.message), f.title)},
        "locations": [_location(f)],
        "partialFingerprints": {FINGERPRINT_KEY: finding_fingerprint(f)},
        "properties": props,
    }


def _vuln_results(components: list[Component], rules: _RuleBook) -> list[dict[str, Any]]:
    from iotbaseline.vulns.findings import vulnerability_severity

    results: list[dict[str, Any]] = []
    for c in components:
        for v in c.vulnerabilities:
            if v.status != "affected":
                continue
            results.append(_vuln_result(c, v, vulnerability_severity(v), rules))
    return results


def _vuln_result(c: Component, v: Vulnerability, severity: Severity, rules: _RuleBook) -> dict[str, Any]:
    label = f"{c.name} {c.version}" if c.version else c.name
    score = v.best_score
    detail = ", ".join(p for p in (f"CVSS {score}" if score is not None else "", "KEV" if v.kev else "") if p)
    message = f"{label} is affected by {v.id}" + (f" ({detail})" if detail else "") + "."
    if v.match:
        message += f" Matched: {v.match}."
    ev = c.evidence[0] if c.evidence else None
    if ev is not None:
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": _uri(ev.path), "uriBaseId": BASE_ID}}}
    else:
        location = {"logicalLocations": [{"fullyQualifiedName": c.ref, "kind": "module"}]}
    key = f"{VULN_RULE}\x1f{c.name.lower()}\x1f{v.id}"
    return {
        "ruleId": VULN_RULE,
        "ruleIndex": rules.index(VULN_RULE),
        "level": LEVEL[severity],
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: hashlib.sha256(key.encode()).hexdigest()[:32]},
        "properties": {
            "cve": v.id,
            "component": c.ref,
            "cpe": c.cpe,
            "cvss": score,
            "kev": v.kev,
            "identifiedBy": sorted({e.method for e in c.evidence}),
            "severity": severity.value,
            "security-severity": f"{score:.1f}" if score is not None else SECURITY_SEVERITY[severity],
        },
    }


def _notifications(assessment: Assessment) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    for o in assessment.outcomes:
        if o.status is OutcomeStatus.ERROR:
            notes.append({"level": "error", "message": {"text": _text(f"check {o.check} failed: {o.error or o.summary}", o.check)},
                          "descriptor": {"id": o.check}})
    for e in assessment.errors:
        text = f"[{e.stage}] {e.message}" + (f" ({e.path})" if e.path else "")
        notes.append({"level": "warning", "message": {"text": text}})
    return notes


def build_sarif(assessment: Assessment, catalogs: dict[str, Catalog] | None = None) -> dict[str, Any]:
    """The SARIF log as a dict (``render_sarif`` serialises it)."""
    rules = _RuleBook()
    scrub = SecretScrubber(assessment.findings)
    vulnerable = [c for c in assessment.components if any(v.status == "affected" for v in c.vulnerabilities)]
    results: list[dict[str, Any]] = []
    for f in assessment.findings:
        if f.check == VULN_RULE and vulnerable:
            continue  # replaced by one result per CVE below
        results.append(_finding_result(f, rules, scrub))
    results.extend(_vuln_results(vulnerable, rules))
    # rules of checks that ran and passed are listed too, so viewers can show what was checked
    for o in assessment.outcomes:
        rules.index(o.check)
    target = assessment.target
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": assessment.tool.name,
            "version": assessment.tool.version,
            "semanticVersion": assessment.tool.version,
            "rules": rules.rules,
        }},
        "originalUriBaseIds": {BASE_ID: {"description": {"text": f"root filesystem extracted from {target.name}"}}},
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": _notifications(assessment),
            **({"startTimeUtc": _utc(assessment.run.started)} if _utc(assessment.run.started) else {}),
        }],
        "results": results,
        "properties": {
            "target": {"name": target.name, "kind": target.kind, "sha256": target.sha256, "size": target.size},
            "catalogs": dict(assessment.run.catalogs),
            "vulnerabilityDatabase": bool(assessment.run.vulnerability_db),
            "notAffectedByKernelConfig": sum(1 for c in assessment.components for v in c.vulnerabilities
                                              if v.status != "affected"),
            "regulationReadiness": _readiness(assessment),
        },
    }
    if target.sha256:
        run["artifacts"] = [{"location": {"uri": _uri(target.name)}, "hashes": {"sha-256": target.sha256},
                             **({"length": target.size} if target.size is not None else {}),
                             "roles": ["analysisTarget"]}]
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _readiness(assessment: Assessment) -> list[dict[str, Any]]:
    """Per regulation: status and the refs of the blocking requirements (the reasons and their
    evidence are in assessment.json and the HTML report)."""
    return [{"regulation": r.regulation, "name": r.name, "catalogs": r.catalogs,
             "status": r.status.value, "summary": r.summary,
             "blocking": [{"ref": b.ref, "verdict": b.verdict.value} for b in r.blocking]}
            for r in assessment.readiness]


def _utc(started: str | None) -> str | None:
    """SARIF wants UTC 'Z' date-times; our run records an ISO time with offset."""
    if not started:
        return None
    import datetime as dt

    try:
        moment = dt.datetime.fromisoformat(started)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_sarif(assessment: Assessment, catalogs: dict[str, Catalog]) -> str:
    # no indent: json's C encoder is only used without it (5x faster on thousands of results)
    return json.dumps(build_sarif(assessment, catalogs), ensure_ascii=False) + "\n"
