"""Benchmark of the vulnerability database: import of the raw NVD feeds, and matching a typical
OpenWrt component list. Prints the median of several runs and the peak memory.

    python bench/bench_vulns.py [--runs 3] [--nvd ../shared/nvd]

On a shared machine, give the benchmark's scheduler group priority first (root):
    (echo -15 > /proc/self/autogroup; python bench/bench_vulns.py)

Import target: the 87k records of raw/*.json.gz in <= 5 s (cve-bin-tool builds its database from
the same files in 20.9 s on this kind of machine). Matching is part of the <= 1 s SBOM+CVE target.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from iotbaseline.model import Component
from iotbaseline.vulns.db import ATTRIBUTION, VulnDatabase
from iotbaseline.vulns.matcher import match_components

# What the OpenWrt image of ../shared/firmware (TL-MR3020, Attitude Adjustment) carries.
OPENWRT = [
    ("busybox", "busybox", "busybox", "1.19.4", "a"),
    ("dropbear", "dropbear_ssh_project", "dropbear_ssh", "2011.54", "a"),
    ("dnsmasq", "thekelleys", "dnsmasq", "2.66", "a"),
    ("iptables", "netfilter", "iptables", "1.4.10", "a"),
    ("hostapd", "w1.fi", "hostapd", "20130405", "a"),
    ("uclibc", "uclibc", "uclibc", "0.9.33.2", "a"),
    ("linux", "linux", "linux_kernel", "3.3.8", "o"),
    ("openwrt", "openwrt", "openwrt", "12.09", "o"),
    ("lighttpd", "lighttpd", "lighttpd", "1.4.32", "a"),
    ("zlib", "zlib", "zlib", "1.2.7", "a"),
]


def components() -> list[Component]:
    return [Component(ref=f"{name}@{version}", name=name, version=version,
                      cpe=f"cpe:2.3:{part}:{vendor}:{product}:{version}:*:*:*:*:*:*:*",
                      kind="operating-system" if part == "o" else "application")
            for name, vendor, product, version, part in OPENWRT]


def _cpu() -> float:
    """User+system CPU seconds of this process and its finished children (the import
    workers): a figure that does not depend on what else the machine is running."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--nvd", type=Path,
                        default=Path(os.environ.get("IOTBASELINE_NVD",
                                                    Path(__file__).resolve().parents[1] / ".." / "shared" / "nvd")))
    args = parser.parse_args()
    feeds = sorted((args.nvd / "raw").glob("*.json.gz"))
    if not feeds:
        print(f"no raw feeds under {args.nvd}/raw", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-vulns-"))
    import_times, cpu_times, loads, records = [], [], [], 0
    for run in range(args.runs):
        loads.append(os.getloadavg()[0])
        path = work / f"import-{run}.sqlite"
        db = VulnDatabase.open(path)
        cpu_before = _cpu()
        started = time.perf_counter()
        stats = db.import_files(feeds)
        import_times.append(time.perf_counter() - started)
        cpu_times.append(_cpu() - cpu_before)
        records = db.info()["records"]
        db.close()
        if run < args.runs - 1:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    size = path.stat().st_size / 1e6
    print(f"import {len(feeds)} raw feed files ({stats.new + stats.updated + stats.unchanged + stats.skipped} "
          f"records read, {records} stored, {size:.0f} MB database): median "
          f"{statistics.median(import_times):.2f} s over {args.runs} runs "
          f"({', '.join(f'{t:.2f}' for t in import_times)}); target <= 5 s; "
          f"CPU time (all processes) median {statistics.median(cpu_times):.2f} s "
          f"({', '.join(f'{t:.2f}' for t in cpu_times)}); "
          f"1-min load average at each start: {', '.join(f'{x:.1f}' for x in loads)}")
    # matching: the OpenWrt list against the full raw data (incl. linux-kernel-cves subset)
    db = VulnDatabase.open(path)
    db.import_files([args.nvd / "linux-kernel-cves.jsonl.gz", args.nvd / "embedded-cves.jsonl.gz"])
    comps = components()
    match_times = []
    for _ in range(max(args.runs, 5)):
        started = time.perf_counter()
        result = match_components(comps, db)
        match_times.append(time.perf_counter() - started)
        # a fresh process would start cold: clear the memo caches between runs
        from iotbaseline.vulns import configs, cpe, versions
        configs.subject_matches.cache_clear()
        cpe.match_key.cache_clear()
        cpe.parse_cpe.cache_clear()
        versions.version_key.cache_clear()
    counts = ", ".join(f"{c.name} {len(c.vulnerabilities)}" for c in result)
    print(f"match {len(comps)} OpenWrt components: median {statistics.median(match_times) * 1000:.0f} ms "
          f"over {len(match_times)} runs ({counts})")
    print(f"peak memory: {peak_mb():.0f} MB (largest of this process and its import workers)")
    print(ATTRIBUTION)
    db.close()
    for item in work.iterdir():
        item.unlink()
    work.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
