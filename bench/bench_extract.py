"""Benchmark: extraction of the OpenWrt TL-MR3020 image (3.9 MB, 869 entries).

Prints the median wall time of ``extract_image`` in-process (≥5 runs, fresh work directory
each time), the median of the whole ``iotbaseline extract`` command (interpreter start-up
included), and peak memory (max RSS of this process; of the CLI child). Usage:

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("image", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from iotbaseline.extract import extract_image

    in_process, cli = [], []
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        for i in range(args.runs):
            work = Path(tmp) / f"run{i}"
            started = time.perf_counter()
            result = extract_image(args.image, work)
            in_process.append(time.perf_counter() - started)
            assert result.roots, "benchmark image did not extract"
            files = sum(1 for _ in Path(result.roots[0].path).rglob("*"))
            shutil.rmtree(work)
        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for i in range(args.runs):
            work = Path(tmp) / f"cli{i}"
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "from iotbaseline.cli import main; main()",
                            "extract", str(args.image), "-o", str(work)], check=True,
                           stdout=subprocess.DEVNULL)
            cli.append(time.perf_counter() - started)
            shutil.rmtree(work)
        peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"image: {args.image.name} ({args.image.stat().st_size} bytes), runs: {args.runs}")
    print(f"extract_image (in-process) median: {statistics.median(in_process):.3f} s "
          f"(min {min(in_process):.3f}, max {max(in_process):.3f}); entries: {files}")
    print(f"iotbaseline extract (CLI, incl. start-up) median: {statistics.median(cli):.3f} s "
          f"(min {min(cli):.3f}, max {max(cli):.3f})")
    print(f"peak memory: {peak_self:.0f} MiB (benchmark process), {peak_child:.0f} MiB (CLI)")


if __name__ == "__main__":
    main()
