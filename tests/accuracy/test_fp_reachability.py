"""False-positive class 3 of issue 10: files nothing uses. The ESCAM G02 config partition
(conf.bin, unpacked here by jefferson, the JFFS2 reference tool) is mounted at
/mnt/mtd/ipc/conf and its `run` script is started at boot (rootfs etc/init.d/S90ipc, GROUND_TRUTH.md
3; the two-line start glue below is synthetic). Read by hand: run:124 copies
`$TARGET/conf/hostapd8188.conf` to the AP configuration, so its `wpa_passphrase=01234567` is the
device's; a hostapd sample nothing refers to is only an unused file shipping a key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from accuracy_images import context

from iotbaseline.analysis.reachability import Use, reachability
from iotbaseline.checks.runner import run_one
from iotbaseline.checks.secrets import tokens
from iotbaseline.model import Severity

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def escam_root(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    jefferson = Path(sys.executable).parent / "jefferson"
    assert jefferson.is_file(), "jefferson (JFFS2 reference tool) is needed"
    work = tmp_path_factory.mktemp("escam")
    root = work / "root"
    conf = root / "mnt" / "mtd" / "ipc" / "conf"
    conf.parent.mkdir(parents=True)
    subprocess.run([str(jefferson), "-d", str(work / "jffs2"), str(corpus / "escam-g02-goke" / "conf.bin")],
                   check=True, capture_output=True)
    extracted = next(p.parent for p in (work / "jffs2").rglob("hostapd8188.conf"))
    extracted.rename(conf)
    (root / "etc" / "init.d").mkdir(parents=True)
    (root / "etc" / "inittab").write_text("::sysinit:/etc/init.d/rcS\n")
    (root / "etc" / "init.d" / "rcS").write_text("#!/bin/sh\n/mnt/mtd/ipc/conf/run &\n")
    (root / "etc" / "hostapd.sample.conf").write_text("interface=wlan0\nwpa=2\nwpa_passphrase=Kx9pQ2mZ77wq\n")
    return root


def test_config_copied_by_a_started_script_is_used(escam_root: Path) -> None:
    reach = reachability(context(escam_root))
    assert reach.use("/mnt/mtd/ipc/conf/hostapd8188.conf") is Use.USED
    assert reach.use("/etc/hostapd.sample.conf") is Use.UNUSED


def test_unused_sample_is_at_most_low_severity(escam_root: Path) -> None:
    _, findings, _ = run_one(tokens.find_wifi_psks, context(escam_root))
    by_path = {f.location.path: f for f in findings}
    device = by_path["/mnt/mtd/ipc/conf/hostapd8188.conf"]
    assert device.secret == "01234567" and device.severity is not Severity.LOW and device.confidence == "high"
    sample = by_path["/etc/hostapd.sample.conf"]
    assert sample.severity is Severity.LOW and sample.confidence == "low"
    assert "Unused file" in sample.message


def test_no_boot_model_means_unknown(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hostapd.conf").write_text("wpa_passphrase=Kx9pQ2mZ77wq\n")
    assert reachability(context(tmp_path)).use("/etc/hostapd.conf") is Use.UNKNOWN
