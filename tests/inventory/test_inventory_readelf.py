"""ELF facts of the inventory agree with GNU readelf on every ELF of the shared firmware images.

The images are unpacked here (unsquashfs on the SquashFS carved at its "hsqs" magic; tarfile
with the "data" filter) so this test does not depend on the extraction stage. Expected values
come from parsing `readelf -h -l -d -S -W` and `readelf -s -D -W` output, never from our parser.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from iotbaseline.inventory.builder import build_inventory
from iotbaseline.model import FileEntry, Inventory, RootFilesystem

READELF = shutil.which("readelf")
UNSQUASHFS = shutil.which("unsquashfs")

MACHINES = {"MIPS R3000": "MIPS", "ARM": "ARM", "Advanced Micro Devices X86-64": "x86-64",
            "Intel 80386": "x86", "AArch64": "AArch64", "PowerPC": "PowerPC"}
TYPES = {"EXEC": "exec", "DYN": "dyn", "REL": "rel", "CORE": "core"}


@pytest.fixture(scope="module")
def openwrt_root(openwrt_image: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert UNSQUASHFS, "unsquashfs (squashfs-tools) is required"
    data = openwrt_image.read_bytes()
    offset = data.find(b"hsqs")
    assert offset > 0, "no SquashFS magic in the OpenWrt image"
    work = tmp_path_factory.mktemp("openwrt")
    (work / "fs.sqfs").write_bytes(data[offset:])
    dest = work / "root"
    subprocess.run([UNSQUASHFS, "-no-xattrs", "-d", str(dest), str(work / "fs.sqfs")],
                   check=True, capture_output=True)
    return dest


@pytest.fixture(scope="module")
def dvar_root(dvar_tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("dvar")
    def keep_safe(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
        # the "data" filter refuses absolute symlinks (/etc/resolv.conf → /tmp/…): skip those
        if member.issym() and member.linkname.startswith("/"):
            return None
        return tarfile.data_filter(member, path)

    with tarfile.open(dvar_tarball) as tar:
        tar.extractall(dest, filter=keep_safe)
    return dest / "rootfs-arm"


def _elf_files(root: Path) -> list[Path]:
    found = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            with p.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    found.append(p)
    return found


def _readelf(*args: str) -> str:
    assert READELF, "readelf (binutils) is required"
    return subprocess.run([READELF, *args], capture_output=True, text=True, check=False).stdout


def _symbols(text: str) -> tuple[set[str], set[str]]:
    """(undefined global names, exported names) from a readelf -s listing."""
    imports, exports = set(), set()
    for line in text.splitlines():
        # MIPS adds "[MIPS PLT]"-style notes to the visibility column; drop them
        cols = re.sub(r"\[[^\]]*\]", "", line).split()
        if len(cols) < 8 or not cols[0].rstrip(":").isdigit():
            continue
        value, typ, bind, vis, ndx, name = cols[1], cols[3], cols[4], cols[5], cols[6], cols[7]
        name = name.split("@")[0]
        if not name or bind == "LOCAL":
            continue
        if ndx == "UND":
            imports.add(name)
        elif typ not in ("SECTION", "FILE") and vis in ("DEFAULT", "PROTECTED"):
            if ndx == "ABS" and int(value, 16) == 0:
                continue
            exports.add(name)
    return imports, exports


def readelf_facts(path: Path) -> dict[str, object]:
    text = _readelf("-h", "-l", "-d", "-S", "-W", str(path))
    header = dict(re.findall(r"^\s+([A-Za-z ]+):\s+(.*)$", text.split("Program Headers")[0], re.MULTILINE))
    elf_type = TYPES[header["Type"].split()[0]]
    machine = MACHINES.get(header["Machine"], header["Machine"])
    interp = re.search(r"\[Requesting program interpreter: (.*)\]", text)
    stack = re.search(r"^\s+GNU_STACK\s+(?:\S+\s+){5}(.{3})", text, re.MULTILINE)
    has_relro = re.search(r"^\s+GNU_RELRO\s", text, re.MULTILINE) is not None
    bind_now = bool(re.search(r"\(BIND_NOW\)|\(FLAGS\)\s.*\bBIND_NOW\b|\(FLAGS_1\)\s+Flags:.*\bNOW\b",
                              text))
    if elf_type in ("exec", "dyn"):
        nx: bool | None = ("E" not in stack.group(1)) if stack else (machine == "AArch64")
        relro = "none" if not has_relro else ("full" if bind_now else "partial")
    else:
        nx, relro = None, "none"
    sections = re.findall(r"^\s+\[\s*\d+\]\s+(\S+)", text, re.MULTILINE)
    dyn_syms = _readelf("-s", "-D", "-W", str(path)) if "(NEEDED)" in text or "Dynamic section" in text else ""
    imports, exports = _symbols(dyn_syms)
    if elf_type == "rel":
        imports, _ = _symbols(_readelf("-s", "-W", str(path)))
        exports = set()
    return {
        "machine": machine,
        "bits": 64 if header["Class"] == "ELF64" else 32,
        "endianness": "big" if "big endian" in header["Data"] else "little",
        "elf_type": elf_type,
        "interpreter": interp.group(1) if interp else None,
        "nx": nx,
        "relro": relro,
        "bind_now": bind_now if elf_type in ("exec", "dyn") else False,
        "needed": re.findall(r"\(NEEDED\)\s+Shared library: \[(.*)\]", text),
        "soname": (m.group(1) if (m := re.search(r"\(SONAME\)\s+Library soname: \[(.*)\]", text)) else None),
        "rpath": [p for m in re.findall(r"\(RPATH\)\s+Library rpath: \[(.*)\]", text) for p in m.split(":") if p],
        "runpath": [p for m in re.findall(r"\(RUNPATH\)\s+Library runpath: \[(.*)\]", text) for p in m.split(":") if p],
        "stripped": ".symtab" not in sections,
        "debug_info": any(s.startswith((".debug", ".zdebug")) for s in sections),
        "imports": sorted(imports),
        "exports": sorted(exports),
        "is_kernel_module": elf_type == "rel" and ".modinfo" in sections,
    }


def _compare(root: Path, inventory: Inventory) -> tuple[int, list[str]]:
    by_path: dict[str, FileEntry] = {f.path: f for f in inventory.files}
    mismatches: list[str] = []
    elves = _elf_files(root)
    for disk in elves:
        rel = "/" + str(disk.relative_to(root))
        entry = by_path.get(rel)
        if entry is None or entry.elf is None:
            mismatches.append(f"{rel}: no ELF facts in the inventory")
            continue
        assert entry.elf.error is None, f"{rel}: {entry.elf.error}"
        expected = readelf_facts(disk)
        for key, want in expected.items():
            got = getattr(entry.elf, key)
            if key in ("needed", "rpath", "runpath"):
                got = list(got)
            if got != want:
                mismatches.append(f"{rel}: {key} ours={got!r} readelf={want!r}")
    return len(elves), mismatches


@pytest.mark.corpus
def test_openwrt_elf_facts_agree_with_readelf(openwrt_root: Path) -> None:
    inventory = build_inventory([RootFilesystem(label="rootfs", path=str(openwrt_root))], jobs=2)
    count, mismatches = _compare(openwrt_root, inventory)
    assert count == 137
    assert sum(1 for f in inventory.files if f.elf is not None) == 137
    assert not mismatches, "\n".join(mismatches[:30])


@pytest.mark.corpus
def test_dvar_elf_facts_agree_with_readelf(dvar_root: Path) -> None:
    inventory = build_inventory([RootFilesystem(label="rootfs", path=str(dvar_root))], jobs=1)
    count, mismatches = _compare(dvar_root, inventory)
    assert count == 47
    assert not mismatches, "\n".join(mismatches[:30])


@pytest.mark.corpus
def test_dvar_miniweb_pair_differs_only_in_nx(dvar_root: Path) -> None:
    inventory = build_inventory([RootFilesystem(label="rootfs", path=str(dvar_root))])
    files = {f.path: f for f in inventory.files}
    plain, hardened = files["/usr/bin/miniweb"].elf, files["/usr/bin/miniweb-nx"].elf
    assert plain is not None and hardened is not None
    assert plain.nx is False and hardened.nx is True
    for elf in (plain, hardened):  # GROUND_TRUTH.md: ET_EXEC, no RELRO, no canary, debug info
        assert (elf.elf_type, elf.pie, elf.relro, elf.canary) == ("exec", False, "none", False)
        assert not elf.stripped and elf.debug_info


@pytest.mark.corpus
def test_openwrt_kernel_modules_are_not_executables(openwrt_root: Path) -> None:
    inventory = build_inventory([RootFilesystem(label="rootfs", path=str(openwrt_root))])
    modules = [f for f in inventory.files if f.kind == "kernel_module"]
    on_disk = sorted(p for p in openwrt_root.rglob("*.ko") if not p.is_symlink())
    assert len(modules) == len(on_disk) > 0
    for f in modules:
        assert f.elf is not None and f.elf.is_kernel_module and f.elf.pie is None
        # the image's kernel is "Linux version 3.3.8" (GROUND_TRUTH.md)
        assert f.elf.vermagic is not None and f.elf.vermagic.startswith("3.3.8 ")
    # uClibc: the loader is a PIE-like executable, libuClibc a shared library, busybox ET_EXEC
    files = {f.path: f for f in inventory.files}
    loader = files["/lib/ld-uClibc-0.9.33.2.so"].elf
    libc = files["/lib/libuClibc-0.9.33.2.so"].elf
    busybox = files["/bin/busybox"].elf
    assert loader is not None and libc is not None and busybox is not None
    assert (loader.pie, loader.is_shared_library) == (True, False)
    assert (libc.pie, libc.is_shared_library) == (None, True)
    assert (busybox.pie, busybox.is_shared_library) == (False, False)
