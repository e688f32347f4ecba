"""What the harnesses share: the harness declaration, a throw-away root tree indexed the way
a scan indexes one, and seed material read from the shared firmware corpus at run time.

A harness says which exceptions its parser documents for bad input (``expected``); any
other exception escaping the target is a crash. Seeds are never stored in the repository:
``seeds`` builds them from ``$IOTBASELINE_CORPUS`` into the fuzz work directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Target = Callable[[bytes], None]


@dataclass(frozen=True)
class Harness:
    name: str
    doc: str  # which parser of untrusted bytes, as called in production
    target: Callable[[], Target]  # imports lazily, so the runner can instrument the imports
    expected: tuple[type[BaseException], ...] = ()
    seeds: Callable[[Path, Path], Iterable[bytes]] = lambda corpus, work: ()
    max_len: int = 64 * 1024
    extra_args: tuple[str, ...] = field(default_factory=tuple)

    def guarded(self) -> Target:
        """The target with the documented rejections of bad input swallowed."""
        run, expected = self.target(), self.expected

        def one_input(data: bytes) -> None:
            try:
                run(data)
            except expected:
                pass

        return one_input


# ---- a small root filesystem, indexed and checked as a scan would ---------------------------
class ScratchRoot:
    """One temporary root directory reused across inputs (files rewritten per input)."""

    def __init__(self) -> None:
        self.top = Path(tempfile.mkdtemp(prefix="iotb-fuzz-"))
        self.root = self.top / "rootfs"

    def fill(self, files: dict[str, bytes]) -> Path:
        if self.root.exists():
            shutil.rmtree(self.root)
        for sub in ("etc", "bin", "sbin", "lib"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for path, content in files.items():
            target = self.root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return self.root


def index_of(root: Path) -> Any:
    from iotbaseline.inventory.index import FileIndex

    return FileIndex.from_directory(root, jobs=1)


def run_checks(index: Any, check_ids: Iterable[str]) -> None:
    """Run checks by id; a check that crashes (ERROR outcome) is re-raised as a crash."""
    from iotbaseline.checks.context import CheckContext, CheckOptions
    from iotbaseline.checks.registry import all_checks
    from iotbaseline.checks.runner import run_one

    wanted = set(check_ids)
    ctx = CheckContext(index, CheckOptions(crack_seconds=0.0))
    for check in all_checks():
        if check.spec.id in wanted:
            outcome, _findings, _facts = run_one(check, ctx)
            if outcome.error:
                raise CheckCrashed(f"{check.spec.id}: {outcome.error}")


class CheckCrashed(AssertionError):
    """A check raised on fuzzed input (the runner turned it into an ERROR outcome)."""


def split_input(data: bytes, parts: int) -> list[bytes]:
    """Cut one fuzz input into ``parts`` files at NUL-NUL separators (mutations move them)."""
    pieces = data.split(b"\0\0", parts - 1)
    return pieces + [b""] * (parts - len(pieces))


# ---- seed material from the shared firmware -------------------------------------------------
def corpus_root() -> Path | None:
    value = os.environ.get("IOTBASELINE_CORPUS")
    return Path(value) if value and Path(value).is_dir() else None


ROOT_IMAGES = (  # small images whose root filesystems give realistic text and ELF seeds
    "trendnet-tew733gr-rootfs/firmware.squashfs",
    "openwrt-aa-tl-mr3020-librarybox/openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin",
    "emux-dvar-arm/rootfs-arm.tar.bz2",
)


def extracted_roots(corpus: Path, work: Path) -> list[Path]:
    """Root filesystems of a few corpus images, extracted once into ``work/roots``."""
    from iotbaseline.extract import extract_image

    roots: list[Path] = []
    for rel in ROOT_IMAGES:
        image = corpus / rel
        if not image.is_file():
            continue
        out = work / "roots" / image.parent.name
        done = out / "roots.txt"
        if not done.is_file():
            shutil.rmtree(out, ignore_errors=True)
            result = extract_image(image, out)
            done.write_text("\n".join(r.path for r in result.roots))
        roots += [Path(line) for line in done.read_text().splitlines() if line]
    return roots


def files_in(roots: Iterable[Path], match: Callable[[str], bool], limit: int,
             max_size: int = 64 * 1024) -> Iterator[bytes]:
    """Contents of regular files whose in-image path satisfies ``match`` (first ``limit``)."""
    count = 0
    for root in roots:
        for base, _dirs, names in os.walk(root):
            for name in sorted(names):
                path = Path(base, name)
                rel = "/" + str(path.relative_to(root))
                if path.is_symlink() or not path.is_file() or not match(rel):
                    continue
                size = path.stat().st_size
                if 0 < size <= max_size:
                    yield path.read_bytes()
                    count += 1
                    if count >= limit:
                        return


def heads_of(paths: Iterable[Path], size: int) -> Iterator[bytes]:
    for path in paths:
        if path.is_file():
            with path.open("rb") as handle:
                yield handle.read(size)
