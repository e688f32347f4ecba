"""Vendor/product aliases on real NVD records (../shared/nvd), in both directions: a component
is found under every vendor name NVD has used for it, and never under a coinciding product name
of another vendor. Each record's CPE criteria were read by hand (quoted in the comments)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from iotbaseline.model import Component, ComponentEvidence
from iotbaseline.vulns.aliases import alias_table, package_names
from iotbaseline.vulns.db import VulnDatabase
from iotbaseline.vulns.matcher import match_components

EMBEDDED = {
    "CVE-2006-5050",  # rob_landley:busybox 1.01 (BusyBox's maintainer as vendor)
    "CVE-2008-3350",  # the_kelleys:dnsmasq 2.43
    "CVE-2003-1568",  # goahead:goahead_webserver 2.0..2.1.2 + goahead_software:goahead_webserver <= 2.1.5
    "CVE-2006-2213",  # hostapd:hostapd 0.3.7_2
    "CVE-2012-2114",  # etalabs:musl < 0.8.8
    "CVE-2005-3185",  # curl 7.13.2, libcurl 7.13.2, wget:wget 1.10
}
RAW = {
    "2004": {"CVE-2004-2014"},  # gnu:wget 1.5.3 … 1.8.1
    "2009": {"CVE-2009-4411"},  # xfs:acl 2.2.47
    "2003": {"CVE-2003-0795"},  # gnu:zebra 0.91a, 0.92a, 0.93a, 0.93b; quagga < 0.96.3
}


@pytest.fixture(scope="module")
def db(nvd_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> VulnDatabase:
    lines: list[bytes] = []
    with gzip.open(nvd_dir / "embedded-cves.jsonl.gz") as fh:
        lines += [line for line in fh if json.loads(line)["cve"]["id"] in EMBEDDED]
    for year, wanted in RAW.items():
        with gzip.open(nvd_dir / "raw" / f"nvdcve-{year}.json.gz") as fh:
            for item in json.load(fh)["vulnerabilities"]:
                if item["cve"]["id"] in wanted:
                    lines.append(json.dumps({"cve": item["cve"]}).encode() + b"\n")
    assert len(lines) == len(EMBEDDED) + sum(len(v) for v in RAW.values())
    folder = tmp_path_factory.mktemp("aliases")
    (folder / "records.jsonl").write_bytes(b"".join(lines))
    database = VulnDatabase.open(folder / "vulns.sqlite")
    assert not database.import_files([folder / "records.jsonl"]).errors
    return database


def comp(name: str, version: str, cpe: str | None = None, method: str = "signature:x") -> Component:
    return Component(ref=f"{name}@{version}", name=name, version=version, cpe=cpe,
                     evidence=[ComponentEvidence(path="/bin/x", method=method)])


def found(c: Component, db: VulnDatabase) -> tuple[set[str], list[str]]:
    out = match_components([c], db)[0]
    return {v.id for v in out.vulnerabilities}, out.notes


def test_former_vendor_name_of_busybox_is_matched(db: VulnDatabase) -> None:
    c = comp("busybox", "1.01", "cpe:2.3:a:busybox:busybox:1.01:*:*:*:*:*:*:*")
    assert "CVE-2006-5050" in found(c, db)[0]
    assert "CVE-2006-5050" not in found(comp("busybox", "1.02", c.cpe.replace("1.01", "1.02")), db)[0]  # type: ignore[union-attr]


def test_other_historic_vendor_names(db: VulnDatabase) -> None:
    assert "CVE-2008-3350" in found(comp("dnsmasq", "2.43", "cpe:2.3:a:thekelleys:dnsmasq:2.43:*:*:*:*:*:*:*"), db)[0]
    assert "CVE-2006-2213" in found(comp("hostapd", "0.3.7_2", "cpe:2.3:a:w1.fi:hostapd:0.3.7_2:*:*:*:*:*:*:*"), db)[0]
    assert "CVE-2012-2114" in found(comp("musl", "0.8.7", "cpe:2.3:a:musl-libc:musl:0.8.7:*:*:*:*:*:*:*"), db)[0]
    # GoAhead 2.x: embedthis is today's vendor; 2003 records use goahead and goahead_software
    goahead = comp("goahead", "2.1.4", "cpe:2.3:a:embedthis:goahead:2.1.4:*:*:*:*:*:*:*")
    assert "CVE-2003-1568" in found(goahead, db)[0]


def test_product_name_alone_only_when_one_vendor(db: VulnDatabase) -> None:
    # recognised in a binary without a known vendor: NVD has one vendor for "zebra" (gnu)
    ids, notes = found(comp("zebra", "0.93a"), db)
    assert ids == {"CVE-2003-0795"}
    [zebra_cve] = match_components([comp("zebra", "0.93a")], db)[0].vulnerabilities
    assert "vendor unknown, matched by the product name" in zebra_cve.match
    assert any(n.startswith("matched by product name only") and "gnu:zebra" in n for n in notes)
    # "wget" is used by two NVD vendors (gnu:wget, wget:wget): no match, and the note says why
    ids, notes = found(comp("wget", "1.8"), db)
    assert ids == set()
    assert any("several vendors (gnu, wget)" in n for n in notes)


def test_no_match_when_only_a_product_name_of_another_vendor_coincides(db: VulnDatabase) -> None:
    # an OpenWrt/DNI package named "acl" (version 2.2.47 to make the version coincide too) is
    # not xfs:acl; a package-database name alone is never looked up by product name
    ids, notes = found(comp("acl", "2.2.47", method="opkg-status"), db)
    assert ids == set() and not any("product name" in n for n in notes)
    # a component with a CPE is looked up under its own vendor and aliases only: gnu:wget 1.10
    # does not take wget:wget 1.10's CVE-2005-3185
    assert "CVE-2005-3185" not in found(comp("wget", "1.10", "cpe:2.3:a:gnu:wget:1.10:*:*:*:*:*:*:*"), db)[0]
    # and a dnsmasq under another product's vendor gets nothing from the dnsmasq records
    assert found(comp("dnsmasq", "2.43", "cpe:2.3:a:gnu:dnsmasq:2.43:*:*:*:*:*:*:*"), db)[0] == set()


def test_every_alias_pair_is_in_one_group_and_osv_names_are_data() -> None:
    table = alias_table()
    assert ("rob_landley", "busybox") in table.by_pair[("busybox", "busybox")]
    assert ("marco_d'itri", "ppp") in table.by_name["ppp"]
    assert "openwrt" in table.osv_ecosystems and "pypi" not in table.osv_ecosystems
    assert "libssl1.1" in package_names(Component(ref="o", name="openssl"))
