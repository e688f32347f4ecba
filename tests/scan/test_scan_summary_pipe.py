"""The end-of-scan summary printed into a pipe (a CI log): paths are shown whole."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from iotbaseline.cli import summary
from iotbaseline.model import Assessment, Finding, Location, Severity, Target, ToolInfo


def test_summary_where_column_keeps_long_paths_whole(monkeypatch):
    path = "/bin/box_installer_start.sh"  # the OpenWrt LibraryBox image's boot installer
    finding = Finding(id="IOTB-PRIV-005#1", check="IOTB-PRIV-005", title="t", severity=Severity.HIGH,
                      message="runs at boot, installs software from removable storage. More text.",
                      location=Location(path=path))
    assessment = Assessment(tool=ToolInfo(name="iotbaseline", version="0"), target=Target(name="x.bin"),
                            findings=[finding])
    out = io.StringIO()
    monkeypatch.setattr(summary, "console", Console(file=out, width=80))
    monkeypatch.setattr(summary, "err_console", Console(file=io.StringIO(), width=80))
    summary.print_summary(SimpleNamespace(assessment=assessment, db_available=True, written={}))
    text = out.getvalue()
    cells = [line.split("│")[3].strip() for line in text.splitlines() if line.count("│") >= 5]
    assert "".join(cells).startswith(path)


def test_summary_headline_gives_the_redacted_value_never_the_secret():
    finding = Finding(id="IOTB-CRED-004#1", check="IOTB-CRED-004", title="t", severity=Severity.CRITICAL,
                      message="account 'root' has a password hash fixed in the image; it cracks to "
                              "admin1234. " + "More. " * 40,
                      secret="admin1234", redacted="ad*******")
    line = summary._headline(finding)
    assert line.endswith("; value: ad*******")
    assert "admin1234" not in line and len(line) <= 110
