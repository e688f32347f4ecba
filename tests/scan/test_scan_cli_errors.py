"""`scan` as a CI pipeline uses it: bad options and output paths are exit 2 with a
one-line reason, found before any work; a rescan into the same -o gives the same result."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from iotbaseline.cli import main


def _rootfs_tarball(path: Path) -> Path:
    """A tiny root filesystem as a .tar.bz2 (the form of the DVAR image), built here."""
    files = {"rootfs/etc/passwd": b"root:x:0:0:root:/root:/bin/sh\n",
             "rootfs/etc/shadow": b"root::18000:0:99999:7:::\n",
             "rootfs/etc/inittab": b"::sysinit:/etc/init.d/rcS\n",
             "rootfs/bin/busybox": b"\x7fELF-not-really\n",
             "rootfs/lib/.keep": b""}
    with tarfile.open(path, "w:bz2") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _scan(*args: str):
    return CliRunner().invoke(main, ["scan", *args, "--no-db"])


def test_rescan_into_the_same_output_dir_gives_a_clean_result(tmp_path: Path) -> None:
    image = _rootfs_tarball(tmp_path / "fw.tar.bz2")
    out = tmp_path / "out"
    first = _scan(str(image), "-o", str(out))
    assert first.exit_code == 0, first.output
    (out / "extracted" / "stale-from-last-run").write_text("x")
    second = _scan(str(image), "-o", str(out))
    assert second.exit_code == 0, second.output
    data = json.loads((out / "assessment.json").read_text())
    assert [e for e in data["errors"] if e["stage"] == "extract"] == []  # unblob refused before
    assert len(data["extraction"]["roots"]) == 1
    assert not (out / "extracted" / "stale-from-last-run").exists()
    assert any(f["check"] == "IOTB-CRED-001" for f in data["findings"])  # root:: in the shadow


def test_a_users_own_extracted_folder_is_never_removed(tmp_path: Path) -> None:
    image = _rootfs_tarball(tmp_path / "fw.tar.bz2")
    out = tmp_path / "home"
    (out / "extracted").mkdir(parents=True)
    (out / "extracted" / "keep.txt").write_text("mine")
    result = _scan(str(image), "-o", str(out))
    assert result.exit_code == 2
    assert (out / "extracted" / "keep.txt").read_text() == "mine"


def test_output_path_that_is_a_file_is_bad_usage(tmp_path: Path) -> None:
    image = _rootfs_tarball(tmp_path / "fw.tar.bz2")
    blocker = tmp_path / "report"
    blocker.write_text("not a directory")
    result = _scan(str(image), "-o", str(blocker))
    assert result.exit_code == 2  # was an internal error (exit 3) from mkdir
    assert "not a directory" in result.output and "Traceback" not in result.output


def test_unknown_catalog_is_bad_usage_before_any_work(tmp_path: Path) -> None:
    image = _rootfs_tarball(tmp_path / "fw.tar.bz2")
    out = tmp_path / "out"
    result = _scan(str(image), "-o", str(out), "--catalog", "etsi-303-645")
    assert result.exit_code == 2  # was exit 0 with no verdicts at all
    assert "unknown catalog 'etsi-303-645'" in result.output
    assert not out.exists()


def test_bad_probe_results_give_a_one_line_reason(tmp_path: Path) -> None:
    image = _rootfs_tarball(tmp_path / "fw.tar.bz2")
    probe = tmp_path / "probe.json"
    probe.write_text('{"schema": "iotbaseline.probe/1"}')
    result = _scan(str(image), "-o", str(tmp_path / "out"), "--probe-results", str(probe))
    assert result.exit_code == 2
    error_lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(error_lines) == 1, result.output
    assert "not a readable probe.json" in error_lines[0] and "target" in error_lines[0]


@pytest.mark.parametrize("option", [["--jobs", "0"], ["--crack-seconds", "-1"]])
def test_nonsense_numbers_are_refused(tmp_path: Path, option: list[str]) -> None:
    result = _scan(str(tmp_path), "-o", str(tmp_path / "out"), *option)
    assert result.exit_code == 2


def test_long_error_messages_stay_on_one_line_in_a_pipe(tmp_path: Path, monkeypatch) -> None:
    # Rich wrapped every message at 80 columns when not on a terminal, so a "one-line reason"
    # arrived in CI logs as three lines
    monkeypatch.delenv("COLUMNS", raising=False)
    broken = tmp_path / "a-rather-long-file-name-for-an-assessment-that-is-broken.json"
    broken.write_text('{"schema": "iotbaseline.assessment/1", "tool": {"version": "1"}, '
                      '"target": {"name": "x"}, "findings": [{"id": 1}]}')
    result = CliRunner().invoke(main, ["report", str(broken), "--format", "md"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and len(lines[0]) > 80, result.output
    assert "findings.0.severity" in lines[0]


def test_output_inside_the_scanned_directory_is_refused(tmp_path: Path) -> None:
    # The second scan of `scan rootfs/ -o rootfs/out` read the first one's results.sarif and
    # sbom.cdx.json as firmware files (plain-http URLs, even the ZigBee key named in a rule text).
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    result = _scan(str(root), "-o", str(root / "out"))
    assert result.exit_code == 2
    assert "inside the scanned directory" in result.output
    assert not (root / "out").exists()


def test_input_inside_the_tree_a_rescan_replaces_is_refused(tmp_path: Path) -> None:
    image = _rootfs_tarball(tmp_path / "fw.tar.bz2")
    out = tmp_path / "out"
    assert _scan(str(image), "-o", str(out)).exit_code == 0
    tree = next(p for p in (out / "extracted").rglob("etc")).parent
    result = _scan(str(tree), "-o", str(out))
    assert result.exit_code == 2  # it used to delete its own input before reading it
    assert tree.is_dir() and (tree / "etc" / "passwd").is_file()


def test_missing_database_named_explicitly_is_bad_usage(tmp_path: Path) -> None:
    # `sbom --db absent` was already exit 2; `scan --db absent` went on with exit 0 and no CVE
    # matching, so a CI gate on CVE findings passed on a typo or a failed cache restore
    image = _rootfs_tarball(tmp_path / "fw.tar.bz2")
    result = CliRunner().invoke(main, ["scan", str(image), "-o", str(tmp_path / "out"),
                                       "--db", str(tmp_path / "absent.sqlite")])
    assert result.exit_code == 2
    assert "no vulnerability database" in result.output
    assert not (tmp_path / "absent.sqlite").exists()
