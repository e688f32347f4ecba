"""Read-only view of an extracted firmware for checks and component identification.

Paths are the paths *inside* the firmware ("/etc/shadow"). Every read goes through
``resolve`` which follows symlinks the way the device would (relative to the root, not the
host) and refuses to leave the root, so a hostile symlink can never make a check read a file
of the analysing machine.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator
from pathlib import Path

from iotbaseline.model import FileEntry, Inventory, RootFilesystem

MAX_SYMLINK_HOPS = 16
DEFAULT_READ_LIMIT = 64 * 1024 * 1024


class FileIndex:
    def __init__(self, inventory: Inventory, flat_images: list[str] | None = None) -> None:
        self.inventory = inventory
        self.roots: list[RootFilesystem] = list(inventory.roots)
        self.flat_images: list[str] = list(flat_images or [])
        self._root_dirs = {r.label: Path(r.path) for r in self.roots}
        self._by_key: dict[tuple[str, str], FileEntry] = {
            (f.root, f.path): f for f in inventory.files
        }
        self._read_cache: dict[tuple[str, str], bytes] = {}

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_directory(cls, path: str | Path, label: str = "rootfs", jobs: int | None = None) -> FileIndex:
        """Index an already unpacked root filesystem (used by tests and `inventory PATH`)."""
        from iotbaseline.inventory.builder import build_inventory

        root = RootFilesystem(label=label, path=str(Path(path).resolve()))
        return cls(build_inventory([root], jobs=jobs))

    # ---- lookup -------------------------------------------------------------------------
    @property
    def files(self) -> list[FileEntry]:
        return self.inventory.files

    def default_root(self) -> str | None:
        return self.roots[0].label if self.roots else None

    def get(self, path: str | None, root: str | None = None) -> FileEntry | None:
        if not path:
            return None
        path = _normalise(path)
        if root is not None:
            return self._by_key.get((root, path))
        for r in self.roots:
            entry = self._by_key.get((r.label, path))
            if entry is not None:
                return entry
        return None

    def iter(self, kind: str | None = None, root: str | None = None) -> Iterator[FileEntry]:
        for f in self.inventory.files:
            if (kind is None or f.kind == kind) and (root is None or f.root == root):
                yield f

    def glob(self, *patterns: str, root: str | None = None) -> list[FileEntry]:
        """Entries whose in-firmware path matches any fnmatch pattern ("/etc/init.d/*")."""
        return [
            f
            for f in self.iter(root=root)
            if any(fnmatch.fnmatchcase(f.path, p) for p in patterns)
        ]

    def elves(self, root: str | None = None) -> Iterator[FileEntry]:
        for f in self.iter(root=root):
            if f.elf is not None:
                yield f

    # ---- reading ------------------------------------------------------------------------
    def resolve(self, path: str, root: str | None = None) -> FileEntry | None:
        """Follow symlinks inside the firmware; None if dangling, looping or leaving the root."""
        root = root or self.default_root()
        if root is None:
            return None
        current = _normalise(path)
        for _ in range(MAX_SYMLINK_HOPS):
            entry = self._by_key.get((root, current))
            if entry is None:
                # a parent directory may be a symlink
                entry = self._resolve_parents(current, root)
                if entry is None:
                    return None
            if entry.kind != "symlink":
                return entry
            target = entry.link_target or ""
            base = posixpath.dirname(entry.path)
            current = _normalise(target if target.startswith("/") else posixpath.join(base, target))
        return None

    def _resolve_parents(self, path: str, root: str) -> FileEntry | None:
        parts = path.strip("/").split("/")
        for i in range(len(parts) - 1, 0, -1):
            parent = "/" + "/".join(parts[:i])
            pe = self._by_key.get((root, parent))
            if pe is not None and pe.kind == "symlink":
                target = pe.link_target or ""
                base = posixpath.dirname(parent)
                new_parent = _normalise(target if target.startswith("/") else posixpath.join(base, target))
                rest = "/".join(parts[i:])
                candidate = _normalise(posixpath.join(new_parent, rest))
                if candidate == path:
                    return None
                return self._by_key.get((root, candidate))
        return None

    def disk_path(self, entry: FileEntry) -> Path | None:
        """Where a regular file's bytes are on the analysing machine (never via a symlink)."""
        base = self._root_dirs.get(entry.root)
        if base is None or entry.kind in ("symlink", "directory", "special"):
            return None
        candidate = base / entry.path.lstrip("/")
        try:
            if candidate.is_symlink() or not candidate.is_file():
                return None
            candidate.resolve().relative_to(base.resolve())
        except (OSError, ValueError):
            return None
        return candidate

    def read_bytes(self, path: str | FileEntry, root: str | None = None, limit: int = DEFAULT_READ_LIMIT) -> bytes | None:
        entry = path if isinstance(path, FileEntry) else self.resolve(path, root)
        if entry is None:
            return None
        if entry.kind == "symlink":
            entry = self.resolve(entry.path, entry.root)
            if entry is None:
                return None
        key = (entry.root, entry.path)
        cached = self._read_cache.get(key)
        if cached is not None:
            return cached[:limit]
        disk = self.disk_path(entry)
        if disk is None:
            return None
        try:
            with disk.open("rb") as fh:
                data = fh.read(limit)
        except OSError:
            return None
        if len(data) <= 1024 * 1024:
            self._read_cache[key] = data
        return data

    def read_text(self, path: str | FileEntry, root: str | None = None, limit: int = DEFAULT_READ_LIMIT) -> str | None:
        data = self.read_bytes(path, root, limit)
        return None if data is None else data.decode("utf-8", errors="replace")


def _normalise(path: str) -> str:
    """Absolute, no '..' above the root, no duplicate slashes."""
    norm = posixpath.normpath("/" + path.lstrip("/"))
    while norm.startswith("/.."):
        norm = norm[3:] or "/"
    return "/" if norm in ("", "//") else norm
