"""Shared helpers of the interval derivations: UTC grids, flag masks, the intervals frame.

The *intervals frame* is what every derivation in :mod:`zeropark.ingest` returns: a DataFrame
with columns ``interval_start`` (datetime64[ns, UTC], left-closed starts on a grid aligned to
the UTC epoch), ``energy`` (float64, canonical unit, NaN = unknown), ``estimated`` (bool) and
``flags`` (str, comma-joined sorted :class:`~zeropark.issues.IssueCode` values, ``''`` when
clean), sorted by unique ``interval_start``.

Flags travel through the computations as integer bit masks, one bit per issue code
(:data:`FLAG_CODES`), and become strings only in :func:`make_frame`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from zeropark.errors import InputError
from zeropark.issues import IssueCode

#: Issue codes in the order of their flag bits (sorted by value, so masks join sorted).
FLAG_CODES: tuple[IssueCode, ...] = tuple(sorted(IssueCode, key=lambda code: code.value))
_BIT: dict[IssueCode, int] = {code: 1 << i for i, code in enumerate(FLAG_CODES)}
#: Columns of the intervals frame, in order.
FRAME_COLUMNS: tuple[str, ...] = ("interval_start", "energy", "estimated", "flags")
NS_PER_HOUR = 3_600_000_000_000


def bit(code: IssueCode) -> int:
    """Flag bit of an issue code.

    Parameters
    ----------
    code : IssueCode
        The code.

    Returns
    -------
    int
        A power of two, distinct per code.

    Examples
    --------
    >>> bit(IssueCode.COUNTER_RESET) & bit(IssueCode.SPIKE)
    0
    """
    return _BIT[code]


def mask_to_flags(mask: int) -> str:
    """Comma-joined sorted codes of a flag mask.

    Parameters
    ----------
    mask : int
        OR of :func:`bit` values.

    Returns
    -------
    str
        E.g. ``"counter_reset,gap_estimated"``; ``""`` for 0.

    Examples
    --------
    >>> mask_to_flags(bit(IssueCode.SPIKE) | bit(IssueCode.COUNTER_JUMP))
    'counter_jump,spike'
    """
    return ",".join(code.value for code in FLAG_CODES if mask & _BIT[code])


def as_utc_index(ts: Any, name: str = "ts") -> pd.DatetimeIndex:
    """Timestamps as a tz-aware UTC DatetimeIndex with nanosecond unit.

    Parameters
    ----------
    ts : array-like of timestamps
        Tz-aware timestamps (DatetimeIndex, Series or list), any zone.
    name : str
        Argument name used in the error message.

    Returns
    -------
    pandas.DatetimeIndex
        Shape ``(n,)``, dtype ``datetime64[ns, UTC]``, input order kept.

    Raises
    ------
    InputError
        If the timestamps are naive or contain NaT.

    Examples
    --------
    >>> as_utc_index(["2024-01-01T08:00+08:00"])[0]
    Timestamp('2024-01-01 00:00:00+0000', tz='UTC')
    """
    index = pd.DatetimeIndex(ts)
    if index.tz is None:
        raise InputError("timestamps must be tz-aware (UTC)", field=name)
    if index.hasnans:
        raise InputError("timestamps contain NaT", field=name)
    return index.tz_convert("UTC").as_unit("ns")


def epoch_floor(ns: np.ndarray | int, step: int) -> Any:
    """Floor nanosecond epoch times to a grid of `step` ns aligned to the UTC epoch."""
    return (np.asarray(ns, dtype="int64") // step) * step


def epoch_ceil(ns: np.ndarray | int, step: int) -> Any:
    """Ceil nanosecond epoch times to a grid of `step` ns aligned to the UTC epoch."""
    return -((-np.asarray(ns, dtype="int64")) // step) * step


def step_ns(delta: pd.Timedelta, name: str = "resolution") -> int:
    """Return a positive Timedelta as integer nanoseconds; raise InputError otherwise."""
    value = int(pd.Timedelta(delta).value)
    if value <= 0:
        raise InputError(f"{name} must be positive, got {delta!r}", field=name)
    return value


def runs(flag: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges ``[start, stop)`` of the True runs of a boolean array.

    Examples
    --------
    >>> runs(np.array([True, True, False, True]))
    [(0, 2), (3, 4)]
    """
    padded = np.concatenate(([False], np.asarray(flag, dtype=bool), [False]))
    edges = np.flatnonzero(np.diff(padded.astype("int8")))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def iso(ns: int) -> str:
    """ISO-8601 UTC text of a nanosecond epoch time."""
    return str(pd.Timestamp(int(ns), tz="UTC").isoformat())


def empty_frame() -> pd.DataFrame:
    """Return an intervals frame with no rows and the right dtypes."""
    return make_frame(np.empty(0, "int64"), np.empty(0), np.empty(0, bool), np.empty(0, "int64"))


def make_frame(
    starts: np.ndarray | pd.DatetimeIndex,
    energy: np.ndarray,
    estimated: np.ndarray,
    masks: Iterable[int],
) -> pd.DataFrame:
    """Build an intervals frame from arrays.

    Parameters
    ----------
    starts : numpy.ndarray or pandas.DatetimeIndex
        Interval starts, nanoseconds since the UTC epoch (or tz-aware), shape ``(n,)``,
        increasing.
    energy : numpy.ndarray
        Interval energy, shape ``(n,)``. [canonical unit]
    estimated : numpy.ndarray
        Shape ``(n,)``, bool.
    masks : iterable of int
        Flag masks, length ``n``.

    Returns
    -------
    pandas.DataFrame
        The intervals frame (see module docstring).
    """
    if isinstance(starts, pd.DatetimeIndex):
        starts = as_utc_index(starts).asi8
    masks = np.asarray(list(masks) if not isinstance(masks, np.ndarray) else masks, "int64")
    cache = {int(m): mask_to_flags(int(m)) for m in np.unique(masks)}
    index = pd.DatetimeIndex(np.asarray(starts, "int64").astype("datetime64[ns]"))
    return pd.DataFrame(
        {
            "interval_start": index.tz_localize("UTC"),
            "energy": np.asarray(energy, dtype="float64"),
            "estimated": np.asarray(estimated, dtype=bool),
            "flags": pd.array([cache[int(m)] for m in masks], dtype="str"),
        }
    )


def range_or(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Bitwise OR of ``values[lo[j]:hi[j] + 1]`` for every j (inclusive ranges, lo ≤ hi).

    Parameters
    ----------
    values : numpy.ndarray
        Integer masks, shape ``(m,)``.
    lo, hi : numpy.ndarray
        Inclusive index ranges, shape ``(n,)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, int64.

    Examples
    --------
    >>> range_or(np.array([1, 2, 4]), np.array([0, 1]), np.array([1, 2])).tolist()
    [3, 6]
    """
    out = np.zeros(len(lo), dtype="int64")
    present = int(np.bitwise_or.reduce(values)) if len(values) else 0
    for code in FLAG_CODES:
        b = _BIT[code]
        if not present & b:
            continue
        cs = np.concatenate(([0], np.cumsum((values & b) != 0)))
        out |= np.where(cs[hi + 1] - cs[lo] > 0, b, 0)
    return out


def range_any(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Return True where any of ``values[lo[j]:hi[j] + 1]`` is True (inclusive ranges)."""
    cs = np.concatenate(([0], np.cumsum(np.asarray(values, dtype=bool))))
    return np.asarray(cs[hi + 1] - cs[lo] > 0)


def cumulative_to_grid(
    t: np.ndarray,
    cum: np.ndarray,
    span_mask: np.ndarray,
    span_unknown: np.ndarray,
    span_estimated: np.ndarray,
    step: int,
) -> pd.DataFrame:
    """Interval energy from a piecewise-linear cumulative curve, on an epoch-aligned grid.

    Parameters
    ----------
    t : numpy.ndarray
        Point times, ns since the UTC epoch, shape ``(m,)``, strictly increasing, m ≥ 2.
    cum : numpy.ndarray
        Cleaned cumulative energy at `t`, shape ``(m,)``, non-decreasing. [canonical unit]
    span_mask, span_unknown, span_estimated : numpy.ndarray
        Per span ``[t[k], t[k+1])``, shape ``(m - 1,)``: flag mask, energy unknown, estimated.
    step : int
        Grid resolution. [ns]

    Returns
    -------
    pandas.DataFrame
        Intervals frame with every grid interval lying fully inside ``[t[0], t[-1]]``.
        Energy = difference of `cum` linearly interpolated at the interval bounds; NaN when
        the interval touches an unknown span. Flags and ``estimated`` are the union over the
        spans the interval touches.
    """
    first = int(epoch_ceil(t[0], step))
    last = int(epoch_floor(t[-1], step))
    if last - first < step:
        return empty_frame()
    # Integer arithmetic: np.arange with a large int64 start loses the last bound to float
    # rounding once there are ~16k steps.
    bounds = first + step * np.arange((last - first) // step + 1, dtype="int64")
    at_bounds = np.interp((bounds - t[0]).astype("float64"), (t - t[0]).astype("float64"), cum)
    energy = np.maximum(np.diff(at_bounds), 0.0)
    lo = np.searchsorted(t, bounds[:-1], side="right") - 1
    hi = np.searchsorted(t, bounds[1:], side="left") - 1
    unknown = range_any(span_unknown, lo, hi)
    energy[unknown] = np.nan
    estimated = range_any(span_estimated, lo, hi) & ~unknown
    masks = range_or(span_mask, lo, hi)
    return make_frame(bounds[:-1], energy, estimated, masks)


def trapezoid_at(
    t: np.ndarray, p: np.ndarray, covered: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative energy and covered time of linearly interpolated power at times `x`.

    Parameters
    ----------
    t : numpy.ndarray
        Sample times, ns since the UTC epoch, shape ``(m,)``, strictly increasing, m ≥ 2.
    p : numpy.ndarray
        Power at `t`, shape ``(m,)``. [kW]
    covered : numpy.ndarray
        Per span ``[t[k], t[k+1])``, shape ``(m - 1,)``: False for a gap (no energy counted).
    x : numpy.ndarray
        Query times within ``[t[0], t[-1]]``, ns, shape ``(q,)``.

    Returns
    -------
    energy : numpy.ndarray
        ∫ p dt from ``t[0]`` to `x` over covered spans, shape ``(q,)``. [kWh]
    covered_h : numpy.ndarray
        Covered time from ``t[0]`` to `x`, shape ``(q,)``. [h]

    Examples
    --------
    >>> t = np.array([0, NS_PER_HOUR])
    >>> trapezoid_at(t, np.array([0.0, 2.0]), np.array([True]), np.array([NS_PER_HOUR // 2]))
    (array([0.25]), array([0.5]))
    """
    dt_h = np.diff(t) / NS_PER_HOUR
    span_e = np.where(covered, (p[:-1] + p[1:]) / 2 * dt_h, 0.0)
    e_cum = np.concatenate(([0.0], np.cumsum(span_e)))
    c_cum = np.concatenate(([0.0], np.cumsum(np.where(covered, dt_h, 0.0))))
    j = np.clip(np.searchsorted(t, x, side="right") - 1, 0, len(t) - 2)
    dx = (x - t[j]) / NS_PER_HOUR
    on = covered[j]
    part = p[j] * dx + (p[j + 1] - p[j]) * dx**2 / (2 * dt_h[j])
    return e_cum[j] + np.where(on, part, 0.0), c_cum[j] + np.where(on, dx, 0.0)


def profile_means(
    start: pd.DatetimeIndex,
    energy: np.ndarray,
    valid: np.ndarray,
    gap: np.ndarray,
    *,
    tz: str,
    step: int,
    window: pd.Timedelta,
    min_samples: int,
) -> np.ndarray:
    """Mean energy of the same local week slot, else day slot, within a window, per gap.

    Parameters
    ----------
    start : pandas.DatetimeIndex
        Interval starts, UTC, shape ``(n,)``, increasing on a grid of `step`.
    energy : numpy.ndarray
        Interval energy, shape ``(n,)``. [canonical unit]
    valid, gap : numpy.ndarray
        Shape ``(n,)``: usable as profile samples; to be filled.
    tz : str
        IANA zone of the local slots.
    step : int
        Grid step. [ns]
    window : pandas.Timedelta
        Samples within ± `window` of the gap interval count.
    min_samples : int
        Fewest samples a slot mean needs.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``: the fill value where `gap` and enough samples, else NaN.
    """
    t = start.asi8
    k = (t - t[0]) // step
    local = start.tz_convert(tz)
    tod = np.asarray(local.hour * 3600 + local.minute * 60 + local.second, "int64")
    step_s = max(step // 1_000_000_000, 1)
    week_slot = (np.asarray(local.day_of_week, "int64") * 86400 + tod) // step_s
    w = int(pd.Timedelta(window).value // step)
    span = int(k[-1]) + 2 * w + 2
    fill = np.full(len(t), np.nan)
    for slot in (week_slot, tod // step_s):
        todo = gap & np.isnan(fill)
        key = slot * span + k
        order = np.argsort(key[valid], kind="stable")
        vk = key[valid][order]
        cs = np.concatenate(([0.0], np.cumsum(energy[valid][order])))
        lo = np.searchsorted(vk, key[todo] - w, side="left")
        hi = np.searchsorted(vk, key[todo] + w, side="right")
        count = hi - lo
        mean = np.where(count >= min_samples, (cs[hi] - cs[lo]) / np.maximum(count, 1), np.nan)
        fill[np.flatnonzero(todo)] = mean
    return fill


def edit_flags(flags: str, add: str, drop: str) -> str:
    """Add code `add` to a flags string and remove `drop`, keeping it sorted.

    Examples
    --------
    >>> edit_flags("gap_unfilled,spike", "gap_filled", "gap_unfilled")
    'gap_filled,spike'
    """
    codes = {f for f in flags.split(",") if f and f != drop}
    codes.add(add)
    return ",".join(sorted(codes))


def split_runs(sel: np.ndarray, brk: np.ndarray) -> list[tuple[int, int]]:
    """Return the True runs of `sel`, also split where `brk` is True (a jump in the grid)."""
    out: list[tuple[int, int]] = []
    for a, b in runs(sel):
        cuts = [a, *(a + 1 + np.flatnonzero(brk[a + 1 : b])).tolist(), b]
        out.extend(zip(cuts[:-1], cuts[1:], strict=True))
    return out
