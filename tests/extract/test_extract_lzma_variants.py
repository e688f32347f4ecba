"""The vendor LZMA block layouts the SquashFS codec search must recognise, each built with
Python's liblzma binding (an independent encoder) and decoded through the candidate list."""

from __future__ import annotations

import lzma
import os
import struct

import pytest

from iotbaseline.extract.squashfs.codecs import candidate_codecs, detect_codec

PLAIN = (b"#!/bin/sh\nexport PATH=/bin:/sbin\n" * 200 + os.urandom(512))[:8192]


def _raw(lc: int = 3, lp: int = 0, pb: int = 2) -> bytes:
    filters = [{"id": lzma.FILTER_LZMA1, "lc": lc, "lp": lp, "pb": pb, "dict_size": 1 << 16}]
    return lzma.compress(PLAIN, format=lzma.FORMAT_RAW, filters=filters)


def _alone() -> bytes:
    return lzma.compress(PLAIN, format=lzma.FORMAT_ALONE)


LAYOUTS = {
    "lzma-alone": _alone(),
    "lzma-alone with a wrong size field": _alone()[:5] + struct.pack("<Q", 65536) + _alone()[13:],
    "5-byte header (props + dictionary, no size)": bytes([0x5D]) + struct.pack("<I", 1 << 16)
    + _raw(),
    "4-byte marker before a 5-byte header": b"\x00\x00\x20\x00" + bytes([0x5D])
    + struct.pack("<I", 1 << 16) + _raw(),
    "raw stream, default properties": _raw(),
    "raw stream, lc=0 lp=2 pb=0": _raw(0, 2, 0),
    "raw stream, lc=1 lp=1 pb=1": _raw(1, 1, 1),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_vendor_lzma_layout_is_found(layout: str) -> None:
    block = LAYOUTS[layout]
    codec = detect_codec(block, len(PLAIN), candidate_codecs(None, 65536),
                         accept=lambda out: out == PLAIN)
    assert codec is not None, layout
    assert codec(block, len(PLAIN)) == PLAIN


def test_garbage_is_not_decoded() -> None:
    block = os.urandom(3000)
    assert detect_codec(block, len(PLAIN), candidate_codecs(None, 65536),
                        accept=lambda out: out == PLAIN) is None
