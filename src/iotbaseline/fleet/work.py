"""One scan as a store record: what runs on a Dask worker (and in ``scan --store``).

The scan writes only ``assessment.json`` into a private temporary directory under the batch's
work directory, which is removed afterwards; every other report is rendered later from the
stored document. A scan that raises is returned as an error record, never raised: one bad image
never stops a batch."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from iotbaseline import __version__
from iotbaseline.pipeline import ScanOptions
from iotbaseline.store.identity import identify
from iotbaseline.store.records import (
    STATUS_DONE,
    STATUS_ERROR,
    STATUS_PARTIAL,
    AssessmentKey,
    ProductIdentity,
    ScanRecord,
    file_sha256,
    options_key,
)


def _file_digest(path: Path | None) -> str | None:
    return file_sha256(path) if path is not None and path.is_file() else None


_NOT_RESULTS = {"out_dir", "formats", "jobs", "limits"}  # where and how fast, not what is found


def result_options(options: ScanOptions) -> dict[str, Any]:
    """The options that change what a scan finds (not where it writes or how many cores); input
    files (profile, probe results…) by their content, so an edited profile is a new key."""
    record: dict[str, Any] = {}
    for f in dataclasses.fields(options):
        if f.name in _NOT_RESULTS:
            continue
        value = getattr(options, f.name)
        if value is None:  # unset: leaving it out keeps keys stable when options are added
            continue
        if isinstance(value, Path):
            record[f.name] = str(value) if f.name == "db_path" else _file_digest(value)
        elif isinstance(value, tuple | list):
            record[f.name] = sorted(str(v) for v in value)
        elif value is None or isinstance(value, str | int | float | bool):
            record[f.name] = value
        else:
            record[f.name] = repr(value)
    return record


def assessment_key(sha256: str, options: ScanOptions) -> AssessmentKey:
    return AssessmentKey(sha256=sha256, tool_version=__version__, catalogs=",".join(sorted(options.catalogs)),
                         options_key=options_key(result_options(options)))


def record_from_document(document: str, image: Path, key: AssessmentKey, options: ScanOptions,
                         product: str | None, version: str | None, problem: str | None,
                         seconds: float | None) -> ScanRecord:
    doc = json.loads(document)
    return ScanRecord(
        key=key, image_name=image.name, size=(doc.get("target") or {}).get("size"),
        identity=identify(doc, image, product, version),
        status=STATUS_PARTIAL if problem else STATUS_DONE, error=problem,
        options=result_options(options), document=document, seconds=seconds,
    )


def scan_image(image: str, key: AssessmentKey, options: ScanOptions, work_root: str,
               product: str | None = None, version: str | None = None) -> ScanRecord:
    """Scan ``image`` (one core: the cluster runs images side by side) into a store record."""
    from iotbaseline.pipeline import run_scan

    path = Path(image)
    started = time.perf_counter()
    Path(work_root).mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix="scan-", dir=work_root))
    try:
        scan_options = dataclasses.replace(options, out_dir=out, formats=("json",), jobs=1)
        result = run_scan(path, scan_options)
        document = (out / "assessment.json").read_text(encoding="utf-8")
        return record_from_document(document, path, key, options, product, version,
                                    result.input_problem, round(time.perf_counter() - started, 3))
    except Exception as exc:  # noqa: BLE001 - recorded with its error; the batch goes on
        message = f"{type(exc).__name__}: {exc}".splitlines()[0][:2000]
        size = path.stat().st_size if path.is_file() else None
        return ScanRecord(key=key, image_name=path.name, size=size,
                          identity=ProductIdentity(model=product or path.stem, version=version or "unknown",
                                                   source="cli" if product else "file name"),
                          status=STATUS_ERROR, error=message, options=result_options(options),
                          seconds=round(time.perf_counter() - started, 3))
    finally:
        shutil.rmtree(out, ignore_errors=True)
