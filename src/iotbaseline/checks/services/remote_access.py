"""Remote-access services started at boot: telnet, shells without login, credentials on
command lines, FTP and TFTP."""

from __future__ import annotations

import posixpath
import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check, redact
from iotbaseline.analysis.boot import SHELLS, Service, is_shell, listing, started_services
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import (
    boot_examined,
    describe,
    enabled_services,
    grep,
    openwrt_has_root_pwd,
    provisions,
    root_password_field,
    service_evidence,
)
from iotbaseline.analysis.uci import load_uci
from iotbaseline.checks.services.config_values import ConditionJudge
from iotbaseline.model import Severity

TELNET_NAMES = frozenset({"telnetd", "utelnetd", "in.telnetd", "telnetd.sh"})
FTP_NAMES = frozenset({"ftpd", "vsftpd", "proftpd", "pure-ftpd", "bftpd", "uftpd", "in.ftpd",
                       "wu-ftpd", "stupid-ftpd"})
TFTP_NAMES = frozenset({"tftpd", "in.tftpd", "atftpd", "opentftpd", "tftpd-hpa", "uftpd"})
SUPERVISORS = frozenset({"tcpsvd", "udpsvd", "inetd", "xinetd"})


def served_names(service: Service) -> set[str]:
    """Program names a service runs: its own and, for tcpsvd/udpsvd, the served program."""
    names = {service.name}
    if service.name in SUPERVISORS:
        names.update(posixpath.basename(a) for a in service.argv[1:] if not a.startswith("-"))
    return names


# ---------------------------------------------------------------------------------------------
# OpenWrt's telnet-until-password rule
# ---------------------------------------------------------------------------------------------


def openwrt_telnet_condition(ctx: CheckContext, service: Service) -> tuple[bool | None, str]:
    """Judge OpenWrt's ``/etc/init.d/telnet`` guard on the image's files.

    The script starts telnetd when root has no password and no SSH key, or when no SSH server
    is enabled. Returns (starts?, explanation); None when the condition is of another kind."""
    cond = service.condition or ""
    if "has_root_pwd" not in cond:
        return None, ""
    index = ctx.index
    shadow = root_password_field(index, "/etc/shadow", service.root)
    passwd = root_password_field(index, "/etc/passwd", service.root)
    has_pwd = openwrt_has_root_pwd(shadow) or openwrt_has_root_pwd(passwd)
    keys = index.resolve("/etc/dropbear/authorized_keys", service.root)
    has_key = bool(keys and re.search(r"(?m)^ssh-", index.read_text(keys) or ""))
    ssh_enabled = bool(index.glob("/etc/rc.d/S*dropbear", "/etc/rc.d/S*sshd", root=service.root))
    starts = (not has_key and not has_pwd) or not ssh_enabled
    shown = ", ".join(f"{p} has root:{v}:" for p, v in (("/etc/shadow", shadow),
                                                       ("/etc/passwd", passwd)) if v is not None)
    why = (f"{service.source} starts telnetd only while root has no password and no SSH key "
           f"(or no SSH server is enabled); in this image {shown or 'no root entry exists'}, "
           f"which its has_root_pwd test reads as 'no password'"
           if not has_pwd else
           f"{service.source} starts telnetd only while root has no password; in this image "
           f"root has a password ({shown})")
    if has_key:
        why += "; /etc/dropbear/authorized_keys holds an SSH key"
    if not ssh_enabled:
        why += "; no SSH server is enabled, so the guard is true regardless of the password"
    return starts, why


def off_by_config(ctx: CheckContext, service: Service) -> str | None:
    """Why a start never happens with the shipped configuration, or None.

    ODM scripts gate telnet on a config value (``dtenable=`grep tenable config_debug.ini |
    awk …`; if [ $dtenable -eq 1 ]``): the value is read from the file the script reads; when the
    condition is false there, the service is present but off by default."""
    if not service.condition or "has_root_pwd" in service.condition:
        return None
    judge = ConditionJudge(ctx, service)
    if judge.judge() is not False or not judge.used:
        return None
    return (f"{service.source}:{service.line} starts it only when `{service.condition[:120]}`"
            f" holds, and it does not in the shipped configuration: "
            + "; ".join(v.describe() for v in judge.used))


@check(CheckSpec(
    id="IOTB-SVC-001",
    title="Telnet server started at boot",
    severity=Severity.HIGH,
    rationale="Telnet sends logins and the whole session in clear text and is a favourite way in "
              "for IoT botnets; a device should not offer it in its shipped state.",
    remedy="Remove telnetd from the image or leave it disabled; offer SSH with per-device "
           "credentials or keys where remote administration is needed.",
    provisions=provisions(etsi=("5.6-1", "5.6-5", "5.5-1"), xiaomi=("2.2",),
                          tencent=("5.1.6-3", "5.3.2-4"), isvs=("V3.2.2", "V3.2.3")),
    cwe=(319,),
))
def find_telnet_server(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    disabled: list[Service] = []
    for service in started_services(ctx):
        if not (served_names(service) & TELNET_NAMES):
            continue
        if not service.enabled:
            disabled.append(service)
            continue
        starts, why = openwrt_telnet_condition(ctx, service)
        if starts is False:
            report.examined.append(service_evidence(service, f"not started: {why}"))
            continue
        off = off_by_config(ctx, service)
        if off is not None:
            disabled.append(service)
            report.examined.append(service_evidence(service, f"present, off by default: {off}"))
            continue
        message = f"Telnet server {describe(service)}."
        confidence: str = "high"
        if starts:
            message += f" It runs at boot: {why}."
        elif service.condition:
            message += f" It is started when `{service.condition[:160]}` holds."
            confidence = "medium"
        report.hits.append(Hit(message=message, path=service.source, root=service.root,
                               line=service.line, excerpt=" ".join(service.argv)[:200],
                               confidence=confidence,  # type: ignore[arg-type]
                               properties={"argv": list(service.argv), "via": service.via,
                                           "condition": service.condition}))
    for service in disabled:
        if service.enabled:
            continue  # off by the shipped configuration: already explained above
        report.examined.append(service_evidence(service, "telnet present but not enabled"))
    report.inferred["telnet_enabled"] = bool(report.hits)
    if not report.hits:
        report.examined.extend(boot_examined(ctx))
    report.summary = (f"{len(report.hits)} telnet start(s) at boot" if report.hits else
                      "no telnet server started at boot"
                      + (f" ({len(disabled)} present but not enabled)" if disabled else ""))
    return report


# ---------------------------------------------------------------------------------------------
# shells reachable over the network without authentication
# ---------------------------------------------------------------------------------------------


def login_program(service: Service) -> str | None:
    """The login program a telnet daemon runs: its ``-l`` option, else ``/bin/login`` (the
    default of BusyBox telnetd, utelnetd and in.telnetd)."""
    program = _login_program(service.argv)
    if program is None and service.name in TELNET_NAMES:
        return "/bin/login"
    return program


def _login_program(argv: tuple[str, ...]) -> str | None:
    for i, a in enumerate(argv):
        if a == "-l" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("-l") and len(a) > 2 and a[2] in "/.":
            return a[2:]
    return None


_EXEC_SHELL = re.compile(r"^\s*exec\s+(?:/bin/|/usr/bin/)?(?:ash|sh|bash|hush)\b")
_ROOT_PWD_TEST = re.compile(r"\^root:|root:\[|/etc/shadow")


def script_gives_shell(ctx: CheckContext, program: str, service: Service) -> tuple[bool, str]:
    """Whether a telnetd -l script hands out a shell without asking for a password."""
    entry = ctx.index.resolve(program, service.root)
    if entry is None or entry.kind not in ("script", "text"):
        return False, ""
    text = ctx.index.read_text(entry, limit=256 * 1024) or ""
    if "/bin/login" in text.replace(program, "") or not any(
            _EXEC_SHELL.match(line) for line in text.splitlines()):
        return False, ""
    if _ROOT_PWD_TEST.search(text):
        shadow = root_password_field(ctx.index, "/etc/shadow", service.root)
        passwd = root_password_field(ctx.index, "/etc/passwd", service.root)
        if openwrt_has_root_pwd(shadow) or openwrt_has_root_pwd(passwd):
            return False, ""
        return True, (f"{program} starts a root shell without asking for a password as long "
                      f"as root has no password, which is the case in this image "
                      f"(/etc/shadow root:{shadow}:, /etc/passwd root:{passwd}:)")
    return True, f"{program} ends in a shell without calling login"


def _bind_shell(service: Service) -> bool:
    argv = service.argv
    joined = " ".join(argv)
    if service.name in ("nc", "netcat", "ncat") and any(a.startswith("-l") for a in argv):
        return any(a in ("-e", "-c") for a in argv) and any(
            posixpath.basename(a) in SHELLS for a in argv)
    if service.name == "socat" and "LISTEN" in joined.upper():
        return bool(re.search(r"(EXEC|SYSTEM):\S*\b(sh|ash|bash)\b", joined, re.IGNORECASE))
    return service.via in ("inetd", "xinetd") and is_shell(service.program)


@check(CheckSpec(
    id="IOTB-SVC-002",
    title="Network shell without authentication",
    severity=Severity.CRITICAL,
    rationale="A service that hands a root shell to whoever connects needs no password to be "
              "broken: it is the same open door on every unit of the product.",
    remedy="Never start a shell as a network login program; require per-device credentials "
           "through login, or remove the service.",
    provisions=provisions(etsi=("5.1-1", "5.6-1", "5.6-5"), xiaomi=("2.2", "3.1.5", "3.2.2"),
                          tencent=("5.1.6-3",), isvs=("V3.2.2", "V3.2.3", "V2.2.4")),
    cwe=(306,),
))
def find_unauthenticated_shell(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    for service in enabled_services(ctx):
        names = served_names(service)
        message = None
        judged = False  # the start's condition is known to hold
        if names & TELNET_NAMES:
            if off_by_config(ctx, service) is not None:
                continue
            program = login_program(service) if service.name in TELNET_NAMES \
                else _login_program(service.argv)
            if program and is_shell(program):
                message = (f"{describe(service)} uses `-l {program}`: whoever connects gets a "
                           f"shell without any login.")
            elif program:
                gives, why = script_gives_shell(ctx, program, service)
                if gives:
                    starts, cond = openwrt_telnet_condition(ctx, service)
                    if starts is False:
                        continue
                    message = f"{describe(service)}: {why}."
                    if cond:
                        message += f" {cond}."
                    judged = starts is True
        elif _bind_shell(service):
            message = f"{describe(service)} binds a shell to a network port."
        if message:
            conditional = bool(service.condition) and not judged
            if conditional:
                message += f" It is started when `{service.condition[:160]}` holds."
            report.hits.append(Hit(message=message, path=service.source, root=service.root,
                                   line=service.line, excerpt=" ".join(service.argv)[:200],
                                   confidence="medium" if conditional else "high",
                                   properties={"argv": list(service.argv)}))
    report.summary = (f"{len(report.hits)} service(s) give a shell without login" if report.hits
                      else "no network service starts a shell without login")
    if not report.hits:
        report.examined.extend(boot_examined(ctx))
    return report


# ---------------------------------------------------------------------------------------------
# credentials on command lines
# ---------------------------------------------------------------------------------------------

_PASSWORD_OPTION = re.compile(r"^--?(?:pass(?:word|wd)?|pwd|pw)(?:=(.+))?$", re.IGNORECASE)
_URL_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://([^/:@\s]+):([^/@\s]+)@", re.IGNORECASE)


def _credentials_in(argv: tuple[str, ...]) -> list[tuple[str, str]]:
    """(what, secret) pairs found in an argv."""
    found: list[tuple[str, str]] = []
    for i, a in enumerate(argv):
        match = _PASSWORD_OPTION.match(a)
        if match:
            value = match.group(1) or (argv[i + 1] if i + 1 < len(argv) else "")
            if value and not value.startswith(("$", "-")):
                found.append((a.split("=")[0], value))
        url = _URL_USERINFO.match(a)
        if url and not url.group(2).startswith("$"):
            found.append((f"URL user {url.group(1)}", url.group(2)))
        if posixpath.basename(a) == "sshpass" and i + 1 < len(argv) and argv[i + 1].startswith("-p"):
            value = argv[i + 1][2:] or (argv[i + 2] if i + 2 < len(argv) else "")
            if value:
                found.append(("sshpass -p", value))
    if argv and posixpath.basename(argv[0]) == "login" and "-f" in argv:
        user = argv[argv.index("-f") + 1] if argv.index("-f") + 1 < len(argv) else "?"
        found.append(("login -f (pre-authenticated)", user))
    return found


@check(CheckSpec(
    id="IOTB-SVC-003",
    title="Credentials or pre-authenticated login on a service command line",
    severity=Severity.HIGH,
    rationale="A password written into a start command is the same on every unit and can be read "
              "by anyone who has the firmware; `login -f` skips authentication altogether.",
    remedy="Keep credentials out of command lines: provision them per device into protected "
           "storage and let the service read them from there.",
    provisions=provisions(etsi=("5.1-1", "5.4-3"), xiaomi=("3.2.2",), tencent=("5.1.6-4",),
                          isvs=("V2.1.9",)),
    cwe=(798,),
))
def find_command_line_credentials(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    for service in started_services(ctx):
        argv = service.argv
        login = _login_program(argv)
        candidates = [argv] + ([tuple(login.split())] if login and " " in login else [])
        for words in candidates:
            found = _credentials_in(words)
            shown = " ".join(words)
            for what, secret in found:
                if not what.startswith("login -f"):
                    shown = shown.replace(secret, redact(secret))
            for what, secret in found:
                is_login_f = what.startswith("login -f")
                report.hits.append(Hit(
                    message=(f"{describe(service)} "
                             + (f"logs in as {secret} without a password ({what})."
                                if is_login_f else f"passes a credential on its command line "
                                                   f"({what})."))
                    + ("" if service.enabled else " The script is present but not enabled."),
                    path=service.source, root=service.root, line=service.line,
                    excerpt=shown[:200],
                    secret=None if is_login_f else secret,
                    redacted=None if is_login_f else redact(secret),
                    severity=Severity.HIGH if service.enabled else Severity.MEDIUM,
                ))
    report.summary = (f"{len(report.hits)} credential(s) on start command lines" if report.hits
                      else f"no credentials on the {len(started_services(ctx))} start command(s)")
    if not report.hits:
        report.examined.extend(boot_examined(ctx))
    return report


# ---------------------------------------------------------------------------------------------
# FTP and TFTP
# ---------------------------------------------------------------------------------------------

_ANON = re.compile(r"^\s*anonymous_enable\s*=\s*YES\b", re.IGNORECASE)


@check(CheckSpec(
    id="IOTB-SVC-004",
    title="FTP server started at boot",
    severity=Severity.HIGH,
    rationale="FTP carries credentials and files in clear text and is rarely needed on a "
              "consumer device; anonymous FTP lets anyone read or write files.",
    remedy="Remove the FTP server or disable it by default; use an authenticated, encrypted "
           "transfer (SFTP/HTTPS) where file access is needed.",
    provisions=provisions(etsi=("5.6-1", "5.6-5", "5.5-1"), xiaomi=("2.2",),
                          tencent=("5.1.6-3", "5.3.2-4"), isvs=("V3.2.2", "V3.2.3")),
    cwe=(319,),
))
def find_ftp_server(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    for service in enabled_services(ctx):
        if not (served_names(service) & FTP_NAMES):
            continue
        message = f"FTP server {describe(service)}."
        severity = Severity.HIGH
        for conf in listing(ctx).glob("/etc/vsftpd.conf", "/etc/vsftpd/vsftpd.conf",
                                   root=service.root):
            for number, line, _ in grep(ctx.index, conf, _ANON):
                message += f" Anonymous login is enabled ({conf.path}:{number})."
                severity = Severity.CRITICAL
        report.hits.append(Hit(message=message, path=service.source, root=service.root,
                               line=service.line, excerpt=" ".join(service.argv)[:200],
                               severity=severity))
    report.summary = (f"{len(report.hits)} FTP server start(s)" if report.hits
                      else "no FTP server started at boot")
    if not report.hits:
        report.examined.extend(boot_examined(ctx))
    return report


_DNSMASQ_TFTP = re.compile(r"^\s*enable-tftp\b")


@check(CheckSpec(
    id="IOTB-SVC-005",
    title="TFTP server started at boot",
    severity=Severity.HIGH,
    rationale="TFTP has no authentication at all: anyone on the network can fetch, and often "
              "write, files on the device.",
    remedy="Do not run a TFTP server on a shipped device; if one is needed for recovery, start it "
           "only on explicit, local user action.",
    provisions=provisions(etsi=("5.6-1", "5.6-5"), xiaomi=("2.2",),
                          tencent=("5.1.6-3", "5.3.2-4"), isvs=("V3.2.2", "V3.2.3")),
    cwe=(306,),
))
def find_tftp_server(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    dnsmasq_started = False
    for service in enabled_services(ctx):
        names = served_names(service)
        if service.name == "dnsmasq":
            dnsmasq_started = True
            if "--enable-tftp" in service.argv:
                names = names | {"tftpd"}
        if names & TFTP_NAMES:
            report.hits.append(Hit(message=f"TFTP server {describe(service)}.",
                                   path=service.source, root=service.root, line=service.line,
                                   excerpt=" ".join(service.argv)[:200]))
    if dnsmasq_started:
        for root in ctx.index.roots:
            dhcp = load_uci(ctx.index, "dhcp", root.label)
            for section in dhcp.of_type("dnsmasq") if dhcp else []:
                if section.get_bool("enable_tftp", False):
                    report.hits.append(Hit(
                        message="dnsmasq is started with its TFTP server enabled "
                                "(uci dhcp enable_tftp).",
                        path=dhcp.path if dhcp else None, root=root.label,
                        line=section.lines.get("enable_tftp")))
            for conf in listing(ctx).glob("/etc/dnsmasq.conf", "/etc/dnsmasq.d/*", root=root.label):
                for number, line, _ in grep(ctx.index, conf, _DNSMASQ_TFTP):
                    report.hits.append(Hit(message="dnsmasq is started with enable-tftp set.",
                                           path=conf.path, root=root.label, line=number,
                                           excerpt=line.strip()))
    report.summary = (f"{len(report.hits)} TFTP server(s) at boot" if report.hits
                      else "no TFTP server started at boot")
    if not report.hits:
        report.examined.extend(boot_examined(ctx))
    return report


CHECKS = (find_telnet_server, find_unauthenticated_shell, find_command_line_credentials,
          find_ftp_server, find_tftp_server)
