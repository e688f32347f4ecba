"""Port lists (``iot``, ``top``, ``all``, explicit lists and ranges) and the asyncio TCP
connect scan."""

from __future__ import annotations

import asyncio
import errno
from dataclasses import dataclass

from iotbaseline.probe.session import ProbeSession
from iotbaseline.probe.target import ProbeError

# The default IoT set: remote admin, web, RTSP, MQTT, ADB, TR-069, Huawei HG
# (37215), UPnP, plus the TLS variants.
IOT_PORTS: tuple[int, ...] = (21, 22, 23, 53, 80, 443, 554, 1883, 2323, 5555, 7547, 8080, 8443,
                              8883, 9000, 37215, 49152, 49153, 49154)
# Common TCP services on embedded devices and small servers (a superset of ``iot``).
TOP_PORTS: tuple[int, ...] = tuple(sorted(set(IOT_PORTS) | {
    20, 25, 69, 81, 88, 110, 111, 123, 135, 139, 143, 161, 179, 389, 445, 465, 502, 513, 514,
    515, 548, 587, 631, 873, 902, 993, 995, 1080, 1194, 1433, 1723, 1900, 2000, 2049, 2222,
    3000, 3306, 3389, 4433, 4443, 4567, 5000, 5001, 5060, 5353, 5432, 5683, 5900, 6000, 6379,
    6666, 6667, 7000, 7001, 7070, 7777, 8000, 8001, 8008, 8081, 8082, 8088, 8181, 8291,
    8554, 8800, 8880, 8888, 8899, 9001, 9090, 9100, 9200, 9999, 10000, 10001, 10554, 12345,
    17998, 18004, 20000, 32764, 34567, 49155, 50000, 52869, 55443, 60001,
}))
UDP_PORTS: tuple[int, ...] = (53, 161, 1900, 5353, 5683)
MAX_PORTS = 65535


def parse_ports(spec: str | None) -> tuple[int, ...]:
    """``iot`` (default), ``top``, ``all`` or a list like ``22,80,8000-8100``."""
    if spec is None or spec.strip() in ("", "iot"):
        return IOT_PORTS
    text = spec.strip().lower()
    if text == "top":
        return TOP_PORTS
    if text == "all":
        return tuple(range(1, MAX_PORTS + 1))
    ports: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part in ("iot", "top"):
            ports.update(IOT_PORTS if part == "iot" else TOP_PORTS)
            continue
        low, sep, high = part.partition("-")
        try:
            start = int(low)
            end = int(high) if sep else start
        except ValueError as exc:
            raise ProbeError(f"bad port list item {part!r} (use 22,80,8000-8100, iot, top "
                             "or all)") from exc
        if not (1 <= start <= end <= MAX_PORTS):
            raise ProbeError(f"bad port range {part!r}: ports are 1-65535, low before high")
        ports.update(range(start, end + 1))
    if not ports:
        raise ProbeError(f"no port in {spec!r}")
    return tuple(sorted(ports))


@dataclass(frozen=True)
class PortState:
    port: int
    state: str  # "open", "closed" (refused), "filtered" (no answer in time), "error"
    seconds: float
    detail: str = ""


async def _probe_port(session: ProbeSession, port: int, sem: asyncio.Semaphore) -> PortState:
    loop = asyncio.get_running_loop()
    async with sem:
        started = loop.time()
        try:
            _, writer = await session.open_tcp(port)
        except (ConnectionRefusedError, ConnectionResetError):
            return PortState(port, "closed", loop.time() - started)
        except TimeoutError:
            return PortState(port, "filtered", loop.time() - started)
        except OSError as exc:
            state = "closed" if exc.errno in (errno.ECONNREFUSED,) else "error"
            return PortState(port, state, loop.time() - started, str(exc))
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 1.0)
        except (TimeoutError, OSError):
            pass
        return PortState(port, "open", loop.time() - started)


async def scan_tcp(session: ProbeSession, ports: tuple[int, ...]) -> list[PortState]:
    """Connect scan: one full TCP handshake per port, bounded concurrency and rate."""
    sem = asyncio.Semaphore(max(1, session.settings.concurrency))
    results = await asyncio.gather(*(_probe_port(session, p, sem) for p in ports))
    return sorted(results, key=lambda s: s.port)
