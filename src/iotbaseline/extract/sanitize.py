"""Bring a tree written by an external extractor (unblob and the tools it runs) under our rules.

Walks without following symlinks and: removes device nodes, FIFOs and sockets (recorded);
clears setuid/setgid/sticky bits on disk (the original mode is recorded); removes regular
files hard-linked to something outside the work directory (their link count exceeds the
links found inside it); records every symlink's target as it is, never rewriting it; makes
entries owner-readable so later stages can read them. The result is a ``ModeManifest``.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from iotbaseline.extract.safe_fs import ModeEntry, ModeManifest

LOST_AND_FOUND = ".unblob-lost+found"  # where unblob's FileSystem puts unsafe paths
_KIND = {stat.S_IFCHR: "chr", stat.S_IFBLK: "blk", stat.S_IFIFO: "fifo", stat.S_IFSOCK: "sock"}


@dataclass
class SanitizeReport:
    manifest: ModeManifest = field(default_factory=ModeManifest)
    problems: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


def sanitize_tree(top: Path) -> SanitizeReport:
    report = SanitizeReport()
    inode_links: Counter[tuple[int, int]] = Counter()
    linked: list[tuple[Path, os.stat_result, list[str]]] = []
    stack: list[tuple[Path, list[str]]] = [(top, [])]
    while stack:
        directory, parts = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            report.problems.append(f"{directory}: unreadable directory ({exc.strerror})")
            continue
        for entry in entries:
            path, sub = Path(entry.path), parts + [entry.name]
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                report.problems.append(f"{path}: {exc.strerror}")
                continue
            report.files += 1
            fmt = stat.S_IFMT(st.st_mode)
            perms = stat.S_IMODE(st.st_mode)
            if fmt == stat.S_IFLNK:
                report.manifest.add(sub, ModeEntry("symlink", perms, st.st_uid, st.st_gid,
                                                   target=os.readlink(path)))
                continue
            if fmt in _KIND:
                path.unlink()
                report.manifest.add(sub, ModeEntry(_KIND[fmt], perms, st.st_uid, st.st_gid,
                                                   rdev=st.st_rdev if fmt in (stat.S_IFCHR, stat.S_IFBLK) else None,
                                                   note=f"{_KIND[fmt]} removed from disk"))
                continue
            kind = "dir" if fmt == stat.S_IFDIR else "file"
            if kind == "dir" and entry.name == LOST_AND_FOUND:
                moved = sorted(str(p.relative_to(path)) for p in path.rglob("*") if not p.is_dir())
                report.problems.append(
                    f"{path}: entries with unsafe paths (path traversal) were redirected here "
                    f"by unblob instead of being written where they pointed: {moved[:20]}")
            record = ModeEntry(kind, perms, st.st_uid, st.st_gid)
            wanted = perms & 0o777 | (0o700 if kind == "dir" else 0o600)
            if perms & 0o7000:
                record.note = "setuid/setgid/sticky bits cleared on disk"
            if wanted != perms:
                os.chmod(path, wanted, follow_symlinks=False)
            report.manifest.add(sub, record)
            if kind == "dir":
                stack.append((path, sub))
            else:
                report.bytes += st.st_size
                if st.st_nlink > 1:
                    inode_links[(st.st_dev, st.st_ino)] += 1
                    linked.append((path, st, sub))
    for path, st, sub in linked:
        if st.st_nlink > inode_links[(st.st_dev, st.st_ino)]:
            path.unlink()
            report.manifest.entries.pop("/" + "/".join(sub), None)
            report.problems.append(
                f"{path}: hard link to a file outside the work directory removed"
            )
    return report

