"""Debug interfaces (IOTB-DEBUG-00x) and Android properties (IOTB-ANDROID-00x)."""

from __future__ import annotations

from pathlib import Path

from checks_b_helpers import Link, run, tree_context, where

from iotbaseline.checks.services import android_props

from iotbaseline.checks.services import debug_console
from iotbaseline.model import OutcomeStatus, Severity

BUSYBOX = {"/bin/busybox": b"\x7fELF", "/bin/sh": Link("busybox"), "/bin/ash": Link("busybox"),
           "/sbin/getty": Link("../bin/busybox")}


def test_console_shells_without_login(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {**BUSYBOX, "/etc/inittab": (
        "::sysinit:/etc/init.d/rcS\n"
        "ttyS0::respawn:/bin/sh\n"
        "::askfirst:/bin/sh\n"
        "ttyMSM0::respawn:/sbin/getty -n -l /bin/sh 115200 ttyMSM0\n"
        "tty1::askfirst:/bin/ash --login\n"
        "::askconsole:/bin/ash --login\n"
        "ttyHS0::respawn:/sbin/getty -L ttyHS0 115200 vt100\n")})
    outcome, findings, facts = run(debug_console.find_console_shell, ctx)
    assert where(findings) == [("/etc/inittab", 2), ("/etc/inittab", 3), ("/etc/inittab", 4),
                               ("/etc/inittab", 6)]
    assert findings[0].properties["tty"] == "ttyS0"
    assert findings[1].confidence == "medium"  # the kernel console: a UART on most boards
    assert "tty1 (/etc/inittab:5)" in outcome.summary
    assert facts["debug_interface_physically_accessible"] is True
    assert facts["debug_interface_physically_accessible_evidence"] == "/etc/inittab"


def test_console_with_login_passes(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {**BUSYBOX, "/etc/inittab": (
        "::sysinit:/etc/init.d/rcS\nttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n")})
    outcome, findings, facts = run(debug_console.find_console_shell, ctx)
    assert findings == [] and outcome.status == OutcomeStatus.PASS
    assert any(e.line == 2 for e in outcome.evidence)
    assert "debug_interface_physically_accessible" not in facts


def test_openwrt_login_sh_console_follows_ttylogin(tmp_path: Path) -> None:
    login_sh = ("#!/bin/sh\n[ \"$(uci -q get system.@system[0].ttylogin)\" = 1 ] || "
                "exec /bin/ash --login\nexec /bin/login\n")
    files = {**BUSYBOX, "/usr/libexec/login.sh": login_sh,
             "/etc/inittab": "::sysinit:/etc/init.d/rcS S boot\n"
                             "::askconsole:/usr/libexec/login.sh\n",
             "/etc/config/system": "config system\n\toption hostname OpenWrt\n"}
    ctx = tree_context(tmp_path / "default", files)  # type: ignore[arg-type]
    _, findings, _ = run(debug_console.find_console_shell, ctx)
    assert where(findings) == [("/etc/inittab", 2)]
    assert "ttylogin is not set to 1 in /etc/config/system" in findings[0].message
    files["/etc/config/system"] = "config system\n\toption ttylogin '1'\n"
    ctx = tree_context(tmp_path / "login", files)  # type: ignore[arg-type]
    _, findings, _ = run(debug_console.find_console_shell, ctx)
    assert findings == []


def test_systemd_serial_getty_autologin(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {
        "/sbin/agetty": b"\x7fELF",
        "/lib/systemd/system/serial-getty@.service":
            "[Service]\nExecStart=-/sbin/agetty --autologin root --keep-baud 115200 %I $TERM\n",
        "/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service":
            Link("/lib/systemd/system/serial-getty@.service")})
    _, findings, _ = run(debug_console.find_console_shell, ctx)
    assert where(findings) == [("/lib/systemd/system/serial-getty@.service", 2)]
    assert "logs root in automatically" in findings[0].message


def test_debug_agents(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/usr/bin/gdbserver": b"\x7fELF\x01\x01\x01" + b"\0" * 60,
        "/usr/bin/tcf-agent": b"\x7fELF",
        "/etc/rc.local": "#!/bin/sh\n/usr/bin/gdbserver --multi :2345 &\n"})
    _, findings, _ = run(debug_console.find_debug_agents, ctx)
    assert where(findings)[0] == ("/etc/rc.local", 2)
    ctx = tree_context(tmp_path / "good", {"/etc/rc.local": "#!/bin/sh\nexit 0\n"})
    _, findings, _ = run(debug_console.find_debug_agents, ctx)
    assert findings == []


def test_failsafe_shell(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {"/lib/preinit/99_10_failsafe_login": (
        "#!/bin/sh\nfailsafe_netlogin () {\n    telnetd -l /bin/login.sh <> /dev/null 2>&1\n}\n"
        "failsafe_shell() {\n    ash --login\n}\nboot_hook_add failsafe failsafe_shell\n")})
    _, findings, _ = run(debug_console.find_failsafe_shell, ctx)
    assert where(findings) == [("/lib/preinit/99_10_failsafe_login", 3),
                               ("/lib/preinit/99_10_failsafe_login", 6)]
    assert all(f.severity == Severity.LOW for f in findings)
    ctx = tree_context(tmp_path / "good", {"/lib/preinit/10_essential_fs": "#!/bin/sh\nmount x\n"})
    _, findings, _ = run(debug_console.find_failsafe_shell, ctx)
    assert findings == []


def test_android_debug_build_adb_selinux_and_verity(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/system/build.prop": "# build\nro.build.type=userdebug\nro.debuggable=1\n"
                              "persist.sys.usb.config=mtp,adb\nro.boot.veritymode=logging\n",
        "/default.prop": "ro.secure=0\nro.adb.secure=0\nro.boot.selinux=permissive\n",
        "/vendor/etc/fstab.qcom": "/dev/block/by-name/system /system ext4 ro wait\n"})
    _, findings, _ = run(android_props.find_android_debug_build, ctx)
    assert sorted(where(findings)) == [("/default.prop", 1), ("/system/build.prop", 2),
                                       ("/system/build.prop", 3)]
    _, findings, _ = run(android_props.find_android_adb, ctx)
    assert sorted(where(findings)) == [("/default.prop", 2), ("/system/build.prop", 4)]
    _, findings, _ = run(android_props.find_selinux_permissive, ctx)
    assert where(findings) == [("/default.prop", 3)]
    _, findings, _ = run(android_props.find_android_verity_off, ctx)
    assert sorted(where(findings)) == [("/system/build.prop", 5), ("/vendor/etc/fstab.qcom", 1)]


def test_android_release_build_passes(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {
        "/system/build.prop": "ro.build.type=user\nro.debuggable=0\nro.adb.secure=1\n"
                              "persist.sys.usb.config=mtp\nro.boot.veritymode=enforcing\n",
        "/vendor/etc/fstab.qcom": "/dev/block/by-name/system /system ext4 ro wait,avb\n"})
    for check in android_props.CHECKS:
        outcome, findings, _ = run(check, ctx)
        assert findings == [] and outcome.status == OutcomeStatus.PASS, check.spec.id


def test_android_checks_not_applicable_without_android(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/passwd": "root:x:0:0::/root:/bin/sh\n"})
    for check in android_props.CHECKS:
        outcome, _, _ = run(check, ctx)
        assert outcome.status == OutcomeStatus.NOT_APPLICABLE, check.spec.id


def test_linux_selinux_config_permissive(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/selinux/config": "# mode\nSELINUX=permissive\n"})
    _, findings, _ = run(android_props.find_selinux_permissive, ctx)
    assert where(findings) == [("/etc/selinux/config", 2)]
