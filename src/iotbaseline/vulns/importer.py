"""Bulk import into the vulnerability database, fast and idempotent.

NVD files are decompressed and decoded in worker processes (two cores here: decoding is pure
CPU), which hand back plain tuples; the main process decides new/updated/unchanged by
``lastModified`` and writes with ``executemany`` in one transaction with ``synchronous=OFF``.
Into an empty database the lookup indexes are dropped first and built once at the end. A newer
record replaces the old one (its index rows go with it); an equal one is unchanged; an older
one is skipped.

Two measured choices (docs/vulnerabilities.md, "Import speed"): the cyclic garbage collector is
paused while importing (the millions of short-lived tuples hold no cycles, and each collection
walks the whole heap: about 1 s of CPU on the full feed), and workers hand batches back as
msgpack bytes rather than pickles (half the cost of pickling on both ends).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sqlite3
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

import msgspec

from iotbaseline.vulns import nvd, osv
from iotbaseline.vulns.schema import INDEX_NAMES, INDEXES
from iotbaseline.vulns.sources import LoadedFile, VulnDataError, kev_entries, load, osv_records

if TYPE_CHECKING:
    from iotbaseline.vulns.db import ImportStats, VulnDatabase

MAX_ERRORS = 50
PARALLEL_MIN_BYTES = 16 * 1024 * 1024  # below this, worker start-up costs more than it saves
IN_FLIGHT = 3  # decoded files waiting for the writer: bounds memory

_EMPTY = nvd.Batch(pages=[], records=[])
Prepared = tuple[str, Path, nvd.Batch, list[str]]  # kind, path, NVD records, errors
Packed = tuple[str, Path, bytes, list[str]]  # the same, the batch as msgpack bytes
_BATCH_ENCODE = msgspec.msgpack.Encoder().encode
_BATCH_DECODER = msgspec.msgpack.Decoder(nvd.Batch)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (import data holds no reference cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def prepare_packed(path: Path) -> Packed:
    """Worker entry point: ``prepare_path`` with the batch as msgpack bytes for the hand-over."""
    with collector_paused():
        kind, origin, batch, errors = prepare_path(path)
        return kind, origin, _BATCH_ENCODE(batch) if batch.records else b"", errors


def unpack(packed: Packed) -> Prepared:
    kind, path, data, errors = packed
    return kind, path, _BATCH_DECODER.decode(data) if data else _EMPTY, errors


def prepare_path(path: Path) -> Prepared:
    """Read one file; decode NVD records into a batch. Other kinds go back undecoded."""
    try:
        loaded = load(path)
    except VulnDataError as exc:
        return "error", path, _EMPTY, [str(exc)]
    if loaded.kind == "nvd-feed":
        try:
            return "nvd", path, nvd.prepare_feed(loaded.data), []
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return "error", path, _EMPTY, [f"{path}: not a valid NVD CVE API 2.0 file ({exc})"]
    if loaded.kind == "nvd-lines":
        batch, errors = nvd.prepare_lines(loaded.data)
        return "nvd", path, batch, [f"{path}:{e.removeprefix('line ')}" for e in errors]
    return loaded.kind, path, _EMPTY, []


class _InlineExecutor(Executor):
    """Runs work at submit time: small imports skip worker start-up."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller via the future
            future.set_exception(exc)
        return future


def _executor(paths: list[Path]) -> Executor:
    total = 0
    for p in paths:
        try:
            total += p.stat().st_size
        except OSError:
            pass
    workers = min(len(paths), os.cpu_count() or 1, 4)
    if workers < 2 or total < PARALLEL_MIN_BYTES:
        return _InlineExecutor()
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context(method))


class Importer:
    def __init__(self, db: VulnDatabase) -> None:
        from iotbaseline.vulns.db import ImportStats

        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.stats: ImportStats = ImportStats()
        self._known: dict[tuple[str, str], tuple[int, str]] = {}
        self._products: dict[tuple[str, str], int] = {}
        self._new_products: list[tuple[int, str, str]] = []
        self._stale: list[int] = []
        self._stale_written = 0
        self._next_rid = 1
        self._bulk = False
        self._sources_touched: set[str] = set()

    # ---- transaction --------------------------------------------------------------------
    def __enter__(self) -> Self:
        c = self.conn
        self._bulk = c.execute("SELECT COUNT(*) FROM vulns").fetchone()[0] == 0
        if self._bulk:
            # an empty database gains nothing from a write-ahead log: write pages once
            c.execute("PRAGMA journal_mode=DELETE")
        c.execute("PRAGMA synchronous=OFF")
        c.execute("PRAGMA temp_store=MEMORY")
        c.execute("PRAGMA cache_size=-262144")
        c.execute("BEGIN")
        self._known = {
            (source, vid): (rid, lm or "")
            for rid, source, vid, lm in c.execute("SELECT rid, source, id, last_modified FROM vulns")
        }
        self._products = {(v, p): pid for pid, v, p in c.execute(
            "SELECT pid, vendor, product FROM products")}
        self._next_rid = (c.execute("SELECT MAX(rid) FROM vulns").fetchone()[0] or 0) + 1
        self._next_page = (c.execute("SELECT MAX(page) FROM pages").fetchone()[0] or 0) + 1
        if self._bulk:
            for name in INDEX_NAMES:
                c.execute(f"DROP INDEX IF EXISTS {name}")
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        from iotbaseline.vulns.db import utc_now_text

        c = self.conn
        try:
            if exc_type is not None:
                c.execute("ROLLBACK")
                for statement in INDEXES:
                    c.execute(statement)
                return
            if self._stale:
                c.execute("CREATE TEMP TABLE IF NOT EXISTS stale(rid INTEGER PRIMARY KEY)")
                c.execute("DELETE FROM temp.stale")
                c.executemany("INSERT OR IGNORE INTO temp.stale(rid) VALUES (?)",
                              ((r,) for r in self._stale))
                for table in ("cpe_index", "osv_package", "osv_purl"):
                    c.execute(f"DELETE FROM {table} WHERE rid IN (SELECT rid FROM temp.stale)")
                # pages whose every record was replaced
                c.execute("DELETE FROM pages WHERE page NOT IN (SELECT DISTINCT page FROM vulns)")
            for statement in INDEXES:
                c.execute(statement)
            now = utc_now_text()
            for source in self._sources_touched:
                c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                          (f"{source}.last_import", now))
            c.execute("COMMIT")
        finally:
            c.execute("PRAGMA synchronous=NORMAL")
            if self._bulk:
                c.execute("PRAGMA journal_mode=WAL")

    # ---- files --------------------------------------------------------------------------
    def import_path(self, path: Path) -> None:
        self.import_paths([path])

    def import_paths(self, paths: Iterable[Path]) -> None:
        """Import files in the given order; decoding runs ahead in workers, a few files deep."""
        pending = list(paths)
        executor = _executor(pending)
        inline = isinstance(executor, _InlineExecutor)
        work = prepare_path if inline else prepare_packed
        queue: deque[Future[Any]] = deque()
        with collector_paused():
            try:
                position = 0
                while position < len(pending) or queue:
                    while position < len(pending) and len(queue) < IN_FLIGHT:
                        queue.append(executor.submit(work, pending[position]))
                        position += 1
                    done = queue.popleft().result()
                    kind, path, records, errors = done if inline else unpack(done)
                    for message in errors:
                        self._error(message)
                    if kind != "error":
                        self._import_prepared(kind, path, records, len(errors))
            finally:
                executor.shutdown(wait=True, cancel_futures=True)

    def _import_prepared(self, kind: str, path: Path, records: nvd.Batch,
                         bad_lines: int) -> None:
        before = (self.stats.new, self.stats.updated, self.stats.unchanged, self.stats.skipped)
        if kind == "nvd":
            self.stats.skipped += bad_lines
            self.add_nvd(records)
            source = "nvd"
        else:
            try:
                loaded = load(path)
                if kind in ("osv", "osv-zip"):
                    self.add_osv(osv_records(loaded))
                    source = "osv"
                else:
                    header, entries = kev_entries(loaded)
                    self.add_kev(header, entries)
                    source = "kev"
            except VulnDataError as exc:
                self._error(str(exc))
                return
        self.stats.files.append(str(path))
        after = (self.stats.new, self.stats.updated, self.stats.unchanged, self.stats.skipped)
        delta = [a - b for a, b in zip(after, before, strict=True)]
        self.conn.execute(
            "INSERT INTO imports(source, origin, at, new, updated, unchanged, skipped) "
            "VALUES (?, ?, datetime('now'), ?, ?, ?, ?)", (source, str(path), *delta))

    def _error(self, message: str) -> None:
        if len(self.stats.errors) < MAX_ERRORS:
            self.stats.errors.append(message)
        elif len(self.stats.errors) == MAX_ERRORS:
            self.stats.errors.append("… further errors not shown")

    # ---- records ------------------------------------------------------------------------
    def _admit(self, source: str, vid: str, last_modified: str) -> int | None:
        """Decide new/updated/unchanged/older; return the row id to write, or None."""
        prev = self._known.get((source, vid))
        if prev is not None:
            if last_modified == prev[1]:
                self.stats.unchanged += 1
                return None
            if last_modified < prev[1]:
                self.stats.skipped += 1
                return None
            self._stale.append(prev[0])
            self.stats.updated += 1
        else:
            self.stats.new += 1
        rid = self._next_rid
        self._next_rid += 1
        self._known[(source, vid)] = (rid, last_modified)
        return rid

    def _pid(self, vendor: str, product: str) -> int:
        key = (vendor, product)
        pid = self._products.get(key)
        if pid is None:
            pid = self._products[key] = len(self._products) + 1
            self._new_products.append((pid, vendor, product))
        return pid

    def _pages(self, batch: nvd.Batch) -> int:
        """Write a batch's pages; return the page number of its first page."""
        first = self._next_page
        self.conn.executemany("INSERT INTO pages(page, data) VALUES (?, ?)",
                              ((first + i, data) for i, data in enumerate(batch.pages)))
        self._next_page += len(batch.pages)
        return first

    def add_nvd(self, batch: nvd.Batch) -> None:
        """Write prepared NVD records (from files or from the API client)."""
        vuln_rows: list[tuple[Any, ...]] = []
        index_rows: list[tuple[Any, ...]] = []
        admit, pid_of, known_pid = self._admit, self._pid, self._products.get
        first = self._pages(batch)
        for vid, lm, published, status, page, off, size, entries in batch.records:
            rid = admit("nvd", vid, lm)
            if rid is None:
                continue
            vuln_rows.append((rid, vid, "nvd", published, lm, status, first + page, off, size,
                              None, None))
            if status != "Rejected":
                for vendor, product, versions, ranges in entries:
                    pid = known_pid((vendor, product)) or pid_of(vendor, product)
                    index_rows.append((pid, rid, versions, ranges))
        self._count("nvd", len(batch.records))
        self._write(vuln_rows)
        self.conn.executemany(
            "INSERT INTO cpe_index(pid, rid, versions, ranges) VALUES (?,?,?,?)", index_rows)

    def _write(self, vuln_rows: list[tuple[Any, ...]]) -> None:
        if len(self._stale) > self._stale_written:
            # replaced records leave now (the unique (source, id) index); their index rows are
            # removed in one pass at the end
            self.conn.executemany("DELETE FROM vulns WHERE rid=?",
                                  ((r,) for r in self._stale[self._stale_written:]))
            self._stale_written = len(self._stale)
        if self._new_products:
            self.conn.executemany("INSERT INTO products(pid, vendor, product) VALUES (?,?,?)",
                                  self._new_products)
            self._new_products = []
        self.conn.executemany(
            "INSERT INTO vulns(rid, id, source, published, last_modified, status, page, off, len, "
            "aliases, affected) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            vuln_rows)

    def _count(self, source: str, count: int) -> None:
        self.stats.by_source[source] = self.stats.by_source.get(source, 0) + count
        self._sources_touched.add(source)

    def add_osv(self, records: Iterable[dict[str, Any]]) -> None:
        admitted: list[tuple[int, osv.OsvRow]] = []
        count = 0
        for record in records:
            count += 1
            if not osv.is_osv_record(record):
                self.stats.skipped += 1
                self._error(f"not an OSV record (no id/modified), skipped: {str(record)[:80]}")
                continue
            row = osv.row_from_osv(record)
            rid = self._admit("osv", row.id, row.last_modified)
            if rid is not None:
                admitted.append((rid, row))
        batch = nvd.pack((row.id, "", "", "", nvd.encode_record(
            row.descriptions, row.metrics, row.weaknesses, row.refs), []) for _, row in admitted)
        first = self._pages(batch)
        vuln_rows: list[tuple[Any, ...]] = []
        packages: list[tuple[str, str, int]] = []
        purls: list[tuple[str, int]] = []
        for (rid, row), (_, _, _, _, page, off, size, _) in zip(admitted, batch.records,
                                                                strict=True):
            vuln_rows.append((rid, row.id, "osv", row.published, row.last_modified,
                              "Withdrawn" if row.withdrawn else "", first + page, off, size,
                              row.aliases, row.affected))
            if not row.withdrawn:
                packages.extend((eco, name, rid) for eco, name in row.packages)
                purls.extend((p, rid) for p in row.purls)
        self._count("osv", count)
        self._write(vuln_rows)
        self.conn.executemany("INSERT INTO osv_package(ecosystem, name, rid) VALUES (?,?,?)",
                              packages)
        self.conn.executemany("INSERT INTO osv_purl(purl, rid) VALUES (?,?)", purls)

    def add_kev(self, header: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        c = self.conn
        existing = {cve: tuple(rest) for cve, *rest in c.execute(
            "SELECT cve, date_added, due_date, ransomware, vendor, product, name FROM kev")}
        rows = []
        for e in entries:
            row = (str(e.get("dateAdded", "")), str(e.get("dueDate", "")),
                   str(e.get("knownRansomwareCampaignUse", "")), str(e.get("vendorProject", "")),
                   str(e.get("product", "")), str(e.get("vulnerabilityName", "")))
            cve = str(e["cveID"]).strip()
            old = existing.get(cve)
            if old == row:
                self.stats.unchanged += 1
                continue
            if old is None:
                self.stats.kev_new += 1
                self.stats.new += 1
            else:
                self.stats.kev_updated += 1
                self.stats.updated += 1
            rows.append((cve, *row))
            existing[cve] = row
        self._count("kev", len(entries))
        c.executemany("INSERT OR REPLACE INTO kev(cve, date_added, due_date, ransomware, vendor, "
                      "product, name) VALUES (?,?,?,?,?,?,?)", rows)
        version = header.get("catalogVersion")
        if version:
            c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('kev.catalog_version', ?)",
                      (str(version),))


__all__ = ["Importer", "LoadedFile", "prepare_path"]
