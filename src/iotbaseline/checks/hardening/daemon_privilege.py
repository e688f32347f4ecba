"""Least privilege of network daemons: which listeners keep running as root."""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.analysis.boot import Service, listing
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import (
    boot_examined,
    describe,
    network_services,
    provisions,
    service_evidence,
    text_lines,
)
from iotbaseline.model import Severity

# Need root to do their job (log users in, configure interfaces): reported by other checks.
ROOT_BY_DESIGN = frozenset({"sshd", "dropbear", "telnetd", "utelnetd", "in.telnetd", "inetd",
                            "xinetd", "tcpsvd", "udpsvd", "hostapd", "wpa_supplicant", "netifd",
                            "odhcpd", "udhcpc", "dhcpcd", "procd", "ubusd", "getty", "login"})
_USER_FLAGS = ("-u", "--user", "-U", "--uid", "--runas", "-user")


def _drops_privileges(ctx: CheckContext, service: Service) -> str | None:
    """How the daemon leaves root by itself, or None."""
    argv = service.argv
    for i, a in enumerate(argv):
        if a in _USER_FLAGS and i + 1 < len(argv) and argv[i + 1] not in ("root", "0"):
            return f"switches to {argv[i + 1]} ({a} {argv[i + 1]})"
        if a.startswith(("--user=", "--username=")) and a.split("=", 1)[1] not in ("root", "0"):
            return f"switches to {a.split('=', 1)[1]}"
    name = service.name
    if name == "dnsmasq":
        confs = [argv[i + 1] for i, a in enumerate(argv) if a in ("-C", "--conf-file")
                 and i + 1 < len(argv)] + ["/etc/dnsmasq.conf"]
        for conf in confs:
            entry = ctx.index.resolve(conf, service.root)
            if entry and any(re.match(r"^\s*user\s*=\s*root\b", ln)
                             for ln in text_lines(ctx.index, entry)):
                return None
        if "-u" in argv and "root" in argv:
            return None
        return "dnsmasq drops to the 'nobody' account after binding its ports by default"
    if name in ("mosquitto", "avahi-daemon", "nginx"):
        return f"{name} drops root after start-up by default"
    if name == "lighttpd":
        for conf_entry in listing(ctx).glob("/etc/lighttpd/lighttpd.conf", root=service.root):
            if any(re.match(r'^\s*server\.username\s*=\s*"(?!root")', ln)
                   for ln in text_lines(ctx.index, conf_entry)):
                return "server.username set in lighttpd.conf"
    return None


@check(CheckSpec(
    id="IOTB-PRIV-001",
    title="Network daemon runs as root",
    severity=Severity.MEDIUM,
    rationale="A bug in a daemon that faces the network gives an attacker the daemon's "
              "privileges; run as root, one overflow owns the device.",
    remedy="Start network daemons under a dedicated unprivileged account (procd user, "
           "start-stop-daemon -c, systemd User=), or have them drop root after binding.",
    provisions=provisions(etsi=("5.6-7",), xiaomi=("3.2.3",), tencent=("5.1.5-2",),
                          isvs=("V2.2.2", "V3.3.3")),
    cwe=(250,),
))
def find_root_daemons(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    for service in network_services(ctx):
        if service.name in ROOT_BY_DESIGN:
            continue
        if not service.runs_as_root:
            report.examined.append(service_evidence(service, f"runs as {service.user}"))
            continue
        drop = _drops_privileges(ctx, service)
        if drop:
            report.examined.append(service_evidence(service, drop))
            continue
        report.hits.append(Hit(
            message=f"Network daemon {service.name}: {describe(service)} with no user switch, "
                    f"so it runs as root.",
            path=service.source, root=service.root, line=service.line,
            excerpt=" ".join(service.argv)[:200],
            properties={"binary": service.binary}))
    report.inferred["network_services"] = sorted({s.name for s in network_services(ctx)})
    if report.inferred["network_services"]:
        first = network_services(ctx)[0]
        report.inferred["network_services_evidence"] = first.source
    report.summary = (f"{len(report.hits)} network daemon(s) run as root" if report.hits
                      else f"{len(network_services(ctx))} network daemon(s), none needlessly root")
    if not report.hits:
        report.examined.extend(boot_examined(ctx))
    return report


CHECKS = (find_root_daemons,)
