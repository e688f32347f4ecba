"""IOTB-NET-002 (ADB reachable over TCP) and IOTB-NET-003 (exposed services), against a
minimal ADB daemon on loopback that answers only a real CNXN packet (anything else — the
probe's HTTP and MQTT attempts — gets the connection closed, as adbd does)."""

from __future__ import annotations

import socket
import threading

from adb_shell import constants
from adb_shell.adb_message import AdbMessage
from conftest import findings_of, outcome_of, probe

from iotbaseline.model import Severity

BANNER = b"device::ro.product.name=democam;ro.product.model=IC200;ro.product.device=ic200;"


class FakeAdbd:
    def __init__(self, auth: bool) -> None:
        self.auth = auth
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    head = conn.recv(24)
                except OSError:
                    continue
                if not head.startswith(b"CNXN"):
                    continue
                if self.auth:
                    msg = AdbMessage(constants.AUTH, 1, 0, b"\x00" * 20)
                    conn.sendall(bytes(msg.pack()) + b"\x00" * 20)
                else:
                    msg = AdbMessage(constants.CNXN, constants.VERSION, constants.MAX_ADB_DATA, BANNER)
                    conn.sendall(bytes(msg.pack()) + BANNER)

    def close(self) -> None:
        self.sock.close()


def test_adb_without_authentication_is_critical_and_listed_as_a_service() -> None:
    adbd = FakeAdbd(auth=False)
    try:
        result = probe((adbd.port,))
    finally:
        adbd.close()
    [finding] = findings_of(result, "IOTB-NET-002")
    assert finding.location.port == adbd.port and finding.severity == Severity.CRITICAL
    assert "without authentication" in finding.message
    assert "etsi-en-303-645:5.6-4" in finding.provisions or "etsi-en-303-645:5.6-1" in finding.provisions
    service = [o for o in result.observations if o.port == adbd.port and o.data.get("service") == "adb"]
    assert service and "democam" in service[0].data.get("banner", "")


def test_adb_asking_for_key_authentication_is_reported_lower() -> None:
    adbd = FakeAdbd(auth=True)
    try:
        result = probe((adbd.port,))
    finally:
        adbd.close()
    [finding] = findings_of(result, "IOTB-NET-002")
    assert finding.severity != Severity.CRITICAL and "key authentication" in finding.message


def test_no_debug_port_when_only_an_ordinary_closed_set_is_scanned() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()  # nothing listens there
    result = probe((port,))
    assert findings_of(result, "IOTB-NET-002") == []
    assert outcome_of(result, "IOTB-NET-002") in ("pass", "not_applicable")


def test_parse_adb_reads_cnxn_and_auth_and_rejects_other_bytes() -> None:
    from iotbaseline.probe.identify import parse_adb

    cnxn = bytes(AdbMessage(constants.CNXN, constants.VERSION, constants.MAX_ADB_DATA, BANNER).pack()) + BANNER
    auth = bytes(AdbMessage(constants.AUTH, 1, 0, b"\x00" * 20).pack()) + b"\x00" * 20
    assert parse_adb(cnxn) == {"command": "CNXN", "banner": parse_adb(cnxn)["banner"], "auth_required": False}
    assert "ro.product.model=IC200" in parse_adb(cnxn)["banner"]
    assert parse_adb(auth)["auth_required"] is True
    assert parse_adb(b"HTTP/1.1 400 Bad Request\r\n\r\n" + b"x" * 20) is None
    assert parse_adb(b"CNXN") is None
