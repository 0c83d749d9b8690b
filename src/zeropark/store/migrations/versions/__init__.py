"""Alembic revisions of the PostgreSQL store, oldest first (``0001_initial``)."""
