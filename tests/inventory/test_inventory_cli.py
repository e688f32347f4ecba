"""`iotbaseline inventory`: JSON and summary output, extraction.json input, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from iotbaseline.cli import main
from iotbaseline.model import ExtractionResult, RootFilesystem


def _tree(base: Path) -> Path:
    root = base / "rootfs"
    (root / "bin").mkdir(parents=True)
    shutil.copy("/bin/true", root / "bin" / "true")
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "bin" / "sh").symlink_to("true")
    return root


def test_json_output_is_the_full_inventory(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    result = CliRunner().invoke(main, ["inventory", str(root), "--json", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "iotbaseline.inventory/1"
    files = {f["path"]: f for f in data["files"]}
    assert files["/bin/true"]["elf"]["machine"] == "x86-64"
    assert files["/bin/sh"]["link_target"] == "true"
    assert files["/etc/passwd"]["kind"] == "config"


def test_summary_and_output_file(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    out = tmp_path / "inv.json"
    result = CliRunner().invoke(main, ["inventory", str(root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 executables" in result.stdout and "x86-64 64-bit little" in result.stdout
    assert len(json.loads(out.read_text())["files"]) == 6  # /, /bin, /etc and three files


def test_extraction_directory_input(tmp_path: Path) -> None:
    _tree(tmp_path)
    report = ExtractionResult(input="img.bin", work_dir=str(tmp_path),
                              roots=[RootFilesystem(label="rootfs_a", path="rootfs")])
    (tmp_path / "extraction.json").write_text(report.model_dump_json(by_alias=True))
    result = CliRunner().invoke(main, ["inventory", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {f["root"] for f in data["files"]} == {"rootfs_a"}
    assert any(f["path"] == "/bin/true" for f in data["files"])


def test_bad_extraction_json_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "extraction.json").write_text("{not json")
    result = CliRunner().invoke(main, ["inventory", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a valid extraction.json" in result.output


def test_file_that_is_not_an_extraction_report(tmp_path: Path) -> None:
    (tmp_path / "x.bin").write_bytes(b"\0")
    result = CliRunner().invoke(main, ["inventory", str(tmp_path / "x.bin")])
    assert result.exit_code == 2
