"""Service checks IOTB-SVC-001…009: a positive and a negative tree each, exact findings."""

from __future__ import annotations

from pathlib import Path

from checks_b_helpers import Link, run, tree_context, where

from iotbaseline.checks.services import management as svc_access

from iotbaseline.checks.services import remote_access as svc_remote
from iotbaseline.model import OutcomeStatus, Severity

BUSYBOX = {"/bin/busybox": b"\x7fELF", "/bin/sh": Link("busybox"),
           "/usr/sbin/telnetd": Link("../../bin/busybox")}
OPENWRT_TELNET = (
    "#!/bin/sh /etc/rc.common\nSTART=50\n"                       # 1-2
    "has_root_pwd() {\n"                                         # 3
    "\tlocal pwd=$([ -f \"$1\" ] && cat \"$1\")\n"               # 4
    "\tpwd=\"${pwd#*root:}\"\n\tpwd=\"${pwd%%:*}\"\n"            # 5-6
    "\ttest -n \"${pwd#[\\!x]}\"\n}\n"                           # 7-8
    "start() {\n"                                                # 9
    "\tif ( ! has_root_pwd /etc/passwd && ! has_root_pwd /etc/shadow ) || \\\n"  # 10
    "\t   ( ! /etc/init.d/dropbear enabled 2> /dev/null );\n"   # 11
    "\tthen\n"                                                   # 12
    "\t\tservice_start /usr/sbin/telnetd -l /bin/login.sh\n"     # 13
    "\tfi\n}\n")
LOGIN_SH = ("#!/bin/sh\nif ( ! grep -qs '^root:[!x]\\?:' /etc/shadow ) ; then\n"
            "\techo Login failed.\n\texit 0\nfi\nexec /bin/ash --login\n")


def _openwrt(shadow_root: str) -> dict[str, object]:
    return {**BUSYBOX, "/usr/sbin/dropbear": b"\x7fELF",
            "/etc/rc.common": "#!/bin/sh\n", "/etc/init.d/telnet": OPENWRT_TELNET,
            "/etc/init.d/dropbear": "#!/bin/sh /etc/rc.common\nstart() {\n"
                                    "\tservice_start /usr/sbin/dropbear -g\n}\n",
            "/etc/rc.d/S50telnet": Link("../init.d/telnet"),
            "/etc/rc.d/S50dropbear": Link("../init.d/dropbear"),
            "/bin/login.sh": LOGIN_SH,
            "/etc/passwd": "root:x:0:0:root:/root:/bin/ash\n",
            "/etc/shadow": f"root:{shadow_root}:15000:0:99999:7:::\n"}


def test_telnet_openwrt_condition_holds_without_root_password(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, _openwrt("x"))  # type: ignore[arg-type]
    outcome, findings, facts = run(svc_remote.find_telnet_server, ctx)
    assert outcome.status == OutcomeStatus.FAIL
    assert where(findings) == [("/etc/init.d/telnet", 13)]
    assert "has root:x:" in findings[0].message and "no password" in findings[0].message
    assert facts["telnet_enabled"] is True
    # and login.sh hands out a shell without a password while root has none
    outcome, findings, _ = run(svc_remote.find_unauthenticated_shell, ctx)
    assert where(findings) == [("/etc/init.d/telnet", 13)]
    assert "/bin/login.sh starts a root shell" in findings[0].message
    assert "etsi-en-303-645:5.1-1" in findings[0].provisions


def test_telnet_openwrt_condition_false_when_root_has_password(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, _openwrt("$1$abcdefgh$0123456789abcdefghijkl"))  # type: ignore[arg-type]
    outcome, findings, facts = run(svc_remote.find_telnet_server, ctx)
    assert outcome.status == OutcomeStatus.PASS and findings == []
    assert facts["telnet_enabled"] is False
    assert any("not started" in e.detail for e in outcome.evidence)
    outcome, findings, _ = run(svc_remote.find_unauthenticated_shell, ctx)
    assert findings == []


def test_telnetd_with_shell_login_and_disabled_telnet(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {**BUSYBOX, "/etc/inittab": "::sysinit:/etc/rc\n",
                                           "/etc/rc": "#!/bin/sh\ntelnetd -p 2323 -l /bin/sh\n"})
    _, findings, _ = run(svc_remote.find_unauthenticated_shell, ctx)
    assert where(findings) == [("/etc/rc", 2)]
    assert findings[0].severity == Severity.CRITICAL
    _, findings, _ = run(svc_remote.find_telnet_server, ctx)
    assert where(findings) == [("/etc/rc", 2)]
    # telnet present in init.d but not linked from rc.d: not started
    ctx = tree_context(tmp_path / "good", {**BUSYBOX, "/etc/rc.d/S10boot": Link("../init.d/boot"),
                                            "/etc/init.d/boot": "#!/bin/sh\necho boot\n",
                                            "/etc/init.d/telnet": "#!/bin/sh\ntelnetd -l /bin/login\n"})
    outcome, findings, _ = run(svc_remote.find_telnet_server, ctx)
    assert findings == [] and "1 present but not enabled" in outcome.summary
    _, findings, _ = run(svc_remote.find_unauthenticated_shell, ctx)
    assert findings == []


def test_bind_shell_with_netcat(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {**BUSYBOX, "/usr/bin/nc": Link("../../bin/busybox"),
                                  "/etc/rc.local": "#!/bin/sh\nnc -ll -p 4444 -e /bin/sh &\n"
                                                   "nc 10.0.0.1 80\n"})
    _, findings, _ = run(svc_remote.find_unauthenticated_shell, ctx)
    assert where(findings) == [("/etc/rc.local", 2)]


def test_credentials_on_command_line_are_redacted(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/usr/bin/agent": b"\x7fELF",
        "/etc/rc.local": "#!/bin/sh\n/usr/bin/agent --password=Sup3rSecret -s mqtt://dev:"
                         "hunter22@cloud.example.com &\n"})
    _, findings, _ = run(svc_remote.find_command_line_credentials, ctx)
    assert where(findings) == [("/etc/rc.local", 2), ("/etc/rc.local", 2)]
    assert {f.secret for f in findings} == {"Sup3rSecret", "hunter22"}
    assert all("Sup3rSecret" not in (f.evidence[0].excerpt or "") for f in findings)
    ctx = tree_context(tmp_path / "good", {
        "/usr/bin/agent": b"\x7fELF",
        "/etc/rc.local": "#!/bin/sh\n/usr/bin/agent --password-file /etc/agent.key &\n"})
    _, findings, _ = run(svc_remote.find_command_line_credentials, ctx)
    assert findings == []


def test_ftp_server_and_anonymous_login(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        **BUSYBOX, "/usr/bin/tcpsvd": Link("../../bin/busybox"),
        "/usr/sbin/vsftpd": b"\x7fELF",
        "/etc/vsftpd.conf": "listen=YES\nanonymous_enable=YES\n",
        "/etc/rc.local": "#!/bin/sh\ntcpsvd -vE 0.0.0.0 21 ftpd /srv &\n/usr/sbin/vsftpd &\n"})
    _, findings, _ = run(svc_remote.find_ftp_server, ctx)
    assert where(findings) == [("/etc/rc.local", 2), ("/etc/rc.local", 3)]
    assert [f.severity for f in findings] == [Severity.CRITICAL, Severity.CRITICAL]
    assert "Anonymous login is enabled (/etc/vsftpd.conf:2)" in findings[1].message
    ctx = tree_context(tmp_path / "good", {"/usr/sbin/vsftpd": b"\x7fELF",
                                           "/etc/rc.local": "#!/bin/sh\nexit 0\n"})
    outcome, findings, _ = run(svc_remote.find_ftp_server, ctx)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_tftp_server_and_dnsmasq_tftp(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/usr/sbin/dnsmasq": b"\x7fELF", "/usr/sbin/in.tftpd": b"\x7fELF",
        "/etc/dnsmasq.conf": "# tftp\nenable-tftp\ntftp-root=/srv\n",
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/dnsmasq\n/usr/sbin/in.tftpd -l -s /srv\n"})
    _, findings, _ = run(svc_remote.find_tftp_server, ctx)
    assert sorted(where(findings)) == [("/etc/dnsmasq.conf", 2), ("/etc/rc.local", 3)]
    ctx = tree_context(tmp_path / "good", {
        "/usr/sbin/dnsmasq": b"\x7fELF", "/etc/dnsmasq.conf": "# enable-tftp\n",
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/dnsmasq\n"})
    _, findings, _ = run(svc_remote.find_tftp_server, ctx)
    assert findings == []


def test_ssh_dropbear_and_sshd_settings(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/usr/sbin/dropbear": b"\x7fELF", "/usr/sbin/sshd": b"\x7fELF",
        "/etc/shadow": "root::0:0:99999:7:::\n",
        "/etc/ssh/sshd_config": "Port 22\nPermitRootLogin yes\nPermitEmptyPasswords yes\n",
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/dropbear -p 22\n/usr/sbin/sshd\n"})
    _, findings, _ = run(svc_access.find_ssh_login_settings, ctx)
    assert where(findings) == [("/etc/rc.local", 2), ("/etc/rc.local", 3)]
    assert "Root has an empty password" in findings[0].message
    assert "/etc/ssh/sshd_config:2 sets permitrootlogin yes" in findings[1].message
    assert "/etc/ssh/sshd_config:3 sets permitemptypasswords yes" in findings[1].message
    ctx = tree_context(tmp_path / "good", {
        "/usr/sbin/dropbear": b"\x7fELF", "/usr/sbin/sshd": b"\x7fELF",
        "/etc/ssh/sshd_config": "PermitRootLogin prohibit-password\nPasswordAuthentication no\n",
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/dropbear -s -w\n/usr/sbin/sshd\n"})
    outcome, findings, _ = run(svc_access.find_ssh_login_settings, ctx)
    assert findings == [] and len(outcome.evidence) == 2
    # password logins for ordinary users only: reported, at low severity
    ctx = tree_context(tmp_path / "users", {
        "/usr/sbin/dropbear": b"\x7fELF", "/etc/shadow": "root:$6$salt$hash:1:0:99999:7:::\n",
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/dropbear -g\n"})
    _, findings, _ = run(svc_access.find_ssh_login_settings, ctx)
    assert [(f.location.line, f.severity) for f in findings] == [(2, Severity.LOW)]


def test_snmp_default_communities(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/usr/sbin/snmpd": b"\x7fELF",
        "/etc/snmp/snmpd.conf": "sysLocation x\nrocommunity public\nrwcommunity private 10.0.0.0/8\n",
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/snmpd -c /etc/snmp/snmpd.conf\n"})
    _, findings, _ = run(svc_access.find_snmp_default_community, ctx)
    assert where(findings) == [("/etc/snmp/snmpd.conf", 2), ("/etc/snmp/snmpd.conf", 3)]
    assert [f.severity for f in findings] == [Severity.MEDIUM, Severity.HIGH]
    ctx = tree_context(tmp_path / "good", {
        "/etc/snmp/snmpd.conf": "rocommunity s3cr3t-unit-42\n"})
    outcome, findings, _ = run(svc_access.find_snmp_default_community, ctx)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_upnp_daemon(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/usr/sbin/miniupnpd": b"\x7fELF",
        "/etc/config/upnpd": "config upnpd config\n\toption secure_mode 0\n",
        "/etc/rc.local": "#!/bin/sh\n/usr/sbin/miniupnpd -f /var/miniupnpd.conf\n"})
    _, findings, _ = run(svc_access.find_upnp_daemon, ctx)
    assert where(findings) == [("/etc/rc.local", 2)]
    assert "Secure mode is off (/etc/config/upnpd:2)" in findings[0].message
    ctx = tree_context(tmp_path / "good", {"/usr/sbin/miniupnpd": b"\x7fELF"})
    _, findings, _ = run(svc_access.find_upnp_daemon, ctx)
    assert findings == []


def test_adb_daemon(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path / "bad", {
        "/sbin/adbd": b"\x7fELF",
        "/init.rc": "on boot\n    start adbd\nservice adbd /sbin/adbd --root_seclabel=u:r:su:s0\n"
                    "    class core\n"})
    _, findings, _ = run(svc_access.find_adb_daemon, ctx)
    assert where(findings) == [("/init.rc", 3)]
    ctx = tree_context(tmp_path / "good", {
        "/sbin/adbd": b"\x7fELF",
        "/init.rc": "service adbd /sbin/adbd\n    disabled\n"})
    _, findings, _ = run(svc_access.find_adb_daemon, ctx)
    assert findings == []
