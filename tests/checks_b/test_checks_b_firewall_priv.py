"""Firewall (IOTB-FW-001) and least privilege / file system (IOTB-PRIV-00x)."""

from __future__ import annotations

from pathlib import Path

from checks_b_helpers import Link, Mode, run, tree_context, where

from iotbaseline.checks.services import firewall as firewall_setup

from iotbaseline.checks.hardening import daemon_privilege as priv_daemons

from iotbaseline.checks.hardening import file_permissions as priv_files
from iotbaseline.model import OutcomeStatus, Severity

FIREWALL = ("config defaults\n\toption input ACCEPT\n"            # 1-2
            "config zone\n\toption name lan\n\toption input ACCEPT\n"  # 3-5
            "config zone\n\toption name wan\n\tlist network 'wan'\n"  # 6-8
            "\toption input {policy}\n")                              # 9


def _openwrt_fw(tmp_path: Path, policy: str, enabled: bool = True):  # type: ignore[no-untyped-def]
    files: dict[str, object] = {
        "/sbin/fw3": b"\x7fELF", "/etc/rc.common": "#!/bin/sh\n",
        "/etc/config/firewall": FIREWALL.format(policy=policy),
        "/etc/init.d/firewall": "#!/bin/sh /etc/rc.common\nSTART=19\nboot() {\n\tfw3 -q start\n}\n"}
    if enabled:
        files["/etc/rc.d/S19firewall"] = Link("../init.d/firewall")
    return tree_context(tmp_path, files)  # type: ignore[arg-type]


def test_firewall_wan_reject_is_pass_evidence(tmp_path: Path) -> None:
    outcome, findings, facts = run(firewall_setup.find_missing_firewall,
                                   _openwrt_fw(tmp_path, "REJECT"))
    assert outcome.status == OutcomeStatus.PASS and findings == []
    assert [(e.ref, e.line) for e in outcome.evidence] == [("/etc/config/firewall", 9)]
    assert facts == {"firewall_at_boot": True, "firewall_at_boot_evidence": "/etc/config/firewall"}


def test_firewall_wan_accept_and_missing(tmp_path: Path) -> None:
    _, findings, _ = run(firewall_setup.find_missing_firewall, _openwrt_fw(tmp_path / "a", "ACCEPT"))
    assert where(findings) == [("/etc/config/firewall", 9)]
    assert findings[0].severity == Severity.HIGH
    # configuration present but the firewall script is not enabled: nothing filters at boot
    _, findings, facts = run(firewall_setup.find_missing_firewall,
                             _openwrt_fw(tmp_path / "b", "REJECT", enabled=False))
    assert where(findings) == [(None, None)] and facts["firewall_at_boot"] is False


def test_iptables_rules_in_boot_script(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "good", {
        "/usr/sbin/iptables": b"\x7fELF",
        "/etc/rc.local": "#!/bin/sh\niptables -P INPUT DROP\niptables -A INPUT -i lo -j ACCEPT\n"})
    outcome, findings, _ = run(firewall_setup.find_missing_firewall, ctx)
    assert findings == [] and [(e.ref, e.line) for e in outcome.evidence] == [("/etc/rc.local", 2)]
    ctx = tree_context(tmp_path / "bad", {
        "/usr/sbin/iptables": b"\x7fELF",
        "/etc/rc.local": "#!/bin/sh\niptables -F\niptables -P INPUT ACCEPT\n"})
    _, findings, _ = run(firewall_setup.find_missing_firewall, ctx)
    assert len(findings) == 1 and "No packet filtering" in findings[0].message


def test_network_daemon_as_root_and_dropped(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/usr/sbin/uhttpd": b"\x7fELF", "/usr/sbin/dnsmasq": b"\x7fELF",
        "/usr/sbin/lighttpd": b"\x7fELF",
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/uhttpd -p 80\n/usr/sbin/dnsmasq\n"
                         "start-stop-daemon -S -x /usr/sbin/lighttpd -c www -- -D\n"})
    outcome, findings, _ = run(priv_daemons.find_root_daemons, ctx)
    assert where(findings) == [("/etc/rc.local", 2)]
    details = {e.detail for e in outcome.evidence}
    assert any("nobody" in d for d in details) and "runs as www" in details
    ctx = tree_context(tmp_path / "good", {
        "/usr/sbin/uhttpd": b"\x7fELF",
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/uhttpd -u nobody -p 80\n"})
    _, findings, _ = run(priv_daemons.find_root_daemons, ctx)
    assert findings == []


def test_setid_programs(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/bin/busybox": Mode(b"\x7fELF", 0o4755), "/usr/bin/passwd": Mode(b"\x7fELF", 0o4755),
        "/usr/bin/diag": Mode(b"\x7fELF", 0o2755), "/bin/ls": Mode(b"\x7fELF", 0o755)})
    _, findings, _ = run(priv_files.find_setid_programs, ctx)
    assert [(f.location.path, f.severity) for f in findings] == [
        ("/bin/busybox", Severity.HIGH), ("/usr/bin/diag", Severity.MEDIUM),
        ("/usr/bin/passwd", Severity.LOW)]
    assert "set-GID" in findings[1].message
    ctx = tree_context(tmp_path / "good", {"/bin/ls": Mode(b"\x7fELF", 0o755)})
    _, findings, _ = run(priv_files.find_setid_programs, ctx)
    assert findings == []


def test_world_writable_paths(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/etc/config/network": Mode("config x\n", 0o666),
        "/usr/bin/tool": Mode("#!/bin/sh\n", 0o777),
        "/data/share": Mode(None, 0o777),  # type: ignore[arg-type]
        "/tmp": Mode(None, 0o1777),  # type: ignore[arg-type]
        "/var/tmp/x": Mode("x", 0o666)})
    _, findings, _ = run(priv_files.find_world_writable, ctx)
    assert [(f.location.path, f.severity) for f in findings] == [
        ("/etc/config/network", Severity.HIGH), ("/usr/bin/tool", Severity.HIGH),
        ("/data/share", Severity.MEDIUM)]
    ctx = tree_context(tmp_path / "good", {"/etc/config/network": Mode("x", 0o644),
                                           "/tmp": Mode(None, 0o1777)})  # type: ignore[arg-type]
    _, findings, _ = run(priv_files.find_world_writable, ctx)
    assert findings == []


def test_many_world_writable_paths_are_grouped(tmp_path: Path) -> None:
    files = {f"/www/page{i:02}.html": Mode("x", 0o666) for i in range(25)}
    ctx = tree_context(tmp_path, files)  # type: ignore[arg-type]
    _, findings, _ = run(priv_files.find_world_writable, ctx)
    assert len(findings) == priv_files.MAX_LISTED + 1
    assert findings[-1].properties["paths"] == [f"/www/page{i:02}.html" for i in range(20, 25)]


def test_writable_startup_files(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/usr/bin/app": Mode(b"\x7fELF", 0o775),
        "/etc/inittab": "::sysinit:/etc/init.d/rcS\n",
        "/etc/init.d/rcS": Mode("#!/bin/sh\n/usr/bin/app &\n", 0o757)})
    _, findings, _ = run(priv_files.find_writable_startup_files, ctx)
    assert [(f.location.path, f.severity) for f in findings] == [
        ("/etc/init.d/rcS", Severity.HIGH), ("/usr/bin/app", Severity.MEDIUM)]
    ctx = tree_context(tmp_path / "good", {
        "/usr/bin/app": Mode(b"\x7fELF", 0o755), "/etc/inittab": "::sysinit:/etc/init.d/rcS\n",
        "/etc/init.d/rcS": Mode("#!/bin/sh\n/usr/bin/app &\n", 0o755)})
    _, findings, _ = run(priv_files.find_writable_startup_files, ctx)
    assert findings == []


def test_boot_runs_code_from_removable_storage(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/etc/rc.local": "#!/bin/sh\n[ -x /mnt/sdcard/autorun.sh ] && sh /mnt/sdcard/autorun.sh\n"
                         "/mnt/usb/bin/helper &\nmtd write /media/usb0/fw.bin firmware\n"})
    _, findings, _ = run(priv_files.find_external_storage_execution, ctx)
    assert sorted(where(findings)) == [("/etc/rc.local", 2), ("/etc/rc.local", 3),
                                       ("/etc/rc.local", 4)]
    ctx = tree_context(tmp_path / "good", {"/etc/rc.local": "#!/bin/sh\nmount /dev/sda1 /mnt\n"})
    _, findings, _ = run(priv_files.find_external_storage_execution, ctx)
    assert findings == []

