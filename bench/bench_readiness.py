"""Benchmark: what the regulation views (UK PSTI, EN 18031-1/-2/-3, CRA Annex I) and the
readiness summary add to the assess stage, on the real findings of the OpenWrt LibraryBox image.

The image is scanned once (JSON only, no CVE database) to get its findings, check outcomes and
inferred facts; then ``build_assessment`` is timed with the four baselines alone and with all
nine catalogs (baselines + regulation views + readiness). Prints the median of several runs.
Usage:
    .venv/bin/python bench/bench_readiness.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("IOTBASELINE_CORPUS", ROOT.parent / "shared" / "firmware"))
IMAGE = (CORPUS / "openwrt-aa-tl-mr3020-librarybox"
         / "openwrt-ar71xx-generic-tl-mr3020-v1-squashfs-factory.bin")


def _median_seconds(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "7")))
    args = parser.parse_args()
    if not IMAGE.is_file():
        sys.exit(f"bench_readiness: {IMAGE} not found (set IOTBASELINE_CORPUS)")

    from iotbaseline.assess.engine import build_assessment
    from iotbaseline.catalog.loader import BASELINE_IDS, load_catalogs
    from iotbaseline.model import CheckOutcome, Finding

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-c", "from iotbaseline.cli import main; main()",
                        "scan", str(IMAGE), "-o", tmp, "--no-db", "--format", "json",
                        "--crack-seconds", "2"], check=False, capture_output=True)
        data = json.loads((Path(tmp) / "assessment.json").read_text())
    findings = [Finding.model_validate(f) for f in data["findings"]]
    outcomes = [CheckOutcome.model_validate(o) for o in data["outcomes"]]
    inferred = data.get("inferred", {})
    baselines = load_catalogs(list(BASELINE_IDS))
    everything = load_catalogs()

    def run(catalogs):  # type: ignore[no-untyped-def]
        return lambda: build_assessment(catalogs, None, findings, outcomes, inferred=inferred)

    run(everything)()  # warm the mapping index and caches
    base = _median_seconds(run(baselines), args.runs)
    full = _median_seconds(run(everything), args.runs)
    readiness = build_assessment(everything, None, findings, outcomes, inferred=inferred).readiness
    print(f"findings {len(findings)}, outcomes {len(outcomes)}, runs {args.runs} (median)")
    print(f"assess, 4 baselines:                       {base * 1000:7.1f} ms")
    print(f"assess, + 5 regulation views + readiness:  {full * 1000:7.1f} ms "
          f"(+{(full - base) * 1000:.1f} ms)")
    for item in readiness:
        print(f"  {item.name}: {item.status.value} ({item.summary})")


if __name__ == "__main__":
    main()
