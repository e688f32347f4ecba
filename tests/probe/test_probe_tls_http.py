"""TLS (sslyze) and the web interface: a SHA-1 self-signed, expired, 1024-bit, TLS 1.0
server with a bad web UI against a maker-CA-signed TLS 1.2+ server with a good one."""

from __future__ import annotations

import probe_servers as ps
import pytest
from conftest import findings_of, outcome_of, probe

TLS_CHECKS = ("IOTB-TLS-001", "IOTB-TLS-002", "IOTB-TLS-003", "IOTB-TLS-004", "IOTB-TLS-005",
              "IOTB-TLS-006", "IOTB-TLS-007")


@pytest.fixture(scope="module")
def bad_device(certs):  # type: ignore[no-untyped-def]
    plain = ps.serve_http(ps.HttpDevice(unauth_config=True, directory_listing=True))
    tls = ps.serve_http(ps.HttpDevice(), ps.bad_tls_context(certs["bad"]))
    result = probe((plain.server_address[1], tls.server_address[1]))
    yield result, plain.server_address[1], tls.server_address[1]
    plain.shutdown()
    tls.shutdown()


@pytest.fixture(scope="module")
def good_device(certs):  # type: ignore[no-untyped-def]
    tls = ps.serve_http(ps.HttpDevice(security_headers=True, server_header="web"),
                        ps.good_tls_context(certs["good"]))
    tls_port = tls.server_address[1]
    plain = ps.serve_http(ps.HttpDevice(redirect_to=f"https://127.0.0.1:{tls_port}",
                                        server_header="web"))
    result = probe((plain.server_address[1], tls_port), ca_file=certs["good"].ca)
    yield result, plain.server_address[1], tls_port
    plain.shutdown()
    tls.shutdown()


def test_bad_tls_findings(bad_device) -> None:  # type: ignore[no-untyped-def]
    result, _, tls_port = bad_device
    for check in TLS_CHECKS:
        found = findings_of(result, check)
        assert [f.location.port for f in found] == [tls_port], check
    assert "TLS 1.0" in findings_of(result, "IOTB-TLS-001")[0].message
    assert "SHA1" in findings_of(result, "IOTB-TLS-003")[0].message
    assert "tencent-qtx-001.1:5.2.3-3" in findings_of(result, "IOTB-TLS-003")[0].provisions
    assert "1024-bit RSA" in findings_of(result, "IOTB-TLS-004")[0].message
    assert "expired" in findings_of(result, "IOTB-TLS-005")[0].message
    assert "tencent-qtx-001.1:5.2.3-4" in findings_of(result, "IOTB-TLS-005")[0].provisions
    assert "self-signed" in findings_of(result, "IOTB-TLS-006")[0].message
    observation = next(o for o in result.observations if o.id == f"tls/{tls_port}")
    cert = observation.data["certificate"]
    assert (cert["signature_hash"], cert["key_bits"], cert["self_signed"]) == ("sha1", 1024, True)


def test_good_tls_passes(good_device) -> None:  # type: ignore[no-untyped-def]
    result, _, tls_port = good_device
    for check in TLS_CHECKS:
        assert findings_of(result, check) == [], check
        assert outcome_of(result, check) == "pass", check
    observation = next(o for o in result.observations if o.id == f"tls/{tls_port}")
    assert observation.data["versions"] == ["TLS 1.2", "TLS 1.3"]
    assert observation.data["certificate"]["trusted"] is True
    assert observation.data["certificate"]["signature_hash"] == "sha256"
    legacy = next(o for o in result.outcomes if o.check == "IOTB-TLS-001")
    assert "etsi-en-303-645:5.5-1" in legacy.provisions


def test_bad_web_interface(bad_device) -> None:  # type: ignore[no-untyped-def]
    result, plain_port, _ = bad_device
    assert [f.location.port for f in findings_of(result, "IOTB-HTTP-001")] == [plain_port]
    redirect = findings_of(result, "IOTB-HTTP-002")
    assert [f.location.port for f in redirect] == [plain_port]
    assert "tencent-qtx-001.1:5.2.3-5" in redirect[0].provisions
    unauth = findings_of(result, "IOTB-HTTP-003")
    assert [f.message.split(" ")[0] for f in unauth] == ["/cgi-bin/config.exp"]
    assert {"etsi-en-303-645:5.5-4", "xiaomi-2.0:3.1.5"} <= set(unauth[0].provisions)
    assert {f.location.port for f in findings_of(result, "IOTB-HTTP-004")} == {
        plain_port, bad_device[2]}
    assert [f.message.split(" ")[0] for f in findings_of(result, "IOTB-HTTP-005")] == ["/files/"]
    banner = findings_of(result, "IOTB-BANNER-001")
    assert any("lighttpd/1.4.35" in f.message for f in banner)


def test_good_web_interface(good_device) -> None:  # type: ignore[no-untyped-def]
    result, plain_port, tls_port = good_device
    for check in ("IOTB-HTTP-001", "IOTB-HTTP-002", "IOTB-HTTP-003", "IOTB-HTTP-004",
                  "IOTB-HTTP-005", "IOTB-BANNER-001"):
        assert findings_of(result, check) == [], check
        assert outcome_of(result, check) == "pass", check
    root = next(o for o in result.observations if o.id == f"http/{plain_port}/root")
    assert root.data["status"] == 301
    management = next(o for o in result.observations if o.id == f"http/{tls_port}/management")
    assert "/cgi-bin/config.exp" in management.data["protected"]


def test_default_credentials_on_web_form() -> None:
    bad = ps.serve_http(ps.HttpDevice(default_password="admin"))
    good = ps.serve_http(ps.HttpDevice())
    try:
        result = probe((bad.server_address[1], good.server_address[1]),
                       try_default_credentials=True, max_default_attempts=6)
    finally:
        bad.shutdown()
        good.shutdown()
    hits = findings_of(result, "IOTB-LOGIN-001")
    assert [f.location.port for f in hits] == [bad.server_address[1]]
    assert hits[0].properties["user"] == "admin" and hits[0].secret == "admin"
    assert "xiaomi-2.0:3.1.2" in hits[0].provisions


@pytest.mark.parametrize("device,protected", [
    (ps.HttpDevice(), False),
    (ps.HttpDevice(lockout=True), True),
    (ps.HttpDevice(delay_growth=True), True),
])
def test_lockout_on_web_form(device: ps.HttpDevice, protected: bool) -> None:
    server = ps.serve_http(device)
    port = server.server_address[1]
    try:
        result = probe((port,), test_lockout=True, correct_login=ps.CORRECT,
                       lockout_attempts=8, timeout=5.0)
    finally:
        server.shutdown()
    hits = findings_of(result, "IOTB-LOCKOUT-001")
    observation = next(o for o in result.observations if o.id == f"lockout/http-form/{port}")
    assert observation.data["protected"] is protected
    assert observation.data["correct_login_accepted_before"] is True
    if protected:
        assert hits == [] and outcome_of(result, "IOTB-LOCKOUT-001") == "pass"
    else:
        assert [f.location.port for f in hits] == [port]
        assert "etsi-en-303-645:5.1-5" in hits[0].provisions
        # 8 wrong logins + the one random login that shows what a failure looks like;
        # the correct login twice (before and after)
        assert (device.failures, device.logins_ok) == (9, 2)
    if device.lockout:
        # the failure-baseline login and two wrong ones make three failures: the third
        # wrong login gets 429
        assert observation.data["blocked_after"] == 3
        assert observation.data["correct_login_accepted_after"] is False
    if device.delay_growth:
        assert observation.data["delayed"] is True
