"""The probe only ever takes one unicast host, and port lists parse exactly."""

from __future__ import annotations

import pytest

from iotbaseline.probe.ports import IOT_PORTS, parse_ports
from iotbaseline.probe.target import ProbeError, TargetError, resolve_target


@pytest.mark.parametrize("text", [
    "10.0.0.0/24", "192.168.1.0/255.255.255.0", "fe80::/64",  # CIDR
    "10.0.0.1-20", "10.0.0.*", "10.0.0.1,10.0.0.2", "10.0.0.1 10.0.0.2",  # ranges / lists
    "255.255.255.255", "192.168.1.255",  # broadcast
    "224.0.0.251", "239.255.255.250", "ff02::1",  # multicast (mDNS, SSDP, all-nodes)
    "0.0.0.0", "::",  # unspecified
    "",
])
def test_refuses_anything_but_one_unicast_host(text: str) -> None:
    with pytest.raises(TargetError):
        resolve_target(text)


@pytest.mark.parametrize("text,address", [
    ("127.0.0.1", "127.0.0.1"), ("127.0.0.2", "127.0.0.2"), ("::1", "::1"), ("[::1]", "::1"),
    ("::ffff:127.0.0.1", "127.0.0.1"),
])
def test_accepts_single_addresses(text: str, address: str) -> None:
    target = resolve_target(text)
    assert target.address == address
    assert target.name == text


def test_hostname_resolved_once_to_one_address() -> None:
    target = resolve_target("localhost")
    assert target.address in ("127.0.0.1", "::1")


def test_port_lists() -> None:
    assert parse_ports("22,80,8000-8002") == (22, 80, 8000, 8001, 8002)
    assert parse_ports(None) == IOT_PORTS
    # the default IoT set, checked against the issue text by hand
    assert set(IOT_PORTS) == {21, 22, 23, 53, 80, 443, 554, 1883, 2323, 5555, 7547, 8080, 8443,
                              8883, 9000, 37215, 49152, 49153, 49154}
    assert len(parse_ports("all")) == 65535
    assert set(IOT_PORTS) < set(parse_ports("top"))
    assert parse_ports("iot,9999") == tuple(sorted({*IOT_PORTS, 9999}))
    for bad in ("70000", "80-20", "abc", "0", ","):
        with pytest.raises(ProbeError):
            parse_ports(bad)
