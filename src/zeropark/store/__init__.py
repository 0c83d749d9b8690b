"""Time-series store: raw readings, interval energy, rollups and data-quality findings.

Two back-ends behind one API, chosen by one URL (``ZEROPARK_STORE_URL``):
:class:`DuckDBStore` (embedded, default) and ``PostgresStore`` (server mode, in
:mod:`zeropark.store.postgres`, imported lazily: psycopg is an optional dependency).
"""

from zeropark.store.base import TimeseriesStore
from zeropark.store.duckdb import DuckDBStore, open_store

__all__ = ["DuckDBStore", "TimeseriesStore", "open_store"]
