"""IOTB-VULN-001: one finding per vulnerable component, severity from CVSS/KEV, PASS with
evidence, NOT_APPLICABLE without components, and provisions that exist in the catalogs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from iotbaseline.model import Component, CvssScore, OutcomeStatus, Severity, Vulnerability
from iotbaseline.vulns.findings import CHECK_ID, PROVISIONS, findings_for_components

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


def vuln(cve: str, score: float, kev: bool = False, status: str = "affected") -> Vulnerability:
    return Vulnerability(id=cve, cvss=[CvssScore(version="3.1", score=score)], kev=kev,
                         status=status, match="test")  # type: ignore[arg-type]


def component(name: str, *vulns: Vulnerability) -> Component:
    return Component(ref=f"pkg:generic/{name}@1", name=name, version="1", vulnerabilities=list(vulns))


@pytest.mark.parametrize("score, kev, expected", [
    (9.8, False, Severity.CRITICAL), (9.0, False, Severity.CRITICAL), (5.0, True, Severity.CRITICAL),
    (8.9, False, Severity.HIGH), (7.0, False, Severity.HIGH), (6.9, False, Severity.MEDIUM),
    (4.0, False, Severity.MEDIUM), (3.9, False, Severity.LOW),
])
def test_severity_follows_cvss_and_kev(score: float, kev: bool, expected: Severity) -> None:
    findings, outcomes = findings_for_components([component("x", vuln("CVE-1", score, kev))])
    assert findings[0].severity is expected and outcomes[0].status is OutcomeStatus.FAIL


def test_one_finding_per_component_worst_first() -> None:
    comps = [component("dropbear", vuln("CVE-A", 5.0), vuln("CVE-B", 7.5), vuln("CVE-C", 4.0, kev=True)),
             component("busybox"),
             component("linux", vuln("CVE-K", 9.8, status="not_affected_kernel_config"))]
    findings, (outcome,) = findings_for_components(comps)
    assert len(findings) == 1  # busybox clean; the kernel's only CVE is excluded by config
    finding = findings[0]
    assert finding.check == CHECK_ID and finding.id == f"{CHECK_ID}#1"
    assert finding.properties["cves"] == ["CVE-C", "CVE-B", "CVE-A"]  # KEV first, then score
    assert finding.severity is Severity.CRITICAL
    assert outcome.findings == [finding.id]
    assert {e.ref for e in outcome.evidence} == {"pkg:generic/busybox@1", "pkg:generic/linux@1"}


def test_pass_and_not_applicable() -> None:
    findings, (outcome,) = findings_for_components([component("busybox"), component("zlib")])
    assert findings == [] and outcome.status is OutcomeStatus.PASS
    assert len(outcome.evidence) == 2 and "none is vulnerable" in outcome.summary
    findings, (outcome,) = findings_for_components([])
    assert findings == [] and outcome.status is OutcomeStatus.NOT_APPLICABLE


def test_provisions_exist_in_the_standards() -> None:
    by_catalog = dict(p.split(":", 1) for p in PROVISIONS)
    # ETSI EN 303 645 Table B.1 (seed 002) has a row for 5.2-3
    etsi = next((SHARED / "seeds").glob("002_*.txt")).read_text("utf-8")
    assert re.search(r"^5\.2-3\t", etsi, re.MULTILINE) and by_catalog["etsi-en-303-645"] == "5.2-3"
    # Xiaomi 2.0: 2.1.5 is a requirement row
    with open(SHARED / "reference/xiaomi/xiaomi_baseline_v2.0_ids.tsv", encoding="utf-8") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh, delimiter="\t")}
    assert rows[by_catalog["xiaomi-2.0"]]["is_requirement"] == "True"
    # Tencent Q/TX 001.1: clause 5.1.6, bullet 2) is the third-party library item
    tencent = next((SHARED / "seeds").glob("004_*.txt")).read_text("utf-8")
    clause = tencent.split("\n5.1.6 ", 1)[1].split("\n5.1.7 ", 1)[0]
    bullets = re.findall(r"^(\d)\) (.+)$", clause, re.MULTILINE)
    assert by_catalog["tencent-qtx-001.1"] == "5.1.6-2" and bullets[1][0] == "2"
    assert "第三方库" in bullets[1][1]
    # OWASP ISVS V3.2.4
    with open(SHARED / "reference/owasp-isvs/isvs_requirements.tsv", encoding="utf-8") as fh:
        isvs = {r["id"]: r["text"] for r in csv.DictReader(fh, delimiter="\t")}
    assert "known vulnerabilities" in isvs[by_catalog["owasp-isvs"]]
