"""`assess --stream-results stream.json`: stream verdicts reach the requirements they evidence."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from iotbaseline.cli import main

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None and not os.environ.get("CI"),
                                reason="Debian ffmpeg not installed (system-packages.txt)")
KEY = bytes(range(16)).hex()


def _stream_json(tmp_path: Path, protect: bool) -> Path:
    clip = tmp_path / "clip.h264"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=320x240:rate=25", "-t", "2", "-c:v", "libx264", "-preset",
                    "veryfast", "-f", "h264", str(clip)], check=True, timeout=60)
    runner = CliRunner()
    if protect:
        prot = tmp_path / "prot.h264"
        assert runner.invoke(main, ["stream", "protect", str(clip), str(prot), "--key", KEY]
                             ).exit_code == 0
        clip = prot
    out = tmp_path / "s"
    result = runner.invoke(main, ["stream", str(clip), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out / "stream.json"


def _assess(tmp_path: Path, stream_json: Path) -> dict:  # type: ignore[type-arg]
    runner = CliRunner()
    profile = tmp_path / "profile.yaml"
    assert runner.invoke(main, ["profile", "init", "--category", "camera", "-o", str(profile)]
                         ).exit_code == 0
    out = tmp_path / "a"
    result = runner.invoke(main, ["assess", "--profile", str(profile), "--stream-results",
                                  str(stream_json), "--catalog", "etsi-en-303-645", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "assessment.json").read_text())  # type: ignore[no-any-return]


def test_clear_stream_fails_personal_data_in_transit(tmp_path: Path) -> None:
    assessment = _assess(tmp_path, _stream_json(tmp_path, protect=False))
    verdict = assessment["verdicts"]["etsi-en-303-645"]["5.8-2"]
    assert verdict["verdict"] == "FAIL"
    assert any(e["ref"] == "IOTB-STREAM-001#1" for e in verdict["evidence"])


def test_protected_stream_is_evidence_not_failure(tmp_path: Path) -> None:
    assessment = _assess(tmp_path, _stream_json(tmp_path, protect=True))
    verdict = assessment["verdicts"]["etsi-en-303-645"]["5.8-2"]
    assert verdict["verdict"] != "FAIL"
    refs = {e["ref"] for e in verdict["evidence"]}
    assert "IOTB-STREAM-001" in refs or "stream/prot.h264#0" in refs


def test_bad_stream_json_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "stream.json"
    bad.write_text('{"schema": "iotbaseline.stream/1"}')
    profile = tmp_path / "profile.yaml"
    CliRunner().invoke(main, ["profile", "init", "--category", "camera", "-o", str(profile)])
    result = CliRunner().invoke(main, ["assess", "--profile", str(profile), "--stream-results",
                                       str(bad), "-o", str(tmp_path / "a")])
    assert result.exit_code == 2
    assert "not a readable stream.json" in result.output


def test_scan_takes_stream_results(tmp_path: Path) -> None:
    stream_json = _stream_json(tmp_path, protect=False)
    tree = tmp_path / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    out = tmp_path / "scan"
    result = CliRunner().invoke(main, ["scan", str(tree), "--no-db", "--format", "json",
                                       "--stream-results", str(stream_json), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assessment = json.loads((out / "assessment.json").read_text())
    assert [f["id"] for f in assessment["findings"] if f["check"] == "IOTB-STREAM-001"] == [
        "IOTB-STREAM-001#1"]
    assert assessment["run"]["options"]["stream_results"] == str(stream_json)
    assert assessment["verdicts"]["etsi-en-303-645"]["5.8-2"]["verdict"] == "FAIL"
