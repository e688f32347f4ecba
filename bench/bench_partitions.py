"""Benchmark: one device from several partition dumps (extract each + mount + merge, then the
inventory of the merged tree) on the ESCAM G02 camera's five raw partitions.

    IOTBASELINE_CORPUS=../shared/firmware .venv/bin/python bench/bench_partitions.py [runs]

Prints the median and the spread over the runs (default 5).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from iotbaseline.analysis.partitions import extract_device
from iotbaseline.inventory.builder import build_inventory

PARTS = ("rootfs.bin", "mtd.bin", "conf.bin", "kernel.bin", "bootenv.bin")


def main() -> None:
    corpus = os.environ.get("IOTBASELINE_CORPUS")
    if not corpus:
        sys.exit("set IOTBASELINE_CORPUS to the shared firmware folder")
    folder = Path(corpus) / "escam-g02-goke"
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    size = sum((folder / p).stat().st_size for p in PARTS)
    extract_s: list[float] = []
    total_s: list[float] = []
    for _ in range(runs):
        work = Path(tempfile.mkdtemp(prefix="iotb-bench-parts-"))
        try:
            started = time.perf_counter()
            result = extract_device([folder / p for p in PARTS], work / "x")
            extracted = time.perf_counter()
            inventory = build_inventory(list(result.roots))
            done = time.perf_counter()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        extract_s.append(extracted - started)
        total_s.append(done - started)
    print(f"escam-g02-goke, {len(PARTS)} partitions, {size / 1e6:.1f} MB, {len(inventory.files)} entries, {runs} runs")
    print(f"extract_device: median {statistics.median(extract_s):.2f} s (min {min(extract_s):.2f}, max {max(extract_s):.2f}); "
          f"{size / 1e6 / statistics.median(extract_s):.2f} MB/s")
    print(f"extract_device + build_inventory: median {statistics.median(total_s):.2f} s "
          f"(min {min(total_s):.2f}, max {max(total_s):.2f})")


if __name__ == "__main__":
    main()
