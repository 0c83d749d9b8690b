"""Alembic environment: online migrations only, URL and schema from ``upgrade()``.

Run by :func:`zeropark.store.migrations.upgrade` (``zeropark db upgrade``). Without a
URL from the caller, ``ZEROPARK_STORE_URL`` is used.
"""

from __future__ import annotations

from alembic import context
from alembic.config import Config
from sqlalchemy import create_engine, pool, text

from zeropark.store.migrations import MIGRATION_LOCK_KEY, sqlalchemy_url


def run_migrations_online(config: Config) -> None:
    """Migrate the database named by `config` (``attributes["url"]`` or the settings)."""
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        from zeropark.settings import Settings

        url = Settings().store_url
    if not url:
        raise RuntimeError("no database URL: set ZEROPARK_STORE_URL=postgresql://…")
    from zeropark.store.postgres import split_schema

    url, in_url = split_schema(url)
    schema = config.attributes.get("schema") or in_url

    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        # One migrator at a time: two writers starting together must not both create tables.
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            if schema:
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                connection.execute(text(f'SET search_path TO "{schema}"'))
                connection.commit()
            context.configure(connection=connection, target_metadata=None,
                              version_table_schema=schema, transaction_per_migration=True)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            connection.commit()
    engine.dispose()


# Alembic sets ``context.config`` when it runs this file; a plain import (doctest
# collection) must not migrate anything.
if getattr(context, "config", None) is not None:
    run_migrations_online(context.config)
