"""`iotbaseline profile init|check` and `iotbaseline assess` end to end (Click runner)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from iotbaseline.cli import main
from iotbaseline.demo import demo_profile_path
from iotbaseline.model import (
    Finding,
    FindingsFile,
    Location,
    Observation,
    ProbeResult,
    Severity,
)

ETSI = "etsi-en-303-645"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_profile_init_then_check(tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    result = invoke("profile", "init", "--category", "lock", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "device_is_smart_lock: true" in out.read_text()
    result = invoke("profile", "check", str(out))
    assert result.exit_code == 0 and "valid profile" in result.output
    # refuses to overwrite
    assert invoke("profile", "init", "-o", str(out)).exit_code == 2


def test_profile_check_reports_file_line_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("product:\n  name: x\nconditions:\n  uses_passwords: yes-ish\n")
    result = CliRunner().invoke(main, ["profile", "check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:4: conditions.uses_passwords: " in result.output


def test_assess_writes_outputs_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("assess", "--profile", str(demo_profile_path()), "-o", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads((out / "assessment.json").read_text())
    assert data["schema"] == "iotbaseline.assessment/1"
    assert set(data["verdicts"]) == {ETSI, "xiaomi-2.0", "tencent-qtx-001.1", "owasp-isvs",
                                     "uk-psti", "en-18031-1", "en-18031-2", "en-18031-3",
                                     "eu-cra-annex-i"}
    rows = list(csv.reader((out / "ics.csv").open()))
    assert len(rows) == 69  # header + 68 provisions
    assert (out / "ics.md").read_text().startswith("# Implementation conformance statement")
    assert "Verdicts per catalog" in result.output and "xiaomi-2.0" in result.output


def test_assess_uses_findings_and_probe_results(tmp_path: Path) -> None:
    findings = FindingsFile(findings=[Finding(
        id="IOTB-CRED-001#1", check="IOTB-CRED-001", title="root without password",
        severity=Severity.CRITICAL, provisions=[f"{ETSI}:5.1-1", "xiaomi-2.0:3.1.2"],
        location=Location(path="/etc/shadow", sha256="0" * 64), secret="", redacted="")],
        inferred={"uses_passwords": {"value": True, "evidence": "/etc/shadow"}})
    probe = ProbeResult(target="127.0.0.1", address="127.0.0.1", started="now", observations=[
        Observation(id="tcp/443/tls", kind="tls", host="127.0.0.1", port=443,
                    summary="TLS 1.2/1.3 only, strong suites",
                    provisions=["tencent-qtx-001.1:5.2.3-1"])])
    fpath, ppath = tmp_path / "f.json", tmp_path / "p.json"
    fpath.write_text(findings.model_dump_json(by_alias=True))
    ppath.write_text(probe.model_dump_json(by_alias=True))
    out = tmp_path / "out"
    result = invoke("assess", "--profile", str(demo_profile_path()), "--findings", str(fpath),
                    "--probe-results", str(ppath), "--catalog", ETSI, "--catalog",
                    "tencent-qtx-001.1", "-o", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads((out / "assessment.json").read_text())
    assert set(data["verdicts"]) == {ETSI, "tencent-qtx-001.1"}
    assert data["verdicts"][ETSI]["5.1-1"]["verdict"] == "FAIL"
    tencent = data["verdicts"]["tencent-qtx-001.1"]
    assert tencent["5.2.3-1"]["verdict"] == "PASS"  # technical-only bullet, probe evidence
    assert [e["ref"] for e in tencent["5.2.3-1"]["evidence"]] == ["tcp/443/tls"]
    # the finding also cites a Xiaomi requirement, but Xiaomi was not selected: no error
    assert data["errors"] == []
    # a saved assessment is accepted as --findings too (its verdicts are recomputed)
    again = tmp_path / "again"
    result = invoke("assess", "--profile", str(demo_profile_path()), "--findings",
                    str(out / "assessment.json"), "--catalog", ETSI, "-o", str(again))
    assert result.exit_code == 0, result.output
    data2 = json.loads((again / "assessment.json").read_text())
    assert data2["verdicts"][ETSI]["5.1-1"]["verdict"] == "FAIL"
    assert data2["findings"][0]["id"] == "IOTB-CRED-001#1"


def test_assess_rejects_bad_inputs_with_exit_2(tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"schema": "something/1"}')
    result = CliRunner().invoke(main, ["assess", "--profile", str(demo_profile_path()),
                                       "--findings", str(junk), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "something/1" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("product: {name: x}\nextra: 1\n")
    result = CliRunner().invoke(main, ["assess", "--profile", str(bad)])
    assert result.exit_code == 2 and f"{bad}:2: extra: unknown field" in result.output
