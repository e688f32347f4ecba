"""Benchmark: cracking password hashes against the default-credential list, and (for context)
all group-A checks on the OpenWrt root filesystem with cracking switched off.

Prints the median of several runs and the peak memory. Usage:
    .venv/bin/python bench/bench_cracking.py [--runs 5] [--jobs N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.hash import des_crypt, md5_crypt, sha512_crypt

from iotbaseline.checks.credentials import crack as cred_crack


def _targets() -> dict[str, list[str]]:
    """Worst case: hashes of passwords NOT in the list (every candidate is tried), one per
    scheme, plus one that cracks."""
    hashes = {
        des_crypt.hash("nOtInLst"): "root",
        des_crypt.hash("nOtInLs2"): "admin",
        md5_crypt.hash("not-in-the-list-1"): "root",
        md5_crypt.hash("not-in-the-list-3"): "support",
        sha512_crypt.using(rounds=5000).hash("not-in-the-list-2"): "admin",
        sha512_crypt.using(rounds=5000).hash("not-in-the-list-4"): "root",
        md5_crypt.hash("vizxv"): "root",
        sha512_crypt.using(rounds=5000).hash("ubnt"): "ubnt",
    }
    return {h: cred_crack.candidates_for(user) for h, user in hashes.items()}


def bench_crack(runs: int, jobs: int | None) -> None:
    targets = _targets()
    verifications = sum(len(v) for v in targets.values())
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = cred_crack.crack(targets, seconds=60, jobs=jobs)
        times.append(time.perf_counter() - started)
    cracked = sum(1 for r in result.values() if r.password)
    print(f"cracking: {len(targets)} hashes, {verifications} verifications, {cracked} cracked; "
          f"median {statistics.median(times):.3f} s over {runs} runs (jobs={jobs or 'all cores'})")


def bench_checks(runs: int) -> None:
    image = Path(__file__).resolve().parents[2] / "shared/firmware/openwrt-aa-tl-mr3020-librarybox" \
        / "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin"
    if not image.is_file():
        print("group-A checks: OpenWrt image not found, skipped")
        return
    from iotbaseline.checks.context import CheckContext, CheckOptions
    from iotbaseline.checks.registry import checks_of
    from iotbaseline.checks.runner import run_checks
    from iotbaseline.inventory.index import FileIndex

    with tempfile.TemporaryDirectory() as tmp:
        data = image.read_bytes()
        sqfs = Path(tmp) / "root.sqfs"
        sqfs.write_bytes(data[data.find(b"hsqs"):])
        subprocess.run(["unsquashfs", "-no-progress", "-d", f"{tmp}/root", str(sqfs)],
                       check=True, capture_output=True)
        index = FileIndex.from_directory(f"{tmp}/root")
        checks = checks_of("credentials", "secrets", "crypto", "privacy")
        times = []
        for _ in range(runs):
            ctx = CheckContext(FileIndex(index.inventory), CheckOptions(crack_seconds=0))
            started = time.perf_counter()
            run_checks(ctx, checks)
            times.append(time.perf_counter() - started)
    print(f"group-A checks on OpenWrt rootfs ({len(checks)} checks, cracking off): "
          f"median {statistics.median(times):.3f} s over {runs} runs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    bench_crack(args.runs, args.jobs)
    bench_checks(args.runs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.1f} MiB (this process)")


if __name__ == "__main__":
    main()
