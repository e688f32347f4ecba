"""CycloneDX 1.6 and SPDX 2.3 output: schema-valid, firmware on top, evidence, vulnerabilities."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.model import PackagePurpose
from spdx_tools.spdx.parser.json.json_parser import parse_from_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from iotbaseline.model import Component, ComponentEvidence, CvssScore, Target, Vulnerability
from iotbaseline.sbom.cyclonedx import render_cyclonedx
from iotbaseline.sbom.spdx import render_spdx

TARGET = Target(name="router.bin", kind="image", sha256="ab" * 32)


def sample_components() -> list[Component]:
    dropbear = Component(
        ref="pkg:generic/dropbear@2011.54", name="dropbear", version="2011.54",
        vendor="dropbear_ssh_project", kind="application", confidence="high",
        cpe="cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2011.54:*:*:*:*:*:*:*",
        purl="pkg:openwrt/dropbear@2011.54-2?arch=ar71xx",
        evidence=[ComponentEvidence(path="/usr/lib/opkg/status", root="rootfs", method="opkg-status",
                                    match="dropbear 2011.54-2"),
                  ComponentEvidence(path="/usr/sbin/dropbear", root="rootfs", method="signature:dropbear",
                                    match="SSH-2.0-dropbear_2011.54", sha256="cd" * 32)],
        vulnerabilities=[Vulnerability(
            id="CVE-2012-0920", published="2012-06-05T22:55:01.393", cwes=["CWE-399"],
            cvss=[CvssScore(version="2.0", score=7.1, vector="AV:N/AC:H/Au:S/C:C/I:C/A:C", severity="HIGH",
                            source="nvd@nist.gov")],
            match="cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:*: versionStartIncluding 0.52, versionEndIncluding 2011.54",
        )],
    )
    kernel = Component(
        ref="pkg:generic/linux-kernel@3.3.8", name="linux-kernel", version="3.3.8", kind="operating-system",
        cpe="cpe:2.3:o:linux:linux_kernel:3.3.8:*:*:*:*:*:*:*", purl="pkg:generic/linux-kernel@3.3.8",
        evidence=[ComponentEvidence(path="kernel.bin#lzma@0x200", method="kernel-banner", match="Linux version 3.3.8 (")],
        vulnerabilities=[
            Vulnerability(id="CVE-2016-0001", cvss=[CvssScore(version="3.1", score=7.8, severity="HIGH",
                          vector="CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H")], kev=True),
            Vulnerability(id="CVE-2016-0002", status="not_affected_kernel_config",
                          status_reason="CONFIG_BT is not set", cvss=[]),
        ],
    )
    gcc = Component(ref="pkg:generic/gcc@4.6.4", name="gcc", version="4.6.4", kind="build-tool",
                    purl="pkg:generic/gcc@4.6.4",
                    evidence=[ComponentEvidence(path="/usr/bin/miniweb", method="elf-comment",
                                                match="GCC: (OpenWrt/Linaro GCC 4.6-2013.05 r49632) 4.6.4")])
    return [dropbear, kernel, gcc]


def test_cyclonedx_validates_and_has_firmware_evidence_and_vulnerabilities() -> None:
    text = render_cyclonedx(sample_components(), TARGET, firmware_name="TL-MR3020")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6"
    top = doc["metadata"]["component"]
    assert top["type"] == "firmware" and top["name"] == "TL-MR3020"
    assert top["hashes"] == [{"alg": "SHA-256", "content": "ab" * 32}]
    comps = {c["name"]: c for c in doc["components"]}
    db = comps["dropbear"]
    assert db["cpe"].startswith("cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2011.54")
    assert {o["location"] for o in db["evidence"]["occurrences"]} == {"/usr/lib/opkg/status", "/usr/sbin/dropbear"}
    [identity] = db["evidence"]["identity"]
    techniques = {m["technique"] for m in identity["methods"]}
    assert techniques == {"manifest-analysis", "binary-analysis"}
    assert 0.9 < identity["confidence"] <= 1.0  # 1 - (1-0.8)(1-0.7) = 0.94
    # build tools stay out of the runtime picture
    assert comps["gcc"]["scope"] == "excluded" and "cpe" not in comps["gcc"]
    firmware_deps = next(d for d in doc["dependencies"] if d["ref"] == "firmware")
    assert set(firmware_deps["dependsOn"]) == {db["bom-ref"], comps["linux-kernel"]["bom-ref"]}
    vulns = {v["bom-ref"]: v for v in doc["vulnerabilities"]}
    cve = vulns["CVE-2012-0920"]
    assert cve["affects"] == [{"ref": db["bom-ref"]}]
    assert cve["ratings"][0]["method"] == "CVSSv2" and cve["ratings"][0]["score"] == 7.1
    assert cve["cwes"] == [399] and cve["published"].startswith("2012-06-05T22:55:01")
    assert cve["source"]["url"] == "https://nvd.nist.gov/vuln/detail/CVE-2012-0920"
    assert vulns["CVE-2016-0001"]["ratings"][0]["method"] == "CVSSv31"
    assert {"name": "iotbaseline:kev", "value": "true"} in vulns["CVE-2016-0001"]["properties"]
    na = vulns["CVE-2016-0002#not_affected_kernel_config"]
    assert na["analysis"]["state"] == "not_affected"
    assert na["analysis"]["justification"] == "code_not_present"
    assert "CONFIG_BT" in na["analysis"]["detail"]


def test_cyclonedx_validator_would_catch_a_broken_document() -> None:
    doc = json.loads(render_cyclonedx(sample_components(), TARGET))
    doc["components"][0]["type"] = "not-a-type"
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is not None


def test_spdx_validates_and_relates_packages(tmp_path: Path) -> None:
    text = render_spdx(sample_components(), TARGET, created=datetime(2024, 1, 2, tzinfo=UTC))
    out = tmp_path / "sbom.spdx.json"
    out.write_text(text)
    document = parse_from_file(str(out))
    assert validate_full_spdx_document(document) == []
    raw = json.loads(text)
    assert raw["spdxVersion"] == "SPDX-2.3" and raw["dataLicense"] == "CC0-1.0"
    assert raw["creationInfo"]["created"] == "2024-01-02T00:00:00Z"
    packages = {p["name"]: p for p in raw["packages"]}
    refs = {(r["referenceType"], r["referenceLocator"]) for r in packages["dropbear"]["externalRefs"]}
    assert ("cpe23Type", "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2011.54:*:*:*:*:*:*:*") in refs
    assert ("purl", "pkg:openwrt/dropbear@2011.54-2?arch=ar71xx") in refs
    assert ("advisory", "https://nvd.nist.gov/vuln/detail/CVE-2012-0920") in refs
    rels = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in raw["relationships"]}
    fw = packages["router.bin"]["SPDXID"]
    assert ("SPDXRef-DOCUMENT", "DESCRIBES", fw) in rels
    assert (fw, "CONTAINS", packages["dropbear"]["SPDXID"]) in rels
    assert (packages["gcc"]["SPDXID"], "BUILD_TOOL_OF", fw) in rels
    assert (fw, "CONTAINS", packages["gcc"]["SPDXID"]) not in rels
    parsed = {p.name: p for p in document.packages}
    assert parsed["linux-kernel"].primary_package_purpose == PackagePurpose.OPERATING_SYSTEM
    assert parsed["router.bin"].primary_package_purpose == PackagePurpose.FIRMWARE
    assert packages["router.bin"]["checksums"] == [{"algorithm": "SHA256", "checksumValue": "ab" * 32}]


def test_spdx_ids_are_unique_even_for_odd_names() -> None:
    comps = [Component(ref=f"r{i}", name="a b/c", version="1:2") for i in range(3)]
    raw = json.loads(render_spdx(comps, TARGET))
    ids = [p["SPDXID"] for p in raw["packages"]]
    assert len(ids) == len(set(ids)) == 4
