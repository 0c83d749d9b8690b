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
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from zeropark.errors import StoreError
from zeropark.store._duckdb_schema import VIEWS, _table_kinds, check_store_file, schema_version

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


def _refuse_foreign_file(path: Path) -> None:
    """Raise unless `path` is a zeropark store (looked at read-only, nothing written).

    A store has ``schema_info`` (version 2) or the version-1 ``readings`` table, or at
    least the ``parks`` and ``meters`` tables; an empty file or any other DuckDB
    database is refused, so that compacting never turns it into a store.
    """
    check_store_file(path, create=False)  # not a DuckDB file at all
    if path.stat().st_size == 0:
        raise StoreError(f"{path} is empty, not a zeropark store; refusing to compact it")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as err:
        raise StoreError(f"cannot open store {path}: {err}") from err
    try:
        kinds = _table_kinds(con)
        if schema_version(con) is None and not {"parks", "meters"} <= kinds.keys():
            raise StoreError(f"{path} is a DuckDB file without zeropark tables, not a "
                             "zeropark store; refusing to compact it")
    finally:
        con.close()


def compact_store(path: str | Path) -> CompactReport:
    """Copy a DuckDB store into a fresh, sorted file and put it in place of the old one.

    Parameters
    ----------
    path : str or pathlib.Path
        The store file, or a symbolic link to it (the target is compacted, the link
        kept). It must not be open in another process (DuckDB refuses).

    Returns
    -------
    CompactReport
        ``before``: size of the file as given, before any migration; ``after``: size of
        the compacted file [bytes].

    Raises
    ------
    StoreError
        If the file is missing, not a zeropark store, or locked by another process.

    Notes
    -----
    The copy is built next to the store (``<name>.compact``, with the store's file
    mode) and moved over it with ``os.replace`` only once complete, so an interruption
    leaves the old file intact. Table definitions (keys, constraints) are copied with
    ``COPY FROM DATABASE … (SCHEMA)`` and the views are created in the copy, so the
    swapped-in file is complete. The swap happens while the connection to the old file
    is still open: DuckDB's lock on it keeps other writers out from the copy until the
    new file is in place (a writer that opens the path afterwards gets the new file).
    """
    from zeropark.store.duckdb import BLOCK_SIZE, DuckDBStore

    given = Path(path)
    if not given.is_file():
        raise StoreError(f"no store file {given}")
    path = given.resolve()  # a link stays a link to the compacted file
    before = path.stat().st_size
    _refuse_foreign_file(path)
    with DuckDBStore(path):  # migrates an old layout first
        pass
    fresh = path.with_name(path.name + ".compact")
    fresh.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as err:
        raise StoreError(f"cannot open store {path}: {err}") from err
    try:
        # Anything still in the old file's write-ahead log goes into the file now: the
        # log is named after the path and would otherwise be replayed into the new file.
        con.execute("CHECKPOINT")
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
        # Unqualified names in a view resolve in the view's own database, so views
        # created with the copy as the current catalog work when it is opened alone.
        con.execute("USE zp_fresh")
        try:
            con.execute(VIEWS)
        finally:
            con.execute(f'USE "{source}"')
        con.execute("DETACH zp_fresh")
        shutil.copymode(path, fresh)
        os.replace(fresh, path)
    except (duckdb.Error, OSError) as err:
        fresh.unlink(missing_ok=True)
        raise StoreError(f"compacting {path} failed: {err}") from err
    finally:
        con.close()
    return CompactReport(before, path.stat().st_size)
