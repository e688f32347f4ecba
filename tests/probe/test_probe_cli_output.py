"""What `iotbaseline probe` prints and refuses, through the real CLI (loopback only)."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner

from iotbaseline.cli import main


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_open_port_says_so_instead_of_an_empty_table(tmp_path: Path) -> None:
    port = _closed_port()
    result = CliRunner().invoke(main, ["probe", "127.0.0.1", "--ports", str(port), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "no port answered among the 1 TCP port(s) probed" in result.output
    assert "┏" not in result.output  # no empty "Services" table
    assert (tmp_path / "probe.json").is_file()


def test_probe_output_that_is_a_file_is_refused_before_probing(tmp_path: Path) -> None:
    blocker = tmp_path / "probe-out"
    blocker.write_text("x")
    # 127.0.0.1 only; the error must come before any connection (it used to come after the whole
    # probe, as a Python traceback with exit 1)
    result = CliRunner().invoke(main, ["probe", "127.0.0.1", "--ports", "9", "-o", str(blocker)])
    assert result.exit_code == 2
    assert "not a directory" in result.output
    assert "probing" not in result.output


def test_unreadable_firmware_results_are_refused_before_probing(tmp_path: Path) -> None:
    bad = tmp_path / "assessment.json"
    bad.write_text("not json")
    result = CliRunner().invoke(main, ["probe", "127.0.0.1", "--ports", str(_closed_port()),
                                       "--firmware-results", str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "not a readable assessment/findings JSON" in result.output
    assert "probing" not in result.output  # it used to fail only after the whole probe
    assert not (tmp_path / "out").exists()
