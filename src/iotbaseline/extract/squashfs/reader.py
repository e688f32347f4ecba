"""Read a SquashFS 2/3/4 image (either byte order, any supported codec) from memory.

Written in Python because no installable library reads SquashFS 2/3 or the vendor LZMA
layouts (Debian's unsquashfs refuses them and sasquatch is not packaged). All offsets read
from the image are checked against its size before use; every failure is an exception with
a message naming what was wrong, so the caller can report it and go on with other files.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from iotbaseline.extract.squashfs.codecs import (
    V4_COMPRESSORS,
    Codec,
    CodecError,
    candidate_codecs,
)
from iotbaseline.extract.squashfs.inodes import (
    DIR_ENTRY_LAYOUT,
    DIR_HEADER_LAYOUT,
    NO_FRAGMENT,
    Inode,
    InodeError,
    layout_size,
    parse_inode,
    unpack_bits,
)
from iotbaseline.extract.squashfs.superblock import METADATA_SIZE, Superblock, parse_superblock

MAX_INODE_BYTES = 4 * 1024 * 1024
DATA_UNCOMPRESSED_BIT = 1 << 24


class SquashfsError(Exception):
    """The image (or one part of it) cannot be read."""


@dataclass(frozen=True)
class DirEntry:
    name: bytes
    inode_ref: int  # (metadata block position relative to the inode table << 16) | offset


class SquashfsImage:
    def __init__(self, data: bytes | memoryview, offset: int = 0) -> None:
        try:
            self.sb: Superblock = parse_superblock(data, offset)
        except Exception as exc:
            raise SquashfsError(str(exc)) from exc
        self.data = memoryview(data)[offset : offset + self.sb.bytes_used]
        self.size = len(self.data)
        self._meta_cache: dict[int, tuple[bytes, int]] = {}
        self._frag_cache: dict[int, bytes] = {}
        self._fragment_table: list[tuple[int, int]] | None = None
        self._meta_endian = self.sb.endian
        self.variant = ""  # how the metadata was decoded, for extraction.json
        self.codec = self._choose_codec()
        self.data_codec = self.codec
        self._ids = self._read_ids()

    # ---- codec ------------------------------------------------------------------------
    def _choose_codec(self) -> Codec:
        """Find the codec by decoding the metadata block holding the root inode.

        Also settles the byte order of the 2-byte metadata headers: AVM's big-endian 4.0
        build writes every structure big-endian except those headers (little-endian).
        """
        sb = self.sb
        declared = V4_COMPRESSORS.get(sb.compression) if sb.major == 4 else None
        if sb.major == 4 and declared is None:
            raise SquashfsError(f"unknown compressor id {sb.compression}")
        hints = sb.spare if sb.major < 4 else b""
        candidates = candidate_codecs(declared, sb.block_size, hints)
        orders = [sb.endian] + (["<"] if sb.major == 4 and sb.big_endian else [])
        for order in orders:
            self._meta_endian = order
            codec = self._codec_for_root_block(candidates)
            if codec is not None:
                self.variant = codec.name + ("" if order == sb.endian else
                                             ", little-endian metadata headers")
                return codec
        self._meta_endian = sb.endian
        raise SquashfsError(
            f"{sb.describe()}: no known codec decodes the inode table "
            f"(tried {len(candidates)} gzip/LZMA/xz/LZO/LZ4/zstd layouts)"
        )

    def _codec_for_root_block(self, candidates: list[Codec]) -> Codec | None:
        sb = self.sb
        root_block = sb.inode_table_start + (sb.root_inode >> 16)
        try:
            raw, is_compressed, next_pos = self._raw_metadata(root_block)
        except SquashfsError:
            return None
        if not is_compressed:
            block = raw
            return candidates[0] if self._root_inode_plausible(block) else None
        full = next_pos < sb.directory_table_start
        for codec in candidates:
            try:
                out = codec(raw, METADATA_SIZE)
            except CodecError:
                continue
            if (full and len(out) != METADATA_SIZE) or not out:
                continue
            if self._root_inode_plausible(out):
                return codec
        return None

    def _root_inode_plausible(self, block: bytes) -> bool:
        try:
            node = parse_inode(block, self.sb.root_inode & 0xFFFF, self.sb.major,
                               self.sb.big_endian, self.sb.block_log)
        except (InodeError, struct.error):
            return False
        return node.kind == "dir" and node.dir_size < (1 << 27)

    # ---- metadata ---------------------------------------------------------------------
    def _raw_metadata(self, pos: int) -> tuple[bytes, bool, int]:
        e = self._meta_endian
        if pos < 0 or pos + 2 > self.size:
            raise SquashfsError(f"metadata block at {pos} is outside the image")
        (header,) = struct.unpack_from(e + "H", self.data, pos)
        start = pos + 2 + (1 if self.sb.check_flag else 0)
        length = header & 0x7FFF
        end = start + length
        if end > self.size:
            raise SquashfsError(f"metadata block at {pos} runs past the end of the image")
        return bytes(self.data[start:end]), not header & 0x8000, end

    def _metadata_block(self, pos: int) -> tuple[bytes, int]:
        cached = self._meta_cache.get(pos)
        if cached is not None:
            return cached
        raw, compressed, next_pos = self._raw_metadata(pos)
        if compressed:
            try:
                block = self.codec(raw, METADATA_SIZE)
            except CodecError as exc:
                raise SquashfsError(f"metadata block at {pos}: {exc}") from exc
        else:
            block = raw
        self._meta_cache[pos] = (block, next_pos)
        return block, next_pos

    def read_metadata(self, table_start: int, ref: int, length: int) -> bytes:
        """``length`` bytes of the metadata stream starting at reference ``ref``."""
        pos = table_start + (ref >> 16)
        offset = ref & 0xFFFF
        parts: list[bytes] = []
        have = 0
        while have < length + offset:
            try:
                block, next_pos = self._metadata_block(pos)
            except SquashfsError:
                if not parts:
                    raise
                break  # v3/v4 directory sizes count 3 bytes past the listing's end
            parts.append(block)
            have += len(block)
            if have < length + offset and next_pos >= self.size:
                break
            pos = next_pos
        joined = b"".join(parts)
        if offset > len(joined):
            raise SquashfsError(f"metadata offset {offset} beyond its block")
        return joined[offset : offset + length]

    # ---- ids ----------------------------------------------------------------------------
    def _read_ids(self) -> tuple[list[int], list[int]]:
        sb = self.sb
        e = sb.endian
        try:
            if sb.major == 4:
                count = sb.no_uids
                n_blocks = (count * 4 + METADATA_SIZE - 1) // METADATA_SIZE
                index = struct.unpack_from(f"{e}{n_blocks}Q", self.data, sb.id_table_start)
                raw = b"".join(self._metadata_block(p)[0] for p in index)
                ids = list(struct.unpack_from(f"{e}{count}I", raw))
                return ids, ids
            uids = list(struct.unpack_from(f"{e}{sb.no_uids}I", self.data, sb.id_table_start))
            gids = list(struct.unpack_from(f"{e}{sb.no_guids}I", self.data, sb.guid_table_start))
            return uids, gids
        except (struct.error, OverflowError, SquashfsError):  # OverflowError: offset > 2**63
            return [], []  # ownership is informative only; its loss must not stop extraction

    def owner(self, node: Inode) -> tuple[int | None, int | None]:
        uids, gids = self._ids
        uid = uids[node.uid_index] if node.uid_index < len(uids) else None
        if self.sb.major < 4 and node.gid_index == 15:
            return uid, uid
        gid = gids[node.gid_index] if node.gid_index < len(gids) else None
        return uid, gid

    # ---- inodes and directories -------------------------------------------------------
    def inode(self, ref: int) -> Inode:
        want = 256
        while True:
            buf = self.read_metadata(self.sb.inode_table_start, ref, want)
            try:
                return parse_inode(buf, 0, self.sb.major, self.sb.big_endian, self.sb.block_log)
            except InodeError as exc:
                if "runs past" in str(exc) and len(buf) == want and want < MAX_INODE_BYTES:
                    want *= 4
                    continue
                raise SquashfsError(f"inode {ref:#x}: {exc}") from exc

    @property
    def root_ref(self) -> int:
        return self.sb.root_inode

    def listdir(self, node: Inode) -> Iterator[DirEntry]:
        sb = self.sb
        if node.dir_size <= 3:
            return
        ref = (node.dir_start << 16) | node.dir_offset
        listing = self.read_metadata(sb.directory_table_start, ref, node.dir_size)
        if sb.major == 4:
            yield from self._entries_v4(listing)
        else:
            yield from self._entries_v23(listing)

    def _entries_v4(self, buf: bytes) -> Iterator[DirEntry]:
        e = self.sb.endian
        pos = 0
        while pos + 12 <= len(buf):
            count, start, _inode_no = struct.unpack_from(e + "III", buf, pos)
            pos += 12
            if count >= 256:
                raise SquashfsError(f"directory header claims {count + 1} entries (max 256)")
            for _ in range(count + 1):
                if pos + 8 > len(buf):
                    raise SquashfsError("directory entry runs past its listing")
                offset, _delta, _type, size = struct.unpack_from(e + "HhHH", buf, pos)
                name = buf[pos + 8 : pos + 9 + size]
                pos += 9 + size
                yield DirEntry(bytes(name), (start << 16) | offset)

    def _entries_v23(self, buf: bytes) -> Iterator[DirEntry]:
        sb = self.sb
        hdr_layout = DIR_HEADER_LAYOUT[sb.major]
        ent_layout = DIR_ENTRY_LAYOUT[sb.major]
        hdr_size, ent_size = layout_size(hdr_layout), layout_size(ent_layout)
        pos = 0
        while pos + hdr_size <= len(buf):
            hdr = unpack_bits(buf[pos : pos + hdr_size], hdr_layout, sb.big_endian)
            pos += hdr_size
            for _ in range(hdr["count"] + 1):
                if pos + ent_size > len(buf):
                    raise SquashfsError("directory entry runs past its listing")
                ent = unpack_bits(buf[pos : pos + ent_size], ent_layout, sb.big_endian)
                name = buf[pos + ent_size : pos + ent_size + ent["size"] + 1]
                pos += ent_size + ent["size"] + 1
                yield DirEntry(bytes(name), (hdr["start_block"] << 16) | ent["offset"])

    # ---- file data ----------------------------------------------------------------------
    def _fragments(self) -> list[tuple[int, int]]:
        if self._fragment_table is not None:
            return self._fragment_table
        sb = self.sb
        e = sb.endian
        entry = {2: 8, 3: 16, 4: 16}[sb.major]
        count = sb.fragments
        n_blocks = (count * entry + METADATA_SIZE - 1) // METADATA_SIZE
        ptr = "I" if sb.major == 2 else "Q"
        try:
            index = struct.unpack_from(f"{e}{n_blocks}{ptr}", self.data, sb.fragment_table_start)
        except (struct.error, OverflowError) as exc:  # OverflowError: offset > 2**63 (fuzzing)
            raise SquashfsError("fragment table index outside the image") from exc
        raw = b"".join(self._metadata_block(p)[0] for p in index)
        table: list[tuple[int, int]] = []
        for i in range(count):
            if (i + 1) * entry > len(raw):
                raise SquashfsError("fragment table shorter than the superblock says")
            if sb.major == 2:
                start, size = struct.unpack_from(e + "II", raw, i * entry)
            else:
                start, size = struct.unpack_from(e + "QI", raw, i * entry)
            table.append((start, size))
        self._fragment_table = table
        return table

    def _data_block(self, start: int, word: int, expected: int) -> bytes:
        length = word & ~DATA_UNCOMPRESSED_BIT & 0xFFFFFFFF
        if start + length > self.size:
            raise SquashfsError(f"data block at {start} (+{length}) runs past the image")
        raw = bytes(self.data[start : start + length])
        if word & DATA_UNCOMPRESSED_BIT:
            return raw
        try:
            out = self.data_codec(raw, expected)
        except CodecError:
            out = b""
        if len(out) != expected:
            out = self._redetect_data_codec(raw, expected)
        return out

    def _redetect_data_codec(self, raw: bytes, expected: int) -> bytes:
        """Some vendor builds compress data blocks differently from metadata; find how."""
        declared = V4_COMPRESSORS.get(self.sb.compression) if self.sb.major == 4 else None
        for codec in candidate_codecs(declared, self.sb.block_size, self.sb.spare):
            try:
                out = codec(raw, expected)
            except CodecError:
                continue
            if len(out) == expected:
                self.data_codec = codec
                return out
        raise SquashfsError(f"data block decodes with no known codec to {expected} bytes")

    def _fragment(self, index: int, offset: int, length: int) -> bytes:
        cached = self._frag_cache.get(index)
        if cached is None:
            table = self._fragments()
            if index >= len(table):
                raise SquashfsError(f"fragment {index} not in the fragment table")
            start, word = table[index]
            length_raw = word & ~DATA_UNCOMPRESSED_BIT & 0xFFFFFFFF
            if start + length_raw > self.size:
                raise SquashfsError(f"fragment {index} runs past the image")
            raw = bytes(self.data[start : start + length_raw])
            if word & DATA_UNCOMPRESSED_BIT:
                cached = raw
            else:
                try:
                    cached = self.data_codec(raw, self.sb.block_size)
                except CodecError as exc:
                    raise SquashfsError(f"fragment {index}: {exc}") from exc
            if len(self._frag_cache) > 8:
                self._frag_cache.clear()
            self._frag_cache[index] = cached
        piece = cached[offset : offset + length]
        if len(piece) != length:
            raise SquashfsError(f"fragment {index} shorter than the file tail it should hold")
        return piece

    def iter_file(self, node: Inode) -> Iterator[bytes]:
        """The file's content, block by block (streamed: one block in memory at a time)."""
        bs = self.sb.block_size
        pos = node.blocks_start
        remaining = node.file_size
        for word in node.block_sizes:
            expected = min(bs, remaining)
            length = word & ~DATA_UNCOMPRESSED_BIT & 0xFFFFFFFF
            if length == 0:
                yield bytes(expected)  # sparse block
            else:
                yield self._data_block(pos, word, expected)
                pos += length
            remaining -= expected
        if remaining > 0:
            if node.fragment == NO_FRAGMENT:
                raise SquashfsError("file is longer than its blocks and has no fragment")
            yield self._fragment(node.fragment, node.frag_offset, remaining)
