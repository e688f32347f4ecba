"""Alembic environment: always run by ``iotbaseline.store.migrate`` on a connection it opened
(and locked), never from an ``alembic.ini`` or the network."""

from __future__ import annotations

from alembic import context

from iotbaseline.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable through the alembic command line
    raise RuntimeError("run the store migrations through iotbaseline.store.migrate")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
