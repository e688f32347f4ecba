"""Which database a store URL names: the SQLite default in the user data directory, a path, or a
SQLAlchemy URL (``sqlite:///…``, ``postgresql+psycopg://…``)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

ENV_STORE = "IOTBASELINE_STORE"


class StoreUrlError(ValueError):
    """The store URL cannot be used (unknown scheme, malformed)."""


def default_store_url() -> str:
    """$IOTBASELINE_STORE, else ``fleet.sqlite`` in the user's data directory."""
    override = os.environ.get(ENV_STORE)
    if override:
        return override
    path = Path(platformdirs.user_data_dir("iotbaseline", appauthor=False)) / "fleet.sqlite"
    return f"sqlite:///{path}"


def parse_store_url(value: str | None) -> URL:
    """A SQLAlchemy URL for ``value``; a bare path means an SQLite file, and ``postgresql://``
    means PostgreSQL through psycopg 3 (the driver this project installs)."""
    value = value or default_store_url()
    if "://" not in value:
        return make_url(f"sqlite:///{Path(value).expanduser().resolve()}")
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise StoreUrlError(f"{value!r}: not a database URL ({exc})") from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreUrlError(f"{url.render_as_string(hide_password=True)}: the store supports "
                            "sqlite:///PATH and postgresql+psycopg://… only")
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        raise StoreUrlError(f"{url.render_as_string(hide_password=True)}: use the psycopg (3) "
                            "driver: postgresql+psycopg://…")
    return url


def display_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)
