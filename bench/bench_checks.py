"""Benchmark: every registered check on the OpenWrt image's root filesystem (target ≤ 1 s wall
median on 2 cores), password cracking switched off (see bench_cracking.py for cracking).

The root filesystem is carved from the image and unpacked once with unsquashfs, and the
inventory is built once (that is the inventory stage's cost, measured in bench_inventory.py);
each run gets a fresh file index and check context, so file reads and shared facts (boot model,
text scan) are paid in every run. Prints the median of several runs, the slowest checks, and
the peak memory. Usage:
    .venv/bin/python bench/bench_checks.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("IOTBASELINE_CORPUS", ROOT.parent / "shared" / "firmware"))
IMAGE = CORPUS / "openwrt-aa-tl-mr3020-librarybox" / "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "7")))
    args = parser.parse_args()

    from iotbaseline.analysis.boot import reset_caches
    from iotbaseline.checks.context import CheckContext, CheckOptions
    from iotbaseline.checks.registry import all_checks, checks_of
    from iotbaseline.checks.runner import run_one
    from iotbaseline.inventory.index import FileIndex

    if not IMAGE.is_file():
        sys.exit(f"bench_checks: {IMAGE} not found (set IOTBASELINE_CORPUS)")
    group_b = {c.spec.id for c in checks_of("services", "updates", "hardening")}
    with tempfile.TemporaryDirectory() as tmp:
        data = IMAGE.read_bytes()
        sqfs = Path(tmp) / "rootfs.sqfs"
        sqfs.write_bytes(data[data.index(b"hsqs"):])
        subprocess.run(["unsquashfs", "-no-progress", "-n", "-d", f"{tmp}/root", str(sqfs)],
                       check=True, capture_output=True)
        index = FileIndex.from_directory(f"{tmp}/root")
        checks = all_checks()
        walls: list[float] = []
        walls_b: list[float] = []
        per_check: dict[str, list[float]] = {}
        for _ in range(args.runs):
            reset_caches()
            ctx = CheckContext(FileIndex(index.inventory), CheckOptions(crack_seconds=0))
            start = time.perf_counter()
            spent_b = 0.0
            for check in checks:
                t = time.perf_counter()
                run_one(check, ctx)
                spent = time.perf_counter() - t
                per_check.setdefault(check.spec.id, []).append(spent)
                if check.spec.id in group_b:
                    spent_b += spent
            walls.append(time.perf_counter() - start)
            walls_b.append(spent_b)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"all {len(checks)} checks on the OpenWrt root filesystem (cracking off): median "
          f"{statistics.median(walls):.3f} s over {args.runs} runs (min {min(walls):.3f}, "
          f"max {max(walls):.3f}); target ≤ 1 s")
    print(f"  of which the {len(group_b)} group B checks: median {statistics.median(walls_b):.3f} s")
    slowest = sorted(per_check.items(), key=lambda kv: -statistics.median(kv[1]))[:8]
    for check_id, values in slowest:
        print(f"  {check_id:<18} median {statistics.median(values):.3f} s")
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
