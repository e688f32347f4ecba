"""Arcadyan obfuscated LZMA (Belkin/Arcadyan router OS images).

The scheme, as described in binwalk 3's public ``arcadyan`` extractor: the 32-byte blocks at
0x04 and 0x68 are swapped, then the block now at 0x04 has each byte's nibbles swapped and
each pair of bytes exchanged; the result is an "LZMA alone" stream from offset 4. The
obfuscated image shows ``00 D5 08 00`` at 0x68 (the moved LZMA header), which is how it is
recognised. Decompression is bounded by the caller's byte budget.
"""

from __future__ import annotations

import lzma

from iotbaseline.extract.decrypt.common import Decrypted, DecryptError

MARKER = b"\x00\xd5\x08\x00"
MARKER_AT = 0x68
BLOCK = 32
FIRST, SECOND = 0x04, 0x68


def deobfuscate(data: bytes) -> bytes:
    if len(data) < SECOND + BLOCK:
        raise DecryptError("Arcadyan: shorter than the obfuscated header")
    first = bytearray(data[SECOND : SECOND + BLOCK])
    for i in range(BLOCK):
        first[i] = ((first[i] & 0x0F) << 4) | (first[i] >> 4)
    first[0::2], first[1::2] = first[1::2], first[0::2]
    return (data[:FIRST] + bytes(first) + data[FIRST + BLOCK : SECOND]
            + data[FIRST : FIRST + BLOCK] + data[SECOND + BLOCK :])


def looks_like_arcadyan(head: bytes) -> bool:
    if head[MARKER_AT : MARKER_AT + 4] != MARKER:
        return False
    try:
        plain = deobfuscate(head[: SECOND + BLOCK])
    except DecryptError:
        return False
    return plain[4] < 225 and plain[5:9] != b"\x00\x00\x00\x00"


def open_arcadyan(data: bytes, max_out: int) -> Decrypted:
    plain = deobfuscate(data)
    decoder = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    try:
        out = decoder.decompress(plain[4:], max_out + 1)
    except lzma.LZMAError as exc:
        raise DecryptError(f"Arcadyan: de-obfuscated LZMA stream is corrupt ({exc})") from exc
    if len(out) > max_out:
        raise DecryptError(f"Arcadyan: LZMA stream expands beyond the {max_out}-byte bound")
    end = len(data) - len(decoder.unused_data) if decoder.eof else len(data)
    return Decrypted("arcadyan-lzma", "Arcadyan obfuscated LZMA, de-obfuscated and decompressed",
                     out, end)
