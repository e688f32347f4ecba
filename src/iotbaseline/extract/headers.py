"""Vendor firmware headers recognised on the fast path (before or instead of unblob).

Each parser looks at the start of a buffer and returns the header's parts (name, start,
end) with a description for provenance, or None. Offsets are checked against the buffer,
never trusted. Layouts: TP-Link v1/v2 (OpenWrt's mktplinkfw), U-Boot legacy uImage, and
Broadcom TRX (also carved by unblob), D-Link/Alpha wrgg03, Android boot images, U-Boot FIT and Huawei HWNP packets.
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
    for parser in PARSERS.values():
        found = parser(buf)
        if found is not None:
            return found
    return None


PARSERS = {
    "tplink": parse_tplink,
    "uimage": parse_uimage,
    "trx": parse_trx,
    "wrgg": parse_wrgg,
    "android-boot": parse_android_boot,
    "fit": parse_fit,
    "hwnp": parse_hwnp,
}
