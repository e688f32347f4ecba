"""Leftover regions of a fast-path image, carved by unblob.

The fast path knows headers, kernels and SquashFS. Whatever else an image holds after (or
between) them — a JFFS2 or UBIFS overlay, an ext4 data partition, a compressed blob — is
an ``unknown`` chunk. Each one with enough non-padding data (``carve.MIN_CARVE_BYTES``;
padding and the JFFS2 end-of-filesystem marker are recognised without unblob) is copied to
``.regions/region-<offset>.bin`` in the work directory and all of them go to unblob in one
bounded, sandboxed worker run. unblob's chunks replace the region's ``unknown`` chunk
(offsets translated back to the image), and every extracted chunk directory becomes a
labelled partition, e.g. ``partition-0x3c0000-jffs2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from iotbaseline.extract.carve import MIN_CARVE_BYTES, PlacedHeader, chain_at, classify_gap
from iotbaseline.extract.roots import find_roots
from iotbaseline.extract.safe_fs import ModeManifest
from iotbaseline.extract.unblob_backend import UnblobRun
from iotbaseline.model import Chunk

REGION_DIR = ".regions"
MAX_REGIONS = 32
_VARIANT = re.compile(r"_(new|old|le|be|v\d+|\d+)$")


@dataclass
class Partition:
    """A tree unblob extracted from a leftover region: ``path`` is the directory to analyse
    (the root-like directory inside it when there is one), ``top`` the chunk's directory."""

    label: str
    path: Path
    top: Path
    provenance: list[str]
    manifest: ModeManifest | None = None


def carvable_regions(chunks: list[Chunk]) -> list[Chunk]:
    """Unknown chunks worth an unblob look, at most ``MAX_REGIONS`` (a hostile image could
    interleave thousands); the others keep a note saying why they were not carved."""
    regions = [c for c in chunks if c.kind == "unknown" and c.end - c.start >= MIN_CARVE_BYTES]
    for skipped in regions[MAX_REGIONS:]:
        skipped.note = f"not carved: more than {MAX_REGIONS} leftover regions in this image"
    return regions[:MAX_REGIONS]


def write_regions(data: bytes, regions: list[Chunk], work_dir: Path) -> list[Path]:
    folder = work_dir / REGION_DIR
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for region in regions:
        path = folder / f"region-{region.start:#x}.bin"
        path.write_bytes(data[region.start : region.end])
        files.append(path)
    return files


def family(handler: str) -> str:
    """unblob's handler name without version/byte-order suffixes ("jffs2_new" → "jffs2")."""
    name = handler
    while (shorter := _VARIANT.sub("", name)) != name:
        name = shorter
    return name or handler


def merge_region_run(image: str, data: bytes, chunks: list[Chunk], regions: list[Chunk], files: list[Path],
                     run: UnblobRun, work_dir: Path,
                     headers: list[PlacedHeader]) -> tuple[list[Chunk], list[Partition]]:
    """The image's chunk list with each region replaced by what unblob found in it, and the
    partitions extracted from the regions."""
    by_parent = {_rel(path, work_dir): (region, path) for region, path in zip(regions, files, strict=True)}
    found: dict[int, list[Chunk]] = {region.start: [] for region in regions}
    deeper: list[Chunk] = []
    partitions: list[Partition] = []
    for chunk in run.chunks:
        owner = by_parent.get(chunk.parent or "") if chunk.depth == 0 else None
        if owner is None:
            deeper.append(chunk)
            continue
        region, path = owner
        start, end = region.start + chunk.start, region.start + chunk.end
        if chunk.kind in ("unknown", "padding"):  # ours tell padding and markers apart
            for piece in classify_gap(data, start, end, image, carving=False):
                if piece.kind == "unknown" and piece.end - piece.start >= MIN_CARVE_BYTES:
                    piece.note = "unblob recognised no format here"
                found[region.start].append(piece)
            continue
        moved = chunk.model_copy(update={"start": start, "end": end, "parent": image})
        top = _chunk_dir(run.extract_root, path, chunk, region)
        if top.is_dir() and any(top.iterdir()):
            moved.extracted_to = _rel(top, work_dir)
            label = f"partition-{start:#x}-{family(chunk.kind)}"
            step = (f"image offset {start:#x}-{end:#x}: {chunk.kind} "
                    "(left over by the fast path, carved by unblob)")
            partitions += _partitions(label, top, chain_at(image, headers, start) + [step])
        else:
            moved.note = (moved.note + "; " if moved.note else "") + "nothing extracted"
        found[region.start].append(moved)
    merged: list[Chunk] = []
    for chunk in chunks:
        is_region = chunk.kind == "unknown" and chunk.start in found
        if is_region and found[chunk.start]:
            merged += sorted(found[chunk.start], key=lambda c: c.start)
        elif is_region:
            why = "unblob stopped before reaching it" if run.limits_hit else "unblob found nothing"
            merged.append(chunk.model_copy(update={"note": f"handed to unblob: {why}"}))
        else:
            merged.append(chunk)
    for error in run.errors:
        owner = by_parent.get(error.path or "")
        if owner is not None:
            error.path = image
            error.offset = None if error.offset is None else owner[0].start + error.offset
    return merged + deeper, partitions


def _chunk_dir(extract_root: Path, region_file: Path, chunk: Chunk, region: Chunk) -> Path:
    """unblob extracts a chunk that is the whole file into ``<name>_extract``, and each of
    several chunks into ``<name>_extract/<start>-<end>.<handler>_extract``."""
    top = extract_root / f"{region_file.name}_extract"
    if chunk.start == 0 and chunk.end == region.end - region.start:
        return top
    return top / f"{chunk.start}-{chunk.end}.{chunk.kind}_extract"


def _partitions(label: str, top: Path, base: list[str]) -> list[Partition]:
    """One partition per root-like directory inside the chunk's tree, else the tree itself."""
    roots = [path for path, _score in find_roots(top)] or [top]
    out = []
    for index, path in enumerate(roots):
        name = label if index == 0 else f"{label}-{index + 1}"
        out.append(Partition(name, path, top, list(base)))
    return out


def _rel(path: Path, work_dir: Path) -> str:
    try:
        return str(path.relative_to(work_dir))
    except ValueError:
        return path.name

