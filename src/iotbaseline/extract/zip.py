"""Zip extraction under our rules (used by the unblob zip handler instead of 7z).

7z quietly strips "../" and leading "/" from member names and extracts them anyway, so an
attack goes unreported. Here such names are refused and recorded; symlinks stored the Unix
way (mode S_IFLNK in the external attributes, target as content) are created exactly as
stored; nothing is written through a symlink; modes go into the manifest.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from iotbaseline.extract.limits import Budget, LimitHit
from iotbaseline.extract.safe_fs import ModeEntry, SafeTree, UnsafeName, close_cache
from iotbaseline.extract.tar import TarOutcome, split_member_name

MAX_LINK_TARGET = 4096


def _chunks(stream: IO[bytes], budget: Budget) -> Iterator[bytes]:
    while block := stream.read(1 << 20):
        budget.add_bytes(len(block))
        yield block


def extract_zip(path: Path, out_dir: Path, budget: Budget) -> TarOutcome:
    outcome = TarOutcome()
    budget.start_extractor()
    cache: dict[tuple[str, ...], int] = {}
    with zipfile.ZipFile(path) as archive, SafeTree(out_dir) as tree:
        try:
            for info in archive.infolist():
                budget.check_time("zip extraction")
                _member(archive, info, tree, cache, budget, outcome)
        except LimitHit as hit:
            outcome.limit = hit
        finally:
            close_cache(cache)
    return outcome


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, tree: SafeTree,
            cache: dict[tuple[str, ...], int], budget: Budget, outcome: TarOutcome) -> None:
    try:
        parts = split_member_name(info.filename.replace("\\", "/"))
    except UnsafeName as exc:
        outcome.errors.append(f"{info.filename!r}: {exc}")
        return
    budget.add_file()
    outcome.entries += 1
    unix_mode = info.external_attr >> 16
    mode = stat.S_IMODE(unix_mode) or (0o755 if info.is_dir() else 0o644)
    record = ModeEntry("file", mode)
    try:
        parent = tree.parent_fd(parts, cache)
        if info.is_dir():
            record.type = "dir"
            if tuple(parts) not in cache:
                cache[tuple(parts)] = tree.make_dir(parent, parts[-1], mode)
        elif stat.S_ISLNK(unix_mode):
            target = archive.read(info)[:MAX_LINK_TARGET].decode("utf-8", "surrogateescape")
            record.type, record.target = "symlink", target
            tree.symlink(parent, parts[-1], target)
        else:
            if mode & 0o7000:
                record.note = "setuid/setgid/sticky bits not applied on disk"
            with archive.open(info) as stream:
                tree.write_file(parent, parts[-1], mode, _chunks(stream, budget))
        outcome.manifest.add(parts, record)
    except (UnsafeName, OSError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
        outcome.errors.append(f"{info.filename!r}: {exc}")
