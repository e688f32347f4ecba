"""Every sample string in signatures.yaml yields its expected version (and the data is sound)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

from iotbaseline.sbom import SbomError
from iotbaseline.sbom.kernel import hints_from_bytes
from iotbaseline.sbom.signatures import load_signatures, match_signature, parse_signatures

SIGS = load_signatures()

# The minimum list (name as we report it).
REQUIRED = {
    "busybox", "linux-kernel", "u-boot", "uclibc", "uclibc-ng", "musl", "glibc", "openssl",
    "mbedtls", "polarssl", "wolfssl", "dropbear", "openssh", "dnsmasq", "lighttpd", "uhttpd",
    "nginx", "boa", "goahead", "thttpd", "mini_httpd", "miniupnpd", "libupnp", "hostapd",
    "wpa_supplicant", "curl", "libcurl", "wget", "samba", "avahi", "bluez", "mosquitto", "ppp",
    "iptables", "zlib", "libpng", "libjpeg", "sqlite", "lua", "php", "python", "dbus", "ntp",
    "chrony", "pure-ftpd", "vsftpd", "net-snmp", "openvpn", "strongswan", "lwip",
}


# vendor media SDKs that NVD names only as hardware (their entries carry a cpe_note)
NO_CPE = {"hisilicon-mpp", "ingenic-imp"}


def _cases() -> list[tuple[str, dict]]:
    return [(s.name, t) for s in SIGS.signatures for t in s.tests]


def test_required_components_have_signatures() -> None:
    assert REQUIRED <= set(SIGS.by_name)


def test_every_signature_with_patterns_has_samples() -> None:
    for sig in SIGS.signatures:
        if sig.patterns or sig.path_patterns:
            assert sig.tests, f"{sig.name} has patterns but no tests"
        # a vendor SDK NVD does not name as software has no CPE, and the data must say why
        assert (sig.cpe_vendor and sig.cpe_product) or sig.name in NO_CPE, f"{sig.name} has no CPE"


@pytest.mark.parametrize(("name", "case"), _cases(), ids=lambda x: x if isinstance(x, str) else "")
def test_signature_sample(name: str, case: dict) -> None:
    sig = SIGS.by_name[name]
    expected = case["version"]
    if "path" in case:
        found = [v for s, v in SIGS.scan_path(case["path"]) if s.name == name]
        if sig.special == "kernel":
            found = [m.group(1) for rx in sig.path_patterns if (m := rx.match(case["path"]))]
        assert found[:1] == ([expected] if expected else [])
        return
    sample = case["sample"].encode("latin-1")
    if sig.special == "kernel":
        hints = hints_from_bytes(sig, sample, (case["method"],), "/x", None, None)
        assert [h.version for h in hints] == [expected]
        return
    if sig.requires:
        assert any(r in sample for r in sig.requires), f"sample for {name} lacks its required marker"
    versions = [m.version for m in match_signature(sig, sample)]
    assert versions[:1] == ([expected] if expected else [])


def test_scan_bytes_applies_anchor_and_requires() -> None:
    # a bare "1.4.10" between NULs means iptables only in an iptables binary that says so
    blob = b"\x001.4.10\x00"
    assert not [m for m in SIGS.scan_bytes(blob, "iptables")]
    assert [m.version for m in SIGS.scan_bytes(blob + b"iptables-save v%s", "iptables")] == ["1.4.10"]
    assert not SIGS.scan_bytes(blob + b"iptables-save v%s", "somethingelse")


def test_cpe_spelling_matches_nvd(nvd_dir: Path) -> None:
    """Vendor:product pairs we claim are NVD's must occur in NVD's own records."""
    seen: set[str] = set()
    for name in ("embedded-cves.jsonl.gz", "linux-kernel-cves.jsonl.gz"):
        with gzip.open(nvd_dir / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                for cfg in json.loads(line)["cve"].get("configurations", []):
                    for node in cfg["nodes"]:
                        for m in node["cpeMatch"]:
                            parts = m["criteria"].split(":")
                            seen.add(f"{parts[3]}:{parts[4]}")
    must = ["busybox", "dropbear", "dnsmasq", "iptables", "hostapd", "wpa_supplicant", "openssl",
            "linux-kernel", "openssh", "lighttpd", "miniupnpd", "libupnp", "zlib", "mbedtls",
            "wolfssl", "avahi", "bluez", "boa", "goahead", "thttpd", "mini_httpd", "lwip", "glibc",
            "samba", "libpng", "ppp", "nginx"]
    for name in must:
        sig = SIGS.by_name[name]
        assert f"{sig.cpe_vendor}:{sig.cpe_product}" in seen, name


def test_bad_signature_data_is_reported_with_its_name() -> None:
    with pytest.raises(SbomError, match="foo"):
        parse_signatures([{"name": "foo", "patterns": ["no group here"]}])
    with pytest.raises(SbomError, match="bar"):
        parse_signatures([{"name": "bar", "patterns": ["(unclosed"]}])
    with pytest.raises(SbomError, match="twice"):
        parse_signatures([{"name": "x"}, {"name": "x"}])
    assert yaml.safe_load("[]") == []
