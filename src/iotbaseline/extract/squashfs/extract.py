"""Unpack a SquashFS image into a directory under the safety rules of ``safe_fs``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from iotbaseline.extract.limits import Budget, LimitHit
from iotbaseline.extract.safe_fs import ModeEntry, ModeManifest, SafeTree, UnsafeName, check_name
from iotbaseline.extract.squashfs.inodes import Inode
from iotbaseline.extract.squashfs.reader import DirEntry, SquashfsError, SquashfsImage

MAX_DIR_DEPTH = 128


@dataclass
class SquashfsOutcome:
    description: str  # "SquashFS 4.0 little-endian (standard magic) xz"
    size: int  # bytes_used
    manifest: ModeManifest
    errors: list[str] = field(default_factory=list)
    limit: LimitHit | None = None
    entries: int = 0


def extract_squashfs(
    data: bytes | memoryview, offset: int, out_dir: Path, budget: Budget
) -> SquashfsOutcome:
    """Extract the image at ``offset``; raises SquashfsError only if nothing can be read."""
    image = SquashfsImage(data, offset)
    outcome = SquashfsOutcome(
        f"{image.sb.describe()} {image.variant or image.codec.name}", image.sb.bytes_used,
        ModeManifest()
    )
    budget.start_extractor()
    root = image.inode(image.root_ref)
    uid, gid = image.owner(root)
    outcome.manifest.entries["/"] = ModeEntry("dir", root.mode, uid, gid)
    with SafeTree(out_dir) as tree:
        walker = _Walker(image, tree, budget, outcome)
        try:
            walker.walk_dir(root, tree.root_fd, [], 0, {image.root_ref})
        except LimitHit as hit:
            outcome.limit = hit
    if image.data_codec is not image.codec:
        outcome.description += f" (data blocks: {image.data_codec.name})"
    outcome.description += f"; {_census(outcome.manifest, image.sb.inodes)}"
    return outcome


def _census(manifest: ModeManifest, inodes: int) -> str:
    """What the image holds by kind, so extraction.json shows the device nodes and FIFOs
    that exist only in modes.json (recorded, never created)."""
    counts: dict[str, int] = {}
    for entry in manifest.entries.values():
        counts[entry.type] = counts.get(entry.type, 0) + 1
    special = sum(counts.get(k, 0) for k in ("chr", "blk", "fifo", "sock"))
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    note = f"; {special} special files recorded in modes.json, not created" if special else ""
    return f"{inodes} inodes ({kinds}){note}"


class _Walker:
    def __init__(self, image: SquashfsImage, tree: SafeTree, budget: Budget,
                 outcome: SquashfsOutcome) -> None:
        self.image, self.tree, self.budget, self.outcome = image, tree, budget, outcome

    def error(self, parts: list[str], message: str) -> None:
        where = "/" + "/".join(parts)
        self.outcome.errors.append(f"{where}: {message}")

    def walk_dir(self, node: Inode, dir_fd: int, parts: list[str], depth: int,
                 ancestors: set[int]) -> None:
        if depth > MAX_DIR_DEPTH:
            self.error(parts, f"directories nested deeper than {MAX_DIR_DEPTH}; not descended")
            return
        try:
            entries = list(self.image.listdir(node))
        except SquashfsError as exc:
            self.error(parts, f"directory unreadable: {exc}")
            return
        for entry in entries:
            self.budget.check_time("SquashFS extraction")
            try:
                name = check_name(entry.name)
            except UnsafeName as exc:
                self.error(parts, str(exc))
                continue
            self.extract_entry(entry, name, dir_fd, parts + [name], depth, ancestors)

    def extract_entry(self, entry: DirEntry, name: str, dir_fd: int, parts: list[str],
                      depth: int, ancestors: set[int]) -> None:
        try:
            node = self.image.inode(entry.inode_ref)
        except SquashfsError as exc:
            self.error(parts, str(exc))
            return
        uid, gid = self.image.owner(node)
        record = ModeEntry(node.kind, node.mode, uid, gid)
        self.budget.add_file()
        self.outcome.entries += 1
        try:
            if node.kind == "dir":
                if entry.inode_ref in ancestors:
                    self.error(parts, "directory loop (entry points at an ancestor); skipped")
                    return
                child_fd = self.tree.make_dir(dir_fd, name, node.mode)
                try:
                    self.outcome.manifest.add(parts, record)
                    self.walk_dir(node, child_fd, parts, depth + 1, ancestors | {entry.inode_ref})
                finally:
                    os.close(child_fd)
                return
            if node.kind == "file":
                if node.mode & 0o7000:
                    record.note = "setuid/setgid/sticky bits not applied on disk"
                self.tree.write_file(dir_fd, name, node.mode, self._counted(node))
            elif node.kind == "symlink":
                record.target = os.fsdecode(node.target)
                self.tree.symlink(dir_fd, name, record.target)
            else:
                record.rdev = node.rdev if node.kind in ("chr", "blk") else None
                record.note = f"{node.kind} node recorded, not created"
            self.outcome.manifest.add(parts, record)
        except (SquashfsError, UnsafeName, OSError) as exc:
            self.error(parts, str(exc))

    def _counted(self, node: Inode) -> Iterator[bytes]:
        for chunk in self.image.iter_file(node):
            self.budget.add_bytes(len(chunk))
            yield chunk
