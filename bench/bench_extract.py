"""Benchmark: extraction (and extraction + inventory) of the OpenWrt TL-MR3020 image
(3.9 MB, 869 entries, 137 ELF). Target from issue 3: extract + inventory ≤ 1.5 s wall median.

Prints medians of ≥5 runs (fresh work directory each time):
1. ``extract_image`` in-process;
2. ``extract_image`` + ``build_inventory`` of its roots in-process (the issue's figure);
3. the ``iotbaseline extract`` command (interpreter start-up included);
4. ``iotbaseline extract`` then ``iotbaseline inventory --json`` (two start-ups);
and peak memory (max RSS of this process; of the CLI children). Usage:

    .venv/bin/python bench/bench_extract.py [IMAGE] [--runs N]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("image", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    runs = max(5, args.runs)
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
