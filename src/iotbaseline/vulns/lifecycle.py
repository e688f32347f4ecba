"""Outdated components, KEV-listed CVEs and P2P stacks with published research as findings.

- IOTB-VULN-002 *outdated component*: its release branch is past upstream's end of life, or the
  project fixes only its current line and the version is below it, or it is *years behind*: a
  newer release of its branch had been out for ``years_behind`` (2) years or more on the image's
  build date (``sbom.build_date``: uImage header, kernel banner or BusyBox banner stamp; the
  release dates are in ``data/lifecycle.yaml``, each component with its upstream page). One
  finding per component with every reason. Severity comes from the component's worst affected
  CVE (KEV → critical); with no known CVE it is LOW: age alone is not a severity.
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

import re
from dataclasses import dataclass
from datetime import date
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
from iotbaseline.sbom.build_date import BuildDate, build_date
from iotbaseline.vulns.versions import version_key


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    provisions: tuple[str, ...]


OUTDATED = CheckSpec("IOTB-VULN-002", "Outdated component (past upstream support or years behind)", (
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


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def years_behind(name: str, version: str, built: BuildDate) -> str | None:
    """Why the version was already years behind on the build date, or None."""
    data = lifecycle_data()
    entry = data["components"].get(name)
    releases: dict[str, str] = (entry or {}).get("releases") or {}
    if not releases:
        return None
    years = int(data["years_behind"])
    cutoff = _years_before(built.date, years)
    branch_rx = entry.get("release_branch")

    def branch(v: str) -> str | None:
        m = re.match(branch_rx, v) if branch_rx else None
        return m.group(1) if m else None

    own = branch(version)
    shipped = version_key(version)
    newer = sorted((date.fromisoformat(str(day)), str(v)) for v, day in releases.items()
                   if version_key(str(v)) > shipped and branch(str(v)) == own
                   and date.fromisoformat(str(day)) <= cutoff)
    if not newer:
        return None
    first_day, first = newer[0]
    latest_day, latest = max(newer, key=lambda item: version_key(item[1]))
    gap = (built.date - first_day).days / 365.25
    within = f" of the {own} branch" if own else ""
    also = f"; {latest}{within} ({latest_day}) was out before {cutoff}" if latest != first else ""
    return (f"{years} or more years behind on its build date: the image was built "
            f"{built.describe()}, and release {first}{within} had superseded {version} on "
            f"{first_day}, {gap:.1f} years earlier{also} "
            f"(release dates: {entry.get('releases_source', entry['source'])})")


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


def outdated_findings(components: list[Component],
                      built: BuildDate | None = None) -> tuple[list[Finding], CheckOutcome]:
    """``built``: the image's build date; by default read from the components' own evidence
    (``sbom.build_date``), so saved results re-assessed with a VEX file give the same answer."""
    findings: list[Finding] = []
    examined: list[Evidence] = []
    built = built if built is not None else build_date(components)
    known = lifecycle_data()["components"]
    for c in components:
        if not c.version:
            continue
        eol = support_status(c.name, c.version)
        behind = years_behind(c.name, c.version, built) if built is not None else None
        affected = [v for v in c.vulnerabilities if v.status == "affected"]
        if eol is None and behind is None:
            if c.name in known:
                detail = (f"{c.name} {c.version}: not past upstream end of life"
                          + (f", not {lifecycle_data()['years_behind']} years behind on the build "
                             f"date {built.date}" if built is not None and known[c.name].get("releases")
                             else ""))
                examined.append(Evidence(kind="component", ref=c.ref, detail=detail))
            continue
        why = "; ".join(w for w in (eol, behind) if w)
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
            properties={"component": c.ref, "support": eol, "years_behind": behind,
                        "build_date": built.date.isoformat() if built else None,
                        "build_date_source": built.source if built else None,
                        "cves": [v.id for v in affected]}))
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
