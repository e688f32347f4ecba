"""IOTB-SVC-010 (every login path and its credential), the config-value reader behind it, and the
off-by-default class of IOTB-SVC-001: small synthetic trees, exact findings."""

from __future__ import annotations

import warnings
from pathlib import Path

from checks_b_helpers import Link, run, tree_context, where

from iotbaseline.analysis.boot import started_services
from iotbaseline.checks.context import CheckOptions
from iotbaseline.checks.services import login_paths
from iotbaseline.checks.services import remote_access as svc_remote
from iotbaseline.checks.services.config_values import ConditionJudge, ValueReader
from iotbaseline.model import OutcomeStatus, Severity

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt as _crypt

BUSYBOX = {"/bin/busybox": b"\x7fELF", "/bin/sh": Link("busybox"),
           "/usr/sbin/telnetd": Link("../../bin/busybox"), "/sbin/getty": Link("../bin/busybox"),
           "/bin/login": Link("busybox")}
# DES crypt of a password that is in the vendor default list (HiChip cameras), salt "ab"
ROOT_DES = _crypt.crypt("hichiphx", "ab")
ODM_RUN = ("#!/bin/sh\n"                                                   # 1
           "CONF=/etc/conf\n"                                              # 2
           "dtenable=`grep tenable $CONF/debug.ini | awk -F \"\\\"\" '{print $2}'`\n"  # 3
           "if [ $dtenable -eq 1 ]\n"                                      # 4
           "then\n"                                                        # 5
           "\ttelnetd\n"                                                   # 6
           "fi\n")


def _camera(tenable: str) -> dict[str, object]:
    return {**BUSYBOX,
            "/etc/inittab": "::sysinit:/etc/init.d/rcS\n"
                            "ttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n",
            "/etc/init.d/rcS": "#!/bin/sh\n/etc/run &\n",
            "/etc/run": ODM_RUN,
            "/etc/conf/debug.ini": f'[telnet]\ntenable = "{tenable}   "\n',
            "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nguest:x:1000:1000::/home:/bin/sh\n"
                           "daemon:x:1:1::/:/bin/false\n",
            "/etc/shadow": f"root:{ROOT_DES}:0:0:99999:7:::\nguest::0:0:99999:7:::\n"
                           "daemon::0:0:99999:7:::\n"}


def test_config_value_read_from_the_file_the_script_greps(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, _camera("0"))  # type: ignore[arg-type]
    telnet = next(s for s in started_services(ctx) if s.name == "telnetd")
    value = ValueReader(ctx, telnet).variable("dtenable")
    assert value is not None
    assert (value.value, value.source, value.source_line, value.script_line) == (
        "0", "/etc/conf/debug.ini", 2, 3)
    assert ConditionJudge(ctx, telnet).judge() is False


def test_telnet_gated_off_by_config_is_not_a_running_service(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, _camera("0"))  # type: ignore[arg-type]
    outcome, findings, facts = run(svc_remote.find_telnet_server, ctx)
    assert outcome.status == OutcomeStatus.PASS and findings == []
    assert facts["telnet_enabled"] is False
    outcome, findings, _ = run(login_paths.find_login_credentials, ctx)
    telnet = [f for f in findings if f.properties["login_path"] == "telnet"]
    assert where(telnet) == [("/etc/run", 6), ("/etc/run", 6)]
    assert {f.severity for f in telnet} == {Severity.LOW}
    assert {f.confidence for f in telnet} == {"low"}
    assert all("present, off by default" in f.message and "/etc/conf/debug.ini:2" in f.message
               for f in telnet)


def test_telnet_gated_on_by_config_is_reported(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, _camera("1"))  # type: ignore[arg-type]
    outcome, findings, _ = run(svc_remote.find_telnet_server, ctx)
    assert where(findings) == [("/etc/run", 6)]


def test_serial_getty_with_cracked_root_and_empty_account(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, _camera("0"))  # type: ignore[arg-type]
    _, findings, _ = run(login_paths.find_login_credentials, ctx)
    serial = [f for f in findings if f.properties["login_path"] == "serial"]
    assert where(serial) == [("/etc/inittab", 2), ("/etc/inittab", 2)]
    by_account = {f.properties["account"]: f for f in serial}
    assert set(by_account) == {"root", "guest"}  # daemon's shell refuses logins
    root = by_account["root"]
    assert root.secret == "hichiphx" and root.severity == Severity.CRITICAL
    assert "hichiphx" not in root.message and "/etc/shadow:1" in root.message
    assert {"etsi-en-303-645:5.1-1", "etsi-en-303-645:5.6-4"} <= set(root.provisions)
    assert by_account["guest"].properties["credential"] == "empty"


def test_serial_getty_with_strong_password_is_listed_not_failed(tmp_path: Path) -> None:
    files = _camera("0")
    files["/etc/shadow"] = ("root:" + _crypt.crypt("v9#Lq2!zTr8w", "$6$saltsalt$") + ":0:0:::\n")
    files["/etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\n"
    ctx = tree_context(tmp_path, files)  # type: ignore[arg-type]
    ctx.options = CheckOptions(crack_seconds=1.0, jobs=1)
    _, findings, _ = run(login_paths.find_login_credentials, ctx)
    serial = [f for f in findings if f.properties["login_path"] == "serial"]
    assert len(serial) == 1 and serial[0].severity == Severity.INFO
    assert serial[0].properties["credential"] == "uncracked"


def test_odm_telnet_user_from_signature_file(tmp_path: Path) -> None:
    files = {**BUSYBOX, "/usr/sbin/login": b"\x7fELF",
             "/etc/inittab": "::sysinit:/etc/init.d/rcS\n",
             "/etc/init.d/rcS": "#!/bin/sh\n/etc/init0.d/S80telnetd.sh start\n",
             "/etc/init0.d/S80telnetd.sh":
                 "#!/bin/sh\n"                                                    # 1
                 "sign=`cat /etc/config/image_sign`\n"                            # 2
                 "telnetd -l /usr/sbin/login -u Vendor:$sign -i br0 &\n",         # 3
             "/etc/config/image_sign": "model_x_1\n"}
    ctx = tree_context(tmp_path, files)  # type: ignore[arg-type]
    _, findings, _ = run(login_paths.find_login_credentials, ctx)
    telnet = [f for f in findings if f.properties["login_path"] == "telnet"]
    assert where(telnet) == [("/etc/init0.d/S80telnetd.sh", 3)]
    assert telnet[0].secret == "model_x_1" and telnet[0].properties["account"] == "Vendor"
    assert "model_x_1" not in telnet[0].message and "/etc/config/image_sign:1" in telnet[0].message
    assert "etsi-en-303-645:5.1-2" in telnet[0].provisions


def test_telnet_enabler_and_openwrt_login_bypass(tmp_path: Path) -> None:
    files = {**BUSYBOX, "/usr/sbin/utelnetd": b"\x7fELF",
             "/usr/sbin/knock": b"\x7fELF\x00\x00MAGIC_TELNET_ENABLE+%s\x00/usr/sbin/utelnetd -d"
                                b" -i br0\x00",
             "/bin/login": "#!/bin/sh\ngrep '^root:[^!]' /etc/passwd >&- 2>&-\n"
                           "[ \"$?\" = \"0\" ] && { echo failed; exit 0; }\nexec /bin/ash --login\n",
             "/etc/inittab": "::sysinit:/etc/init.d/rcS\n",
             "/etc/init.d/rcS": "#!/bin/sh\n/usr/sbin/knock\n",
             "/etc/passwd": "root:!:0:0:root:/root:/bin/ash\n"}
    ctx = tree_context(tmp_path, files)  # type: ignore[arg-type]
    _, findings, _ = run(login_paths.find_login_credentials, ctx)
    enabler = [f for f in findings if f.properties["login_path"] == "telnet-enabler"]
    assert where(enabler) == [("/etc/init.d/rcS", 2)]
    assert enabler[0].severity == Severity.CRITICAL
    assert "/usr/sbin/utelnetd -d -i br0" in enabler[0].message


def test_program_that_only_stops_telnet_is_not_an_enabler(tmp_path: Path) -> None:
    files = {**BUSYBOX, "/usr/sbin/webd": b"\x7fELF\x00/usr/bin/killall utelnetd\x00",
             "/etc/inittab": "::sysinit:/etc/init.d/rcS\n",
             "/etc/init.d/rcS": "#!/bin/sh\n/usr/sbin/webd &\n"}
    ctx = tree_context(tmp_path, files)  # type: ignore[arg-type]
    _, findings, _ = run(login_paths.find_login_credentials, ctx)
    assert [f for f in findings if f.properties["login_path"] == "telnet-enabler"] == []


def test_ssh_blank_root_password_refused_by_dropbear(tmp_path: Path) -> None:
    files = {**BUSYBOX, "/usr/sbin/dropbear": b"\x7fELF",
             "/etc/inittab": "::sysinit:/etc/init.d/rcS\n",
             "/etc/init.d/rcS": "#!/bin/sh\n/usr/sbin/dropbear -p 22\n",
             "/etc/passwd": "root:x:0:0:root:/root:/bin/ash\n",
             "/etc/shadow": "root::0:0:99999:7:::\n"}
    ctx = tree_context(tmp_path, files)  # type: ignore[arg-type]
    _, findings, _ = run(login_paths.find_login_credentials, ctx)
    ssh = [f for f in findings if f.properties["login_path"] == "ssh"]
    assert len(ssh) == 1 and ssh[0].severity == Severity.INFO
    files["/etc/init.d/rcS"] = "#!/bin/sh\n/usr/sbin/dropbear -B -p 22\n"
    ctx = tree_context(tmp_path / "b", files)  # type: ignore[arg-type]
    _, findings, _ = run(login_paths.find_login_credentials, ctx)
    ssh = [f for f in findings if f.properties["login_path"] == "ssh"]
    assert [(f.properties["credential"], f.severity) for f in ssh] == [("empty", Severity.CRITICAL)]


def test_inittab_login_shell_prefix_is_a_console_shell(tmp_path: Path) -> None:
    from iotbaseline.checks.services import debug_console

    files = {**BUSYBOX, "/sbin/init": Link("../bin/busybox"),
             "/etc/inittab": "::sysinit:/etc/init.d/rcS\n::respawn:-/bin/sh\n"
                             "tty2::askfirst:-/bin/sh\n",
             "/etc/init.d/rcS": "#!/bin/sh\n"}
    ctx = tree_context(tmp_path, files)  # type: ignore[arg-type]
    _, findings, _ = run(debug_console.find_console_shell, ctx)
    assert where(findings) == [("/etc/inittab", 2)]  # tty2 is a virtual console, not a UART
    _, findings, _ = run(login_paths.find_login_credentials, ctx)
    assert [(f.location.line, f.severity, f.properties["judged_by"]) for f in findings] == [
        (2, Severity.INFO, "IOTB-DEBUG-001")]


def test_web_server_listed_with_its_user_file(tmp_path: Path) -> None:
    files = {**BUSYBOX, "/usr/sbin/httpd": Link("../../bin/busybox"),
             "/etc/inittab": "::sysinit:/etc/init.d/rcS\n",
             "/etc/init.d/rcS": "#!/bin/sh\nhttpd -c /etc/httpd.conf -h /www\n",
             "/etc/httpd.conf": "/cgi-bin:admin:admin\n"}
    ctx = tree_context(tmp_path, files)  # type: ignore[arg-type]
    _, findings, _ = run(login_paths.find_login_credentials, ctx)
    web = [f for f in findings if f.properties["login_path"] == "web"]
    assert where(web) == [("/etc/init.d/rcS", 2)]
    assert web[0].severity == Severity.INFO and "/etc/httpd.conf:1" in web[0].message
    assert web[0].properties["judged_by"] == "IOTB-CRED-005/008"


def test_serial_root_password_replaced_per_device_at_first_boot(tmp_path: Path) -> None:
    files = _camera("0")
    files["/etc/init.d/S01pw"] = ("#!/bin/sh\npw=$(head -c 12 /dev/urandom | base64)\n"
                                  "echo \"root:$pw\" | chpasswd\n")
    ctx = tree_context(tmp_path, files)  # type: ignore[arg-type]
    _, findings, _ = run(login_paths.find_login_credentials, ctx)
    serial = {f.properties["account"]: f for f in findings if f.properties["login_path"] == "serial"}
    assert set(serial) == {"guest"}  # root's shipped hash is not the device's: no FAIL for it
    assert serial["guest"].properties["credential"] == "empty"


def test_init_program_starting_telnet_is_not_a_hidden_switch(tmp_path: Path) -> None:
    files = {**BUSYBOX, "/sbin/rc": b"\x7fELF\x00/usr/sbin/telnetd -l /bin/login\x00",
             "/etc/inittab": "::sysinit:/sbin/rc start\n"}
    ctx = tree_context(tmp_path, files)  # type: ignore[arg-type]
    _, findings, _ = run(login_paths.find_login_credentials, ctx)
    assert [f for f in findings if f.properties["login_path"] == "telnet-enabler"] == []
