"""Management services and their settings: SSH login rules, SNMP communities, UPnP, ADB."""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.analysis.boot import listing
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import (
    boot_examined,
    describe,
    enabled_services,
    grep,
    provisions,
    root_password_field,
    service_evidence,
)
from iotbaseline.analysis.uci import load_uci
from iotbaseline.model import Evidence, Severity

# ---------------------------------------------------------------------------------------------
# SSH
# ---------------------------------------------------------------------------------------------

_SSHD_OPTION = re.compile(r"^\s*(PermitRootLogin|PasswordAuthentication|PermitEmptyPasswords)"
                          r"\s+(\S+)", re.IGNORECASE)


def _dropbear_problems(ctx: CheckContext, argv: tuple[str, ...],
                       root: str | None) -> tuple[list[str], bool]:
    """(problems, root can log in with a password)."""
    flags = set(argv[1:])
    problems: list[str] = []
    no_password = "-s" in flags
    no_root_password = "-g" in flags or no_password
    no_root = "-w" in flags
    root_password = not no_root and not no_root_password
    if not no_password:
        problems.append("accepts password logins (no -s)")
    if root_password:
        problems.append("lets root log in with a password (no -g or -w)")
    uci = load_uci(ctx.index, "dropbear", root)
    if uci is not None:
        for section in uci.of_type("dropbear"):
            for key in ("PasswordAuth", "RootPasswordAuth", "RootLogin"):
                if section.get(key) is not None and section.get_bool(key, True):
                    problems.append(f"{uci.path}:{section.lines.get(key)} sets {key} "
                                    f"'{section.get(key)}'")
    return problems, root_password


@check(CheckSpec(
    id="IOTB-SVC-006",
    title="SSH server allows root or password login",
    severity=Severity.MEDIUM,
    rationale="An SSH server that accepts root logins with a password (worse: an empty one) is "
              "open to password guessing on every unit; keys or per-device credentials and a "
              "non-root login limit the damage.",
    remedy="Disable root password login (dropbear -g/-w, PermitRootLogin prohibit-password), "
           "prefer keys, never permit empty passwords, and keep SSH off unless the user enables it.",
    provisions=provisions(etsi=("5.6-5", "5.6-7"), xiaomi=("2.2", "3.1.2"),
                          tencent=("5.1.6-3", "5.3.2-2"), isvs=("V3.2.2", "V2.2.2")),
    cwe=(287,),
))
def find_ssh_login_settings(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    for service in enabled_services(ctx):
        if service.name not in ("dropbear", "sshd"):
            continue
        shadow = root_password_field(ctx.index, "/etc/shadow", service.root)
        empty_root = shadow == ""
        if service.name == "dropbear":
            problems, root_password = _dropbear_problems(ctx, service.argv, service.root)
            if not problems:
                report.examined.append(service_evidence(service, "dropbear with -s/-g/-w"))
                continue
            severity = Severity.MEDIUM if root_password else Severity.LOW
            message = f"SSH server {describe(service)} " + "; ".join(problems) + "."
        else:
            settings: dict[str, tuple[str, str, int]] = {}
            for conf in listing(ctx).glob("/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/*",
                                       root=service.root):
                for number, line, m in grep(ctx.index, conf, _SSHD_OPTION):
                    settings.setdefault(m.group(1).lower(), (m.group(2).lower(), conf.path,
                                                             number))
            problems = []
            for key, bad in (("permitrootlogin", "yes"), ("permitemptypasswords", "yes"),
                             ("passwordauthentication", "yes")):
                value = settings.get(key)
                if value and value[0] == bad:
                    problems.append(f"{value[1]}:{value[2]} sets {key} {bad}")
            password_off = settings.get("passwordauthentication", ("yes",))[0] == "no"
            if not password_off and "passwordauthentication" not in settings:
                problems.append("password authentication is on (OpenSSH default)")
            if not problems:
                report.examined.append(service_evidence(service, "sshd_config checked"))
                continue
            joined = " ".join(problems)
            severity = (Severity.HIGH if "permitemptypasswords" in joined else
                        Severity.MEDIUM if "permitrootlogin" in joined and not password_off
                        else Severity.LOW)
            message = f"SSH server {describe(service)}: " + "; ".join(problems) + "."
        if empty_root:
            message += " Root has an empty password in /etc/shadow."
            severity = Severity.HIGH
        report.hits.append(Hit(message=message, path=service.source, root=service.root,
                               line=service.line, excerpt=" ".join(service.argv)[:200],
                               severity=severity))
    report.summary = (f"{len(report.hits)} SSH server(s) allow root/password login"
                      if report.hits else "no SSH server with root or password login at boot")
    return report


# ---------------------------------------------------------------------------------------------
# SNMP
# ---------------------------------------------------------------------------------------------

_SNMP_LINE = re.compile(r"^\s*(rocommunity6?|rwcommunity6?|com2sec6?\s+\S+\s+\S+)\s+"
                        r"(public|private)\b", re.IGNORECASE)
_SNMP_FILES = ("/etc/snmp/snmpd.conf", "/etc/snmpd.conf", "/usr/share/snmp/snmpd.conf",
               "/var/net-snmp/snmpd.conf")


@check(CheckSpec(
    id="IOTB-SVC-007",
    title="SNMP with default community strings",
    severity=Severity.HIGH,
    rationale="SNMP communities are passwords sent in clear; 'public' and 'private' are the "
              "first thing every scanner tries, and a write community gives control of the device.",
    remedy="Disable SNMP by default; if it is needed use SNMPv3 with per-device credentials, or "
           "at least a unique read-only community.",
    provisions=provisions(etsi=("5.1-1", "5.6-5"), xiaomi=("2.2", "3.2.2"),
                          tencent=("5.1.6-3", "5.3.2-3"), isvs=("V3.2.2", "V2.1.8")),
    cwe=(1392,),
))
def find_snmp_default_community(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    started = {s.root for s in enabled_services(ctx) if s.name in ("snmpd", "mini_snmpd")}
    for service in enabled_services(ctx):
        if service.name == "mini_snmpd":
            argv = service.argv
            for i, a in enumerate(argv):
                if a == "-c" and i + 1 < len(argv) and argv[i + 1] in ("public", "private"):
                    report.hits.append(Hit(
                        message=f"{describe(service)} uses community '{argv[i + 1]}'.",
                        path=service.source, root=service.root, line=service.line,
                        excerpt=" ".join(argv)[:200]))
    for root in ctx.index.roots:
        live = root.label in started
        for conf in listing(ctx).glob(*_SNMP_FILES, root=root.label):
            report.examined.append(Evidence(kind="file", ref=conf.path, detail="SNMP config"))
            for number, line, m in grep(ctx.index, conf, _SNMP_LINE):
                write = m.group(1).lower().startswith("rw") or m.group(2).lower() == "private"
                report.hits.append(Hit(
                    message=(f"SNMP {'write' if write else 'read'} community "
                             f"'{m.group(2)}' configured"
                             + ("" if live else " (snmpd is not started at boot)") + "."),
                    path=conf.path, root=root.label, line=number, excerpt=line.strip(),
                    severity=(Severity.HIGH if write else Severity.MEDIUM) if live
                    else Severity.LOW))
        for package in ("snmpd", "mini_snmpd"):
            uci = load_uci(ctx.index, package, root.label)
            for section in uci.sections if uci else []:
                community = section.get("community")
                if community in ("public", "private"):
                    report.hits.append(Hit(
                        message=f"SNMP community '{community}' in {uci.path if uci else ''}"
                                + ("" if live else " (SNMP is not started at boot)") + ".",
                        path=uci.path if uci else None, root=root.label,
                        line=section.lines.get("community"),
                        severity=Severity.HIGH if live else Severity.LOW))
    report.summary = (f"{len(report.hits)} default SNMP communit(y/ies)" if report.hits
                      else "no default SNMP community found")
    return report


# ---------------------------------------------------------------------------------------------
# UPnP
# ---------------------------------------------------------------------------------------------

UPNP_NAMES = frozenset({"miniupnpd", "upnpd", "upnp", "igd", "linux-igd", "bcmupnp", "wscupnp"})


@check(CheckSpec(
    id="IOTB-SVC-008",
    title="UPnP IGD daemon started at boot",
    severity=Severity.MEDIUM,
    rationale="UPnP lets any program on the LAN open ports in the router without "
              "authentication; it has a long record of remotely exploitable bugs.",
    remedy="Ship UPnP disabled; if offered, enable secure mode so clients can only map ports to "
           "themselves, and never listen on the WAN side.",
    provisions=provisions(etsi=("5.6-1", "5.6-5"), xiaomi=("2.2",), tencent=("5.1.6-3",),
                          isvs=("V3.2.2",)),
    cwe=(306,),
))
def find_upnp_daemon(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    for service in enabled_services(ctx):
        if service.name not in UPNP_NAMES:
            continue
        message = f"UPnP daemon {describe(service)}."
        uci = load_uci(ctx.index, "upnpd", service.root)
        if uci is not None:
            for section in uci.of_type("upnpd"):
                if section.get("secure_mode") is not None and not section.get_bool(
                        "secure_mode", True):
                    message += f" Secure mode is off ({uci.path}:{section.lines['secure_mode']})."
        report.hits.append(Hit(message=message, path=service.source, root=service.root,
                               line=service.line, excerpt=" ".join(service.argv)[:200]))
    report.summary = (f"{len(report.hits)} UPnP daemon(s) at boot" if report.hits
                      else "no UPnP daemon started at boot")
    if not report.hits:
        report.examined.extend(boot_examined(ctx))
    return report


# ---------------------------------------------------------------------------------------------
# ADB on Linux/Android init
# ---------------------------------------------------------------------------------------------


@check(CheckSpec(
    id="IOTB-SVC-009",
    title="ADB daemon started at boot",
    severity=Severity.HIGH,
    rationale="adbd gives a shell, file transfer and app installation over USB or the network; "
              "left on in a shipped device it is a debug door for anyone with a cable or LAN "
              "access.",
    remedy="Do not start adbd in production builds, or require ADB authentication "
           "(ro.adb.secure=1) and keep it off the network.",
    provisions=provisions(etsi=("5.6-1", "5.6-4", "5.6-5"), xiaomi=("1.1.1", "2.2"),
                          tencent=("5.1.6-3",), isvs=("V2.2.4", "V3.2.2")),
    cwe=(489,),
))
def find_adb_daemon(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    for service in enabled_services(ctx):
        if service.name != "adbd":
            continue
        tcp = any("tcp" in a for a in service.argv)
        report.hits.append(Hit(message=f"ADB daemon {describe(service)}"
                                       + (" and listens on TCP." if tcp else "."),
                               path=service.source, root=service.root, line=service.line,
                               excerpt=" ".join(service.argv)[:200],
                               severity=Severity.CRITICAL if tcp else Severity.HIGH))
    report.summary = (f"{len(report.hits)} adbd start(s)" if report.hits
                      else "adbd is not started at boot")
    if not report.hits:
        report.examined.extend(boot_examined(ctx))
    return report


CHECKS = (find_ssh_login_settings, find_snmp_default_community, find_upnp_daemon,
          find_adb_daemon)
