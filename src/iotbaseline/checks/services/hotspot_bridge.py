"""The device's own Wi-Fi access point joined to other networks: an AP bridged with a wired
interface, an AP network that the firewall forwards to another zone (OpenWrt uci), a hostapd AP
put on a bridge, or IP forwarding switched on in an image that runs an AP.

A set-up hotspot should reach the device itself only; a router's AP reaching the LAN is its job,
which is why Xiaomi makes the requirement conditional (``device_opens_wifi_hotspot``).
"""

from __future__ import annotations

import re

from iotbaseline.checks.base import CheckReport, CheckSpec, Hit, check
from iotbaseline.analysis.boot import listing
from iotbaseline.checks.context import CheckContext
from iotbaseline.checks.services.common import provisions, text_lines
from iotbaseline.analysis.uci import UciPackage, UciSection, load_uci
from iotbaseline.checks.textscan import TextFile, excerpt, is_comment, text_files
from iotbaseline.model import Evidence, Severity

_HOSTAPD_INTERFACE = re.compile(r"(?m)^\s*interface\s*=\s*(\S+)")
_HOSTAPD_BRIDGE = re.compile(r"(?m)^\s*bridge\s*=\s*(\S+)")
_FORWARD_SYSCTL = re.compile(r"^\s*net[./]ipv4[./]ip_forward\s*=\s*1\b")
SYSCTL_FILES = ("/etc/sysctl.conf", "/etc/sysctl.d/*", "/usr/lib/sysctl.d/*", "/lib/sysctl.d/*")


def _hostapd_configs(ctx: CheckContext) -> list[TextFile]:
    return [tf for tf in text_files(ctx)
            if "hostapd" in tf.path.rsplit("/", 1)[-1] and tf.entry.kind != "script"
            and _HOSTAPD_INTERFACE.search(tf.text)]


def _bridge_members(network: UciPackage, name: str) -> list[str]:
    """Wired ports of the OpenWrt interface ``name`` when it is a bridge (old and new syntax)."""
    iface = network.named(name)
    if iface is None:
        return []
    if (iface.get("type") or "") == "bridge":
        return (iface.get("ifname") or "").split()
    device = iface.get("device") or ""
    for section in network.of_type("device"):
        if section.get("name") == device and (section.get("type") or "") == "bridge":
            return (section.get("ports") or "").split()
    return []


def _zone_of(firewall: UciPackage, net: str) -> UciSection | None:
    for zone in firewall.of_type("zone"):
        networks = (zone.get("network") or "").split()
        if net in networks or (not networks and zone.get("name") == net):
            return zone
    return None


def _openwrt_hits(ctx: CheckContext, report: CheckReport) -> int:
    wireless = load_uci(ctx.index, "wireless")
    if wireless is None:
        return 0
    aps = [s for s in wireless.of_type("wifi-iface")
           if (s.get("mode") or "") == "ap" and not s.get_bool("disabled", False)]
    network = load_uci(ctx.index, "network")
    firewall = load_uci(ctx.index, "firewall")
    for ap in aps:
        label = ap.get("ssid") or ap.name or f"line {ap.line}"
        for net in (ap.get("network") or "lan").split():
            ports = _bridge_members(network, net) if network else []
            if ports:
                report.hits.append(Hit(
                    message=f"Access point {label!r} joins network {net!r}, a bridge with the "
                            f"wired port(s) {', '.join(ports)}: its clients reach that LAN.",
                    path=wireless.path, line=ap.line, excerpt=f"wifi-iface mode ap network {net}",
                    properties={"network": net, "bridged_with": ports}))
            zone = _zone_of(firewall, net) if firewall else None
            if firewall is None or zone is None:
                continue
            src = zone.get("name")
            for fwd in firewall.of_type("forwarding"):
                if fwd.get("src") == src and fwd.get_bool("enabled", True) and fwd.get("dest"):
                    report.hits.append(Hit(
                        message=f"Access point {label!r} is on network {net!r} (zone {src}), "
                                f"which the firewall forwards to zone {fwd.get('dest')}.",
                        path=firewall.path, line=fwd.line,
                        excerpt=f"forwarding src {src} dest {fwd.get('dest')}",
                        properties={"network": net, "forwarded_to": fwd.get("dest")}))
    return len(aps)


@check(CheckSpec(
    id="IOTB-HOTSPOT-001",
    title="Device's own access point reaches other networks",
    severity=Severity.MEDIUM,
    rationale="Whoever joins the device's own hotspot (often open or with a printed key during "
              "set-up) should reach the device only; an AP bridged with the LAN or forwarded "
              "to the Internet lets them into the home network or out through it.",
    remedy="Keep the set-up AP on its own isolated network: no bridge with wired ports, no "
           "forwarding to other zones, IP forwarding off.",
    provisions=provisions(xiaomi=("4.2.5",)),
    applies_to="rootfs",
    cwe=(923,),
    tags=("wifi", "network"),
))
def find_hotspot_bridged(ctx: CheckContext) -> CheckReport:
    report = CheckReport()
    uci_aps = _openwrt_hits(ctx, report)
    hostapd = _hostapd_configs(ctx)
    for tf in hostapd:
        m = _HOSTAPD_BRIDGE.search(tf.text)
        if m and not is_comment(tf.line_text(m.start())):
            line = tf.line_number(m.start())
            report.hits.append(Hit(
                message=f"{tf.path} puts the access point on bridge {m.group(1)}, joining it "
                        "with the bridge's other interfaces.",
                path=tf.path, root=tf.root, line=line, excerpt=excerpt(tf.line_text(m.start())),
                properties={"bridge": m.group(1)}))
    if not uci_aps and not hostapd:
        return CheckReport(not_applicable="no Wi-Fi access point configured in the image")
    for entry in listing(ctx).glob(*SYSCTL_FILES):
        if entry.kind == "directory":
            continue
        for number, text in enumerate(text_lines(ctx.index, entry), start=1):
            if _FORWARD_SYSCTL.match(text):
                report.hits.append(Hit(
                    message=f"{entry.path}:{number} turns IP forwarding on in an image that runs "
                            "an access point: AP clients can be routed to other networks.",
                    path=entry.path, root=entry.root, line=number, excerpt=text.strip()))
    report.examined.append(Evidence(
        kind="note", ref="access-point",
        detail=f"{uci_aps} OpenWrt AP interface(s) and {len(hostapd)} hostapd configuration(s) "
               "checked for bridges, firewall forwarding and IP forwarding"))
    report.summary = (f"{len(report.hits)} way(s) the access point reaches other networks"
                      if report.hits else "the access point stays on its own network")
    return report


CHECKS = (find_hotspot_bridged,)
