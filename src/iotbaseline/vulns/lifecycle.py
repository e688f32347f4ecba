"""Outdated components, KEV-listed CVEs and P2P stacks with published research as findings.

- IOTB-VULN-002 *outdated component*: its release branch is past upstream's end of life, or the
  project fixes only its current line and the version is below it (``data/lifecycle.yaml``,
  each fact with its source). Severity comes from the component's worst affected CVE (KEV →
  critical); with no known CVE it is LOW: age alone is not a severity.
- IOTB-VULN-003 *known exploited*: a component with a CVE in CISA's KEV catalog (critical).
- IOTB-VULN-004 *P2P stack with published research* (``data/research.yaml``): found even
  without a version, because the research concerns the SDK's design, not one release.

Provisions (ids checked by the tests against the catalogs):
- etsi-en-303-645 5.3-2 (as the issue asks: a component upstream no longer fixes cannot get
  security fixes through the update mechanism) and 5.3-8 (timely security updates) only when
  fixes exist that the image lacks (an affected CVE); Tencent 5.1.5-4 is the mapping's
  equivalent of 5.3-8; Xiaomi 2.1.5 and Tencent 5.1.6-2 (third-party components kept current);
  OWASP ISVS V3.2.4; EU CRA Annex I Part I (2)(a) (no known exploitable vulnerabilities) when a
  CVE is affected.
- the P2P findings: etsi 5.5-1 (communicate securely), xiaomi 2.1.5, tencent 5.1.6-2.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from iotbaseline.model import (
    CheckOutcome,
    Component,
    Evidence,
    Finding,
    Location,
    OutcomeStatus,
    Severity,
    Vulnerability,
)
from iotbaseline.vulns.versions import version_key


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    provisions: tuple[str, ...]


OUTDATED = CheckSpec("IOTB-VULN-002", "Outdated component (past upstream support)", (
    "etsi-en-303-645:5.3-2", "etsi-en-303-645:5.3-8", "xiaomi-2.0:2.1.5",
    "tencent-qtx-001.1:5.1.5-4", "tencent-qtx-001.1:5.1.6-2", "owasp-isvs:V3.2.4",
    "eu-cra-annex-i:I.2(a)"))
KNOWN_EXPLOITED = CheckSpec("IOTB-VULN-003", "Component with a known exploited vulnerability (CISA KEV)", (
    "etsi-en-303-645:5.2-3", "etsi-en-303-645:5.3-8", "xiaomi-2.0:2.1.5",
    "tencent-qtx-001.1:5.1.5-4", "tencent-qtx-001.1:5.1.6-2", "owasp-isvs:V3.2.4",
    "eu-cra-annex-i:I.2(a)"))
P2P_RESEARCH = CheckSpec("IOTB-VULN-004", "P2P stack with published security research", (
    "etsi-en-303-645:5.5-1", "xiaomi-2.0:2.1.5", "tencent-qtx-001.1:5.1.6-2"))
# provisions an outdated component evidences only when it has an affected CVE
_WHEN_FIXES_EXIST = ("etsi-en-303-645:5.3-8", "tencent-qtx-001.1:5.1.5-4", "eu-cra-annex-i:I.2(a)")


def _load(name: str) -> dict[str, Any]:
    text = resources.files("iotbaseline.vulns").joinpath(f"data/{name}").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@lru_cache(maxsize=1)
def lifecycle_data() -> dict[str, Any]:
    return _load("lifecycle.yaml")


@lru_cache(maxsize=1)
def research_data() -> dict[str, Any]:
    return _load("research.yaml")


def support_status(name: str, version: str) -> str | None:
    """Why upstream no longer fixes this version, or None when it does (or we do not know)."""
    data = lifecycle_data()
    entry = data["components"].get(name)
    if entry is None:
        return None
    source = entry["source"]
    branches: dict[str, Any] = entry.get("branches") or {}
    best = max((b for b in branches if version == b or version.startswith(b + ".")
                or (version.startswith(b) and not version[len(b):len(b) + 1].isdigit())),
               key=len, default=None)
    if best is not None:
        fact = branches[best]
        when = f"on {fact['eol']}" if fact.get("eol") else "(date not published)"
        extra = f"; {fact['note']}" if fact.get("note") else ""
        return f"the {best} branch reached upstream end of life {when}{extra} (source: {source})"
    floor = entry.get("supported_from")
    if floor and version_key(version) < version_key(str(floor)):
        return (f"upstream fixes only its current release line ({floor} and later as of "
                f"{data['as_of']}); {version} gets no upstream fixes (source: {source})")
    return None


def _worst(vulns: list[Vulnerability]) -> Severity:
    from iotbaseline.vulns.findings import vulnerability_severity

    if not vulns:
        return Severity.LOW
    return max((vulnerability_severity(v) for v in vulns), key=lambda s: s.rank)


def _location(c: Component) -> Location:
    first = c.evidence[0] if c.evidence else None
    return Location(path=first.path if first else None, root=first.root if first else None,
                    sha256=first.sha256 if first else None)


def _component_evidence(c: Component) -> Evidence:
    methods = ", ".join(sorted({e.method for e in c.evidence})) or "unknown method"
    return Evidence(kind="component", ref=c.ref, detail=f"{c.cpe or c.name} identified by {methods}")


def outdated_findings(components: list[Component]) -> tuple[list[Finding], CheckOutcome]:
    findings: list[Finding] = []
    examined: list[Evidence] = []
    for c in components:
        if not c.version:
            continue
        why = support_status(c.name, c.version)
        affected = [v for v in c.vulnerabilities if v.status == "affected"]
        if why is None:
            if c.name in lifecycle_data()["components"]:
                examined.append(Evidence(kind="component", ref=c.ref,
                                         detail=f"{c.name} {c.version}: upstream still supports it"))
            continue
        severity = _worst(affected)
        provisions = [p for p in OUTDATED.provisions if affected or p not in _WHEN_FIXES_EXIST]
        cves = (f" It has {len(affected)} known vulnerabilities (worst first: "
                f"{', '.join(v.id for v in affected[:5])})." if affected else
                " No known vulnerability was matched; severity is low because age alone is not one.")
        findings.append(Finding(
            id=f"{OUTDATED.id}#{len(findings) + 1}", check=OUTDATED.id, title=OUTDATED.title,
            severity=severity, provisions=provisions,
            message=f"{c.name} {c.version}: {why}.{cves}",
            location=_location(c), evidence=[_component_evidence(c)],
            remedy="Move to a release line upstream still fixes, or document who backports "
                   "security fixes into this version (and record it in a VEX statement).",
            confidence=c.confidence,
            properties={"component": c.ref, "support": why, "cves": [v.id for v in affected]}))
    return findings, _outcome(OUTDATED, findings, examined,
                              "no component with known upstream support data was identified")


def known_exploited_findings(components: list[Component]) -> tuple[list[Finding], CheckOutcome]:
    findings: list[Finding] = []
    examined: list[Evidence] = []
    for c in components:
        kev = [v for v in c.vulnerabilities if v.kev and v.status == "affected"]
        if not kev:
            if c.version:
                examined.append(Evidence(kind="component", ref=c.ref,
                                         detail=f"{c.name} {c.version}: no KEV-listed CVE"))
            continue
        findings.append(Finding(
            id=f"{KNOWN_EXPLOITED.id}#{len(findings) + 1}", check=KNOWN_EXPLOITED.id,
            title=KNOWN_EXPLOITED.title, severity=Severity.CRITICAL,
            provisions=list(KNOWN_EXPLOITED.provisions),
            message=f"{c.name} {c.version} is affected by {len(kev)} vulnerabilities CISA lists as "
                    f"exploited in the wild: {', '.join(v.id for v in kev[:10])}.",
            location=_location(c),
            evidence=[_component_evidence(c)] + [Evidence(kind="note", ref=v.id, detail=v.match)
                                                 for v in kev[:10]],
            remedy="Update the component now; known exploited vulnerabilities are used by attackers.",
            confidence=c.confidence,
            properties={"component": c.ref, "kev": [v.id for v in kev]}))
    return findings, _outcome(KNOWN_EXPLOITED, findings, examined, "no component had a version to match")


def research_findings(components: list[Component]) -> tuple[list[Finding], CheckOutcome]:
    table: dict[str, Any] = research_data()["components"]
    findings: list[Finding] = []
    for c in components:
        entry = table.get(c.name)
        if entry is None:
            continue
        where = ", ".join(sorted({e.path for e in c.evidence})[:5])
        findings.append(Finding(
            id=f"{P2P_RESEARCH.id}#{len(findings) + 1}", check=P2P_RESEARCH.id,
            title=P2P_RESEARCH.title, severity=Severity(entry["severity"]),
            provisions=list(P2P_RESEARCH.provisions),
            message=(f"{entry['title']} is in the image ({where}). {' '.join(entry['summary'].split())} "
                     f"Research: {'; '.join(entry['research'])}."),
            location=_location(c), evidence=[_component_evidence(c)],
            remedy="Ask the maker which SDK version is used and whether the fixes for the named "
                   "research are in it; prefer a P2P service with device authentication and "
                   "end-to-end encryption, or turn P2P off.",
            confidence=c.confidence,
            properties={"component": c.ref, "research": entry["research"], "cves": entry["cves"]}))
    examined = [] if findings else [Evidence(kind="check", ref=P2P_RESEARCH.id,
                                             detail="no P2P SDK with published research identified")]
    return findings, _outcome(P2P_RESEARCH, findings, examined, "")


def _outcome(spec: CheckSpec, findings: list[Finding], examined: list[Evidence],
             na_reason: str) -> CheckOutcome:
    if findings:
        return CheckOutcome(check=spec.id, title=spec.title, status=OutcomeStatus.FAIL,
                            provisions=sorted({p for f in findings for p in f.provisions}),
                            summary=f"{len(findings)} component(s)", findings=[f.id for f in findings])
    if not examined and na_reason:
        return CheckOutcome(check=spec.id, title=spec.title, status=OutcomeStatus.NOT_APPLICABLE,
                            provisions=list(spec.provisions), summary=na_reason)
    return CheckOutcome(check=spec.id, title=spec.title, status=OutcomeStatus.PASS,
                        provisions=list(spec.provisions),
                        summary=f"{len(examined)} item(s) examined, none affected", evidence=examined)
