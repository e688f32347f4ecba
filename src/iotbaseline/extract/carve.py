"""Fast path: known vendor headers and SquashFS found by magic, without starting unblob.

Most router images are "header + kernel + SquashFS root". Recognising exactly that costs a
few milliseconds, while a full unblob run costs seconds (it decompresses and searches the
kernel too). Headers nest (a Netgear CHK holding a TRX); parts named ``kernel…`` are
decompressed (LZMA, gzip); every other byte ends up in a chunk: padding, the JFFS2
end-of-filesystem marker, or ``unknown`` — which ``leftovers`` hands to unblob once a root
was found here. When the fast path yields no root filesystem the pipeline uses unblob alone.
"""

from __future__ import annotations

import lzma
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from iotbaseline.extract.headers import Header, parse_known_header
from iotbaseline.extract.limits import Budget, LimitHit
from iotbaseline.extract.safe_fs import ModeManifest
from iotbaseline.extract.squashfs.extract import SquashfsOutcome, extract_squashfs
from iotbaseline.extract.squashfs.reader import SquashfsError
from iotbaseline.extract.squashfs.superblock import (
    MAGICS,
    Superblock,
    SuperblockError,
    parse_superblock,
)
from iotbaseline.model import Chunk, ExtractionError

MAX_KERNEL_BYTES = 64 * 1024 * 1024
# SquashFS images extracted at once: their time goes to decompression and file creation,
# which release the GIL, so two threads use two cores (a 64 MiB dump with 19 images).
SQUASHFS_THREADS = 2


@dataclass
class Tree:
    """A directory produced by one extractor, with where it came from."""

    path: Path
    provenance: list[str]
    manifest: ModeManifest | None = None


@dataclass
class CarveResult:
    chunks: list[Chunk] = field(default_factory=list)
    errors: list[ExtractionError] = field(default_factory=list)
    trees: list[Tree] = field(default_factory=list)
    limits_hit: list[str] = field(default_factory=list)
    headers: list[PlacedHeader] = field(default_factory=list)


Span = tuple[int, int, str, str | None, str]  # start, end, kind, extracted to, note
# Called after each SquashFS tree is written, with the chunk list the image will have once
# every planned part is done (what ``carve_image`` returns, barring a bound reached): lets the
# pipeline start carving the leftover regions while the other trees are still extracted.
TreeDone = Callable[[Tree, list[Chunk]], None]


def find_squashfs(data: bytes) -> list[tuple[int, Superblock]]:
    """Valid SquashFS superblocks in ``data``, outermost first, none inside another."""
    found: list[tuple[int, Superblock]] = []
    for magic in MAGICS:
        pos = data.find(magic)
        while pos != -1:
            try:
                found.append((pos, parse_superblock(data, pos)))
            except SuperblockError:
                pass
            pos = data.find(magic, pos + 1)
    found.sort(key=lambda item: item[0])
    outer: list[tuple[int, Superblock]] = []
    end = -1
    for offset, sb in found:
        if offset >= end:
            outer.append((offset, sb))
            end = offset + sb.bytes_used
    return outer


MAX_NESTED_HEADERS = 4  # CHK → TRX → … ; deeper nesting is left to unblob


@dataclass
class PlacedHeader:
    """A vendor header found at ``offset`` of the image (0, or the start of a parent's part);
    it owns the bytes up to ``end`` (the image's end, or the end of that part)."""

    offset: int
    end: int
    header: Header

    @property
    def description(self) -> str:
        if self.offset == 0:
            return self.header.description
        return f"image offset {self.offset:#x}: {self.header.description}"


def find_headers(data: bytes) -> list[PlacedHeader]:
    """The header at offset 0 and the headers nested at the start of its parts (a Netgear
    CHK holding a TRX, …), outermost first. Each nested header is parsed from its part
    alone, so it cannot claim bytes outside it."""
    placed: list[PlacedHeader] = []
    todo = [(0, len(data), 0)]
    while todo:
        start, end, depth = todo.pop()
        header = parse_known_header(data if (start, end) == (0, len(data)) else data[start:end])
        if header is None:
            continue
        placed.append(PlacedHeader(start, end, header))
        if depth < MAX_NESTED_HEADERS:
            todo += [(start + s, start + e, depth + 1) for _n, s, e in header.parts if s > 0]
    placed.sort(key=lambda item: item.offset)
    return placed


def chain_at(name: str, headers: list[PlacedHeader], offset: int) -> list[str]:
    """Provenance up to ``offset``: the image, then every container that encloses it."""
    return [name] + [h.description for h in headers if h.offset <= offset < h.end]


def carve_image(data: bytes, name: str, out_dir: Path, work_dir: Path, budget: Budget,
                on_tree: TreeDone | None = None) -> CarveResult:
    result = CarveResult()
    parent = name
    covered: list[Span] = []
    planned: list[Span] = []  # the byte ranges every part will cover, known before extraction
    headers = result.headers = find_headers(data)
    squashfs = find_squashfs(data)
    nested_at = {h.offset for h in headers}
    # The kernel is decompressed in a thread while SquashFS is extracted: both spend their
    # time in liblzma/zlib and system calls, which release the GIL.
    pool = ThreadPoolExecutor(max_workers=1)
    kernels: list[Future[Span]] = []
    for placed in headers:
        covered.append((placed.offset, placed.offset + placed.header.size, placed.header.kind,
                        None, placed.description))
        for part, rel_start, rel_end in placed.header.parts:
            start, end = placed.offset + rel_start, placed.offset + rel_end
            if start in nested_at:
                continue  # a container of its own, covered by its parts
            # a filesystem inside a declared kernel part ends the kernel there
            end = min([end] + [o for o, _sb in squashfs if start < o < end])
            if part.startswith("kernel") and not any(o == start for o, _sb in squashfs):
                kernels.append(pool.submit(_kernel, data, start, end, out_dir, work_dir, budget,
                                           result))
                planned.append((start, end, "kernel", None, ""))
            elif part == "loader":
                note = f"boot loader stub declared by the {placed.header.kind} header"
                covered.append((start, end, "loader", None, note))
    planned += covered + [(o, o + sb.bytes_used, "squashfs", None, "") for o, sb in squashfs]
    done: Callable[[Tree], None] | None = None
    if on_tree is not None:
        callback = on_tree  # (bound for mypy's sake)

        def done(tree: Tree) -> None:
            callback(tree, _with_gaps(data, planned, parent))

    try:
        _carve_squashfs(data, squashfs, parent, headers, out_dir, work_dir, budget, result,
                        covered, done)
    finally:
        covered += [future.result() for future in kernels]
        pool.shutdown()
    result.chunks = _with_gaps(data, covered, parent)
    return result


def _carve_squashfs(data: bytes, found: list[tuple[int, Superblock]], parent: str,
                    headers: list[PlacedHeader], out_dir: Path, work_dir: Path, budget: Budget,
                    result: CarveResult, covered: list[Span],
                    done: Callable[[Tree], None] | None = None) -> None:
    """Extract every SquashFS image, ``SQUASHFS_THREADS`` at a time; the results are taken
    in image order, so the report does not depend on which thread finished first."""
    workers = max(1, min(SQUASHFS_THREADS, len(found)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="squashfs") as pool:
        futures = [pool.submit(_extract_one, data, offset, out_dir / f"squashfs-{offset:#x}",
                               budget) for offset, _sb in found]
        for (offset, sb), future in zip(found, futures, strict=True):
            _take_squashfs(offset, sb, future.result(), parent, headers, out_dir, work_dir,
                           result, covered, done)


def _extract_one(data: bytes, offset: int, target: Path,
                 budget: Budget) -> SquashfsOutcome | SquashfsError | OSError | LimitHit:
    try:
        budget.check_time("carving")
        return extract_squashfs(data, offset, target, budget)
    except (SquashfsError, OSError, LimitHit) as exc:
        return exc


def _take_squashfs(offset: int, sb: Superblock,
                   got: SquashfsOutcome | SquashfsError | OSError | LimitHit, parent: str,
                   headers: list[PlacedHeader], out_dir: Path, work_dir: Path,
                   result: CarveResult, covered: list[Span],
                   done: Callable[[Tree], None] | None) -> None:
    target = out_dir / f"squashfs-{offset:#x}"
    where = f"image offset {offset:#x}"
    if isinstance(got, LimitHit):
        result.limits_hit.append(got.bound)
        result.errors.append(ExtractionError(stage="limits", path=parent, offset=offset,
                                             message=str(got)))
        return
    if isinstance(got, (SquashfsError, OSError)):
        result.errors.append(ExtractionError(stage="squashfs", path=parent, offset=offset,
                                             size=sb.bytes_used, message=str(got)))
        covered.append((offset, offset + sb.bytes_used, "squashfs", None, f"not extracted: {got}"))
        return
    outcome = got
    for message in outcome.errors:
        result.errors.append(ExtractionError(stage="squashfs", path=parent, offset=offset,
                                             message=message))
    if outcome.limit is not None:
        result.limits_hit.append(outcome.limit.bound)
        result.errors.append(ExtractionError(stage="limits", path=parent, offset=offset,
                                             message=str(outcome.limit)))
    rel = str(target.relative_to(work_dir))
    covered.append((offset, offset + sb.bytes_used, "squashfs", rel, outcome.description))
    chain = chain_at(parent, headers, offset) + [f"{where}: {outcome.description}"]
    result.trees.append(Tree(target, chain, outcome.manifest))
    if done is not None:
        done(result.trees[-1])


def _decompress_kernel(blob: bytes) -> tuple[str, bytes] | None:
    """LZMA ("alone" header) or gzip kernel, at most ``MAX_KERNEL_BYTES``; None if neither."""
    if blob[:1] in (b"\x5d", b"\x6d"):
        return "LZMA", lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(
            blob, MAX_KERNEL_BYTES)
    if blob[:2] == b"\x1f\x8b":
        return "gzip", zlib.decompressobj(wbits=31).decompress(blob, MAX_KERNEL_BYTES)
    return None


def _kernel(data: bytes, start: int, end: int, out_dir: Path, work_dir: Path, budget: Budget,
            result: CarveResult) -> Span:
    """Decompress a kernel so later stages can read its version banner."""
    try:
        found = _decompress_kernel(data[start:end])
    except (lzma.LZMAError, zlib.error) as exc:
        result.errors.append(ExtractionError(stage="kernel", offset=start, size=end - start,
                                             message=f"kernel did not decompress: {exc}"))
        return (start, end, "kernel", None, "kernel (compressed, corrupt)")
    if found is None:
        return (start, end, "kernel", None, "kernel (not LZMA or gzip, kept in the image)")
    codec, raw = found
    try:
        budget.add_bytes(len(raw))
    except LimitHit as hit:
        result.limits_hit.append(hit.bound)
        return (start, end, "kernel", None, f"kernel not written: {hit}")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"kernel-{start:#x}.bin"
    target.write_bytes(raw)
    return (start, end, "kernel", str(target.relative_to(work_dir)),
            f"{codec} kernel, {len(raw)} bytes decompressed")


def _with_gaps(data: bytes, covered: list[Span],
               parent: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    pos = 0
    for start, end, kind, to, note in sorted(covered):
        if start > pos:
            chunks += classify_gap(data, pos, start, parent)
        if start >= pos:
            chunks.append(Chunk(start=start, end=end, kind=kind, extracted_to=to, parent=parent,
                                note=note))
            pos = end
    if covered and pos < len(data):
        chunks += classify_gap(data, pos, len(data), parent)
    return chunks


PADDING_BYTES = b"\x00\xff"  # erased NOR/NAND flash reads 0xff; builders pad with 0x00 too
JFFS2_EOF = b"\xde\xad\xc0\xde"  # OpenWrt's "format the overlay at first boot" marker
MIN_CARVE_BYTES = 256  # regions with less non-padding data are not worth an unblob run


PAGE = 4096  # partitions start on flash-page (erase-block) boundaries


def classify_gap(data: bytes, start: int, end: int, parent: str,
                 carving: bool = True) -> list[Chunk]:
    """A region nobody identified, classified cheaply: padding (0x00/0xff), a JFFS2
    end-of-filesystem marker between padding, a few stray bytes (``unknown``, too small to
    carve), or data worth carving. Leading padding is split off only up to the page boundary
    below the data, so a filesystem that starts with zeros (ext2/3/4's boot block) is not
    cut; trailing padding stays in a region still to be carved (``carving``) because a
    filesystem may end in zero blocks."""
    piece = data[start:end]
    core = piece.strip(PADDING_BYTES)
    if not core:
        return [_padding(piece, start, end, parent)]
    lead = len(piece) - len(piece.lstrip(PADDING_BYTES))
    core_start, core_end = start + lead, start + lead + len(core)
    if core.startswith(JFFS2_EOF) and not core.replace(JFFS2_EOF, b"").strip(PADDING_BYTES):
        middle = Chunk(start=core_start, end=core_end, kind="jffs2-eof", parent=parent,
                       note="JFFS2 end-of-filesystem marker 0xdeadc0de: an empty overlay "
                       "partition, formatted by the device at first boot")
    elif len(core) < MIN_CARVE_BYTES:
        middle = Chunk(start=core_start, end=core_end, kind="unknown", parent=parent,
                       note=f"{len(core)} bytes between padding; too small to carve")
    else:
        core_start = max(start, core_start - core_start % PAGE)
        if not carving:
            core_end = min(end, core_end + -core_end % PAGE)
        middle = Chunk(start=core_start, end=end if carving else core_end, kind="unknown",
                       parent=parent, note="not identified by the fast path")
    out = []
    if middle.start > start:
        out.append(_padding(data[start : middle.start], start, middle.start, parent))
    out.append(middle)
    if middle.end < end:
        out.append(_padding(data[middle.end : end], middle.end, end, parent))
    return out


def _padding(piece: bytes, start: int, end: int, parent: str) -> Chunk:
    values = [name for byte, name in ((b"\x00", "0x00"), (b"\xff", "0xff")) if byte in piece]
    return Chunk(start=start, end=end, kind="padding", parent=parent,
                 note=f"{end - start} bytes of {' and '.join(values)}")
