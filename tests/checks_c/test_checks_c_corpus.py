"""Group C checks on the real firmware of the corpus (IOTBASELINE_CORPUS), unpacked here without
the extraction stage (unsquashfs for OpenWrt, tarfile's data filter for DVAR). Expected facts come
from the files themselves (tar -t / the reset button script, read by hand), not from our output."""

from __future__ import annotations

import posixpath
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.crypto import weak_random
from iotbaseline.checks.privacy import factory_reset, log_secrets, telemetry
from iotbaseline.checks.services import hotspot_bridge
from iotbaseline.checks.runner import run_checks
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import CheckOutcome, Finding, OutcomeStatus


def _by_check(ctx: CheckContext) -> tuple[dict[str, CheckOutcome], list[Finding]]:
    outcomes, findings, _ = run_checks(ctx, [c for m in (weak_random, log_secrets, telemetry, hotspot_bridge, factory_reset)
                                          for c in m.CHECKS])
    return {o.check: o for o in outcomes}, findings


@pytest.fixture(scope="module")
def openwrt(openwrt_image: Path, tmp_path_factory: pytest.TempPathFactory) -> CheckContext:
    unsquashfs = shutil.which("unsquashfs")
    assert unsquashfs, "unsquashfs (squashfs-tools) is needed"
    data = openwrt_image.read_bytes()
    work = tmp_path_factory.mktemp("openwrt_c")
    (work / "rootfs.sqfs").write_bytes(data[data.index(b"hsqs"):])
    subprocess.run([unsquashfs, "-n", "-d", str(work / "root"), str(work / "rootfs.sqfs")],
                   check=True, capture_output=True)
    return CheckContext(FileIndex.from_directory(work / "root", jobs=1))


def _in_root(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """The "data" filter, with absolute symlinks (meaning the firmware's own root) made
    relative to rootfs-arm/ so that they stay inside the work directory."""
    if member.issym() and member.linkname.startswith("/"):
        top = member.name.split("/", 1)[0]
        target = posixpath.join(top, member.linkname.lstrip("/"))
        member = member.replace(linkname=posixpath.relpath(target, posixpath.dirname(member.name)),
                                deep=False)
    return tarfile.data_filter(member, dest)


@pytest.fixture(scope="module")
def dvar(dvar_tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> CheckContext:
    work = tmp_path_factory.mktemp("dvar_c")
    with tarfile.open(dvar_tarball) as archive:
        archive.extractall(work, filter=_in_root)
    return CheckContext(FileIndex.from_directory(work / "rootfs-arm", jobs=1))


def test_dvar_factory_reset_button_and_programs(dvar: CheckContext) -> None:
    outcomes, findings = _by_check(dvar)
    reset = outcomes["IOTB-DATA-001"]
    assert reset.status is OutcomeStatus.PASS
    refs = {(e.ref, e.line) for e in reset.evidence}
    # tar -tv: sbin/firstboot, sbin/jffs2reset, sbin/jffs2mark (-> jffs2reset); line 17 of
    # etc/rc.button/reset
    # reads "jffs2reset -y && reboot &"
    assert {("/sbin/firstboot", None), ("/sbin/jffs2reset", None), ("/sbin/jffs2mark", None),
            ("/etc/rc.button/reset", 17)} <= refs
    assert [f for f in findings if f.check != "IOTB-DATA-001"] == []


def test_openwrt_group_c(openwrt: CheckContext) -> None:
    outcomes, findings = _by_check(openwrt)
    assert findings == []  # no weak RNG, no secrets logged or uploaded in this image
    assert outcomes["IOTB-DATA-001"].status is OutcomeStatus.PASS
    assert ("/sbin/firstboot", None) in {(e.ref, e.line) for e in outcomes["IOTB-DATA-001"].evidence}
    # /etc/config/wireless is generated at first boot, so the image configures no AP yet
    assert outcomes["IOTB-HOTSPOT-001"].status is OutcomeStatus.NOT_APPLICABLE
    assert {outcomes[c].status for c in ("IOTB-RNG-001", "IOTB-LOG-001", "IOTB-LOG-002")} == {
        OutcomeStatus.PASS}
