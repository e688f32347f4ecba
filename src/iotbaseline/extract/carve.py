"""Fast path: a known vendor header and SquashFS found by magic, without starting unblob.

Most router images are "header + kernel + SquashFS root". Recognising exactly that costs a
few milliseconds, while a full unblob run costs seconds (it decompresses and searches the
kernel too). When the fast path yields no root filesystem the pipeline falls back to unblob.
"""

from __future__ import annotations

import lzma
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from iotbaseline.extract.headers import parse_known_header
from iotbaseline.extract.limits import Budget, LimitHit
from iotbaseline.extract.safe_fs import ModeManifest
from iotbaseline.extract.squashfs.extract import extract_squashfs
from iotbaseline.extract.squashfs.reader import SquashfsError
from iotbaseline.extract.squashfs.superblock import (
    MAGICS,
    Superblock,
    SuperblockError,
    parse_superblock,
)
from iotbaseline.model import Chunk, ExtractionError

MAX_KERNEL_BYTES = 64 * 1024 * 1024


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


def carve_image(data: bytes, name: str, out_dir: Path, work_dir: Path, budget: Budget) -> CarveResult:
    result = CarveResult()
    parent = name
    covered: list[tuple[int, int, str, str | None, str]] = []  # start, end, kind, to, note
    header = parse_known_header(data)
    chain = [f"{name}"]
    # The kernel is decompressed in a thread while SquashFS is extracted: both spend their
    # time in liblzma and system calls, which release the GIL.
    pool = ThreadPoolExecutor(max_workers=1)
    kernels: list[Future[tuple[int, int, str, str | None, str]]] = []
    if header is not None:
        covered.append((0, header.size, header.kind, None, header.description))
        chain.append(header.description)
        for part, start, end in header.parts:
            if part == "kernel":
                kernels.append(pool.submit(_kernel, data, start, end, out_dir, work_dir, budget,
                                           result))
    try:
        _carve_squashfs(data, parent, chain, out_dir, work_dir, budget, result, covered)
    finally:
        covered += [future.result() for future in kernels]
        pool.shutdown()
    result.chunks = _with_gaps(data, covered, parent)
    return result


def _carve_squashfs(data: bytes, parent: str, chain: list[str], out_dir: Path, work_dir: Path,
                    budget: Budget, result: CarveResult,
                    covered: list[tuple[int, int, str, str | None, str]]) -> None:
    for offset, sb in find_squashfs(data):
        target = out_dir / f"squashfs-{offset:#x}"
        where = f"image offset {offset:#x}"
        try:
            budget.check_time("carving")
            outcome = extract_squashfs(data, offset, target, budget)
        except (SquashfsError, OSError) as exc:
            result.errors.append(ExtractionError(stage="squashfs", path=parent, offset=offset,
                                                 size=sb.bytes_used, message=str(exc)))
            covered.append((offset, offset + sb.bytes_used, "squashfs", None, f"not extracted: {exc}"))
            continue
        except LimitHit as hit:
            result.limits_hit.append(hit.bound)
            result.errors.append(ExtractionError(stage="limits", path=parent, offset=offset,
                                                 message=str(hit)))
            continue
        for message in outcome.errors:
            result.errors.append(ExtractionError(stage="squashfs", path=parent, offset=offset,
                                                 message=message))
        if outcome.limit is not None:
            result.limits_hit.append(outcome.limit.bound)
            result.errors.append(ExtractionError(stage="limits", path=parent, offset=offset,
                                                 message=str(outcome.limit)))
        rel = str(target.relative_to(work_dir))
        covered.append((offset, offset + sb.bytes_used, "squashfs", rel, outcome.description))
        result.trees.append(Tree(target, chain + [f"{where}: {outcome.description}"], outcome.manifest))


def _kernel(data: bytes, start: int, end: int, out_dir: Path, work_dir: Path, budget: Budget,
            result: CarveResult) -> tuple[int, int, str, str | None, str]:
    """Decompress an LZMA kernel so later stages can read its version banner."""
    blob = data[start:end]
    if blob[:1] != b"\x5d" and blob[:1] != b"\x6d":
        return (start, end, "kernel", None, "kernel (not LZMA, kept in the image)")
    try:
        raw = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(blob, MAX_KERNEL_BYTES)
    except lzma.LZMAError as exc:
        result.errors.append(ExtractionError(stage="kernel", offset=start, size=end - start,
                                             message=f"LZMA kernel did not decompress: {exc}"))
        return (start, end, "kernel", None, "kernel (LZMA, corrupt)")
    try:
        budget.add_bytes(len(raw))
    except LimitHit as hit:
        result.limits_hit.append(hit.bound)
        return (start, end, "kernel", None, f"kernel not written: {hit}")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"kernel-{start:#x}.bin"
    target.write_bytes(raw)
    return (start, end, "kernel", str(target.relative_to(work_dir)),
            f"LZMA kernel, {len(raw)} bytes decompressed")


def _with_gaps(data: bytes, covered: list[tuple[int, int, str, str | None, str]],
               parent: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    pos = 0
    for start, end, kind, to, note in sorted(covered):
        if start > pos:
            chunks.append(_gap(data, pos, start, parent))
        if start >= pos:
            chunks.append(Chunk(start=start, end=end, kind=kind, extracted_to=to, parent=parent,
                                note=note))
            pos = end
    if covered and pos < len(data):
        chunks.append(_gap(data, pos, len(data), parent))
    return chunks


def _gap(data: bytes, start: int, end: int, parent: str) -> Chunk:
    piece = data[start:end]
    if piece.count(piece[:1]) == len(piece):
        return Chunk(start=start, end=end, kind="padding", parent=parent,
                     note=f"{end - start} bytes of 0x{piece[0]:02x}")
    return Chunk(start=start, end=end, kind="unknown", parent=parent,
                 note="not identified by the fast path")
