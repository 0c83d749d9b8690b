"""Column helpers for bulk writes: pandas columns → numpy keys and Arrow arrays, no per-row Python.

The DuckDB store turns incoming frames into one Arrow table with integer meter keys
(see :mod:`zeropark.store._duckdb_schema`). These helpers do the column work with
numpy and pyarrow only, so 3.5 M readings cost tens of milliseconds:

* :func:`factorize` — a ``str`` or ``Categorical`` column → integer codes + its values;
* :func:`epoch_us` — timestamps (tz-aware, naive UTC or int64 ns) → int64 µs;
* :func:`sort_order` — the permutation sorting rows by (key, time), or None when sorted;
* :func:`stored_value_raw` / :meth:`UnitCodes.stored` — the compact raw columns, NULL
  where they repeat ``value`` / the meter's canonical unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from zeropark.errors import StoreError

#: Stored ``unit_raw`` of a reading that came *without* a unit while its meter has a
#: canonical unit (a stored NULL means "the canonical unit"; this marks a real NULL).
UNIT_NULL = "\x00"


def factorize(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a text column and the values they stand for.

    Parameters
    ----------
    column : pandas.Series
        Strings (any string dtype or object) or a ``Categorical`` of strings;
        missing values allowed.

    Returns
    -------
    codes : numpy.ndarray
        Shape ``(n_rows,)``, signed integers (int8 … int64, as small as the number of
        values allows); ``-1`` for a missing value.
    values : list of str
        The value of each code (for a ``Categorical``: all its categories, used
        or not).

    Examples
    --------
    >>> codes, values = factorize(pd.Series(["b", "a", "b", None]))
    >>> codes.tolist(), values
    ([0, 1, 0, -1], ['b', 'a'])
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        return codes, [str(v) for v in column.cat.categories]
    if getattr(column.dtype, "storage", None) == "pyarrow" or isinstance(column.dtype,
                                                                          pd.ArrowDtype):
        array = pa.array(column)  # Arrow-backed strings: no copy, C++ hashing
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        encoded = array.dictionary_encode()
        indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        return indices, [str(v) for v in encoded.dictionary.to_pylist()]
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return np.asarray(codes), [str(v) for v in uniques]


def epoch_us(column: pd.Series, *, name: str) -> np.ndarray:
    """Timestamps as int64 microseconds since the epoch (UTC, or naive wall time as is).

    Parameters
    ----------
    column : pandas.Series
        tz-aware timestamps (converted to UTC), naive timestamps (taken as they are)
        or int64 nanoseconds since the epoch.
    name : str
        Column name, for the error message.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows,)``, int64 [µs]; sub-microsecond parts are floored.

    Raises
    ------
    StoreError
        If a timestamp is missing.

    Examples
    --------
    >>> epoch_us(pd.Series(pd.to_datetime(["1970-01-01 00:00:01+01:00"])), name="ts")
    array([-3599000000])
    """
    if pd.api.types.is_integer_dtype(column.dtype):
        ns: np.ndarray = column.to_numpy(dtype="int64")
        return ns // 1000
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    values = np.asarray(column, dtype="datetime64[us]")
    if np.isnat(values).any():
        raise StoreError(f"column {name!r} has a missing timestamp")
    return values.view("int64")


def sort_order(*keys: np.ndarray) -> np.ndarray | None:
    """Permutation that sorts rows by `keys` (first key first), or None if already sorted.

    Parameters
    ----------
    *keys : numpy.ndarray
        Equal-length integer arrays, most significant first.

    Returns
    -------
    numpy.ndarray or None
        Stable order (ties keep their input order), shape ``(n_rows,)``.

    Examples
    --------
    >>> sort_order(np.array([2, 1, 1]), np.array([0, 5, 3])).tolist()
    [2, 1, 0]
    >>> sort_order(np.array([1, 1, 2]), np.array([3, 5, 0])) is None
    True
    """
    n = len(keys[0])
    if n < 2:
        return None
    if _is_sorted(keys):
        return None
    order = np.arange(n)
    for key in reversed(keys):  # least significant first; stable sorts keep earlier keys
        order = order[np.argsort(key[order], kind="stable")]
    return order


def _is_sorted(keys: Sequence[np.ndarray]) -> bool:
    """Whether rows are in lexicographic order of `keys`."""
    undecided = np.ones(len(keys[0]) - 1, dtype=bool)
    for key in keys:
        step = np.diff(key)
        if (undecided & (step < 0)).any():
            return False
        undecided &= step == 0
        if not undecided.any():
            return True
    return True


def stored_value_raw(value: np.ndarray, value_raw: np.ndarray) -> pa.Array:
    """The stored ``value_raw``: NULL where it equals ``value``, NaN where it is missing.

    Parameters
    ----------
    value, value_raw : numpy.ndarray
        Shape ``(n_rows,)``, float64, NaN for missing. [canonical unit] and [file unit]

    Returns
    -------
    pyarrow.Array
        float64; the view ``readings`` reads it back as
        ``CASE WHEN value_raw IS NULL THEN value WHEN isnan(value_raw) THEN NULL
        ELSE value_raw END``.

    Examples
    --------
    >>> stored_value_raw(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2000.0, np.nan])).to_pylist()
    [None, 2000.0, nan]
    """
    if np.array_equal(value_raw, value):  # the usual case, one pass (False if any NaN)
        return pa.nulls(len(value), pa.float64())
    same = (value_raw == value) | (np.isnan(value_raw) & np.isnan(value))
    if same.all():
        return pa.nulls(len(value), pa.float64())
    return pa.array(value_raw, type=pa.float64(), mask=same)


@dataclass(frozen=True, slots=True)
class UnitCodes:
    """A ``unit_raw`` column as codes, with the code of each row's canonical unit.

    Attributes
    ----------
    codes : numpy.ndarray
        Shape ``(n_rows,)``, integer codes into `units` (``-1``: no unit given).
    units : list of str
        Unit texts as received.
    canonical : numpy.ndarray
        Code of the row's meter's canonical unit in `units` (``-1``: the meter has
        none, ``-2``: not among `units`): shape ``(n_rows,)``, or ``()`` when all
        rows share one.
    """

    codes: np.ndarray
    units: list[str]
    canonical: np.ndarray

    def stored(self, rows: np.ndarray | None = None) -> pa.Array:
        """The stored ``unit_raw`` of `rows` (None: all): NULL where it is canonical.

        Returns
        -------
        pyarrow.Array
            Strings (dictionary-encoded unless all NULL); NULL = the canonical unit,
            :data:`UNIT_NULL` = no unit although the meter has a canonical one.

        Examples
        --------
        >>> units = UnitCodes(np.array([0, 1, -1]), ["kWh", "MWh"], np.array(0))
        >>> units.stored().dictionary_decode().to_pylist() == [None, "MWh", UNIT_NULL]
        True
        """
        codes = self.codes if rows is None else self.codes[rows]
        if (self.canonical.ndim == 0 and len(codes)
                and int(codes.min()) == int(codes.max()) == int(self.canonical)):
            return pa.nulls(len(codes), pa.string())  # all in the one canonical unit
        canonical = (self.canonical if self.canonical.ndim == 0 or rows is None
                     else self.canonical[rows])
        same = codes == canonical
        if same.all():
            return pa.nulls(len(codes), pa.string())
        dictionary = pa.array([*self.units, UNIT_NULL], type=pa.string())
        indices = np.where(codes < 0, len(self.units), codes).astype("int32")
        return pa.DictionaryArray.from_arrays(pa.array(indices, mask=same), dictionary)


def canonical_unit_codes(unit_raw: pd.Series, canonical: Sequence[str | None],
                         meter_codes: np.ndarray, used: np.ndarray) -> UnitCodes:
    """Code the ``unit_raw`` column and each row's canonical unit (see :class:`UnitCodes`).

    Parameters
    ----------
    unit_raw : pandas.Series
        Units as received, shape ``(n_rows,)``.
    canonical : sequence of str or None
        Canonical unit of each meter in `used`.
    meter_codes : numpy.ndarray
        Shape ``(n_rows,)``: each row's meter code.
    used : numpy.ndarray
        The meter codes that occur, aligned with `canonical`.

    Returns
    -------
    UnitCodes
    """
    codes, units = factorize(unit_raw)
    index = {u: i for i, u in enumerate(units)}
    wanted = np.array([-1 if c is None else index.get(c, -2) for c in canonical],
                      dtype="int64")
    if len(wanted) and (wanted == wanted[0]).all():
        return UnitCodes(codes, units, np.array(wanted[0]))
    of_meter = np.full(int(used.max()) + 1 if len(used) else 0, -2, dtype="int64")
    of_meter[used] = wanted
    return UnitCodes(codes, units, of_meter[meter_codes])


def float_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric column as float64 with NaN for missing values, shape ``(n_rows,)``.

    A float64 column comes back without a copy.
    """
    column = frame[name]
    if column.dtype == np.float64:
        return column.to_numpy()
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def int_or_float_column(column: pd.Series) -> np.ndarray:
    """An integer column as int64, or as float64 with NaN when it has missing values."""
    if pd.api.types.is_integer_dtype(column.dtype) and not column.hasnans:
        return column.to_numpy(dtype="int64")
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def arrow_column(column: pd.Series, order: np.ndarray | None = None,
                 type: pa.DataType | None = None) -> pa.Array:
    """A pandas column as an Arrow array (NaN/None → NULL), taken in `order` if given."""
    array = pa.Array.from_pandas(column, type=type)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if isinstance(array.type, pa.DictionaryType):
        array = array.dictionary_decode()
    return array if order is None else array.take(pa.array(order))
