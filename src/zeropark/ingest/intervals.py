"""Readings to interval energy: de-duplication, interval data, power, profile gap fill.

Companion of :mod:`zeropark.ingest.counters` (registers). All functions are pure and
return an *intervals frame* (see :mod:`zeropark.ingest._grid`) plus a tuple of
:class:`~zeropark.issues.Issue`. Unknown energy is NaN; it is never silently zero.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from zeropark.errors import InputError
from zeropark.ingest._grid import (
    NS_PER_HOUR,
    as_utc_index,
    bit,
    edit_flags,
    empty_frame,
    epoch_ceil,
    epoch_floor,
    iso,
    make_frame,
    profile_means,
    runs,
    split_runs,
    step_ns,
    trapezoid_at,
)
from zeropark.issues import Issue, IssueCode, Severity

#: Default profile window: four weeks either side holds four samples of every week slot.
_FOUR_WEEKS = pd.Timedelta(days=28)


def _issue(
    code: IssueCode, sev: Severity, msg: str, subject: str, t0: int, t1: int | None, **data: Any
) -> Issue:
    return Issue(code, sev, msg, subject, iso(t0), None if t1 is None else iso(t1), data)


def dedupe_readings(
    ts: Any,
    values: Any,
    *,
    ingested_at: Any = None,
    order: Any = None,
    subject: str = "",
) -> tuple[pd.DatetimeIndex, np.ndarray, tuple[Issue, ...]]:
    """Sort the readings of one meter and keep one value per timestamp.

    Parameters
    ----------
    ts : array-like of timestamps
        Reading times, tz-aware, shape ``(n,)``, any order.
    values : array-like of float
        Readings, shape ``(n,)``. [canonical unit]
    ingested_at : array-like of timestamps, optional
        When each reading was received, shape ``(n,)``; naive values are taken as UTC,
        NaT counts as earliest.
    order : array-like of int, optional
        Sequence number of each row (larger = later), shape ``(n,)``.
    subject : str
        Meter id put in the issues.

    Returns
    -------
    ts : pandas.DatetimeIndex
        Unique, sorted, UTC, shape ``(m,)``.
    values : numpy.ndarray
        The kept value per timestamp, shape ``(m,)``. [canonical unit]
    issues : tuple of Issue
        One ``duplicate_reading`` (info) per run of consecutive timestamps that only had
        identical copies; one ``duplicate_conflict`` (warning) per timestamp with different
        values, naming all values (in receipt order) and the winner.

    Raises
    ------
    InputError
        If `ts` is naive or the lengths differ.

    Notes
    -----
    Winner rule: the reading received **last** wins, because a resend is a correction. Last
    means the largest `ingested_at`; ties (or no `ingested_at`) go to the larger `order`;
    remaining ties go to the later position in the input.

    Examples
    --------
    >>> ts = pd.DatetimeIndex(["2024-01-01 01:00", "2024-01-01 00:00", "2024-01-01 01:00"],
    ...                       tz="UTC")
    >>> idx, vals, issues = dedupe_readings(ts, [5.0, 1.0, 6.0], order=[2, 1, 1])
    >>> vals.tolist(), issues[0].code.value, issues[0].data["winner"]
    ([1.0, 5.0], 'duplicate_conflict', 5.0)
    """
    index = as_utc_index(ts)
    v = np.asarray(values, dtype="float64")
    n = len(index)
    if len(v) != n:
        raise InputError(f"{n} timestamps but {len(v)} values", field="values")
    pos = np.arange(n)
    ing = np.zeros(n, "int64") if ingested_at is None else _naive_utc_ns(ingested_at)
    seq = np.zeros(n, "int64") if order is None else np.asarray(order, dtype="int64")
    t = index.asi8
    idx = np.lexsort((pos, seq, ing, t))
    st, sv = t[idx], v[idx]
    last = np.r_[st[1:] != st[:-1], True] if n else np.zeros(0, bool)
    first = np.r_[True, st[1:] != st[:-1]] if n else np.zeros(0, bool)
    gid = np.cumsum(first) - 1
    keep = np.flatnonzero(last)
    winner = sv[keep][gid]
    same = (sv == winner) | (np.isnan(sv) & np.isnan(winner))
    size = np.bincount(gid)
    conflict = np.bincount(gid, weights=~same) > 0
    issues: list[Issue] = []
    for a, b in runs((size > 1) & ~conflict):
        t0, t1 = int(st[keep[a]]), int(st[keep[b - 1]])
        msg = f"{b - a} timestamp(s) with identical duplicate readings: one kept"
        extra = int(size[a:b].sum() - (b - a))
        dup = (IssueCode.DUPLICATE_READING, Severity.INFO, msg, subject, t0)
        issues.append(_issue(*dup, t1 if t1 != t0 else None, n_timestamps=b - a, n_extra=extra))
    for g in np.flatnonzero(conflict):
        vals = sv[gid == g].tolist()
        msg = f"conflicting readings {vals} at one timestamp: {vals[-1]} (received last) kept"
        dup = (IssueCode.DUPLICATE_CONFLICT, Severity.WARNING, msg, subject, int(st[keep[g]]))
        issues.append(_issue(*dup, None, values=vals, winner=vals[-1]))
    issues.sort(key=lambda i: i.start or "")
    out = pd.DatetimeIndex(st[keep].astype("datetime64[ns]")).tz_localize("UTC")
    return out, sv[keep], tuple(issues)


def _naive_utc_ns(stamps: Any) -> np.ndarray:
    index = pd.DatetimeIndex(stamps)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return np.asarray(index.as_unit("ns").asi8)


def total_to_intervals(
    ts: Any,
    values: Any,
    *,
    resolution: pd.Timedelta,
    label: Literal["start", "end"] = "start",
    zero_run_gap_min: int | None = None,
    zero_run_flag_min: int | None = None,
    subject: str = "",
) -> tuple[pd.DataFrame, tuple[Issue, ...]]:
    """Interval energy from interval data (``kind = total``), summed onto the grid.

    Parameters
    ----------
    ts : array-like of timestamps
        Reading times, tz-aware, sorted, unique, shape ``(n,)``; each labels one native
        interval (its start or end, see `label`) on a regular native spacing (the median
        spacing of `ts`).
    values : array-like of float
        Energy of each native interval, shape ``(n,)``. [canonical unit]
    resolution : pandas.Timedelta
        Output grid step, a whole multiple of the native spacing; aligned to the UTC epoch.
    label : {"start", "end"}
        Whether `ts` is the start or the end of its interval.
    zero_run_gap_min : int, optional
        Runs of ≥ this many exact zeros are gaps (upstream zero-fill, electricity): energy NaN,
        flag ``zero_run_gap``, one issue per run.
    zero_run_flag_min : int, optional
        Runs of ≥ this many exact zeros stay 0 but are flagged ``zero_run_undecided`` (gas:
        the heating may really be off), one issue per run. Runs long enough for
        `zero_run_gap_min` are gaps.
    subject : str
        Meter id put in the issues.

    Returns
    -------
    frame : pandas.DataFrame
        Intervals frame; ``estimated`` is always False. A grid interval is the sum of its
        native intervals; it is NaN if any of them is unknown (missing row → flag
        ``gap_unfilled``, negative → ``negative_interval``, zero-run gap → ``zero_run_gap``),
        so that :func:`fill_gaps_profile` can fill the whole interval. Grid intervals only
        partly inside the data range are not produced.
    issues : tuple of Issue
        One per run of missing rows (``gap_unfilled``), negative values
        (``negative_interval``), zero runs; one ``invalid_reading`` for rows off the native
        grid (dropped).

    Raises
    ------
    InputError
        If `ts` is naive or has duplicates, or `resolution` is not a multiple of the native
        spacing.

    Examples
    --------
    >>> ts = pd.date_range("2024-01-01", periods=8, freq="15min", tz="UTC")
    >>> frame, _ = total_to_intervals(ts, [1.0, 2, 3, 4, 1, 1, 1, 1],
    ...                               resolution=pd.Timedelta("1h"))
    >>> frame["energy"].tolist()
    [10.0, 4.0]
    """
    index = as_utc_index(ts)
    v = np.asarray(values, dtype="float64")
    step = step_ns(resolution)
    if len(index) == 0:
        return empty_frame(), ()
    t = index.asi8
    if np.any(np.diff(t) <= 0):
        raise InputError("timestamps must be sorted and unique (use dedupe_readings)", field="ts")
    native = int(np.median(np.diff(t))) if len(t) > 1 else step
    if native > step or step % native:
        raise InputError(
            f"resolution {resolution} is not a multiple of the native spacing "
            f"{pd.Timedelta(native)}",
            field="resolution",
        )
    starts = t - native if label == "end" else t
    issues: list[Issue] = []
    off = starts % native != 0
    if off.any():
        msg = f"{int(off.sum())} row(s) off the {pd.Timedelta(native)} grid: dropped"
        bad = (IssueCode.INVALID_READING, Severity.ERROR, msg, subject, int(t[off][0]), None)
        issues.append(_issue(*bad, n=int(off.sum())))
        starts, v = starts[~off], v[~off]
        if len(starts) == 0:
            return empty_frame(), tuple(issues)
    g0, g1 = int(epoch_floor(starts[0], step)), int(epoch_ceil(starts[-1] + native, step))
    n_sub = step // native
    energy = np.full((g1 - g0) // native, np.nan)
    mask = np.zeros(len(energy), "int64")
    k = (starts - g0) // native
    inside = np.zeros(len(energy), bool)
    inside[k[0] : k[-1] + 1] = True
    energy[k] = v

    def flag_runs(sel: np.ndarray, code: IssueCode, sev: Severity, what: str) -> None:
        mask[sel] |= bit(code)
        for a, b in runs(sel):
            span = (g0 + a * native, g0 + b * native)
            issues.append(_issue(code, sev, f"{b - a} interval(s) {what}", subject, *span, n=b - a))

    flag_runs(inside & np.isnan(energy), IssueCode.GAP_UNFILLED, Severity.WARNING, "missing")
    negative = energy < 0
    flag_runs(negative, IssueCode.NEGATIVE_INTERVAL, Severity.WARNING, "negative: set unknown")
    energy[negative] = np.nan
    gap_sel, flag_sel = np.zeros(len(energy), bool), np.zeros(len(energy), bool)
    for a, b in runs(energy == 0):
        if zero_run_gap_min is not None and b - a >= zero_run_gap_min:
            gap_sel[a:b] = True
        elif zero_run_flag_min is not None and b - a >= zero_run_flag_min:
            flag_sel[a:b] = True
    flag_runs(gap_sel, IssueCode.ZERO_RUN_GAP, Severity.WARNING, "of zeros taken as a gap")
    flag_runs(flag_sel, IssueCode.ZERO_RUN_UNDECIDED, Severity.INFO, "of zeros kept as measured")
    energy[gap_sel] = np.nan
    full = inside.reshape(-1, n_sub).all(axis=1)
    sums = energy.reshape(-1, n_sub).sum(axis=1)
    masks = np.bitwise_or.reduce(mask.reshape(-1, n_sub), axis=1)
    bounds = g0 + np.arange(len(sums), dtype="int64") * step
    frame = make_frame(bounds[full], sums[full], np.zeros(int(full.sum()), bool), masks[full])
    return frame, tuple(issues)


def fill_gaps_profile(
    frame: pd.DataFrame,
    *,
    tz: str,
    window: pd.Timedelta = _FOUR_WEEKS,
    min_samples: int = 2,
    subject: str = "",
) -> tuple[pd.DataFrame, tuple[Issue, ...]]:
    """Fill unknown (NaN) interval energy from the meter's own local weekly profile.

    Parameters
    ----------
    frame : pandas.DataFrame
        Intervals frame on a regular grid (step = median spacing of ``interval_start``).
    tz : str
        IANA zone of the site, e.g. ``"Asia/Shanghai"``; profile slots are local.
    window : pandas.Timedelta
        Only valid intervals within ± `window` of the gap interval are used.
    min_samples : int
        Fewest valid intervals a slot mean needs (both for the week slot and the day slot).
    subject : str
        Meter id put in the issues.

    Returns
    -------
    frame : pandas.DataFrame
        A copy; filled intervals get ``estimated=True`` and flag ``gap_filled`` (``gap_unfilled``
        removed); intervals that stay NaN get flag ``gap_unfilled``. Rows are never added.
    issues : tuple of Issue
        One ``gap_filled`` (info) per contiguous filled run (``n``, ``energy`` sum) and one
        ``gap_unfilled`` (warning) per contiguous run left NaN.

    Notes
    -----
    The fill value is the mean energy of the valid (non-NaN, non-estimated) intervals in the
    same local hour-of-week slot (weekday × local time of day at the grid step, so quarter-hours
    on a 15 min grid) within the window; with fewer than `min_samples`, the mean of the same
    local time-of-day slot within the window. Computed by sorting (slot, position) keys and
    cumulative sums, O(n log n).

    Examples
    --------
    >>> from zeropark.ingest._grid import make_frame
    >>> t = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    >>> f = make_frame(t, np.array([1.0, 3.0, np.nan, 5.0, 7.0]), np.zeros(5, bool), [0] * 5)
    >>> out, issues = fill_gaps_profile(f, tz="UTC", window=pd.Timedelta(days=2))
    >>> out["energy"].tolist(), out["flags"][2], issues[0].code.value
    ([1.0, 3.0, 4.0, 5.0, 7.0], 'gap_filled', 'gap_filled')
    """
    out = frame.sort_values("interval_start").reset_index(drop=True)
    energy = out["energy"].to_numpy(dtype="float64", copy=True)
    gap = np.isnan(energy)
    if not gap.any():
        return out, ()
    start = as_utc_index(out["interval_start"], "interval_start")
    t = start.asi8
    step = int(np.median(np.diff(t))) if len(t) > 1 else step_ns(window, "window")
    valid = ~gap & ~out["estimated"].to_numpy(dtype=bool)
    fill = profile_means(
        start, energy, valid, gap, tz=tz, step=step, window=window, min_samples=min_samples
    )
    k = (t - t[0]) // step
    filled = gap & ~np.isnan(fill)
    unfilled = gap & np.isnan(fill)
    energy[filled] = fill[filled]
    flags = out["flags"].astype(object).to_numpy(copy=True)
    for sel, add, drop in ((filled, "gap_filled", "gap_unfilled"), (unfilled, "gap_unfilled", "")):
        flags[sel] = [edit_flags(f, add, drop) for f in flags[sel]]
    out["energy"] = energy
    out["estimated"] = out["estimated"].to_numpy(dtype=bool) | filled
    out["flags"] = pd.array(flags, dtype="str")
    issues: list[Issue] = []
    brk = np.r_[True, np.diff(k) != 1]
    for a, b in split_runs(filled, brk):
        msg = f"{b - a} interval(s) filled from the local weekly profile"
        span = (int(t[a]), int(t[b - 1]) + step)
        total = float(energy[a:b].sum())
        issues.append(
            _issue(IssueCode.GAP_FILLED, Severity.INFO, msg, subject, *span, n=b - a, energy=total)
        )
    for a, b in split_runs(unfilled, brk):
        msg = f"{b - a} interval(s) left unknown: too few profile samples"
        span = (int(t[a]), int(t[b - 1]) + step)
        issues.append(
            _issue(IssueCode.GAP_UNFILLED, Severity.WARNING, msg, subject, *span, n=b - a)
        )
    issues.sort(key=lambda i: i.start or "")
    return out, tuple(issues)


def power_to_intervals(
    ts: Any, values: Any, *, resolution: pd.Timedelta, subject: str = ""
) -> tuple[pd.DataFrame, tuple[Issue, ...]]:
    """Interval energy from power samples (``kind = measurement``) by the trapezoid rule.

    Parameters
    ----------
    ts : array-like of timestamps
        Sample times, tz-aware, sorted, unique, shape ``(n,)``.
    values : array-like of float
        Power samples, shape ``(n,)``; NaN samples are dropped. [canonical unit per hour, kW]
    resolution : pandas.Timedelta
        Output grid step, aligned to the UTC epoch.
    subject : str
        Meter id put in the issues.

    Returns
    -------
    frame : pandas.DataFrame
        Intervals frame. Power is linear between samples; samples further apart than
        1.5 × the median spacing bound a gap with no coverage. Energy = mean power over the
        covered part × interval duration. Intervals with no coverage are not produced;
        partly covered ones are ``estimated`` with flag ``gap_estimated``. Only intervals
        inside [first, last sample] are produced.
    issues : tuple of Issue
        One per gap (``gap_estimated`` if every interval it touches is still produced, else
        ``gap_unfilled``) and one ``invalid_reading`` for dropped NaN samples.

    Examples
    --------
    >>> ts = pd.date_range("2024-01-01", periods=5, freq="15min", tz="UTC")
    >>> frame, _ = power_to_intervals(ts, [0.0, 4, 4, 8, 8], resolution=pd.Timedelta("1h"))
    >>> frame["energy"].tolist()
    [5.0]
    """
    index = as_utc_index(ts)
    p = np.asarray(values, dtype="float64")
    step = step_ns(resolution)
    issues: list[Issue] = []
    nan = np.isnan(p)
    if nan.any():
        msg = f"{int(nan.sum())} NaN power sample(s) dropped"
        bad = (IssueCode.INVALID_READING, Severity.ERROR, msg, subject, int(index.asi8[nan][0]))
        issues.append(_issue(*bad, None, n=int(nan.sum())))
    t, p = index.asi8[~nan], p[~nan]
    if len(t) < 2:
        return empty_frame(), tuple(issues)
    dt = np.diff(t)
    covered = dt <= 1.5 * np.median(dt)
    first, last = int(epoch_ceil(t[0], step)), int(epoch_floor(t[-1], step))
    if last - first < step:
        return empty_frame(), tuple(issues)
    x = first + step * np.arange((last - first) // step + 1, dtype="int64")
    e_x, c_x = trapezoid_at(t, p, covered, x)
    energy, cover = np.diff(e_x), np.diff(c_x)
    dur = step / NS_PER_HOUR
    keep = cover > 1e-9 * dur
    partial = keep & (cover < dur * (1 - 1e-9))
    energy = np.where(keep, energy * dur / np.where(keep, cover, 1.0), np.nan)
    for g in np.flatnonzero(~covered):
        a, b = int(t[g]), int(t[g + 1])
        lost = bool(np.any(~keep & (x[:-1] < b) & (x[1:] > a)))
        code = IssueCode.GAP_UNFILLED if lost else IssueCode.GAP_ESTIMATED
        sev = Severity.WARNING if lost else Severity.INFO
        issues.append(_issue(code, sev, "no power samples in the span", subject, a, b))
    masks = np.where(partial, bit(IssueCode.GAP_ESTIMATED), 0)
    frame = make_frame(x[:-1][keep], energy[keep], partial[keep], masks[keep])
    return frame, tuple(issues)
