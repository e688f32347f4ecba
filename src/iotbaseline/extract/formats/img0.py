"""VxWorks "IMG0" images (TP-Link VxWorks routers): a 128-byte big-endian header, maybe a
small uncompressed boot stub, then the kernel+application as one "LZMA alone" stream with
non-default properties (0x6E on the TL-WR702N). The stream is found by its header (valid
properties byte, power-of-two dictionary) and must decode; its end bounds the chunk so what
follows (a second IMG0, the MFS) is carved on its own.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from iotbaseline.extract.formats.members import FormatError, lzma_alone

MAGIC = b"IMG0"
HEADER = 0x80
SEARCH = 0x10000  # the boot stub before the stream is a few KiB
PROBE = 0x10000


@dataclass(frozen=True)
class Img0:
    size: int  # from the header
    stream_at: int  # offset of the LZMA stream from the IMG0 start


def _lzma_header_ok(head: bytes) -> bool:
    if len(head) < 13 or head[0] >= 225:
        return False
    (dictionary,) = struct.unpack_from("<I", head, 1)
    (length,) = struct.unpack_from("<Q", head, 5)
    return bool(dictionary & (dictionary - 1) == 0 and 1 << 12 <= dictionary <= 1 << 28
            and (length == (1 << 64) - 1 or length < 1 << 30))


def parse_img0(data: bytes | memoryview) -> Img0:
    if bytes(data[:4]) != MAGIC or len(data) < HEADER + 13:
        raise FormatError("no IMG0 header")
    (size,) = struct.unpack_from(">I", data, 4)
    if size <= HEADER:
        raise FormatError(f"IMG0 size {size} is smaller than its header")
    # The size may cover more than the chunk carved for it (a second IMG0 and the MFS
    # live inside the first one's span), so only the stream search is bounded by it.
    for at in range(HEADER, min(size, len(data), HEADER + SEARCH) - 13, 4):
        if not _lzma_header_ok(bytes(data[at : at + 13])):
            continue
        try:
            out, _used = lzma_alone(data[at : at + PROBE], PROBE * 64)
        except (FormatError, EOFError, ValueError, OSError):
            continue
        if len(out) >= 4096:
            return Img0(size, at)
    raise FormatError("IMG0: no LZMA stream found after the header")
