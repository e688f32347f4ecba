"""IOTB-VULN-002 (outdated), -003 (KEV), -004 (P2P research): severity from CVEs and KEV, not
from age; every cited requirement exists; facts checked against lifecycle.yaml's sources by
hand (OpenSSL 1.0.1 end of life 2016-12-31, kernel 3.4 longterm end 2016-10-26)."""

from __future__ import annotations

from iotbaseline.catalog.loader import ref_exists
from iotbaseline.model import Component, ComponentEvidence, CvssScore, Severity, Vulnerability
from iotbaseline.vulns.findings import VULN_CHECK_SPECS, component_findings
from iotbaseline.vulns.lifecycle import (
    known_exploited_findings,
    outdated_findings,
    research_findings,
    support_status,
)


def comp(name: str, version: str | None, vulns: list[Vulnerability] | None = None) -> Component:
    return Component(ref=f"{name}@{version}", name=name, version=version,
                     evidence=[ComponentEvidence(path=f"/lib/{name}", method=f"signature:{name}")],
                     vulnerabilities=vulns or [])


def cve(vid: str, score: float, kev: bool = False) -> Vulnerability:
    return Vulnerability(id=vid, cvss=[CvssScore(version="3.1", score=score)], kev=kev, match="m")


def test_support_facts() -> None:
    assert "1.0.1 branch" in (support_status("openssl", "1.0.1e") or "")
    assert "2016-12-31" in (support_status("openssl", "1.0.1e") or "")
    assert "2016-10-26" in (support_status("linux-kernel", "3.4.43") or "")
    assert support_status("openssl", "3.0.2") is None
    assert support_status("linux-kernel", "2.6.3") is None  # not the 2.6.31/2.6.32/2.6.33 branches
    assert "1.36" in (support_status("busybox", "1.19.4") or "")
    assert support_status("busybox", "1.36.1") is None
    assert support_status("unknown-thing", "1.0") is None


def test_outdated_severity_comes_from_cves_not_age() -> None:
    old_clean = comp("busybox", "1.19.4")
    old_vulnerable = comp("openssl", "1.0.1e", [cve("CVE-2014-0160", 7.5)])
    findings, outcome = outdated_findings([old_clean, old_vulnerable, comp("openssl", "3.0.2")])
    by = {f.properties["component"]: f for f in findings}
    assert set(by) == {"busybox@1.19.4", "openssl@1.0.1e"}
    assert by["busybox@1.19.4"].severity is Severity.LOW
    assert "etsi-en-303-645:5.3-8" not in by["busybox@1.19.4"].provisions
    assert by["openssl@1.0.1e"].severity is Severity.HIGH
    assert {"etsi-en-303-645:5.3-2", "etsi-en-303-645:5.3-8", "eu-cra-annex-i:I.2(a)"} <= set(
        by["openssl@1.0.1e"].provisions)
    assert "CVE-2014-0160" in by["openssl@1.0.1e"].message
    assert by["openssl@1.0.1e"].location.path == "/lib/openssl"
    assert outcome.status.value == "fail"


def test_kev_listed_cve_is_a_critical_finding() -> None:
    findings, _ = known_exploited_findings([comp("busybox", "1.19.4", [cve("CVE-2099-1", 5.0, kev=True)]),
                                            comp("dnsmasq", "2.66", [cve("CVE-2099-2", 9.8)])])
    assert [(f.check, f.severity, f.properties["kev"]) for f in findings] == [
        ("IOTB-VULN-003", Severity.CRITICAL, ["CVE-2099-1"])]


def test_p2p_stack_names_the_research_even_without_a_version() -> None:
    findings, outcome = research_findings([comp("cs2-p2p", None), comp("busybox", "1.19.4")])
    assert [f.check for f in findings] == ["IOTB-VULN-004"]
    assert "Marrapese" in findings[0].message and "CVE-2020-9525" in findings[0].properties["cves"]
    assert outcome.status.value == "fail"
    none, clean = research_findings([comp("busybox", "1.19.4")])
    assert none == [] and clean.status.value == "pass"


def test_without_a_database_only_the_sbom_checks_run() -> None:
    _, outcomes = component_findings([comp("cs2-p2p", None)], matched=False)
    assert [o.check for o in outcomes] == ["IOTB-VULN-002", "IOTB-VULN-004"]


def test_every_cited_requirement_exists() -> None:
    for spec in VULN_CHECK_SPECS:
        missing = [p for p in spec.provisions if not ref_exists(p)]  # type: ignore[attr-defined]
        assert missing == [], spec
