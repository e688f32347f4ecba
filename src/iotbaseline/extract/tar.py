"""Tar extraction under our rules (used by the unblob tar handlers instead of unblob's own).

unblob's tar extraction rewrites absolute symlink targets into relative ones; a root
filesystem's "/var -> /tmp" must stay exactly that for later checks. Here links are
created as stored, names with "..", absolute names and NULs are refused and recorded,
nothing is written through a symlink (``SafeTree``), hard links become copies, device nodes
and FIFOs are recorded only, and modes go into the manifest (never setuid on disk).
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from iotbaseline.extract.limits import Budget, LimitHit
from iotbaseline.extract.safe_fs import (
    ModeEntry,
    ModeManifest,
    SafeTree,
    UnsafeName,
    check_name,
    close_cache,
)

COPY_BLOCK = 1 << 20


@dataclass
class TarOutcome:
    manifest: ModeManifest = field(default_factory=ModeManifest)
    errors: list[str] = field(default_factory=list)
    limit: LimitHit | None = None
    entries: int = 0


def split_member_name(name: str) -> list[str]:
    """Path components of a member name; UnsafeName for absolute or ".." paths."""
    if name.startswith("/"):
        raise UnsafeName(f"refused absolute path {name!r}")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    for part in parts:
        check_name(part)
    if not parts:
        raise UnsafeName(f"refused empty path {name!r}")
    return parts


def _check_hard_link(member: tarfile.TarInfo) -> None:
    """A hard link may only name another member: never an absolute path or one with "..",
    which would copy a file of the machine running the scan into the output."""
    try:
        split_member_name(member.linkname)
    except UnsafeName as exc:
        raise UnsafeName(f"hard link target refused, link not created: {exc}") from exc


def _chunks(stream: IO[bytes], budget: Budget) -> Iterator[bytes]:
    while block := stream.read(COPY_BLOCK):
        budget.add_bytes(len(block))
        yield block


def extract_tar(path: Path, out_dir: Path, budget: Budget) -> TarOutcome:
    outcome = TarOutcome()
    budget.start_extractor()
    cache: dict[tuple[str, ...], int] = {}
    with tarfile.open(path, "r:*") as archive, SafeTree(out_dir) as tree:
        try:
            for member in archive:
                budget.check_time("tar extraction")
                _member(archive, member, tree, cache, budget, outcome)
        except LimitHit as hit:
            outcome.limit = hit
        except (tarfile.TarError, EOFError, OSError) as exc:
            outcome.errors.append(f"archive truncated or corrupt after {outcome.entries} entries: {exc}")
        finally:
            close_cache(cache)
    return outcome


def _member(archive: tarfile.TarFile, member: tarfile.TarInfo, tree: SafeTree,
            cache: dict[tuple[str, ...], int], budget: Budget, outcome: TarOutcome) -> None:
    try:
        parts = split_member_name(member.name)
    except UnsafeName as exc:
        outcome.errors.append(f"{member.name!r}: {exc}")
        return
    budget.add_file()
    outcome.entries += 1
    mode = member.mode & 0o7777
    record = ModeEntry("file", mode, member.uid, member.gid)
    try:
        parent = tree.parent_fd(parts, cache)
        if member.isdir():
            record.type = "dir"
            key = tuple(parts)
            if key not in cache:
                cache[key] = tree.make_dir(parent, parts[-1], mode)
        elif member.issym():
            record.type, record.target = "symlink", member.linkname
            tree.symlink(parent, parts[-1], member.linkname)
        elif member.isfile() or member.islnk():
            if member.islnk():
                _check_hard_link(member)
                record.note = f"hard link to {member.linkname!r} written as a copy"
            try:
                stream = archive.extractfile(member)
            except KeyError:  # tarfile: the link's target is not a member of the archive
                stream = None
            if stream is None:
                raise UnsafeName(f"hard link to {member.linkname!r}, which is not in the "
                                 "archive: recorded, not created")
            if mode & 0o7000:
                record.note = "setuid/setgid/sticky bits not applied on disk"
            tree.write_file(parent, parts[-1], mode, _chunks(stream, budget))
        else:
            kind = {tarfile.CHRTYPE: "chr", tarfile.BLKTYPE: "blk", tarfile.FIFOTYPE: "fifo"}.get(
                member.type, "special")
            record.type = kind
            if kind in ("chr", "blk"):
                record.rdev = (member.devmajor << 8) | member.devminor
            record.note = f"{kind} node recorded, not created"
        outcome.manifest.add(parts, record)
    except (UnsafeName, OSError, tarfile.TarError) as exc:
        outcome.errors.append(f"{member.name!r}: {exc}")
