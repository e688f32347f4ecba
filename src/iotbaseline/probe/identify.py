"""What answers on each open TCP port: a passive read for services that speak first (SSH,
telnet, FTP), then a few polite active probes (TLS handshake, HTTP/RTSP request, MQTT
CONNECT, ADB CNXN), ordered by the port's usual service."""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass, field
from typing import Any

from iotbaseline.probe.session import ProbeSession

READ_LIMIT = 8192
TELNET_IAC = 0xFF
TLS_HINT_PORTS = frozenset({443, 465, 636, 993, 995, 4433, 4443, 5061, 8443, 8883, 9443, 55443})
MQTT_HINT_PORTS = frozenset({1883, 8883})
ADB_HINT_PORTS = frozenset({5555})
RTSP_HINT_PORTS = frozenset({554, 8554, 10554})


@dataclass
class ServiceInfo:
    """One open port and what was learned about it before any login."""

    port: int
    service: str = "unknown"  # ssh, telnet, ftp, http, rtsp, mqtt, adb, smtp, unknown…
    tls: bool = False
    banner: str = ""  # first bytes / status line + Server header, printable
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def protocol(self) -> str:
        return f"{self.service}+tls" if self.tls and self.service != "tls" else self.service


def printable(data: bytes, limit: int = 400) -> str:
    """Bytes as a short, single-line, printable string (device text is untrusted)."""
    text = data.decode("utf-8", "replace")
    text = re.sub(r"[^\x20-\x7e\u00a0-\uffff]+", " ", text).replace("\ufffd", "")
    return re.sub(r"\s+", " ", text).strip()[:limit]


def strip_telnet(data: bytes) -> tuple[bytes, bool]:
    """Remove telnet option negotiation (IAC sequences); tell whether any was present."""
    out = bytearray()
    i = 0
    seen = False
    while i < len(data):
        byte = data[i]
        if byte == TELNET_IAC and i + 1 < len(data):
            seen = True
            command = data[i + 1]
            if command in (251, 252, 253, 254):  # WILL WONT DO DONT <option>
                i += 3
                continue
            if command == 250:  # SB … IAC SE
                end = data.find(bytes([TELNET_IAC, 240]), i + 2)
                i = len(data) if end < 0 else end + 2
                continue
            i += 2
            continue
        out.append(byte)
        i += 1
    return bytes(out), seen


async def _read_some(reader: asyncio.StreamReader, timeout: float, limit: int = READ_LIMIT
                     ) -> bytes:
    data = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(data) < limit:
        left = deadline - loop.time()
        if left <= 0:
            break
        try:
            chunk = await asyncio.wait_for(reader.read(limit - len(data)), left)
        except (TimeoutError, OSError):
            break
        if not chunk:
            break
        data += chunk
        if data and (b"\n" in data or data[0] == TELNET_IAC):
            # keep reading briefly for the rest of a greeting
            deadline = min(deadline, loop.time() + 0.3)
    return data


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except (TimeoutError, OSError, ssl.SSLError):
        pass


async def passive_banner(session: ProbeSession, port: int, wait: float) -> bytes:
    reader, writer = await session.open_tcp(port)
    try:
        return await _read_some(reader, wait)
    finally:
        await _close(writer)


def classify_greeting(data: bytes) -> ServiceInfo | None:
    if data.startswith(b"SSH-"):
        return ServiceInfo(port=0, service="ssh", banner=printable(data.split(b"\n")[0]))
    text, iac = strip_telnet(data)
    if re.match(rb"^220[ -]", text) and re.search(rb"(?i)ftp", text[:200]):
        return ServiceInfo(port=0, service="ftp", banner=printable(text))
    if re.match(rb"^220[ -]", text) and re.search(rb"(?i)smtp|esmtp", text[:200]):
        return ServiceInfo(port=0, service="smtp", banner=printable(text))
    if re.match(rb"^220[ -]", text):
        return ServiceInfo(port=0, service="ftp", banner=printable(text))
    if iac or re.search(rb"(?i)(login|username|password)\s*:", text):
        return ServiceInfo(port=0, service="telnet", banner=printable(text))
    if data:
        return ServiceInfo(port=0, service="unknown", banner=printable(data))
    return None


def tls_context() -> ssl.SSLContext:
    """A client context that accepts any certificate: we are observing, not trusting."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    return ctx


async def is_tls(session: ProbeSession, port: int) -> bool:
    address = await session.allow_async(port)
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(address, port, ssl=tls_context(), server_hostname=None),
            session.settings.timeout)
    except (TimeoutError, OSError, ssl.SSLError, EOFError):
        return False
    await _close(writer)
    return True


def http_request(method: str, path: str, host: str, protocol: str = "HTTP/1.1") -> bytes:
    return (f"{method} {path} {protocol}\r\nHost: {host}\r\nUser-Agent: iotbaseline-probe\r\n"
            "Accept: */*\r\nConnection: close\r\n"
            + ("CSeq: 1\r\n" if protocol.startswith("RTSP") else "") + "\r\n").encode()


def parse_head(data: bytes) -> tuple[str, dict[str, str]]:
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1", "replace")
    lines = head.split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:60]:
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()[:400]
    return printable(lines[0].encode("latin-1", "replace"), 200), headers


async def request_text(session: ProbeSession, port: int, payload: bytes, tls: bool
                       ) -> bytes:
    address = await session.allow_async(port)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(address, port, ssl=tls_context() if tls else None,
                                server_hostname=None), session.settings.timeout)
    try:
        writer.write(payload)
        await writer.drain()
        return await _read_some(reader, session.settings.timeout, 16384)
    finally:
        await _close(writer)


def adb_connect_message() -> bytes:
    from adb_shell import constants
    from adb_shell.adb_message import AdbMessage

    data = b"host::iotbaseline\x00"
    msg = AdbMessage(constants.CNXN, constants.VERSION, constants.MAX_ADB_DATA, data)
    return bytes(msg.pack()) + data


def parse_adb(reply: bytes) -> dict[str, Any] | None:
    from adb_shell.adb_message import unpack

    if len(reply) < 24:
        return None
    try:
        command, _arg0, _arg1, length, _checksum = unpack(reply[:24])  # five fields
    except Exception:  # noqa: BLE001 - malformed device data
        return None
    from adb_shell.adb_message import int_to_cmd

    try:
        raw = int_to_cmd(command)  # adb_shell returns the command as bytes (b"CNXN")
    except Exception:  # noqa: BLE001
        return None
    name = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
    if name not in ("CNXN", "AUTH"):
        return None
    payload = reply[24:24 + min(int(length), 4096)]
    return {"command": name, "banner": printable(payload, 300),
            "auth_required": name == "AUTH"}


async def _try_http(session: ProbeSession, port: int, tls: bool, info: ServiceInfo) -> bool:
    try:
        data = await request_text(session, port, http_request("GET", "/", session.url_host()),
                                  tls)
    except (TimeoutError, OSError, ssl.SSLError):
        return False
    if data.startswith(b"HTTP/"):
        status, headers = parse_head(data)
        info.service = "http"
        info.headers = headers
        info.banner = status + (f" Server: {headers['server']}" if "server" in headers else "")
        return True
    if data.startswith(b"RTSP/"):
        return await _try_rtsp(session, port, tls, info)
    return False


async def _try_rtsp(session: ProbeSession, port: int, tls: bool, info: ServiceInfo) -> bool:
    url = f"rtsp://{session.url_host()}:{port}/"
    try:
        data = await request_text(session, port, http_request("OPTIONS", url, session.url_host(),
                                                              "RTSP/1.0"), tls)
    except (TimeoutError, OSError, ssl.SSLError):
        return False
    if not data.startswith(b"RTSP/"):
        return False
    status, headers = parse_head(data)
    info.service = "rtsp"
    info.headers = headers
    info.banner = status + (f" Server: {headers['server']}" if "server" in headers else "")
    info.data["public"] = headers.get("public", "")
    return True


async def _try_adb(session: ProbeSession, port: int, info: ServiceInfo) -> bool:
    try:
        data = await request_text(session, port, adb_connect_message(), False)
    except (TimeoutError, OSError):
        return False
    parsed = parse_adb(data)
    if parsed is None:
        return False
    info.service = "adb"
    info.banner = parsed["banner"]
    info.data.update(parsed)
    return True


async def _try_mqtt(session: ProbeSession, port: int, tls: bool, info: ServiceInfo) -> bool:
    from iotbaseline.probe.mqtt import mqtt_connect

    result = await asyncio.to_thread(mqtt_connect, session, port, tls)
    if result is None:
        return False
    info.service = "mqtt"
    info.data["connack"] = result
    info.banner = f"MQTT CONNACK {result['reason']}"
    return True


async def identify(session: ProbeSession, port: int) -> ServiceInfo:
    """Identify one open port. Connections: one passive read, then at most four probes."""
    info = ServiceInfo(port=port)
    wait = 1.5 if port in (21, 22, 23, 2222, 2323) else 0.8
    try:
        greeting = await passive_banner(session, port, wait)
    except (TimeoutError, OSError) as exc:
        info.data["error"] = str(exc)
        return info
    found = classify_greeting(greeting)
    if found is not None and found.service != "unknown":
        found.port = port
        return found
    if found is not None:
        info.banner = found.banner
    tls = await is_tls(session, port) if not greeting else False
    info.tls = tls
    order: list[str] = ["http", "mqtt", "adb"]
    if port in MQTT_HINT_PORTS:
        order = ["mqtt", "http", "adb"]
    elif port in ADB_HINT_PORTS:
        order = ["adb", "http", "mqtt"]
    elif port in RTSP_HINT_PORTS:
        order = ["rtsp", "http", "mqtt"]
    if tls:
        order = [o for o in order if o != "adb"]
    for kind in order:
        if kind == "http" and await _try_http(session, port, tls, info):
            return info
        if kind == "rtsp" and await _try_rtsp(session, port, tls, info):
            return info
        if kind == "mqtt" and await _try_mqtt(session, port, tls, info):
            return info
        if kind == "adb" and await _try_adb(session, port, info):
            return info
    if tls:
        info.service = "tls"
    return info
