"""Benchmark: component identification (and CVE matching when available) on the OpenWrt root.

Prints the median wall time of >= 5 runs and the peak memory. Each run starts from a fresh
FileIndex over the same inventory (the inventory is its own stage), so file reads are real.
Usage: python bench/bench_sbom.py [--runs N] [--corpus DIR] [--nvd DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

from iotbaseline.inventory.builder import build_inventory
from iotbaseline.inventory.index import FileIndex
from iotbaseline.model import RootFilesystem
from iotbaseline.sbom.identify import identify_components, runtime_components

IMAGE = "openwrt-aa-tl-mr3020-librarybox/openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin"


def unpack(image: Path, work: Path) -> tuple[Path, Path]:
    data = image.read_bytes()
    offset = data.find(b"hsqs")
    (work / "rootfs.sqfs").write_bytes(data[offset:])
    kernel = work / "kernel.bin"
    kernel.write_bytes(data[:offset])
    unsquashfs = shutil.which("unsquashfs") or "unsquashfs"
    subprocess.run([unsquashfs, "-no-xattrs", "-q", "-n", "-d", str(work / "root"), str(work / "rootfs.sqfs")],
                   check=True, stdout=subprocess.DEVNULL)
    return work / "root", kernel


def open_matcher(nvd: Path, work: Path, full: bool = False):  # type: ignore[no-untyped-def]
    """(match function, db) when the vulns stage is installed, else (None, reason). ``full``:
    the whole raw/ feed set (87k CVEs) instead of the embedded + kernel subsets."""
    try:
        from iotbaseline.vulns.db import VulnDatabase
        from iotbaseline.vulns.matcher import match_components
    except ImportError as exc:
        return None, f"vulnerability matching not available ({exc})"
    db = VulnDatabase.open(work / "vulns.sqlite")
    files = sorted((nvd / "raw").glob("*.json.gz")) if full else [
        nvd / "embedded-cves.jsonl.gz", nvd / "linux-kernel-cves.jsonl.gz"]
    db.import_files(files)
    return match_components, db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("IOTBASELINE_CORPUS", "../shared/firmware")))
    parser.add_argument("--full-db", action="store_true", help="match against all raw NVD feeds (87k CVEs)")
    parser.add_argument("--nvd", type=Path, default=Path(os.environ.get("IOTBASELINE_NVD", "../shared/nvd")))
    args = parser.parse_args()
    runs = max(5, args.runs)
    with tempfile.TemporaryDirectory(prefix="bench-sbom-") as tmp:
        work = Path(tmp)
        root, kernel = unpack(args.corpus / IMAGE, work)
        inventory = build_inventory([RootFilesystem(label="rootfs", path=str(root))])
        matcher, db = open_matcher(args.nvd, work, args.full_db)
        from iotbaseline.vulns.findings import component_findings
        identify_times, total_times, cpu_times = [], [], []
        for _ in range(runs):
            cpu_start = time.process_time()
            start = time.perf_counter()
            components = identify_components(FileIndex(inventory), extra_blobs=[kernel])
            identified = time.perf_counter()
            if matcher is not None:
                matched = matcher(runtime_components(components), db)
                vulns = sum(len(c.vulnerabilities) for c in matched)
                findings, _ = component_findings(matched, matched=True)
            end = time.perf_counter()
            cpu_times.append(time.process_time() - cpu_start)
            identify_times.append(identified - start)
            total_times.append(end - start)
        tracemalloc.start()  # a separate run: tracing slows Python down several-fold
        identify_components(FileIndex(inventory), extra_blobs=[kernel])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"files in root: {len(inventory.files)}; components: {len(components)} "
              f"({len(runtime_components(components))} runtime)")
        print(f"identification: median {statistics.median(identify_times):.3f} s over {runs} runs "
              f"(min {min(identify_times):.3f}, max {max(identify_times):.3f})")
        print(f"CPU time per run (identification + matching): median {statistics.median(cpu_times):.3f} s "
              f"(wall time above includes waiting for a busy machine; {os.cpu_count()} CPUs)")
        if matcher is not None:
            print(f"identification + CVE matching + component findings: median "
                  f"{statistics.median(total_times):.3f} s; {vulns} CVE matches, {len(findings)} findings "
                  f"({'full NVD raw feeds' if args.full_db else 'embedded + kernel subsets'})")
        else:
            print(f"identification + CVE matching: not measured: {db}")
        print(f"peak Python heap (tracemalloc): {peak / 1e6:.1f} MB; "
              f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")


if __name__ == "__main__":
    main()
