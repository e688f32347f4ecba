"""The results store: open (and migrate) a database, look up what is already assessed, save a
scan. Writes are safe with several batch processes at once: rows shared between scans
(products, versions, images) are inserted with ON CONFLICT DO NOTHING and read back, and the
unique assessment key turns a lost race into "already assessed", never a duplicate."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from iotbaseline.store import migrate
from iotbaseline.store.records import (
    FINAL_STATUSES,
    AssessmentKey,
    ScanRecord,
    child_rows,
    compress,
    parse_document,
    summarize,
)
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
from iotbaseline.store.url import StoreUrlError, display_url, parse_store_url


class StoreError(Exception):
    """The store cannot be opened or written (bad URL, unreachable server, wrong schema)."""


@dataclass(frozen=True)
class SaveResult:
    assessment_id: int | None
    saved: bool  # False: an assessment with the same key was already there (kept)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the dashboard read while a batch writes; foreign keys for the cascades."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, migrate_schema: bool = True) -> Store:
        """Open the store at ``url`` (default: SQLite in the user data dir), creating the SQLite
        file's directory and bringing the schema to the newest revision."""
        try:
            parsed = parse_store_url(url)
        except StoreUrlError as exc:
            raise StoreError(str(exc)) from exc
        shown = display_url(parsed)
        if parsed.get_backend_name() == "sqlite":
            from pathlib import Path

            if parsed.database and parsed.database != ":memory:":
                try:
                    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"{shown}: cannot create its directory ({exc.strerror})") from exc
            engine = create_engine(parsed, connect_args={"timeout": 120})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
        try:
            if migrate_schema:
                migrate.upgrade(engine)
        except OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"{shown}: cannot open the store ({reason})") from exc
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"{shown}: cannot prepare the store ({type(exc).__name__})") from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # ---- reading what is there -------------------------------------------------------------

    def final_keys(self, keys: Iterable[AssessmentKey]) -> set[AssessmentKey]:
        """Those of ``keys`` already assessed to the end (done or partial): not to scan again."""
        keys = list(keys)
        if not keys:
            return set()
        found: set[AssessmentKey] = set()
        shas = sorted({k.sha256 for k in keys})
        with self.engine.connect() as conn:
            for start in range(0, len(shas), 500):
                rows = conn.execute(
                    select(Image.sha256, AssessmentRow.tool_version, AssessmentRow.catalogs,
                           AssessmentRow.options_key)
                    .join(AssessmentRow, AssessmentRow.image_id == Image.id)
                    .where(Image.sha256.in_(shas[start:start + 500]),
                           AssessmentRow.status.in_(FINAL_STATUSES))
                )
                found.update(AssessmentKey(*row) for row in rows)
        return found & set(keys)

    # ---- writing ---------------------------------------------------------------------------

    def save(self, record: ScanRecord, replace: bool = False) -> SaveResult:
        """Store one scan. An assessment with the same key that is final is kept unless
        ``replace``; an earlier error is always replaced."""
        doc: dict[str, Any] | None = parse_document(record.document) if record.document else None
        try:
            with self.engine.begin() as conn:
                return self._save(conn, record, doc, replace)
        except IntegrityError:
            # another writer stored the same key between our check and our insert
            return SaveResult(None, saved=False)

    def _insert_ignore(self, conn: Connection, table: Any, values: dict[str, Any]) -> None:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())

    def _product_id(self, conn: Connection, record: ScanRecord) -> int:
        ident = record.identity
        self._insert_ignore(conn, Product, {"vendor": ident.vendor[:200], "model": ident.model[:200],
                                            "category": ident.category[:50]})
        pid, category = conn.execute(
            select(Product.id, Product.category)
            .where(Product.vendor == ident.vendor[:200], Product.model == ident.model[:200])
        ).one()
        if category == "other" and ident.category != "other":
            conn.execute(Product.__table__.update().where(Product.id == pid)
                         .values(category=ident.category[:50]))
        return int(pid)

    def _version_id(self, conn: Connection, product_id: int, version: str) -> int:
        self._insert_ignore(conn, FirmwareVersion, {"product_id": product_id, "version": version[:200]})
        return int(conn.execute(
            select(FirmwareVersion.id)
            .where(FirmwareVersion.product_id == product_id, FirmwareVersion.version == version[:200])
        ).scalar_one())

    def _image_id(self, conn: Connection, record: ScanRecord) -> int:
        self._insert_ignore(conn, Image, {"sha256": record.key.sha256, "size": record.size,
                                          "name": record.image_name[:500]})
        return int(conn.execute(select(Image.id).where(Image.sha256 == record.key.sha256)).scalar_one())

    def _save(self, conn: Connection, record: ScanRecord, doc: dict[str, Any] | None,
              replace: bool) -> SaveResult:
        key = record.key
        version_id = self._version_id(conn, self._product_id(conn, record), record.identity.version)
        image_id = self._image_id(conn, record)
        existing = conn.execute(
            select(AssessmentRow.id, AssessmentRow.status).where(
                AssessmentRow.image_id == image_id, AssessmentRow.tool_version == key.tool_version,
                AssessmentRow.catalogs == key.catalogs, AssessmentRow.options_key == key.options_key)
        ).first()
        if existing is not None:
            old_id, old_status = existing
            if old_status in FINAL_STATUSES and not replace:
                return SaveResult(int(old_id), saved=False)
            delete_assessment(conn, int(old_id))
        run = (doc or {}).get("run") or {}
        new_id = int(conn.execute(
            AssessmentRow.__table__.insert().returning(AssessmentRow.id).values(
                image_id=image_id, version_id=version_id, tool_version=key.tool_version,
                catalogs=key.catalogs, options_key=key.options_key, options=record.options,
                status=record.status, error=record.error, identity_source=record.identity.source[:100],
                started=run.get("started"), seconds=record.seconds,
                stage_seconds=run.get("stage_seconds") or {},
                summary=summarize(doc) if doc else {},
                document=compress(record.document) if record.document else None,
                created_at=_dt.datetime.now(_dt.UTC),
            )
        ).scalar_one())
        if doc:
            tables = {"findings": FindingRow, "verdicts": VerdictRow, "components": ComponentRow,
                      "cves": CveRow}
            for name, rows in child_rows(doc).items():
                if rows:
                    conn.execute(tables[name].__table__.insert(),
                                 [{**row, "assessment_id": new_id} for row in rows])
        return SaveResult(new_id, saved=True)


def delete_assessment(conn: Connection, assessment_id: int) -> None:
    """An assessment and its rows (explicitly, so it does not depend on cascades being on)."""
    for table in (FindingRow, VerdictRow, ComponentRow, CveRow):
        conn.execute(delete(table).where(table.assessment_id == assessment_id))
    conn.execute(delete(AssessmentRow).where(AssessmentRow.id == assessment_id))
