"""Benchmark: rendering the human and machine reports (HTML, Markdown, SARIF) of a large
assessment: 2,000 findings over 40 checks, 300 components with 1,500 CVEs, every catalog.

Prints the median of several runs per format, the one-off cost of compiling the HTML template
(paid once per process when the bytecode cache is cold) and the peak memory of rendering."""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def _large_assessment():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "tests" / "report"))
    from report_samples import assessment, components

    from iotbaseline.catalog.loader import load_catalogs
    from iotbaseline.model import Verdict, VerdictValue

    a = assessment()
    base = list(a.findings)
    a.findings = []
    for n in range(2000):
        f = base[n % len(base)].model_copy(deep=True)
        f.id, f.check = f"IOTB-X-{n % 40:03d}#{n}", f"IOTB-X-{n % 40:03d}"
        f.location.path, f.location.line = f"/usr/lib/file{n}.so", n % 300 + 1
        a.findings.append(f)
    a.components = []
    for n in range(100):
        for c in components():
            c.ref, c.name = f"{c.ref}-{n}", f"{c.name}{n}"
            c.vulnerabilities = [v.model_copy(update={"id": f"CVE-2020-{n:03d}{k:02d}"})
                                 for k in range(5) for v in c.vulnerabilities][:10]
            a.components.append(c)
    catalogs = load_catalogs()
    kinds = list(VerdictValue)
    a.verdicts = {cid: {r.id: Verdict(verdict=kinds[i % 4], reason="r", missing=["m"], questions=["q?"])
                        for i, r in enumerate(c.requirements) if not r.is_group}
                  for cid, c in catalogs.items()}
    return a, catalogs


def main() -> None:
    from iotbaseline.report.html import render_html, template_environment
    from iotbaseline.report.markdown import render_markdown
    from iotbaseline.report.sarif import render_sarif

    a, catalogs = _large_assessment()
    start = time.perf_counter()
    template_environment().get_template("report.html.j2")
    print(f"HTML template load (compile or bytecode cache): {time.perf_counter() - start:.3f} s")
    print(f"assessment: {len(a.findings)} findings, {len(a.components)} components, "
          f"{sum(len(c.vulnerabilities) for c in a.components)} CVEs, "
          f"{sum(len(v) for v in a.verdicts.values())} verdicts")
    for name, fn in (("html", render_html), ("markdown", render_markdown), ("sarif", render_sarif)):
        walls: list[float] = []
        size = 0
        for _ in range(RUNS):
            start = time.perf_counter()
            size = len(fn(a, catalogs))
            walls.append(time.perf_counter() - start)
        tracemalloc.start()
        fn(a, catalogs)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"{name:<8} median {statistics.median(walls):.3f} s over {RUNS} runs "
              f"(min {min(walls):.3f}), {size / 2**20:.1f} MiB output, peak {peak:.0f} MiB traced")


if __name__ == "__main__":
    main()
