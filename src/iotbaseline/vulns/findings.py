"""Findings from vulnerable components (check IOTB-VULN-001).

Provisions evidenced (ids checked against the catalogs' own texts):
- etsi-en-303-645 5.2-3: the maker keeps monitoring, identifying and rectifying
  vulnerabilities in the product's software; a component with known, published CVEs is direct
  evidence against it.
- xiaomi-2.0 2.1.5: third-party components kept up to date and updated to fixed versions.
- tencent-qtx-001.1 5.1.6-2: the terminal avoids third-party libraries with many known
  vulnerabilities or no maintenance (5.3.3-3 is the same idea for *cloud servers*, which a
  firmware image does not show, so it is not cited).
- owasp-isvs V3.2.4: kernel and software components up to date, free of known vulnerabilities.
Severity per component: its worst affected CVE — KEV-listed or CVSS >= 9 critical, >= 7 high,
>= 4 medium, else low. CVEs marked not affected by the kernel config are listed, not counted.
"""

from __future__ import annotations

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

CHECK_ID = "IOTB-VULN-001"
TITLE = "Components with known vulnerabilities"
PROVISIONS = (
    "etsi-en-303-645:5.2-3",
    "xiaomi-2.0:2.1.5",
    "tencent-qtx-001.1:5.1.6-2",
    "owasp-isvs:V3.2.4",
)
REMEDY = ("Update the component to a release that fixes the listed CVEs (or backport the "
          "fixes and record that in the SBOM), and keep monitoring its vulnerabilities.")
LISTED_IN_MESSAGE = 10


def vulnerability_severity(v: Vulnerability) -> Severity:
    score = v.best_score or 0.0
    if v.kev or score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW


def _component_label(c: Component) -> str:
    return f"{c.name} {c.version}" if c.version else c.name


def _finding(number: int, component: Component, affected: list[Vulnerability],
             excluded: list[Vulnerability]) -> Finding:
    ranked = sorted(affected, key=lambda v: (-vulnerability_severity(v).rank,
                                             -(v.best_score or 0.0), v.id))
    worst = vulnerability_severity(ranked[0])
    shown = ", ".join(
        f"{v.id} ({v.best_score if v.best_score is not None else '?'}{', KEV' if v.kev else ''})"
        for v in ranked[:LISTED_IN_MESSAGE])
    more = f" and {len(ranked) - LISTED_IN_MESSAGE} more" if len(ranked) > LISTED_IN_MESSAGE else ""
    message = f"{_component_label(component)} has {len(ranked)} known vulnerabilities: {shown}{more}."
    by_config = [v for v in excluded if v.status == "not_affected_kernel_config"]
    by_vex = [v for v in excluded if v.status == "not_affected_vex"]
    if by_config:
        message += (f" {len(by_config)} further CVEs are not counted: the kernel config leaves "
                    "their subsystem out.")
    if by_vex:
        message += (f" {len(by_vex)} CVEs are suppressed by the maker's VEX statement: "
                    + "; ".join(f"{v.id} ({v.status_reason})" for v in by_vex[:5]) + ".")
    path = component.evidence[0].path if component.evidence else None
    root = component.evidence[0].root if component.evidence else None
    evidence = [Evidence(kind="component", ref=component.ref,
                         detail=f"{component.cpe or component.name} identified by "
                                f"{', '.join(sorted({e.method for e in component.evidence})) or 'unknown method'}")]
    evidence += [Evidence(kind="note", ref=v.id, detail=v.match) for v in ranked[:LISTED_IN_MESSAGE]]
    return Finding(
        id=f"{CHECK_ID}#{number}",
        check=CHECK_ID,
        title=TITLE,
        severity=worst,
        provisions=list(PROVISIONS),
        message=message,
        location=Location(path=path, root=root,
                          sha256=component.evidence[0].sha256 if component.evidence else None),
        evidence=evidence,
        remedy=REMEDY,
        confidence=component.confidence,
        cwe=sorted({int(c[4:]) for v in ranked for c in v.cwes if c[4:].isdigit()}),
        properties={
            "component": component.ref,
            "cpe": component.cpe,
            "cves": [v.id for v in ranked],
            "kev": [v.id for v in ranked if v.kev],
            "not_affected_kernel_config": [v.id for v in by_config],
            "suppressed_by_vex": [v.id for v in by_vex],
        },
    )


def findings_for_components(components: list[Component]) -> tuple[list[Finding], list[CheckOutcome]]:
    """One finding per component with affected CVEs; one outcome for IOTB-VULN-001."""
    if not components:
        return [], [CheckOutcome(
            check=CHECK_ID, title=TITLE, status=OutcomeStatus.NOT_APPLICABLE,
            provisions=list(PROVISIONS),
            summary="no software components were identified, so none could be matched "
                    "against vulnerability data")]
    findings: list[Finding] = []
    examined: list[Evidence] = []
    unmatched: list[str] = []
    for component in components:
        affected = [v for v in component.vulnerabilities if v.status == "affected"]
        excluded = [v for v in component.vulnerabilities if v.status != "affected"]
        if not component.version:
            unmatched.append(component.name)
        if affected:
            findings.append(_finding(len(findings) + 1, component, affected, excluded))
        else:
            examined.append(Evidence(
                kind="component", ref=component.ref,
                detail=f"{_component_label(component)}: no known vulnerability"
                       + (f" ({len(excluded)} excluded: "
                          + "; ".join(f"{v.id} {v.status_reason}" for v in excluded[:3]) + ")"
                          if excluded else "")))
    matched = len(components) - len(unmatched)
    if findings:
        worst = max(f.severity.rank for f in findings)
        summary = (f"{len(findings)} of {len(components)} components carry known "
                   f"vulnerabilities (worst: {next(s for s in Severity if s.rank == worst)})")
        status = OutcomeStatus.FAIL
    elif matched == 0:
        return [], [CheckOutcome(
            check=CHECK_ID, title=TITLE, status=OutcomeStatus.NOT_APPLICABLE,
            provisions=list(PROVISIONS),
            summary="no component had a version, so none could be matched",
            evidence=examined)]
    else:
        summary = f"{matched} components matched against the vulnerability data; none is vulnerable"
        status = OutcomeStatus.PASS
    if unmatched:
        summary += f"; not matched (no version): {', '.join(sorted(unmatched))}"
    outcome = CheckOutcome(check=CHECK_ID, title=TITLE, status=status,
                           provisions=sorted({p for f in findings for p in f.provisions})
                           if findings else list(PROVISIONS),
                           summary=summary, evidence=examined,
                           findings=[f.id for f in findings])
    return findings, [outcome]


def _vuln_check_specs() -> tuple[object, ...]:
    from iotbaseline.vulns.lifecycle import KNOWN_EXPLOITED, OUTDATED, P2P_RESEARCH, CheckSpec

    return (CheckSpec(CHECK_ID, TITLE, PROVISIONS), OUTDATED, KNOWN_EXPLOITED, P2P_RESEARCH)


VULN_CHECK_SPECS = _vuln_check_specs()


def component_findings(components: list[Component], matched: bool) -> tuple[list[Finding], list[CheckOutcome]]:
    """Every component check: IOTB-VULN-001/003 need CVE matching (``matched``); the outdated
    (002) and P2P research (004) checks read the SBOM alone."""
    from iotbaseline.vulns.lifecycle import known_exploited_findings, outdated_findings, research_findings

    findings: list[Finding] = []
    outcomes: list[CheckOutcome] = []
    if matched:
        f, o = findings_for_components(components)
        findings += f
        outcomes += o
        f3, o3 = known_exploited_findings(components)
        findings += f3
        outcomes.append(o3)
    for run in (outdated_findings, research_findings):
        f, one = run(components)
        findings += f
        outcomes.append(one)
    return findings, outcomes
