"""Netgear CHK and Broadcom TRX containers around a SquashFS root, built here from the
formats' published layouts (OpenWrt's mkchkimg and trx tools describe them):

TRX (little-endian): "HDR0", total length, CRC32 over byte 12 to the end (initial value
0xffffffff, no final inversion), flags (16 bit), version (16 bit), then 3 (v1) or 4 (v2)
partition offsets counted from the header's start.
CHK (big-endian): "*#$^", header length (40 + board id), region byte and 7 version bytes,
kernel checksum, rootfs checksum, kernel length, rootfs length, image checksum, header
checksum (computed with the field zero), then the board id without a NUL.
"""

from __future__ import annotations

import binascii
import lzma
import os
import struct
import subprocess
from pathlib import Path

import pytest
from conftest import PASSWD

from iotbaseline.extract import extract_image
from iotbaseline.extract.headers import parse_chk, parse_trx

BOARD = b"U12H270T00_NETGEAR"


KERNEL_TEXT = b"Linux version 2.6.36.4brcmarm (netgear)\0" * 50


def lzma_kernel() -> bytes:
    return lzma.compress(KERNEL_TEXT, format=lzma.FORMAT_ALONE)


def trx(parts: list[bytes], version: int = 1) -> bytes:
    count = 3 if version == 1 else 4
    header_size = 16 + 4 * count
    offsets, body = [], b""
    for part in parts:
        offsets.append(header_size + len(body))
        body += part + b"\0" * (-len(part) % 4)
    offsets += [0] * (count - len(offsets))
    length = header_size + len(body)
    tail = struct.pack("<HH", 0, version) + struct.pack(f"<{count}I", *offsets) + body
    crc = binascii.crc32(tail) ^ 0xFFFFFFFF  # CRC-32 without the final inversion
    return b"HDR0" + struct.pack("<II", length, crc) + tail


def netgear_sum(data: bytes) -> int:
    """Written from the description (bytes into c0, c0 into c1, fold each twice)."""
    c0 = c1 = 0
    for byte in data:
        c0 = (c0 + byte) % 2**32
        c1 = (c1 + c0) % 2**32
    c0 = (c0 & 0xFFFF) + (c0 >> 16)
    c0 = ((c0 >> 16) + c0) & 0xFFFF
    c1 = (c1 & 0xFFFF) + (c1 >> 16)
    c1 = ((c1 >> 16) + c1) & 0xFFFF
    return (c1 << 16) | c0


def chk(kernel: bytes, rootfs: bytes = b"", region: int = 1) -> bytes:
    header_len = 40 + len(BOARD)
    version = bytes([region, 1, 0, 2, 4, 1, 0, 26])
    fields = [netgear_sum(kernel), netgear_sum(rootfs), len(kernel), len(rootfs),
              netgear_sum(kernel + rootfs), 0]
    header = bytearray(b"*#$^" + struct.pack(">I", header_len) + version
                       + struct.pack(">6I", *fields) + BOARD)
    struct.pack_into(">I", header, 36, netgear_sum(bytes(header)))
    return bytes(header) + kernel + rootfs


def _assert_root(result) -> Path:
    assert result.roots, [e.message for e in result.errors]
    root = Path(result.roots[0].path)
    assert (root / "etc" / "passwd").read_bytes() == PASSWD
    assert os.readlink(root / "sbin" / "init") == "../bin/busybox"
    return root


def test_trx_header_parses_as_written(squashfs: bytes) -> None:
    kernel = lzma_kernel()
    data = trx([kernel, squashfs])
    header = parse_trx(data)
    assert header is not None
    assert header.description.startswith("TRX v1 container") and "CRC32 ok" in header.description
    kernel_end = 28 + len(kernel) + (-len(kernel) % 4)
    assert header.parts == [("kernel", 28, kernel_end), ("rootfs", kernel_end, len(data))]
    corrupted = data[:-1] + bytes([data[-1] ^ 1])
    assert "CRC32 mismatch" in parse_trx(corrupted).description  # type: ignore[union-attr]


def test_chk_header_parses_as_written() -> None:
    data = chk(b"K" * 100, b"R" * 50, region=2)
    header = parse_chk(data)
    assert header is not None
    assert "board U12H270T00_NETGEAR" in header.description
    assert "region NA" in header.description and "version 1.0.2.4_1.0.26" in header.description
    assert "header checksum ok" in header.description
    assert header.parts == [("kernel", 58, 158), ("rootfs", 158, 208)]
    broken = bytearray(data)
    broken[20] ^= 0xFF  # a checksum field inside the header: the header sum no longer matches
    assert "header checksum mismatch" in parse_chk(bytes(broken)).description  # type: ignore[union-attr]
    assert parse_chk(data[:100]) is None  # lengths run past the buffer


@pytest.mark.parametrize("version", [1, 2])
def test_trx_kernel_then_squashfs(squashfs: bytes, tmp_path: Path, version: int) -> None:
    image = tmp_path / "fw.trx"
    image.write_bytes(trx([lzma_kernel(), squashfs], version))
    result = extract_image(image, tmp_path / "work")
    _assert_root(result)
    kernel_end = 16 + 4 * (3 if version == 1 else 4) + len(lzma_kernel())
    kernel_end += -kernel_end % 4
    prov = result.roots[0].provenance
    assert prov[0] == "fw.trx"
    assert prov[1].startswith(f"TRX v{version} container") and "CRC32 ok" in prov[1]
    assert prov[2].startswith(f"image offset {kernel_end:#x}: SquashFS 4.0")
    kernel = next(c for c in result.chunks if c.kind == "kernel")
    assert kernel.extracted_to
    assert (tmp_path / "work" / kernel.extracted_to).read_bytes() == KERNEL_TEXT


def test_chk_wrapping_trx(squashfs: bytes, tmp_path: Path) -> None:
    inner = trx([lzma_kernel(), squashfs])
    image = tmp_path / "R7000-V1.0.2.4_1.0.26.chk"
    image.write_bytes(chk(inner))
    result = extract_image(image, tmp_path / "work")
    _assert_root(result)
    header_len = 40 + len(BOARD)
    kernel_end = header_len + 28 + len(lzma_kernel()) + (-len(lzma_kernel()) % 4)
    prov = result.roots[0].provenance
    assert prov[1].startswith("Netgear CHK header (board U12H270T00_NETGEAR, region WW")
    assert prov[2].startswith(f"image offset {header_len:#x}: TRX v1 container")
    assert prov[3].startswith(f"image offset {kernel_end:#x}: SquashFS 4.0")
    kinds = [(c.kind, c.start) for c in result.chunks]
    assert kinds[:4] == [("chk", 0), ("trx", header_len), ("kernel", header_len + 28),
                         ("squashfs", kernel_end)]


def test_chk_trx_via_unblob(tmp_path: Path) -> None:
    """No SquashFS (a gzip'd cpio root): the fast path gives up and unblob's own CHK and
    TRX handlers must open the nesting."""
    root = tmp_path / "root"
    for sub in ("etc", "bin", "sbin", "lib"):
        (root / sub).mkdir(parents=True)
    (root / "etc" / "passwd").write_bytes(PASSWD)
    os.symlink("../bin/busybox", root / "sbin" / "init")
    (root / "bin" / "busybox").write_bytes(os.urandom(4000))
    subprocess.run(f"cd {root} && find . | cpio -o -H newc 2>/dev/null | gzip > ../rd.gz",
                   shell=True, check=True)
    image = tmp_path / "fw.chk"
    image.write_bytes(chk(trx([lzma_kernel(), (tmp_path / "rd.gz").read_bytes()])))
    result = extract_image(image, tmp_path / "work")
    _assert_root(result)
    kinds = {c.kind for c in result.chunks}
    assert "chk" in kinds and any(k.startswith("trx") for k in kinds)
