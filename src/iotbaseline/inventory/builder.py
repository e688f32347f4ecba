"""Builds the inventory of every file in the root filesystem(s).

Walk (main process, lstat only, symlinks never followed) → scan regular files in chunks across
worker processes (read once: hash + kind + ELF parse from the same bytes) → settle the facts
that need the whole image (loader vs library, fortifiable set of the image's libc).
"""

from __future__ import annotations

import multiprocessing
import os
import stat
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from iotbaseline.inventory.image_facts import settle
from iotbaseline.inventory.index import FileIndex
from iotbaseline.inventory.modes import load_modes
from iotbaseline.inventory.scanner import FileTask, scan_files
from iotbaseline.model import ElfInfo, ExtractionError, FileEntry, Inventory, RootFilesystem

# Below these a worker pool costs more (fork, pickling results back) than it saves: measured
# on 2 cores, the OpenWrt root (597 regular files, 6 MB) takes ~130 ms serially, ~200 ms pooled.
POOL_MIN_FILES = 1000
POOL_MIN_BYTES = 64 * 1024 * 1024
CHUNK_FILES = 128
CHUNK_BYTES = 16 * 1024 * 1024

Progress = Callable[[int, int], None]  # (files done, files total)


class InventoryError(Exception):
    """A root cannot be inventoried at all (missing or not a directory)."""


def build_inventory(
    roots: list[RootFilesystem],
    jobs: int | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Inventory:
    """Inventory every entry of every root. Problems with single files land in ``errors``."""
    started = time.perf_counter()
    records: list[dict[str, Any]] = []
    tasks: list[tuple[int, FileTask]] = []
    errors: list[ExtractionError] = []
    for root in roots:
        _walk_root(root, records, tasks, errors)
    results = _scan_all([t for _, t in tasks], jobs, cache_dir, progress)
    hints: dict[tuple[str, str], dict[str, Any]] = {}
    for (record_index, task), result in zip(tasks, results, strict=True):
        record = records[record_index]
        _merge(record, result, hints)
        if result.get("error"):
            errors.append(ExtractionError(stage="inventory", path=f"{record['root']}:{task.path}",
                                          message=str(result["error"])))
    files = [FileEntry(**r) for r in records]
    inventory = Inventory(roots=list(roots), files=files, errors=errors)
    settle(files, hints, FileIndex(inventory))
    inventory.seconds = round(time.perf_counter() - started, 4)
    return inventory


# ---- walking -----------------------------------------------------------------------------------
def _walk_root(root: RootFilesystem, records: list[dict[str, Any]],
               tasks: list[tuple[int, FileTask]], errors: list[ExtractionError]) -> None:
    base = Path(root.path)
    if not base.is_dir() or base.is_symlink():
        errors.append(ExtractionError(stage="inventory", path=root.path,
                                      message=f"root '{root.label}' is not a directory"))
        return
    recorded, problem = load_modes(base, root.label)
    if problem:
        errors.append(ExtractionError(stage="inventory", path=root.path, message=problem))
    seen: set[str] = set()
    for disk_path, rel, st in _walk_with_root(str(base), errors, root.label):
        seen.add(rel)
        record = _stat_record(root, rel, recorded.modes.get(rel, stat.S_IMODE(st.st_mode)))
        if stat.S_ISLNK(st.st_mode):
            record["kind"] = "symlink"
            record["world_writable"] = False  # link permissions are meaningless on Linux
            try:
                record["link_target"] = _display(os.readlink(disk_path))
            except OSError as exc:
                errors.append(ExtractionError(stage="inventory", path=f"{root.label}:{rel}",
                                              message=f"cannot read link: {exc}"))
        elif stat.S_ISDIR(st.st_mode):
            record["kind"] = "directory"
        elif stat.S_ISREG(st.st_mode):
            record["kind"] = "data"
            record["size"] = st.st_size
            tasks.append((len(records), FileTask(disk_path, rel, st.st_size)))
        else:
            record["kind"] = "special"
        records.append(record)
    for rel, mode in sorted(recorded.specials.items()):
        if rel not in seen:  # device nodes the extractor recorded but did not create
            records.append({**_stat_record(root, rel, mode), "kind": "special"})


def _stat_record(root: RootFilesystem, rel: str, mode: int) -> dict[str, Any]:
    return {
        "path": rel, "root": root.label, "mode": mode,
        "setuid": bool(mode & stat.S_ISUID), "setgid": bool(mode & stat.S_ISGID),
        "world_writable": bool(mode & stat.S_IWOTH), "provenance": list(root.provenance),
    }


def _walk_with_root(base: str, errors: list[ExtractionError],
                    label: str) -> Iterator[tuple[str, str, os.stat_result]]:
    """The root directory itself is an entry ("/"): its mode matters (world-writable root)."""
    yield base, "/", os.lstat(base)
    yield from _walk(base, errors, label)


def _walk(base: str, errors: list[ExtractionError], label: str) -> Iterator[tuple[str, str, os.stat_result]]:
    """(disk path, path inside the root, lstat) in sorted order; directories are not followed
    through symlinks, unreadable directories are reported."""
    stack = [(base, "")]
    while stack:
        directory, rel_dir = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            errors.append(ExtractionError(stage="inventory", path=f"{label}:{rel_dir or '/'}",
                                          message=f"cannot list directory: {exc.strerror or exc}"))
            continue
        subdirs = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}"
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                errors.append(ExtractionError(stage="inventory", path=f"{label}:{_display(rel)}",
                                              message=f"cannot stat: {exc.strerror or exc}"))
                continue
            shown = _display(rel)
            if shown != rel:
                errors.append(ExtractionError(stage="inventory", path=f"{label}:{shown}",
                                              message="file name is not valid UTF-8; shown escaped"))
            yield entry.path, shown, st
            if stat.S_ISDIR(st.st_mode):
                subdirs.append((entry.path, rel))
        stack.extend(reversed(subdirs))


def _display(name: str) -> str:
    """Names that are not UTF-8 come back from the OS with surrogates; JSON cannot carry them."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


# ---- scanning ----------------------------------------------------------------------------------
def _chunks(tasks: list[FileTask]) -> list[list[FileTask]]:
    chunks: list[list[FileTask]] = []
    current: list[FileTask] = []
    size = 0
    for task in tasks:
        current.append(task)
        size += task.size
        if len(current) >= CHUNK_FILES or size >= CHUNK_BYTES:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


def _scan_all(tasks: list[FileTask], jobs: int | None, cache_dir: Path | None,
              progress: Progress | None) -> list[dict[str, Any]]:
    cache = str(cache_dir) if cache_dir else None
    workers = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    total_bytes = sum(t.size for t in tasks)
    chunks = _chunks(tasks)
    done = 0
    if workers == 1 or len(chunks) < 2 or (
        len(tasks) < POOL_MIN_FILES and total_bytes < POOL_MIN_BYTES
    ):
        results: list[dict[str, Any]] = []
        for chunk in chunks:
            results.extend(scan_files(chunk, cache))
            done += len(chunk)
            if progress:
                progress(done, len(tasks))
        return results
    by_chunk: dict[int, list[dict[str, Any]]] = {}
    context = multiprocessing.get_context("fork") if os.name == "posix" else None
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context) as pool:
        futures: dict[Future[list[dict[str, Any]]], int] = {
            pool.submit(scan_files, chunk, cache): i for i, chunk in enumerate(chunks)
        }
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                i = futures[future]
                try:
                    by_chunk[i] = future.result()
                except Exception:  # noqa: BLE001  a dead worker must not lose the chunk: redo it here
                    by_chunk[i] = scan_files(chunks[i], cache)
                done += len(chunks[i])
            if progress:
                progress(done, len(tasks))
    return [r for i in range(len(chunks)) for r in by_chunk[i]]


def _merge(record: dict[str, Any], result: dict[str, Any],
           hints: dict[tuple[str, str], dict[str, Any]]) -> None:
    record["kind"] = result.get("kind", "data")
    if "size" in result:
        record["size"] = result["size"]
    if "sha256" in result:
        record["sha256"] = result["sha256"]
    if result.get("interpreter"):
        record["interpreter"] = result["interpreter"]
    fields = result.get("elf")
    if fields is not None:
        fields = dict(fields)
        hints[(record["root"], record["path"])] = fields.pop("_", {})
        record["elf"] = ElfInfo(**fields)
