"""Alembic migrations of the PostgreSQL store (``zeropark db upgrade``).

The embedded DuckDB store creates its tables on open (``CREATE TABLE IF NOT EXISTS``);
a server database is shared by many processes and lives for years, so its schema is
versioned: every change is a revision under ``versions/`` and :func:`upgrade` brings
a database (or one schema of it) to the newest revision. Concurrent callers are
serialised by a PostgreSQL advisory lock (see ``env.py``).
"""

from __future__ import annotations

from pathlib import Path

#: Key of the advisory lock held while migrating (any constant bigint; "zpmigr" in ASCII).
MIGRATION_LOCK_KEY = 0x7A706D69677272


def sqlalchemy_url(url: str) -> str:
    """SQLAlchemy URL for psycopg 3 from a ``postgresql://`` URL.

    Examples
    --------
    >>> sqlalchemy_url("postgresql://u:p@localhost:5432/zp")
    'postgresql+psycopg://u:p@localhost:5432/zp'
    """
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


def upgrade(url: str, *, schema: str | None = None, revision: str = "head") -> None:
    """Migrate the database at `url` (optionally one `schema` of it) to `revision`.

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/database``.
    schema : str, optional
        Schema to create and migrate (default: the connection's ``search_path``).
    revision : str
        Target revision, default the newest.
    """
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent))
    cfg.attributes["url"] = url
    cfg.attributes["schema"] = schema
    command.upgrade(cfg, revision)


def current(url: str, *, schema: str | None = None) -> str | None:
    """The revision the database at `url` is at, or None before the first upgrade."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine, pool, text

    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            if schema:
                connection.execute(text(f'SET search_path TO "{schema}"'))
            ctx = MigrationContext.configure(connection,
                                             opts={"version_table_schema": schema})
            return ctx.get_current_revision()
    finally:
        engine.dispose()
