"""SquashFS superblocks of versions 2, 3 and 4, either byte order, and the vendor magics.

Byte order is decided from the version field, not the magic: vendors changed the magic
("shsq"/"qshs" for LZMA builds, "hsqt" for DD-WRT, "sqlz" for others) but kept the layout.
Versions 2 and 3 share a packed layout in which v3 appended 64-bit table offsets.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

METADATA_SIZE = 8192

# magic bytes as they appear in the file → the vendor variant name
MAGICS: dict[bytes, str] = {
    b"hsqs": "standard",
    b"sqsh": "standard",
    b"shsq": "lzma-magic",
    b"qshs": "lzma-magic",
    b"hsqt": "ddwrt",
    b"tqsh": "ddwrt",
    b"zlqs": "nonstandard",
    b"sqlz": "nonstandard",
}


class SuperblockError(Exception):
    """The bytes at this offset are not a usable SquashFS superblock."""


@dataclass(frozen=True)
class Superblock:
    magic: bytes
    variant: str
    big_endian: bool
    major: int
    minor: int
    inodes: int
    block_size: int
    block_log: int
    flags: int
    fragments: int
    compression: int  # v4 compressor id; 0 for v2/v3 (zlib unless a vendor changed it)
    root_inode: int
    bytes_used: int
    id_table_start: int  # v4 id table index; v2/v3 uid table
    guid_table_start: int  # v2/v3 only
    no_uids: int
    no_guids: int
    inode_table_start: int
    directory_table_start: int
    fragment_table_start: int
    lookup_table_start: int
    spare: bytes  # bytes of the superblock vendors reuse for LZMA properties

    @property
    def endian(self) -> str:
        return ">" if self.big_endian else "<"

    @property
    def check_flag(self) -> bool:
        """v2/v3 CHECK: every metadata header is followed by one marker byte."""
        return self.major < 4 and bool(self.flags & 0x04)

    def describe(self) -> str:
        order = "big-endian" if self.big_endian else "little-endian"
        return f"SquashFS {self.major}.{self.minor} {order} ({self.variant} magic {self.magic!r})"


def _major(head: bytes) -> tuple[int, bool]:
    le = struct.unpack_from("<H", head, 28)[0]
    be = struct.unpack_from(">H", head, 28)[0]
    if le in (2, 3, 4):
        return le, False
    if be in (2, 3, 4):
        return be, True
    raise SuperblockError(f"unsupported SquashFS version (fields read {le}/{be})")


def parse_superblock(data: bytes | memoryview, offset: int = 0) -> Superblock:
    head = bytes(data[offset : offset + 128])
    if len(head) < 96:
        raise SuperblockError("truncated superblock")
    magic = head[:4]
    if magic not in MAGICS:
        raise SuperblockError(f"no SquashFS magic (found {magic!r})")
    major, big = _major(head)
    e = ">" if big else "<"
    if major == 4:
        (inodes, _mtime, block_size, fragments, compression, block_log, flags, _ids, _maj,
         minor, root, used, id_tab, _xattr, itab, dtab, ftab, ltab) = struct.unpack_from(
            e + "IIIIHHHHHHQQQQQQQQ", head, 4
        )
        sb = Superblock(magic, MAGICS[magic], big, 4, minor, inodes, block_size, block_log,
                        flags, fragments, compression, root, used, id_tab, 0, _ids, 0, itab,
                        dtab, ftab, ltab, b"")
    else:
        if len(head) < 119:
            raise SuperblockError("truncated superblock")
        (inodes, used2, uid2, guid2, itab2, dtab2, _maj, minor, _bs1, block_log, flags,
         no_uids, no_guids, _mtime, root, block_size, fragments, ftab2) = struct.unpack_from(
            e + "IIIIIIHHHHBBBIQIII", head, 4
        )
        if major == 3:
            used, uid, guid, itab, dtab, ftab, ltab = struct.unpack_from(e + "qqqqqqq", head, 63)
        else:
            used, uid, guid, itab, dtab, ftab, ltab = used2, uid2, guid2, itab2, dtab2, ftab2, 0
        sb = Superblock(magic, MAGICS[magic], big, major, minor, inodes, block_size, block_log,
                        flags, fragments, 0, root, used, uid, guid, no_uids, no_guids, itab,
                        dtab, ftab, ltab, head[32:36])
    _validate(sb, len(data) - offset)
    return sb


def _validate(sb: Superblock, available: int) -> None:
    if not 4096 <= sb.block_size <= 1 << 20 or sb.block_size != 1 << sb.block_log:
        raise SuperblockError(f"implausible block size {sb.block_size} (log {sb.block_log})")
    if sb.bytes_used <= 0 or sb.bytes_used > available:
        raise SuperblockError(
            f"bytes_used {sb.bytes_used} exceeds the {available} bytes available (truncated?)"
        )
    for name in ("inode_table_start", "directory_table_start"):
        value = getattr(sb, name)
        if not 0 < value < sb.bytes_used:
            raise SuperblockError(f"{name} {value} outside the filesystem")
    if sb.inode_table_start >= sb.directory_table_start:
        raise SuperblockError("inode table does not precede the directory table")
