"""DuckDB-flavoured SQL on PostgreSQL: the small dialect bridge behind :class:`PostgresStore`.

Pipelines and API routes pass SQL to ``store.query(sql, params)`` and, in a few places,
to ``store.con.execute`` / ``store.con.register`` (a pandas frame used as a table).
That SQL is written once, in the portable subset both engines share, with DuckDB's
``?`` placeholders. This module rewrites the few spellings that differ:

=================================  ==========================================
DuckDB (as written by callers)     PostgreSQL (as sent)
=================================  ==========================================
``?``                              ``%s`` (outside string literals)
``list_contains(?, col)``          ``col = ANY(%s)`` (a Python list → ``text[]``)
``year(x)``                        ``date_part('year', x)``
``DOUBLE``                         ``DOUBLE PRECISION``
``BLOB``                           ``BYTEA``
``con.register(name, frame)``      ``CREATE TEMP TABLE name`` + ``COPY`` rows
=================================  ==========================================

Anything else DuckDB-only (``arg_max``, ``SEMI``/``ANTI JOIN``, ``INSERT OR REPLACE``)
stays inside the store classes, which write each engine's SQL themselves.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import psycopg

_LIST_CONTAINS = re.compile(r"list_contains\(\s*\?\s*,\s*([\w.]+)\s*\)", re.IGNORECASE)
_YEAR = re.compile(r"\byear\(", re.IGNORECASE)
_DOUBLE = re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.IGNORECASE)
_BLOB = re.compile(r"\bBLOB\b", re.IGNORECASE)
_CREATE_IF_NOT_EXISTS = re.compile(r"^\s*CREATE\s+(TABLE|SEQUENCE|INDEX)\s+IF\s+NOT\s+EXISTS",
                                   re.IGNORECASE)


def _split_literals(sql: str) -> list[tuple[bool, str]]:
    """Cut `sql` into (is_literal, text) pieces at single-quoted string literals."""
    parts: list[tuple[bool, str]] = []
    pos = 0
    for match in re.finditer(r"'(?:[^']|'')*'", sql):
        parts.append((False, sql[pos:match.start()]))
        parts.append((True, match.group(0)))
        pos = match.end()
    parts.append((False, sql[pos:]))
    return parts


def translate(sql: str, *, with_params: bool = True) -> str:
    """Rewrite DuckDB-flavoured `sql` for PostgreSQL (see the module table).

    Parameters
    ----------
    sql : str
        Query with ``?`` placeholders.
    with_params : bool
        Whether parameters will be bound (then ``%`` is escaped as ``%%``).

    Returns
    -------
    str

    Examples
    --------
    >>> translate("SELECT year(t) FROM r WHERE list_contains(?, meter_id) AND x = '?'")
    "SELECT date_part('year', t) FROM r WHERE meter_id = ANY(%s) AND x = '?'"
    """
    out = []
    for literal, text in _split_literals(sql):
        if with_params:
            text = text.replace("%", "%%")
        if literal:
            out.append(text)
            continue
        text = _LIST_CONTAINS.sub(r"\1 = ANY(?)", text)
        text = _YEAR.sub("date_part('year', ", text)
        text = _DOUBLE.sub("DOUBLE PRECISION", text)
        text = _BLOB.sub("BYTEA", text)
        if with_params:
            text = text.replace("?", "%s")
        out.append(text)
    return "".join(out)


def adapt_param(value: Any) -> Any:
    """A Python value psycopg can bind (numpy scalars, pandas stamps, NaN → NULL)."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, list | tuple | np.ndarray | pd.Series | pd.Index):
        return [adapt_param(v) for v in value]
    return value


def frame_columns(frame: pd.DataFrame) -> list[list[Any]]:
    """Columns of `frame` as lists of plain Python values, NaN/NaT as None."""
    cols: list[list[Any]] = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            if isinstance(series.dtype, pd.DatetimeTZDtype):
                series = series.dt.tz_convert("UTC").dt.tz_localize(None)
            values = [None if pd.isna(v) else v.to_pydatetime() for v in series]
        elif pd.api.types.is_bool_dtype(series.dtype) and not series.isna().any():
            values = [bool(v) for v in series.to_numpy()]
        elif pd.api.types.is_numeric_dtype(series.dtype):
            arr = series.to_numpy()
            mask = pd.isna(series).to_numpy()
            values = [None if m else v for v, m in zip(arr.tolist(), mask, strict=True)]
        else:
            values = [adapt_param(v) if not (isinstance(v, float) and np.isnan(v)) else None
                      for v in series.tolist()]
        cols.append(values)
    return cols


def pg_type(series: pd.Series) -> str:
    """PostgreSQL column type for a pandas column (for temporary tables)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(dtype):
        return "BIGINT"
    if pd.api.types.is_float_dtype(dtype):
        return "DOUBLE PRECISION"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "TIMESTAMP"  # converted to naive UTC on the way in
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "TIMESTAMP"
    first = next((v for v in series if v is not None and not (isinstance(v, float)
                                                             and np.isnan(v))), None)
    if isinstance(first, bytes | bytearray | memoryview):
        return "BYTEA"
    if isinstance(first, dt.datetime):
        return "TIMESTAMP"
    if isinstance(first, dt.date):
        return "DATE"
    if isinstance(first, bool):
        return "BOOLEAN"
    if isinstance(first, int):
        return "BIGINT"
    if isinstance(first, float):
        return "DOUBLE PRECISION"
    return "TEXT"


def copy_rows(cur: psycopg.Cursor[Any], table: str, frame: pd.DataFrame,
              columns: Sequence[str] | None = None) -> None:
    """Bulk-load `frame` into `table` with ``COPY … FROM STDIN`` (binary-safe, NULL-aware)."""
    cols = list(columns) if columns is not None else [str(c) for c in frame.columns]
    if frame.empty:
        return
    data = frame_columns(frame[cols])
    quoted = ", ".join('"' + c.strip('"') + '"' for c in cols)
    target = f"{table} ({quoted})"
    with cur.copy(f"COPY {target} FROM STDIN") as copy:
        for row in zip(*data, strict=True):
            copy.write_row(row)


def rows_to_frame(cur: psycopg.Cursor[Any]) -> pd.DataFrame:
    """The current result of `cur` as a frame with dtypes close to DuckDB's ``.df()``."""
    if cur.description is None:
        return pd.DataFrame()
    names = [d.name for d in cur.description]
    rows = cur.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=names, coerce_float=True)
    for desc, name in zip(cur.description, names, strict=True):
        series = frame[name]
        type_name = getattr(cur.adapters.types.get(desc.type_code), "name", "")
        if type_name in ("timestamp", "timestamptz", "date"):
            converted = pd.to_datetime(series)
            if isinstance(converted.dtype, pd.DatetimeTZDtype):
                converted = converted.dt.tz_convert("UTC").dt.tz_localize(None)
            frame[name] = converted
        elif type_name in ("float8", "float4", "numeric"):
            frame[name] = pd.to_numeric(series, errors="coerce").astype("float64")
        elif type_name in ("int2", "int4", "int8") and not series.isna().any():
            frame[name] = series.astype("int64") if len(series) else series.astype("int64")
        elif type_name == "bool" and not series.isna().any():
            frame[name] = series.astype(bool)
        elif type_name == "bytea":
            frame[name] = [bytes(v) if v is not None else None for v in series]
    return frame


class Result:
    """What ``con.execute`` returns: ``fetchone``, ``fetchall``, ``df`` (DuckDB's names)."""

    def __init__(self, rows: list[tuple[Any, ...]] | None, frame: pd.DataFrame | None) -> None:
        self._rows = rows
        self._frame = frame

    def fetchall(self) -> list[tuple[Any, ...]]:
        """All rows as tuples."""
        return list(self._rows or [])

    def fetchone(self) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    def df(self) -> pd.DataFrame:
        """The rows as a frame."""
        return self._frame if self._frame is not None else pd.DataFrame()


class CompatConnection:
    """The subset of ``duckdb.DuckDBPyConnection`` that callers of ``store.con`` use.

    Parameters
    ----------
    conn : psycopg.Connection
        Open connection (autocommit; the store opens transactions).
    lock : threading.RLock
        The store's lock; every call holds it.
    read_only : bool
        Skip ``CREATE … IF NOT EXISTS`` (the migrations made those objects; a
        read-only session may not run DDL).
    """

    def __init__(self, conn: psycopg.Connection[Any], lock: threading.RLock, *,
                 read_only: bool = False) -> None:
        self.conn = conn
        self._lock = lock
        self._read_only = read_only

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        """Run `sql` (DuckDB spelling); results are fetched at once."""
        if self._read_only and _CREATE_IF_NOT_EXISTS.match(sql):
            return Result([], None)
        with self._lock, self.conn.cursor() as cur:
            if params:
                cur.execute(translate(sql).encode(), [adapt_param(p) for p in params])
            else:
                cur.execute(translate(sql, with_params=False).encode())
            if cur.description is None:
                return Result([], None)
            frame = rows_to_frame(cur)
        rows = list(frame.itertuples(index=False, name=None))
        return Result(rows, frame)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run `sql` once per parameter row."""
        with self._lock, self.conn.cursor() as cur:
            cur.executemany(translate(sql).encode(),
                            [[adapt_param(v) for v in row] for row in rows])

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make `frame` queryable as `name` (a temporary table, dropped by :meth:`unregister`)."""
        cols = ", ".join(f'"{c}" {pg_type(frame[c])}' for c in frame.columns)
        with self._lock, self.conn.cursor() as cur:
            cur.execute(f'DROP TABLE IF EXISTS pg_temp."{name}"'.encode())
            cur.execute(f'CREATE TEMP TABLE "{name}" ({cols})'.encode())
            copy_rows(cur, f'pg_temp."{name}"', frame.rename(columns=str))

    def unregister(self, name: str) -> None:
        """Drop the temporary table made by :meth:`register`."""
        with self._lock, self.conn.cursor() as cur:
            cur.execute(f'DROP TABLE IF EXISTS pg_temp."{name}"'.encode())
