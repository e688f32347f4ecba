"""Run a batch: hash the inputs, skip those the store already holds with the same key, scan the
rest on a Dask ``LocalCluster`` (or an existing scheduler) and store each record as it arrives.
Because every finished image is committed at once, a batch stopped half-way resumes where it
stopped: run it again and the stored images are skipped."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iotbaseline.fleet.inputs import ImageInput
from iotbaseline.fleet.work import assessment_key, scan_image
from iotbaseline.pipeline import ScanOptions
from iotbaseline.store import Store
from iotbaseline.store.records import STATUS_ERROR, ProductIdentity, ScanRecord, file_sha256


@dataclass
class BatchItem:
    path: str
    status: str  # stored | skipped | failed | partial
    assessment_id: int | None = None
    product: str = ""
    version: str = ""
    seconds: float | None = None
    error: str | None = None


@dataclass
class BatchSummary:
    items: list[BatchItem] = field(default_factory=list)
    workers: int = 0
    seconds: float = 0.0
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "iotbaseline.batch/1",
            "workers": self.workers, "seconds": round(self.seconds, 3), "interrupted": self.interrupted,
            "counts": {s: self.count(s) for s in ("stored", "partial", "skipped", "failed")},
            "images": [vars(i) for i in self.items],
        }


Progress = Callable[[BatchItem, int, int], None]  # (item, finished so far, to scan)


def _item(record: ScanRecord, saved_id: int | None, saved: bool) -> BatchItem:
    if record.status == STATUS_ERROR:
        status = "failed"
    elif not saved:
        status = "skipped"  # another writer stored it meanwhile
    else:
        status = "stored" if record.status == "done" else "partial"
    return BatchItem(path=record.image_name, status=status, assessment_id=saved_id,
                     product=record.identity.model, version=record.identity.version,
                     seconds=record.seconds, error=record.error)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _client(workers: int, scheduler: str | None) -> tuple[Any, Any]:
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="30s"), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR,
                           host="127.0.0.1", worker_dashboard_address=None)
    return Client(cluster), cluster


def run_batch(inputs: list[ImageInput], store: Store, options: ScanOptions, *, workers: int | None = None,
              scheduler: str | None = None, rescan: bool = False, work_dir: Path | None = None,
              progress: Progress | None = None) -> BatchSummary:
    import os

    started = time.perf_counter()
    summary = BatchSummary(workers=workers or os.cpu_count() or 1)
    keyed = [(entry, assessment_key(file_sha256(entry.path), options)) for entry in inputs]
    done = set() if rescan else store.final_keys(k for _, k in keyed)
    todo = []
    for entry, key in keyed:
        if key in done:
            summary.items.append(BatchItem(path=entry.path.name, status="skipped"))
        else:
            todo.append((entry, key))
    if not todo:
        summary.seconds = time.perf_counter() - started
        return summary
    work_root = Path(tempfile.mkdtemp(prefix="iotbaseline-batch-", dir=work_dir))
    client, cluster = _client(min(summary.workers, len(todo)), scheduler)
    if scheduler:
        summary.workers = len(client.scheduler_info().get("workers", {}))
    try:
        from dask.distributed import as_completed

        # biggest images first (Dask priority): the longest scans start early instead of
        # finishing last on one worker while the others are idle
        futures = {
            client.submit(scan_image, str(entry.path), key, options, str(work_root), entry.product,
                          entry.version, pure=False, key=f"iotbaseline-scan-{n}-{key.sha256[:12]}",
                          priority=_size(entry.path)): entry
            for n, (entry, key) in enumerate(todo)
        }
        keys = {f: k for f, (_, k) in zip(futures, todo, strict=True)}
        for finished, future in enumerate(as_completed(futures), 1):
            entry = futures[future]
            try:
                record: ScanRecord = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker died on this image: recorded
                record = ScanRecord(key=keys[future], image_name=entry.path.name, size=None,
                                    identity=ProductIdentity(model=entry.product or entry.path.stem,
                                                             version=entry.version or "unknown"),
                                    status=STATUS_ERROR, error=f"worker failed: {type(exc).__name__}: {exc}"[:2000])
            result = store.save(record, replace=rescan)
            item = _item(record, result.assessment_id, result.saved)
            summary.items.append(item)
            if progress:
                progress(item, finished, len(todo))
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        import shutil

        shutil.rmtree(work_root, ignore_errors=True)
    summary.seconds = time.perf_counter() - started
    return summary
