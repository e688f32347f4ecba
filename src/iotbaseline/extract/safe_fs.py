"""Create files inside one directory and nowhere else, whatever names the image contains.

Every operation works relative to an open directory file descriptor and opens each path
component with O_NOFOLLOW, so a symlink created earlier from the image (even one pointing
at "/" or "../..") can never be written through. Names are checked before use: empty, ".",
"..", anything with "/" or NUL is refused. Device nodes are never created and setuid/setgid/
sticky bits are never applied on disk: the original mode is kept in a ``ModeManifest``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Self

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class UnsafeName(Exception):
    """A path component that could escape or confuse the output directory."""


def check_name(raw: bytes | str) -> str:
    """The component as text, or UnsafeName. Non-UTF-8 bytes are kept via surrogateescape."""
    name = os.fsdecode(raw) if isinstance(raw, bytes) else raw
    if name in ("", ".", "..") or "/" in name or "\x00" in name:
        raise UnsafeName(f"refused unsafe name {name!r}")
    return name


@dataclass
class ModeEntry:
    """An entry's metadata as recorded in the image (not as written on disk)."""

    type: str  # file, dir, symlink, chr, blk, fifo, sock
    mode: int  # permission bits incl. setuid/setgid/sticky
    uid: int | None = None
    gid: int | None = None
    target: str | None = None  # symlink target exactly as stored
    rdev: int | None = None
    note: str = ""  # what differs on disk ("device node not created", "setuid cleared")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModeEntry:
        return cls(str(data["type"]), int(str(data["mode"]), 8), data.get("uid"), data.get("gid"),
                   data.get("target"), data.get("rdev"), str(data.get("note", "")))

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "mode": f"{self.mode:04o}"}
        for key in ("uid", "gid", "target", "rdev"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class ModeManifest:
    """Original modes of everything under one extraction directory, keyed by "/path"."""

    entries: dict[str, ModeEntry] = field(default_factory=dict)

    def add(self, parts: Iterable[str], entry: ModeEntry) -> None:
        self.entries["/" + "/".join(parts)] = entry

    def rebased(self, prefix: str) -> ModeManifest:
        """The entries under ``prefix`` ("/rootfs"), with paths relative to it."""
        prefix = prefix.rstrip("/")
        if not prefix:
            return ModeManifest(dict(self.entries))
        out = ModeManifest()
        for path, entry in self.entries.items():
            if path == prefix:
                out.entries["/"] = entry
            elif path.startswith(prefix + "/"):
                out.entries[path[len(prefix) :]] = entry
        return out


def disk_mode(kind: str, mode: int) -> int:
    """Permissions written on disk: no setuid/setgid/sticky, always owner-accessible."""
    base = mode & 0o777
    return base | (0o700 if kind == "dir" else 0o600)


class SafeTree:
    """Writer confined to ``root`` (created if missing). Use as a context manager."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        os.makedirs(root, exist_ok=True)
        self.root_fd = os.open(root, DIR_FLAGS)

    def close(self) -> None:
        os.close(self.root_fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def parent_fd(self, parts: list[str], cache: dict[tuple[str, ...], int]) -> int:
        """fd of the directory holding ``parts[-1]``, creating missing parents (mode 0755).

        ``cache`` keeps fds of recently used directories (archives list entries in order);
        the caller closes them with ``close_cache``.
        """
        key = tuple(parts[:-1])
        if not key:
            return self.root_fd
        found = cache.get(key)
        if found is not None:
            return found
        fd = self.root_fd
        for depth in range(1, len(key) + 1):
            sub = key[:depth]
            cached = cache.get(sub)
            if cached is None:
                cached = self.make_dir(fd, key[depth - 1], 0o755)
                if len(cache) > 256:
                    close_cache(cache)
                cache[sub] = cached
            fd = cached
        return fd

    # All methods below take a parent directory fd (self.root_fd or one from open_dir).
    def make_dir(self, parent_fd: int, name: str, mode: int) -> int:
        """Create (or reuse) directory ``name`` and return an fd for it; never via a symlink."""
        try:
            os.mkdir(name, disk_mode("dir", mode), dir_fd=parent_fd)
        except FileExistsError:
            st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode):
                raise UnsafeName(f"{name!r} exists and is not a directory (symlink/file clash)")
        return os.open(name, DIR_FLAGS, dir_fd=parent_fd)

    def write_file(self, parent_fd: int, name: str, mode: int, chunks: Iterable[bytes]) -> int:
        """Write a regular file; an existing non-directory entry of that name is replaced."""
        self._remove_existing(parent_fd, name)
        fd = os.open(name, FILE_FLAGS, disk_mode("file", mode), dir_fd=parent_fd)
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    written += len(chunk)
        except BaseException:
            os.unlink(name, dir_fd=parent_fd)  # no half-written file for later stages to hash
            raise
        return written

    def symlink(self, parent_fd: int, name: str, target: str) -> None:
        self._remove_existing(parent_fd, name)
        os.symlink(target, name, dir_fd=parent_fd)

    @staticmethod
    def _remove_existing(parent_fd: int, name: str) -> None:
        try:
            st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            raise UnsafeName(f"{name!r} already exists as a directory")
        os.unlink(name, dir_fd=parent_fd)


def close_cache(cache: dict[tuple[str, ...], int]) -> None:
    for fd in cache.values():
        os.close(fd)
    cache.clear()
