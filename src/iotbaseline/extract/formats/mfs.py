"""Wind River MFS, the small file system TP-Link VxWorks routers keep their web pages in.

Layout (read from the TL-WR702N image; no library reads it): 32 bytes "owowow…", then
big-endian version, file count and a size word; then per file 48 bytes: name (40, NUL
padded), compressed size, offset from the start of the MFS. Each member is an "LZMA alone"
stream (TP-Link uses properties 0x5A, which naive 5D-00-00 carving misses).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from iotbaseline.extract.formats.members import FormatError, lzma_alone

MAGIC = b"ow" * 16
ENTRY = 48
HEADER = 44
MAX_FILES = 65536


@dataclass(frozen=True)
class MfsEntry:
    name: bytes
    offset: int  # from the MFS start
    size: int


def parse_mfs(data: bytes | memoryview) -> list[MfsEntry]:
    if bytes(data[:32]) != MAGIC or len(data) < HEADER:
        raise FormatError("no MFS magic")
    _version, count, _size = struct.unpack_from(">III", data, 32)
    if not 0 < count <= MAX_FILES or HEADER + count * ENTRY > len(data):
        raise FormatError(f"implausible MFS file count {count}")
    entries = []
    for i in range(count):
        at = HEADER + i * ENTRY
        name = bytes(data[at : at + 40]).split(b"\x00", 1)[0]
        size, offset = struct.unpack_from(">II", data, at + 40)
        if offset < HEADER + count * ENTRY or offset + size > len(data) or not name:
            raise FormatError(f"MFS entry {i} ({name!r}) points outside the file system")
        entries.append(MfsEntry(name, offset, size))
    return entries


def mfs_end(entries: list[MfsEntry]) -> int:
    return max(e.offset + e.size for e in entries)


def mfs_members(data: bytes | memoryview, entries: list[MfsEntry],
                max_out: int) -> Iterator[tuple[bytes, bytes]]:
    for entry in entries:
        raw = data[entry.offset : entry.offset + entry.size]
        try:
            content, _used = lzma_alone(raw, max_out)
        except (FormatError, EOFError, ValueError, OSError):
            content = bytes(raw)  # stored, or a stream we cannot decode: kept as it is
        yield entry.name, content
