"""Benchmark of the inventory stage: wall time, ELF files per second, peak memory.

    IOTBASELINE_CORPUS=../shared/firmware .venv/bin/python bench/bench_inventory.py [--runs 5]

Prints medians of --runs runs (after one warm-up run, page cache warm), each configuration in
a fresh interpreter as the CLI would run it:
1. the OpenWrt TL-MR3020 root (869 entries, 137 ELF), default jobs and jobs=1;
2. ELF files/s on a synthetic tree of the two shared images' ELFs repeated, and on this
   machine's /usr/lib/x86_64-linux-gnu (larger glibc-era ELFs);
3. the raw per-file ELF parse rate on one core;
4. peak RSS (the process and its workers) for a "64 MB image" equivalent tree (~200 MB
   unpacked, the usual 3× SquashFS ratio, including one 48 MB file), in a fresh subprocess.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from iotbaseline.inventory.builder import build_inventory
from iotbaseline.inventory.elf_facts import elf_info_fields
from iotbaseline.inventory.elf_parser import parse_elf
from iotbaseline.model import RootFilesystem

CORPUS = Path(os.environ.get("IOTBASELINE_CORPUS", Path(__file__).resolve().parents[1] / ".." / "shared" / "firmware"))
OPENWRT = CORPUS / "openwrt-aa-tl-mr3020-librarybox" / "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin"
DVAR = CORPUS / "emux-dvar-arm" / "rootfs-arm.tar.bz2"
HOST_LIB = Path("/usr/lib/x86_64-linux-gnu")


def unpack_openwrt(dest: Path) -> Path:
    data = OPENWRT.read_bytes()
    (dest / "fs.sqfs").write_bytes(data[data.find(b"hsqs"):])
    subprocess.run(["unsquashfs", "-no-xattrs", "-d", str(dest / "openwrt"), str(dest / "fs.sqfs")],
                   check=True, capture_output=True)
    return dest / "openwrt"


def unpack_dvar(dest: Path) -> Path:
    def safe(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
        if member.issym() and member.linkname.startswith("/"):
            return None
        return tarfile.data_filter(member, path)

    with tarfile.open(DVAR) as tar:
        tar.extractall(dest / "dvar", filter=safe)
    return dest / "dvar" / "rootfs-arm"


def elf_paths(root: Path) -> list[Path]:
    out = []
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            with p.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    out.append(p)
    return out


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


CPU_MEDIANS: list[float] = []  # CPU seconds (process + finished workers) of the last timed()


def timed(fn, runs: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Median wall seconds of ``runs`` runs after a warm-up; CPU median kept in CPU_MEDIANS.
    CPU time is printed too because other jobs on a shared machine inflate wall time."""
    fn()  # warm-up (page cache, imports)
    times, cpus, result = [], [], None
    for _ in range(runs):
        c, t = _cpu(), time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
        cpus.append(_cpu() - c)
    CPU_MEDIANS[:] = [statistics.median(cpus)]
    return statistics.median(times), result


def cpu_note(n_elf: int) -> str:
    cpu = CPU_MEDIANS[0]
    return f"[cpu {cpu * 1000:.0f} ms = {n_elf / cpu:.0f} ELF per cpu-second]" if cpu else ""


def inventory_of(path: Path, jobs: int | None = None):  # type: ignore[no-untyped-def]
    return lambda: build_inventory([RootFilesystem(label="rootfs", path=str(path))], jobs=jobs)


def time_child(root: Path, jobs: int, runs: int) -> None:
    """In a fresh interpreter (as the CLI runs): median wall/CPU of inventories of ROOT."""
    wall, inv = timed(inventory_of(root, jobs or None), runs)
    n_elf = sum(1 for f in inv.files if f.elf is not None)  # type: ignore[union-attr]
    print(f"{wall} {CPU_MEDIANS[0]} {len(inv.files)} {n_elf}")  # type: ignore[union-attr]


def inventory_in_child(root: Path, jobs: int | None, runs: int) -> tuple[float, float, int, int]:
    out = subprocess.run([sys.executable, __file__, "--time-child", str(root), "--jobs", str(jobs or 0),
                          "--runs", str(runs)], check=True, capture_output=True, text=True).stdout.split()
    CPU_MEDIANS[:] = [float(out[1])]
    return float(out[0]), float(out[1]), int(out[2]), int(out[3])


def synthetic_elf_tree(dest: Path, sources: list[Path], copies: int) -> int:
    n = 0
    for c in range(copies):
        d = dest / f"copy{c}"
        d.mkdir(parents=True)
        for i, src in enumerate(sources):
            shutil.copyfile(src, d / f"{i}_{src.name}")
            n += 1
    return n


def peak_memory_child(root: Path) -> None:
    """Run in a fresh interpreter: inventory ROOT, print peak RSS (self + workers) in MiB."""
    inv = build_inventory([RootFilesystem(label="rootfs", path=str(root))])
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"{len(inv.files)} {sum(f.size for f in inv.files)} {self_kb / 1024:.1f} {child_kb / 1024:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peak-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--time-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:
        peak_memory_child(args.peak_child)
        return
    if args.time_child:
        time_child(args.time_child, args.jobs, args.runs)
        return
    runs = max(5, args.runs)
    print(f"cores: {os.cpu_count()}  runs: {runs} (medians)  load average: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench-inventory-") as tmp_name:
        tmp = Path(tmp_name)
        openwrt, dvar = unpack_openwrt(tmp), unpack_dvar(tmp)

        # 1. the OpenWrt root
        for jobs in (None, 1):
            wall, _, n_files, n_elf = inventory_in_child(openwrt, jobs, runs)
            print(f"OpenWrt root, jobs={jobs or os.cpu_count()}: {n_files} entries, "
                  f"{n_elf} ELF: {wall * 1000:.0f} ms median ({n_elf / wall:.0f} ELF/s incl. all files) {cpu_note(n_elf)}")

        # 2. ELF files/s on synthetic trees
        image_elves = elf_paths(openwrt) + elf_paths(dvar)
        synth = tmp / "synthetic"
        count = synthetic_elf_tree(synth, image_elves, 30)
        for jobs in (None, 1):
            wall, *_ = inventory_in_child(synth, jobs, runs)
            print(f"image ELFs x30 ({count} files, {sum(p.stat().st_size for p in image_elves) * 30 / 1e6:.0f} MB), "
                  f"jobs={jobs or os.cpu_count()}: {wall * 1000:.0f} ms median = {count / wall:.0f} ELF files/s {cpu_note(count)}")
        if HOST_LIB.is_dir():
            wall, _, n_files, n_elf = inventory_in_child(HOST_LIB, None, runs)
            print(f"{HOST_LIB} ({n_files} entries, {n_elf} ELF): "
                  f"{wall * 1000:.0f} ms median = {n_elf / wall:.0f} ELF files/s {cpu_note(n_elf)}")

        # 3. raw parse rate, one core, bytes already in memory
        blobs = [p.read_bytes() for p in image_elves]
        def parse_all() -> None:
            for b in blobs:
                elf_info_fields(parse_elf(b))
        wall, _ = timed(parse_all, runs)
        print(f"parse only, 1 core, {len(blobs)} image ELFs in memory: {len(blobs) / wall:.0f} ELF/s "
              f"{cpu_note(len(blobs))}")

        # 4. peak memory on a 64 MB-image equivalent tree
        big = tmp / "big"
        total, i = 0, 0
        while total < 150 * 1024 * 1024:
            shutil.copytree(openwrt, big / f"part{i}", symlinks=True)
            total += sum(p.stat().st_size for p in (big / f"part{i}").rglob("*")
                         if p.is_file() and not p.is_symlink())
            i += 1
        with (big / "firmware-blob.bin").open("wb") as fh:
            fh.write(os.urandom(48 * 1024 * 1024))
        peaks = []
        for _ in range(3):
            out = subprocess.run([sys.executable, __file__, "--peak-child", str(big)],
                                 check=True, capture_output=True, text=True).stdout.split()
            peaks.append((int(out[0]), int(out[1]), float(out[2]), float(out[3])))
        files, size, _, _ = peaks[-1]
        print(f"64 MB-image equivalent ({files} entries, {size / 2**20:.0f} MiB): peak RSS "
              f"main {statistics.median(p[2] for p in peaks):.0f} MiB, largest worker "
              f"{statistics.median(p[3] for p in peaks):.0f} MiB (target <= 1024 MiB)")


if __name__ == "__main__":
    main()
