"""Vendor firmware headers recognised on the fast path (before or instead of unblob).

Each parser looks at the start of a buffer and returns the header's parts (name, start,
end) with a description for provenance, or None. Offsets are checked against the buffer,
never trusted. Layouts: TP-Link v1/v2 (OpenWrt's mktplinkfw), U-Boot legacy uImage,
Broadcom TRX and Netgear CHK (both also carved by unblob), D-Link/Alpha wrgg03, Android boot
images, U-Boot FIT and Huawei HWNP packets. Part names matter to the fast path: parts named
``kernel…`` are decompressed as kernels, ``loader`` parts are kept as they are, the others
are searched for filesystems.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass, field

from iotbaseline.extract.squashfs.superblock import MAGICS as SQUASHFS_MAGICS


@dataclass
class Header:
    kind: str  # "tplink", "uimage", "trx"
    size: int  # bytes of the header itself
    description: str
    parts: list[tuple[str, int, int]] = field(default_factory=list)  # (name, start, end)


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


def parse_tplink(buf: bytes) -> Header | None:
    """TP-Link v1 (vendor name at 4, offsets at 0x74) or v2 (version string at 4, 0x68)."""
    if len(buf) < 512:
        return None
    if buf[:4] in (b"\x02\x00\x00\x00", b"\x03\x00\x00\x00"):
        return _parse_tplink_v2(buf)
    if buf[:4] != b"\x01\x00\x00\x00":
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


def _parse_tplink_v2(buf: bytes) -> Header | None:
    fw_version = _text(buf[4:52])
    hw_id, hw_rev = struct.unpack_from(">II", buf, 0x34)
    _la, _ep, _fw_length, kernel_ofs, kernel_len = struct.unpack_from(">5I", buf, 0x68)
    if not fw_version or not fw_version.isprintable():
        return None
    if not (512 <= kernel_ofs and kernel_len and kernel_ofs + kernel_len <= len(buf)):
        return None
    header = Header("tplink", 512, f"TP-Link v2 header ({fw_version}, hw {hw_id:08x} v{hw_rev})")
    header.parts.append(("kernel", kernel_ofs, kernel_ofs + kernel_len))
    return header


WRGG03_MAGIC = 0x20080321
WRGG03_SIZE = 160


def parse_wrgg(buf: bytes) -> Header | None:
    """D-Link/Alpha "wrgg03": 160-byte header (signature, magic 0x20080321, model, size)."""
    if len(buf) < WRGG03_SIZE:
        return None
    for order in ("<", ">"):
        if struct.unpack_from(order + "I", buf, 32)[0] == WRGG03_MAGIC:
            break
    else:
        return None
    signature, model = _text(buf[0:32]), _text(buf[56:72])
    (size,) = struct.unpack_from(order + "I", buf, 120)
    end = min(len(buf), WRGG03_SIZE + size) if size else len(buf)
    header = Header("wrgg", WRGG03_SIZE, f"D-Link/Alpha wrgg03 header ({signature}, model {model})")
    header.parts.append(("payload", WRGG03_SIZE, end))
    return header


def _align(value: int, to: int) -> int:
    return (value + to - 1) // to * to


def parse_android_boot(buf: bytes) -> Header | None:
    """Android boot image (header versions 0-4): kernel, ramdisk, second stage."""
    if len(buf) < 1648 or buf[:8] != b"ANDROID!":
        return None
    (version,) = struct.unpack_from("<I", buf, 40)
    if version >= 3:
        page = 4096
        kernel_size, ramdisk_size = struct.unpack_from("<II", buf, 8)
        second_size = 0
    else:
        kernel_size, _ka, ramdisk_size, _ra, second_size, _sa, _tags, page = struct.unpack_from(
            "<8I", buf, 8)
        if page not in (2048, 4096, 8192, 16384):
            return None
    header = Header("android-boot", page, f"Android boot image (header v{version}, page {page})")
    pos = page
    for name, size in (("kernel", kernel_size), ("ramdisk", ramdisk_size), ("second", second_size)):
        if size:
            if pos + size > len(buf):
                return None
            header.parts.append((name, pos, pos + size))
            pos = _align(pos + size, page)
    return header if header.parts else None


def parse_fit(buf: bytes) -> Header | None:
    """U-Boot FIT: a flattened device tree whose /images/* nodes carry the payloads, either
    inline ("data") or after the tree ("data-offset"/"data-position" + "data-size")."""
    if len(buf) < 40 or buf[:4] != b"\xd0\x0d\xfe\xed":
        return None
    total, off_struct, off_strings = struct.unpack_from(">III", buf, 4)
    if total > len(buf) or off_struct >= total or off_strings >= total:
        return None
    images: dict[str, dict[str, tuple[int, int]]] = {}
    path: list[str] = []
    pos = off_struct
    while pos + 4 <= total:
        (token,) = struct.unpack_from(">I", buf, pos)
        pos += 4
        if token == 1:  # begin node
            end = buf.find(b"\0", pos, total)
            if end < 0:
                return None
            path.append(buf[pos:end].decode("ascii", "replace"))
            pos = _align(end + 1, 4)
        elif token == 2:  # end node
            if not path:
                return None
            path.pop()
        elif token == 3:  # property
            if pos + 8 > total:
                return None
            length, name_off = struct.unpack_from(">II", buf, pos)
            start = pos + 8
            if start + length > total:
                return None
            name_end = buf.find(b"\0", off_strings + name_off, total)
            name = buf[off_strings + name_off : name_end].decode("ascii", "replace")
            if len(path) == 3 and path[1] == "images":
                images.setdefault(path[2], {})[name] = (start, length)
            pos = _align(start + length, 4)
        elif token == 4:  # nop
            continue
        elif token == 9:  # end
            break
        else:
            return None
    if not images:
        return None
    header = Header("fit", total, f"U-Boot FIT image ({', '.join(sorted(images))})")
    external_base = _align(total, 4)
    for node, props in sorted(images.items()):
        if "data" in props:
            start, length = props["data"]
        elif "data-size" in props and ("data-offset" in props or "data-position" in props):
            size_at = props["data-size"][0]
            (length,) = struct.unpack_from(">I", buf, size_at)
            if "data-position" in props:
                (start,) = struct.unpack_from(">I", buf, props["data-position"][0])
            else:
                (rel,) = struct.unpack_from(">I", buf, props["data-offset"][0])
                start = external_base + rel
        else:
            continue
        if start + length <= len(buf):
            header.parts.append((node, start, start + length))
    return header


HWNP_HEADER = 36
HWNP_ITEM_MIN = 360


def parse_hwnp(buf: bytes) -> Header | None:
    """Huawei "HWNP" upgrade packet (little-endian): header, product list, then item
    records (index, CRC, data offset, data size, item path like "flash:kernel", section,
    version, policy) pointing at the payloads."""
    if len(buf) < HWNP_HEADER or buf[:4] != b"HWNP":
        return None
    _raw_size, _crc, _hdr_size, _hcrc, count, _u1, _u2, plist_size, item_size = struct.unpack_from(
        "<IIIIIBBHI", buf, 4)
    if not 0 < count <= 1024 or item_size < HWNP_ITEM_MIN or item_size > 4096:
        return None
    table = HWNP_HEADER + plist_size
    if table + count * item_size > len(buf):
        return None
    products = _text(buf[HWNP_HEADER:table])[:60]
    header = Header("hwnp", table + count * item_size,
                    f"Huawei HWNP upgrade packet ({count} items; products {products})")
    for i in range(count):
        base = table + i * item_size
        _index, _icrc, offset, size = struct.unpack_from("<IIII", buf, base)
        name = _text(buf[base + 16 : base + 272]) or f"item-{i}"
        if size and header.size <= offset and offset + size <= len(buf):
            header.parts.append((name.replace(":", "_").replace("/", "_"), offset, offset + size))
    return header if header.parts else None


UIMAGE_COMPRESSION = {0: "none", 1: "gzip", 2: "bzip2", 3: "lzma", 4: "lzo", 5: "lz4", 6: "zstd"}
UIMAGE_TYPES = {2: "kernel", 14: "kernel", 3: "ramdisk", 7: "filesystem"}  # image.h ih_type


def parse_uimage(buf: bytes) -> Header | None:
    if len(buf) < 64 or buf[:4] != b"\x27\x05\x19\x56":
        return None
    size = struct.unpack_from(">I", buf, 12)[0]
    image_type, comp, name = buf[30], buf[31], _text(buf[32:64])
    if 64 + size > len(buf):
        return None
    header = Header("uimage", 64,
                    f"U-Boot uImage '{name}' ({UIMAGE_COMPRESSION.get(comp, comp)} payload)")
    header.parts.append((UIMAGE_TYPES.get(image_type, "payload"), 64, 64 + size))
    return header


LZMA_ALONE_PROPS = (b"\x5d", b"\x6d")


def _trx_part_name(buf: bytes, index: int, start: int, count: int) -> str:
    """TRX offsets are unnamed; the usual order is [loader,] kernel, rootfs."""
    head = buf[start : start + 4]
    if head[:1] in LZMA_ALONE_PROPS and head[1:3] == b"\x00\x00":
        return "kernel"
    if head in SQUASHFS_MAGICS:
        return "rootfs"
    if index == 0 and count > 2:
        return "loader"  # OpenWrt's lzma-loader stub before the kernel
    return f"partition-{index}"


def parse_trx(buf: bytes) -> Header | None:
    """Broadcom TRX (little-endian): "HDR0", total length, CRC32 (from byte 12 to the end,
    no final inversion), flags, version 1 (3 offsets) or 2 (4 offsets), each from the
    header's start."""
    if len(buf) < 28 or buf[:4] != b"HDR0":
        return None
    length, crc, _flags, version = struct.unpack_from("<IIHH", buf, 4)
    if version not in (1, 2) or length > len(buf) or length < 28:
        return None
    count = 3 if version == 1 else 4
    size = 16 + 4 * count  # magic, length, CRC, flags + version, offsets
    offsets = sorted({o for o in struct.unpack_from(f"<{count}I", buf, 16) if size <= o < length})
    crc_ok = binascii.crc32(buf[12:length]) ^ 0xFFFFFFFF == crc
    header = Header("trx", size, f"TRX v{version} container ({length} bytes, "
                    f"CRC32 {'ok' if crc_ok else 'mismatch'})")
    bounds = offsets + [length]
    for i, start in enumerate(offsets):
        header.parts.append((_trx_part_name(buf, i, start, len(offsets)), start, bounds[i + 1]))
    return header


CHK_MAGIC = b"*#$^"
CHK_FIXED = 40
CHK_REGIONS = {1: "WW", 2: "NA"}


def netgear_checksum(data: bytes) -> int:
    """Netgear's Fletcher-like sum (mkchkimg): c0 adds the bytes, c1 adds c0, both 32-bit;
    each folded to 16 bits twice; the result is c1 << 16 | c0. A Python loop: used on the
    header only (the payload sums would cost ~0.1 s per MB)."""
    c0 = c1 = 0
    for byte in data:
        c0 = (c0 + byte) & 0xFFFFFFFF
        c1 = (c1 + c0) & 0xFFFFFFFF
    folded = []
    for value in (c0, c1):
        value = (value & 0xFFFF) + (value >> 16)
        folded.append(((value >> 16) + value) & 0xFFFF)
    return folded[1] << 16 | folded[0]


def parse_chk(buf: bytes) -> Header | None:
    """Netgear CHK (big-endian): magic "*#$^", header length (40 + board id), region and
    version bytes, kernel/rootfs checksums, kernel and rootfs lengths, image and header
    checksums, then the board id (not NUL-terminated) up to the header length."""
    if len(buf) < CHK_FIXED or buf[:4] != CHK_MAGIC:
        return None
    (header_len,) = struct.unpack_from(">I", buf, 4)
    if not CHK_FIXED <= header_len <= CHK_FIXED + 256 or header_len > len(buf):
        return None
    _kc, _rc, kernel_len, rootfs_len, _ic, header_sum = struct.unpack_from(">6I", buf, 16)
    board = buf[CHK_FIXED:header_len].rstrip(b"\0")
    if not board or not board.isascii() or not board.decode().isprintable():
        return None
    if header_len + kernel_len + rootfs_len > len(buf):
        return None
    blank = bytearray(buf[:header_len])
    blank[36:40] = bytes(4)
    sum_ok = netgear_checksum(bytes(blank)) == header_sum
    region = CHK_REGIONS.get(buf[8], f"{buf[8]}")
    v = buf[9:16]
    version = f"{v[0]}.{v[1]}.{v[2]}.{v[3]}_{v[4]}.{v[5]}.{v[6]}"
    header = Header("chk", header_len,
                    f"Netgear CHK header (board {board.decode()}, region {region}, version "
                    f"{version}, header checksum {'ok' if sum_ok else 'mismatch'})")
    if kernel_len:
        header.parts.append(("kernel", header_len, header_len + kernel_len))
    if rootfs_len:
        start = header_len + kernel_len
        header.parts.append(("rootfs", start, start + rootfs_len))
    return header if header.parts else None


def parse_known_header(buf: bytes) -> Header | None:
    for parser in PARSERS.values():
        found = parser(buf)
        if found is not None:
            return found
    return None


PARSERS = {
    "tplink": parse_tplink,
    "uimage": parse_uimage,
    "trx": parse_trx,
    "chk": parse_chk,
    "wrgg": parse_wrgg,
    "android-boot": parse_android_boot,
    "fit": parse_fit,
    "hwnp": parse_hwnp,
}
