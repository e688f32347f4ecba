"""`iotbaseline extract`: exit codes, extraction.json, flags, quiet output in pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from extract_sqfs_writer import Entry, SquashfsWriter


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from iotbaseline.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, "extract", *args], capture_output=True,
                          text=True, check=False)


def _image(tmp_path: Path) -> Path:
    image = tmp_path / "fw.sqfs"
    image.write_bytes(SquashfsWriter(3, True).build([
        Entry("etc/passwd", "file", 0o644, b"root:x:0:0\n"), Entry("bin/sh", "file", 0o4755, b"#!"),
        Entry("lib/libc.so", "file", 0o644, b"\0" * 5000)]))
    return image


def test_extract_writes_tree_and_report(tmp_path: Path) -> None:
    run = _run(str(_image(tmp_path)), "-o", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "out" / "extraction.json").read_text())
    assert report["schema"] == "iotbaseline.extraction/1"
    assert [r["label"] for r in report["roots"]] == ["rootfs"]
    root = Path(report["roots"][0]["path"])
    assert (root / "etc" / "passwd").read_text() == "root:x:0:0\n"
    assert "\x1b[" not in run.stdout + run.stderr  # no terminal codes in a pipe
    modes = json.loads(Path(str(root) + ".modes.json").read_text())
    assert modes["entries"]["/bin/sh"]["mode"] == "4755"


def test_missing_input_exit_2_one_line(tmp_path: Path) -> None:
    run = _run(str(tmp_path / "missing.bin"), "-o", str(tmp_path / "out"))
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and "no such file" in run.stderr
    report = json.loads((tmp_path / "out" / "extraction.json").read_text())
    assert report["errors"][0]["stage"] == "input"


def test_random_input_exit_2_with_partial_report(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(4096))
    run = _run(str(junk), "-o", str(tmp_path / "out"))
    assert run.returncode == 2 and "nothing extracted" in run.stderr
    report = json.loads((tmp_path / "out" / "extraction.json").read_text())
    assert report["input_sha256"] and report["errors"]


def test_limit_flags_reach_the_extractor(tmp_path: Path) -> None:
    run = _run(str(_image(tmp_path)), "-o", str(tmp_path / "out"), "--max-files", "1")
    report = json.loads((tmp_path / "out" / "extraction.json").read_text())
    assert "max_files" in report["limits_hit"]
    assert run.returncode in (0, 2)


def test_rerun_into_the_same_directory_replaces_only_its_own_output(tmp_path: Path) -> None:
    import io
    import json
    import tarfile

    from click.testing import CliRunner

    from iotbaseline.cli import main

    archive = tmp_path / "rootfs.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"), ("bin/sh", b"\x7fELF" + b"\0" * 60)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name in ("sbin", "lib"):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the user's own file")
    for _ in range(2):
        result = CliRunner().invoke(main, ["extract", str(archive), "-o", str(out)])
        assert result.exit_code == 0, result.output
        data = json.loads((out / "extraction.json").read_text())
        assert data["errors"] == [] and [r["label"] for r in data["roots"]] == ["rootfs"]
    assert (out / "notes.txt").read_text() == "the user's own file"
