"""The probe contacts the named host only: probing 127.0.0.2 never reaches servers that
listen on the same ports of 127.0.0.1, even when the device redirects there (HTTP Location,
SSDP LOCATION). Counting accepted connections and datagrams proves it."""

from __future__ import annotations

import probe_servers as ps
from conftest import findings_of, probe

OTHER = "127.0.0.1"
TARGET = "127.0.0.2"


def test_only_the_named_host_is_contacted() -> None:
    decoy_tcp = ps.CountingListener(OTHER)
    decoy_redirect = ps.CountingListener(OTHER)
    port = decoy_tcp.port
    device = ps.serve_http(ps.HttpDevice(redirect_to=f"http://{OTHER}:{decoy_redirect.port}"),
                           host=TARGET, port=port)
    telnet = ps.BannerServer(b"Welcome\r\n", host=TARGET)
    decoy_telnet = ps.CountingListener(OTHER, telnet.port)
    decoy_udp = ps.UdpResponder(ps.snmp_reply("decoy"), host=OTHER)
    ssdp = ps.UdpResponder(ps.ssdp_reply(f"http://{OTHER}:{decoy_redirect.port}/desc.xml",
                                         "UPnP/1.0"), host=TARGET, port=decoy_udp.port)
    try:
        result = probe((port, telnet.port, decoy_redirect.port), host=TARGET, udp=True,
                       udp_services=((decoy_udp.port, "ssdp"),), try_default_credentials=True,
                       max_default_attempts=2)
    finally:
        for server in (decoy_tcp, decoy_redirect, telnet, decoy_telnet, decoy_udp, ssdp):
            server.close()
        device.shutdown()
    # the target was really probed …
    assert device.accepts > 0 and telnet.accepts > 0 and ssdp.requests == 1
    assert result.address == TARGET
    assert all(f.location.host == TARGET for f in result.findings)
    assert findings_of(result, "IOTB-NET-005")  # SSDP on the target answered
    # … and nothing reached the other host, not even through the redirects
    assert (decoy_tcp.accepts, decoy_redirect.accepts, decoy_telnet.accepts) == (0, 0, 0)
    assert decoy_udp.requests == 0
    assert any("not on the target" in e for e in result.errors)
    assert set(result.options["contacts"]) <= {f"{kind}/{p}" for kind in
                                               ("tcp", "http", "udp", "tls")
                                               for p in (port, telnet.port,
                                                         decoy_redirect.port, decoy_udp.port)}


def test_proxy_settings_are_ignored(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An HTTP(S)_PROXY in the environment must not divert device traffic to another host."""
    proxy = ps.CountingListener(OTHER)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, f"http://{OTHER}:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "")
    device = ps.serve_http(ps.HttpDevice(), host=TARGET)
    try:
        result = probe((device.server_address[1],), host=TARGET)
    finally:
        proxy.close()
        device.shutdown()
    assert proxy.accepts == 0
    assert any(o.id == f"http/{device.server_address[1]}/root" for o in result.observations)
