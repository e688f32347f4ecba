"""Benchmark: extraction (and extraction + inventory) of the OpenWrt TL-MR3020 image
(3.9 MB, 869 entries, 137 ELF). Target from issue 3: extract + inventory ≤ 1.5 s wall median.

Prints medians of ≥5 runs (fresh work directory each time):
1. ``extract_image`` in-process;
2. ``extract_image`` + ``build_inventory`` of its roots in-process (the issue's figure);
3. the ``iotbaseline extract`` command (interpreter start-up included);
4. ``iotbaseline extract`` then ``iotbaseline inventory --json`` (two start-ups);
and peak memory (max RSS of this process; of the CLI children).

``--breadth``: extraction speed (input MB/s, median of the runs) on the largest images of the
corpus, one per format family (vendor-LZMA SquashFS, RNTP/7-Zip, IMG0+MFS, W54G+TRX, …).
``--big``: a 64 MiB flash-dump-like image assembled from corpus pieces (the OpenWrt factory
image, then every corpus SquashFS and JFFS2 partition repeated, 64 KiB aligned, 0xFF erased
fill), timed for ``extract_image`` + ``build_inventory`` (issue 12 goal: <= 10 s on 2 cores).
Prints wall time, CPU time (user and system separately: on a shared machine creating
~15,000 files costs anywhere from 0.3 s to 8 s of system time) and the load average.
Usage:

    .venv/bin/python bench/bench_extract.py [IMAGE] [--runs N] [--breadth] [--big] [--tmp DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = (Path(os.environ.get("IOTBASELINE_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "firmware"))
           / "openwrt-aa-tl-mr3020-librarybox" / "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin")
CLI = [sys.executable, "-c", "from iotbaseline.cli import main; main()"]


def _line(label: str, values: list[float]) -> str:
    return (f"{label} median: {statistics.median(values):.3f} s "
            f"(min {min(values):.3f}, max {max(values):.3f})")


CORPUS = DEFAULT.parents[1]
BREADTH = ("trendnet-tew733gr-rootfs/firmware.squashfs", "netgear-wnr2000v5/WNR2000v5-V1.0.0.34.img",
           "linksys-srw2024-vxworks/test.ros", "linksys-wrt54g-v4/FW_WRT54Gv4_4.21.5.000_20120220.bin",
           "zyxel-p663h51-rootfs/squashfs_v2.bin", "escam-g02-goke/mtd.bin",
           "escam-g02-goke/conf.bin", "tplink-wr702n-vxworks/wr.fw")
# (file, offset of the piece, length or None for the rest) repeated into the 64 MiB image
PIECES = (("trendnet-tew733gr-rootfs/firmware.squashfs", 0, None),
          ("zyxel-p663h51-rootfs/squashfs_v2.bin", 0, None),
          ("escam-g02-goke/rootfs.bin", 0, None), ("escam-g02-goke/mtd.bin", 0, None),
          ("netgear-wnr2000v5/WNR2000v5-V1.0.0.34.img", 0xD0080, None),
          ("linksys-wrt54g-v4/FW_WRT54Gv4_4.21.5.000_20120220.bin", 0xAB0F4, None),
          ("escam-g02-goke/conf.bin", 0, None), ("holystone-hs720-drone/rootfs.bin", 0, None))
BIG = 64 << 20
ALIGN = 64 << 10


def build_big(target: Path) -> int:
    """Write the 64 MiB image; returns how many corpus pieces it holds."""
    out = bytearray(DEFAULT.read_bytes())
    count = 0
    while True:
        for rel, offset, length in PIECES:
            piece = (CORPUS / rel).read_bytes()[offset:]
            piece = piece[:length] if length else piece
            start = len(out) + (-len(out)) % ALIGN
            if start + len(piece) > BIG - ALIGN:
                target.write_bytes(bytes(out.ljust(BIG, b"\xff")))
                return count
            out += b"\xff" * (start - len(out)) + piece
            count += 1


def _breadth(runs: int) -> None:
    from iotbaseline.extract import extract_image

    with tempfile.TemporaryDirectory(prefix="bench-breadth-") as tmp:
        for rel in BREADTH:
            image = CORPUS / rel
            times = []
            for i in range(runs):
                work = Path(tmp) / f"r{i}"
                started = time.perf_counter()
                extract_image(image, work)
                times.append(time.perf_counter() - started)
                shutil.rmtree(work)
            mb = image.stat().st_size / 1e6
            median = statistics.median(times)
            print(f"{rel}: {mb:.1f} MB, median {median:.2f} s "
                  f"(min {min(times):.2f}, max {max(times):.2f}) = {mb / median:.2f} MB/s")


def _big(runs: int, tmp_root: str | None) -> None:
    from iotbaseline.extract import extract_image
    from iotbaseline.inventory.builder import build_inventory

    with tempfile.TemporaryDirectory(prefix="bench-big-", dir=tmp_root) as tmp:
        image = Path(tmp) / "flash-64m.bin"
        pieces = build_big(image)
        extract_only, both, cpu, user, system, loads = [], [], [], [], [], []
        for i in range(runs):
            work = Path(tmp) / f"r{i}"
            before = _times()
            loads.append(os.getloadavg()[0])
            started = time.perf_counter()
            result = extract_image(image, work)
            extract_only.append(time.perf_counter() - started)
            inventory = build_inventory(list(result.roots))
            both.append(time.perf_counter() - started)
            after = _times()
            user.append(after[0] - before[0])
            system.append(after[1] - before[1])
            cpu.append(user[-1] + system[-1])
            shutil.rmtree(work)
        print(f"64 MiB image: OpenWrt factory image + {pieces} corpus partitions; "
              f"{len(result.roots)} trees, {len(inventory.files)} inventory entries, "
              f"{len(result.errors)} problems, runs: {runs}, cores: {os.cpu_count()}, "
              f"work dir under {tmp_root or tempfile.gettempdir()}")
        print(_line("64 MiB extract_image", extract_only))
        print(_line("64 MiB extract_image + build_inventory (goal <= 10 s)", both))
        print(_line("64 MiB extract + inventory CPU time (this process + workers)", cpu))
        print(_line("  of which user", user))
        print(_line("  of which system (file creation)", system))
        print(f"load average at the start of each run: {', '.join(f'{x:.1f}' for x in loads)}")


def _times() -> tuple[float, float]:
    """User and system seconds of this process and its finished children (unblob workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + kids.ru_utime, own.ru_stime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("image", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--breadth", action="store_true", help="MB/s on the largest corpus images")
    parser.add_argument("--big", action="store_true", help="64 MiB image: extract + inventory")
    parser.add_argument("--tmp", help="directory for the work directories (default: $TMPDIR)")
    args = parser.parse_args()
    runs = max(5, args.runs)
    if args.breadth or args.big:
        runs = max(3, args.runs)
        if args.breadth:
            _breadth(runs)
        if args.big:
            _big(runs, args.tmp)
        return
    from iotbaseline.extract import extract_image
    from iotbaseline.inventory.builder import build_inventory

    extract_only, with_inventory, cli, cli_both = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        for i in range(runs):
            work = Path(tmp) / f"run{i}"
            started = time.perf_counter()
            result = extract_image(args.image, work)
            extract_only.append(time.perf_counter() - started)
            assert result.roots, "benchmark image did not extract"
            inventory = build_inventory(list(result.roots))
            with_inventory.append(time.perf_counter() - started)
            files, elfs = len(inventory.files), sum(1 for f in inventory.files if f.elf)
            shutil.rmtree(work)
        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for i in range(runs):
            work = Path(tmp) / f"cli{i}"
            started = time.perf_counter()
            subprocess.run([*CLI, "extract", str(args.image), "-o", str(work)], check=True,
                           stdout=subprocess.DEVNULL)
            cli.append(time.perf_counter() - started)
            subprocess.run([*CLI, "inventory", str(work), "--json"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cli_both.append(time.perf_counter() - started)
            shutil.rmtree(work)
        peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"image: {args.image.name} ({args.image.stat().st_size} bytes), runs: {runs}, "
          f"cores: {os.cpu_count()}; inventory: {files} entries, {elfs} ELF")
    print(_line("extract_image (in-process)", extract_only))
    print(_line("extract_image + build_inventory (in-process)", with_inventory))
    print(_line("iotbaseline extract (CLI, incl. start-up)", cli))
    print(_line("iotbaseline extract + iotbaseline inventory --json (CLI, 2 start-ups)", cli_both))
    print(f"peak memory: {peak_self:.0f} MiB (benchmark process), {peak_child:.0f} MiB (CLI)")


if __name__ == "__main__":
    main()
