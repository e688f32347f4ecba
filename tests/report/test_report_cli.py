"""`iotbaseline report`: re-render a saved assessment.json without scanning again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from report_samples import assessment

from iotbaseline.cli import main


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "assessment.json"
    path.write_text(assessment().to_json())
    return path


def _report(*args: str) -> Any:
    return CliRunner().invoke(main, ["report", *args])


def test_html_to_file(saved: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "r.html"
    result = _report(str(saved), "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and 'id="findings"' in html


def test_sarif_md_ics_to_stdout(saved: Path) -> None:
    result = _report(str(saved), "--format", "sarif")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["version"] == "2.1.0"
    result = _report(str(saved), "--format", "md")
    assert result.exit_code == 0 and "## Findings" in result.stdout
    result = _report(str(saved), "--format", "ics")
    assert result.exit_code == 0
    # ETSI EN 303 645 Table B.1: 5.1-1 is conditional mandatory on condition 1
    row = next(line for line in result.stdout.splitlines() if line.startswith("| 5.1 | 5.1-1 |"))
    assert "MC (1)" in row and "| N |" in row  # FAIL in the sample → not supported
    result = _report(str(saved), "--format", "ics-csv")
    assert result.exit_code == 0 and result.stdout.splitlines()[0].startswith("clause,provision,status")


def test_unusable_input_exit_2(tmp_path: Path) -> None:
    missing = _report(str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "nope.json" in missing.output
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\xffnot json")
    result = _report(str(garbage))
    assert result.exit_code == 2 and "garbage.json" in result.output
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"schema": "iotbaseline.assessment/1", "tool": {}}))
    result = _report(str(wrong))
    assert result.exit_code == 2 and "wrong.json" in result.output


def test_rerender_of_demo_scan_matches_scan_output(demo_scan: Any, tmp_path: Path) -> None:
    out = tmp_path / "again.sarif"
    result = _report(str(demo_scan.out / "assessment.json"), "--format", "sarif", "-o", str(out))
    assert result.exit_code == 0, result.output
    first = json.loads((demo_scan.out / "results.sarif").read_text())["runs"][0]["results"]
    again = json.loads(out.read_text())["runs"][0]["results"]
    prints = lambda rs: sorted(r["partialFingerprints"]["iotbaseline/v1"] for r in rs)
    assert prints(first) == prints(again)
    md = (demo_scan.out / "report.md").read_text()
    assert "| 5.1-1 |" in md and "dropbear" in md
