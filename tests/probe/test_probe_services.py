"""Telnet-like banner server, dropbear (SSH), mosquitto (MQTT): each finding on a bad and a
good configuration, against real servers on loopback."""

from __future__ import annotations

import socket
import struct
import threading

import probe_servers as ps
from conftest import findings_of, outcome_of, probe


def test_telnet_banner_version_and_cleartext_admin() -> None:
    bad = ps.BannerServer(b"BusyBox v1.19.4 (2013-01-01) built-in shell\r\n")
    good = ps.BannerServer(b"Welcome\r\n")
    try:
        result = probe((bad.port, good.port))
    finally:
        bad.close()
        good.close()
    telnet = findings_of(result, "IOTB-NET-001")
    assert sorted(f.location.port for f in telnet) == sorted([bad.port, good.port])
    assert all(f.location.host == "127.0.0.1" and f.location.protocol == "telnet" for f in telnet)
    banner = findings_of(result, "IOTB-BANNER-001")
    assert [f.location.port for f in banner] == [bad.port]
    assert "BusyBox v1.19.4" in banner[0].message
    assert "etsi-en-303-645:5.6-2" in banner[0].provisions
    assert "etsi-en-303-645:5.6-1" in telnet[0].provisions
    assert "tencent-qtx-001.1:5.3.2-4" in telnet[0].provisions


def test_no_telnet_is_a_pass_with_evidence() -> None:
    listener = ps.CountingListener()  # open port that says nothing and closes
    closed = ps.free_port()
    try:
        result = probe((listener.port, closed))
    finally:
        listener.close()
    assert findings_of(result, "IOTB-NET-001") == []
    assert outcome_of(result, "IOTB-NET-001") == "pass"
    ports = next(o for o in result.observations if o.id == "tcp/open-ports")
    assert ports.data["open"] == [listener.port]
    assert "etsi-en-303-645:5.6-1" in ports.provisions


def test_default_credential_on_telnet() -> None:
    bad = ps.BannerServer(b"Welcome\r\n", accept=("root", "xc3511"))  # Mirai's first pair
    good = ps.BannerServer(b"Welcome\r\n", accept=("root", "Unique-9f2c1"))
    try:
        result = probe((bad.port, good.port), try_default_credentials=True,
                       max_default_attempts=3)
    finally:
        bad.close()
        good.close()
    hits = findings_of(result, "IOTB-LOGIN-001")
    assert [f.location.port for f in hits] == [bad.port]
    assert hits[0].secret == "xc3511" and hits[0].redacted and "xc3511" not in hits[0].message
    assert "etsi-en-303-645:5.1-1" in hits[0].provisions
    tried = next(o for o in result.observations if o.id == f"login/telnet/{good.port}")
    assert tried.data["tried"] == 3


def test_password_tests_need_their_flags() -> None:
    server = ps.BannerServer(b"Welcome\r\n", accept=("root", "xc3511"))
    try:
        result = probe((server.port,))
        accepts_before = server.accepts
    finally:
        server.close()
    assert findings_of(result, "IOTB-LOGIN-001") == []
    assert outcome_of(result, "IOTB-LOGIN-001") == "not_applicable"
    assert outcome_of(result, "IOTB-LOCKOUT-001") == "not_applicable"
    assert accepts_before <= 2  # identification only: no login dialogue was started


def test_dropbear_algorithms_and_version(dropbear: ps.Daemon) -> None:
    result = probe((dropbear.port,))
    algs = next(o for o in result.observations if o.id == f"ssh/{dropbear.port}/algorithms")
    assert algs.data["banner"].startswith("SSH-2.0-dropbear")
    assert "curve25519-sha256" in algs.data["kex"]
    # Debian's dropbear still offers hmac-sha1 and the group14-sha1 kex: both broken per
    # ssh-audit's database (SHA-1)
    weak = findings_of(result, "IOTB-NET-007")
    assert len(weak) == 1
    assert "mac:hmac-sha1" in weak[0].properties["weak"]
    banner = findings_of(result, "IOTB-BANNER-001")
    assert any("dropbear_" in f.message for f in banner)


def _fake_ssh_server(kex: list[str], macs: list[str]) -> tuple[socket.socket, int]:
    """Sends an identification without version and a KEXINIT built with ssh-audit."""
    from ssh_audit.outputbuffer import OutputBuffer
    from ssh_audit.ssh2_kex import SSH2_Kex
    from ssh_audit.ssh2_kexparty import SSH2_KexParty

    party = SSH2_KexParty(["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com"], macs,
                          ["none"], [])
    payload = bytes([20]) + SSH2_Kex(OutputBuffer(), b"\x00" * 16, kex, ["ssh-ed25519"], party,
                                     party, False).payload
    padding = 8 - (len(payload) + 5) % 8 + 8
    packet = struct.pack(">IB", len(payload) + padding + 1, padding) + payload + b"\x00" * padding
    server = socket.socket()
    server.bind((ps.LOOPBACK, 0))
    server.listen(8)

    def loop() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            try:
                conn.sendall(b"SSH-2.0-Server\r\n" + packet)
                conn.settimeout(2)
                conn.recv(100)
            except OSError:
                pass
            finally:
                conn.close()

    threading.Thread(target=loop, daemon=True).start()
    return server, int(server.getsockname()[1])


def test_ssh_good_algorithms_pass() -> None:
    server, port = _fake_ssh_server(["curve25519-sha256", "sntrup761x25519-sha512"],
                                    ["hmac-sha2-256-etm@openssh.com"])
    try:
        result = probe((port,))
    finally:
        server.close()
    assert findings_of(result, "IOTB-NET-007") == []
    assert outcome_of(result, "IOTB-NET-007") == "pass"
    assert findings_of(result, "IOTB-BANNER-001") == []


def test_ssh_weak_algorithms_from_kexinit() -> None:
    server, port = _fake_ssh_server(["diffie-hellman-group1-sha1"], ["hmac-md5"])
    try:
        result = probe((port,))
    finally:
        server.close()
    weak = findings_of(result, "IOTB-NET-007")[0].properties["weak"]
    assert set(weak) == {"kex:diffie-hellman-group1-sha1", "mac:hmac-md5"}


def test_mqtt_anonymous_broker(mosquitto_anonymous: ps.Daemon) -> None:
    result = probe((mosquitto_anonymous.port,))
    anonymous = findings_of(result, "IOTB-MQTT-001")
    assert len(anonymous) == 1 and "subscribe to '#'" in anonymous[0].message
    assert "owasp-isvs:V4.2.2" in anonymous[0].provisions
    plain = findings_of(result, "IOTB-MQTT-002")
    assert [f.location.port for f in plain] == [mosquitto_anonymous.port]
    assert "tencent-qtx-001.1:5.2.3-1" in plain[0].provisions


def test_mqtt_broker_with_authentication(mosquitto_closed: ps.Daemon) -> None:
    result = probe((mosquitto_closed.port,))
    assert findings_of(result, "IOTB-MQTT-001") == []
    assert outcome_of(result, "IOTB-MQTT-001") == "pass"
    observation = next(o for o in result.observations
                       if o.id == f"mqtt/{mosquitto_closed.port}/anonymous")
    assert observation.data["accepted"] is False
    assert observation.data["reason_code"] in (5, 135)  # not authorised (3.1.1 / 5.0 codes)
    assert len(findings_of(result, "IOTB-MQTT-002")) == 1  # still plain MQTT


def test_mqtt_over_tls_only(daemon_dir, certs) -> None:  # type: ignore[no-untyped-def]
    daemon = ps.start_mosquitto(daemon_dir, anonymous=False, tls=certs["good"])
    try:
        result = probe((daemon.port,), ca_file=certs["good"].ca)
    finally:
        daemon.stop()
    assert findings_of(result, "IOTB-MQTT-002") == []
    assert outcome_of(result, "IOTB-MQTT-002") == "pass"
    assert outcome_of(result, "IOTB-MQTT-001") == "pass"


def test_nmap_service_detection() -> None:
    web = ps.serve_http(ps.HttpDevice())
    port = web.server_address[1]
    try:
        result = probe((port,), nmap=True)
    finally:
        web.shutdown()
    nmap = next(o for o in result.observations if o.id == "nmap/services")
    assert nmap.data[str(port)]["name"] == "http"
    assert nmap.data[str(port)]["product"] == "lighttpd"  # from the Server header we send
    assert nmap.data[str(port)]["version"] == "1.4.35"
