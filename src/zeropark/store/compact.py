"""Rewrite an embedded DuckDB store so that its big tables are stored sorted and compact.

Bulk loads store each meter's rows together, which DuckDB compresses to a few bytes per
reading (delta-coded times, bit-packed values). Live ingest writes a little of every meter
every few seconds, so its rows interleave and compress several times worse, and rows
replaced by re-derivations leave free blocks that DuckDB reuses but never returns to the
file system. :func:`compact_store` copies the store into a fresh file with
``reading_data`` and ``interval_data`` sorted by meter and time and ``rollup_data`` by
period, meter and time, then swaps the files. Run it when nothing else has the store
open (``zeropark db compact``), e.g. nightly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from zeropark.errors import StoreError

#: Sort keys of the big tables (the order the bulk writers use).
SORT_KEYS: dict[str, str] = {
    "reading_data": "meter_key, ts, seq",
    "interval_data": "meter_key, interval_start",
    "rollup_data": "period, meter_key, period_start",
}


@dataclass(frozen=True, slots=True)
class CompactReport:
    """Sizes of the store file before and after :func:`compact_store`, in bytes."""

    before: int
    after: int


def compact_store(path: str | Path) -> CompactReport:
    """Copy a DuckDB store into a fresh, sorted file and put it in place of the old one.

    Parameters
    ----------
    path : str or pathlib.Path
        The store file. It must not be open in another process (DuckDB refuses).

    Returns
    -------
    CompactReport

    Raises
    ------
    StoreError
        If the file is missing, not a store, or locked by another process.

    Notes
    -----
    The copy is built next to the store (``<name>.compact``) and moved over it with
    ``os.replace`` only once complete, so an interruption leaves the old file intact.
    Table definitions (keys, constraints) are copied with ``COPY FROM DATABASE … (SCHEMA)``;
    the views are re-created when the store is next opened.
    """
    from zeropark.store.duckdb import BLOCK_SIZE, DuckDBStore

    path = Path(path)
    if not path.is_file():
        raise StoreError(f"no store file {path}")
    with DuckDBStore(path):  # migrates an old layout and checks the file first
        pass
    before = path.stat().st_size
    fresh = path.with_name(path.name + ".compact")
    fresh.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as err:
        raise StoreError(f"cannot open store {path}: {err}") from err
    try:
        source = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND "
            "table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1",
            [source]).fetchall()]
        views = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND "
            "table_schema = 'main' AND table_type = 'VIEW'", [source]).fetchall()]
        target = str(fresh).replace("'", "''")
        con.execute(f"ATTACH '{target}' AS zp_fresh (BLOCK_SIZE {BLOCK_SIZE})")
        con.execute(f'COPY FROM DATABASE "{source}" TO zp_fresh (SCHEMA)')
        for view in views:
            con.execute(f'DROP VIEW IF EXISTS zp_fresh.main."{view}"')
        con.execute("BEGIN TRANSACTION")
        for table in tables:
            order = f" ORDER BY {SORT_KEYS[table]}" if table in SORT_KEYS else ""
            con.execute(f'INSERT INTO zp_fresh.main."{table}" '
                        f'SELECT * FROM "{source}".main."{table}"{order}')
        con.execute("COMMIT")
        con.execute("DETACH zp_fresh")
    except duckdb.Error as err:
        fresh.unlink(missing_ok=True)
        raise StoreError(f"compacting {path} failed: {err}") from err
    finally:
        con.close()
    os.replace(fresh, path)
    with DuckDBStore(path):  # re-creates the views in the new file
        pass
    return CompactReport(before, path.stat().st_size)
