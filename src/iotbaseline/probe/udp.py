"""UDP services that answer: DNS, SNMP (GET sysDescr with community 'public'), SSDP
M-SEARCH, mDNS and CoAP GET /.well-known/core. Requests are built and replies parsed with the
protocol libraries (dnspython, pysnmp/pyasn1, aiocoap); only the target is ever sent to —
SSDP and mDNS go unicast to the device, never to their multicast groups."""

from __future__ import annotations

import random
import warnings
from dataclasses import dataclass, field
from typing import Any

from iotbaseline.probe.session import ProbeSession

SNMP_SYSDESCR = "1.3.6.1.2.1.1.1.0"


@dataclass
class UdpAnswer:
    port: int
    service: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


def dns_query(name: str = "version.bind", rdtype: str = "TXT", rdclass: str = "CH",
              mdns: bool = False) -> bytes:
    import dns.message

    query = dns.message.make_query(name, rdtype, rdclass)
    if mdns:
        query.id = 0
    return bytes(query.to_wire())


def parse_dns(reply: bytes) -> dict[str, Any] | None:
    import dns.exception
    import dns.message
    import dns.rcode

    try:
        msg = dns.message.from_wire(reply, ignore_trailing=True)
    except (dns.exception.DNSException, ValueError):
        return None
    answers = [str(rr)[:200] for rrset in msg.answer for rr in rrset][:20]
    return {"rcode": dns.rcode.to_text(msg.rcode()), "answers": answers}


def snmp_get(community: str = "public", oid: str = SNMP_SYSDESCR,
             request_id: int | None = None) -> bytes:
    from pyasn1.codec.ber import encoder
    from pysnmp.proto import api

    proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = proto.GetRequestPDU()
    proto.apiPDU.set_defaults(pdu)
    if request_id is not None:
        proto.apiPDU.set_request_id(pdu, request_id)
    proto.apiPDU.set_varbinds(pdu, ((oid, proto.Null("")),))
    msg = proto.Message()
    proto.apiMessage.set_defaults(msg)
    proto.apiMessage.set_community(msg, community)
    proto.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


def parse_snmp(reply: bytes) -> dict[str, Any] | None:
    from pyasn1.codec.ber import decoder
    from pyasn1.error import PyAsn1Error
    from pysnmp.proto import api

    proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    try:
        msg, _ = decoder.decode(reply, asn1Spec=proto.Message())
        pdu = proto.apiMessage.get_pdu(msg)
        error = int(proto.apiPDU.get_error_status(pdu))
        values = {str(oid): value.prettyPrint()[:300]
                  for oid, value in proto.apiPDU.get_varbinds(pdu)}
    except (PyAsn1Error, ValueError, TypeError, KeyError):
        return None
    return {"community": str(proto.apiMessage.get_community(msg)), "error_status": error,
            "values": values}


def ssdp_search(host: str, port: int) -> bytes:
    return ("M-SEARCH * HTTP/1.1\r\n"
            f"HOST: {host}:{port}\r\n"
            'MAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n').encode()


def parse_ssdp(reply: bytes) -> dict[str, str] | None:
    text = reply.decode("latin-1", "replace")
    if not text.startswith("HTTP/1.1 200") and "NOTIFY" not in text[:10]:
        return None
    headers: dict[str, str] = {}
    for line in text.split("\r\n")[1:]:
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()[:300]
    return headers


def coap_get_core(message_id: int) -> bytes:
    import aiocoap

    msg = aiocoap.Message(code=aiocoap.GET, uri_path=(".well-known", "core"))
    msg.mtype = aiocoap.CON
    msg.mid = message_id
    msg.token = message_id.to_bytes(2, "big")
    return bytes(msg.encode())


def parse_coap(reply: bytes) -> dict[str, Any] | None:
    import aiocoap
    from aiocoap.error import UnparsableMessage

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            msg = aiocoap.Message.decode(reply)
    except (UnparsableMessage, ValueError, IndexError):
        return None
    payload = msg.payload.decode("utf-8", "replace")[:2000]
    return {"code": str(msg.code), "successful": bool(msg.code.is_successful()),
            "resources": [r.split(">")[0].lstrip("<") for r in payload.split(",")
                          if r.startswith("<")][:50]}


UDP_SERVICES: tuple[tuple[int, str], ...] = (
    (53, "dns"), (161, "snmp"), (1900, "ssdp"), (5353, "mdns"), (5683, "coap"))


async def probe_udp(session: ProbeSession, port: int, kind: str) -> UdpAnswer | None:
    """Send the request for ``kind`` and parse the reply; None when nothing answered."""
    rid = random.randint(1, 0x7FFF)
    if kind == "dns":
        replies = await session.udp_exchange(port, dns_query(), max_replies=1)
        parsed = next((p for p in map(parse_dns, replies) if p), None)
        if parsed:
            return UdpAnswer(port, "dns", f"DNS server answers ({parsed['rcode']})", parsed)
    elif kind == "snmp":
        replies = await session.udp_exchange(port, snmp_get(request_id=rid), max_replies=1)
        parsed = next((p for p in map(parse_snmp, replies) if p), None)
        if parsed:
            descr = parsed["values"].get(SNMP_SYSDESCR, "")
            return UdpAnswer(port, "snmp", f"SNMP answers community 'public': {descr}"[:300],
                             parsed)
    elif kind == "ssdp":
        replies = await session.udp_exchange(port, ssdp_search(session.url_host(), port))
        parsed_all = [p for p in map(parse_ssdp, replies) if p]
        if parsed_all:
            first = parsed_all[0]
            return UdpAnswer(port, "ssdp", f"SSDP answers: {first.get('server', '')} "
                             f"{first.get('location', '')}".strip()[:300],
                             {"responses": parsed_all})
    elif kind == "mdns":
        replies = await session.udp_exchange(
            port, dns_query("_services._dns-sd._udp.local", "PTR", "IN", mdns=True),
            max_replies=1)
        parsed = next((p for p in map(parse_dns, replies) if p), None)
        if parsed:
            return UdpAnswer(port, "mdns", "mDNS answers unicast queries: "
                             + ", ".join(parsed["answers"][:5]), parsed)
    elif kind == "coap":
        replies = await session.udp_exchange(port, coap_get_core(rid), max_replies=1)
        parsed = next((p for p in map(parse_coap, replies) if p), None)
        if parsed:
            return UdpAnswer(port, "coap", f"CoAP answers {parsed['code']}; resources: "
                             + ", ".join(parsed["resources"][:8]), parsed)
    return None
