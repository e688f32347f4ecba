"""The shipped Alembic migrations, up and down, on SQLite and on a real PostgreSQL server; after
the upgrade the database matches the SQLAlchemy models exactly (Alembic's own comparison)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from iotbaseline.store import migrate
from iotbaseline.store.schema import Base
from iotbaseline.store.url import parse_store_url

TABLES = {"products", "firmware_versions", "images", "assessments", "findings", "verdicts",
          "components", "cves"}


def _round_trip(url: str) -> None:
    engine = create_engine(parse_store_url(url))
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision() == "0001"
        assert TABLES <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert differences == [], differences
        indexes = {i["name"] for i in inspect(engine).get_indexes("verdicts")}
        assert "ix_verdicts_requirement" in indexes
        migrate.downgrade(engine, "base")
        assert migrate.current_revision(engine) is None
        assert not TABLES & set(inspect(engine).get_table_names())
        migrate.upgrade(engine)  # and up again on the emptied database
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_up_and_down_on_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'm.sqlite'}")


@pytest.mark.network
def test_migrations_up_and_down_on_postgresql(pg) -> None:  # type: ignore[no-untyped-def]
    _round_trip(pg.create_database("fleet_migrations"))


def test_store_urls() -> None:
    from iotbaseline.store.url import StoreUrlError

    assert parse_store_url("postgresql://u@127.0.0.1/db").drivername == "postgresql+psycopg"
    assert parse_store_url("some/dir/fleet.db").drivername == "sqlite"
    with pytest.raises(StoreUrlError, match="supports"):
        parse_store_url("mysql://u@127.0.0.1/db")


def test_a_store_that_cannot_be_reached_is_a_one_line_error() -> None:
    from iotbaseline.store import Store, StoreError

    with pytest.raises(StoreError) as info:
        Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert "cannot open the store" in str(info.value) and "\n" not in str(info.value)
