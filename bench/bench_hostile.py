"""Resource figures for the hostile corpus (tests/extract/hostile_corpus.py) through the CLI.

    python bench/bench_hostile.py [--runs N] [--max-bytes B] [CASE ...]

Per case, the median over N runs of: peak RSS of the process tree (largest descendant,
getrusage RUSAGE_CHILDREN), bytes on disk in the output directory, wall seconds, and the
outcome (exit code and the bounds reached). Bombs are generated once into
build/hostile-corpus (a few MB); nothing is kept in the repository.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "extract"))
import hostile_corpus as corpus  # noqa: E402

MEASURE = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], "
           "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
           "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def _disk(top: Path) -> int:
    return sum(p.lstat().st_blocks * 512 for p in top.rglob("*")) if top.exists() else 0


def one_run(source: Path, max_bytes: int | None) -> tuple[int, int, int, float, list[str]]:
    work = Path(tempfile.mkdtemp(prefix="iotb-bench-hostile-"))
    out = work / "out"
    limits = ["--max-bytes", str(max_bytes)] if max_bytes else []
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(REPO / ".venv/bin/iotbaseline"),
                           "extract", str(source), "-o", str(out), *limits],
                          capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    rc, rss_kib = (int(v) for v in proc.stdout.split())
    written = _disk(out)
    try:
        hits = json.loads((out / "extraction.json").read_text())["limits_hit"]
    except (OSError, ValueError, KeyError):
        hits = ["<no extraction.json>"]
    shutil.rmtree(work, ignore_errors=True)
    return rc, rss_kib * 1024, written, seconds, hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=list(corpus.ALL_CASES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-bytes", type=int, default=None,
                        help="byte bound for the bombs (default: the tool's default limits)")
    args = parser.parse_args()
    cache = REPO / "build" / "hostile-corpus"
    fs_images = corpus.mkfs_images(Path(tempfile.mkdtemp(prefix="iotb-bench-mkfs-")))
    print(f"{'case':<24}{'exit':>5}{'peak RSS MiB':>14}{'written MiB':>13}{'seconds':>9}  bounds")
    for name in args.cases:
        found = sorted(cache.glob(f"{name}.*")) if name in corpus.BOMBS else []
        source = found[0] if found else corpus.build_case(
            name, cache if name in corpus.BOMBS else cache / "small", fs_images)
        runs = [one_run(source, args.max_bytes if name in corpus.BOMBS else None)
                for _ in range(args.runs)]
        rc = runs[0][0]
        rss = statistics.median(r[1] for r in runs) / 2**20
        written = statistics.median(r[2] for r in runs) / 2**20
        seconds = statistics.median(r[3] for r in runs)
        print(f"{name:<24}{rc:>5}{rss:>14.0f}{written:>13.1f}{seconds:>9.1f}  "
              f"{','.join(runs[0][4]) or '-'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
