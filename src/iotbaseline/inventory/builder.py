"""Builds the inventory of every file in the root filesystem(s).

(Interim minimal version: kinds by magic and name, stat facts, sha256. The inventory work
replaces this with the full builder: ELF facts, parallelism, caching by content hash.)
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from iotbaseline.model import FileEntry, Inventory, RootFilesystem


def _kind(path: Path, head: bytes, name: str) -> str:
    if head.startswith(b"\x7fELF"):
        return "kernel_module" if name.endswith(".ko") else "elf"
    if head.startswith(b"#!"):
        return "script"
    if b"-----BEGIN" in head and b"PRIVATE KEY" in head:
        return "key"
    if b"-----BEGIN CERTIFICATE" in head:
        return "certificate"
    if b"\x00" in head[:1024]:
        return "data"
    return "text"


def build_inventory(roots: list[RootFilesystem], jobs: int | None = None) -> Inventory:
    files: list[FileEntry] = []
    for root in roots:
        base = Path(root.path)
        for dirpath, dirnames, filenames in os.walk(base):
            for name in sorted(dirnames + filenames):
                p = Path(dirpath) / name
                rel = "/" + str(p.relative_to(base))
                st = p.lstat()
                mode = stat.S_IMODE(st.st_mode)
                common = dict(path=rel, root=root.label, mode=mode, setuid=bool(mode & 0o4000),
                              setgid=bool(mode & 0o2000), world_writable=bool(mode & 0o002))
                if stat.S_ISLNK(st.st_mode):
                    files.append(FileEntry(kind="symlink", link_target=os.readlink(p), **common))
                elif stat.S_ISDIR(st.st_mode):
                    files.append(FileEntry(kind="directory", **common))
                elif stat.S_ISREG(st.st_mode):
                    data = p.read_bytes()
                    files.append(FileEntry(kind=_kind(p, data[:4096], name), size=st.st_size,  # type: ignore[arg-type]
                                           sha256=hashlib.sha256(data).hexdigest(), **common))
                else:
                    files.append(FileEntry(kind="special", **common))
    return Inventory(roots=list(roots), files=files)
