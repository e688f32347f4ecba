"""IOTB-VULN-002 "years behind": a newer release of the component's branch had been out for two
years or more on the image's build date. Release facts used here, read on upstream's pages
(lifecycle.yaml cites them): dnsmasq 2.52 January 2010, OpenSSL 1.0.2n 7 Dec 2017 and 1.0.2o
27 Mar 2018, OpenSSL 1.1.0 25 Aug 2016, hostapd 2.0 12 Jan 2013, ppp 2.4.4 June 2006 and
2.4.5 17 Nov 2009 (ppp has no end-of-life fact: only "years behind" can apply to it)."""

from __future__ import annotations

from datetime import date

from iotbaseline.model import Component, ComponentEvidence, CvssScore, Severity, Vulnerability
from iotbaseline.sbom.build_date import BuildDate
from iotbaseline.vulns.findings import component_findings
from iotbaseline.vulns.lifecycle import outdated_findings, years_behind

NETGEAR_BANNER = ("Linux version 2.6.31 (june.lin@dnixm-compiler3) (gcc version 4.3.3 (GCC) ) "
                  "#1 Wed Apr 22 16:24:00 CST 2015")


def built(day: date) -> BuildDate:
    return BuildDate(day, "kernel-banner", "kernel.bin", "#1 …")


def comp(name: str, version: str, vulns: list[Vulnerability] | None = None) -> Component:
    return Component(ref=f"{name}@{version}", name=name, version=version,
                     evidence=[ComponentEvidence(path=f"/usr/sbin/{name}", method=f"signature:{name}")],
                     vulnerabilities=vulns or [])


def test_dnsmasq_239_in_a_2015_image_is_years_behind() -> None:
    why = years_behind("dnsmasq", "2.39", built(date(2015, 4, 22)))
    assert why is not None
    assert "2.52" in why and "2010-01-31" in why and "2015-04-22" in why and "kernel-banner" in why
    assert "thekelleys.org.uk" in why


def test_a_maintained_older_branch_is_compared_within_its_branch() -> None:
    # 1.1.0 (2016) is newer, but the 1.0.2 branch had nothing after 1.0.2n before mid-2017
    assert years_behind("openssl", "1.0.2n", built(date(2019, 6, 1))) is None
    late = years_behind("openssl", "1.0.2k", built(date(2020, 6, 1)))
    assert late is not None and "1.0.2n" in late and "1.0.2 branch" in late
    assert "1.1" not in late.split("(release dates")[0]


def test_less_than_two_years_is_normal_lag() -> None:
    # hostapd 2.0 came out 2013-01-12: a 1.0 build of 2014-12 is behind by under two years
    assert years_behind("hostapd", "1.0", built(date(2014, 12, 1))) is None
    assert years_behind("hostapd", "1.0", built(date(2015, 4, 22))) is not None


def test_unknown_component_or_newest_release_is_not_behind() -> None:
    assert years_behind("not-in-data", "1.0", built(date(2024, 1, 1))) is None
    assert years_behind("zlib", "1.3.1", built(date(2026, 1, 1))) is None


def test_finding_severity_from_cves_not_from_age() -> None:
    day = built(date(2016, 1, 1))
    clean, _ = outdated_findings([comp("ppp", "2.4.1")], day)
    assert [f.severity for f in clean] == [Severity.LOW]
    assert "etsi-en-303-645:5.3-8" not in clean[0].provisions
    assert {"etsi-en-303-645:5.3-2", "xiaomi-2.0:2.1.5", "tencent-qtx-001.1:5.1.6-2"} <= set(clean[0].provisions)
    assert clean[0].properties["build_date"] == "2016-01-01"
    assert clean[0].properties["build_date_source"] == "kernel-banner"
    assert clean[0].properties["support"] is None and "2.4.4" in clean[0].message
    bad = Vulnerability(id="CVE-2020-8597", cvss=[CvssScore(version="3.1", score=9.8)], match="m")
    vulnerable, _ = outdated_findings([comp("ppp", "2.4.1", [bad])], day)
    assert vulnerable[0].severity is Severity.CRITICAL
    assert {"etsi-en-303-645:5.3-8", "tencent-qtx-001.1:5.1.5-4", "eu-cra-annex-i:I.2(a)"} <= set(
        vulnerable[0].provisions)


def test_one_finding_per_component_with_both_reasons() -> None:
    # openssl 0.9.8g: branch past end of life AND 0.9.8k (2009) was out years before a 2013 build
    findings, _ = outdated_findings([comp("openssl", "0.9.8g")], built(date(2013, 9, 17)))
    assert len(findings) == 1
    message = findings[0].message
    assert "end of life" in message and "years behind" in message and "0.9.8k" in message


def test_build_date_is_read_from_the_components_themselves() -> None:
    kernel = Component(ref="k", name="linux-kernel", version="2.6.31", evidence=[
        ComponentEvidence(path="kernel.bin", method="kernel-banner", match=NETGEAR_BANNER)])
    findings, outcomes = component_findings([kernel, comp("dnsmasq", "2.39")], matched=False)
    dnsmasq = [f for f in findings if f.properties.get("component") == "dnsmasq@2.39"]
    assert len(dnsmasq) == 1 and dnsmasq[0].properties["years_behind"]
    assert "2015-04-22" in dnsmasq[0].message
    no_date, _ = component_findings([comp("dnsmasq", "2.39")], matched=False)
    assert not [f for f in no_date if f.properties.get("years_behind")]


def test_not_behind_is_examined_evidence() -> None:
    findings, outcome = outdated_findings([comp("ppp", "2.4.5")], built(date(2011, 1, 1)))
    assert findings == [] and outcome.status.value == "pass"
    assert any("not 2 years behind" in e.detail for e in outcome.evidence)
