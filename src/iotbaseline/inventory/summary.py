"""Counts that summarise an inventory: files per kind and the ELF hardening picture.

Executables and shared libraries are counted apart (kernel modules and kernel images are
neither), so "7 of 40 executables lack NX" means programs, not libraries or modules.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from iotbaseline.model import ElfInfo, FileEntry, Inventory


def is_executable(entry: FileEntry) -> bool:
    elf = entry.elf
    return (entry.kind == "elf" and elf is not None and not elf.is_shared_library
            and elf.elf_type in ("exec", "dyn") and elf.error is None)


def is_library(entry: FileEntry) -> bool:
    return entry.kind == "elf" and entry.elf is not None and entry.elf.is_shared_library


def _tri(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _hardening(elves: list[ElfInfo], with_pie: bool) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = {
        "nx": Counter(_tri(e.nx) for e in elves),
        "canary": Counter(_tri(e.canary) for e in elves),
        "relro": Counter(e.relro for e in elves),
        "fortify": Counter("n/a" if e.fortify is None else _tri(e.fortify) for e in elves),
        "stripped": Counter(_tri(e.stripped) for e in elves),
        "rpath/runpath": Counter("yes" if (e.rpath or e.runpath) else "no" for e in elves),
    }
    if with_pie:
        table["pie"] = Counter(_tri(e.pie) for e in elves)
    return {k: dict(sorted(v.items())) for k, v in table.items()}


def summarise(inventory: Inventory) -> dict[str, Any]:
    files = inventory.files
    executables = [f.elf for f in files if is_executable(f) and f.elf]
    libraries = [f.elf for f in files if is_library(f) and f.elf]
    elves = [f.elf for f in files if f.elf is not None]
    return {
        "files": len(files),
        "kinds": dict(sorted(Counter(f.kind for f in files).items())),
        "bytes": sum(f.size for f in files if f.kind not in ("directory", "symlink")),
        "setuid": sum(1 for f in files if f.setuid and f.kind not in ("directory", "symlink")),
        "setgid": sum(1 for f in files if f.setgid and f.kind not in ("directory", "symlink")),
        "world_writable": sum(1 for f in files if f.world_writable and f.kind != "symlink"),
        "architectures": dict(Counter(f"{e.machine} {e.bits}-bit {e.endianness}"
                                      for e in elves if e.machine != "unknown")),
        "elf": {
            "executables": len(executables),
            "shared_libraries": len(libraries),
            "kernel_modules": sum(1 for f in files if f.kind == "kernel_module"),
            "malformed": sum(1 for e in elves if e.error),
        },
        "executables": _hardening(executables, with_pie=True),
        "shared_libraries": _hardening(libraries, with_pie=False),
        "errors": len(inventory.errors),
        "seconds": inventory.seconds,
    }
