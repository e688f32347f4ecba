"""Fleet benchmark (printed figures, median of several runs; not a test):

1. images per minute of `batch` over the shared corpus with 1 and 2 Dask workers, and the speed-up;
2. the time of every JSON API query on a store holding 10,000 synthetic assessments (built from
   one real assessment.json, spread over 200 products x 50 versions, with varied component
   versions and verdicts), through the real FastAPI app;
3. the time to store one real assessment (the per-image write cost of a batch).

Usage: bench_fleet.py [--corpus DIR] [--runs N] [--skip-scan] [--skip-queries] [--assessments N] [--store URL]
IOTBASELINE_CORPUS gives the corpus by default; the scan part is skipped without one.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from iotbaseline.store import AssessmentKey, ProductIdentity, ScanRecord, Store
from iotbaseline.store.records import child_rows, compress, summarize


def _corpus_images(corpus: Path) -> list[Path]:
    from iotbaseline.fleet.inputs import expand_inputs

    products = [str(p) for p in sorted(corpus.iterdir()) if p.is_dir() and not p.name.startswith("vectors-")]
    return [entry.path for entry in expand_inputs(products)]


def bench_scan(corpus: Path, runs: int) -> dict[int, float]:
    from iotbaseline.fleet.runner import run_batch
    from iotbaseline.fleet.inputs import ImageInput
    from iotbaseline.pipeline import ScanOptions

    images = [ImageInput(p) for p in _corpus_images(corpus)]
    print(f"scan: {len(images)} images from {corpus} (product folders, no format vectors)")
    rates: dict[int, float] = {}
    for workers in (1, 2):
        seconds = []
        for run in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                store = Store.open(f"sqlite:///{tmp}/bench.sqlite")
                summary = run_batch(images, store, ScanOptions(out_dir=Path(tmp), use_db=False, crack_seconds=2),
                                    workers=workers)
                store.close()
            seconds.append(summary.seconds)
            counts = {s: summary.count(s) for s in ("stored", "partial", "failed")}
            print(f"  {workers} worker(s), run {run + 1}: {summary.seconds:.1f} s {counts}", flush=True)
        median = statistics.median(seconds)
        rates[workers] = len(images) / median * 60
        print(f"  {workers} worker(s): median {median:.1f} s = {rates[workers]:.1f} images/min")
    print(f"  speed-up with 2 workers: {rates[2] / rates[1]:.2f}x (goal >= 1.7x)")
    return rates


def _demo_document(tmp: Path) -> str:
    from iotbaseline.demo import demo_profile_path
    from iotbaseline.demo.build import build_demo_image
    from iotbaseline.fleet.work import scan_image
    from iotbaseline.pipeline import ScanOptions

    image = build_demo_image(tmp / "demo").path
    record = scan_image(str(image), AssessmentKey("x", "t", "", "k"),
                        ScanOptions(out_dir=tmp, profile=demo_profile_path(), use_db=False, crack_seconds=2),
                        str(tmp / "work"))
    assert record.document, record.error
    return record.document


def fill_synthetic(store: Store, document: str, count: int) -> None:
    """``count`` assessments in one bulk load (the query benchmark measures reading, so rows are
    written with executemany rather than one save per assessment)."""
    from iotbaseline.store.schema import (
        AssessmentRow,
        ComponentRow,
        CveRow,
        FindingRow,
        FirmwareVersion,
        Image,
        Product,
        VerdictRow,
    )

    rng = random.Random(15)
    doc = json.loads(document)
    base_rows = child_rows(doc)
    blob, summary = compress(document), summarize(doc)
    now = _dt.datetime.now(_dt.UTC)
    with store.engine.begin() as conn:
        conn.execute(Product.__table__.insert(), [{"id": p + 1, "vendor": f"Vendor {p % 20}", "model": f"Model-{p}",
                                                   "category": "camera"} for p in range(200)])
        conn.execute(FirmwareVersion.__table__.insert(),
                     [{"id": p * 50 + v + 1, "product_id": p + 1, "version": f"1.{v}.0"}
                      for p in range(200) for v in range(50)])
    verdict_values = ("PASS", "FAIL", "INCONCLUSIVE")
    for start in range(0, count, 250):
        batch = range(start, min(start + 250, count))
        images, assessments, tables = [], [], {"findings": [], "verdicts": [], "components": [], "cves": []}
        for n in batch:
            aid = n + 1
            images.append({"id": aid, "sha256": f"{n:064x}", "size": 1 << 22, "name": f"fw-{n}.bin"})
            assessments.append({
                "id": aid, "image_id": aid, "version_id": n % 10000 + 1, "tool_version": "bench", "catalogs": "",
                "options_key": "k", "options": {}, "status": "done", "error": None, "identity_source": "bench",
                "started": None, "seconds": 3.0, "stage_seconds": {}, "summary": summary, "document": blob,
                "created_at": now})
            for row in base_rows["findings"]:
                tables["findings"].append({**row, "assessment_id": aid})
            for row in base_rows["verdicts"]:
                tables["verdicts"].append({**row, "assessment_id": aid, "verdict": rng.choice(verdict_values)})
            for row in base_rows["components"]:
                version = f"1.{rng.randint(10, 36)}.{rng.randint(0, 9)}" if row["name"] == "busybox" else row["version"]
                tables["components"].append({**row, "assessment_id": aid, "version": version})
            for row in base_rows["cves"]:
                tables["cves"].append({**row, "assessment_id": aid})
            tables["cves"].append({"assessment_id": aid, "cve_id": f"CVE-2099-{n % 500:04d}", "component": "busybox",
                                   "component_version": "1.20.0", "score": 7.5, "kev": n % 7 == 0,
                                   "status": "affected"})
        with store.engine.begin() as conn:
            conn.execute(Image.__table__.insert(), images)
            conn.execute(AssessmentRow.__table__.insert(), assessments)
            for name, table in (("findings", FindingRow), ("verdicts", VerdictRow), ("components", ComponentRow),
                                ("cves", CveRow)):
                if tables[name]:
                    conn.execute(table.__table__.insert(), tables[name])


def bench_queries(store: Store, count: int, runs: int = 7) -> dict[str, float]:
    import warnings

    warnings.filterwarnings("ignore")
    from fastapi.testclient import TestClient

    from iotbaseline.serve.app import create_app

    client = TestClient(create_app(store))
    queries = {
        "/api/products": "/api/products",
        "/api/products/{id}": "/api/products/12",
        "/api/assessments/{id}": f"/api/assessments/{count // 2}",
        "/api/search?component&below": "/api/search?component=busybox&below=1.20.0",
        "/api/search?cve": "/api/search?cve=CVE-2099-0042",
        "/api/search?catalog&requirement&verdict": "/api/search?catalog=etsi-en-303-645&requirement=5.1-1&verdict=FAIL",
        "page /products/{id} (3 SVG charts)": "/products/12",
        "page /search?component": "/search?component=busybox&below=1.20.0",
    }
    medians = {}
    for name, url in queries.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code, response.text[:200])
        medians[name] = statistics.median(times)
        size = len(response.content)
        hits = len(response.json().get("results", [])) if url.startswith("/api/search") else ""
        print(f"  {name:45s} median {medians[name]:7.1f} ms  ({size} B{', ' + str(hits) + ' hits' if hits != '' else ''})")
    worst = max(medians, key=lambda k: medians[k])
    print(f"  slowest API/page: {worst} {medians[worst]:.1f} ms (goal: every API query <= 200 ms)")
    return medians


def bench_save(store: Store, document: str, runs: int = 20) -> float:
    times = []
    for n in range(runs):
        record = ScanRecord(key=AssessmentKey(f"{n + 10**9:064x}", "bench-save", "", "k"), image_name="x", size=1,
                            identity=ProductIdentity(model="save-bench", version=f"{n}"), status="done",
                            document=document)
        started = time.perf_counter()
        store.save(record)
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    print(f"  storing one real assessment (demo image, {len(document)} B JSON): median {median:.1f} ms")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=os.environ.get("IOTBASELINE_CORPUS"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-scan", action="store_true")
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("--assessments", type=int, default=10000)
    parser.add_argument("--store", help="store URL for the query part (default: a fresh SQLite file)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}")
    if args.corpus and not args.skip_scan:
        bench_scan(Path(args.corpus), args.runs)
    elif not args.skip_scan:
        print("scan: skipped (no corpus: set IOTBASELINE_CORPUS or --corpus)")
    if args.skip_queries:
        return
    with tempfile.TemporaryDirectory() as tmp:
        document = _demo_document(Path(tmp))
        store = Store.open(args.store or f"sqlite:///{tmp}/queries.sqlite")
        try:
            started = time.perf_counter()
            fill_synthetic(store, document, args.assessments)
            print(f"queries: {args.assessments} synthetic assessments loaded in {time.perf_counter() - started:.0f} s")
            bench_queries(store, args.assessments)
            bench_save(store, document)
        finally:
            store.close()
    print(f"load average at the end {os.getloadavg()}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
