"""Audio framing: AAC ADTS frames, RFC 3640 AU headers, and byte statistics for G.711.

ADTS headers are 7 bytes with a fixed layout (ISO/IEC 13818-7 6.2); reading them here is
simpler than a dependency and gives the byte positions the pattern needs, which PyAV does not.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

ADTS_SAMPLE_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
                     11025, 8000, 7350)


@dataclass(frozen=True, slots=True)
class AdtsFrame:
    offset: int
    header_length: int  # 7, or 9 with a CRC
    length: int  # whole frame, header included
    channels: int
    sample_rate: int


def parse_adts_header(data: bytes, pos: int) -> AdtsFrame | None:
    if pos + 7 > len(data):
        return None
    b = data[pos:pos + 7]
    if b[0] != 0xFF or b[1] & 0xF6 != 0xF0:  # syncword, layer 0
        return None
    sf_index = (b[2] >> 2) & 0x0F
    if sf_index >= len(ADTS_SAMPLE_RATES):
        return None
    header = 7 if b[1] & 0x01 else 9
    length = ((b[3] & 0x03) << 11) | (b[4] << 3) | (b[5] >> 5)
    if length < header:
        return None
    channels = ((b[2] & 0x01) << 2) | (b[3] >> 6)
    return AdtsFrame(pos, header, length, channels, ADTS_SAMPLE_RATES[sf_index])


def split_adts(data: bytes) -> tuple[list[AdtsFrame], int]:
    """ADTS frames in a stream, resynchronising after damage; also the number of bytes that
    were not inside any frame (garbage, truncation)."""
    frames: list[AdtsFrame] = []
    pos = 0
    skipped = 0
    size = len(data)
    while pos < size:
        frame = parse_adts_header(data, pos)
        if frame is None or pos + frame.length > size:
            nxt = data.find(b"\xff", pos + 1)
            nxt = size if nxt == -1 else nxt
            skipped += nxt - pos
            pos = nxt
            continue
        frames.append(frame)
        pos += frame.length
    return frames, skipped


def looks_like_adts(data: bytes) -> bool:
    """Two consecutive ADTS headers at the start."""
    first = parse_adts_header(data, 0)
    return first is not None and parse_adts_header(data, first.length) is not None


def aac_first_element_plausible(raw: bytes, channels: int) -> bool:
    """The first syntax element of an AAC raw_data_block: a mono stream starts with an SCE
    (id 0), a stereo one with a CPE (id 1), or a fill/DSE before it; instance tag 0. These bits
    are inside the part the pattern leaves clear, and random bytes match one time in sixteen."""
    if not raw:
        return False
    element = raw[0] >> 5
    tag = (raw[0] >> 1) & 0x0F
    expected = {1: 0, 2: 1}.get(channels)
    if element in (4, 6):  # DSE or FIL may come first
        return True
    return tag == 0 and (expected is None or element == expected)


def split_rfc3640(payload: bytes) -> Iterator[bytes]:
    """Access units of an RFC 3640 (mpeg4-generic AAC-hbr) RTP payload: a 16-bit
    AU-headers-length in bits, then 16-bit AU headers (13-bit size, 3-bit index)."""
    if len(payload) < 4:
        return
    header_bits = int.from_bytes(payload[:2], "big")
    if header_bits % 16:
        return
    count = header_bits // 16
    pos = 2 + count * 2
    for index in range(count):
        size = int.from_bytes(payload[2 + index * 2:4 + index * 2], "big") >> 3
        if pos + size > len(payload):
            return
        yield payload[pos:pos + size]
        pos += size


def byte_entropy(data: bytes) -> float:
    """Shannon entropy of the byte histogram, bits per byte (8.0 for ciphertext)."""
    if not data:
        return 0.0
    total = len(data)
    entropy = 0.0
    for value in range(256):
        count = data.count(value)
        if count:
            p = count / total
            entropy -= p * math.log2(p)
    return entropy


def ciphertext_threshold(sample_size: int) -> float:
    """Entropy a sample of random bytes reaches with near certainty: the estimate of a uniform
    source falls short of 8 by about 255 / (2 n ln 2) bits, so we allow four times that."""
    if sample_size <= 0:
        return 8.0
    return 8.0 - 4 * 255 / (2 * sample_size * math.log(2))
