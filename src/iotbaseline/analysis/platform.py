"""What the device runs: Linux, an RTOS (VxWorks, eCos, ThreadX, FreeRTOS, Nucleus, Zephyr,
µC/OS, RTEMS) or bare metal (AVR / ARM Cortex-M flat images), with the evidence.

Checks that need a Linux user space (accounts, init scripts, ELF programs) read this and say
NOT_APPLICABLE with the reason instead of "nothing found". Banners are searched in the inputs
and in the blobs the extractor decompressed (an RTOS kernel is usually one compressed blob).
"""

from __future__ import annotations

import mmap
import re
from dataclasses import dataclass
from pathlib import Path

from iotbaseline.model import ExtractionResult, Inventory, PlatformInfo

MAX_BLOB_BYTES = 64 * 1024 * 1024
MAX_BLOBS = 32
MIN_BLOB_BYTES = 16 * 1024


@dataclass(frozen=True)
class _Banner:
    kind: str
    name: str
    pattern: re.Pattern[bytes]  # group 1, when present, is the version


BANNERS = (
    _Banner("vxworks", "VxWorks", re.compile(rb'VxWorks operating system version "([0-9][0-9.]*)"')),
    _Banner("vxworks", "VxWorks", re.compile(rb"VxWorks ?([0-9]\.[0-9][0-9.]*)")),
    _Banner("vxworks", "VxWorks", re.compile(rb"WIND version ([0-9][0-9.]*)")),
    _Banner("ecos", "eCos", re.compile(rb"eCos (?:release |kernel )?v?([0-9][0-9.]*)")),
    _Banner("ecos", "eCos", re.compile(rb"cyg_thread_create|Cyg_Scheduler")),
    _Banner("threadx", "ThreadX", re.compile(rb"ThreadX [A-Za-z0-9/ -]*Version [A-Z]?([0-9][0-9.]*)")),
    _Banner("freertos", "FreeRTOS", re.compile(rb"FreeRTOS (?:Kernel )?V([0-9][0-9.]*)")),
    _Banner("nucleus", "Nucleus", re.compile(rb"Nucleus PLUS[^\0]{0,40}?([0-9]\.[0-9][0-9.]*)?")),
    _Banner("zephyr", "Zephyr", re.compile(rb"Zephyr OS (?:build )?(?:zephyr-)?v([0-9][0-9.]*)")),
    _Banner("ucos", "uC/OS", re.compile(rb"uC/OS-(?:II|III)")),
    _Banner("rtems", "RTEMS", re.compile(rb"RTEMS[ -]([0-9][0-9.]*)")),
)


def detect_platform(extraction: ExtractionResult, inventory: Inventory | None,
                    inputs: list[Path]) -> PlatformInfo | None:
    """Linux when the tree has a Linux user space; else the first RTOS banner found; else
    bare metal for a HEX/S-record input; None when nothing tells."""
    linux = _linux_evidence(inventory)
    if linux:
        return PlatformInfo(kind="linux", name="Linux", linux_userspace=True, evidence=linux)
    blobs = list(inputs) + decompressed_blobs(extraction)
    for blob in blobs:
        found = _banner(blob)
        if found is not None:
            banner, version, offset, text = found
            name = f"{banner.name} {version}" if version else banner.name
            where = _show(blob, extraction)
            return PlatformInfo(kind=banner.kind, name=name, version=version,  # type: ignore[arg-type]
                                evidence=[f"{where} @{offset:#x}: {text}"])
    if extraction.input_kind in ("ihex", "srec") and extraction.flat_images:
        arch = _mcu_arch(Path(extraction.flat_images[0]))
        fmt = "Intel HEX" if extraction.input_kind == "ihex" else "S-record"
        return PlatformInfo(kind="bare-metal", name=f"bare-metal {arch} ({fmt})",
                            evidence=[f"{Path(extraction.flat_images[0]).name}: {fmt} input, "
                                      f"vector table read as {arch}"])
    return None


def not_linux_reason(platform: PlatformInfo) -> str:
    """The NOT_APPLICABLE reason of a Linux-only check: "VxWorks 5.5.1 image: no Linux user space"."""
    return f"{platform.name} image: no Linux user space"


def decompressed_blobs(extraction: ExtractionResult) -> list[Path]:
    """Files the extractor decompressed outside every root (kernels, RTOS images), biggest
    first, bounded in number."""
    work = Path(extraction.work_dir)
    roots = [Path(r.path) for r in extraction.roots]
    found: list[tuple[int, Path]] = []
    for top in (work / "unblob", *sorted(work.glob("parts/*/unblob"))):
        if not top.is_dir():
            continue
        for path in top.rglob("*"):
            if not path.name.endswith((".uncompressed", ".bin")) or path.is_symlink() \
                    or not path.is_file() or any(r in path.parents for r in roots):
                continue
            size = path.stat().st_size
            if MIN_BLOB_BYTES <= size <= MAX_BLOB_BYTES:
                found.append((size, path))
    found.sort(key=lambda item: -item[0])
    return [path for _, path in found[:MAX_BLOBS]]


def rtos_images(extraction: ExtractionResult) -> list[str]:
    """For an RTOS or unknown non-Linux image: the decompressed blobs, as flat binaries the
    string checks search (an RTOS kernel and its application are one such blob)."""
    platform = extraction.platform
    if platform is None or platform.linux_userspace or platform.kind == "bare-metal":
        return []
    known = set(extraction.flat_images)
    return [str(p) for p in decompressed_blobs(extraction) if str(p) not in known]


def _linux_evidence(inventory: Inventory | None) -> list[str]:
    if inventory is None:
        return []
    for entry in inventory.files:
        if entry.path in ("/etc/inittab", "/etc/passwd", "/sbin/init", "/init", "/linuxrc"):
            return [f"{entry.root}:{entry.path} (Linux user space)"]
    for entry in inventory.files:
        elf = entry.elf
        if elf is not None and elf.interpreter and ("ld-" in elf.interpreter or "ld.so" in elf.interpreter):
            return [f"{entry.root}:{entry.path}: ELF program for the Linux loader {elf.interpreter}"]
    return []


def _banner(path: Path) -> tuple[_Banner, str | None, int, str] | None:
    try:
        with path.open("rb") as handle:
            size = min(path.stat().st_size, MAX_BLOB_BYTES)
            if size == 0:
                return None
            with mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_READ) as data:
                for banner in BANNERS:
                    match = banner.pattern.search(data)  # type: ignore[call-overload]
                    if match:
                        version = match.group(1).decode().rstrip(".") if match.lastindex and match.group(1) else None
                        text = match.group(0).decode("latin-1")
                        return banner, version, match.start(), text
    except (OSError, ValueError):
        return None
    return None


def _mcu_arch(flat: Path) -> str:
    """AVR when the reset vectors are ``jmp``/``rjmp`` instructions; ARM Cortex-M when word 0 is
    a RAM stack pointer and word 1 an odd (Thumb) reset address."""
    try:
        head = flat.read_bytes()[:64]
    except OSError:
        return "MCU"
    if len(head) >= 8:
        words = [int.from_bytes(head[i:i + 2], "little") for i in range(0, 16, 2)]
        if words[0] == 0x940C and words[2] == 0x940C:
            return "AVR"
        if all((w & 0xF000) == 0xC000 for w in words[:4]):
            return "AVR"
        sp = int.from_bytes(head[0:4], "little")
        reset = int.from_bytes(head[4:8], "little")
        if 0x2000_0000 <= sp < 0x2010_0000 and reset & 1 and reset < 0x2000_0000:
            return "ARM Cortex-M"
    return "MCU"


def _show(blob: Path, extraction: ExtractionResult) -> str:
    try:
        return str(blob.relative_to(extraction.work_dir))
    except ValueError:
        return blob.name
