"""Vendor firmware headers recognised on the fast path (before or instead of unblob).

Each parser looks at the start of a buffer and returns the header's parts (name, start,
end) with a description for provenance, or None. Offsets are checked against the buffer,
never trusted. Layouts: TP-Link v1/v2 (OpenWrt's mktplinkfw), U-Boot legacy uImage, and
Broadcom TRX (the last two are also carved by unblob on the slow path).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field


@dataclass
class Header:
    kind: str  # "tplink", "uimage", "trx"
    size: int  # bytes of the header itself
    description: str
    parts: list[tuple[str, int, int]] = field(default_factory=list)  # (name, start, end)


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def parse_tplink(buf: bytes) -> Header | None:
    if len(buf) < 512:
        return None
    if buf[:4] != b"\x01\x00\x00\x00":  # v1 (v2 headers are laid out differently)
        return None
    version = 1
    vendor, fw_version = _text(buf[4:28]), _text(buf[28:64])
    hw_id, hw_rev = struct.unpack_from(">II", buf, 64)
    _la, _ep, _fw_length, kernel_ofs, kernel_len = struct.unpack_from(">5I", buf, 116)
    if not vendor.isprintable() or not fw_version.isprintable() or not vendor:
        return None
    if not (512 <= kernel_ofs and kernel_len and kernel_ofs + kernel_len <= len(buf)):
        return None
    header = Header("tplink", 512,
                    f"TP-Link v{version} header ({vendor} {fw_version}, hw {hw_id:08x} v{hw_rev})")
    # rootfs_ofs is a flash address in OpenWrt builds, not a file offset: what follows the
    # kernel is left to carving rather than trusted.
    header.parts.append(("kernel", kernel_ofs, kernel_ofs + kernel_len))
    return header


UIMAGE_COMPRESSION = {0: "none", 1: "gzip", 2: "bzip2", 3: "lzma", 4: "lzo", 5: "lz4", 6: "zstd"}


def parse_uimage(buf: bytes) -> Header | None:
    if len(buf) < 64 or buf[:4] != b"\x27\x05\x19\x56":
        return None
    size = struct.unpack_from(">I", buf, 12)[0]
    comp, name = buf[31], _text(buf[32:64])
    if 64 + size > len(buf):
        return None
    header = Header("uimage", 64,
                    f"U-Boot uImage '{name}' ({UIMAGE_COMPRESSION.get(comp, comp)} payload)")
    header.parts.append(("payload", 64, 64 + size))
    return header


def parse_trx(buf: bytes) -> Header | None:
    if len(buf) < 28 or buf[:4] != b"HDR0":
        return None
    length, _crc, _flags, version = struct.unpack_from("<IIHH", buf, 4)
    if version not in (1, 2) or length > len(buf) or length < 28:
        return None
    count = 3 if version == 1 else 4
    offsets = [o for o in struct.unpack_from(f"<{count}I", buf, 16) if 0 < o < length]
    header = Header("trx", 28 if version == 1 else 32, f"TRX v{version} container")
    bounds = sorted(offsets) + [length]
    for i, start in enumerate(sorted(offsets)):
        header.parts.append((f"partition-{i}", start, bounds[i + 1]))
    return header


def parse_known_header(buf: bytes) -> Header | None:
    for parser in (parse_tplink, parse_uimage, parse_trx):
        found = parser(buf)
        if found is not None:
            return found
    return None
