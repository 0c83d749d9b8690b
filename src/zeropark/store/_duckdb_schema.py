"""Physical layout of the DuckDB store (schema version 2) and the migration from version 1.

Version 2 keeps the big tables small on disk (issue 7: at most 6 bytes per 15-minute
point for raw readings, intervals and rollups together). DuckDB compresses each column
per row group, so the layout gives it columns that compress to almost nothing:

* no ART index (``PRIMARY KEY``) on the big tables: an index costs tens of bytes per
  row; the uniqueness a key used to enforce is kept by construction (a derived row is
  replaced by delete-then-insert in one transaction);
* integer ``meter_key`` instead of ``park_id`` + ``meter_id`` text per row
  (``meter_keys`` maps them; keys are never deleted or reused);
* per-batch instead of per-row metadata: ``source`` and ``ingested_at`` live in
  ``ingest_batches``, one row per distinct source per ``insert_readings`` call;
* NULL instead of a repeated value: ``value_raw`` is NULL when it equals ``value``,
  ``unit_raw`` NULL when it is the meter's ``canonical_unit``;
* decimal readings as integers: a ``value`` that is exactly ``value_int / 10**value_scale``
  is stored as those two (``value`` NULL), which DuckDB bit-packs as deltas of a sorted
  run (a register read to 0.01 kWh: about 1.8 bytes per reading, 2.7 as a DOUBLE); see
  :func:`~zeropark.store._bulk.scaled_values` and :func:`value_sql`. ``value_scale`` is
  constant per meter and write, so it is declared RLE: naming the method spares DuckDB
  trying the others (about 10 ms per 3.5 M rows written, DuckDB 2.0.1);
* rows inserted sorted by (``meter_key``, time) within each write, so keys form runs
  and timestamps have constant steps.

Sorting holds within one write only. DuckDB bit-packs a timestamp column in groups of
2,048 values, and a group that spans two meters' runs costs about 11 kB; many small
writes therefore compress worse (measured with DuckDB 2.0.1, 100 meters × one year of
15-minute readings, raw readings only: 3.0 B/point in one write, 9.5 B/point in 12
monthly writes, 8.4 B/point in 365 daily writes). Deleted rows (re-derived intervals)
keep their blocks until DuckDB reuses them; the file does not shrink.

The views ``readings``, ``intervals`` and ``rollups`` show the version-1 columns, so SQL
written against those tables keeps working (reads only: write through the store).
Code that reads ``reading_data`` itself takes the value from :func:`value_sql`.
Two markers keep the raw columns exact in the rare cases the NULL convention cannot
express: a stored ``value_raw`` of NaN means "no raw value" (while ``value`` has one),
and a stored ``unit_raw`` of :data:`~zeropark.store._bulk.UNIT_NULL` means "no unit"
(while the meter has a canonical one).

Version 1 (real tables ``readings``, ``intervals``, ``rollups`` with text keys) is
migrated when such a file is opened read-write: one transaction copies the rows into
the version-2 tables, drops the old tables and creates the views. A read-only open of
a version-1 file raises :class:`~zeropark.errors.StoreError` asking for one read-write
open first. A version-2 file written before ``value_int`` and ``value_scale`` existed
gets the two columns (all NULL: its values stay in ``value``) the same way, and one
written while batch ids were ``INTEGER`` gets them widened to ``BIGINT`` (live ingest
adds a batch per source and flush: 2³¹ of them run out within months).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow.compute as pc

from zeropark.errors import StoreError
from zeropark.store._bulk import MAX_SCALE, UNIT_NULL, scaled_values

#: Schema version written by this code (``schema_info.version``).
SCHEMA_VERSION = 2

#: Tables whose layout is the same in versions 1 and 2.
COMMON_TABLES = """
CREATE TABLE IF NOT EXISTS parks (
    park_id VARCHAR PRIMARY KEY, name VARCHAR, timezone VARCHAR, model_toml VARCHAR,
    saved_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS meters (
    park_id VARCHAR, meter_id VARCHAR, medium VARCHAR, quantity VARCHAR, unit VARCHAR,
    canonical_unit VARCHAR, kind VARCHAR, direction VARCHAR, building_id VARCHAR,
    enterprise_id VARCHAR, submeter_of VARCHAR, is_virtual BOOLEAN,
    PRIMARY KEY (park_id, meter_id));
CREATE TABLE IF NOT EXISTS ingest_files (
    park_id VARCHAR, sha256 VARCHAR, path VARCHAR, n_rows BIGINT, n_new BIGINT,
    ingested_at TIMESTAMP, PRIMARY KEY (park_id, sha256));
CREATE TABLE IF NOT EXISTS activity_records (
    park_id VARCHAR NOT NULL, record_id VARCHAR NOT NULL, enterprise_id VARCHAR NOT NULL,
    period_start DATE NOT NULL, period_end DATE NOT NULL, record_json VARCHAR NOT NULL,
    imported_from VARCHAR, imported_at TIMESTAMP, PRIMARY KEY (park_id, record_id));
CREATE TABLE IF NOT EXISTS quality_issues (
    park_id VARCHAR NOT NULL, meter_id VARCHAR NOT NULL, code VARCHAR NOT NULL,
    severity VARCHAR, message VARCHAR, start_ts VARCHAR, end_ts VARCHAR, data_json VARCHAR);
CREATE TABLE IF NOT EXISTS dead_letters (
    park_id VARCHAR NOT NULL, received_at TIMESTAMP NOT NULL, source VARCHAR NOT NULL,
    payload BLOB, reason VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS stream_events (
    park_id VARCHAR NOT NULL, received_at TIMESTAMP NOT NULL, source VARCHAR NOT NULL,
    event VARCHAR NOT NULL, data_json VARCHAR);
CREATE TABLE IF NOT EXISTS derive_pending (
    park_id VARCHAR NOT NULL, meter_id VARCHAR NOT NULL, PRIMARY KEY (park_id, meter_id));
"""

#: Version-2 tables (see the module docstring).
V2_TABLES = """
CREATE TABLE IF NOT EXISTS schema_info (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meter_keys (
    meter_key INTEGER PRIMARY KEY, park_id VARCHAR NOT NULL, meter_id VARCHAR NOT NULL,
    canonical_unit VARCHAR, UNIQUE (park_id, meter_id));
CREATE TABLE IF NOT EXISTS ingest_batches (
    batch_id BIGINT PRIMARY KEY, park_id VARCHAR, source VARCHAR, ingested_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS reading_data (
    meter_key INTEGER NOT NULL, ts TIMESTAMP NOT NULL,
    value DOUBLE,       -- NULL: in value_int (or missing, then value_int is NULL too)
    value_int BIGINT,   -- value = value_int / 10**value_scale exactly, or NULL
    value_scale TINYINT USING COMPRESSION rle,  -- k, 0…6: one per meter and write
    value_raw DOUBLE,   -- NULL: equal to value; NaN: no raw value
    unit_raw VARCHAR,   -- NULL: the meter's canonical_unit; chr(0): no unit
    batch_id BIGINT NOT NULL, source_row BIGINT, seq BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS interval_data (
    meter_key INTEGER NOT NULL, interval_start TIMESTAMP NOT NULL,
    duration_s INTEGER NOT NULL, energy DOUBLE, estimated BOOLEAN NOT NULL, flags VARCHAR);
CREATE TABLE IF NOT EXISTS rollup_data (
    meter_key INTEGER NOT NULL, period VARCHAR NOT NULL, period_start TIMESTAMP NOT NULL,
    energy DOUBLE, estimated_energy DOUBLE, n_intervals INTEGER, n_missing INTEGER);
CREATE TABLE IF NOT EXISTS derive_state (
    park_id VARCHAR, meter_id VARCHAR, last_seq BIGINT, last_ts BIGINT, last_value DOUBLE,
    step_ns BIGINT, nominal_ns BIGINT, appendable BOOLEAN, PRIMARY KEY (park_id, meter_id));
"""

#: Columns of ``reading_data`` in the order writes list them (files migrated from an
#: older layout may have them in another order, so inserts name them).
READING_DATA_COLUMNS = ("meter_key", "ts", "value", "value_int", "value_scale", "value_raw",
                        "unit_raw", "batch_id", "source_row", "seq")
#: Columns ``ALTER TABLE`` adds to a version-2 file written before they existed.
_ADDED_COLUMNS = {"value_int": "BIGINT", "value_scale": "TINYINT USING COMPRESSION rle"}


def value_sql(alias: str) -> str:
    """SQL for the canonical value of ``reading_data`` row `alias`: the float64 it was.

    ``value_int::DOUBLE / 1e{k}`` is one correctly rounded float64 division, the same
    that :func:`~zeropark.store._bulk.scaled_values` checked at write time, so the
    result has the bits of the value received. NULL when the reading has no value.

    Examples
    --------
    >>> value_sql("d")[:50]
    'coalesce(d.value, d.value_int::DOUBLE / [1e0, 1e1,'
    """
    powers = ", ".join(f"1e{k}" for k in range(MAX_SCALE + 1))
    return (f"coalesce({alias}.value, "
            f"{alias}.value_int::DOUBLE / [{powers}][{alias}.value_scale + 1])")


#: The version-1 tables as views over the version-2 tables (read-only).
VIEWS = f"""
CREATE OR REPLACE VIEW readings AS
SELECT k.park_id, k.meter_id, d.ts, {value_sql("d")} AS value,
       CASE WHEN d.value_raw IS NULL THEN {value_sql("d")}
            WHEN isnan(d.value_raw) THEN NULL ELSE d.value_raw END AS value_raw,
       CASE WHEN d.unit_raw IS NULL THEN k.canonical_unit
            WHEN d.unit_raw = chr({ord(UNIT_NULL)}) THEN NULL ELSE d.unit_raw END AS unit_raw,
       b.source, d.source_row, b.ingested_at, d.seq
FROM reading_data d
JOIN meter_keys k ON k.meter_key = d.meter_key
JOIN ingest_batches b ON b.batch_id = d.batch_id;
CREATE OR REPLACE VIEW intervals AS
SELECT k.park_id, k.meter_id, d.interval_start, d.duration_s, d.energy, d.estimated,
       coalesce(d.flags, '') AS flags
FROM interval_data d JOIN meter_keys k ON k.meter_key = d.meter_key;
CREATE OR REPLACE VIEW rollups AS
SELECT k.park_id, k.meter_id, d.period, d.period_start, d.energy, d.estimated_energy,
       d.n_intervals, d.n_missing
FROM rollup_data d JOIN meter_keys k ON k.meter_key = d.meter_key;
"""

#: Copy a version-1 file's keys and batches into the version-2 tables (step 1 of 3).
MIGRATE_V1_KEYS = """
INSERT INTO meter_keys
SELECT row_number() OVER (ORDER BY u.park_id, u.meter_id)::INTEGER, u.park_id, u.meter_id,
       m.canonical_unit
FROM (SELECT park_id, meter_id FROM readings UNION SELECT park_id, meter_id FROM intervals
      UNION SELECT park_id, meter_id FROM rollups UNION SELECT park_id, meter_id FROM meters
     ) u
LEFT JOIN meters m ON m.park_id = u.park_id AND m.meter_id = u.meter_id;
INSERT INTO ingest_batches
SELECT row_number() OVER (ORDER BY ingested_at, park_id, source)::BIGINT, park_id, source,
       ingested_at
FROM (SELECT DISTINCT park_id, source, ingested_at FROM readings);
"""

#: A version-1 file's readings of meter keys ? … ? in version-2 columns, value still as
#: DOUBLE (step 2: :func:`_migrate_v1_readings` encodes it and inserts).
MIGRATE_V1_READINGS = f"""
SELECT k.meter_key, r.ts, r.value,
       CASE WHEN r.value_raw IS NOT DISTINCT FROM r.value THEN NULL
            WHEN r.value_raw IS NULL THEN 'NaN'::DOUBLE ELSE r.value_raw END AS value_raw,
       CASE WHEN r.unit_raw IS NOT DISTINCT FROM k.canonical_unit THEN NULL
            WHEN r.unit_raw IS NULL THEN chr({ord(UNIT_NULL)}) ELSE r.unit_raw END AS unit_raw,
       b.batch_id, r.source_row, r.seq
FROM readings r
JOIN meter_keys k ON k.park_id = r.park_id AND k.meter_id = r.meter_id
JOIN ingest_batches b ON b.park_id = r.park_id AND b.source IS NOT DISTINCT FROM r.source
                     AND b.ingested_at = r.ingested_at
WHERE k.meter_key BETWEEN ? AND ?
ORDER BY k.meter_key, r.ts, r.seq
"""

#: Copy the derived rows and drop the version-1 tables (step 3).
MIGRATE_V1_DERIVED = """
INSERT INTO interval_data
SELECT k.meter_key, i.interval_start, i.duration_s, i.energy, i.estimated, nullif(i.flags, '')
FROM intervals i JOIN meter_keys k ON k.park_id = i.park_id AND k.meter_id = i.meter_id
ORDER BY k.meter_key, i.interval_start;
INSERT INTO rollup_data
SELECT k.meter_key, r.period, r.period_start, r.energy, r.estimated_energy, r.n_intervals,
       r.n_missing
FROM rollups r JOIN meter_keys k ON k.park_id = r.park_id AND k.meter_id = r.meter_id
ORDER BY r.period, k.meter_key, r.period_start;
DROP TABLE readings;
DROP TABLE intervals;
DROP TABLE rollups;
DROP SEQUENCE IF EXISTS reading_seq;
"""
#: Version-1 readings copied per step of the migration (bounds its memory: ~100 B a row).
_MIGRATE_ROWS = 4_000_000


def _table_kinds(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Tables and views of the main schema: name → ``BASE TABLE`` or ``VIEW``."""
    rows = con.execute("SELECT table_name, table_type FROM information_schema.tables "
                       "WHERE table_schema = 'main' AND table_catalog = current_database()"
                       ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def _missing_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Columns of :data:`_ADDED_COLUMNS` that ``reading_data`` lacks (all if no table)."""
    rows = con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = "
                       "'reading_data' AND schema_name = 'main' AND "
                       "database_name = current_database()").fetchall()
    have = {str(r[0]) for r in rows}
    return [c for c in _ADDED_COLUMNS if c not in have]


def _widen_batch_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Make ``batch_id`` BIGINT in a version-2 file written while it was INTEGER.

    DuckDB cannot change the type of a primary-key column, so ``ingest_batches`` is
    rebuilt (it has one row per batch, few next to the readings); ``reading_data`` is
    altered in place. The ``readings`` view is dropped first and re-created by the
    caller. Runs inside the caller's transaction.
    """
    rows = con.execute("SELECT table_name, data_type FROM duckdb_columns() WHERE "
                       "column_name = 'batch_id' AND schema_name = 'main' AND "
                       "database_name = current_database()").fetchall()
    narrow = {str(table) for table, kind in rows if kind != "BIGINT"}
    if not narrow:
        return
    if _table_kinds(con).get("readings") == "VIEW":
        con.execute("DROP VIEW readings")
    if "reading_data" in narrow:
        con.execute("ALTER TABLE reading_data ALTER COLUMN batch_id TYPE BIGINT")
    if "ingest_batches" in narrow:
        con.execute("ALTER TABLE ingest_batches RENAME TO zp_old_batches")
        con.execute(V2_TABLES)  # the new ingest_batches (the other tables exist)
        con.execute("INSERT INTO ingest_batches (batch_id, park_id, source, ingested_at) "
                    "SELECT batch_id, park_id, source, ingested_at FROM zp_old_batches")
        con.execute("DROP TABLE zp_old_batches")


def _migrate_v1_readings(con: duckdb.DuckDBPyConnection) -> None:
    """Copy a version-1 file's readings, values encoded by ``scaled_values`` (step 2).

    Meters go in key order, a few million readings at a time; each step's rows are
    sorted by (meter key, ts, seq) as :data:`MIGRATE_V1_READINGS` gives them.
    """
    counts = con.execute("SELECT k.meter_key, count(*) AS n FROM readings r JOIN meter_keys k "
                         "ON k.park_id = r.park_id AND k.meter_id = r.meter_id "
                         "GROUP BY k.meter_key ORDER BY k.meter_key").fetchnumpy()
    keys = np.asarray(counts["meter_key"], dtype="int64")
    n = np.asarray(counts["n"], dtype="int64")
    step = (np.cumsum(n) - n) // _MIGRATE_ROWS  # step of each meter's first reading
    names = ", ".join(READING_DATA_COLUMNS)
    for s in np.unique(step):
        in_step = keys[step == s]
        table = con.sql(MIGRATE_V1_READINGS, params=[int(in_step[0]), int(in_step[-1])]
                        ).to_arrow_table()
        column = table.column("value").combine_chunks()
        stored, ints, scale = scaled_values(
            column.to_numpy(zero_copy_only=False),
            table.column("meter_key").to_numpy(),
            null=pc.is_null(column).to_numpy(zero_copy_only=False))
        table = (table.set_column(table.schema.get_field_index("value"), "value", stored)
                 .append_column("value_int", ints).append_column("value_scale", scale))
        con.register("zp_v1_readings", table)
        try:
            con.execute(f"INSERT INTO reading_data ({names}) SELECT {names} "
                        "FROM zp_v1_readings")
        finally:
            con.unregister("zp_v1_readings")


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """Schema version of an open store file: 2, 1, or None for an empty file.

    A file with ``schema_info`` has that table's version; one with a real ``readings``
    table but no ``schema_info`` is version 1.
    """
    kinds = _table_kinds(con)
    if "schema_info" in kinds:
        row = con.execute("SELECT max(version) FROM schema_info").fetchone()
        if row is not None and row[0] is not None:
            return int(row[0])
    if kinds.get("readings") == "BASE TABLE":
        return 1
    return None


def ensure_schema(con: duckdb.DuckDBPyConnection, *, read_only: bool, path: str) -> None:
    """Create the version-2 schema, migrate a version-1 file, or check a read-only one.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection to the store file.
    read_only : bool
        Whether the file was opened read-only (then nothing is written).
    path : str
        File name, for messages.

    Raises
    ------
    StoreError
        If the file is version 1, or version 2 without ``value_int``, and opened
        read-only; or written by a newer zeropark.
    """
    version = schema_version(con)
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(f"store {path} has schema version {version}; this zeropark reads "
                         f"version {SCHEMA_VERSION} (upgrade zeropark)")
    if read_only:
        if version == 1:
            raise StoreError(f"store {path} has the version-1 layout; open it once "
                             "read-write to migrate it to version 2 (e.g. `zeropark ingest`, "
                             "`zeropark serve` or `zeropark db compact`)")
        if version == SCHEMA_VERSION and _missing_columns(con):
            raise StoreError(f"store {path} predates the scaled-integer reading columns; "
                             "open it once read-write to add them (e.g. `zeropark ingest`, "
                             "`zeropark serve` or `zeropark db compact`)")
        return
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(COMMON_TABLES)
        con.execute(V2_TABLES)
        for name in _missing_columns(con):  # a version-2 file from before they existed
            con.execute(f"ALTER TABLE reading_data ADD COLUMN {name} {_ADDED_COLUMNS[name]}")
        _widen_batch_ids(con)
        if version == 1:
            con.execute(MIGRATE_V1_KEYS)
            _migrate_v1_readings(con)
            con.execute(MIGRATE_V1_DERIVED)
        con.execute(VIEWS)
        if version != SCHEMA_VERSION:
            con.execute("DELETE FROM schema_info")
            con.execute("INSERT INTO schema_info VALUES (?)", [SCHEMA_VERSION])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    if version == 1:
        con.execute("CHECKPOINT")  # give the old tables' blocks back


_MAGIC = b"DUCK"


def check_store_file(path: Path, *, create: bool) -> None:
    """Refuse paths that are not (and cannot become) a DuckDB file, before DuckDB sees them."""
    if path.is_dir():
        raise StoreError(f"store path {path} is a directory; give a file such as "
                         f"{path / 'zeropark.duckdb'}")
    if path.is_file() and path.stat().st_size > 0:
        with open(path, "rb") as handle:
            header = handle.read(12)
        if header[8:12] != _MAGIC:
            raise StoreError(f"{path} exists and is not a DuckDB store; refusing to use it "
                             "(pick another --store / ZEROPARK_STORE_PATH)")
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create the folder of store {path}: "
                             f"{err.strerror}") from err
