"""VEX: OpenVEX and CycloneDX VEX read and written; a scan with --vex keeps the CVE, marks it
suppressed with the maker's reason, and stops counting it (real record CVE-2012-0920:
dropbear_ssh >= 0.52, <= 2012.54)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from iotbaseline.cli import main
from iotbaseline.model import Component, Vulnerability
from iotbaseline.vulns.findings import findings_for_components
from iotbaseline.vulns.vex import VexError, apply_vex, read_vex, template

DROPBEAR = Component(ref="pkg:generic/dropbear@2011.54", name="dropbear", version="2011.54",
                     purl="pkg:generic/dropbear@2011.54",
                     vulnerabilities=[Vulnerability(id="CVE-2012-0920", match="m"),
                                      Vulnerability(id="CVE-2016-7406", match="m")])


def openvex(path: Path, status: str = "not_affected", **extra: str) -> Path:
    statement = {"vulnerability": {"name": "CVE-2012-0920"},
                 "products": [{"@id": "pkg:generic/dropbear@2011.54"}], "status": status, **extra}
    path.write_text(json.dumps({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x",
                                "author": "maker", "timestamp": "2024-01-01T00:00:00Z",
                                "version": 1, "statements": [statement]}))
    return path


def test_openvex_not_affected_suppresses_with_reason(tmp_path: Path) -> None:
    vex = openvex(tmp_path / "v.json", justification="vulnerable_code_not_in_execute_path",
                  impact_statement="channel forwarding is compiled out")
    [out], suppressed = apply_vex([DROPBEAR], read_vex(vex))
    status = {v.id: (v.status, v.status_reason) for v in out.vulnerabilities}
    assert status["CVE-2012-0920"][0] == "not_affected_vex"
    assert "vulnerable_code_not_in_execute_path" in status["CVE-2012-0920"][1]
    assert "channel forwarding is compiled out" in status["CVE-2012-0920"][1]
    assert status["CVE-2016-7406"][0] == "affected"
    assert [s["vulnerability"] for s in suppressed] == ["CVE-2012-0920"]
    [finding], _ = findings_for_components([out])
    assert finding.properties["cves"] == ["CVE-2016-7406"]
    assert finding.properties["suppressed_by_vex"] == ["CVE-2012-0920"]
    assert "suppressed by the maker's VEX statement" in finding.message


def test_affected_or_other_product_does_not_suppress(tmp_path: Path) -> None:
    [out], suppressed = apply_vex([DROPBEAR], read_vex(openvex(tmp_path / "a.json", status="affected")))
    assert suppressed == [] and all(v.status == "affected" for v in out.vulnerabilities)
    other = DROPBEAR.model_copy(update={"ref": "pkg:generic/dropbear@2012.55", "purl": "pkg:generic/dropbear@2012.55",
                                        "version": "2012.55"})
    vex = openvex(tmp_path / "b.json", justification="vulnerable_code_not_present")
    assert apply_vex([other], read_vex(vex))[1] == []


def test_cyclonedx_vex_round_trip_and_schema(tmp_path: Path) -> None:
    doc = template([DROPBEAR], "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is None
    doc["vulnerabilities"][0]["analysis"] = {"state": "not_affected", "justification": "code_not_present",
                                             "detail": "not built"}
    path = tmp_path / "vex.cdx.json"
    path.write_text(json.dumps(doc))
    [statement] = [s for s in read_vex(path) if s.vulnerability == "CVE-2012-0920"]
    assert (statement.status, statement.justification) == ("not_affected", "vulnerable_code_not_present")
    [out], _ = apply_vex([DROPBEAR], read_vex(path))
    assert out.vulnerabilities[0].status == "not_affected_vex"


def test_bad_vex_files_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(VexError, match="needs a justification"):
        read_vex(openvex(tmp_path / "c.json"))
    (tmp_path / "d.json").write_text('{"hello": 1}')
    with pytest.raises(VexError, match="neither OpenVEX"):
        read_vex(tmp_path / "d.json")
    result = CliRunner().invoke(main, ["vex", "read", str(tmp_path / "d.json")])
    assert result.exit_code == 2 and "neither OpenVEX" in result.output


def _db(nvd_dir: Path, folder: Path) -> Path:
    from iotbaseline.vulns.db import VulnDatabase

    with gzip.open(nvd_dir / "embedded-cves.jsonl.gz") as fh:
        lines = [line for line in fh if json.loads(line)["cve"]["id"] == "CVE-2012-0920"]
    (folder / "r.jsonl").write_bytes(b"".join(lines))
    db = VulnDatabase.open(folder / "vulns.sqlite")
    db.import_files([folder / "r.jsonl"])
    db.close()
    return folder / "vulns.sqlite"


def test_scan_with_vex_end_to_end(nvd_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "usr/sbin").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "usr/sbin/dropbear").write_bytes(b"\x7fELF\x01\x01\x01" + b"\0" * 9 + b"\0SSH-2.0-dropbear_2011.54\0")
    db = _db(nvd_dir, tmp_path)
    runner = CliRunner()
    out1 = tmp_path / "out1"
    result = runner.invoke(main, ["scan", str(root), "-o", str(out1), "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    vex = tmp_path / "maker.vex.json"
    assert runner.invoke(main, ["vex", "write", str(out1 / "assessment.json"), "-o", str(vex)]).exit_code == 0
    doc = json.loads(vex.read_text())
    assert [s["vulnerability"]["name"] for s in doc["statements"]] == ["CVE-2012-0920"]
    doc["statements"][0].update(status="not_affected", justification="vulnerable_code_not_present")
    vex.write_text(json.dumps(doc))
    out2 = tmp_path / "out2"
    result = runner.invoke(main, ["scan", str(root), "-o", str(out2), "--db", str(db), "--vex", str(vex),
                                  "--format", "json"])
    assert result.exit_code == 0, result.output
    assessment = json.loads((out2 / "assessment.json").read_text())
    [dropbear] = [c for c in assessment["components"] if c["name"] == "dropbear"]
    assert dropbear["vulnerabilities"][0]["status"] == "not_affected_vex"
    assert assessment["run"]["vulnerability_db"]["vex"]["suppressed"][0]["vulnerability"] == "CVE-2012-0920"
    assert not [f for f in assessment["findings"] if f["check"] == "IOTB-VULN-001"]
    before = json.loads((out1 / "assessment.json").read_text())
    assert [f for f in before["findings"] if f["check"] == "IOTB-VULN-001"]
    # assess on the saved results honours the same VEX file
    profile = tmp_path / "profile.yaml"
    assert runner.invoke(main, ["profile", "init", "--category", "camera", "-o", str(profile)]).exit_code == 0
    out3 = tmp_path / "out3"
    result = runner.invoke(main, ["assess", "--profile", str(profile), "--findings", str(out1 / "assessment.json"),
                                  "--vex", str(vex), "-o", str(out3), "--catalog", "etsi-en-303-645"])
    assert result.exit_code == 0, result.output
    assessed = json.loads((out3 / "assessment.json").read_text())
    [dropbear] = [c for c in assessed["components"] if c["name"] == "dropbear"]
    assert dropbear["vulnerabilities"][0]["status"] == "not_affected_vex"
    assert not [f for f in assessed["findings"] if f["check"] == "IOTB-VULN-001"]
    assert assessed["run"]["options"]["vex"] == str(vex)
