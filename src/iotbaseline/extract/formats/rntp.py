"""Linksys/Radlan ".ros" RNTP containers (SRW managed switches).

Layout (read from the SRW2024 image): "RNTP1.01", part count (little-endian) at 0x20, then
32-byte part records from 0x30: name (16, NUL padded), offset, size, flags. A part starting
with "RNTP2.00" carries an "LZMA alone" stream 32 bytes after that tag; other parts (a 7-Zip
web archive, build-date text) are stored as they are.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from iotbaseline.extract.formats.members import FormatError, lzma_alone

MAGIC = b"RNTP1.01"
SUB_MAGIC = b"RNTP2.00"
SUB_HEADER = 32
RECORDS = 0x30
RECORD = 32
MAX_PARTS = 64


@dataclass(frozen=True)
class RntpPart:
    name: bytes
    offset: int
    size: int


def parse_rntp(data: bytes | memoryview) -> list[RntpPart]:
    if bytes(data[:8]) != MAGIC or len(data) < RECORDS:
        raise FormatError("no RNTP1.01 header")
    (count,) = struct.unpack_from("<I", data, 0x20)
    if not 0 < count <= MAX_PARTS or RECORDS + count * RECORD > len(data):
        raise FormatError(f"implausible RNTP part count {count}")
    parts = []
    for i in range(count):
        at = RECORDS + i * RECORD
        name = bytes(data[at : at + 16]).split(b"\x00", 1)[0]
        offset, size = struct.unpack_from("<II", data, at + 16)
        if offset < RECORDS + count * RECORD or offset + size > len(data) or not name:
            raise FormatError(f"RNTP part {i} ({name!r}) lies outside the file")
        parts.append(RntpPart(name, offset, size))
    return parts


def rntp_members(data: bytes | memoryview, parts: list[RntpPart],
                 max_out: int) -> Iterator[tuple[bytes, bytes]]:
    for part in parts:
        raw = data[part.offset : part.offset + part.size]
        if bytes(raw[:8]) == SUB_MAGIC:
            try:
                content, _used = lzma_alone(raw[SUB_HEADER:], max_out)
                yield part.name + b".bin", content
                continue
            except (FormatError, EOFError, ValueError, OSError):
                pass
        yield part.name, bytes(raw)
