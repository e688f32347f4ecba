"""One device from several partition dumps: extract each, decide where the device mounts it,
and merge them into one device tree that the inventory, the checks and the SBOM read.

Mount points come from the image itself (``/etc/fstab``, ``mount`` lines of start-up scripts,
the boot loader's ``root=``), matched to the inputs by the ``mtdparts`` name and size of the
mtd block, the file system type and the paths the scripts use under the mount point; or from
``--mount PART=/path``. The merge moves directories inside the work directory only; a mount
point is resolved the way the device would (image symlinks relative to the device tree) and
never leaves it.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iotbaseline.analysis.mounts import MountStatement, find_mount_statements, root_from_bootargs
from iotbaseline.analysis.uboot_env import UBootEnv, parse_uboot_env
from iotbaseline.model import ExtractionError, ExtractionResult, PartitionInfo, RootFilesystem

MODES_SCHEMA = "iotbaseline.modes/1"
MIN_ROOT_SCORE = 5.0
MAX_ENV_PROBE = 1 << 20
_CHUNK_DIR = re.compile(r"^(\d+)-(\d+)\.(.+)_extract$")
FS_HANDLERS = ("squashfs", "jffs2", "ubi", "yaffs", "cramfs", "extfs", "romfs", "fat", "iso9660",
               "erofs", "minix", "ntfs", "ufs", "sevenzip", "zip", "tar", "cpio", "rar", "mfs")
# mount -t names each of our formats answers to
_FSTYPES = {"squashfs": {"squashfs"}, "jffs2": {"jffs2"}, "ubi": {"ubifs", "ubi"},
            "yaffs": {"yaffs", "yaffs2"}, "cramfs": {"cramfs"}, "extfs": {"ext2", "ext3", "ext4"},
            "romfs": {"romfs"}, "fat": {"vfat", "msdos", "fat"}, "erofs": {"erofs"}}
Progress = Callable[[str], None]


class PartitionError(Exception):
    """The partition inputs or --mount options cannot be used (one line, exit 2)."""


@dataclass
class _Part:
    source: Path
    result: ExtractionResult | None = None
    tree: Path | None = None
    handler: str | None = None  # "jffs2", "squashfs" … (normalised unblob/fast-path name)
    provenance: list[str] = field(default_factory=list)
    modes: dict[str, Any] = field(default_factory=dict)
    score: float = 0.0
    env: UBootEnv | None = None
    format: str = "unknown"
    entries: int = 0

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def stem(self) -> str:
        return self.source.name.split(".", 1)[0].lower()


# ---- inputs -----------------------------------------------------------------------------
def partition_inputs(directory: Path) -> list[Path] | None:
    """The dump files of a directory of partition dumps, or None when ``directory`` is an
    unpacked root (or holds no binary files). Text files (notes, checksums) are left out."""
    from iotbaseline.extract.roots import root_score

    if root_score(directory) >= MIN_ROOT_SCORE:
        return None
    files: list[Path] = []
    for entry in sorted(directory.iterdir()):
        if entry.is_symlink() or not entry.is_file() or entry.name.startswith("."):
            continue
        with entry.open("rb") as handle:
            head = handle.read(4096)
        if head and not _is_text(head):
            files.append(entry)
    return files if len(files) >= 2 else None


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in head


def parse_mount_options(options: tuple[str, ...] | Mapping[str, str], names: list[str]) -> dict[str, str]:
    """``PART=/path`` options (or a {PART: /path} mapping) → {input name: mount point}; PART is
    a file name or its stem."""
    if isinstance(options, Mapping):
        options = tuple(f"{part}={path}" for part, path in options.items())
    mounts: dict[str, str] = {}
    for option in options:
        part, sep, path = option.partition("=")
        if not sep or not path.startswith("/"):
            raise PartitionError(f"--mount {option!r}: expected PART=/absolute/path")
        matches = [n for n in names if n == part or n.split(".", 1)[0] == part]
        if len(matches) != 1:
            raise PartitionError(f"--mount {option!r}: no single input named {part!r} "
                                 f"(inputs: {', '.join(names)})")
        normal = posixpath.normpath(path)
        if ".." in path.split("/"):
            raise PartitionError(f"--mount {option!r}: the mount point may not contain '..'")
        mounts[matches[0]] = normal
    return mounts


# ---- the device -------------------------------------------------------------------------
def extract_device(sources: list[Path], work_dir: Path, limits: Any = None,
                   mount_options: tuple[str, ...] | Mapping[str, str] = (), progress: Progress | None = None,
                   label: str | None = None) -> ExtractionResult:
    """Extract every partition dump and merge them into one device tree under ``work_dir``."""
    from iotbaseline.extract import extract_image

    say = progress or (lambda _m: None)
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise PartitionError("two partition inputs have the same file name: "
                             + ", ".join(sorted({n for n in names if names.count(n) > 1})))
    explicit = parse_mount_options(mount_options, names)
    work_dir.mkdir(parents=True, exist_ok=True)
    work_dir = work_dir.resolve()
    def one(number: int, source: Path) -> _Part:
        part = _Part(source=source)
        with source.open("rb") as handle:
            head = handle.read(MAX_ENV_PROBE + 1)
        part.env = parse_uboot_env(head) if len(head) <= MAX_ENV_PROBE else None
        if part.env is not None:
            part.format = "U-Boot environment" + ("" if part.env.crc_ok else " (CRC mismatch)")
        else:
            say(f"extracting partition {source.name}")
            target = work_dir / "parts" / f"{number}-{_safe(source.name)}"
            part.result = extract_image(source, target, limits)
            adopt_tree(part)
            part.format = _format(part, head)
        return part

    # partitions are independent: two at a time (unblob works in its own process)
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        parts = list(pool.map(one, range(len(sources)), sources))
    decisions = _decide_mounts(parts, explicit)
    return _merge(parts, decisions, work_dir, label or " + ".join(names))


def adopt_partitions(result: ExtractionResult) -> None:
    """A single image whose extraction found no root file system (an app or config partition):
    its file-system trees become partitions to analyse instead of a refusal."""
    if result.roots or result.flat_images:
        return
    part = _Part(source=Path(result.input), result=result)
    adopt_tree(part)
    if part.tree is None:
        return
    result.roots.append(RootFilesystem(label="rootfs", path=str(part.tree), score=part.score,
                                       provenance=part.provenance))
    _write_modes(part.tree, "rootfs", part.modes)
    result.errors = [e for e in result.errors if e.stage != "roots"]


def adopt_tree(part: _Part) -> None:
    """Find the partition's own tree: the extractor's root, else the largest file-system chunk
    unblob extracted (``<start>-<end>.<handler>_extract``, or the whole-file ``<name>_extract``)."""
    from iotbaseline.extract.roots import root_score

    result = part.result
    if result is None:
        return
    if result.roots:
        root = result.roots[0]
        part.tree, part.score, part.provenance = Path(root.path), root.score, list(root.provenance)
        part.handler = _handler_of(result)
        part.modes = _load_sidecar(part.tree)
        return
    top = Path(result.work_dir) / "unblob" / f"{part.name}_extract"
    if not top.is_dir() or top.is_symlink():
        return
    best: tuple[int, Path, str, int, int] | None = None
    for entry in top.iterdir():
        match = _CHUNK_DIR.match(entry.name)
        if match and entry.is_dir() and not entry.is_symlink() and _is_fs(match[3]):
            start, end = int(match[1]), int(match[2])
            if best is None or end - start > best[0]:
                best = (end - start, entry, match[3], start, end)
    whole = [c for c in result.chunks if c.depth == 0 and c.start == 0
             and c.end == (result.input_size or 0) and _is_fs(c.kind)]
    if best is not None:
        _, tree, handler, start, end = best
        part.provenance = [part.name, f"offset {start:#x}-{end:#x}: {handler}"]
    elif whole:
        tree, handler = top, whole[0].kind
        part.provenance = [part.name, f"offset 0x0-{whole[0].end:#x}: {handler}"]
    else:
        nested = _nested_archive(top)  # e.g. a container part holding a web-root archive
        if nested is None:
            return
        tree, handler = nested, "archive"
        part.provenance = [part.name, f"{nested.relative_to(top)}: archive member unpacked"]
    part.tree, part.handler = tree, _normal_handler(handler)
    part.score = root_score(tree)
    part.modes = _unblob_modes(Path(result.work_dir), tree)


def _is_fs(handler: str) -> bool:
    name = handler.removeprefix("iotb_")
    return name.startswith(FS_HANDLERS) or name.endswith("_mfs")


def _normal_handler(handler: str) -> str:
    name = handler.removeprefix("iotb_")
    if name.endswith("_mfs"):
        return "mfs"
    for known in FS_HANDLERS:
        if name.startswith(known):
            return known
    return handler


def _nested_archive(top: Path) -> Path | None:
    """The biggest ``<member>_extract`` directory (an unpacked archive) within two levels."""
    best: tuple[int, Path] | None = None
    for directory in [top, *[d for d in top.iterdir() if d.is_dir() and not d.is_symlink()]]:
        for entry in directory.iterdir():
            if entry.is_dir() and not entry.is_symlink() and entry.name.endswith("_extract") \
                    and not _CHUNK_DIR.match(entry.name):
                count = _count(entry)
                if count >= 2 and (best is None or count > best[0]):
                    best = (count, entry)
    return best[1] if best else None


def _handler_of(result: ExtractionResult) -> str | None:
    for chunk in sorted(result.chunks, key=lambda c: c.start - c.end):
        if chunk.depth == 0 and _is_fs(chunk.kind):
            return _normal_handler(chunk.kind)
    return None


def _format(part: _Part, head: bytes) -> str:
    if part.handler:
        return part.handler
    kinds = {c.kind for c in (part.result.chunks if part.result else []) if c.depth == 0}
    packed = sorted(kinds & {"xz", "lzma", "gzip", "zlib", "lzo", "lz4", "zstd", "bzip2"})
    if head[0x24:0x28] == b"\x18\x28\x6f\x01":
        return "kernel (ARM zImage" + (f", {packed[0]})" if packed else ")")
    if head[:4] == b"\x27\x05\x19\x56":
        return "U-Boot image (uImage)"
    if packed:
        return "compressed data (" + ", ".join(packed) + ")"
    return "unknown"


# ---- mount decisions --------------------------------------------------------------------
@dataclass(frozen=True)
class _Decision:
    mount_point: str
    decided_by: str


def _decide_mounts(parts: list[_Part], explicit: dict[str, str]) -> dict[int, _Decision]:
    decisions: dict[int, _Decision] = {}
    for i, part in enumerate(parts):
        if part.name in explicit:
            if part.tree is None:
                raise PartitionError(f"--mount {part.name}: no file system was extracted from it "
                                     f"({part.format})")
            decisions[i] = _Decision(explicit[part.name], "--mount option")
    envs = [(p.name, p.env) for p in parts if p.env is not None]
    mtdparts = next((env.mtdparts for _, env in envs if env.mtdparts), ())
    if "/" not in {d.mount_point for d in decisions.values()}:
        _decide_root(parts, decisions, envs, mtdparts)
    statements: list[MountStatement] = []
    for i in sorted(decisions, key=lambda k: decisions[k].mount_point.count("/")):
        tree = parts[i].tree
        if tree is not None:
            statements += [_rebase(s, decisions[i].mount_point) for s in find_mount_statements(tree)]
    taken = {d.mount_point for d in decisions.values()}
    for statement in sorted(statements, key=lambda s: s.mount_point.count("/")):
        if statement.mount_point in taken:
            continue
        choice = _best_candidate(parts, decisions, statement, mtdparts)
        if choice is not None:
            decisions[choice[0]] = _Decision(statement.mount_point, choice[1])
            taken.add(statement.mount_point)
    if "/" not in taken:
        trees = [i for i, p in enumerate(parts) if p.tree is not None and i not in decisions]
        if trees:
            biggest = max(trees, key=lambda i: parts[i].source.stat().st_size)
            decisions[biggest] = _Decision("/", "no root file system and no mount of it found: "
                                                "analysed at / (give --mount to place it)")
    return decisions


def _decide_root(parts: list[_Part], decisions: dict[int, _Decision],
                 envs: list[tuple[str, UBootEnv]], mtdparts: tuple[Any, ...]) -> None:
    rooty = [i for i, p in enumerate(parts) if p.tree is not None and p.score >= MIN_ROOT_SCORE
             and i not in decisions]
    if rooty:
        best = max(rooty, key=lambda i: parts[i].score)
        decisions[best] = _Decision("/", f"root file system: etc/, bin/, lib/ … at its top "
                                         f"(score {parts[best].score:g})")
        return
    for env_name, env in envs:
        statement = root_from_bootargs(env.bootargs, f"bootargs in {env_name}")
        if statement is None:
            continue
        choice = _best_candidate(parts, decisions, statement, mtdparts)
        if choice is not None:
            decisions[choice[0]] = _Decision("/", choice[1])
            return


def _rebase(statement: MountStatement, mount_point: str) -> MountStatement:
    """A script of a partition mounted at /x names its own path /x/etc/…"""
    if mount_point == "/":
        return statement
    source = posixpath.join(mount_point, statement.source.lstrip("/"))
    return MountStatement(statement.device, statement.mount_point, statement.fstype, source,
                          statement.text)


def _best_candidate(parts: list[_Part], decisions: dict[int, _Decision], statement: MountStatement,
                    mtdparts: tuple[Any, ...]) -> tuple[int, str] | None:
    scored: list[tuple[int, int, list[str]]] = []
    index = statement.mtd_index
    named = statement.mtd_name
    same_type = [i for i, p in enumerate(parts) if i not in decisions and p.tree is not None
                 and statement.fstype in _FSTYPES.get(p.handler or "", set())]
    for i, part in enumerate(parts):
        if i in decisions or part.tree is None:
            continue
        accepted = _FSTYPES.get(part.handler or "")
        if statement.fstype and accepted and statement.fstype not in accepted:
            continue  # the image says another file system type
        score, why = 0, []
        if index is not None and index < len(mtdparts):
            entry = mtdparts[index]
            if entry.name.lower() == part.stem:
                score, why = score + 4, why + [f"mtdparts names mtdblock{index} {entry.name!r}"]
            if entry.size == part.source.stat().st_size:
                score, why = score + 3, why + [f"its size {entry.size} is that of mtdblock{index}"]
        if index is not None and re.search(rf"(mtdblock|mtd)_?{index}(\D|$)", part.name.lower()):
            score, why = score + 4, why + [f"file name names mtd {index}"]
        if named and named.lower() == part.stem:
            score, why = score + 4, why + [f"mtd name {named!r}"]
        if statement.fstype and i in same_type:
            score += 2 if len(same_type) == 1 else 1
            why.append(f"{statement.fstype} file system" + (" (the only one)" if len(same_type) == 1 else ""))
        if score:
            scored.append((score, i, why))
    scored.sort(key=lambda item: -item[0])
    if not scored or scored[0][0] < 2 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    score, i, why = scored[0]
    return i, f"{statement.source} `{statement.text}`: " + "; ".join(why)


# ---- merge ------------------------------------------------------------------------------
def _merge(parts: list[_Part], decisions: dict[int, _Decision], work_dir: Path,
           label: str) -> ExtractionResult:
    result = ExtractionResult(input=label, input_kind="partitions", work_dir=str(work_dir),
                              input_size=sum(p.source.stat().st_size for p in parts))
    device = work_dir / "device"
    order = sorted(decisions, key=lambda i: (decisions[i].mount_point != "/",
                                             decisions[i].mount_point.count("/")))
    modes: dict[str, Any] = {}
    root_provenance: list[str] = []
    for i in order:
        part, decision = parts[i], decisions[i]
        assert part.tree is not None
        part.entries = _count(part.tree)
        try:
            if decision.mount_point == "/":
                os.rename(part.tree, device)
                root_provenance = part.provenance
                target = device
            else:
                if not device.exists():
                    device.mkdir()
                target = _mount_dir(device, decision.mount_point)
                hidden = _hide_existing(target, work_dir / "hidden" / _safe(part.name))
                if hidden:
                    result.errors.append(ExtractionError(
                        stage="mounts", path=decision.mount_point,
                        message=f"{hidden} entries of the device tree under {decision.mount_point} "
                                f"are hidden by the mount of {part.name} (as on the device)"))
                    prefix = decision.mount_point.rstrip("/") + "/"
                    modes = {k: v for k, v in modes.items() if not k.startswith(prefix)}
                os.rename(part.tree, target)
        except (OSError, PartitionError) as exc:
            result.errors.append(ExtractionError(stage="mounts", path=part.name,
                                                 message=f"not mounted at {decision.mount_point}: {exc}"))
            decisions.pop(i)
            continue
        part.tree = target
        for path, entry in part.modes.items():
            key = posixpath.normpath(decision.mount_point.rstrip("/") + "/" + path.lstrip("/"))
            modes[key] = entry
    if device.is_dir():
        from iotbaseline.extract.roots import root_score

        result.roots.append(RootFilesystem(label="rootfs", path=str(device), score=root_score(device),
                                           provenance=root_provenance or ["device tree"]))
        _write_modes(device, "rootfs", modes)
    for i, part in enumerate(parts):
        decision = decisions.get(i)
        root_label: str | None = "rootfs" if decision else None
        if decision is None and part.tree is not None:
            root_label = f"partition-{_safe(part.stem)}"
            part.entries = _count(part.tree)
            result.roots.append(RootFilesystem(label=root_label, path=str(part.tree),
                                               score=part.score, provenance=part.provenance))
            _write_modes(part.tree, root_label, part.modes)
        _collect(part, result)
        result.partitions.append(PartitionInfo(
            input=part.name, sha256=_sha256(part.source), size=part.source.stat().st_size,
            format=part.format, mount_point=decision.mount_point if decision else None,
            decided_by=decision.decided_by if decision else _unmounted_reason(part),
            entries=part.entries, root=root_label, provenance=part.provenance or [part.name],
            boot_env=part.env.summary() if part.env else {}))
    return result


def _unmounted_reason(part: _Part) -> str:
    if part.env is not None:
        facts = ", ".join(f"{k}={v}" for k, v in part.env.summary().items() if k in ("console", "root"))
        return ("boot loader environment" + (f" ({facts})" if facts else "")
                + ": read for bootargs and mtdparts, not mounted")
    if part.tree is None:
        return f"no file system in it ({part.format}): searched as a binary, not mounted"
    return "no mount of it found in the image: analysed as a separate tree (give --mount)"


def _collect(part: _Part, result: ExtractionResult) -> None:
    """The partition's chunks, errors and bounds, each naming the partition."""
    sub = part.result
    if sub is None:
        return
    for chunk in sub.chunks:
        result.chunks.append(chunk.model_copy(update={"parent": chunk.parent or part.name}))
    for error in sub.errors:
        if error.stage == "roots":
            continue  # a partition need not be a root: the partitions table says what it is
        path = error.path if error.path and error.path.startswith(part.name) else (
            f"{part.name}:{error.path}" if error.path else part.name)
        result.errors.append(error.model_copy(update={"path": path}))
    result.flat_images += sub.flat_images
    result.limits_hit += [h for h in sub.limits_hit if h not in result.limits_hit]


def _mount_dir(device: Path, mount_point: str) -> Path:
    """The directory for ``mount_point`` inside ``device``, created if missing. Symlinks on the
    way are followed as the device would (relative to the device tree, never the host's)."""
    wanted = [p for p in mount_point.split("/") if p]
    done: list[str] = []
    hops = 0
    while wanted:
        name = wanted.pop(0)
        candidate = device.joinpath(*done, name)
        if candidate.is_symlink():
            hops += 1
            if hops > 16:
                raise PartitionError(f"{mount_point}: too many symbolic links on the way")
            link = os.readlink(candidate)
            base = "/" + "/".join(done)
            target = posixpath.normpath(link if link.startswith("/") else posixpath.join(base, link))
            wanted = [p for p in target.split("/") if p and p != ".."] + wanted
            done = []
            continue
        if candidate.exists() and not candidate.is_dir():
            raise PartitionError(f"/{'/'.join(done + [name])} is a file in the image, not a directory")
        if not candidate.exists():
            candidate.mkdir()
        done.append(name)
    return device.joinpath(*done)


def _hide_existing(target: Path, aside: Path) -> int:
    """Move what the root has under a mount point aside (a mount hides it); return how many."""
    entries = list(target.iterdir())
    if entries:
        aside.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            os.rename(entry, aside / entry.name)
    target.rmdir()
    return len(entries)


def _count(tree: Path) -> int:
    total = 0
    for _directory, dirs, files in os.walk(tree):
        total += len(dirs) + len(files)
    return total


def _load_sidecar(tree: Path) -> dict[str, Any]:
    from iotbaseline.extract.modes import load_modes

    return load_modes(tree) or {}


def _unblob_modes(work_dir: Path, tree: Path) -> dict[str, Any]:
    """Modes our SquashFS extractor recorded while unblob ran, rebased onto ``tree``."""
    modes: dict[str, Any] = {}
    for sidecar in sorted((work_dir / ".modes").glob("*.json")):
        try:
            data = json.loads(sidecar.read_text())
            base = Path(data["dir"]).resolve()
            rel = base.relative_to(tree.resolve())
        except (OSError, ValueError, KeyError, TypeError):
            continue
        prefix = "/" + str(rel) if str(rel) != "." else ""
        for path, entry in data.get("entries", {}).items():
            modes[prefix + path if path != "/" else (prefix or "/")] = entry
    return modes


def _write_modes(tree: Path, label: str, entries: dict[str, Any]) -> None:
    sidecar = tree.parent / (tree.name + ".modes.json")
    payload = {"schema": MODES_SCHEMA, "root": label, "entries": dict(sorted(entries.items()))}
    sidecar.write_text(json.dumps(payload, indent=0, ensure_ascii=False))


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80] or "part"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def attribute_files(inventory: Any, extraction: ExtractionResult) -> None:
    """Give each file of the merged device tree the provenance of the partition it comes from,
    so findings cite the partition (``conf.bin … mounted at /mnt/mtd/ipc/conf``) and the path."""
    mounted = sorted(((p.mount_point.rstrip("/") or "/", p) for p in extraction.partitions
                      if p.mount_point and p.mount_point != "/" and p.root == "rootfs"),
                     key=lambda item: -len(item[0]))
    if not mounted:
        return
    for entry in inventory.files:
        if entry.root != "rootfs":
            continue
        for point, part in mounted:
            if entry.path == point or entry.path.startswith(point + "/"):
                inner = entry.path[len(point):] or "/"
                entry.provenance = [*part.provenance, f"mounted at {point} ({part.decided_by})",
                                    f"{part.input}:{inner}"]
                break

