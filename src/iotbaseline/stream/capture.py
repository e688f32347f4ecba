"""Captures (pcap, pcapng): packets read by dpkt, then RTP over UDP or RTSP-interleaved TCP
depacketised into elementary streams, and TLS / DTLS / SRTP flows recognised as such.

dpkt parses the link, IP, UDP and TCP layers; it has no TCP reassembly or RTP payload formats,
so the small parts below do that: RFC 6184 (H.264 single NAL, STAP-A, FU-A), RFC 7798 (H.265
AP, FU), RFC 3640 (AAC-hbr), G.711 as is, and the RTSP interleaved framing ($, channel, length).
"""

from __future__ import annotations

import re
import socket
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from iotbaseline.stream.audio import byte_entropy, ciphertext_threshold, split_rfc3640
from iotbaseline.stream.tracks import MediaTrack, OpaqueFlow, StreamInputError, Track, Unit

PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
STATIC_PT = {0: "pcm_mulaw", 8: "pcm_alaw"}
SDP_CODECS = {"h264": "h264", "h265": "hevc", "mpeg4-generic": "aac", "pcma": "pcm_alaw",
              "pcmu": "pcm_mulaw"}


def is_capture(data: bytes) -> bool:
    return data[:4] in PCAP_MAGICS or data[:4] == PCAPNG_MAGIC


@dataclass
class _Sdp:
    codecs: dict[int, str] = field(default_factory=dict)  # payload type → codec
    configs: dict[int, bytes] = field(default_factory=dict)  # AAC AudioSpecificConfig
    secure: bool = False  # RTP/SAVP profile or a=crypto: SRTP
    order: list[int] = field(default_factory=list)  # payload type of each m= line


def parse_sdp(text: str, sdp: _Sdp) -> None:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            if len(parts) >= 4 and parts[3].isdigit():
                sdp.order.append(int(parts[3]))
            if len(parts) >= 3 and "SAVP" in parts[2]:
                sdp.secure = True
        elif line.startswith("a=crypto:"):
            sdp.secure = True
        elif match := re.match(r"a=rtpmap:(\d+)\s+([\w.-]+)/", line):
            codec = SDP_CODECS.get(match.group(2).lower())
            if codec:
                sdp.codecs[int(match.group(1))] = codec
        elif match := re.match(r"a=fmtp:(\d+)\s+(.*)", line):
            config = re.search(r"config=([0-9a-fA-F]+)", match.group(2))
            if config:
                sdp.configs[int(match.group(1))] = bytes.fromhex(config.group(1))


def _packets(path: Path, data: bytes) -> list[tuple[str, str, bytes, int]]:
    """(protocol, flow key, payload, TCP sequence or 0) of every UDP/TCP packet."""
    import io

    import dpkt

    try:
        reader = (dpkt.pcapng.Reader(io.BytesIO(data)) if data[:4] == PCAPNG_MAGIC
                  else dpkt.pcap.Reader(io.BytesIO(data)))
        link = reader.datalink()
    except (ValueError, dpkt.dpkt.Error) as exc:
        raise StreamInputError(f"{path}: damaged capture header ({exc})") from exc
    out: list[tuple[str, str, bytes, int]] = []
    try:
        for _, frame in reader:
            try:
                if link == dpkt.pcap.DLT_EN10MB:
                    ip = dpkt.ethernet.Ethernet(frame).data
                elif link == dpkt.pcap.DLT_LINUX_SLL:
                    ip = dpkt.sll.SLL(frame).data
                elif link in (dpkt.pcap.DLT_NULL, dpkt.pcap.DLT_LOOP):
                    ip = dpkt.loopback.Loopback(frame).data
                else:
                    ip = dpkt.ip.IP(frame) if frame[:1] and frame[0] >> 4 == 4 else dpkt.ip6.IP6(frame)
            except (dpkt.dpkt.Error, ValueError, IndexError):
                continue
            if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
                continue
            family = socket.AF_INET if isinstance(ip, dpkt.ip.IP) else socket.AF_INET6
            transport = ip.data
            if not isinstance(transport, (dpkt.udp.UDP, dpkt.tcp.TCP)) or not transport.data:
                continue
            proto = "udp" if isinstance(transport, dpkt.udp.UDP) else "tcp"
            key = (f"{proto}/{socket.inet_ntop(family, ip.src)}:{transport.sport}>"
                   f"{socket.inet_ntop(family, ip.dst)}:{transport.dport}")
            seq = transport.seq if proto == "tcp" else 0
            out.append((proto, key, bytes(transport.data), seq))
    except (dpkt.dpkt.NeedData, dpkt.dpkt.UnpackError, ValueError):
        pass  # a truncated capture: keep the packets read so far
    return out


def _reassemble(segments: list[tuple[int, bytes]]) -> bytes:
    """One direction of a TCP connection, in sequence order, retransmissions dropped."""
    out = bytearray()
    base = segments[0][0]
    end = 0
    for seq, payload in sorted(segments, key=lambda s: (s[0] - base) % (1 << 32)):
        rel = (seq - base) % (1 << 32)
        if rel + len(payload) <= end:
            continue
        out += payload[max(0, end - rel):]
        end = rel + len(payload)
    return bytes(out)


@dataclass
class _RtpGroup:
    key: str
    pt: int
    container: str
    payloads: list[bytes] = field(default_factory=list)


def _rtp_payload(packet: bytes) -> tuple[int, int, bytes] | None:
    """(payload type, ssrc, payload) of an RTP packet (RFC 3550 5.1), None if it is not one."""
    if len(packet) < 12 or packet[0] >> 6 != 2:
        return None
    pt = packet[1] & 0x7F
    if 72 <= pt <= 76:  # RTCP
        return None
    pos = 12 + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10:
        if pos + 4 > len(packet):
            return None
        pos += 4 + 4 * int.from_bytes(packet[pos + 2:pos + 4], "big")
    end = len(packet)
    if packet[0] & 0x20 and end > pos:
        end -= packet[-1]
    if pos >= end:
        return None
    return pt, int.from_bytes(packet[8:12], "big"), packet[pos:end]


def depacketise_h264(payloads: list[bytes]) -> list[bytes]:
    nals: list[bytes] = []
    partial: bytearray | None = None
    for p in payloads:
        kind = p[0] & 0x1F
        if 1 <= kind <= 23:
            nals.append(p)
        elif kind == 24:  # STAP-A
            pos = 1
            while pos + 2 <= len(p):
                size = int.from_bytes(p[pos:pos + 2], "big")
                if size == 0 or pos + 2 + size > len(p):
                    break
                nals.append(p[pos + 2:pos + 2 + size])
                pos += 2 + size
        elif kind == 28 and len(p) > 2:  # FU-A
            start, end = p[1] & 0x80, p[1] & 0x40
            if start:
                partial = bytearray([(p[0] & 0xE0) | (p[1] & 0x1F)])
            if partial is not None:
                partial += p[2:]
                if end:
                    nals.append(bytes(partial))
                    partial = None
    return nals


def depacketise_hevc(payloads: list[bytes]) -> list[bytes]:
    nals: list[bytes] = []
    partial: bytearray | None = None
    for p in payloads:
        if len(p) < 3:
            continue
        kind = (p[0] >> 1) & 0x3F
        if kind == 48:  # aggregation packet
            pos = 2
            while pos + 2 <= len(p):
                size = int.from_bytes(p[pos:pos + 2], "big")
                if size == 0 or pos + 2 + size > len(p):
                    break
                nals.append(p[pos + 2:pos + 2 + size])
                pos += 2 + size
        elif kind == 49:  # fragmentation unit
            if p[2] & 0x80:
                partial = bytearray([(p[0] & 0x81) | ((p[2] & 0x3F) << 1), p[1]])
            if partial is not None:
                partial += p[3:]
                if p[2] & 0x40:
                    nals.append(bytes(partial))
                    partial = None
        elif kind < 48:
            nals.append(p)
    return nals


def _looks_h264(payloads: list[bytes]) -> bool:
    good = sum(1 for p in payloads if not p[0] & 0x80 and (1 <= p[0] & 0x1F <= 24 or p[0] & 0x1F == 28))
    return good >= 0.9 * len(payloads)


def _looks_rfc3640(payloads: list[bytes]) -> bool:
    """AAC-hbr: 16-bit AU headers whose sizes add up to the rest of the packet."""
    def fits(p: bytes) -> bool:
        count = int.from_bytes(p[:2], "big") // 16 if len(p) > 4 else 0
        units = list(split_rfc3640(p))
        return count > 0 and len(units) == count and \
            2 + 2 * count + sum(map(len, units)) == len(p)
    return sum(map(fits, payloads)) >= 0.9 * len(payloads)


def _g711_with_auth_tag(payloads: list[bytes]) -> bool:
    """SRTP G.711 without SDP: G.711 packets carry whole 5 ms steps (40 bytes at 8 kHz); SRTP
    appends an 80- or 32-bit tag. Ciphertext payloads whose lengths are all such a step plus
    10 or 4 bytes are taken as SRTP (a heuristic: stated in the flow's facts)."""
    body = payloads[:-1] or payloads
    if not all(len(p) % 40 in (10, 4) for p in body):
        return False
    sample = b"".join(payloads)[:1 << 16]
    return byte_entropy(sample) >= ciphertext_threshold(len(sample)) - 0.3


def _group_to_track(path: Path, group: _RtpGroup, sdp: _Sdp) -> Track | None:
    payloads = group.payloads
    codec = sdp.codecs.get(group.pt) or STATIC_PT.get(group.pt)
    ident = f"{path.name}#{group.key}/pt{group.pt}"
    size = sum(len(p) for p in payloads)
    if sdp.secure:
        return OpaqueFlow(ident, str(path), "srtp", group.container, size, len(payloads),
                          facts={"payload_type": group.pt, "sdp": "RTP/SAVP or a=crypto"})
    if codec is None:
        if _looks_rfc3640(payloads):
            codec = "aac"
        elif _looks_h264(payloads):
            codec = "h264"
        else:
            sample = b"".join(payloads)[:1 << 16]
            if byte_entropy(sample) >= ciphertext_threshold(len(sample)):
                return OpaqueFlow(ident, str(path), "srtp", group.container, size, len(payloads),
                                  facts={"payload_type": group.pt,
                                         "why": "RTP headers with payloads that are uniform "
                                                "ciphertext, in no payload format"})
            return None
    if codec in ("pcm_alaw", "pcm_mulaw") and _g711_with_auth_tag(payloads):
        return OpaqueFlow(ident, str(path), "srtp", group.container, size, len(payloads),
                          facts={"payload_type": group.pt,
                                 "why": "G.711 payloads of ciphertext, each 10 or 4 bytes longer "
                                        "than whole 5 ms of audio: an SRTP authentication tag"})
    track = MediaTrack(id=ident, source=str(path), kind="video" if codec in ("h264", "hevc")
                       else "audio", codec=codec, container=group.container)
    track.facts["rtp_packets"] = len(payloads)
    if codec == "h264":
        track.units = [Unit(n) for n in depacketise_h264(payloads)]
    elif codec == "hevc":
        track.units = [Unit(n) for n in depacketise_hevc(payloads)]
    elif codec == "aac":
        track.units = [Unit(au) for p in payloads for au in split_rfc3640(p)]
        track.extradata = sdp.configs.get(group.pt)
        if track.extradata and len(track.extradata) >= 2:
            track.channels = (track.extradata[1] >> 3) & 0x0F
    else:
        track.units = [Unit(p) for p in payloads]
        track.channels, track.sample_rate = 1, 8000
    return track if track.units else None


def _tls_facts(stream: bytes) -> dict[str, object]:
    versions = {b"\x03\x01": "1.0", b"\x03\x02": "1.1", b"\x03\x03": "1.2 or 1.3"}
    records = 0
    pos = 0
    while pos + 5 <= len(stream) and stream[pos] in (20, 21, 22, 23):
        records += 1
        pos += 5 + int.from_bytes(stream[pos + 3:pos + 5], "big")
    return {"records": records, "record_version": versions.get(stream[1:3], stream[1:3].hex())}


def _is_tls(stream: bytes) -> bool:
    return len(stream) >= 5 and stream[0] in (22, 23) and stream[1] == 3 and stream[2] <= 4


def _is_dtls(payload: bytes) -> bool:
    return len(payload) >= 13 and 20 <= payload[0] <= 25 and payload[1:3] in (b"\xfe\xff",
                                                                               b"\xfe\xfd")


def _interleaved(stream: bytes, sdp: _Sdp) -> dict[int, list[bytes]]:
    """RTP packets per interleaved channel of an RTSP-over-TCP byte stream; RTSP messages in
    between are read for their SDP."""
    channels: dict[int, list[bytes]] = defaultdict(list)
    pos = 0
    size = len(stream)
    while pos < size:
        if stream[pos] == 0x24 and pos + 4 <= size:  # '$'
            length = int.from_bytes(stream[pos + 2:pos + 4], "big")
            channels[stream[pos + 1]].append(stream[pos + 4:pos + 4 + length])
            pos += 4 + length
            continue
        end = stream.find(b"\r\n\r\n", pos)
        if end == -1:
            break
        head = stream[pos:end].decode("latin-1")
        body_len = int(m.group(1)) if (m := re.search(r"(?im)^content-length:\s*(\d+)", head)) else 0
        body = stream[end + 4:end + 4 + body_len]
        if b"m=" in body:
            parse_sdp(body.decode("latin-1"), sdp)
        pos = end + 4 + body_len
    return channels


def read_capture(path: Path, data: bytes) -> list[Track]:
    packets = _packets(path, data)
    if not packets:
        raise StreamInputError(f"{path}: capture without any UDP or TCP payload")
    sdp = _Sdp()
    tcp: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
    udp: dict[str, list[bytes]] = defaultdict(list)
    for proto, key, payload, seq in packets:
        (tcp[key].append((seq, payload)) if proto == "tcp" else udp[key].append(payload))
    tracks: list[Track] = []
    groups: dict[tuple[str, int, int], _RtpGroup] = {}
    for key, segments in tcp.items():
        stream = _reassemble(segments)
        if _is_tls(stream):
            tracks.append(OpaqueFlow(f"{path.name}#{key}", str(path), "tls", "tcp", len(stream),
                                     len(segments), facts=_tls_facts(stream)))
        elif stream.startswith((b"$", b"RTSP/1.0", b"DESCRIBE", b"OPTIONS", b"ANNOUNCE",
                                b"SETUP", b"PLAY", b"RECORD")):
            for channel, rtp_packets in _interleaved(stream, sdp).items():
                for packet in rtp_packets:
                    parsed = _rtp_payload(packet)
                    if parsed and channel % 2 == 0:
                        pt, ssrc, payload = parsed
                        group = groups.setdefault((f"{key}/ch{channel}", pt, ssrc), _RtpGroup(
                            f"{key}/ch{channel}", pt, "rtsp-interleaved"))
                        group.payloads.append(payload)
    for key, payloads in udp.items():
        if sum(_is_dtls(p) for p in payloads) >= 0.5 * len(payloads):
            tracks.append(OpaqueFlow(f"{path.name}#{key}", str(path), "dtls", "udp",
                                     sum(map(len, payloads)), len(payloads)))
            continue
        for payload in payloads:
            parsed = _rtp_payload(payload)
            if parsed:
                pt, ssrc, body = parsed
                groups.setdefault((key, pt, ssrc), _RtpGroup(key, pt, "rtp")).payloads.append(body)
    for group in groups.values():
        if len(group.payloads) >= 3:
            track = _group_to_track(path, group, sdp)
            if track is not None:
                tracks.append(track)
    if not tracks:
        raise StreamInputError(f"{path}: no RTP media, RTSP-interleaved stream, TLS or DTLS "
                               "flow in the capture")
    return tracks
