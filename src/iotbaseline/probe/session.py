"""One probe run's only door to the network: the target address, a rate limit, time-outs.

Every probe (asyncio code and the blocking libraries run in threads) opens its connections
through a ``ProbeSession``; it only ever uses the resolved target address and waits for a
rate slot before each new connection, so the pace stays gentle for small devices.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from iotbaseline.probe.target import ProbeError, ProbeTarget


@dataclass(frozen=True)
class ProbeSettings:
    """Options of one probe run (the CLI fills them; defaults cannot harm a small device)."""

    ports: tuple[int, ...] = ()
    udp: bool = False
    udp_services: tuple[tuple[int, str], ...] = ()  # (port, kind); () = the standard ports
    rate: float = 50.0  # new connections or datagrams per second
    timeout: float = 3.0  # per connection / exchange
    concurrency: int = 32  # connect attempts in flight during the port scan
    nmap: bool = False
    try_default_credentials: bool = False
    credentials: tuple[tuple[str, str], ...] = ()  # from --credentials FILE, in file order
    correct_login: tuple[str, str] | None = None  # the working login, for --test-lockout
    max_default_attempts: int = 12  # shipped default pairs tried per login surface
    test_lockout: bool = False
    lockout_attempts: int = 10  # wrong logins sent by the lockout test
    lockout_rate: float = 2.0  # login attempts per second at most
    firmware_results: Path | None = None
    ca_file: Path | None = None  # maker CA to validate device certificates against
    tls_concurrency: int = 2  # sslyze connections per server at once


@dataclass
class RateLimiter:
    """Spaces events at least ``1/rate`` seconds apart; usable from asyncio and threads."""

    rate: float
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _reserve(self) -> float:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + (1.0 / self.rate if self.rate > 0 else 0.0)
            return slot - now

    async def wait(self) -> None:
        delay = self._reserve()
        if delay > 0:
            await asyncio.sleep(delay)

    def wait_blocking(self) -> None:
        delay = self._reserve()
        if delay > 0:
            time.sleep(delay)


class ScopeError(ProbeError):
    """Something tried to contact a host other than the target (a bug or a hostile redirect)."""


@dataclass
class ProbeSession:
    target: ProbeTarget
    settings: ProbeSettings
    limiter: RateLimiter = field(init=False)
    contacts: Counter[str] = field(default_factory=Counter)  # "tcp/80" → connections made
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.settings.rate)

    @property
    def address(self) -> str:
        return self.target.address

    def url_host(self) -> str:
        """The address as it goes in a URL (IPv6 in brackets)."""
        return f"[{self.address}]" if ":" in self.address else self.address

    def same_host(self, host: str | None) -> bool:
        """Whether a host named by the device (redirect, UPnP LOCATION) is the target itself."""
        if not host:
            return True
        host = host.strip("[]").lower()
        return host in (self.address.lower(), self.target.name.lower().strip("[]"))

    def _count(self, what: str) -> None:
        with self._lock:
            self.contacts[what] += 1

    def allow(self, port: int, proto: str = "tcp") -> str:
        """Blocking libraries call this before each connection: waits for a rate slot,
        records the contact and returns the only address they may use."""
        if not 0 < port < 65536:
            raise ScopeError(f"invalid port {port}")
        self.limiter.wait_blocking()
        self._count(f"{proto}/{port}")
        return self.address

    async def allow_async(self, port: int, proto: str = "tcp") -> str:
        if not 0 < port < 65536:
            raise ScopeError(f"invalid port {port}")
        await self.limiter.wait()
        self._count(f"{proto}/{port}")
        return self.address

    async def open_tcp(self, port: int, timeout: float | None = None
                       ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        address = await self.allow_async(port)
        return await asyncio.wait_for(asyncio.open_connection(address, port),
                                      timeout or self.settings.timeout)

    def connect_blocking(self, port: int, timeout: float | None = None) -> socket.socket:
        address = self.allow(port)
        return socket.create_connection((address, port), timeout=timeout or self.settings.timeout)

    async def udp_exchange(self, port: int, payload: bytes, timeout: float | None = None,
                           max_replies: int = 4) -> list[bytes]:
        """Send one datagram to the target and collect replies from the target only."""
        address = await self.allow_async(port, "udp")
        loop = asyncio.get_running_loop()
        replies: list[bytes] = []
        done = loop.create_future()

        class _Proto(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
                if str(addr[0]) == address and len(replies) < max_replies:
                    replies.append(data[:65536])
                    if len(replies) >= max_replies and not done.done():
                        done.set_result(None)

            def error_received(self, exc: Exception) -> None:  # ICMP port unreachable
                if not done.done():
                    done.set_result(None)

        transport, _ = await loop.create_datagram_endpoint(
            _Proto, remote_addr=(address, port), family=self.target.family)
        try:
            transport.sendto(payload)
            try:
                await asyncio.wait_for(asyncio.shield(done), timeout or self.settings.timeout)
            except TimeoutError:
                pass
        finally:
            transport.close()
        return replies
