"""Several writers on one PostgreSQL store at once (a fresh database, so they also race to
create the schema): every record lands exactly once, with all its rows; overlapping records are
kept once, never duplicated or half-written. The records are built from a real assessment.json
(the demo image's, from the shared batch), each writer giving it other image hashes."""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter

import pytest
from sqlalchemy import func, select

from iotbaseline.store import AssessmentKey, ProductIdentity, ScanRecord, Store
from iotbaseline.store.records import child_rows
from iotbaseline.store.schema import AssessmentRow, FirmwareVersion, Image, Product, VerdictRow

pytestmark = [pytest.mark.corpus, pytest.mark.network]

PER_WRITER = 12
OVERLAP = 4  # the first records of every writer are the same images


def _record(document: str, n: int) -> ScanRecord:
    sha = f"{n:064x}"
    return ScanRecord(key=AssessmentKey(sha, "test", "", "k"), image_name=f"img-{n}.bin", size=n,
                      identity=ProductIdentity(model=f"model-{n % 3}", version=f"1.{n % 5}", vendor="V"),
                      status="done", document=document)


def _writer(url: str, document: str, writer: int, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = Store.open(url)
    saved = 0
    try:
        numbers = list(range(OVERLAP)) + [1000 * (writer + 1) + i for i in range(PER_WRITER - OVERLAP)]
        for n in numbers:
            saved += store.save(_record(document, n)).saved
    finally:
        store.close()
    results.put(saved)


def _stored_demo_document(sqlite_batch, demo_image) -> str:  # type: ignore[no-untyped-def]
    """The demo image's assessment.json as the shared batch stored it (no second scan)."""
    from iotbaseline.store.queries import assessment_document
    from iotbaseline.store.records import file_sha256
    from iotbaseline.store.schema import AssessmentRow, Image

    store = Store.open(sqlite_batch.url)
    try:
        with store.engine.connect() as conn:
            aid = conn.execute(select(AssessmentRow.id).join(Image, Image.id == AssessmentRow.image_id)
                               .where(Image.sha256 == file_sha256(demo_image))).scalar_one()
            document = assessment_document(conn, aid)
    finally:
        store.close()
    assert document
    return document


def test_concurrent_writers_lose_nothing(pg, sqlite_batch, demo_image) -> None:  # type: ignore[no-untyped-def]
    document = _stored_demo_document(sqlite_batch, demo_image)
    url = pg.create_database("fleet_concurrent")
    writers = 3
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    procs = [context.Process(target=_writer, args=(url, document, w, results)) for w in range(writers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(180)
        assert proc.exitcode == 0
    saved = sum(results.get(timeout=5) for _ in procs)
    expected = OVERLAP + writers * (PER_WRITER - OVERLAP)
    assert saved == expected  # each overlapping image saved by exactly one writer
    per_assessment = len(child_rows(json.loads(document))["verdicts"])
    store = Store.open(url)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(AssessmentRow)).scalar() == expected
            assert conn.execute(select(func.count()).select_from(Image)).scalar() == expected
            counts = Counter(conn.execute(select(VerdictRow.assessment_id)).scalars())
            assert len(counts) == expected and set(counts.values()) == {per_assessment}
            assert conn.execute(select(func.count()).select_from(Product)).scalar() == 3
            assert conn.execute(select(func.count()).select_from(FirmwareVersion)).scalar() == 15
    finally:
        store.close()
