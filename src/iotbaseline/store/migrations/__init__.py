"""Alembic migrations of the results store, shipped inside the package (applied by ``store.migrate``)."""
