"""The database schema and its migrations (one SQL script per version, applied in order).

The stdlib ``sqlite3`` is used directly rather than SQLAlchemy: the import is one bulk
``executemany`` per table inside one transaction and matching is a handful of indexed
SELECTs; an ORM would add per-row object cost to the 1M-row import and nothing we need.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 1

# Indexes are listed apart so a bulk import into an empty database can drop and rebuild them.
INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS vulns_source_id ON vulns(source, id)",
    "CREATE INDEX IF NOT EXISTS cpe_index_lookup ON cpe_index(pid)",
    "CREATE INDEX IF NOT EXISTS osv_package_lookup ON osv_package(name)",
    "CREATE INDEX IF NOT EXISTS osv_purl_lookup ON osv_purl(purl)",
)
INDEX_NAMES = ("vulns_source_id", "cpe_index_lookup", "osv_package_lookup", "osv_purl_lookup")

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE vulns(
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        source TEXT NOT NULL,            -- 'nvd' or 'osv'
        published TEXT,
        last_modified TEXT,
        status TEXT,
        page INTEGER NOT NULL,           -- the record is pages.data[off:off+len] once inflated:
        off INTEGER NOT NULL,            --   JSON [descriptions, metrics, weaknesses,
        len INTEGER NOT NULL,            --   references, configurations] in NVD's shapes
        aliases BLOB,                    -- OSV: JSON [id]
        affected BLOB                    -- OSV: the "affected" array, JSON
    );
    -- deflated pages of consecutive records (compressing small records one by one is slow)
    CREATE TABLE pages(page INTEGER PRIMARY KEY, data BLOB NOT NULL);
    -- every (vendor, product) a CVE names as vulnerable; looked up by pid
    CREATE TABLE products(
        pid INTEGER PRIMARY KEY, vendor TEXT NOT NULL, product TEXT NOT NULL,
        UNIQUE(vendor, product)
    );
    CREATE TABLE cpe_index(
        pid INTEGER NOT NULL,
        rid INTEGER NOT NULL,
        versions TEXT NOT NULL,          -- "v1 v2" exact versions (version[-update]), or ''
        ranges BLOB NOT NULL             -- JSON [[start_incl, start_excl, end_incl, end_excl]] or ''
    );
    CREATE TABLE osv_package(ecosystem TEXT NOT NULL, name TEXT NOT NULL, rid INTEGER NOT NULL);
    CREATE TABLE osv_purl(purl TEXT NOT NULL, rid INTEGER NOT NULL);
    CREATE TABLE kev(
        cve TEXT PRIMARY KEY, date_added TEXT, due_date TEXT, ransomware TEXT,
        vendor TEXT, product TEXT, name TEXT
    );
    CREATE TABLE imports(
        source TEXT NOT NULL, origin TEXT NOT NULL, at TEXT NOT NULL,
        new INTEGER, updated INTEGER, unchanged INTEGER, skipped INTEGER
    );
    """,
}


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION; refuse a database written by a newer tool."""
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise ValueError(
            f"database schema version {version} is newer than this tool supports "
            f"({SCHEMA_VERSION}); upgrade iotbaseline or use another --db"
        )
    for step in range(version + 1, SCHEMA_VERSION + 1):
        with conn:
            conn.executescript(MIGRATIONS[step])
            for statement in INDEXES:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version(version) VALUES (?)", (step,))
    return SCHEMA_VERSION
