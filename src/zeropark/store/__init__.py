"""Time-series store: raw readings, interval energy, rollups and data-quality findings."""

from zeropark.store.base import TimeseriesStore
from zeropark.store.duckdb import DuckDBStore, open_store

__all__ = ["DuckDBStore", "TimeseriesStore", "open_store"]
