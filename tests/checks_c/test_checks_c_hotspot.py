"""IOTB-HOTSPOT-001 on hand-written OpenWrt uci and hostapd configurations; the expected lines
are those of the sections written below."""

from __future__ import annotations

from pathlib import Path

from checks_c_helpers import run, tree_context, where

from iotbaseline.checks.services import hotspot_bridge
from iotbaseline.model import OutcomeStatus

WIRELESS = """config wifi-device 'radio0'
\toption type 'mac80211'

config wifi-iface 'setup'
\toption device 'radio0'
\toption mode 'ap'
\toption ssid 'Cam-Setup'
\toption network 'lan'
"""
NETWORK_BRIDGED = """config interface 'lan'
\toption type 'bridge'
\toption ifname 'eth0'
\toption proto 'static'
"""
NETWORK_ISOLATED = """config interface 'lan'
\toption proto 'static'
\toption ipaddr '192.168.4.1'
"""
FIREWALL = """config zone
\toption name 'lan'
\toption network 'lan'

config zone
\toption name 'wan'
\toption network 'wan'

config forwarding
\toption src 'lan'
\toption dest 'wan'
"""


def test_bridged_and_forwarded_ap(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/config/wireless": WIRELESS,
                                  "/etc/config/network": NETWORK_BRIDGED,
                                  "/etc/config/firewall": FIREWALL})
    outcome, findings = run(hotspot_bridge.find_hotspot_bridged, ctx)
    assert outcome.status is OutcomeStatus.FAIL
    # the wifi-iface section (line 4) is bridged with eth0; the forwarding section is line 9
    assert where(findings) == [("/etc/config/wireless", 4), ("/etc/config/firewall", 9)]
    assert findings[0].properties["bridged_with"] == ["eth0"]
    assert findings[1].properties["forwarded_to"] == "wan"
    assert all(f.provisions == ["xiaomi-2.0:4.2.5"] for f in findings)


def test_isolated_ap_passes(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/config/wireless": WIRELESS,
                                  "/etc/config/network": NETWORK_ISOLATED,
                                  "/etc/config/firewall": FIREWALL.split("config forwarding")[0]})
    outcome, findings = run(hotspot_bridge.find_hotspot_bridged, ctx)
    assert findings == [] and outcome.status is OutcomeStatus.PASS


def test_hostapd_bridge_and_ip_forwarding(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {
        "/etc/hostapd.conf": "interface=wlan0\n#bridge=br1\nbridge=br0\nssid=Setup\n",
        "/etc/sysctl.conf": "net.ipv4.ip_forward=1\n"})
    _, findings = run(hotspot_bridge.find_hotspot_bridged, ctx)
    assert where(findings) == [("/etc/hostapd.conf", 3), ("/etc/sysctl.conf", 1)]


def test_no_access_point_is_not_applicable(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {"/etc/sysctl.conf": "net.ipv4.ip_forward=1\n"})
    outcome, findings = run(hotspot_bridge.find_hotspot_bridged, ctx)
    assert findings == [] and outcome.status is OutcomeStatus.NOT_APPLICABLE
