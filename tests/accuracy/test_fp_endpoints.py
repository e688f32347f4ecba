"""False-positive class 2 of issue 10: only URLs the device fetches or posts to are endpoints.
Built on the real Netgear WNR2000v5 and Linksys WRT54G images (unpacked by unsquashfs in
conftest.py); the expected URLs were read in the unpacked files by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from accuracy_images import context

from iotbaseline.checks.crypto.transport import binary_use, text_use
from iotbaseline.checks.runner import run_one
from iotbaseline.checks.crypto import transport

pytestmark = pytest.mark.corpus


def _urls(root: Path) -> dict[str, set[str]]:
    check = next(c for c in transport.CHECKS if c.spec.id == "IOTB-COMM-001")
    _, findings, _ = run_one(check, context(root))
    urls: dict[str, set[str]] = {}
    for f in findings:
        urls.setdefault(f.location.path or "", set()).add(f.properties["url"])
    return urls


def test_netgear_update_server_counts_and_description_links_do_not(netgear_root: Path) -> None:
    urls = _urls(netgear_root)
    # usr/sbin/uhttpd builds the firmware check URL ftp://updates1.netgear.com/%s/%s/fileinfo.txt
    assert any("updates1.netgear.com" in u for u in urls.get("/usr/sbin/uhttpd", set()))
    # usr/sbin/wget_netgear:14 runs `/usr/bin/wget ... http://www.netgear.com`
    assert "http://www.netgear.com" in urls.get("/usr/sbin/wget_netgear", set())
    # WPS description placeholders (etc/ath.orig/WSC.conf manufacturer_url=http://manufacturer.url.here)
    assert not any("url.here" in u for us in urls.values() for u in us)
    # sbin/generate_board_conf.sh:38 sets miniupnp_modelurl: a UPnP description field
    assert "/sbin/generate_board_conf.sh" not in urls
    # miniupnpd embeds the maker's homepage for its description XML; it never fetches it
    assert "/usr/sbin/miniupnpd" not in urls


def test_wrt54g_hnap_namespace_and_author_homepage_are_not_endpoints(wrt54g_root: Path) -> None:
    urls = _urls(wrt54g_root)
    # usr/sbin/httpd holds "http://purenetworks.com/HNAP1/" (the HNAP SOAP namespace)
    assert not any("purenetworks.com" in u for us in urls.values() for u in us)
    # usr/sbin/l2tpd names its author's homepage in its banner
    assert "/usr/sbin/l2tpd" not in urls
    # sbin/rc runs `wget http://checkip.dyndns.org -q -O /tmp/public_ip`: fetched over plain HTTP
    assert "http://checkip.dyndns.org" in urls.get("/sbin/rc", set())


@pytest.mark.parametrize(("path", "line", "use"), [
    ("/etc/opkg.conf", "src/gz packages http://downloads.example-vendor.net/packages", "feed"),
    ("/etc/config/ddns", "option update_url 'http://members.dyndns.org/nic/update'", "config"),
    ("/usr/bin/fetch.sh", "curl -s -o /tmp/fw.bin http://fw.vendor.net/fw.bin", "fetch"),
    ("/etc/templates/hnap/GetDeviceSettings.php", "<string>http://purenetworks.com/HNAP1/X</string>", None),
    ("/etc/wps.conf", "manufacturer_url=http://www.vendor.com", None),
    ("/htdocs/help.php", "<li>http://shopping.vendor.com</li>", None),
])
def test_text_use_rules(path: str, line: str, use: str | None) -> None:
    assert text_use(path, line, line.index("http")) == use


def test_binary_use_rules() -> None:
    assert binary_use("@(#)ipsec-tools 0.5.1 (http://ipsec-tools.sourceforge.net)",
                      "http://ipsec-tools.sourceforge.net", "endpoint") is None
    assert binary_use("wget http://echo.tzo.com -q -O /tmp/public_ip", "http://echo.tzo.com", "endpoint") == "fetch"
    assert binary_use("ftp://updates1.vendor.com/%s/fileinfo.txt", "ftp://updates1.vendor.com/%s/fileinfo.txt",
                      "update") == "purpose"
    assert binary_use("http://www.vendor.com/", "http://www.vendor.com/", "endpoint") is None
