"""`iotbaseline diff`: the comparison (hand-built old/new assessments), its three renderings,
its exit codes, and a real comparison of two demo firmware trees scanned on the fly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from report_samples import ETSI, HOSTILE, assessment

from iotbaseline.cli import main
from iotbaseline.model import Assessment, Component, Verdict, VerdictValue
from iotbaseline.report.diff import diff_assessments
from iotbaseline.report.diff_render import render_diff_html, render_diff_json, render_diff_text


def _pair() -> tuple[Assessment, Assessment]:
    """old = the sample; new = telnet fixed, a new hostile finding, busybox upgraded, dnsmasq
    removed, openssl added, 5.1-1 now PASS, 5.3-1 now FAIL, 5.3-13 now applicable."""
    old, new = assessment(), assessment()
    new.findings = [f for f in new.findings if f.check != "IOTB-SVC-001"]
    for n, f in enumerate(new.findings):  # run-local ids differ between runs
        f.id = f"{f.check}#{n + 10}"
    extra = new.findings[0].model_copy(deep=True)
    extra.id, extra.check, extra.message = "IOTB-KEY-001#1", "IOTB-KEY-001", f"key {HOSTILE}"
    new.findings.append(extra)
    v = new.verdicts[ETSI]
    v["5.1-1"] = Verdict(verdict=VerdictValue.PASS, reason="fixed")
    v["5.3-1"] = Verdict(verdict=VerdictValue.FAIL, reason="update path gone")
    v["5.3-13"] = Verdict(verdict=VerdictValue.INCONCLUSIVE, reason="now applies")
    busybox, kernel, _dnsmasq = new.components
    busybox.version = "1.36.1"
    busybox.vulnerabilities = []
    new.components = [busybox, kernel, Component(ref="pkg:generic/openssl@1.1.1w", name="openssl", version="1.1.1w")]
    return old, new


def test_verdict_changes_are_ordered_fail_inconclusive_pass() -> None:
    diff = diff_assessments(*_pair())
    assert [(c.requirement, c.old, c.new) for c in diff.better] == [("5.1-1", VerdictValue.FAIL, VerdictValue.PASS)]
    assert [(c.requirement, c.old, c.new) for c in diff.worse] == [("5.3-1", VerdictValue.PASS, VerdictValue.FAIL)]
    # N/A -> INCONCLUSIVE is a change of scope, not a regression
    assert [(c.requirement, c.kind) for c in diff.scope] == [("5.3-13", "scope")]


def test_findings_matched_by_content_not_by_id() -> None:
    diff = diff_assessments(*_pair())
    assert [f.check for f in diff.fixed_findings] == ["IOTB-SVC-001"]
    assert [f.check for f in diff.new_findings] == ["IOTB-KEY-001"]  # renumbered ones are not "new"


def test_components_and_cves() -> None:
    diff = diff_assessments(*_pair())
    kinds = {c.name: (c.kind, c.old_versions, c.new_versions) for c in diff.components}
    assert kinds == {
        "busybox": ("upgraded", ("1.19.4",), ("1.36.1",)),
        "dnsmasq": ("removed", ("2.66",), ()),
        "openssl": ("added", (), ("1.1.1w",)),
    }
    assert [c.id for c in diff.cves_fixed] == ["CVE-2016-6301"]
    assert diff.cves_introduced == []
    old, new = _pair()
    reverse = diff_assessments(new, old)
    assert [c.id for c in reverse.cves_introduced] == ["CVE-2016-6301"]
    assert {c.name: c.kind for c in reverse.components}["busybox"] == "downgraded"


def test_regressions_flag() -> None:
    same = diff_assessments(assessment(), assessment())
    assert not same.regressions and not same.components and not same.new_findings
    assert diff_assessments(*_pair()).regressions


def test_renderers() -> None:
    diff = diff_assessments(*_pair())
    text = render_diff_text(diff)
    assert "regressions: YES" in text and "5.3-1: PASS -> FAIL" in text
    assert "upgraded   busybox 1.19.4 -> 1.36.1" in text
    data = json.loads(render_diff_json(diff))
    assert data["schema"] == "iotbaseline.diff/1" and data["regressions"] is True
    assert data["worse"][0]["new"] == "FAIL"
    html = render_diff_html(diff)
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert 'id="regressions"' in html


def _write(a: Assessment, path: Path) -> Path:
    path.write_text(a.to_json())
    return path


def test_cli_exit_codes(tmp_path: Path) -> None:
    old, new = _pair()
    o, n = _write(old, tmp_path / "old.json"), _write(new, tmp_path / "new.json")
    runner = CliRunner()
    result = runner.invoke(main, ["diff", str(o), str(o)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["diff", str(o), str(n), "--format", "json", "-o", str(tmp_path / "d.json")])
    assert result.exit_code == 1, result.output
    assert json.loads((tmp_path / "d.json").read_text())["regressions"] is True
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something-else/1"}')
    result = runner.invoke(main, ["diff", str(o), str(bad)])
    assert result.exit_code == 2
    assert "bad.json" in result.output and "schema" in result.output
    result = runner.invoke(main, ["diff", str(o), str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_cli_scans_two_firmware_trees(tmp_path: Path, demo_scan: Any) -> None:
    """Old: the demo root filesystem. New: the same with telnetd no longer started at boot."""
    old_dir, new_dir = tmp_path / "old-rootfs", tmp_path / "new-rootfs"
    shutil.copytree(demo_scan.rootfs_dir, old_dir, symlinks=True)
    shutil.copytree(demo_scan.rootfs_dir, new_dir, symlinks=True)
    rcs = new_dir / "etc" / "init.d" / "rcS"
    lines = rcs.read_text().splitlines(keepends=True)
    assert any("telnetd" in line for line in lines)
    rcs.write_text("".join(line for line in lines if "telnetd" not in line))
    runner = CliRunner()
    result = runner.invoke(main, ["diff", str(old_dir), str(new_dir), "--no-db", "--format", "json"])
    assert result.exit_code == 0, result.output  # only improvements
    data = json.loads(result.stdout)
    fixed = {f["check"] for f in data["fixed_findings"]}
    assert {"IOTB-SVC-001", "IOTB-SVC-002"} <= fixed  # telnet at boot; telnet -l /bin/sh
    assert data["new_findings"] == [] and data["worse"] == []
    result = runner.invoke(main, ["diff", str(new_dir), str(old_dir), "--no-db"])
    assert result.exit_code == 1  # telnet coming back is a regression
    assert "IOTB-SVC-001" in result.stdout


def test_file_moving_into_a_grouped_finding_is_neither_new_nor_fixed() -> None:
    """busybox stops being network-facing: its per-file FORTIFY finding becomes part of the
    check's grouped finding. Same problem, so the diff reports nothing; a file that appears
    only in the new grouped finding is new."""
    from iotbaseline.model import Finding, Location, Severity, Target, ToolInfo
    from iotbaseline.report.diff import diff_assessments

    def assessment(findings: list[Finding]) -> Assessment:
        return Assessment(tool=ToolInfo(version="t"), target=Target(name="x"), findings=findings)

    per_file = Finding(id="IOTB-HARD-005#1", check="IOTB-HARD-005", title="t", severity=Severity.LOW,
                       message="/bin/busybox (started at boot as telnetd) calls snprintf…",
                       location=Location(path="/bin/busybox"))
    grouped = Finding(id="IOTB-HARD-005#1", check="IOTB-HARD-005", title="t", severity=Severity.LOW,
                      message="1 of 3 other ELF files…", properties={"paths": ["/bin/busybox"]})
    grouped_more = grouped.model_copy(update={"properties": {"paths": ["/bin/busybox", "/usr/bin/new"]}})
    quiet = diff_assessments(assessment([per_file]), assessment([grouped]))
    assert quiet.new_findings == [] and quiet.fixed_findings == []
    assert diff_assessments(assessment([grouped]), assessment([per_file])).fixed_findings == []
    louder = diff_assessments(assessment([per_file]), assessment([grouped_more]))
    assert [c.check for c in louder.new_findings] == ["IOTB-HARD-005"]
