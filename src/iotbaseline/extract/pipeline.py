"""``extract_image``: one firmware file or directory in, root filesystem(s) and a report out.

Order of work: refuse unusable input (the only exception raised); Intel HEX / S-record →
flat binary; otherwise the fast path (vendor headers + SquashFS by magic) and, when it found
a root, unblob on the regions it left unidentified (partitions after the root); if the fast
path yields no root filesystem, unblob with our handlers on the whole image, in a bounded
child process; then bring every extracted tree under our safety rules, find and label the
roots and partitions, and write ``modes.json``.
Every problem on the way is an entry in ``ExtractionResult.errors``, never an exception.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from iotbaseline.errors import record_exception
from iotbaseline.extract.carve import CarveResult, Tree, carve_image
from iotbaseline.extract.decrypt.stage import decrypt_input, explain_opaque
from iotbaseline.extract.early import EarlyLeftovers
from iotbaseline.extract.flat import FlatImageError, convert_flat, sniff_flat
from iotbaseline.extract.leftovers import (
    REGION_DIR,
    Partition,
    carvable_regions,
    merge_region_run,
    write_regions,
)
from iotbaseline.extract.limits import Budget, Limits
from iotbaseline.extract.modes import write_modes
from iotbaseline.extract.roots import MIN_SCORE, find_roots, label_roots, root_score
from iotbaseline.extract.safe_fs import ModeEntry, ModeManifest
from iotbaseline.extract.sanitize import sanitize_tree
from iotbaseline.extract.unblob_backend import UnblobRun, run_unblob
from iotbaseline.model import Chunk, ExtractionError, ExtractionResult, RootFilesystem

Progress = Callable[[str], None]

ARCHIVE_MAGICS = (
    (0, b"\x1f\x8b", "gzip"), (0, b"BZh", "bzip2"), (0, b"\xfd7zXZ\x00", "xz"),
    (0, b"PK\x03\x04", "zip"), (0, b"7z\xbc\xaf\x27\x1c", "7z"), (0, b"\x28\xb5\x2f\xfd", "zstd"),
    (257, b"ustar", "tar"), (0, b"\x5d\x00\x00", "lzma"), (0, b"070701", "cpio"),
    (0, b"070707", "cpio"), (0, b"\xc7\x71", "cpio"),
)
FAST_PATH_MAX_BYTES = 512 * 1024 * 1024  # larger images go straight to unblob
_CHUNK_DIR = re.compile(r"^(\d+)-(\d+)\.(.+)_extract$")


class ExtractError(Exception):
    """The input cannot be used at all (missing, unreadable, not a file or directory)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sniff_archive(head: bytes) -> str | None:
    for offset, magic, name in ARCHIVE_MAGICS:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


def extract_image(
    source: Path,
    work_dir: Path,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> ExtractionResult:
    limits = limits or Limits()
    say: Progress = progress or (lambda _message: None)
    started = time.monotonic()
    source, work_dir = Path(source), Path(work_dir)
    if not source.exists() and not source.is_symlink():
        raise ExtractError(f"{source}: no such file or directory")
    if source.is_dir():
        result = _directory_input(source, work_dir)
        result.seconds = round(time.monotonic() - started, 3)
        return result
    if not source.is_file():
        raise ExtractError(f"{source}: not a regular file or directory")
    try:
        handle = source.open("rb")
    except OSError as exc:
        raise ExtractError(f"{source}: cannot be read ({exc.strerror})") from exc
    with handle:
        head = handle.read(512)
    work_dir.mkdir(parents=True, exist_ok=True)
    work_dir = work_dir.resolve()
    size = source.stat().st_size
    result = ExtractionResult(input=str(source), input_sha256=_sha256(source), input_size=size,
                              work_dir=str(work_dir))
    if size == 0:
        result.input_kind = "image"
        result.errors.append(ExtractionError(stage="input", path=source.name, size=0,
                                             message="the input file is empty (0 bytes)"))
    elif (flat := sniff_flat(head)) is not None:
        result.input_kind = flat
        say(f"converting {flat} to a flat binary")
        _flat_input(source, flat, work_dir, limits, result)
    else:
        archive = _sniff_archive(head)
        result.input_kind = "archive" if archive else "image"
        _image_input(source, work_dir, limits, result, say, try_fast_path=archive is None)
    result.seconds = round(time.monotonic() - started, 3)
    return result


# ---- inputs -----------------------------------------------------------------------------
def _directory_input(source: Path, work_dir: Path) -> ExtractionResult:
    """An unpacked root used in place: nothing copied, unreadable entries reported."""
    root = source.resolve()
    result = ExtractionResult(input=str(source), input_kind="directory", work_dir=str(work_dir))
    score = root_score(root)
    result.roots.append(RootFilesystem(label="rootfs", path=str(root), score=score,
                                       provenance=[f"directory {root}"]))
    if score < MIN_SCORE:
        result.errors.append(ExtractionError(
            stage="roots", path=str(root),
            message=f"directory does not look like a root filesystem (score {score:g}); used as given"))
    for problem in _unreadable(root):
        result.errors.append(ExtractionError(stage="input", path=problem[0], message=problem[1]))
    return result


def _unreadable(top: Path) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            found.append((str(directory), f"directory cannot be listed ({exc.strerror})"))
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False) and not os.access(entry.path, os.R_OK):
                found.append((entry.path, "file cannot be read by this user; not analysed"))
    return found


def _flat_input(source: Path, kind: str, work_dir: Path, limits: Limits,
                result: ExtractionResult) -> None:
    bound, _name = limits.byte_budget(source.stat().st_size)
    try:
        target, segments = convert_flat(source, kind, work_dir / "flat", bound)
    except FlatImageError as exc:
        result.errors.append(ExtractionError(stage=kind, path=source.name, message=str(exc)))
        return
    result.flat_images.append(str(target))
    for start, end in segments:
        result.chunks.append(Chunk(start=start, end=end, kind=kind, parent=source.name,
                                   extracted_to=str(target.relative_to(work_dir)),
                                   note="address range copied into the flat binary"))


def _image_input(source: Path, work_dir: Path, limits: Limits, result: ExtractionResult,
                 say: Progress, try_fast_path: bool) -> None:
    trees: list[Tree] = []
    partitions: list[Partition] = []
    size = result.input_size or 0
    original = source
    if try_fast_path and size <= FAST_PATH_MAX_BYTES:
        plain = decrypt_input(source, work_dir, limits.byte_budget(size)[0], result)
        if plain is not None:  # a published scheme: extract what it wrapped
            say(f"decrypted {result.chunks[-1].kind}")
            source, size = plain, plain.stat().st_size
    if try_fast_path and size <= FAST_PATH_MAX_BYTES:
        say("looking for vendor headers and SquashFS")
        fast_dir = work_dir / (source.name + ".extract")
        data = source.read_bytes()
        budget = Budget(limits, size)
        early = EarlyLeftovers(data, work_dir, limits, size, budget)
        try:
            carved = carve_image(data, source.name, fast_dir, work_dir, budget, early.on_tree)
        except Exception as exc:  # noqa: BLE001 - a parser bug on hostile bytes: unblob's turn
            result.errors.append(record_exception("carve", exc, part=source.name)
                                 .as_extraction_error())
            carved = CarveResult()
        if any(find_roots(tree.path) for tree in carved.trees if tree.path.is_dir()):
            result.chunks += carved.chunks
            result.errors += carved.errors
            result.limits_hit += carved.limits_hit
            trees = carved.trees
            if not result.limits_hit:
                partitions = _leftovers(source.name, data, carved, work_dir, limits, result,
                                        say, budget, early)
        else:
            shutil.rmtree(fast_dir, ignore_errors=True)
            result.errors += [e for e in carved.errors if e.stage == "limits"]
            result.limits_hit += carved.limits_hit
        early.discard()  # started but not used (a bound was reached): as if it never ran
    if not trees and not result.limits_hit:
        say("carving with unblob")
        run, tree = _unblob([source], work_dir, limits, result)
        result.chunks += run.chunks
        trees = [tree] if tree else []
    _select_roots(trees, work_dir, result)
    _add_partitions(partitions, work_dir, result)
    _record_uncovered(source.name, size, result)
    if original != source:
        _record_uncovered(original.name, result.input_size or 0, result)
    explain_opaque(original, result)


def _record_uncovered(name: str, size: int, result: ExtractionResult) -> None:
    """Every byte range of the input that no chunk accounts for becomes an ``unknown`` chunk
    (offset and size), so nothing is silently dropped — e.g. a blob no handler recognised."""
    spans = sorted((c.start, c.end) for c in result.chunks
                   if c.depth == 0 and c.parent in (None, name) and c.end > c.start)
    cursor = 0
    gaps: list[tuple[int, int]] = []
    for start, end in spans:
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < size:
        gaps.append((cursor, size))
    for start, end in gaps:
        result.chunks.append(Chunk(start=start, end=end, kind="unknown", parent=name,
                                   note="not identified by any extractor"))
    result.chunks.sort(key=lambda c: (c.depth, c.parent or "", c.start))


def _leftovers(name: str, data: bytes, carved: CarveResult, work_dir: Path, limits: Limits,
               result: ExtractionResult, say: Progress, budget: Budget,
               early: EarlyLeftovers) -> list[Partition]:
    """Hand the fast path's unidentified regions to unblob (see ``leftovers``); the run
    ``early`` started while the fast path was still extracting is used when it carved
    exactly these regions."""
    regions = carvable_regions(result.chunks)
    if not regions:
        return []
    say(f"carving {len(regions)} leftover region(s) with unblob")
    started = early.take(regions)
    if started is None:
        files = write_regions(data, regions, work_dir)
        run = run_unblob(files, work_dir, limits, result.input_size or 0, budget.bytes_written)
    else:
        run, files = started
    try:
        tree = _take_unblob(run, files, result)
        result.chunks, partitions = merge_region_run(name, data, result.chunks, regions, files, run,
                                                     work_dir, carved.headers)
    finally:
        shutil.rmtree(work_dir / REGION_DIR, ignore_errors=True)
    manifest = tree.manifest if tree and tree.manifest else ModeManifest()
    for part in partitions:
        part.manifest = manifest.rebased("/" + str(part.path.relative_to(run.extract_root)))
    return partitions


def _unblob(sources: list[Path], work_dir: Path, limits: Limits,
            result: ExtractionResult) -> tuple[UnblobRun, Tree | None]:
    """One bounded unblob run; its errors and bounds go to ``result``, its chunks are
    returned with the sanitised tree (modes from the image where our extractors ran)."""
    run = run_unblob(sources, work_dir, limits, result.input_size or 0)
    return run, _take_unblob(run, sources, result)


def _take_unblob(run: UnblobRun, sources: list[Path], result: ExtractionResult) -> Tree | None:
    result.errors += run.errors
    result.limits_hit += [hit for hit in run.limits_hit if hit not in result.limits_hit]
    if not run.extract_root.is_dir():
        return None
    report = sanitize_tree(run.extract_root)
    for problem in report.problems:
        result.errors.append(ExtractionError(stage="safety", message=problem))
    manifest = report.manifest
    for sidecar in run.squashfs_manifests:  # the image's own modes beat what is on disk
        try:
            prefix = "/" + str(Path(sidecar["dir"]).relative_to(run.extract_root))
        except (KeyError, ValueError):
            continue
        for path, entry in sidecar.get("entries", {}).items():
            key = prefix if path == "/" else prefix + path
            manifest.entries[key] = ModeEntry.from_json(entry)
    return Tree(run.extract_root, [sources[0].name], manifest)


# ---- roots ------------------------------------------------------------------------------
def _provenance(base: list[str], tree: Tree, root: Path, whole: dict[str, str]) -> list[str]:
    """Image → containers → filesystem, from unblob's directory names and our chunks."""
    chain = list(base)
    for part in root.relative_to(tree.path).parts:
        match = _CHUNK_DIR.match(part)
        if match:
            start, end, handler = int(match[1]), int(match[2]), match[3]
            chain.append(f"offset {start:#x}-{end:#x}: {handler}")
        elif part.endswith("_extract"):
            name = part[: -len("_extract")]
            chain.append(f"{name}: {whole.get(name, 'extracted')}")
        else:
            chain.append(part)
    return chain


def _add_partitions(partitions: list[Partition], work_dir: Path, result: ExtractionResult) -> None:
    """Trees from leftover regions, after the roots, under their partition labels."""
    for part in partitions:
        chain = _provenance(part.provenance, Tree(part.top, []), part.path, {})
        result.roots.append(RootFilesystem(label=part.label, path=str(part.path),
                                           score=root_score(part.path), provenance=chain))
        write_modes(part.path, part.label, part.manifest or ModeManifest())


def _select_roots(trees: list[Tree], work_dir: Path, result: ExtractionResult) -> None:
    candidates: list[tuple[Path, float, Tree]] = []
    for tree in trees:
        if tree.path.is_dir():
            candidates += [(path, score, tree) for path, score in find_roots(tree.path)]
    candidates.sort(key=lambda item: (-item[1], str(item[0])))
    labels = label_roots(len(candidates))
    whole = {Path(c.parent).name: c.kind for c in result.chunks if c.parent and c.start == 0}
    for label, (path, score, tree) in zip(labels, candidates, strict=False):
        provenance = _provenance(tree.provenance, tree, path, whole)
        result.roots.append(RootFilesystem(label=label, path=str(path), score=score,
                                           provenance=provenance))
        manifest = tree.manifest or ModeManifest()
        rel = "/" + str(path.relative_to(tree.path)) if path != tree.path else ""
        write_modes(path, label, manifest.rebased(rel))
    if not candidates and not result.flat_images:
        result.errors.append(ExtractionError(
            stage="roots", path=Path(result.input).name,
            message="no root filesystem found (no extracted tree has etc/, bin/, lib/, init …)"))
