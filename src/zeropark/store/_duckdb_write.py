"""Writes of the DuckDB store: meter keys, new readings, batches, intervals and rollups.

Functions over an open connection, called by :class:`zeropark.store.duckdb.DuckDBStore`
inside its transactions. Frames become Arrow tables with integer meter keys (see
:mod:`zeropark.store._bulk`), rows are inserted sorted by meter key and time, and the
uniqueness a primary key used to enforce is kept by construction: derived rows are
deleted before the rows that replace them are inserted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from zeropark.errors import StoreError
from zeropark.store._bulk import (
    UNIT_NULL,
    UnitCodes,
    arrow_column,
    epoch_us,
    factorize,
    float_column,
    int_or_float_column,
    scaled_values,
    sort_order,
    stored_value_raw,
)
from zeropark.store._duckdb_schema import READING_DATA_COLUMNS, value_sql


def meter_codes(frame: pd.DataFrame) -> tuple[np.ndarray, list[str | None]]:
    """Codes of `frame`'s ``meter_id`` column and the meter of each code (None: unused)."""
    if frame.empty:
        return np.zeros(0, dtype="int64"), []
    codes, values = factorize(frame["meter_id"])
    if (codes < 0).any():
        raise StoreError("write_derived: a row has no meter_id")
    used = np.bincount(codes, minlength=len(values)) > 0
    return codes, [v if u else None for v, u in zip(values, used, strict=True)]


def keys_of(codes: np.ndarray, meters: list[str | None],
             keys: Mapping[str, tuple[int, str | None]]) -> np.ndarray:
    """Meter key of each row, shape ``(n_rows,)``, int32."""
    key_of = np.array([-1 if m is None else keys[m][0] for m in meters], dtype="int32")
    out: np.ndarray = key_of[codes]
    return out


def check_unique(table: str, *columns: np.ndarray) -> None:
    """Refuse sorted rows that repeat a key (what a primary key used to refuse)."""
    if len(columns[0]) < 2:
        return
    same = np.ones(len(columns[0]) - 1, dtype=bool)
    for column in columns:
        same &= column[1:] == column[:-1]
    if same.any():
        raise StoreError(f"write_derived: {int(same.sum())} {table} row(s) repeat the key "
                         f"of another row (meter, start)")


def meter_keys(con: duckdb.DuckDBPyConnection, park_id: str, meter_ids: Sequence[str], *,
               create: bool = True) -> dict[str, tuple[int, str | None]]:
    """``meter_id → (meter_key, canonical_unit)``; unseen meters get keys if `create`.

    A new key takes the canonical unit of the saved meter (``meters``), else NULL.
    Call inside a transaction.
    """
    ids = list(dict.fromkeys(meter_ids))
    if not ids:
        return {}
    rows = con.execute(
        "SELECT meter_id, meter_key, canonical_unit FROM meter_keys "
        "WHERE park_id = ? AND list_contains(?, meter_id)", [park_id, ids]).fetchall()
    found = {str(m): (int(k), u) for m, k, u in rows}
    missing = [m for m in ids if m not in found]
    if missing and create:
        units = dict(con.execute(
            "SELECT meter_id, canonical_unit FROM meters WHERE park_id = ? AND "
            "list_contains(?, meter_id)", [park_id, missing]).fetchall())
        found.update(add_meter_keys(con, park_id, {m: units.get(m) for m in missing}))
    return found


def add_meter_keys(con: duckdb.DuckDBPyConnection, park_id: str,
                   units: dict[str, str | None]) -> dict[str, tuple[int, str | None]]:
    """Give each meter in `units` (``meter_id → canonical_unit``) a fresh key."""
    row = con.execute("SELECT coalesce(max(meter_key), 0) + 1 FROM meter_keys").fetchone()
    first = int(row[0]) if row else 1
    ids = list(units)
    keys = list(range(first, first + len(ids)))
    con.execute("INSERT INTO meter_keys SELECT unnest(?::INTEGER[]), ?, "
                "unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
                [keys, park_id, ids, [units[m] for m in ids]])
    return {m: (k, units[m]) for m, k in zip(ids, keys, strict=True)}


def sync_meter_keys(con: duckdb.DuckDBPyConnection, park_id: str,
                    units: dict[str, str | None]) -> None:
    """Keys for the park's meters; a changed canonical unit keeps stored units exact.

    A stored NULL ``unit_raw`` means "the canonical unit", so before a meter's
    canonical unit changes its NULLs are written out as the old unit, and the rows
    in the new unit become NULL.
    """
    known = meter_keys(con, park_id, list(units), create=False)
    for meter_id, (key, old) in known.items():
        new = units[meter_id]
        if old == new:
            continue
        con.execute("UPDATE reading_data SET unit_raw = ? WHERE meter_key = ? AND "
                    "unit_raw IS NULL", [UNIT_NULL if old is None else old, key])
        con.execute("UPDATE reading_data SET unit_raw = NULL WHERE meter_key = ? AND "
                    "unit_raw = ?", [key, UNIT_NULL if new is None else new])
        con.execute("UPDATE meter_keys SET canonical_unit = ? WHERE meter_key = ?", [new, key])
    missing = {m: u for m, u in units.items() if m not in known}
    if missing:
        add_meter_keys(con, park_id, missing)


def execute_with(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, sql: str) -> None:
    """Run `sql` with the Arrow `table` registered as `name`."""
    con.register(name, table)
    try:
        con.execute(sql)
    finally:
        con.unregister(name)


def new_reading_mask(con: duckdb.DuckDBPyConnection, keys: np.ndarray,
                     meter_keys: np.ndarray, ts: np.ndarray,
                     value: np.ndarray) -> np.ndarray | None:
    """Mask of the incoming rows to store (see ``DuckDBStore.insert_readings``).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    keys : numpy.ndarray
        Meter key of each incoming row, shape ``(n_rows,)``.
    meter_keys : numpy.ndarray
        The distinct keys among `keys`.
    ts : numpy.ndarray
        Reading times, int64 [µs] since the UTC epoch, shape ``(n_rows,)``.
    value : numpy.ndarray
        Values, float64 (NaN: none), shape ``(n_rows,)``.

    Returns
    -------
    numpy.ndarray or None
        Boolean mask of the rows to store, or None when all are new: one query finds
        the meters with stored readings in [min ts, max ts]; only their rows (and
        those of meters with a missing value) go through the duplicate check.
    """
    stored = con.execute(
        "SELECT DISTINCT meter_key FROM reading_data WHERE meter_key BETWEEN ? AND ? "
        "AND list_contains(?, meter_key) AND ts BETWEEN make_timestamp(?) AND "
        "make_timestamp(?)",
        [int(meter_keys.min()), int(meter_keys.max()), meter_keys.tolist(),
         int(ts.min()), int(ts.max())]).fetchall()
    dirty = np.zeros(int(meter_keys.max()) + 1, dtype=bool)
    dirty[[int(r[0]) for r in stored]] = True
    # An all-NULL (meter, ts) group is stored only if it changes a current value.
    missing = np.isnan(value)
    if missing.any():
        dirty[np.unique(keys[missing])] = True
    if not dirty.any():
        return None
    rows = np.flatnonzero(dirty[keys])
    incoming = pa.table({
        "pos": pa.array(rows, type=pa.int64()),
        "meter_key": pa.array(keys[rows], type=pa.int32()),
        "ts": pa.array(ts[rows], type=pa.timestamp("us")),
        "value": pa.array(value[rows], type=pa.float64(), from_pandas=True),
    })
    con.register("zp_incoming", incoming)
    try:
        changed = con.execute(
            f"""
            WITH current AS (
                SELECT r.meter_key, r.ts, arg_max({value_sql("r")}, r.seq) AS value
                FROM reading_data r
                SEMI JOIN zp_incoming i ON r.meter_key = i.meter_key AND r.ts = i.ts
                GROUP BY r.meter_key, r.ts),
            changed AS (
                SELECT i.meter_key, i.ts FROM zp_incoming i
                LEFT JOIN current c ON c.meter_key = i.meter_key AND c.ts = i.ts
                GROUP BY i.meter_key, i.ts
                HAVING bool_or(c.value IS DISTINCT FROM i.value))
            SELECT i.pos FROM zp_incoming i
            SEMI JOIN changed g ON g.meter_key = i.meter_key AND g.ts = i.ts
            """).fetchnumpy()["pos"]
    finally:
        con.unregister("zp_incoming")
    new: np.ndarray = ~dirty[keys]
    new[np.asarray(changed, dtype="int64")] = True
    return new


def append_readings(con: duckdb.DuckDBPyConnection, park_id: str, frame: pd.DataFrame,
                    rows: np.ndarray | None, *, keys: np.ndarray, ts: np.ndarray,
                    value: np.ndarray, units: UnitCodes) -> None:
    """Store `rows` of `frame` (None: all): ``seq`` in file order, sorted by (key, ts).

    Decimal values go to ``value_int`` / ``value_scale`` (:func:`scaled_values`, one
    scale per meter); ``value_raw`` is compared with the value as received.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    park_id : str
    frame : pandas.DataFrame
        The incoming frame (columns of ``insert_readings``).
    rows : numpy.ndarray or None
        Positions of the rows to store, in frame order.
    keys, ts, value : numpy.ndarray
        Meter key, time [µs since the UTC epoch] and value of every frame row.
    units : UnitCodes
        The frame's ``unit_raw`` with each row's canonical unit.
    """

    def sel(a: np.ndarray) -> np.ndarray:
        return a if rows is None else a[rows]

    source_row = sel(int_or_float_column(frame["source_row"]))
    n = len(source_row)
    row = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM reading_data").fetchone()
    first = int(row[0]) if row else 1
    if n < 2 or (source_row[1:] >= source_row[:-1]).all():
        seq = np.arange(first, first + n, dtype="int64")
    else:  # arrival = file order; rows without a source_row (NaN) last
        seq = np.empty(n, dtype="int64")
        seq[np.argsort(source_row, kind="stable")] = np.arange(first, first + n)
    batch = add_batches(con, park_id, frame["source"], rows, n)
    order = sort_order(sel(keys), sel(ts))
    pick = rows if order is None else (order if rows is None else rows[order])
    if order is not None:
        seq, batch, source_row = seq[order], batch[order], source_row[order]

    def take(a: np.ndarray) -> np.ndarray:
        return a if pick is None else a[pick]

    value, keys = take(value), take(keys)
    stored, value_int, value_scale = scaled_values(value, keys)
    table = pa.table({
        "meter_key": pa.array(keys, type=pa.int32()),
        "ts": pa.array(take(ts), type=pa.timestamp("us")),
        "value": stored,
        "value_int": value_int,
        "value_scale": value_scale,
        "value_raw": stored_value_raw(value, take(float_column(frame, "value_raw"))),
        "unit_raw": units.stored(pick),
        "batch_id": pa.array(batch, type=pa.int64()),
        "source_row": pa.array(source_row, from_pandas=True).cast(pa.int64()),
        "seq": pa.array(seq, type=pa.int64()),
    })
    names = ", ".join(READING_DATA_COLUMNS)
    execute_with(con, "zp_readings", table,
                 f"INSERT INTO reading_data ({names}) SELECT {names} FROM zp_readings")


def add_batches(con: duckdb.DuckDBPyConnection, park_id: str, source: pd.Series,
                rows: np.ndarray | None, n: int) -> np.ndarray:
    """One ``ingest_batches`` row per distinct source among `rows`; their batch ids."""
    codes, sources = factorize(source)
    row = con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM ingest_batches").fetchone()
    first = int(row[0]) if row else 1
    picked = codes if rows is None else codes[rows]
    lo, hi = int(picked.min()), int(picked.max())
    if lo == hi:  # one source (the usual case)
        present = np.array([lo + 1])
    else:
        picked = picked.astype("int64") + 1  # 0: no source
        present = np.flatnonzero(np.bincount(picked, minlength=len(sources) + 1))
    ids = list(range(first, first + len(present)))
    con.execute(
        "INSERT INTO ingest_batches SELECT unnest(?::BIGINT[]), ?, unnest(?::VARCHAR[]), "
        "now()::TIMESTAMP",
        [ids, park_id, [None if i == 0 else sources[i - 1] for i in present]])
    if lo == hi:
        return np.full(n, first, dtype="int64")
    batch_of = np.zeros(len(sources) + 1, dtype="int64")
    batch_of[present] = ids
    out: np.ndarray = batch_of[picked]
    return out


def write_intervals(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, mk: np.ndarray,
                    replaced: np.ndarray) -> None:
    """Insert interval rows; for meters not in `replaced`, first cut their stored tail.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    frame : pandas.DataFrame
        Columns ``interval_start`` (int64 [ns] UTC or timestamps), ``duration_s``,
        ``energy``, ``estimated``, ``flags``; shape ``(n_rows, ·)``.
    mk : numpy.ndarray
        Meter key of each row, shape ``(n_rows,)``.
    replaced : numpy.ndarray
        Keys whose rows were all deleted already (nothing to cut).

    Raises
    ------
    StoreError
        If two rows share (meter, interval_start).
    """
    start = epoch_us(frame["interval_start"], name="interval_start")
    order = sort_order(mk, start)
    if order is not None:
        mk, start = mk[order], start[order]
    check_unique("intervals", mk, start)
    first = np.flatnonzero(np.r_[True, mk[1:] != mk[:-1]])
    append = ~np.isin(mk[first], replaced)
    if append.any():
        cut = pa.table({"meter_key": pa.array(mk[first][append], type=pa.int32()),
                        "lo": pa.array(start[first][append], type=pa.timestamp("us"))})
        execute_with(con, "zp_cut", cut,
                     "DELETE FROM interval_data USING zp_cut c WHERE "
                     "interval_data.meter_key = c.meter_key AND "
                     "interval_data.interval_start >= c.lo")
    table = pa.table({
        "meter_key": pa.array(mk, type=pa.int32()),
        "interval_start": pa.array(start, type=pa.timestamp("us")),
        "duration_s": arrow_column(frame["duration_s"], order, pa.int32()),
        "energy": arrow_column(frame["energy"], order, pa.float64()),
        "estimated": arrow_column(frame["estimated"], order, pa.bool_()),
        # '' (no flag, nearly every row) is stored as NULL, which costs nothing on disk;
        # the ``intervals`` view shows it as ''.
        "flags": _flags_column(frame["flags"], order),
    })
    execute_with(con, "zp_intervals", table,
                 "INSERT INTO interval_data SELECT meter_key, interval_start, duration_s, "
                 "energy, estimated, flags FROM zp_intervals")


def _flags_column(flags: pd.Series, order: np.ndarray | None) -> pa.Array:
    """Interval flags as Arrow strings, NULL for '' (a Categorical is mapped by its codes)."""
    if isinstance(flags.dtype, pd.CategoricalDtype):
        names = [str(c) for c in flags.cat.categories]
        codes = flags.cat.codes.to_numpy().astype("int32")
        if order is not None:
            codes = codes[order]
        blank = np.array([n == "" for n in names] + [True], bool)[codes]  # -1 (NA) too
        indices = pa.array(codes, mask=blank)
        return pa.DictionaryArray.from_arrays(indices, pa.array(names, pa.string())
                                              ).dictionary_decode()
    text = arrow_column(flags, order).cast(pa.string())
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def write_rollups(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, mk: np.ndarray,
                  replaced: np.ndarray) -> None:
    """Insert rollup rows; for meters not in `replaced`, first delete rows with their keys.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    frame : pandas.DataFrame
        Columns ``period``, ``period_start`` (int64 [ns] or naive timestamps),
        ``energy``, ``estimated_energy``, ``n_intervals``, ``n_missing``.
    mk : numpy.ndarray
        Meter key of each row, shape ``(n_rows,)``.
    replaced : numpy.ndarray
        Keys whose rows were all deleted already.

    Raises
    ------
    StoreError
        If two rows share (meter, period, period_start), or a row has no period.
    """
    p_codes, periods = factorize(frame["period"])
    if (p_codes < 0).any():
        raise StoreError("write_derived: a rollup row has no period")
    ordered = sorted(periods)
    period = np.array([ordered.index(p) for p in periods], dtype="int32")[p_codes]
    start = epoch_us(frame["period_start"], name="period_start")
    # Period first: each period's rows of all meters form one run, so the period column is
    # constant per segment and period_start advances by a constant step within a meter.
    order = sort_order(period, mk, start)
    if order is not None:
        mk, period, start = mk[order], period[order], start[order]
    check_unique("rollups", period, mk, start)
    table = pa.table({
        "meter_key": pa.array(mk, type=pa.int32()),
        "period": pa.DictionaryArray.from_arrays(
            pa.array(period), pa.array(ordered, type=pa.string())).dictionary_decode(),
        "period_start": pa.array(start, type=pa.timestamp("us")),
        "energy": arrow_column(frame["energy"], order, pa.float64()),
        "estimated_energy": arrow_column(frame["estimated_energy"], order, pa.float64()),
        "n_intervals": arrow_column(frame["n_intervals"], order, pa.int32()),
        "n_missing": arrow_column(frame["n_missing"], order, pa.int32()),
    })
    append = ~np.isin(mk, replaced)
    if append.any():
        execute_with(con, "zp_rollup_keys", table.filter(pa.array(append)).select(
            ["meter_key", "period", "period_start"]),
            "DELETE FROM rollup_data USING zp_rollup_keys k WHERE "
            "rollup_data.meter_key = k.meter_key AND rollup_data.period = k.period AND "
            "rollup_data.period_start = k.period_start")
    execute_with(con, "zp_rollups", table,
                 "INSERT INTO rollup_data SELECT meter_key, period, period_start, energy, "
                 "estimated_energy, n_intervals, n_missing FROM zp_rollups")
