"""A small SquashFS 2/3/4 writer for tests: builds images mksquashfs cannot make (big-endian,
version 2/3, vendor LZMA block layouts) from a list of entries.

Kept independent from the extractor: structures are written from the on-disk format
description (squashfs_fs.h of squashfs-tools 3.x/4.x), not from our reader's tables, and
its gzip output is checked against Debian's unsquashfs in the tests, so a misunderstanding
shared by writer and reader would show up there.

No fragments are written (each file's tail is a short last block), which keeps the writer
small; fragments are covered by mksquashfs-made images.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

Compress = Callable[[bytes], bytes]
META = 8192
DATA_OFFSET = 128  # data starts after the superblock (padded)


@dataclass
class Entry:
    path: str  # "etc/passwd"
    kind: str  # file, dir, symlink, chr, blk, fifo
    mode: int = 0o644
    data: bytes = b""
    target: str = ""
    rdev: int = 0


def pack_bits(fields: list[tuple[int, int]], big: bool) -> bytes:
    """Pack (value, width) as a C bitfield struct: first field in the lowest bits of a
    little-endian number, or in the highest bits of a big-endian one."""
    total = sum(w for _, w in fields)
    assert total % 8 == 0, total
    value = 0
    if big:
        for v, w in fields:
            assert 0 <= v < (1 << w), (v, w)
            value = (value << w) | v
        return value.to_bytes(total // 8, "big")
    shift = 0
    for v, w in fields:
        assert 0 <= v < (1 << w), (v, w)
        value |= v << shift
        shift += w
    return value.to_bytes(total // 8, "little")


class _Meta:
    """Append-only metadata stream cut into compressed 8 KiB blocks."""

    def __init__(self, compress: Compress, endian: str) -> None:
        self.compress, self.endian = compress, endian
        self.out = bytearray()
        self.pending = bytearray()

    def ref(self) -> tuple[int, int]:
        return len(self.out), len(self.pending)

    def write(self, data: bytes) -> None:
        self.pending += data
        while len(self.pending) >= META:
            self._flush(bytes(self.pending[:META]))
            del self.pending[:META]

    def _flush(self, block: bytes) -> None:
        packed = self.compress(block)
        if len(packed) < len(block):
            self.out += struct.pack(self.endian + "H", len(packed)) + packed
        else:
            self.out += struct.pack(self.endian + "H", len(block) | 0x8000) + block

    def finish(self) -> bytes:
        if self.pending:
            self._flush(bytes(self.pending))
            self.pending.clear()
        return bytes(self.out)


@dataclass
class _Node:
    entry: Entry
    number: int = 0
    children: dict[str, _Node] = field(default_factory=dict)


TYPE = {"dir": 1, "file": 2, "symlink": 3, "blk": 4, "chr": 5, "fifo": 6}


def build_tree(entries: list[Entry]) -> _Node:
    root = _Node(Entry("", "dir", 0o755))
    for entry in entries:
        node = root
        parts = entry.path.split("/")
        for part in parts[:-1]:
            node = node.children.setdefault(part, _Node(Entry(part, "dir", 0o755)))
        existing = node.children.get(parts[-1])
        if existing is not None and entry.kind == "dir":
            existing.entry = entry
        else:
            node.children[parts[-1]] = _Node(entry)
    counter = iter(range(1, 1 << 30))

    def number(node: _Node) -> None:
        node.number = next(counter)
        for name in sorted(node.children):
            number(node.children[name])

    number(root)
    return root


class SquashfsWriter:
    def __init__(self, version: int, big_endian: bool = False, compress: Compress | None = None,
                 compression_id: int = 1, magic: bytes | None = None, block_log: int = 12,
                 spare: bytes = b"") -> None:
        assert version in (2, 3, 4)
        self.version, self.big = version, big_endian
        self.e = ">" if big_endian else "<"
        self.compress = compress or (lambda b: zlib.compress(b, 9))
        self.compression_id = compression_id
        self.magic = magic or (b"sqsh" if big_endian else b"hsqs")
        self.block_log = block_log
        self.block_size = 1 << block_log
        self.spare = spare  # bytes written at superblock offset 32 (v2/v3 unused field)

    # ---- public -------------------------------------------------------------------------
    def build(self, entries: list[Entry]) -> bytes:
        self.data = bytearray()
        self.inodes = _Meta(self.compress, self.e)
        self.dirs = _Meta(self.compress, self.e)
        root = build_tree(entries)
        self.inode_count = 0
        root_ref = self._write_dir(root, parent_number=root.number + 0)
        return self._assemble(root_ref)

    # ---- data ---------------------------------------------------------------------------
    def _write_data(self, payload: bytes) -> tuple[int, list[int]]:
        start = DATA_OFFSET + len(self.data)
        sizes = []
        for i in range(0, len(payload), self.block_size):
            block = payload[i : i + self.block_size]
            packed = self.compress(block)
            if len(packed) < len(block):
                self.data += packed
                sizes.append(len(packed))
            else:
                self.data += block
                sizes.append(len(block) | (1 << 24))
        return start, sizes

    # ---- inodes -------------------------------------------------------------------------
    def _inode_ref(self) -> int:
        block, offset = self.inodes.ref()
        return (block << 16) | offset

    def _base(self, itype: int, mode: int, number: int) -> list[tuple[int, int]]:
        if self.version == 2:
            return [(itype, 4), (mode, 12), (0, 8), (0, 8)]
        return [(itype, 4), (mode, 12), (0, 8), (0, 8), (0, 32), (number, 32)]

    def _write_leaf(self, node: _Node) -> int:
        entry, e = node.entry, self.e
        ref = self._inode_ref()
        self.inode_count += 1
        itype = TYPE[entry.kind]
        if self.version == 4:
            head = struct.pack(e + "HHHHII", itype, entry.mode, 0, 0, 0, node.number)
            if entry.kind == "file":
                start, sizes = self._write_data(entry.data)
                body = struct.pack(e + "IIII", start, 0xFFFFFFFF, 0, len(entry.data))
                body += struct.pack(f"{e}{len(sizes)}I", *sizes)
            elif entry.kind == "symlink":
                target = entry.target.encode()
                body = struct.pack(e + "II", 1, len(target)) + target
            elif entry.kind in ("chr", "blk"):
                body = struct.pack(e + "II", 1, entry.rdev)
            else:
                body = struct.pack(e + "I", 1)
            self.inodes.write(head + body)
            return ref
        base = self._base(itype, entry.mode, node.number)
        if entry.kind == "file":
            start, sizes = self._write_data(entry.data)
            if self.version == 2:
                fields = base + [(0, 32), (start, 32), (0xFFFFFFFF, 32), (0, 32), (len(entry.data), 32)]
            else:
                fields = base + [(start, 64), (0xFFFFFFFF, 32), (0, 32), (len(entry.data), 32)]
            raw = pack_bits(fields, self.big) + struct.pack(f"{self.e}{len(sizes)}I", *sizes)
        elif entry.kind == "symlink":
            target = entry.target.encode()
            nlink = [] if self.version == 2 else [(1, 32)]
            raw = pack_bits(base + nlink + [(len(target), 16)], self.big) + target
        elif entry.kind in ("chr", "blk"):
            nlink = [] if self.version == 2 else [(1, 32)]
            raw = pack_bits(base + nlink + [(entry.rdev & 0xFFFF, 16)], self.big)
        else:
            nlink = [] if self.version == 2 else [(1, 32)]
            raw = pack_bits(base + nlink, self.big)
        self.inodes.write(raw)
        return ref

    def _write_dir(self, node: _Node, parent_number: int) -> int:
        listing: list[tuple[str, int, int, int]] = []  # name, ref, type, number
        for name in sorted(node.children):
            child = node.children[name]
            if child.entry.kind == "dir":
                ref = self._write_dir(child, node.number)
            else:
                ref = self._write_leaf(child)
            listing.append((name, ref, TYPE[child.entry.kind], child.number))
        dir_block, dir_offset = self.dirs.ref()
        size = self._write_listing(listing)
        ref = self._inode_ref()
        self.inode_count += 1
        mode, e = node.entry.mode, self.e
        if self.version == 4:
            head = struct.pack(e + "HHHHII", 1, mode, 0, 0, 0, node.number)
            body = struct.pack(e + "IIHHI", dir_block, 2 + len(node.children), size + 3,
                               dir_offset, parent_number)
            self.inodes.write(head + body)
        elif self.version == 3:
            fields = self._base(1, mode, node.number) + [
                (2, 32), (size + 3, 19), (dir_offset, 13), (dir_block, 32), (parent_number, 32)]
            self.inodes.write(pack_bits(fields, self.big))
        else:
            # v2 counts the listing alone; v3/v4 add 3 for the implicit "." and ".."
            fields = self._base(1, mode, node.number) + [
                (size, 19), (dir_offset, 13), (0, 32), (dir_block, 24)]
            self.inodes.write(pack_bits(fields, self.big))
        return ref

    def _write_listing(self, listing: list[tuple[str, int, int, int]]) -> int:
        out = bytearray()
        i = 0
        while i < len(listing):
            block = listing[i][1] >> 16
            run = [listing[i]]
            while (i + len(run) < len(listing) and len(run) < 256
                   and listing[i + len(run)][1] >> 16 == block):
                run.append(listing[i + len(run)])
            base_number = run[0][3]
            if self.version == 4:
                out += struct.pack(self.e + "III", len(run) - 1, block, base_number)
                for name, ref, itype, number in run:
                    raw = name.encode()
                    out += struct.pack(self.e + "HhHH", ref & 0xFFFF, number - base_number, itype,
                                       len(raw) - 1) + raw
            elif self.version == 3:
                out += pack_bits([(len(run) - 1, 8), (block, 32), (base_number, 32)], self.big)
                for name, ref, itype, number in run:
                    raw = name.encode()
                    delta = (number - base_number) & 0xFFFF
                    out += pack_bits([(ref & 0xFFFF, 13), (itype, 3), (len(raw) - 1, 8),
                                      (delta, 16)], self.big) + raw
            else:
                out += pack_bits([(len(run) - 1, 8), (block, 24)], self.big)
                for name, ref, itype, _number in run:
                    raw = name.encode()
                    out += pack_bits([(ref & 0xFFFF, 13), (itype, 3), (len(raw) - 1, 8)],
                                     self.big) + raw
            i += len(run)
        self.dirs.write(bytes(out))
        return len(out)

    # ---- assembly -----------------------------------------------------------------------
    def _assemble(self, root_ref: int) -> bytes:
        e = self.e
        inode_table = self.inodes.finish()
        dir_table = self.dirs.finish()
        itab = DATA_OFFSET + len(self.data)
        dtab = itab + len(inode_table)
        tail = bytearray()
        pos = dtab + len(dir_table)
        if self.version == 4:
            id_block = _Meta(self.compress, e)
            id_block.write(struct.pack(e + "I", 0))
            ids = id_block.finish()
            frag_index = pos  # no fragments: empty index
            id_table = pos + len(ids)
            tail += ids + struct.pack(e + "Q", pos)
            used = pos + len(tail)
            sb = struct.pack(e + "4sIIIIHHHHHHQQQQQQQQ", b"", self.inode_count, 0,
                             self.block_size, 0, self.compression_id, self.block_log, 0x0010,
                             1, 4, 0, root_ref, used, id_table, 0xFFFFFFFFFFFFFFFF, itab, dtab,
                             frag_index, 0xFFFFFFFFFFFFFFFF)
        else:
            frag_start = pos  # no fragments: empty index
            uid_start = pos
            tail += struct.pack(e + "I", 0)  # one uid: 0
            guid_start = pos + len(tail)
            tail += struct.pack(e + "I", 0)  # one gid: 0
            used = pos + len(tail)
            sb = struct.pack(e + "4sIIIIIIHHHHBBBIQIII", b"", self.inode_count, used, uid_start,
                             guid_start, itab, dtab, self.version, 1,
                             0, self.block_log, 0x10, 1, 1, 0, root_ref,
                             self.block_size, 0, frag_start)
            if self.version == 3:
                sb += struct.pack(e + "qqqqqqq", used, uid_start, guid_start, itab, dtab,
                                  frag_start, -1)  # no export (lookup) table
            if self.spare:
                sb = sb[:32] + self.spare + sb[32 + len(self.spare) :]
        sb = self.magic + sb[4:]
        image = bytearray(sb.ljust(DATA_OFFSET, b"\0"))
        image += self.data + inode_table + dir_table + tail
        assert len(image) == used
        return bytes(image)
