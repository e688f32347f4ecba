"""Per-file work, run in worker processes: read the file once, hash it, classify it and, for ELF
files, parse it — all from the same bytes (or the same mmap for big files).

Returns plain dicts (cheap to pickle); the builder turns them into models. Never follows a
symlink, never opens anything that is not a regular file (a FIFO would block), never executes.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from struct import error as struct_error
from typing import Any

from iotbaseline.inventory import cache as elf_cache
from iotbaseline.inventory.classify import HEAD_SIZE, classify
from iotbaseline.inventory.elf_facts import elf_info_fields, error_fields
from iotbaseline.inventory.elf_parser import ELF_MAGIC, ElfFormatError, parse_elf

MMAP_THRESHOLD = 4 * 1024 * 1024  # larger files are mapped, not copied into memory
READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(
    os, "O_CLOEXEC", 0
)


@dataclass(frozen=True, slots=True)
class FileTask:
    disk_path: str
    path: str  # inside the root
    size: int  # from lstat, used to balance the work


def scan_files(tasks: list[FileTask], cache_dir: str | None) -> list[dict[str, Any]]:
    """Scan a chunk of files (the unit of work sent to a worker process)."""
    cache = Path(cache_dir) if cache_dir else None
    return [scan_file(t, cache) for t in tasks]


def scan_file(task: FileTask, cache_dir: Path | None) -> dict[str, Any]:
    try:
        fd = os.open(task.disk_path, READ_FLAGS)
    except OSError as exc:
        return {"kind": "data", "error": f"cannot open: {exc.strerror or exc}"}
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return {"kind": "special", "error": "changed into a non-regular file while scanning"}
        size = st.st_size
        if size >= MMAP_THRESHOLD:
            with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as mm:
                return _scan_buffer(task.path, mm, size, cache_dir)
        data = _read_all(fd, size)
        return _scan_buffer(task.path, data, len(data), cache_dir)
    except (OSError, ValueError) as exc:
        return {"kind": "data", "error": f"cannot read: {exc}"}
    finally:
        os.close(fd)


def _read_all(fd: int, size: int) -> bytes:
    chunks = []
    remaining = size
    while remaining > 0:
        chunk = os.read(fd, remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks) if len(chunks) != 1 else chunks[0]


def _scan_buffer(path: str, buf: Any, size: int, cache_dir: Path | None) -> dict[str, Any]:
    digest = hashlib.sha256(buf).hexdigest()
    head = bytes(buf[:HEAD_SIZE])
    result: dict[str, Any] = {"sha256": digest, "size": size}
    if head.startswith(ELF_MAGIC):
        fields = elf_cache.load(cache_dir, digest) if cache_dir else None
        if fields is None:
            try:
                fields = elf_info_fields(parse_elf(buf))
            except ElfFormatError as exc:
                fields = error_fields(head, str(exc))
            except (struct_error, MemoryError, OverflowError) as exc:  # defensive: never crash
                fields = error_fields(head, f"malformed ELF: {exc}")
            if cache_dir:
                elf_cache.store(cache_dir, digest, fields)
        hints = fields.get("_", {})
        if fields.get("is_kernel_module"):
            result["kind"] = "kernel_module"
        elif hints.get("vmlinux") or (
            fields.get("elf_type") == "exec" and path.rsplit("/", 1)[-1].startswith("vmlinux")
        ):
            result["kind"] = "kernel_image"
        else:
            result["kind"] = "elf"
        result["elf"] = fields
        return result
    kind, interpreter = classify(path, head, size)
    result["kind"] = kind
    if interpreter:
        result["interpreter"] = interpreter
    return result

