"""Inode and directory-entry layouts of SquashFS 2, 3 and 4.

Versions 2 and 3 declare their on-disk structures as packed C bitfields. A little-endian
image stores the first field in the lowest bits of the little-endian number; a big-endian
image stores it in the highest bits of the big-endian number (the compiler reverses the
allocation order), so one table of (name, width) per structure serves both byte orders.
Version 4 uses plain byte-aligned integers.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

Layout = tuple[tuple[str, int], ...]

DIR, FILE, SYMLINK, BLKDEV, CHRDEV, FIFO, SOCKET = 1, 2, 3, 4, 5, 6, 7
LDIR, LFILE, LSYMLINK, LBLKDEV, LCHRDEV, LFIFO, LSOCKET = 8, 9, 10, 11, 12, 13, 14
KIND_BY_TYPE = {
    DIR: "dir", LDIR: "dir", FILE: "file", LFILE: "file", SYMLINK: "symlink",
    LSYMLINK: "symlink", BLKDEV: "blk", LBLKDEV: "blk", CHRDEV: "chr", LCHRDEV: "chr",
    FIFO: "fifo", LFIFO: "fifo", SOCKET: "sock", LSOCKET: "sock",
}
NO_FRAGMENT = 0xFFFFFFFF


class InodeError(Exception):
    """An inode or directory entry is malformed."""


def unpack_bits(buf: bytes, layout: Layout, big_endian: bool) -> dict[str, int]:
    total = sum(width for _, width in layout)
    nbytes = (total + 7) // 8
    if len(buf) < nbytes:
        raise InodeError("structure runs past the end of its metadata")
    value = int.from_bytes(buf[:nbytes], "big" if big_endian else "little")
    out: dict[str, int] = {}
    pos = 0
    for name, width in layout:
        shift = (nbytes * 8 - pos - width) if big_endian else pos
        out[name] = (value >> shift) & ((1 << width) - 1)
        pos += width
    return out


def layout_size(layout: Layout) -> int:
    return (sum(w for _, w in layout) + 7) // 8


_BASE2: Layout = (("type", 4), ("mode", 12), ("uid", 8), ("guid", 8))
_BASE3: Layout = _BASE2 + (("mtime", 32), ("inode_number", 32))

LAYOUTS: dict[int, dict[int, Layout]] = {
    2: {
        DIR: _BASE2 + (("file_size", 19), ("offset", 13), ("mtime", 32), ("start_block", 24)),
        LDIR: _BASE2 + (("file_size", 27), ("offset", 13), ("mtime", 32), ("start_block", 24),
                        ("i_count", 16)),
        FILE: _BASE2 + (("mtime", 32), ("start_block", 32), ("fragment", 32), ("offset", 32),
                        ("file_size", 32)),
        SYMLINK: _BASE2 + (("symlink_size", 16),),
        BLKDEV: _BASE2 + (("rdev", 16),),
        CHRDEV: _BASE2 + (("rdev", 16),),
        FIFO: _BASE2,
        SOCKET: _BASE2,
    },
    3: {
        DIR: _BASE3 + (("nlink", 32), ("file_size", 19), ("offset", 13), ("start_block", 32),
                       ("parent", 32)),
        LDIR: _BASE3 + (("nlink", 32), ("file_size", 27), ("offset", 13), ("start_block", 32),
                        ("i_count", 16), ("parent", 32)),
        FILE: _BASE3 + (("start_block", 64), ("fragment", 32), ("offset", 32),
                        ("file_size", 32)),
        LFILE: _BASE3 + (("nlink", 32), ("start_block", 64), ("fragment", 32), ("offset", 32),
                         ("file_size", 64)),
        SYMLINK: _BASE3 + (("nlink", 32), ("symlink_size", 16)),
        BLKDEV: _BASE3 + (("nlink", 32), ("rdev", 16)),
        CHRDEV: _BASE3 + (("nlink", 32), ("rdev", 16)),
        FIFO: _BASE3 + (("nlink", 32),),
        SOCKET: _BASE3 + (("nlink", 32),),
    },
}
DIR_INDEX_LAYOUT: dict[int, Layout] = {
    2: (("index", 27), ("start_block", 29), ("size", 8)),
    3: (("index", 32), ("start_block", 32), ("size", 8)),
}
DIR_HEADER_LAYOUT: dict[int, Layout] = {
    2: (("count", 8), ("start_block", 24)),
    3: (("count", 8), ("start_block", 32), ("inode_number", 32)),
}
DIR_ENTRY_LAYOUT: dict[int, Layout] = {
    2: (("offset", 13), ("type", 3), ("size", 8)),
    3: (("offset", 13), ("type", 3), ("size", 8), ("inode_number", 16)),
}


@dataclass
class Inode:
    """What extraction needs from any version's inode, in one shape."""

    kind: str  # dir, file, symlink, blk, chr, fifo, sock
    mode: int  # permission bits (12 bits incl. setuid/setgid/sticky)
    uid_index: int
    gid_index: int  # v2/v3: 15 means "same as uid"; v4: index into the id table
    mtime: int = 0
    # directories
    dir_start: int = 0
    dir_offset: int = 0
    dir_size: int = 0
    # regular files
    blocks_start: int = 0
    file_size: int = 0
    fragment: int = NO_FRAGMENT
    frag_offset: int = 0
    block_sizes: list[int] = field(default_factory=list)
    # symlinks and devices
    target: bytes = b""
    rdev: int = 0


def block_count(file_size: int, block_log: int, has_fragment: bool) -> int:
    block_size = 1 << block_log
    if has_fragment:
        return file_size >> block_log
    return (file_size + block_size - 1) >> block_log


def parse_inode(buf: bytes, pos: int, major: int, big: bool, block_log: int) -> Inode:
    """Parse the inode at ``pos`` in ``buf`` (decompressed inode table from that block on)."""
    if major == 4:
        return _parse_v4(buf, pos, big, block_log)
    head = unpack_bits(buf[pos : pos + 2], (("type", 4), ("mode", 12)), big)
    itype = head["type"]
    layouts = LAYOUTS[major]
    if itype not in layouts:
        raise InodeError(f"unknown inode type {itype}")
    layout = layouts[itype]
    size = layout_size(layout)
    f = unpack_bits(buf[pos : pos + size], layout, big)
    node = Inode(KIND_BY_TYPE[itype], f["mode"], f["uid"], f["guid"], f.get("mtime", 0))
    end = pos + size
    if node.kind == "dir":
        node.dir_start, node.dir_offset, node.dir_size = f["start_block"], f["offset"], f["file_size"]
    elif node.kind == "file":
        node.blocks_start, node.file_size = f["start_block"], f["file_size"]
        node.fragment, node.frag_offset = f["fragment"], f["offset"]
        node.block_sizes = _block_list(buf, end, node, block_log, "<>"[big])
    elif node.kind == "symlink":
        node.target = bytes(buf[end : end + f["symlink_size"]])
        if len(node.target) != f["symlink_size"]:
            raise InodeError("symlink target runs past its metadata")
    elif node.kind in ("blk", "chr"):
        node.rdev = f["rdev"]
    return node


def _block_list(buf: bytes, pos: int, node: Inode, block_log: int, endian: str) -> list[int]:
    count = block_count(node.file_size, block_log, node.fragment != NO_FRAGMENT)
    if pos + 4 * count > len(buf):
        raise InodeError("block list runs past the end of the inode table")
    return list(struct.unpack_from(f"{endian}{count}I", buf, pos))


def _parse_v4(buf: bytes, pos: int, big: bool, block_log: int) -> Inode:
    e = ">" if big else "<"
    if pos + 16 > len(buf):
        raise InodeError("inode header runs past the end of the inode table")
    itype, mode, uid, gid, mtime, _num = struct.unpack_from(e + "HHHHII", buf, pos)
    if itype not in KIND_BY_TYPE:
        raise InodeError(f"unknown inode type {itype}")
    node = Inode(KIND_BY_TYPE[itype], mode & 0o7777, uid, gid, mtime)
    p = pos + 16
    try:
        if itype == DIR:
            start, _nlink, size, offset, _parent = struct.unpack_from(e + "IIHHI", buf, p)
            node.dir_start, node.dir_offset, node.dir_size = start, offset, size
        elif itype == LDIR:
            _nlink, size, start, _parent, _icount, offset = struct.unpack_from(e + "IIIIHH", buf, p)
            node.dir_start, node.dir_offset, node.dir_size = start, offset, size
        elif itype == FILE:
            start, frag, offset, size = struct.unpack_from(e + "IIII", buf, p)
            node.blocks_start, node.fragment, node.frag_offset, node.file_size = start, frag, offset, size
            node.block_sizes = _block_list(buf, p + 16, node, block_log, e)
        elif itype == LFILE:
            start, size, _sparse, _nlink, frag, offset, _x = struct.unpack_from(e + "QQQIIII", buf, p)
            node.blocks_start, node.fragment, node.frag_offset, node.file_size = start, frag, offset, size
            node.block_sizes = _block_list(buf, p + 40, node, block_log, e)
        elif itype in (SYMLINK, LSYMLINK):
            _nlink, length = struct.unpack_from(e + "II", buf, p)
            node.target = bytes(buf[p + 8 : p + 8 + length])
            if len(node.target) != length:
                raise InodeError("symlink target runs past its metadata")
        elif itype in (BLKDEV, CHRDEV, LBLKDEV, LCHRDEV):
            _nlink, node.rdev = struct.unpack_from(e + "II", buf, p)
    except struct.error as exc:
        raise InodeError(f"inode runs past the end of the inode table: {exc}") from exc
    return node
