"""Group B checks on the real firmware of the corpus (IOTBASELINE_CORPUS). The images are
unpacked here without the extraction stage: OpenWrt by carving the SquashFS at its magic and
running unsquashfs, DVAR with tarfile's "data" filter. Expected facts come from the images'
ground truth and from readelf / the files themselves, not from our output."""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from checks_b_helpers import context, run, where

from iotbaseline.checks.services import debug_console

from iotbaseline.checks.services import firewall as firewall_setup

from iotbaseline.checks.hardening import elf_hardening as hard_elf

from iotbaseline.checks.hardening import daemon_privilege as priv_daemons

from iotbaseline.checks.services import management as svc_access

from iotbaseline.checks.services import remote_access as svc_remote

from iotbaseline.checks.updates import update_path
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.registry import checks_of
from iotbaseline.checks.runner import run_checks
from iotbaseline.model import OutcomeStatus, Severity


@pytest.fixture(scope="module")
def openwrt(openwrt_image: Path, tmp_path_factory: pytest.TempPathFactory) -> CheckContext:
    unsquashfs = shutil.which("unsquashfs")
    assert unsquashfs, "unsquashfs (squashfs-tools) is needed"
    data = openwrt_image.read_bytes()
    start = data.index(b"hsqs")
    work = tmp_path_factory.mktemp("openwrt")
    (work / "rootfs.sqfs").write_bytes(data[start:])
    subprocess.run([unsquashfs, "-n", "-d", str(work / "root"), str(work / "rootfs.sqfs")],
                   check=True, capture_output=True)
    return context(work / "root")


@pytest.fixture(scope="module")
def dvar(dvar_tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> CheckContext:
    work = tmp_path_factory.mktemp("dvar")
    with tarfile.open(dvar_tarball) as archive:
        archive.extractall(work, filter=_data_filter_in_root)
    return context(work / "rootfs-arm")


def _data_filter_in_root(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's "data" filter, after rewriting absolute symlinks (which mean the firmware's
    own root, e.g. /etc/resolv.conf -> /tmp/resolv.conf) as links relative to rootfs-arm/."""
    if member.issym() and member.linkname.startswith("/"):
        top = member.name.split("/", 1)[0]
        target = posixpath.join(top, member.linkname.lstrip("/"))
        member = member.replace(linkname=posixpath.relpath(target, posixpath.dirname(member.name)),
                                deep=False)
    return tarfile.data_filter(member, dest)


def _line_of(ctx: CheckContext, path: str, pattern: str) -> int:
    text = ctx.index.read_text(path) or ""
    return next(n for n, line in enumerate(text.splitlines(), 1) if re.search(pattern, line))


def test_openwrt_telnet_started_while_root_has_no_password(openwrt: CheckContext) -> None:
    line = _line_of(openwrt, "/etc/init.d/telnet", r"service_start /usr/sbin/telnetd")
    _, findings, facts = run(svc_remote.find_telnet_server, openwrt)
    assert where(findings) == [("/etc/init.d/telnet", line)]
    assert "root:x:" in findings[0].message and "has_root_pwd" in findings[0].message
    assert facts["telnet_enabled"] is True
    _, findings, _ = run(svc_remote.find_unauthenticated_shell, openwrt)
    assert where(findings) == [("/etc/init.d/telnet", line)]
    assert "/bin/login.sh starts a root shell" in findings[0].message


def test_openwrt_firewall_wan_zone_is_pass_evidence(openwrt: CheckContext) -> None:
    # the REJECT line that belongs to the wan zone is the one after "option name wan"
    wan = _line_of(openwrt, "/etc/config/firewall", r"option name\s+wan")
    line = next(n for n in range(wan, wan + 8) if re.search(
        r"option input\s+REJECT", (openwrt.index.read_text("/etc/config/firewall") or "")
        .splitlines()[n - 1]))
    outcome, findings, facts = run(firewall_setup.find_missing_firewall, openwrt)
    assert outcome.status == OutcomeStatus.PASS and findings == []
    assert [(e.ref, e.line) for e in outcome.evidence] == [("/etc/config/firewall", line)]
    assert facts["firewall_at_boot"] is True


def test_openwrt_busybox_serving_telnet_has_executable_stack(openwrt: CheckContext) -> None:
    readelf = shutil.which("readelf")
    assert readelf
    disk = openwrt.index.disk_path(openwrt.index.get("/bin/busybox"))  # type: ignore[arg-type]
    headers = subprocess.run([readelf, "-lW", str(disk)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"GNU_STACK.*RWE", headers)  # independent truth: the stack is executable
    _, findings, _ = run(hard_elf.find_missing_nx, openwrt)
    named = [f for f in findings if f.location.path == "/bin/busybox"]
    assert len(named) == 1 and "started at boot as telnetd" in named[0].message
    assert named[0].severity == Severity.HIGH


def test_openwrt_sysupgrade_checks_no_signature(openwrt: CheckContext) -> None:
    _, findings, _ = run(update_path.find_unsigned_update, openwrt)
    assert len(findings) == 1 and "/sbin/sysupgrade" in findings[0].message
    _, findings, _ = run(update_path.find_unsigned_packages, openwrt)
    assert where(findings) == [("/etc/opkg.conf", 1)]


def test_openwrt_no_console_shell_and_failsafe_reported(openwrt: CheckContext) -> None:
    _, findings, _ = run(debug_console.find_console_shell, openwrt)
    assert findings == []  # this build's inittab only runs rcS
    _, findings, _ = run(debug_console.find_failsafe_shell, openwrt)
    assert {f.location.path for f in findings} == {"/lib/preinit/99_10_failsafe_login"}


def test_dvar_miniweb_without_nx_and_miniweb_nx_with_nx(dvar: CheckContext) -> None:
    readelf = shutil.which("readelf")
    assert readelf
    for name, flags in (("miniweb", "RWE"), ("miniweb-nx", "RW ")):
        disk = dvar.index.disk_path(dvar.index.get(f"/usr/bin/{name}"))  # type: ignore[arg-type]
        headers = subprocess.run([readelf, "-lW", str(disk)], check=True, capture_output=True, text=True).stdout
        assert re.search(rf"GNU_STACK.*{flags}", headers)
    _, findings, _ = run(hard_elf.find_missing_nx, dvar)
    named = {f.location.path for f in findings if f.location.path}
    grouped = {p for f in findings for p in f.properties.get("paths", [])}
    assert "/usr/bin/miniweb" in named  # started by rc.local, listens: named on its own
    assert "/usr/bin/miniweb-nx" not in named | grouped
    assert "/usr/bin/nweb" in grouped  # readelf: RWE too, but not started


def test_dvar_uart_shell_root_daemons_and_ssh(dvar: CheckContext) -> None:
    _, findings, facts = run(debug_console.find_console_shell, dvar)
    assert where(findings) == [("/etc/inittab", 3), ("/etc/inittab", 4)]
    assert [f.properties["tty"] for f in findings] == ["tts/0", "ttyAMA0"]
    assert facts["debug_interface_physically_accessible"] is True
    _, findings, _ = run(priv_daemons.find_root_daemons, dvar)
    assert where(findings) == [("/etc/rc.local", 2), ("/etc/rc.local", 3)]
    _, findings, _ = run(svc_access.find_ssh_login_settings, dvar)
    assert len(findings) == 1 and "Root has an empty password" in findings[0].message
    _, findings, _ = run(firewall_setup.find_missing_firewall, dvar)
    assert len(findings) == 1


def test_all_group_b_checks_run_without_errors(openwrt: CheckContext, dvar: CheckContext) -> None:
    checks = checks_of("services", "updates", "hardening")
    for ctx in (openwrt, dvar):
        outcomes, _, _ = run_checks(ctx, checks)
        errors = [(o.check, o.error) for o in outcomes if o.status == OutcomeStatus.ERROR]
        assert errors == []
