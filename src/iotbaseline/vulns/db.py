"""The local vulnerability database: open/create/migrate, import files, report its state.

Scanning never needs the network: data gets here by ``import_files`` (files the user has) or by
``iotbaseline.vulns.update`` (downloads, which end in the same import code).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import platformdirs

from iotbaseline.vulns.schema import migrate

ENV_DB = "IOTBASELINE_DB"
STALE_AFTER_DAYS = 7
ATTRIBUTION = "This product uses data from the NVD API but is not endorsed or certified by the NVD."


class VulnDatabaseError(Exception):
    """The database cannot be opened, read or written."""


def default_db_path() -> Path:
    """$IOTBASELINE_DB, else ``vulns.sqlite`` in the user's data directory."""
    override = os.environ.get(ENV_DB)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("iotbaseline", appauthor=False)) / "vulns.sqlite"


@dataclass
class ImportStats:
    """Counts of one import. ``skipped``: older than what we hold, or not a usable record."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    kev_new: int = 0
    kev_updated: int = 0
    files: list[str] = field(default_factory=list)
    by_source: dict[str, int] = field(default_factory=dict)  # records seen per source
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, other: ImportStats) -> None:
        for name in ("new", "updated", "unchanged", "skipped", "kev_new", "kev_updated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.files += other.files
        for key, value in other.by_source.items():
            self.by_source[key] = self.by_source.get(key, 0) + value
        self.errors += other.errors

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class VulnDatabase:
    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path | None = None) -> VulnDatabase:
        """Open (creating and migrating when needed) the database at ``path``."""
        path = Path(path) if path is not None else default_db_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            migrate(conn)
        except (sqlite3.Error, OSError, ValueError) as exc:
            raise VulnDatabaseError(f"{path}: cannot open the vulnerability database ({exc})") from exc
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- meta ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.conn.execute("DELETE FROM meta WHERE key=?", (key,))
        else:
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # ---- import -------------------------------------------------------------------------
    def import_files(self, paths: Iterable[Path | str]) -> ImportStats:
        """Import data files (format detected per file). Idempotent; newer lastModified wins.
        A file that cannot be read is reported in ``errors``; the others are still imported."""
        from iotbaseline.vulns.importer import Importer

        started = time.perf_counter()
        with Importer(self) as importer:
            importer.import_paths([Path(p) for p in paths])
        stats = importer.stats
        stats.seconds = time.perf_counter() - started
        return stats

    # ---- status -------------------------------------------------------------------------
    def info(self, now: datetime | None = None) -> dict[str, Any]:
        """Sources, record counts, newest record dates, path and an age warning."""
        now = now or datetime.now(UTC)
        sources: dict[str, Any] = {}
        for source, count, newest_mod, newest_pub in self.conn.execute(
            "SELECT source, COUNT(*), MAX(last_modified), MAX(published) FROM vulns GROUP BY source"
        ):
            sources[source] = {
                "records": count,
                "newest_last_modified": newest_mod,
                "newest_published": newest_pub,
                "last_import": self.get_meta(f"{source}.last_import"),
                "last_update": self.get_meta(f"{source}.last_update"),
            }
        kev_count, kev_newest = self.conn.execute(
            "SELECT COUNT(*), MAX(date_added) FROM kev").fetchone()
        if kev_count:
            sources["kev"] = {
                "records": kev_count,
                "newest_date_added": kev_newest,
                "catalog_version": self.get_meta("kev.catalog_version"),
                "last_import": self.get_meta("kev.last_import"),
                "last_update": self.get_meta("kev.last_update"),
            }
        ranges = self.conn.execute("SELECT COUNT(*) FROM cpe_index").fetchone()[0]
        newest = max((s["newest_last_modified"] or "" for k, s in sources.items() if k != "kev"),
                     default="")
        warning = None
        age_days: float | None = None
        if not sources:
            warning = "the database is empty: run 'iotbaseline db import' or 'iotbaseline db update'"
        elif newest:
            age_days = (now - _parse_time(newest)).total_seconds() / 86400
            if age_days > STALE_AFTER_DAYS:
                warning = (f"newest record is {age_days:.0f} days old (> {STALE_AFTER_DAYS}): "
                           "run 'iotbaseline db update' for current data")
        return {
            "path": str(self.path),
            "schema_version": self.conn.execute(
                "SELECT MAX(version) FROM schema_version").fetchone()[0],
            "sources": sources,
            "records": sum(s["records"] for k, s in sources.items() if k != "kev"),
            "cpe_criteria": ranges,
            "newest_record": newest or None,
            "age_days": None if age_days is None else round(age_days, 1),
            "warning": warning,
            "nvd_cursor": self.get_meta("nvd.cursor"),
            "attribution": ATTRIBUTION,
        }


def _parse_time(text: str) -> datetime:
    """NVD "2024-10-21T17:35:12.110", OSV "2024-01-02T03:04:05Z" → aware datetime (UTC)."""
    text = text.strip().replace("Z", "+00:00")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = datetime.fromisoformat(text[:19])
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def utc_now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
