"""Benchmark: `scan` end to end on the OpenWrt image (target ≤ 3 s wall median on 2 cores).

Prints the median of several runs, per-stage medians and peak memory (RSS of this process and
its children). Uses a vulnerability DB with the shared NVD subsets when ../shared/nvd exists."""

from __future__ import annotations

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
NVD = Path(os.environ.get("IOTBASELINE_NVD", ROOT.parent / "shared" / "nvd"))
IMAGE = CORPUS / "openwrt-aa-tl-mr3020-librarybox" / "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def main() -> None:
    from iotbaseline.pipeline import ScanOptions, run_scan
    from iotbaseline.vulns.db import VulnDatabase

    if not IMAGE.is_file():
        sys.exit(f"bench_scan: {IMAGE} not found (set IOTBASELINE_CORPUS)")
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "vulns.sqlite"
        db = VulnDatabase.open(db_path)
        db.import_files([NVD / "embedded-cves.jsonl.gz", NVD / "linux-kernel-cves.jsonl.gz"])
        db.close()
        walls: list[float] = []
        stages: dict[str, list[float]] = {}
        for i in range(RUNS):
            out = Path(tmp) / f"run{i}"
            start = time.perf_counter()
            result = run_scan(IMAGE, ScanOptions(out_dir=out, db_path=db_path))
            walls.append(time.perf_counter() - start)
            for name, secs in result.assessment.run.stage_seconds.items():
                stages.setdefault(name, []).append(secs)
        cli: list[float] = []
        exe = Path(sys.executable).with_name("iotbaseline")
        for i in range(RUNS):
            start = time.perf_counter()
            subprocess.run([str(exe), "scan", str(IMAGE), "-o", str(Path(tmp) / f"cli{i}"), "--db", str(db_path)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cli.append(time.perf_counter() - start)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"run_scan in one process (warm imports): median {statistics.median(walls):.2f} s over {RUNS} runs "
          f"(min {min(walls):.2f}, max {max(walls):.2f}); target ≤ 3 s")
    print(f"`iotbaseline scan` command, cold process each time: median {statistics.median(cli):.2f} s "
          f"(min {min(cli):.2f}, max {max(cli):.2f}) — includes interpreter start-up and imports")
    for name, values in stages.items():
        print(f"  stage {name:<14} median {statistics.median(values):.3f} s")
    print(f"peak RSS: {peak_self:.0f} MiB (process), {peak_children:.0f} MiB (largest child)")


if __name__ == "__main__":
    main()
