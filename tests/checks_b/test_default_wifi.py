"""IOTB-WIFI-002: default Wi-Fi credentials judged by whether a started hostapd reads them."""

from __future__ import annotations

from pathlib import Path

from checks_b_helpers import Link, run, tree_context, where

from iotbaseline.checks.crypto import wifi
from iotbaseline.model import OutcomeStatus, Severity

BASE = {"/bin/busybox": b"\x7fELF", "/bin/sh": Link("busybox"), "/usr/sbin/hostapd": b"\x7fELF",
        "/etc/inittab": "::sysinit:/etc/init.d/rcS\n"}
AP = "interface=wlan0\nssid=Setup\nwpa=2\nwpa_passphrase=12345678\n"


def test_started_hostapd_with_fixed_passphrase(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {**BASE, "/etc/hostapd-ap.conf": AP,
                                  "/etc/init.d/rcS": "#!/bin/sh\nhostapd -B /etc/hostapd-ap.conf\n"})
    outcome, findings, _ = run(wifi.find_default_wifi_credentials, ctx)
    assert outcome.status == OutcomeStatus.FAIL
    assert where(findings) == [("/etc/hostapd-ap.conf", 4)]
    f = findings[0]
    assert f.secret == "12345678" and f.severity == Severity.HIGH
    assert all("12345678" not in (e.excerpt or "") + e.detail for e in f.evidence)
    assert "12345678" not in f.message and "trivial numeric" in f.message
    assert "etsi-en-303-645:5.1-1" in f.provisions


def test_unused_sample_is_low(tmp_path: Path) -> None:
    ctx = tree_context(tmp_path, {**BASE, "/usr/share/sdk/hostapd-sample.conf": AP,
                                  "/etc/init.d/rcS": "#!/bin/sh\nhostapd -B /etc/other.conf\n"})
    _, findings, _ = run(wifi.find_default_wifi_credentials, ctx)
    assert where(findings) == [("/usr/share/sdk/hostapd-sample.conf", 4)]
    assert findings[0].severity == Severity.LOW and "unused file" in findings[0].message


def test_open_setup_ap_and_no_secret_when_protected_by_variable(tmp_path: Path) -> None:
    open_ap = "interface=wlan0\nssid=Drone_FPV\nchannel=36\n"
    ctx = tree_context(tmp_path, {**BASE, "/app/rtl_hostapd_5G.conf": open_ap,
                                  "/etc/init.d/rcS": "#!/bin/sh\nhostapd -B /app/rtl_hostapd_5G.conf\n"})
    _, findings, _ = run(wifi.find_default_wifi_credentials, ctx)
    assert [(f.location.path, f.properties["setting"]) for f in findings] == [("/app/rtl_hostapd_5G.conf", "open")]
    assert findings[0].severity == Severity.HIGH
    templ = "interface=wlan0\nssid=X\nwpa=2\nwpa_passphrase=$PSK\n"
    ctx = tree_context(tmp_path / "b", {**BASE, "/etc/hostapd-ap.conf": templ,
                                        "/etc/init.d/rcS": "#!/bin/sh\nhostapd /etc/hostapd-ap.conf\n"})
    _, findings, _ = run(wifi.find_default_wifi_credentials, ctx)
    assert findings == []


def test_app_config_with_empty_ap_password(tmp_path: Path) -> None:
    xml = "<Config>\n<ApSsid>Drone_</ApSsid><ApPwd></ApPwd>\n<StaPwd></StaPwd>\n</Config>\n"
    ctx = tree_context(tmp_path, {**BASE, "/app/config.xml": xml, "/app/app_main": b"\x7fELF",
                                  "/etc/init.d/rcS": "#!/bin/sh\n/app/app_main /app/config.xml &\n"})
    _, findings, _ = run(wifi.find_default_wifi_credentials, ctx)
    assert where(findings) == [("/app/config.xml", 2)]
    assert findings[0].properties["setting"] == "open" and findings[0].severity == Severity.HIGH
    assert "etsi-en-303-645:5.5-1" in findings[0].provisions
