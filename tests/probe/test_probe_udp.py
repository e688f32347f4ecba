"""UDP services that answer: SNMP 'public', SSDP + UPnP description, CoAP, DNS — with replies
built by the protocol libraries; silent ports are a pass."""

from __future__ import annotations

import probe_servers as ps
from conftest import findings_of, outcome_of, probe

UPNP_XML = (b'<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>'
            b"<friendlyName>Cam</friendlyName><manufacturer>Acme</manufacturer>"
            b"<modelName>IPC</modelName><modelNumber>C100</modelNumber>"
            b"<serialNumber>SN123456</serialNumber></device></root>")


def test_udp_services_answering() -> None:
    web = ps.serve_http(ps.HttpDevice(upnp_xml=UPNP_XML))
    snmp = ps.UdpResponder(ps.snmp_reply("Linux cam 3.10.14 #1 armv7l"))
    coap = ps.UdpResponder(ps.coap_reply("</sensors/temp>,</actuators/led>"))
    ssdp = ps.UdpResponder(ps.ssdp_reply(f"http://127.0.0.1:{web.server_address[1]}/desc.xml",
                                         "Linux/3.10 UPnP/1.0 miniupnpd/2.0"))
    try:
        result = probe((), udp=True, udp_services=((snmp.port, "snmp"), (coap.port, "coap"),
                                                   (ssdp.port, "ssdp")))
    finally:
        for server in (snmp, coap, ssdp):
            server.close()
        web.shutdown()
    public = findings_of(result, "IOTB-NET-004")
    assert [f.location.port for f in public] == [snmp.port]
    assert "etsi-en-303-645:5.1-1" in public[0].provisions
    snmp_obs = next(o for o in result.observations if o.id == f"udp/{snmp.port}/snmp")
    assert snmp_obs.data["values"]["1.3.6.1.2.1.1.1.0"] == "Linux cam 3.10.14 #1 armv7l"
    coap_hits = findings_of(result, "IOTB-NET-006")
    assert [f.location.port for f in coap_hits] == [coap.port]
    assert "tencent-qtx-001.1:5.2.3-2" in coap_hits[0].provisions
    coap_obs = next(o for o in result.observations if o.id == f"udp/{coap.port}/coap")
    assert coap_obs.data["resources"] == ["/sensors/temp", "/actuators/led"]
    assert [f.location.port for f in findings_of(result, "IOTB-NET-005")] == [ssdp.port]
    description = next(o for o in result.observations if o.id.startswith("upnp/"))
    assert description.data["serialNumber"] == "SN123456"
    leaks = " ".join(f.message for f in findings_of(result, "IOTB-BANNER-001"))
    assert "SNMP sysDescr" in leaks and "3.10.14" in leaks
    assert "SSDP SERVER header" in leaks and "Linux/3.10" in leaks
    assert "SN123456" in leaks  # UPnP description


def test_silent_udp_ports_pass() -> None:
    silent = ps.UdpResponder(lambda _data: None)
    try:
        result = probe((), udp=True, udp_services=((silent.port, "snmp"),
                                                   (silent.port, "coap")), timeout=0.5)
    finally:
        silent.close()
    assert silent.requests == 2
    for check in ("IOTB-NET-004", "IOTB-NET-005", "IOTB-NET-006"):
        assert findings_of(result, check) == [], check
        assert outcome_of(result, check) == "pass", check


def test_udp_not_asked_without_flag() -> None:
    responder = ps.UdpResponder(ps.snmp_reply("x"))
    try:
        result = probe(())
    finally:
        responder.close()
    assert responder.requests == 0
    assert outcome_of(result, "IOTB-NET-004") == "not_applicable"
