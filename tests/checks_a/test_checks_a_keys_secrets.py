"""Keys, certificates and secrets (IOTB-KEY/CERT/SECRET) on trees built here."""

from __future__ import annotations

import datetime as dt
import struct

from checks_a_helpers import run, where
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from iotbaseline.checks.secrets import certificates as cert_x509

from iotbaseline.checks.secrets import private_keys as secret_keys

from iotbaseline.checks.secrets import tokens as secret_tokens
from iotbaseline.model import OutcomeStatus


def _pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _ssh_string(b: bytes) -> bytes:
    return struct.pack(">I", len(b)) + b


def _mpint(n: int) -> bytes:
    raw = n.to_bytes((n.bit_length() + 8) // 8, "big")
    return _ssh_string(raw)


def _dropbear_rsa(key: rsa.RSAPrivateKey) -> bytes:
    nums = key.private_numbers()
    pub = nums.public_numbers
    return (_ssh_string(b"ssh-rsa") + _mpint(pub.e) + _mpint(pub.n) + _mpint(nums.d)
            + _mpint(nums.p) + _mpint(nums.q))


def test_private_keys_pem_and_in_binary(tree):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    binary = b"\x7fELF\x01\x01\x01" + b"\x00" * 40 + _pem(ec_key).encode() + b"\x00tail"
    index = tree({"/etc/ssl/private/device.pem": "# device key\n" + _pem(rsa_key),
                  "/usr/bin/cloudd": binary})
    _, findings = run(secret_keys.find_private_keys, index)
    by_path = {f.location.path: f for f in findings}
    assert sorted(by_path) == ["/etc/ssl/private/device.pem", "/usr/bin/cloudd"]
    assert by_path["/etc/ssl/private/device.pem"].location.line == 2
    assert by_path["/etc/ssl/private/device.pem"].properties["bits"] == 1024
    assert by_path["/usr/bin/cloudd"].properties["algorithm"] == "EC secp256r1"
    assert by_path["/usr/bin/cloudd"].location.offset == 47


def test_placeholder_and_public_keys_are_not_private_keys(tree):
    pub = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    index = tree({"/etc/ssl/pub.pem": pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        "/etc/doc.txt": "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n"})
    outcome, findings = run(secret_keys.find_private_keys, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_dropbear_host_key_parsed_and_empty_ones_ignored(tree):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    index = tree({"/etc/dropbear/dropbear_rsa_host_key": _dropbear_rsa(key),
                  "/etc/dropbear/dropbear_dss_host_key": b""})
    _, findings = run(secret_keys.find_ssh_host_keys, index)
    assert where(findings) == [("/etc/dropbear/dropbear_rsa_host_key", None)]
    assert findings[0].properties["bits"] == 2048 and findings[0].properties["format"] == "dropbear"


def test_empty_dropbear_host_keys_give_no_finding(tree):
    index = tree({"/etc/dropbear/dropbear_rsa_host_key": b"",
                  "/etc/dropbear/dropbear_dss_host_key": b""})
    for c in (secret_keys.find_ssh_host_keys, secret_keys.find_private_keys):
        outcome, findings = run(c, index)
        assert findings == [] and outcome.status == OutcomeStatus.PASS
        assert any("placeholder" in e.detail for e in outcome.evidence)


def _cert(key, subject: str, issuer_key=None, days=(-10, 365), algo=None, ca=False):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(key.public_key()).serial_number(1)
               .not_valid_before(now + dt.timedelta(days=days[0]))
               .not_valid_after(now + dt.timedelta(days=days[1]))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return builder.sign(issuer_key or key, algo or hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def test_weak_certificate(tree):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    index = tree({"/etc/ssl/device.crt": _cert(small, "device", days=(-400, -30))})
    _, findings = run(cert_x509.find_weak_certificates, index)
    assert where(findings) == [("/etc/ssl/device.crt", 1)]
    problems = findings[0].properties["problems"]
    assert any(p.startswith("expired") for p in problems)
    assert "1024-bit RSA key" in problems and any(p.startswith("self-signed") for p in problems)


def test_good_ca_certificate_passes(tree):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    index = tree({"/etc/ssl/ca.crt": _cert(key, "Maker Root CA", ca=True)})
    outcome, findings = run(cert_x509.find_weak_certificates, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_cloud_credentials_in_config_and_binary(tree):
    index = tree({
        "/etc/cloud.conf": "region=cn-hangzhou\naccess_key_id=LTAI5tQ9XyZabcdEFGH12345\n"
                           "mqtt_password=Sup3rMqtt\n",
        "/usr/bin/uploader": b"\x7fELF\x00\x00junk\x00AKIAQWERTYUIOPASDFGH\x00more\x00",
        "/etc/example.conf": "aws_key=AKIAIOSFODNN7EXAMPLE\n"})
    _, findings = run(secret_tokens.find_cloud_credentials, index)
    got = sorted((f.location.path, f.location.line, f.location.offset, f.properties["pattern"])
                 for f in findings)
    assert got == [("/etc/cloud.conf", 2, None, "alibaba-accesskey-id"),
                   ("/etc/cloud.conf", 3, None, "mqtt-password"),
                   ("/usr/bin/uploader", None, 11, "aws-access-key-id")]
    assert all(f.secret and f.secret not in (f.evidence[0].excerpt or "") for f in findings)


def test_no_cloud_credentials(tree):
    index = tree({"/etc/cloud.conf": "region=cn-hangzhou\nendpoint=iot.example.net\n"})
    outcome, findings = run(secret_tokens.find_cloud_credentials, index)
    assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_wifi_psk_and_zigbee_key(tree):
    index = tree({
        "/etc/hostapd.conf": "interface=wlan0\nssid=Cam\nwpa=2\nwpa_passphrase=12345678\n",
        "/etc/config/wireless": "config wifi-iface\n\toption ssid 'x'\n\toption key 'Fixed-PSK-99'\n",
        "/usr/bin/zbgw": b"\x00\x01ZigBeeAlliance09\x00",
        "/etc/zb.conf": "tc_link_key=5A6967426565416C6C69616E63653039\n"})
    _, psk = run(secret_tokens.find_wifi_psks, index)
    assert sorted(where(psk)) == [("/etc/config/wireless", 3), ("/etc/hostapd.conf", 4)]
    _, zb = run(secret_tokens.find_zigbee_default_key, index)
    assert sorted((f.location.path, f.location.line, f.location.offset) for f in zb) == [
        ("/etc/zb.conf", 1, None), ("/usr/bin/zbgw", None, 2)]


def test_no_psk_no_zigbee(tree):
    index = tree({"/etc/hostapd.conf": "interface=wlan0\nssid=Cam\nwpa=2\nwpa_psk_file=/tmp/psk\n",
                  "/usr/bin/zbgw": b"\x00\x01install code mode\x00"})
    for c in (secret_tokens.find_wifi_psks, secret_tokens.find_zigbee_default_key):
        outcome, findings = run(c, index)
        assert findings == [] and outcome.status == OutcomeStatus.PASS


def test_pass_without_summary_says_the_problem_is_absent(tree):
    # The ZigBee check gives no summary; its title names the problem. The PASS evidence shown
    # in reports read "pass: ZigBee Alliance default link key in the image" — the opposite.
    from iotbaseline.assess.engine import outcome_evidence

    index = tree({"/usr/bin/zbgw": b"\x00\x01install code mode\x00"})
    outcome, _ = run(secret_tokens.find_zigbee_default_key, index)
    assert outcome.status == OutcomeStatus.PASS
    assert outcome.summary.startswith("not found:")
    assert outcome_evidence(outcome)[0].detail == (
        "pass: not found: ZigBee Alliance default link key in the image")
