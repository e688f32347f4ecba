"""The one host a probe may contact: named by the user, resolved once, never widened.

Ranges, CIDR blocks, broadcast, multicast and unspecified addresses are refused before any
packet is sent, so a typo cannot turn a device probe into a network scan.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass


class ProbeError(Exception):
    """Base error of the probe stage (bad target, bad option); the CLI maps it to exit 2."""


class TargetError(ProbeError):
    """The named target is not one single unicast host."""


_RANGE_CHARS = re.compile(r"[/*,\s]|\d-\d|\.\.")


@dataclass(frozen=True)
class ProbeTarget:
    """What the user typed and the single address every probe talks to."""

    name: str
    address: str

    @property
    def family(self) -> int:
        return socket.AF_INET6 if ":" in self.address else socket.AF_INET


def check_address(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """Parse an IP and refuse anything that is not one unicast host."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError as exc:
        raise TargetError(f"{address!r} is not an IP address") from exc
    if ip.is_multicast:
        raise TargetError(f"{address} is a multicast address; name one device")
    if ip.is_unspecified:
        raise TargetError(f"{address} is the unspecified address; name one device")
    if isinstance(ip, ipaddress.IPv4Address) and (
        ip == ipaddress.IPv4Address("255.255.255.255") or ip.packed[-1] == 255
        and not ip.is_loopback
    ):
        raise TargetError(f"{address} looks like a broadcast address; name one device")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return check_address(str(ip.ipv4_mapped))
    return ip


def resolve_target(name: str) -> ProbeTarget:
    """Resolve ``name`` once to a single unicast address (an IP is taken as is).

    A hostname resolving to several addresses uses the first one and only that one."""
    text = name.strip()
    if not text:
        raise TargetError("no target given")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if "/" in text:
        raise TargetError(f"{name!r} is a network (CIDR); the probe takes one host")
    try:
        ip = check_address(text)
        return ProbeTarget(name=name, address=str(ip))
    except TargetError:
        if _looks_like_ip(text):
            if _RANGE_CHARS.search(text):
                raise TargetError(f"{name!r} looks like a range or a list; the probe takes "
                                  "one host") from None
            raise
    if _RANGE_CHARS.search(text):
        raise TargetError(f"{name!r} looks like a range or a list; the probe takes one host")
    try:
        infos = socket.getaddrinfo(text, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetError(f"cannot resolve {name!r}: {exc}") from exc
    if not infos:
        raise TargetError(f"{name!r} resolves to no address")
    address = str(infos[0][4][0])
    check_address(address)
    return ProbeTarget(name=name, address=address)


def _looks_like_ip(text: str) -> bool:
    """True for things meant as IPs or ranges of them (digits, dots, colons, slashes…)."""
    return bool(re.fullmatch(r"[0-9a-fA-F.:/*,\-\s]+", text)) and any(
        c in ".:" for c in text) and any(c.isdigit() for c in text)
