"""Whether the image sets up packet filtering at boot, and how its WAN side is treated."""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.analysis.boot import Service, listing
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import boot_examined, enabled_services, provisions, text_lines
from iotbaseline.analysis.uci import load_uci
from iotbaseline.analysis.vendor_programs import vendor_facts
from iotbaseline.model import Evidence, Severity

FILTER_PROGRAMS = frozenset({"iptables", "ip6tables", "iptables-restore", "ip6tables-restore",
                             "nft", "fw3", "fw4", "ufw", "firewalld", "ebtables",
                             "iptables-legacy", "iptables-nft", "xtables-multi",
                             "xtables-legacy-multi", "xtables-nft-multi"})
RULE_FILES = ("/etc/iptables/rules.v4", "/etc/iptables/rules.v6", "/etc/sysconfig/iptables",
              "/etc/iptables.rules", "/etc/iptables.up.rules", "/etc/nftables.conf",
              "/etc/nftables/*.nft", "/etc/firewall.user", "/etc/ufw/ufw.conf")
_BLOCKING = re.compile(r"(-P\s+INPUT\s+(DROP|REJECT)|-j\s+(DROP|REJECT)|policy\s+drop|"
                       r"\b(drop|reject)\b\s*;?\s*$|^:INPUT\s+DROP|ENABLED\s*=\s*yes)", re.IGNORECASE)
_ACCEPT_ALL = re.compile(r"-P\s+INPUT\s+ACCEPT", re.IGNORECASE)


def _rule_service(service: Service) -> bool:
    return service.name in FILTER_PROGRAMS or (
        service.name in ("busybox",) and len(service.argv) > 1 and service.argv[1] in FILTER_PROGRAMS)


@check(CheckSpec(
    id="IOTB-FW-001",
    title="No packet filter set up at boot",
    severity=Severity.MEDIUM,
    rationale="A device that listens on several ports should drop unsolicited traffic from "
              "untrusted networks by default; without a filter every service is exposed to "
              "every interface.",
    remedy="Install and enable a default-deny input policy for WAN-facing interfaces (OpenWrt "
           "zone wan input REJECT/DROP, iptables -P INPUT DROP, nftables policy drop) at boot.",
    provisions=provisions(etsi=("5.6-1", "5.6-5"), xiaomi=("2.2",), tencent=("5.3.2-1",),
                          isvs=("V3.2.1", "V3.2.2")),
    cwe=(284,),
))
def find_missing_firewall(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    evidence: list[Evidence] = []
    services = enabled_services(ctx)
    for root in ctx.index.roots:
        label = root.label
        uci = load_uci(ctx.index, "firewall", label)
        started = [s for s in services if s.root == label and _rule_service(s)]
        engine = any(ctx.index.get(p, label) for p in ("/sbin/fw3", "/sbin/fw4", "/usr/sbin/fw3",
                                                       "/usr/sbin/fw4", "/lib/firewall/core.sh"))
        enabled_script = listing(ctx).glob("/etc/rc.d/S*firewall", root=label)
        if uci is not None and (enabled_script or any(s.name in ("fw3", "fw4") for s in started)):
            zones = uci.of_type("zone")
            wan = [z for z in zones if z.get("name") == "wan" or "wan" in (z.get("network") or "")]
            if not engine:
                report.hits.append(Hit(message=f"{uci.path} exists but no firewall program "
                                               f"(fw3/fw4) is in the image to apply it.",
                                       path=uci.path, root=label, confidence="medium"))
            for zone in wan:
                policy = (zone.get("input") or "").upper()
                if policy in ("REJECT", "DROP"):
                    evidence.append(Evidence(kind="file", ref=uci.path, line=zone.lines.get("input"),
                                             detail=f"zone {zone.get('name')} input {policy}, "
                                                    f"applied at boot by the enabled firewall "
                                                    f"script"))
                else:
                    report.hits.append(Hit(
                        message=f"{uci.path}: WAN zone '{zone.get('name')}' accepts incoming "
                                f"traffic (input {policy or 'unset'}).",
                        path=uci.path, root=label, line=zone.lines.get("input", zone.line),
                        severity=Severity.HIGH))
            if not wan:
                report.hits.append(Hit(message=f"{uci.path} defines no WAN zone, so no "
                                               f"interface gets a restrictive input policy.",
                                       path=uci.path, root=label, line=None,
                                       confidence="medium"))
        for service in started:
            if service.name in ("fw3", "fw4"):
                continue
            joined = " ".join(service.argv)
            if _ACCEPT_ALL.search(joined):
                continue
            if _BLOCKING.search(joined):
                evidence.append(Evidence(kind="file", ref=service.source, line=service.line,
                                         detail="filter rule set at boot", excerpt=joined[:200]))
            elif service.name in ("iptables-restore", "ip6tables-restore", "nft", "ufw",
                                  "firewalld"):
                for entry in listing(ctx).glob(*RULE_FILES, root=label):
                    for number, line in enumerate(text_lines(ctx.index, entry), start=1):
                        if _BLOCKING.search(line) and not line.lstrip().startswith("#"):
                            evidence.append(Evidence(kind="file", ref=entry.path, line=number,
                                                     detail=f"rules loaded by {service.name}",
                                                     excerpt=line.strip()[:200]))
                            break
    report.examined.extend(evidence)
    vendor = () if evidence or report.hits else vendor_facts(ctx).firewall
    if vendor:  # rules built by a vendor daemon or template: not absent (issue 10, class 1)
        report.examined.extend(vendor)
        report.inferred["firewall_at_boot"] = True
        report.inferred["firewall_at_boot_evidence"] = vendor[0].ref
        report.summary = ("packet-filter rules are built by vendor programs or templates: "
                          + "; ".join(e.ref for e in vendor[:3]) + " (their default policy is "
                          "not read statically)")
        return report
    if not evidence and not report.hits:
        report.hits.append(Hit(
            message="No packet filtering is set up at boot: no enabled firewall configuration "
                    "(OpenWrt firewall, iptables/nftables rules) was found among the started "
                    "services.",
            confidence="low",  # absence: the rules may live in a vendor daemon (docs/verdicts.md)
            properties={"absence": True, "question": (
                "Which program sets up packet filtering on the device (e.g. iptables rules "
                "applied by a vendor daemon), and what does it block by default?")}))
        report.examined.extend(boot_examined(ctx))
    report.inferred["firewall_at_boot"] = bool(evidence)
    if evidence:
        report.inferred["firewall_at_boot_evidence"] = evidence[0].ref
    report.summary = ("packet filtering set up at boot: " + "; ".join(
        f"{e.ref} ({e.detail})" for e in evidence[:3]) if evidence else
        "no packet filtering set up at boot") + (f"; {len(report.hits)} problem(s)"
                                                  if report.hits else "")
    return report


CHECKS = (find_missing_firewall,)
