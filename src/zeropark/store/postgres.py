"""Server-mode store on PostgreSQL (psycopg 3): many writers, months-partitioned tables.

Same public methods and results as :class:`zeropark.store.duckdb.DuckDBStore` (see
:mod:`zeropark.store.base` for the tables); the SQL differs where DuckDB has its own
functions:

* "current value per meter and timestamp" is ``DISTINCT ON … ORDER BY seq DESC``
  (DuckDB: ``arg_max(value, seq)``), and ``SEMI JOIN`` is ``EXISTS``;
* ``INSERT OR REPLACE`` / ``OR IGNORE`` are ``ON CONFLICT … DO UPDATE`` / ``DO NOTHING``;
* frames are bulk-loaded with ``COPY … FROM STDIN`` (DuckDB: a registered frame).

Partitioning: ``readings`` (by ``ts``) and ``intervals`` (by ``interval_start``) are
partitioned by month. Before writing rows of a month without a partition the store
creates one and attaches it (``ATTACH PARTITION`` takes only a ``SHARE UPDATE
EXCLUSIVE`` lock on the parent, so it does not block concurrent inserts), holding a
transaction-level advisory lock so two writers never race on the same month.

Concurrent writers: each process opens its own store. Readings of one meter are
written under an advisory lock on (park, meter), so two processes that receive the
same reading store it once; different meters proceed in parallel.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd
import psycopg

from zeropark.errors import StoreError
from zeropark.issues import Issue
from zeropark.model import Park
from zeropark.store._pgsql import CompatConnection, adapt_param, copy_rows, rows_to_frame
from zeropark.store.base import still_derivable
from zeropark.store.duckdb import ISSUE_COLUMNS, STATE_COLUMNS, _naive_utc, issues_frame

#: Advisory-lock key of partition creation (any constant bigint; "zppart" in ASCII).
PARTITION_LOCK_KEY = 0x7A7070617274
#: Partitioned tables and their partition column.
PARTITIONED = {"readings": "ts", "intervals": "interval_start"}


def redact(url: str) -> str:
    """`url` without its password (for messages and ``store.path``).

    Examples
    --------
    >>> redact("postgresql://zp:secret@db:5432/zeropark")
    'postgresql://zp@db:5432/zeropark'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc}" if user else netloc))


def split_schema(url: str) -> tuple[str, str | None]:
    """Take zeropark's own ``schema=`` query parameter out of `url`.

    Examples
    --------
    >>> split_schema("postgresql://zp@db/zeropark?schema=city_a&sslmode=require")
    ('postgresql://zp@db/zeropark?sslmode=require', 'city_a')
    """
    parts = urlsplit(url)
    query = [kv for kv in parts.query.split("&") if kv]
    schema = next((kv.split("=", 1)[1] for kv in query if kv.startswith("schema=")), None)
    rest = "&".join(kv for kv in query if not kv.startswith("schema="))
    return urlunsplit(parts._replace(query=rest)), schema


def _naive(stamps: pd.Series) -> pd.Series:
    """Int64 [ns] since the epoch, or timestamps, as naive ``datetime64[us]`` (UTC if tz-aware)."""
    if pd.api.types.is_integer_dtype(stamps.dtype):
        stamps = pd.Series(pd.to_datetime(stamps.to_numpy(dtype="int64"), unit="ns"),
                           index=stamps.index)
    return _naive_utc(stamps)


def _keyed(frame: pd.DataFrame, park_id: str, stamp: str, key: list[str]) -> pd.DataFrame:
    """Derived rows with ``park_id``, text ``meter_id`` and naive `stamp`; unique on `key`.

    Raises
    ------
    StoreError
        If two rows share (meter, *key*) (the table's primary key would refuse them).
    """
    if frame.empty:
        return pd.DataFrame(columns=["park_id", "meter_id", *key]).astype(
            {stamp: "datetime64[us]"})
    out = frame.assign(park_id=park_id, meter_id=frame["meter_id"].astype(str),
                       **{stamp: _naive(frame[stamp])})
    if out.duplicated(["meter_id", *key]).any():
        raise StoreError(f"write_derived: rows repeat a (meter, {', '.join(key)})")
    return out


def _state_rows(states: pd.DataFrame) -> pd.DataFrame:
    """`states` with nullable integer columns, so COPY writes integers, not floats."""
    ints = dict.fromkeys(("last_seq", "last_ts", "step_ns", "nominal_ns"), "Int64")
    return states[STATE_COLUMNS].astype(ints).astype({"appendable": "boolean"})


def month_starts(stamps: pd.Series) -> list[pd.Timestamp]:
    """First instants of the calendar months (UTC) that `stamps` fall in, sorted.

    Examples
    --------
    >>> month_starts(pd.Series(pd.to_datetime(["2024-01-31 23:45", "2024-02-01 00:00"])))
    [Timestamp('2024-01-01 00:00:00'), Timestamp('2024-02-01 00:00:00')]
    """
    if stamps.empty:
        return []
    naive = pd.DatetimeIndex(stamps)
    if naive.tz is not None:
        naive = naive.tz_convert("UTC").tz_localize(None)
    months = naive.to_period("M").unique().sort_values()
    return [p.to_timestamp() for p in months]


class PostgresStore:
    """Time-series store in a PostgreSQL database; see :mod:`zeropark.store.base`.

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/database``, optionally with
        ``?schema=name`` (same as the `schema` argument).
    read_only : bool
        Open a session whose transactions are read-only (no migrations are run).
    schema : str, optional
        Schema to use (created and migrated if missing); default the connection's
        ``search_path`` (normally ``public``). Tests give each case its own schema.
    migrate : bool
        Bring the schema to the newest Alembic revision on open (default True, like the
        DuckDB store that creates its tables on open).

    Raises
    ------
    StoreError
        If the server cannot be reached or the migration fails.
    """

    def __init__(self, url: str, *, read_only: bool = False, schema: str | None = None,
                 migrate: bool = True) -> None:
        url, in_url = split_schema(url)
        schema = schema or in_url
        self.url = url
        self.path = redact(url) + (f"?schema={schema}" if schema else "")
        self.schema = schema
        self.read_only = read_only
        if migrate and not read_only:
            from zeropark.store.migrations import upgrade

            try:
                upgrade(url, schema=schema)
            except Exception as err:  # sqlalchemy/psycopg errors: one store error
                raise StoreError(f"cannot migrate store {self.path}: {err}") from err
        options = ["-c TimeZone=UTC"]
        if schema:
            options.append(f"-c search_path={schema}")
        if read_only:
            options.append("-c default_transaction_read_only=on")
        try:
            self.conn = psycopg.connect(url, autocommit=True, options=" ".join(options))
        except psycopg.Error as err:
            raise StoreError(f"cannot open store {self.path}: {err}") from err
        self._lock = threading.RLock()
        self._depth = 0
        self._partitions: dict[str, set[pd.Timestamp]] = {t: set() for t in PARTITIONED}
        #: Bumped on every write of parks or derived data in *this* process (see DuckDBStore).
        self.generation = 0
        #: DuckDB-style connection for callers that run their own SQL (``auth``, ``indicators``).
        self.con = CompatConnection(self.conn, self._lock, read_only=read_only)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @property
    def locator(self) -> str:
        """URL that opens this store again (with its password and ``?schema=``)."""
        if not self.schema:
            return self.url
        return self.url + ("&" if "?" in self.url else "?") + f"schema={self.schema}"

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit everything written inside together, or roll it all back (nesting joins)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                with self.conn.transaction():
                    yield
            except BaseException:
                # Partitions created in the rolled-back transaction are gone again.
                self._partitions = {t: set() for t in PARTITIONED}
                raise
            finally:
                self._depth = 0

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        """Run a read-only query written in DuckDB's spelling (see :mod:`._pgsql`)."""
        return self.con.execute(sql, list(params)).df()

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run native PostgreSQL `sql` (``%s`` placeholders); return its rows, if any."""
        with self._lock, self.conn.cursor() as cur:
            cur.execute(sql.encode(), [adapt_param(p) for p in params] or None)
            return cur.fetchall() if cur.description is not None else []

    def _frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self._lock, self.conn.cursor() as cur:
            cur.execute(sql.encode(), [adapt_param(p) for p in params] or None)
            return rows_to_frame(cur)

    # -- partitions -----------------------------------------------------------------------
    def ensure_partitions(self, table: str, months: Sequence[pd.Timestamp]) -> int:
        """Create and attach the monthly partitions of `table` that `months` need.

        Parameters
        ----------
        table : {"readings", "intervals"}
        months : sequence of pandas.Timestamp
            Month starts (naive UTC), see :func:`month_starts`.

        Returns
        -------
        int
            Partitions created.
        """
        column = PARTITIONED[table]
        missing = [m for m in months if m not in self._partitions[table]]
        if not missing:
            return 0
        created = 0
        with self.transaction(), self._lock, self.conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [PARTITION_LOCK_KEY])
            for lo in missing:
                hi = lo + pd.offsets.MonthBegin(1)
                name = f"{table}_p{lo:%Y%m}"
                row = cur.execute("SELECT to_regclass(%s) IS NOT NULL", [name]).fetchone()
                if not (row and row[0]):
                    bounds = f"'{lo:%Y-%m-%d}' AND {column} < '{hi:%Y-%m-%d}'"
                    cur.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS)")
                    # The CHECK lets ATTACH skip its validation scan (the table is empty anyway).
                    cur.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_range "
                                f"CHECK ({column} >= {bounds})")
                    cur.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES "
                                f"FROM ('{lo:%Y-%m-%d}') TO ('{hi:%Y-%m-%d}')")
                    created += 1
                self._partitions[table].add(lo)
        return created

    def partitions(self, table: str) -> list[str]:
        """Names of the partitions attached to `table`, sorted."""
        rows = self._exec("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON "
                          "c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s) ORDER BY 1",
                          [table])
        return [r[0] for r in rows]

    # -- park -------------------------------------------------------------------------
    def save_park(self, park: Park) -> None:
        """Insert or replace the park row and its meter rows.

        As :meth:`DuckDBStore.save_park <zeropark.store.duckdb.DuckDBStore.save_park>`,
        deletes the derive state of meters whose derivation settings changed.
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
        self.generation += 1
        if self._same_model(park):
            return  # concurrent writers of one park do not queue behind each other here
        with self.transaction(), self.conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                        [f"park\x1f{park.park_id}"])
            if self._same_model(park):  # another writer saved it while we waited
                return
            cur.execute("SELECT model_toml FROM parks WHERE park_id = %s", [park.park_id])
            old = cur.fetchall()
            keep = still_derivable(old[0][0] if old else None, park)
            cur.execute("DELETE FROM derive_state WHERE park_id = %s AND "
                        "NOT (meter_id = ANY(%s::text[]))", [park.park_id, keep])
            cur.execute("DELETE FROM parks WHERE park_id = %s", [park.park_id])
            cur.execute("INSERT INTO parks VALUES (%s, %s, %s, %s, now() AT TIME ZONE 'UTC')",
                        [park.park_id, park.name, park.timezone, park.source_text])
            cur.execute("DELETE FROM meters WHERE park_id = %s", [park.park_id])
            if rows:
                cur.executemany("INSERT INTO meters VALUES (%s, %s, %s, %s, %s, %s, %s, %s, "
                                "%s, %s, %s, %s)", rows)

    def _same_model(self, park: Park) -> bool:
        rows = self._exec("SELECT model_toml, name, timezone FROM parks WHERE park_id = %s",
                          [park.park_id])
        return bool(rows) and rows[0] == (park.source_text, park.name, park.timezone)

    def load_park(self, park_id: str) -> Park:
        """Rebuild a saved park from the TOML text it was parsed from.

        Raises
        ------
        StoreError
            If the park is not in the store.
        """
        from zeropark.model import parse_park

        rows = self._exec("SELECT model_toml FROM parks WHERE park_id = %s", [park_id])
        if not rows:
            raise StoreError(f"no park {park_id!r} in store {self.path}")
        return parse_park(rows[0][0], source=f"{self.path}#{park_id}")

    def park_ids(self) -> list[str]:
        """Ids of the parks in the store."""
        return [r[0] for r in self._exec("SELECT park_id FROM parks ORDER BY 1")]

    # -- files and readings --------------------------------------------------------------
    def file_ingested(self, park_id: str, sha256: str) -> bool:
        """Whether a file with this SHA-256 was already ingested for `park_id`."""
        return bool(self._exec("SELECT 1 FROM ingest_files WHERE park_id = %s AND sha256 = %s",
                               [park_id, sha256]))

    def record_file(self, park_id: str, sha256: str, path: str, n_rows: int, n_new: int) -> None:
        """Remember an ingested file so that loading it again is a no-op."""
        self._exec(
            "INSERT INTO ingest_files VALUES (%s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC') "
            "ON CONFLICT (park_id, sha256) DO UPDATE SET path = excluded.path, "
            "n_rows = excluded.n_rows, n_new = excluded.n_new, "
            "ingested_at = excluded.ingested_at", [park_id, sha256, path, n_rows, n_new])

    def insert_readings(self, park_id: str, frame: pd.DataFrame) -> pd.DataFrame:
        """Append the readings that are not already stored.

        Same contract as :meth:`zeropark.store.duckdb.DuckDBStore.insert_readings`
        (columns, duplicate rule, returned rows).
        """
        if frame.empty:
            return frame
        incoming = frame.assign(ts=_naive_utc(frame["ts"]), park_id=park_id)
        meters = sorted(set(incoming["meter_id"]))
        with self.transaction():
            # Writers of the same meter go one after the other (sorted: no deadlock).
            self._exec("SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM "
                       "unnest(%s::text[]) AS k ORDER BY k", [[f"{park_id}\x1f{m}"
                                                                for m in meters]])
            self.ensure_partitions("readings", month_starts(incoming["ts"]))
            self.con.register("incoming_readings", incoming)
            try:
                self._exec(
                    """
                    CREATE TEMP TABLE new_readings ON COMMIT DROP AS
                    WITH keys AS (SELECT DISTINCT meter_id, ts FROM incoming_readings),
                    current AS (
                        SELECT DISTINCT ON (r.meter_id, r.ts) r.meter_id, r.ts, r.value
                        FROM readings r JOIN keys k ON r.meter_id = k.meter_id AND r.ts = k.ts
                        WHERE r.park_id = %s AND r.ts BETWEEN %s AND %s
                        ORDER BY r.meter_id, r.ts, r.seq DESC),
                    changed AS (
                        SELECT i.meter_id, i.ts FROM incoming_readings i
                        LEFT JOIN current c ON c.meter_id = i.meter_id AND c.ts = i.ts
                        GROUP BY i.meter_id, i.ts
                        HAVING bool_or(c.value IS DISTINCT FROM i.value))
                    SELECT i.* FROM incoming_readings i
                    WHERE EXISTS (SELECT 1 FROM changed g
                                  WHERE g.meter_id = i.meter_id AND g.ts = i.ts)
                    """, [park_id, incoming["ts"].min(), incoming["ts"].max()])
                # Sorted before nextval (a subquery), so seq follows the file order.
                self._exec(
                    """
                    INSERT INTO readings
                    SELECT park_id, meter_id, ts, value, value_raw, unit_raw, source,
                           source_row, now() AT TIME ZONE 'UTC', nextval('reading_seq')
                    FROM (SELECT * FROM new_readings ORDER BY source_row) s
                    """)
                new = self._frame("SELECT * FROM new_readings ORDER BY source_row")
                self._exec("DROP TABLE new_readings")
            finally:
                self.con.unregister("incoming_readings")
        if new.empty:
            return incoming.iloc[0:0]
        return new[list(incoming.columns)]

    def readings(self, park_id: str, meter_id: str) -> pd.DataFrame:
        """Raw readings of one meter in arrival order; ``ts`` as tz-aware UTC."""
        frame = self._frame(
            "SELECT ts, value, value_raw, unit_raw, source, source_row, ingested_at, seq "
            "FROM readings WHERE park_id = %s AND meter_id = %s ORDER BY seq",
            [park_id, meter_id])
        frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_localize("UTC")
        frame["ingested_at"] = pd.to_datetime(frame["ingested_at"])
        return frame

    def iter_meter_ids(self, park_id: str) -> Iterator[str]:
        """Meters with at least one reading."""
        rows = self._exec("SELECT DISTINCT meter_id FROM readings WHERE park_id = %s "
                          "ORDER BY 1", [park_id])
        yield from (r[0] for r in rows)

    # -- derived -------------------------------------------------------------------------
    def replace_derived(self, park_id: str, meter_id: str, intervals: pd.DataFrame,
                        rollups: pd.DataFrame, issues: Sequence[Issue]) -> None:
        """Replace one meter's intervals, rollups and quality issues atomically.

        Same contract as :meth:`zeropark.store.duckdb.DuckDBStore.replace_derived`.
        """
        iv = intervals.assign(park_id=park_id, meter_id=meter_id,
                              interval_start=_naive_utc(intervals["interval_start"]))
        ru = rollups.assign(park_id=park_id, meter_id=meter_id,
                            period_start=rollups["period_start"].astype("datetime64[us]"))
        qi = issues_frame(park_id, meter_id, issues)
        self.generation += 1
        with self.transaction():
            self.ensure_partitions("intervals", month_starts(iv["interval_start"]))
            with self._lock, self.conn.cursor() as cur:
                for table in ("intervals", "rollups", "quality_issues"):
                    cur.execute(f"DELETE FROM {table} WHERE park_id = %s AND meter_id = %s",
                                [park_id, meter_id])
                copy_rows(cur, "intervals", iv, ["park_id", "meter_id", "interval_start",
                                                 "duration_s", "energy", "estimated", "flags"])
                copy_rows(cur, "rollups", ru, ["park_id", "meter_id", "period", "period_start",
                                               "energy", "estimated_energy", "n_intervals",
                                               "n_missing"])
                copy_rows(cur, "quality_issues", qi, list(qi.columns))

    def intervals(self, park_id: str, meter_ids: Sequence[str] | None = None,
                  start: pd.Timestamp | None = None,
                  end: pd.Timestamp | None = None) -> pd.DataFrame:
        """Interval energy with ``interval_start`` as tz-aware UTC, sorted by meter and time."""
        sql = ("SELECT meter_id, interval_start, duration_s, energy, estimated, flags "
               "FROM intervals WHERE park_id = %s")
        params: list[object] = [park_id]
        if meter_ids is not None:
            sql += " AND meter_id = ANY(%s)"
            params.append(list(meter_ids))
        if start is not None:
            sql += " AND interval_start >= %s"
            params.append(pd.Timestamp(start).tz_convert("UTC").tz_localize(None))
        if end is not None:
            sql += " AND interval_start < %s"
            params.append(pd.Timestamp(end).tz_convert("UTC").tz_localize(None))
        frame = self._frame(sql + " ORDER BY meter_id, interval_start", params)
        frame["interval_start"] = pd.to_datetime(frame["interval_start"]).dt.tz_localize("UTC")
        return frame

    def rollups(self, park_id: str, period: str, start: pd.Timestamp | None = None,
                end: pd.Timestamp | None = None, *,
                meter_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Rollups of `period` with ``period_start`` in [start, end) (naive, see base).

        `meter_ids` restricts the result to those meters.
        """
        sql = ("SELECT meter_id, period_start, energy, estimated_energy, n_intervals, "
               "n_missing FROM rollups WHERE park_id = %s AND period = %s")
        params: list[object] = [park_id, period]
        if meter_ids is not None:
            sql += " AND meter_id = ANY(%s)"
            params.append(list(meter_ids))
        if start is not None:
            sql += " AND period_start >= %s"
            params.append(pd.Timestamp(start))
        if end is not None:
            sql += " AND period_start < %s"
            params.append(pd.Timestamp(end))
        frame = self._frame(sql + " ORDER BY meter_id, period_start", params)
        frame["period_start"] = pd.to_datetime(frame["period_start"])
        return frame

    # -- incremental derivation ------------------------------------------------------------
    def readings_frame(self, park_id: str, meter_ids: Sequence[str], *,
                       after_seq: Mapping[str, int] | None = None) -> pd.DataFrame:
        """Raw readings of several meters for derivation.

        Same contract as :meth:`zeropark.store.duckdb.DuckDBStore.readings_frame`:
        columns ``meter_id``, ``ts`` and ``ingested_at`` (int64 [ns] since the UTC
        epoch), ``value``, ``seq``; sorted by meter, then ``seq``.
        """
        ids = sorted(set(meter_ids))
        after = after_seq or {}
        frame = self._frame(
            """
            SELECT r.meter_id, (extract(epoch FROM r.ts) * 1000000000)::bigint AS ts, r.value,
                   (extract(epoch FROM r.ingested_at) * 1000000000)::bigint AS ingested_at,
                   r.seq
            FROM readings r
            JOIN unnest(%s::text[], %s::bigint[]) AS s(meter_id, after_seq)
              ON r.meter_id = s.meter_id
            WHERE r.park_id = %s AND (s.after_seq IS NULL OR r.seq > s.after_seq)
            ORDER BY r.meter_id, r.seq
            """, [ids, [after.get(m) for m in ids], park_id])
        ints = {c: frame[c].to_numpy(dtype="int64") if len(frame) else np.zeros(0, "int64")
                for c in ("ts", "ingested_at", "seq")}
        return pd.DataFrame({
            "meter_id": pd.Series(frame["meter_id"] if len(frame) else [], dtype="str"),
            "ts": ints["ts"],
            "value": pd.to_numeric(frame["value"]).to_numpy(dtype="float64", na_value=np.nan)
            if len(frame) else np.zeros(0),
            "ingested_at": ints["ingested_at"],
            "seq": ints["seq"],
        })

    def derive_states(self, park_id: str, meter_ids: Sequence[str]) -> pd.DataFrame:
        """Saved derivation states (see :meth:`DuckDBStore.derive_states`)."""
        return self._frame(
            f"SELECT {', '.join(STATE_COLUMNS)} FROM derive_state WHERE park_id = %s AND "
            "meter_id = ANY(%s) ORDER BY meter_id", [park_id, list(meter_ids)])

    def write_derived(self, park_id: str, *, replace: Sequence[str], intervals: pd.DataFrame,
                      rollups: pd.DataFrame, issues: pd.DataFrame,
                      states: pd.DataFrame) -> None:
        """Write derivation results of many meters in one transaction.

        Same contract as :meth:`zeropark.store.duckdb.DuckDBStore.write_derived`.
        """
        replace = list(dict.fromkeys(replace))
        iv = _keyed(intervals, park_id, "interval_start", ["interval_start"])
        ru = _keyed(rollups, park_id, "period_start", ["period", "period_start"])
        self.generation += 1
        with self.transaction():
            self.ensure_partitions("intervals", month_starts(iv["interval_start"]))
            with self._lock, self.conn.cursor() as cur:
                if replace:
                    for table in ("intervals", "rollups", "quality_issues", "derive_state"):
                        cur.execute(f"DELETE FROM {table} WHERE park_id = %s AND "
                                    "meter_id = ANY(%s)", [park_id, replace])
                appended = iv[~iv["meter_id"].isin(replace)]
                if not appended.empty:
                    cut = appended.groupby("meter_id")["interval_start"].min()
                    cur.execute("DELETE FROM intervals i USING unnest(%s::text[], "
                                "%s::timestamp[]) AS c(meter_id, lo) WHERE i.park_id = %s "
                                "AND i.meter_id = c.meter_id AND i.interval_start >= c.lo",
                                [list(cut.index), [t.to_pydatetime() for t in cut], park_id])
                copy_rows(cur, "intervals", iv, ["park_id", "meter_id", "interval_start",
                                                 "duration_s", "energy", "estimated", "flags"])
                upserted = ru[~ru["meter_id"].isin(replace)]
                if not upserted.empty:
                    cur.execute(
                        "DELETE FROM rollups r USING unnest(%s::text[], %s::text[], "
                        "%s::timestamp[]) AS k(meter_id, period, period_start) WHERE "
                        "r.park_id = %s AND r.meter_id = k.meter_id AND r.period = k.period "
                        "AND r.period_start = k.period_start",
                        [upserted["meter_id"].tolist(), upserted["period"].astype(str).tolist(),
                         [t.to_pydatetime() for t in upserted["period_start"]], park_id])
                copy_rows(cur, "rollups", ru, ["park_id", "meter_id", "period", "period_start",
                                               "energy", "estimated_energy", "n_intervals",
                                               "n_missing"])
                if not issues.empty:
                    copy_rows(cur, "quality_issues", issues.assign(park_id=park_id),
                              ISSUE_COLUMNS)
                if not states.empty:
                    cur.execute("DELETE FROM derive_state WHERE park_id = %s AND "
                                "meter_id = ANY(%s)",
                                [park_id, [str(m) for m in states["meter_id"]]])
                    copy_rows(cur, "derive_state", _state_rows(states).assign(park_id=park_id),
                              ["park_id", *STATE_COLUMNS])

    def put_activity(self, park_id: str, rows: pd.DataFrame, *, imported_from: str) -> int:
        """Insert or replace activity records (by ``record_id``); see DuckDBStore."""
        frame = rows.assign(park_id=park_id, imported_from=imported_from)
        with self.transaction():
            self.con.register("activity_frame", frame)
            try:
                self._exec("DELETE FROM activity_records WHERE park_id = %s AND record_id IN "
                           "(SELECT record_id FROM activity_frame)", [park_id])
                self._exec("INSERT INTO activity_records SELECT park_id, record_id, "
                           "enterprise_id, period_start::date, period_end::date, record_json, "
                           "imported_from, now() AT TIME ZONE 'UTC' FROM activity_frame")
            finally:
                self.con.unregister("activity_frame")
        return len(frame)

    def activity(self, park_id: str, enterprise_id: str, start: object,
                 end: object) -> pd.DataFrame:
        """Stored activity records of an enterprise whose period lies in [start, end)."""
        return self._frame(
            "SELECT record_id, record_json, imported_from FROM activity_records "
            "WHERE park_id = %s AND enterprise_id = %s AND period_start >= %s "
            "AND period_end <= %s ORDER BY period_start, record_id",
            [park_id, enterprise_id, start, end])

    # -- live ingest ------------------------------------------------------------------
    def insert_dead_letters(self, park_id: str, frame: pd.DataFrame) -> None:
        """Append messages that could not be ingested (see DuckDBStore)."""
        self._append(park_id, "dead_letters", frame, ["received_at", "source", "payload",
                                                      "reason"])

    def insert_stream_events(self, park_id: str, frame: pd.DataFrame) -> None:
        """Append stream events (availability, Sparkplug seq gaps, rebirths)."""
        self._append(park_id, "stream_events", frame, ["received_at", "source", "event",
                                                       "data_json"])

    def _append(self, park_id: str, table: str, frame: pd.DataFrame,
                cols: list[str]) -> None:
        if frame.empty:
            return
        rows = frame.assign(park_id=park_id, received_at=_naive_utc(frame["received_at"]))
        with self.transaction(), self._lock, self.conn.cursor() as cur:
            copy_rows(cur, table, rows, ["park_id", *cols])

    def dead_letters(self, park_id: str) -> pd.DataFrame:
        """Dead letters of the park in arrival order."""
        return self._frame("SELECT received_at, source, payload, reason FROM dead_letters "
                           "WHERE park_id = %s ORDER BY received_at", [park_id])

    def stream_events(self, park_id: str) -> pd.DataFrame:
        """Stream events of the park in arrival order."""
        return self._frame("SELECT received_at, source, event, data_json FROM stream_events "
                           "WHERE park_id = %s ORDER BY received_at", [park_id])

    def mark_pending(self, park_id: str, meter_ids: Sequence[str]) -> None:
        """Remember meters whose readings changed but are not re-derived yet."""
        if not meter_ids:
            return
        self._exec("INSERT INTO derive_pending SELECT %s, unnest(%s::text[]) "
                   "ON CONFLICT DO NOTHING", [park_id, list(meter_ids)])

    def pending_meters(self, park_id: str) -> list[str]:
        """Meters marked by :meth:`mark_pending` and not cleared."""
        return [r[0] for r in self._exec("SELECT meter_id FROM derive_pending WHERE "
                                         "park_id = %s ORDER BY 1", [park_id])]

    def clear_pending(self, park_id: str, meter_ids: Sequence[str]) -> None:
        """Forget pending meters (after they were re-derived)."""
        self._exec("DELETE FROM derive_pending WHERE park_id = %s AND meter_id = ANY(%s)",
                   [park_id, list(meter_ids)])

    def quality_issues(self, park_id: str) -> pd.DataFrame:
        """All data-quality findings of the park."""
        return self._frame(
            "SELECT meter_id, code, severity, message, start_ts, end_ts, data_json "
            "FROM quality_issues WHERE park_id = %s ORDER BY meter_id, start_ts NULLS LAST",
            [park_id])


def new_schema_name(prefix: str = "zp") -> str:
    """A fresh schema name (tests and benchmarks use one schema per run)."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def drop_schema(url: str, schema: str) -> None:
    """Drop `schema` and everything in it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())
