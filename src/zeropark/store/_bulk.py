"""Column helpers for bulk writes: pandas columns → numpy keys and Arrow arrays, no per-row Python.

The DuckDB store turns incoming frames into one Arrow table with integer meter keys
(see :mod:`zeropark.store._duckdb_schema`). These helpers do the column work with
numpy and pyarrow only, so 3.5 M readings cost tens of milliseconds:

* :func:`factorize` — a ``str`` or ``Categorical`` column → integer codes + its values;
* :func:`epoch_us` — timestamps (tz-aware, naive UTC or int64 ns) → int64 µs;
* :func:`sort_order` — the permutation sorting rows by (key, time), or None when sorted;
* :func:`scaled_values` — ``value`` as an integer count of 10⁻ᵏ units where that is exact;
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
#: Most decimal places a stored ``value_int`` carries (``value_scale`` is 0 … MAX_SCALE).
MAX_SCALE = 6
#: 10**k for k = 0 … MAX_SCALE; every power of ten up to 1e22 is exact in float64.
POW10 = np.array([1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6])
#: Rows per meter run that :func:`scaled_values` tries every scale on before checking all.
_SAMPLE = 32
#: Rows :func:`scaled_values` checks per step (float64 temporaries of 512 kB).
_CHUNK = 1 << 16


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


def scaled_values(value: np.ndarray, keys: np.ndarray, *,
                  null: np.ndarray | None = None) -> tuple[pa.Array, pa.Array, pa.Array]:
    """The stored ``value``, ``value_int`` and ``value_scale`` columns of readings.

    A value that is exactly an integer count of 10⁻ᵏ units is stored as that integer
    (``value_int``) and k (``value_scale``), with ``value`` NULL: a register read to
    0.01 kWh then bit-packs as deltas of its integer counts (about 1.8 bytes per
    reading, against 2.7 for the DOUBLE; DuckDB 2.0.1, 100 meters × 35,040 readings).
    k is chosen per run of equal `keys` (one meter in one write): the smallest k in
    0 … :data:`MAX_SCALE` at which every row of the run that is exact at some such k
    is exact. Rows that are not exact at their run's k (NaN, ±inf, -0.0, binary
    fractions such as 1/3, more than :data:`MAX_SCALE` places) keep the DOUBLE.

    Parameters
    ----------
    value : numpy.ndarray
        Shape ``(n_rows,)``, float64. [canonical unit]
    keys : numpy.ndarray
        Meter key of each row, shape ``(n_rows,)``; a meter's rows should be adjacent
        (rows sorted by key): each run of equal keys gets its own k.
    null : numpy.ndarray, optional
        Boolean mask of the rows stored as NULL, shape ``(n_rows,)``. Default: the NaN
        rows (pandas' missing value); given, a NaN outside it is stored as NaN.

    Returns
    -------
    value : pyarrow.Array
        float64: NULL where `value_int` holds the value or the value is missing.
    value_int : pyarrow.Array
        int64: ``rint(value · 10**k)``, |value_int| < 2**53; NULL where not exact.
    value_scale : pyarrow.Array
        int8: k, NULL where `value_int` is.

    Notes
    -----
    A row is exact at k when ``value_int / 10.0**k``, computed in float64 (what the
    ``readings`` view computes: ``value_int::DOUBLE / 1e{k}``), has the same bits as
    `value`. Division by an exact power of ten is correctly rounded, so this holds
    for every value written with at most k decimals whose integer count is below
    2**53. k is found on up to 32 evenly spaced rows of each run, then checked on
    all rows; rows that fail (rare) are tried at finer scales alone.

    Examples
    --------
    >>> stored, ints, scale = scaled_values(np.array([1018.01, 1018.5, 1 / 3, np.nan]),
    ...                                     np.zeros(4, dtype="int32"))
    >>> stored.to_pylist(), ints.to_pylist(), scale.to_pylist()
    ([None, None, 0.3333333333333333, None], [101801, 101850, None, None], [2, 2, None, None])
    """
    n = len(value)
    if n == 0:
        return pa.array(value, pa.float64()), pa.nulls(0, pa.int64()), pa.nulls(0, pa.int8())
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    lengths = np.diff(np.r_[starts, n])
    with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN simply fail
        scale = np.maximum(_sampled_scales(value, starts, lengths), 0)
        exact, ints = _exact(value, _factors(scale, lengths))
        if not exact.all():
            scale, exact, ints = _finer_scales(value, starts, lengths, scale, exact, ints)
    uniform = bool((scale == scale[0]).all())
    row_scale = (np.full(n, scale[0], dtype=np.int8) if uniform
                 else np.repeat(scale.astype(np.int8), lengths))
    if exact.all():
        return pa.nulls(n, pa.float64()), pa.array(ints), pa.array(row_scale)
    inexact = ~exact
    stored = pa.array(value, type=pa.float64(),
                      mask=exact | (np.isnan(value) if null is None else null))
    return stored, pa.array(ints, mask=inexact), pa.array(row_scale, mask=inexact)


def _exact(value: np.ndarray, factor: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows exact at scale `factor` = 10**k, and ``rint(value · factor)`` as int64.

    The integers are meaningless where a row is not exact (NaN, ±inf, too large). Works
    through :data:`_CHUNK` rows at a time, so the temporaries stay in the CPU cache and
    only the two results are allocated at full length.
    """
    n = len(value)
    exact = np.empty(n, dtype=bool)
    ints = np.empty(n, dtype=np.int64)
    scaled = np.empty(min(n, _CHUNK))
    back = np.empty_like(scaled)
    small = np.empty(len(scaled), dtype=bool)
    for lo in range(0, n, _CHUNK):
        hi = min(lo + _CHUNK, n)
        v, f = value[lo:hi], factor[lo:hi] if isinstance(factor, np.ndarray) else factor
        s, b, ok, fits = scaled[:hi - lo], back[:hi - lo], exact[lo:hi], small[:hi - lo]
        np.multiply(v, f, out=s)
        np.rint(s, out=s)
        s += 0.0  # -0.0 → +0.0, as the integer 0 reads back; a stored -0.0 stays DOUBLE
        np.divide(s, f, out=b)
        np.equal(b.view(np.int64), v.view(np.int64), out=ok)
        np.less(np.abs(s, out=b), 2.0**53, out=fits)  # also False for NaN and ±inf
        ok &= fits
        np.copyto(ints[lo:hi], s, casting="unsafe")
    return exact, ints


def _factors(scale: np.ndarray, lengths: np.ndarray) -> float | np.ndarray:
    """10**k of each row from the scale k of each run (a scalar when all runs agree)."""
    if (scale == scale[0]).all():
        return float(POW10[scale[0]])
    out: np.ndarray = np.repeat(POW10[scale], lengths)
    return out


def _row_scales(value: np.ndarray) -> np.ndarray:
    """Smallest k at which each value is exact, -1 if none ≤ MAX_SCALE; int8."""
    scales = np.full(len(value), -1, dtype=np.int8)
    todo = np.arange(len(value))
    for k, factor in enumerate(POW10):
        exact, _ = _exact(value[todo], factor)
        scales[todo[exact]] = k
        todo = todo[~exact]
        if not len(todo):
            break
    return scales


def _sampled_scales(value: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each run's k from (at most) :data:`_SAMPLE` evenly spaced rows: a lower bound."""
    if len(value) <= 2 * _SAMPLE * len(starts):  # short runs: every row
        out: np.ndarray = np.maximum.reduceat(_row_scales(value), starts)
        return out
    picks = starts[:, None] + np.arange(_SAMPLE) * lengths[:, None] // _SAMPLE
    out = _row_scales(value[picks.ravel()]).reshape(len(starts), _SAMPLE).max(axis=1)
    return out


def _finer_scales(value: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                  scale: np.ndarray, exact: np.ndarray,
                  ints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raise the k of runs whose rows missed the sample's k, and check those runs again."""
    missed = np.flatnonzero(~exact)
    missed = missed[np.isfinite(value[missed])]
    if not len(missed):
        return scale, exact, ints
    need = np.full(len(starts), -1, dtype=np.int8)
    np.maximum.at(need, np.searchsorted(starts, missed, side="right") - 1,
                  _row_scales(value[missed]))
    finer = need > scale
    if not finer.any():
        return scale, exact, ints
    scale = np.maximum(scale, need)
    rows = np.flatnonzero(np.repeat(finer, lengths))
    exact[rows], ints[rows] = _exact(value[rows],
                                     np.repeat(POW10[scale[finer]], lengths[finer]))
    return scale, exact, ints


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
