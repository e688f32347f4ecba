"""Block decompressors for SquashFS, including the vendor LZMA variants.

Standard SquashFS names its compressor in the superblock (v4) or always uses zlib (v2/v3).
Vendors patched old kernels to use LZMA without saying so, and stored the LZMA properties in
several incompatible ways: the 13-byte "lzma alone" header, a 5-byte header (properties and
dictionary size, no length), or no header at all (properties fixed in their kernel). A
``Codec`` is one such way; ``detect_codec`` tries the candidates on a block whose decompressed
length is known and keeps the first that yields exactly that length, which is how a vendor
image tells us its layout. Each decode is bounded by ``max_out`` so a hostile block cannot
expand without limit.
"""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import lz4.block  # type: ignore[import-untyped]
import lzallright
import pyzstd


class CodecError(Exception):
    """A block could not be decompressed with the chosen codec."""


Decoder = Callable[[bytes, int], bytes]


@dataclass(frozen=True)
class Codec:
    name: str  # "gzip", "xz", "lzma-alone", "lzma-raw(lc=3,lp=0,pb=2)"…
    decode: Decoder
    # A raw LZMA stream without length or end marker: the decoder runs on into the block's
    # padding, so its output is cut at the length the caller expects instead of refused.
    unterminated: bool = False

    def __call__(self, data: bytes, max_out: int) -> bytes:
        try:
            out = self.decode(data, max_out)
        except CodecError:
            raise
        except Exception as exc:  # every library raises its own type on corrupt input
            raise CodecError(f"{self.name}: {exc}") from exc
        if len(out) > max_out and self.unterminated:
            return out[:max_out]
        if len(out) > max_out:
            raise CodecError(f"{self.name}: block expands beyond {max_out} bytes")
        return out


def _zlib(data: bytes, max_out: int) -> bytes:
    d = zlib.decompressobj()
    out = d.decompress(data, max_out + 1)
    return out


def _lzma_stream(fmt: int, filters: list[dict[str, int]] | None = None) -> Decoder:
    def decode(data: bytes, max_out: int) -> bytes:
        d = lzma.LZMADecompressor(format=fmt, filters=filters)
        return d.decompress(data, max_out + 1)

    return decode


def _lzma_props(props: int, dict_size: int) -> dict[str, int]:
    if props >= 9 * 5 * 5:
        raise CodecError(f"invalid LZMA properties byte 0x{props:02x}")
    lc = props % 9
    rest = props // 9
    return _lzma1_filter(lc, rest % 5, rest // 5, dict_size)


def _lzma1_filter(lc: int, lp: int, pb: int, dict_size: int) -> dict[str, int]:
    return {
        "id": lzma.FILTER_LZMA1,
        "lc": lc,
        "lp": lp,
        "pb": pb,
        "dict_size": max(dict_size, 8192),  # one stream never spans more than its block
    }


def _raw_lzma1(filt: dict[str, int], data: bytes, max_out: int) -> bytes:
    # liblzma's raw LZMA1 decoder needs lc + lp <= 4.
    if filt["lc"] + filt["lp"] > 4:
        raise CodecError("lc + lp > 4 is not decodable")
    d = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=[filt])
    return d.decompress(data, max_out + 1)


def _lzma_five_byte_header(data: bytes, max_out: int) -> bytes:
    """Properties byte + 32-bit dictionary size, then the raw stream (no length field)."""
    if len(data) < 6:
        raise CodecError("too short for an LZMA header")
    filt = _lzma_props(data[0], int.from_bytes(data[1:5], "little"))
    return _raw_lzma1(filt, data[5:], max_out)


def _lzma_alone(data: bytes, max_out: int) -> bytes:
    if len(data) < 14 or data[0] >= 225:
        raise CodecError("not an lzma-alone header")
    return _lzma_stream(lzma.FORMAT_ALONE)(data, max_out)


def _after_marker(inner: Decoder, skip: int) -> Decoder:
    """Some Broadcom/Realtek builds put a small marker (e.g. a length word) before the stream."""
    return lambda data, max_out: inner(data[skip:], max_out)


def _lzma_alone_any_size(data: bytes, max_out: int) -> bytes:
    """An "alone" header whose 8-byte size field is wrong (some vendor tools write the block
    size or garbage there): decoded as if the size were unknown."""
    if len(data) < 14 or data[0] >= 225:
        raise CodecError("not an lzma-alone header")
    return _lzma_stream(lzma.FORMAT_ALONE)(data[:5] + b"\xff" * 8 + data[13:], max_out)


def _raw_with(lc: int, lp: int, pb: int, dict_size: int) -> Decoder:
    filt = _lzma1_filter(lc, lp, pb, dict_size)
    return lambda data, max_out: _raw_lzma1(filt, data, max_out)


def _lzo(data: bytes, max_out: int) -> bytes:
    out: bytes = lzallright.LZOCompressor().decompress(data, output_size_hint=max_out)
    return out


def _lz4(data: bytes, max_out: int) -> bytes:
    out: bytes = lz4.block.decompress(data, uncompressed_size=max_out)
    return out


def _zstd(data: bytes, max_out: int) -> bytes:
    d = pyzstd.ZstdDecompressor()
    return d.decompress(data, max_length=max_out + 1)


GZIP = Codec("gzip", _zlib)
XZ = Codec("xz", _lzma_stream(lzma.FORMAT_XZ))
LZMA_ALONE = Codec("lzma-alone", _lzma_alone)
LZO = Codec("lzo", _lzo)
LZ4 = Codec("lz4", _lz4)
ZSTD = Codec("zstd", _zstd)
LZMA_ALONE_ANY_SIZE = Codec("lzma-alone (size field ignored)", _lzma_alone_any_size,
                            unterminated=True)
LZMA_5BYTE = Codec("lzma-5byte-header", _lzma_five_byte_header, unterminated=True)

# SquashFS 4 compressor ids (superblock field "compression").
V4_COMPRESSORS: dict[int, Codec] = {1: GZIP, 2: LZMA_ALONE, 3: LZO, 4: XZ, 5: LZ4, 6: ZSTD}


def raw_lzma(lc: int, lp: int, pb: int, dict_size: int) -> Codec:
    return Codec(f"lzma-raw(lc={lc},lp={lp},pb={pb})", _raw_with(lc, lp, pb, dict_size),
                 unterminated=True)


def _common_raw_props() -> Iterable[tuple[int, int, int]]:
    # The LZMA SDK default first, then the rest of the valid space (sasquatch-style brute force).
    yield (3, 0, 2)
    yield (0, 2, 0)
    yield (1, 3, 0)
    for lc in range(5):
        for lp in range(5):
            if lc + lp > 4:
                continue
            for pb in range(5):
                if (lc, lp, pb) not in ((3, 0, 2), (0, 2, 0), (1, 3, 0)):
                    yield (lc, lp, pb)


def candidate_codecs(
    declared: Codec | None, block_size: int, hint_props: Iterable[int] = ()
) -> list[Codec]:
    """Codecs to try, most likely first: the declared one, then vendor LZMA layouts."""
    found: list[Codec] = []
    if declared is not None:
        found.append(declared)
    found += [GZIP, LZMA_ALONE, LZMA_5BYTE, XZ, LZMA_ALONE_ANY_SIZE]
    for props in hint_props:  # a properties byte a vendor left in the superblock
        if 0 < props < 225:
            lc, rest = props % 9, props // 9
            found.append(raw_lzma(lc, rest % 5, rest // 5, block_size))
    found.append(Codec("lzma-5byte-header after a 4-byte marker",
                       _after_marker(_lzma_five_byte_header, 4), unterminated=True))
    found.append(Codec("lzma-raw(lc=3,lp=0,pb=2) after a 4-byte marker",
                       _after_marker(_raw_with(3, 0, 2, block_size), 4), unterminated=True))
    found += [raw_lzma(lc, lp, pb, block_size) for lc, lp, pb in _common_raw_props()]
    found += [LZO, LZ4, ZSTD]
    return found


def detect_codec(
    block: bytes,
    expected_len: int,
    candidates: list[Codec],
    accept: Callable[[bytes], bool] | None = None,
) -> Codec | None:
    """First codec that turns ``block`` into exactly ``expected_len`` acceptable bytes."""
    for codec in candidates:
        try:
            out = codec(block, expected_len)
        except CodecError:
            continue
        if len(out) == expected_len and (accept is None or accept(out)):
            return codec
    return None
