"""Alembic environment: vigil runs migrations itself, on the connection it opened (vigil.historystore.db)."""

from alembic import context

from vigil.historystore.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` run by hand without vigil
    raise SystemExit("run migrations through vigil (vigil history --store URL upgrades the store)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
