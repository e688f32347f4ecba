"""`iotbaseline batch` over real corpus images (and the demo image, and one corrupt file) into
SQLite and into a real PostgreSQL: the same rows in both; the corrupt image is recorded and does
not stop the batch; a second run resumes (skips what is stored); product and version are read
from the image as GROUND_TRUTH.md describes it."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from conftest import BatchRun, run_batch_cli
from sqlalchemy import select

from iotbaseline.store import Store
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

pytestmark = [pytest.mark.corpus, pytest.mark.network]

OPENWRT_SHA = "b7b1f123a66a7cf8867365b6ebc724e5157c191deaf8c9d48e60f539095017be"  # GROUND_TRUTH.md
DVAR_SHA = "25447a0a2af7ec7a453271903d13f23d1004dbbe0545e1c2780a02429f6d72cc"


def canonical(url: str) -> dict[str, Any]:
    """Every row, keyed by what it means (image sha256, names), not by generated ids or times."""
    store = Store.open(url)
    try:
        with store.engine.connect() as conn:
            sha_of = {}
            assessments = []
            a = AssessmentRow
            for row in conn.execute(
                    select(a.id, a.status, a.tool_version, a.catalogs, a.options_key, a.identity_source,
                           a.summary, a.document.isnot(None).label("has_document"), Image.sha256, Image.size,
                           Image.name, FirmwareVersion.version, Product.vendor, Product.model, Product.category)
                    .join(Image, Image.id == a.image_id)
                    .join(FirmwareVersion, FirmwareVersion.id == a.version_id)
                    .join(Product, Product.id == FirmwareVersion.product_id)):
                sha_of[row.id] = row.sha256
                assessments.append((row.sha256, row.size, row.name, row.vendor, row.model, row.category,
                                    row.version, row.status, row.tool_version, row.catalogs, row.options_key,
                                    row.identity_source, json.dumps(row.summary, sort_keys=True), row.has_document))
            children = {}
            for table in (FindingRow, VerdictRow, ComponentRow, CveRow):
                cols = [c for c in table.__table__.columns if c.name not in ("id", "assessment_id")]
                children[table.__tablename__] = Counter(
                    (sha_of[row.assessment_id], *(getattr(row, c.name) for c in cols))
                    for row in conn.execute(select(table)))
            return {"assessments": sorted(assessments), **children,
                    "products": sorted(conn.execute(select(Product.vendor, Product.model, Product.category)).all())}
    finally:
        store.close()


def _by_name(run: BatchRun) -> dict[str, dict[str, Any]]:
    return {item["path"]: item for item in run.summary["images"]}


def test_batch_stores_every_image_and_records_the_corrupt_one(sqlite_batch: BatchRun) -> None:
    items = _by_name(sqlite_batch)
    assert set(items) == {p.name for p in sqlite_batch.inputs} | {sqlite_batch.corrupt.name}
    for path in sqlite_batch.inputs:
        assert items[path.name]["status"] == "stored", (items[path.name], sqlite_batch.stderr[-2000:])
    bad = items[sqlite_batch.corrupt.name]
    assert bad["status"] in ("partial", "failed") and bad["error"], bad
    # a corrupt image makes the batch's exit code say so, after everything else was stored
    assert sqlite_batch.returncode in (0, 1)
    assert sqlite_batch.summary["counts"]["stored"] == len(sqlite_batch.inputs)


def test_sqlite_and_postgresql_hold_the_same_rows(sqlite_batch: BatchRun, pg_batch: BatchRun) -> None:
    left, right = canonical(sqlite_batch.url), canonical(pg_batch.url)
    assert left["assessments"] and left["verdicts"] and left["findings"] and left["components"]
    for table in left:
        only_left = [r for r in left[table] if r not in right[table]]
        only_right = [r for r in right[table] if r not in left[table]]
        assert left[table] == right[table], (f"{table} differs between SQLite and PostgreSQL: "
                                             f"only in SQLite {only_left[:3]}, only in PostgreSQL {only_right[:3]}")


def test_identity_read_from_the_image(sqlite_batch: BatchRun) -> None:
    rows = {a[0]: a for a in canonical(sqlite_batch.url)["assessments"]}
    # openwrt_release: DISTRIB_ID="OpenWrt_backports", DISTRIB_RELEASE="12.09.2" (read by hand)
    assert rows[OPENWRT_SHA][4] == "OpenWrt_backports" and rows[OPENWRT_SHA][6] == "12.09.2"
    assert rows[OPENWRT_SHA][11] == "image:/etc/openwrt_release"
    # DVAR: DISTRIB_RELEASE is the code name 'Chaos Calmer'; the description gives 15.05.1
    assert rows[DVAR_SHA][4] == "exploitlab" and rows[DVAR_SHA][6] == "15.05.1"


def test_components_and_cve_free_store_match_ground_truth(sqlite_batch: BatchRun) -> None:
    from iotbaseline.store import queries

    store = Store.open(sqlite_batch.url)
    try:
        with store.engine.connect() as conn:
            # GROUND_TRUTH.md: busybox 1.19.4 (OpenWrt) and 1.23.2 (DVAR), both below 1.25
            below = {(h["model"], h["component_version"].split("-")[0])
                     for h in queries.search_component(conn, "BusyBox", "1.25")}
            assert ("OpenWrt_backports", "1.19.4") in below and ("exploitlab", "1.23.2") in below
            # below 1.20: OpenWrt's 1.19.4 and the demo image's 1.19.4 (README's demo output), not DVAR's
            older = queries.search_component(conn, "busybox", "1.20")
            assert {h["model"] for h in older} == {"OpenWrt_backports", "DemoCam OS"}
            fails = queries.search_requirement(conn, "etsi-en-303-645", "5.1-1", "FAIL")
            # DVAR: root has an empty password (GROUND_TRUTH.md 3) → the ETSI 5.1-1 FAIL
            assert "exploitlab" in {h["model"] for h in fails}
    finally:
        store.close()


def test_a_second_run_resumes_and_skips_what_is_stored(sqlite_batch: BatchRun) -> None:
    again = run_batch_cli(sqlite_batch.url, sqlite_batch.inputs, "--workers", "1")
    summary = json.loads(again.stdout)
    assert summary["counts"]["skipped"] == len(sqlite_batch.inputs)
    assert summary["counts"]["stored"] == 0 and again.returncode == 0
