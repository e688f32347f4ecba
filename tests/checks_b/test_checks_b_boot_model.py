"""The boot model: what each init system starts, read statically (never executed)."""

from __future__ import annotations

from pathlib import Path

from checks_b_helpers import Link, tree_context

from iotbaseline.analysis.boot import started_services

RC_COMMON = "#!/bin/sh\n# stand-in for OpenWrt's /etc/rc.common\n"


def _by_name(ctx, name):  # type: ignore[no-untyped-def]
    return [s for s in started_services(ctx) if s.name == name]


def test_busybox_inittab_rcs_loop_and_applets(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {
        "/bin/busybox": b"\x7fELF-not-really",
        "/usr/sbin/telnetd": Link("../../bin/busybox"),
        "/bin/sh": Link("busybox"),
        "/etc/inittab": "::sysinit:/etc/init.d/rcS\nttyS0::respawn:/bin/sh\n"
                        "::shutdown:/bin/umount -a\n",
        "/etc/init.d/rcS": "#!/bin/sh\nfor i in /etc/init.d/S??* ; do\n  $i start\ndone\n",
        "/etc/init.d/S50telnet": "#!/bin/sh\ncase \"$1\" in\n  start)\n"
                                 "    telnetd -l /bin/sh -p 23\n    ;;\n"
                                 "  stop)\n    killall telnetd\n    ;;\nesac\n",
    })
    telnet = _by_name(ctx, "telnetd")
    assert len(telnet) == 1
    service = telnet[0]
    assert (service.source, service.line, service.argv) == (
        "/etc/init.d/S50telnet", 4, ("telnetd", "-l", "/bin/sh", "-p", "23"))
    assert service.binary == "/bin/busybox" and service.enabled and service.runs_as_root
    assert service.chain[:2] == ("/etc/inittab", "/etc/init.d/rcS")
    shell = _by_name(ctx, "sh")
    assert [(s.source, s.line, s.tty, s.action) for s in shell] == [
        ("/etc/inittab", 2, "ttyS0", "respawn")]
    assert not _by_name(ctx, "umount")  # shutdown actions are not boot


def test_sysvinit_getty_and_runlevel_links(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {
        "/sbin/getty": b"\x7fELF",
        "/usr/sbin/vsftpd": b"\x7fELF",
        "/etc/inittab": "id:3:initdefault:\nT0:23:respawn:/sbin/getty -n -l /bin/sh 115200 "
                        "ttyAMA0 vt100\nT1:1:respawn:/sbin/getty 38400 tty1\n",
        "/etc/init.d/vsftpd": "#!/bin/sh\nif [ \"$1\" = start ]; then\n"
                              "  start-stop-daemon -S -b -x /usr/sbin/vsftpd -c ftp -- "
                              "/etc/vsftpd.conf\nfi\n",
        "/etc/rc3.d/S20vsftpd": Link("../init.d/vsftpd"),
    })
    getty = _by_name(ctx, "getty")
    assert [(s.line, s.tty, s.enabled) for s in getty] == [(2, "ttyAMA0", True),
                                                          (3, "tty1", False)]
    ftp = _by_name(ctx, "vsftpd")
    assert len(ftp) == 1
    assert ftp[0].argv == ("/usr/sbin/vsftpd", "/etc/vsftpd.conf")
    assert ftp[0].user == "ftp" and not ftp[0].runs_as_root
    assert ftp[0].launcher == "start-stop-daemon" and ftp[0].line == 3


def test_openwrt_rc_d_procd_uci_and_disabled_scripts(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {
        "/sbin/procd": b"\x7fELF",
        "/usr/sbin/dropbear": b"\x7fELF",
        "/usr/sbin/uhttpd": b"\x7fELF",
        "/usr/sbin/miniupnpd": b"\x7fELF",
        "/etc/rc.common": RC_COMMON,
        "/etc/config/dropbear": "config dropbear\n\toption PasswordAuth 'off'\n",
        "/etc/init.d/dropbear": "#!/bin/sh /etc/rc.common\nSTART=50\nUSE_PROCD=1\n"
                                "PROG=/usr/sbin/dropbear\n"
                                "dropbear_instance() {\n"
                                "\tlocal PasswordAuth\n"
                                "\tconfig_get_bool PasswordAuth \"$1\" PasswordAuth 1\n"
                                "\tprocd_open_instance\n"
                                "\tprocd_set_param command \"$PROG\" -F\n"
                                "\t[ \"${PasswordAuth}\" -eq 0 ] && procd_append_param command -s\n"
                                "\tprocd_set_param user dropbear\n"
                                "\tprocd_close_instance\n"
                                "}\n"
                                "start_service() {\n\tconfig_load dropbear\n"
                                "\tconfig_foreach dropbear_instance dropbear\n}\n",
        "/etc/init.d/uhttpd": "#!/bin/sh /etc/rc.common\nSTART=50\n"
                              "start() {\n\tservice_start /usr/sbin/uhttpd -f -p 80\n}\n",
        "/etc/init.d/miniupnpd": "#!/bin/sh /etc/rc.common\nSTART=95\n"
                                 "start() {\n\tservice_start /usr/sbin/miniupnpd\n}\n",
        "/etc/rc.d/S50dropbear": Link("../init.d/dropbear"),
        "/etc/rc.d/S50uhttpd": Link("../init.d/uhttpd"),
    })
    dropbear = _by_name(ctx, "dropbear")
    assert len(dropbear) == 1
    assert dropbear[0].argv == ("/usr/sbin/dropbear", "-F", "-s")  # uci PasswordAuth off → -s
    assert dropbear[0].via == "procd" and dropbear[0].user == "dropbear"
    assert dropbear[0].line == 9 and dropbear[0].enabled
    uhttpd = _by_name(ctx, "uhttpd")
    assert [(s.argv, s.line, s.enabled, s.launcher) for s in uhttpd] == [
        (("/usr/sbin/uhttpd", "-f", "-p", "80"), 4, True, "service_start")]
    upnp = _by_name(ctx, "miniupnpd")
    assert [(s.enabled, s.via) for s in upnp] == [(False, "init.d")]


def test_systemd_wants_and_user(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {
        "/lib/systemd/systemd": b"\x7fELF",
        "/sbin/init": Link("/lib/systemd/systemd"),
        "/usr/bin/mosquitto": b"\x7fELF",
        "/usr/sbin/tftpd": b"\x7fELF",
        "/lib/systemd/system/mosquitto.service": "[Unit]\nDescription=x\n[Service]\n"
                                                 "User=mosquitto\nExecStart=/usr/bin/mosquitto "
                                                 "-c /etc/mosquitto.conf\n",
        "/lib/systemd/system/tftpd.service": "[Service]\nExecStart=-/usr/sbin/tftpd -l\n",
        "/etc/systemd/system/multi-user.target.wants/mosquitto.service":
            Link("/lib/systemd/system/mosquitto.service"),
    })
    mosquitto = _by_name(ctx, "mosquitto")
    assert [(s.enabled, s.user, s.line, s.source) for s in mosquitto] == [
        (True, "mosquitto", 5, "/lib/systemd/system/mosquitto.service")]
    tftpd = _by_name(ctx, "tftpd")
    assert [(s.enabled, s.argv) for s in tftpd] == [(False, ("/usr/sbin/tftpd", "-l"))]


def test_inetd_entries_follow_inetd_state(tmp_path: Path) -> None:
    files = {
        "/usr/sbin/inetd": b"\x7fELF",
        "/usr/sbin/in.telnetd": b"\x7fELF",
        "/etc/inetd.conf": "# comment\ntelnet stream tcp nowait root /usr/sbin/in.telnetd "
                           "in.telnetd -h\n",
        "/etc/inittab": "::sysinit:/etc/rc.sh\n",
        "/etc/rc.sh": "#!/bin/sh\n/usr/sbin/inetd &\n",
    }
    ctx = tree_context(tmp_path / "on", files)
    telnet = _by_name(ctx, "in.telnetd")
    assert [(s.enabled, s.via, s.line, s.argv) for s in telnet] == [
        (True, "inetd", 2, ("/usr/sbin/in.telnetd", "-h"))]
    files["/etc/rc.sh"] = "#!/bin/sh\necho no inetd\n"
    ctx = tree_context(tmp_path / "off", files)
    assert [s.enabled for s in _by_name(ctx, "in.telnetd")] == [False]


def test_call_cycles_stop_and_nothing_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    ctx = tree_context(tmp_path, {
        "/usr/bin/daemon": b"\x7fELF",
        "/etc/inittab": "::sysinit:/etc/a.sh\n",
        "/etc/a.sh": f"#!/bin/sh\n/etc/b.sh\ntouch {marker}\n/usr/bin/daemon &\n",
        "/etc/b.sh": "#!/bin/sh\n. /etc/a.sh\n/etc/a.sh\n",
    })
    daemons = _by_name(ctx, "daemon")
    assert [(s.source, s.line, s.launcher) for s in daemons] == [("/etc/a.sh", 4, "background")]
    assert not marker.exists()


def test_rc_local_and_su_user_switch(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {
        "/usr/bin/webd": b"\x7fELF",
        "/usr/bin/helper": b"\x7fELF",
        "/etc/rc.local": "#!/bin/sh\nsu nobody -c '/usr/bin/webd -p 8080' &\n"
                         "/usr/bin/helper\nexit 0\n",
    })
    webd = _by_name(ctx, "webd")
    assert [(s.user, s.runs_as_root, s.via, s.line) for s in webd] == [
        ("nobody", False, "rc.local", 2)]
    assert [(s.runs_as_root, s.line) for s in _by_name(ctx, "helper")] == [(True, 3)]


def test_hostile_start_files_do_not_break_the_model(tmp_path: Path) -> None:
    deep = "".join(f"f{i}() {{\n  f{i + 1}\n}}\n" for i in range(200)) + "f0\n"
    ctx = tree_context(tmp_path, {
        "/usr/sbin/real": b"\x7fELF",
        "/etc/inittab": b"\xff\xfe::sysinit:/etc/rc\x00\n::respawn:\n:::\n::sysinit:/etc/rc\n",
        "/etc/rc": "#!/bin/sh\necho \"unterminated\n'also bad\n. /etc/rc\n" + deep
                   + "for x in /etc/rc.d/*; do $x start; done\n/usr/sbin/real &\n",
        "/etc/rc.d/S10loop": Link("S10loop"),
        "/etc/rc.d/S20out": Link("../../../../../../etc/passwd"),
        "/etc/init.d/huge": "#!/bin/sh\n" + "x=1\n" * 50000,
    })
    services = started_services(ctx)
    # 1 shebang + 3 lines + 200 functions of 3 lines + "f0" + the loop → line 607
    assert [(s.name, s.line) for s in services if s.name == "real"] == [("real", 607)]


def test_xinetd_services_respect_disable(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {
        "/usr/sbin/xinetd": b"\x7fELF", "/usr/sbin/in.tftpd": b"\x7fELF",
        "/usr/sbin/in.telnetd": b"\x7fELF",
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/xinetd -stayalive\n",
        "/etc/xinetd.d/tftp": "service tftp\n{\n\tsocket_type = dgram\n\tuser = nobody\n"
                              "\tserver = /usr/sbin/in.tftpd\n\tserver_args = -s /srv\n"
                              "\tdisable = no\n}\n",
        "/etc/xinetd.d/telnet": "service telnet\n{\n\tserver = /usr/sbin/in.telnetd\n"
                                "\tdisable = yes\n}\n",
    })
    tftp = _by_name(ctx, "in.tftpd")
    assert [(s.enabled, s.user, s.line, s.argv) for s in tftp] == [
        (True, "nobody", 1, ("/usr/sbin/in.tftpd", "-s", "/srv"))]
    assert [s.enabled for s in _by_name(ctx, "in.telnetd")] == [False]
