"""Embedded store in one DuckDB file (the default back-end).

The file has schema version 2 (:mod:`zeropark.store._duckdb_schema`): compact
``reading_data``, ``interval_data`` and ``rollup_data`` tables keyed by integer meter
keys, without indexes, and the views ``readings``, ``intervals`` and ``rollups`` with the
columns of :mod:`zeropark.store.base` for SQL readers. A year of 15-minute register data
with its intervals and hour/day/month rollups takes about 5.7 bytes per point (100
meters, DuckDB 2.0.1), readings read to 0.01 kWh being stored as integer counts.

Bulk writes go through Arrow registration with integer keys, never row-wise
``executemany`` (about 1,000× slower in DuckDB) nor Python strings per row
(:mod:`zeropark.store._duckdb_write`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from zeropark.errors import StoreError
from zeropark.issues import Issue
from zeropark.model import Park
from zeropark.store._bulk import (
    canonical_unit_codes,
    epoch_us,
    factorize,
    float_column,
)
from zeropark.store._duckdb_schema import check_store_file, ensure_schema, value_sql
from zeropark.store._duckdb_write import (
    append_readings,
    keys_of,
    meter_codes,
    meter_keys,
    new_reading_mask,
    sync_meter_keys,
    write_intervals,
    write_rollups,
)
from zeropark.store.base import still_derivable

if TYPE_CHECKING:
    from zeropark.store.postgres import PostgresStore

#: Block size of new store files [bytes]. DuckDB's default (256 KiB) gives every table and
#: index with data at least one block, about 4 MB of fixed cost for a park store; 64 KiB
#: compresses as well (32 KiB and less compress far worse, measured with DuckDB 2.0.1).
#: Existing files keep the block size they were created with.
BLOCK_SIZE = 65536
#: Columns of the frame :meth:`DuckDBStore.insert_readings` takes.
READING_COLUMNS = ("meter_id", "ts", "value", "value_raw", "unit_raw", "source", "source_row")
#: Columns of :meth:`DuckDBStore.derive_states` (and of ``write_derived(states=…)``).
STATE_COLUMNS = ["meter_id", "last_seq", "last_ts", "last_value", "step_ns", "nominal_ns",
                 "appendable"]
#: Columns of the ``quality_issues`` table (:func:`issues_frame`).
ISSUE_COLUMNS = ["park_id", "meter_id", "code", "severity", "message", "start_ts", "end_ts",
                 "data_json"]


def _naive_utc(series: pd.Series) -> pd.Series:
    """tz-aware UTC → naive UTC ``datetime64[us]`` for DuckDB ``TIMESTAMP``."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.astype("datetime64[us]")


def issues_frame(park_id: str, meter_id: str, issues: Sequence[Issue]) -> pd.DataFrame:
    """Rows of the ``quality_issues`` table for one meter's findings (all back-ends)."""
    return pd.DataFrame(
        [
            (park_id, meter_id, str(i.code), str(i.severity), i.message, i.start, i.end,
             json.dumps(i.data, default=str))
            for i in issues
        ],
        columns=["park_id", "meter_id", "code", "severity", "message", "start_ts",
                 "end_ts", "data_json"],
    )


class DuckDBStore:
    """Time-series store in a DuckDB file; see :mod:`zeropark.store.base` for tables.

    Parameters
    ----------
    path : str or pathlib.Path
        Database file (created with its parent folder if missing, with
        :data:`BLOCK_SIZE` blocks), or ``":memory:"``. A version-1 file is migrated to
        version 2 when opened read-write (one transaction).
    read_only : bool
        Open without write access (several read-only processes may share a file).

    Raises
    ------
    StoreError
        If the file cannot be opened (locked by another process, not a DuckDB file),
        was written by a newer zeropark, or has the version-1 layout and `read_only`
        is set (open it read-write once to migrate).
    """

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            check_store_file(Path(self.path), create=not read_only)
        try:
            if (self.path != ":memory:" and not read_only
                    and not (Path(self.path).is_file() and Path(self.path).stat().st_size)):
                # A new file gets its block size once; later connections (also plain
                # `duckdb.connect` calls in the same process) need no configuration.
                duckdb.connect(self.path, config={"default_block_size": str(BLOCK_SIZE)}
                               ).close()
            self.con = duckdb.connect(self.path, read_only=read_only)
            # `now()::TIMESTAMP` casts with the session zone, the process's local one by
            # default: stored stamps (ingested_at, saved_at, …) are naive UTC.
            self.con.execute("SET TimeZone = 'UTC'")
        except duckdb.Error as err:
            hint = (". A DuckDB file has one writer at a time: stop the other zeropark process "
                    "(e.g. `zeropark serve`) or point ZEROPARK_STORE_PATH elsewhere"
                    if "lock" in str(err).lower() else "")
            raise StoreError(f"cannot open store {self.path}: {err}{hint}") from err
        self._lock = threading.RLock()
        self._depth = 0
        #: Bumped on every write of parks or derived data, so caches of results can tell
        #: they are stale (the API caches dashboard aggregates per generation).
        self.generation = 0
        try:
            ensure_schema(self.con, read_only=read_only, path=self.path)
        except duckdb.Error as err:
            self.con.close()
            raise StoreError(f"cannot prepare store {self.path}: {err}") from err
        except BaseException:
            self.con.close()
            raise

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    @property
    def locator(self) -> str:
        """Path or URL that opens this store again (as ``--store`` or ``open_store``)."""
        return self.path

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit everything written inside together, or roll it all back."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.con.execute("BEGIN TRANSACTION")
            self._depth = 1
            try:
                yield
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            else:
                self.con.execute("COMMIT")
            finally:
                self._depth = 0

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        """Run a read-only SQL query and return a frame (for accounts and the API)."""
        with self._lock:
            return self.con.execute(sql, list(params)).df()

    def attach_lake(self, root: str | Path) -> list[str]:
        """Query a Parquet data lake in place: views ``lake_readings`` … ``lake_parks``.

        DuckDB reads the Hive-partitioned files of :mod:`zeropark.lake.parquet`
        directly (``read_parquet(…, hive_partitioning = true)``); filters on ``park``,
        ``year``, ``month`` or ``period`` skip whole folders. Timestamps are shown as in
        the store (naive UTC).

        Parameters
        ----------
        root : str or pathlib.Path
            Lake folder.

        Returns
        -------
        list of str
            The views created (tables missing from the lake get none).
        """
        base = Path(root).absolute()
        utc = {"readings": "* REPLACE (timezone('UTC', ts) AS ts, "
                           "timezone('UTC', ingested_at) AS ingested_at)",
               "intervals": "* REPLACE (timezone('UTC', interval_start) AS interval_start)",
               "rollups": "*"}
        made = []
        with self._lock:
            for table, select in utc.items():
                if not any((base / table).glob("**/*.parquet")):
                    continue
                glob = str(base / table / "**" / "*.parquet").replace("'", "''")
                self.con.execute(f"CREATE OR REPLACE TEMP VIEW lake_{table} AS SELECT {select} "
                                 f"FROM read_parquet('{glob}', hive_partitioning = true)")
                made.append(f"lake_{table}")
            parks = base / "parks" / "parks.parquet"
            if parks.is_file():
                path = str(parks).replace("'", "''")
                self.con.execute("CREATE OR REPLACE TEMP VIEW lake_parks AS "
                                 f"SELECT * FROM read_parquet('{path}')")
                made.append("lake_parks")
        return made

    # -- park -------------------------------------------------------------------------
    def save_park(self, park: Park) -> None:
        """Insert or replace the park row and its meter rows; give new meters their keys.

        The derive state of each meter whose derivation settings differ from the stored
        park's (:func:`~zeropark.store.base.still_derivable`) is deleted in the same
        transaction, so that its next derivation starts over instead of appending to
        intervals derived under the old settings.
        """
        rows = [
            (park.park_id, m.meter_id, m.medium.value, m.quantity.value, m.unit,
             m.canonical_unit, m.kind.value, m.direction.value, m.building_id,
             m.enterprise_id, m.submeter_of, False)
            for m in park.meters
        ] + [
            (park.park_id, v.meter_id, v.medium.value, "energy", "", "", "", "net",
             v.building_id, v.enterprise_id, None, True)
            for v in park.virtual_meters
        ]
        model = park.source_text
        self.generation += 1
        with self._lock, self.transaction():
            old = self.con.execute("SELECT model_toml FROM parks WHERE park_id = ?",
                                   [park.park_id]).fetchall()
            keep = still_derivable(old[0][0] if old else None, park)
            self.con.execute("DELETE FROM derive_state WHERE park_id = ? AND "
                             "NOT list_contains(?, meter_id)", [park.park_id, keep])
            self.con.execute("DELETE FROM parks WHERE park_id = ?", [park.park_id])
            self.con.execute(
                "INSERT INTO parks VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
                [park.park_id, park.name, park.timezone, model],
            )
            self.con.execute("DELETE FROM meters WHERE park_id = ?", [park.park_id])
            if rows:
                self.con.executemany(
                    "INSERT INTO meters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
                )
            sync_meter_keys(self.con, park.park_id, {r[1]: r[5] for r in rows})

    def load_park(self, park_id: str) -> Park:
        """Rebuild a saved park from the TOML text it was parsed from.

        Raises
        ------
        StoreError
            If the park is not in the store.
        """
        from zeropark.model import parse_park

        with self._lock:
            # fetchall, not fetchone: an unfinished result blocks the shared connection
            rows = self.con.execute("SELECT model_toml, name FROM parks WHERE park_id = ?",
                                    [park_id]).fetchall()
        row = rows[0] if rows else None
        if row is None:
            raise StoreError(f"no park {park_id!r} in store {self.path}")
        return parse_park(row[0], source=f"{self.path}#{park_id}")

    def park_ids(self) -> list[str]:
        """Ids of the parks in the store."""
        with self._lock:
            rows = self.con.execute("SELECT park_id FROM parks ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    # -- files and readings --------------------------------------------------------------
    def file_ingested(self, park_id: str, sha256: str) -> bool:
        """Whether a file with this SHA-256 was already ingested for `park_id`."""
        with self._lock:
            row = self.con.execute(
                "SELECT 1 FROM ingest_files WHERE park_id = ? AND sha256 = ?", [park_id, sha256]
            ).fetchone()
        return row is not None

    def record_file(self, park_id: str, sha256: str, path: str, n_rows: int, n_new: int) -> None:
        """Remember an ingested file so that loading it again is a no-op."""
        with self._lock:
            self.con.execute(
                "INSERT OR REPLACE INTO ingest_files VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)",
                [park_id, sha256, path, n_rows, n_new],
            )

    def insert_readings(self, park_id: str, frame: pd.DataFrame) -> pd.DataFrame:
        """Append the readings that are not already stored.

        Parameters
        ----------
        park_id : str
            Park the readings belong to.
        frame : pandas.DataFrame
            Columns ``meter_id``, ``ts`` (tz-aware UTC), ``value`` (canonical unit),
            ``value_raw``, ``unit_raw``, ``source``, ``source_row``; the text columns
            as ``str`` or ``Categorical``.

        Returns
        -------
        pandas.DataFrame
            The rows of `frame` that were new (`frame` itself when all were). For each
            meter and timestamp, the incoming rows are skipped when they all repeat
            the *current* value (the last one received): re-sent identical data
            changes nothing. Otherwise all of them are stored in file order, so the
            batch's last row is received last and wins (the duplicate rule of
            :func:`zeropark.ingest.intervals.dedupe_readings`); a correction back to
            an earlier value is kept too.

        Raises
        ------
        StoreError
            If a column is missing, or a row has no meter id or timestamp.

        Notes
        -----
        The duplicate check runs only for meters with stored readings in the batch's
        time span (one small query finds them); the other rows are new by
        definition. Rows are stored sorted by (meter key, ``ts``); ``seq`` follows
        ``source_row`` (file order). One ``ingest_batches`` row per distinct
        ``source`` carries ``source`` and ``ingested_at``.
        """
        if frame.empty:
            return frame
        absent = [c for c in READING_COLUMNS if c not in frame.columns]
        if absent:
            raise StoreError(f"insert_readings: the frame has no column {', '.join(absent)}")
        m_codes, m_ids = factorize(frame["meter_id"])
        if (m_codes < 0).any():
            raise StoreError("insert_readings: a row has no meter_id")
        ts = epoch_us(frame["ts"], name="ts")
        value = float_column(frame, "value")
        used = np.flatnonzero(np.bincount(m_codes, minlength=len(m_ids)))
        with self._lock, self.transaction():
            known = meter_keys(self.con, park_id, [m_ids[i] for i in used])
            key_of = np.full(len(m_ids), -1, dtype="int32")
            canonical: list[str | None] = [None] * len(m_ids)
            for i in used:
                key_of[i], canonical[i] = known[m_ids[i]]
            keys = key_of[m_codes]
            new = new_reading_mask(self.con, keys, key_of[used], ts, value)
            if new is not None and not new.any():
                return frame.iloc[0:0]
            rows = None if new is None else np.flatnonzero(new)
            units = canonical_unit_codes(frame["unit_raw"], [canonical[i] for i in used],
                                         m_codes, used)
            append_readings(self.con, park_id, frame, rows, keys=keys, ts=ts, value=value,
                                  units=units)
        return frame if new is None else frame[new]

    def readings(self, park_id: str, meter_id: str) -> pd.DataFrame:
        """Raw readings of one meter in arrival order; ``ts`` as tz-aware UTC."""
        frame = self.query(
            "SELECT ts, value, value_raw, unit_raw, source, source_row, ingested_at, seq "
            "FROM readings WHERE park_id = ? AND meter_id = ? ORDER BY seq",
            [park_id, meter_id],
        )
        frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_localize("UTC")
        return frame

    def readings_frame(self, park_id: str, meter_ids: Sequence[str], *,
                       after_seq: Mapping[str, int] | None = None) -> pd.DataFrame:
        """Raw readings of several meters for derivation.

        Parameters
        ----------
        park_id : str
        meter_ids : sequence of str
            Meters to read (unknown meters give no rows).
        after_seq : mapping of str to int, optional
            Meters in the mapping get only rows with ``seq > after_seq[meter]``;
            others get all rows.

        Returns
        -------
        pandas.DataFrame
            Columns ``meter_id`` (Categorical of str), ``ts`` (int64 [ns] since the UTC
            epoch), ``value`` (float64, canonical unit), ``ingested_at`` (int64 [ns] since
            the UTC epoch), ``seq`` (int64); sorted by ``meter_id``, then ``seq``.
        """
        ids = sorted(set(meter_ids))
        after = after_seq or {}
        with self._lock:
            keys = meter_keys(self.con, park_id, ids, create=False)
            known = [m for m in ids if m in keys]
            selected = pa.table({
                "meter_key": pa.array([keys[m][0] for m in known], type=pa.int32()),
                "rank": pa.array(range(len(known)), type=pa.int32()),
                "after_seq": pa.array([after.get(m) for m in known], type=pa.int64()),
            })
            self.con.register("zp_selected", selected)
            try:
                got = self.con.execute(
                    f"SELECT s.rank, epoch_ns(d.ts) AS ts, {value_sql('d')} AS value, "
                    "epoch_ns(b.ingested_at) AS ingested_at, d.seq "
                    "FROM reading_data d JOIN zp_selected s ON s.meter_key = d.meter_key "
                    "JOIN ingest_batches b ON b.batch_id = d.batch_id "
                    "WHERE s.after_seq IS NULL OR d.seq > s.after_seq "
                    "ORDER BY s.rank, d.seq").fetchnumpy()
            finally:
                self.con.unregister("zp_selected")
        return pd.DataFrame({
            "meter_id": pd.Categorical.from_codes(np.asarray(got["rank"], dtype="int32"),
                                                  categories=pd.Index(known, dtype=str)),
            "ts": np.asarray(got["ts"], dtype="int64"),
            "value": np.ma.filled(np.ma.asarray(got["value"], dtype="float64"), np.nan),
            "ingested_at": np.asarray(got["ingested_at"], dtype="int64"),
            "seq": np.asarray(got["seq"], dtype="int64"),
        }, copy=False)

    def iter_meter_ids(self, park_id: str) -> Iterator[str]:
        """Meters with at least one reading."""
        rows = self.query("SELECT meter_id FROM meter_keys WHERE park_id = ? AND meter_key IN "
                          "(SELECT DISTINCT meter_key FROM reading_data) ORDER BY 1", [park_id])
        yield from rows["meter_id"]

    # -- derived -------------------------------------------------------------------------
    def replace_derived(self, park_id: str, meter_id: str, intervals: pd.DataFrame,
                        rollups: pd.DataFrame, issues: Sequence[Issue]) -> None:
        """Replace one meter's intervals, rollups and quality issues atomically.

        Parameters
        ----------
        intervals : pandas.DataFrame
            Columns ``interval_start`` (tz-aware UTC), ``duration_s``, ``energy``,
            ``estimated``, ``flags``.
        rollups : pandas.DataFrame
            Columns ``period``, ``period_start`` (naive: UTC for hour, local for the
            others), ``energy``, ``estimated_energy``, ``n_intervals``, ``n_missing``.
        issues : sequence of Issue
            Findings of the derivation.

        Notes
        -----
        Same as :meth:`write_derived` with ``replace=[meter_id]``; the meter's derive
        state is dropped too.
        """
        qi = issues_frame(park_id, meter_id, issues).drop(columns="park_id")
        self.write_derived(park_id, replace=[meter_id],
                           intervals=intervals.assign(meter_id=meter_id),
                           rollups=rollups.assign(meter_id=meter_id), issues=qi,
                           states=pd.DataFrame(columns=STATE_COLUMNS))

    def write_derived(self, park_id: str, *, replace: Sequence[str], intervals: pd.DataFrame,
                      rollups: pd.DataFrame, issues: pd.DataFrame,
                      states: pd.DataFrame) -> None:
        """Write derivation results of many meters in one transaction.

        Parameters
        ----------
        park_id : str
        replace : sequence of str
            Meters whose stored intervals, rollups, quality issues and derive state
            are all deleted first (a full re-derivation).
        intervals : pandas.DataFrame
            Columns ``meter_id``, ``interval_start`` (int64 [ns] since the UTC epoch, or
            timestamps), ``duration_s`` [s], ``energy`` (canonical unit), ``estimated``,
            ``flags`` (str). For a meter not in `replace`, its stored intervals with
            ``interval_start`` ≥ the smallest one given for it are deleted first (an
            append that re-derives the tail).
        rollups : pandas.DataFrame
            Columns ``meter_id``, ``period``, ``period_start`` (int64 [ns], naive: UTC
            for ``hour``, park-local for day/month/year), ``energy``,
            ``estimated_energy``, ``n_intervals``, ``n_missing``. For a meter not in
            `replace`, stored rows with the same (meter, period, period_start) are
            replaced.
        issues : pandas.DataFrame
            Columns of :func:`issues_frame` without ``park_id``; inserted.
        states : pandas.DataFrame
            Columns of :meth:`derive_states`; upserted by ``meter_id``.

        Raises
        ------
        StoreError
            If `intervals` repeats (meter, interval_start) or `rollups` repeats
            (meter, period, period_start).
        """
        replace = list(dict.fromkeys(replace))
        iv_codes, iv_meters = meter_codes(intervals)
        ru_codes, ru_meters = meter_codes(rollups)
        self.generation += 1
        with self._lock, self.transaction():
            keys = meter_keys(self.con, park_id, replace, create=False)
            keys.update(meter_keys(self.con, park_id,
                                   [m for m in (*iv_meters, *ru_meters) if m]))
            replaced = [keys[m][0] for m in replace if m in keys]
            if replace:
                for table in ("interval_data", "rollup_data"):
                    self.con.execute(f"DELETE FROM {table} WHERE list_contains(?, meter_key)",
                                     [replaced])
                for table in ("quality_issues", "derive_state"):
                    self.con.execute(f"DELETE FROM {table} WHERE park_id = ? AND "
                                     "list_contains(?, meter_id)", [park_id, replace])
            fresh = np.asarray(replaced, dtype="int32")
            if not intervals.empty:
                write_intervals(self.con, intervals, keys_of(iv_codes, iv_meters, keys), fresh)
            if not rollups.empty:
                write_rollups(self.con, rollups, keys_of(ru_codes, ru_meters, keys), fresh)
            if not issues.empty:
                self._insert_frame("quality_issues", issues.assign(park_id=park_id),
                                   ISSUE_COLUMNS)
            if not states.empty:
                self.con.execute("DELETE FROM derive_state WHERE park_id = ? AND "
                                 "list_contains(?, meter_id)",
                                 [park_id, [str(m) for m in states["meter_id"]]])
                self._insert_frame("derive_state", states.assign(park_id=park_id),
                                   ["park_id", *STATE_COLUMNS])

    def _insert_frame(self, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
        """Insert the `columns` of a (small) frame into `table`."""
        cols = ", ".join(columns)
        self.con.register("zp_frame", frame[list(columns)])
        try:
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM zp_frame")
        finally:
            self.con.unregister("zp_frame")

    def derive_states(self, park_id: str, meter_ids: Sequence[str]) -> pd.DataFrame:
        """Saved derivation states of meters (what an appending derivation resumes from).

        Parameters
        ----------
        park_id : str
        meter_ids : sequence of str

        Returns
        -------
        pandas.DataFrame
            Columns ``meter_id``, ``last_seq``, ``last_ts`` (int64 [ns] since the UTC
            epoch), ``last_value`` (canonical unit), ``step_ns`` [ns], ``nominal_ns``
            [ns], ``appendable`` (bool); one row per meter that has a state, sorted by
            ``meter_id``.
        """
        return self.query(
            f"SELECT {', '.join(STATE_COLUMNS)} FROM derive_state WHERE park_id = ? AND "
            "list_contains(?, meter_id) ORDER BY meter_id", [park_id, list(meter_ids)])

    def intervals(self, park_id: str, meter_ids: Sequence[str] | None = None,
                  start: pd.Timestamp | None = None,
                  end: pd.Timestamp | None = None) -> pd.DataFrame:
        """Interval energy with ``interval_start`` as tz-aware UTC, sorted by meter and time."""
        sql = ("SELECT meter_id, interval_start, duration_s, energy, estimated, flags "
               "FROM intervals WHERE park_id = ?")
        params: list[object] = [park_id]
        if meter_ids is not None:
            sql += " AND list_contains(?, meter_id)"
            params.append(list(meter_ids))
        if start is not None:
            sql += " AND interval_start >= ?"
            params.append(pd.Timestamp(start).tz_convert("UTC").tz_localize(None).to_pydatetime())
        if end is not None:
            sql += " AND interval_start < ?"
            params.append(pd.Timestamp(end).tz_convert("UTC").tz_localize(None).to_pydatetime())
        frame = self.query(sql + " ORDER BY meter_id, interval_start", params)
        frame["interval_start"] = pd.to_datetime(frame["interval_start"]).dt.tz_localize("UTC")
        return frame

    def rollups(self, park_id: str, period: str, start: pd.Timestamp | None = None,
                end: pd.Timestamp | None = None, *,
                meter_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Rollups of `period` with ``period_start`` in [start, end) (naive, see module doc).

        `meter_ids` restricts the result to those meters.
        """
        sql = ("SELECT meter_id, period_start, energy, estimated_energy, n_intervals, n_missing "
               "FROM rollups WHERE park_id = ? AND period = ?")
        params: list[object] = [park_id, period]
        if meter_ids is not None:
            sql += " AND list_contains(?, meter_id)"
            params.append(list(meter_ids))
        if start is not None:
            sql += " AND period_start >= ?"
            params.append(pd.Timestamp(start).to_pydatetime())
        if end is not None:
            sql += " AND period_start < ?"
            params.append(pd.Timestamp(end).to_pydatetime())
        return self.query(sql + " ORDER BY meter_id, period_start", params)

    def put_activity(self, park_id: str, rows: pd.DataFrame, *, imported_from: str) -> int:
        """Insert or replace activity records (by ``record_id``) in one transaction.

        Parameters
        ----------
        park_id : str
        rows : pandas.DataFrame
            Columns ``record_id``, ``enterprise_id``, ``period_start``, ``period_end``
            (dates) and ``record_json`` (the whole record).
        imported_from : str
            File or label the rows came from.

        Returns
        -------
        int
            Rows written.
        """
        frame = rows.assign(park_id=park_id, imported_from=imported_from)
        with self._lock, self.transaction():
            self.con.register("activity_frame", frame)
            try:
                self.con.execute(
                    "DELETE FROM activity_records WHERE park_id = ? AND record_id IN "
                    "(SELECT record_id FROM activity_frame)", [park_id])
                self.con.execute(
                    "INSERT INTO activity_records SELECT park_id, record_id, enterprise_id, "
                    "period_start, period_end, record_json, imported_from, now()::TIMESTAMP "
                    "FROM activity_frame")
            finally:
                self.con.unregister("activity_frame")
        return len(frame)

    def activity(self, park_id: str, enterprise_id: str, start: object,
                 end: object) -> pd.DataFrame:
        """Stored activity records of an enterprise whose period lies in [start, end)."""
        return self.query(
            "SELECT record_id, record_json, imported_from FROM activity_records "
            "WHERE park_id = ? AND enterprise_id = ? AND period_start >= ? AND period_end <= ? "
            "ORDER BY period_start, record_id", [park_id, enterprise_id, start, end])

    # -- live ingest ------------------------------------------------------------------
    def insert_dead_letters(self, park_id: str, frame: pd.DataFrame) -> None:
        """Append messages that could not be ingested.

        Parameters
        ----------
        frame : pandas.DataFrame
            Columns ``received_at`` (tz-aware UTC), ``source`` (topic or host),
            ``payload`` (bytes, as received) and ``reason``.
        """
        self._append(park_id, "dead_letters", frame, "received_at, source, payload, reason")

    def insert_stream_events(self, park_id: str, frame: pd.DataFrame) -> None:
        """Append stream events (availability, Sparkplug seq gaps, rebirths).

        Parameters
        ----------
        frame : pandas.DataFrame
            Columns ``received_at`` (tz-aware UTC), ``source``, ``event``, ``data_json``.
        """
        self._append(park_id, "stream_events", frame, "received_at, source, event, data_json")

    def _append(self, park_id: str, table: str, frame: pd.DataFrame, cols: str) -> None:
        if frame.empty:
            return
        rows = frame.assign(park_id=park_id, received_at=_naive_utc(frame["received_at"]))
        with self._lock, self.transaction():
            self.con.register("append_frame", rows)
            try:
                self.con.execute(f"INSERT INTO {table} (park_id, {cols}) "
                                 f"SELECT park_id, {cols} FROM append_frame")
            finally:
                self.con.unregister("append_frame")

    def dead_letters(self, park_id: str) -> pd.DataFrame:
        """Dead letters of the park in arrival order."""
        return self.query("SELECT received_at, source, payload, reason FROM dead_letters "
                          "WHERE park_id = ? ORDER BY received_at", [park_id])

    def stream_events(self, park_id: str) -> pd.DataFrame:
        """Stream events of the park in arrival order."""
        return self.query("SELECT received_at, source, event, data_json FROM stream_events "
                          "WHERE park_id = ? ORDER BY received_at", [park_id])

    def mark_pending(self, park_id: str, meter_ids: Sequence[str]) -> None:
        """Remember meters whose readings changed but are not re-derived yet."""
        if not meter_ids:
            return
        with self._lock:
            self.con.execute("INSERT OR IGNORE INTO derive_pending SELECT ?, unnest(?)",
                             [park_id, list(meter_ids)])

    def pending_meters(self, park_id: str) -> list[str]:
        """Meters marked by :meth:`mark_pending` and not cleared."""
        with self._lock:
            rows = self.con.execute("SELECT meter_id FROM derive_pending WHERE park_id = ? "
                                    "ORDER BY 1", [park_id]).fetchall()
        return [r[0] for r in rows]

    def clear_pending(self, park_id: str, meter_ids: Sequence[str]) -> None:
        """Forget pending meters (after they were re-derived)."""
        with self._lock:
            self.con.execute("DELETE FROM derive_pending WHERE park_id = ? AND "
                             "list_contains(?, meter_id)", [park_id, list(meter_ids)])

    def quality_issues(self, park_id: str) -> pd.DataFrame:
        """All data-quality findings of the park."""
        return self.query(
            "SELECT meter_id, code, severity, message, start_ts, end_ts, data_json "
            "FROM quality_issues WHERE park_id = ? ORDER BY meter_id, start_ts", [park_id])


_URL_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "duckdb")


def _unpath(target: str | Path) -> str | Path:
    """Undo ``pathlib``'s slash folding on a URL that came in as a ``Path`` (CLI ``--store``).

    Examples
    --------
    >>> _unpath(Path("postgresql://zp@db:5432/zeropark"))
    'postgresql://zp@db:5432/zeropark'
    >>> _unpath(Path("duckdb:///srv/zp.duckdb"))
    'duckdb:///srv/zp.duckdb'
    """
    if not isinstance(target, Path):
        return target
    text = str(target)
    for scheme in _URL_SCHEMES:
        if text.startswith(scheme + ":/") and not text.startswith(scheme + "://"):
            rest = text[len(scheme) + 2:]
            return f"{scheme}:///{rest}" if scheme == "duckdb" else f"{scheme}://{rest}"
    return target


def is_postgres_url(target: str | Path) -> bool:
    """Whether `target` names a PostgreSQL server rather than a DuckDB file."""
    return str(_unpath(target)).startswith(("postgresql://", "postgres://",
                                            "postgresql+psycopg://"))


def duckdb_path(target: str | Path) -> str | Path:
    """The file of a ``duckdb:///abs/path`` URL; plain paths pass through.

    Examples
    --------
    >>> duckdb_path("duckdb:///srv/zp/zeropark.duckdb")
    '/srv/zp/zeropark.duckdb'
    >>> duckdb_path("duckdb:////srv/zp/zeropark.duckdb")  # SQLAlchemy's four slashes
    '/srv/zp/zeropark.duckdb'
    >>> duckdb_path("duckdb://:memory:")
    ':memory:'
    """
    text = str(target)
    if text.startswith("duckdb://"):
        rest = text[len("duckdb://"):]
        return ("/" + rest.lstrip("/")) if rest.startswith("//") else (rest or ":memory:")
    return target


def open_store(path: str | Path | None = None, *,
               read_only: bool = False) -> DuckDBStore | PostgresStore:
    """Open the store at `path`, or the one ``Settings`` names when `path` is None.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A DuckDB file, a ``duckdb:///…`` URL or a ``postgresql://…`` URL. Default:
        ``ZEROPARK_STORE_URL``, else ``ZEROPARK_STORE_PATH``
        (:meth:`zeropark.settings.Settings.resolved_store_url`).
    read_only : bool
        Open without write access.

    Returns
    -------
    DuckDBStore or PostgresStore
        Both implement :class:`zeropark.store.base.TimeseriesStore` and the extra
        methods pipelines use (``query``, ``load_park``, activity, live ingest).

    Raises
    ------
    StoreError
        If a read-only store does not exist, or the file is locked or not DuckDB, or
        the server cannot be reached.
    """
    if path is None:
        from zeropark.settings import Settings

        path = Settings().resolved_store_url()
    path = _unpath(path)
    if is_postgres_url(path):
        from zeropark.store.postgres import PostgresStore

        return PostgresStore(str(path), read_only=read_only)
    path = duckdb_path(path)
    if read_only and not Path(path).is_file():
        raise StoreError(f"no store at {path}: load data first (`zeropark ingest` or "
                         "`zeropark demo`)")
    return DuckDBStore(path, read_only=read_only)
