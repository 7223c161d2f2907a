"""Alembic environment: runs on the engine s55 hands over (see s55.store.db.ensure_schema)."""

from alembic import context
from sqlalchemy import create_engine

config = context.config
engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
