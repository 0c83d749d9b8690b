"""Cumulative registers (``kind = total_increasing``) to interval energy.

A register is a meter's running total (Haystack ``hisTotalized``, OpenEMS ``Wh_Σ``). Real
registers reset, roll over, drop out to zero for a reading, jump after a meter swap and emit
sentinel values from signed/unsigned mix-ups; :func:`register_to_intervals` turns them into a
clean, never-decreasing cumulative curve and differences it on a UTC grid. Every anomaly is an
:class:`~zeropark.issues.Issue`; nothing here raises for bad data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zeropark.errors import InputError
from zeropark.ingest._grid import (
    NS_PER_HOUR,
    as_utc_index,
    bit,
    cumulative_to_grid,
    empty_frame,
    step_ns,
)
from zeropark.ingest._register import Pass, sequential
from zeropark.issues import Issue, IssueCode, Severity

#: Register values that come from signed/unsigned or width mix-ups (all-ones words, INT_MAX,
#: INT_MIN magnitudes), compared with rtol 1e-12, also negated.
SENTINELS: tuple[float, ...] = tuple(
    float(x) for x in (2**16 - 1, 2**24 - 1, 2**31 - 1, 2**31, 2**32 - 1, 2**63 - 1, 2**64 - 1)
)
_CAUSES = (
    bit(IssueCode.COUNTER_DROPOUT) | bit(IssueCode.COUNTER_RESET) | bit(IssueCode.COUNTER_JUMP)
)


@dataclass(frozen=True, slots=True)
class Replacement:
    """An explicit meter-replacement event.

    Parameters
    ----------
    ts : pandas.Timestamp
        When the old meter was removed and the new one installed (tz-aware).
    old_final : float
        Last reading of the old register. [canonical unit]
    new_initial : float
        First reading of the new register. [canonical unit]
    """

    ts: pd.Timestamp
    old_final: float
    new_initial: float


def _is_sentinel(values: np.ndarray) -> np.ndarray:
    mag = np.abs(values)[:, None]
    ref = np.asarray(SENTINELS)[None, :]
    return np.asarray(np.any(np.abs(mag - ref) <= 1e-12 * ref, axis=1))


def _fits_between_neighbours(v: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """True where ``v`` lies between the nearest non-excluded values before and after it."""
    idx = np.arange(len(v))
    good = np.where(~excluded, idx, -1)
    prev = np.maximum.accumulate(good)
    nxt = np.where(~excluded, idx, len(v))
    nxt = np.minimum.accumulate(nxt[::-1])[::-1]
    before = np.r_[-1, prev[:-1]]
    after = np.r_[nxt[1:], len(v)]
    ok = (before >= 0) & (after < len(v))
    fits = np.zeros(len(v), dtype=bool)
    fits[ok] = (v[before[ok]] <= v[ok]) & (v[ok] <= v[after[ok]])
    return fits


def register_to_intervals(
    ts: pd.DatetimeIndex,
    values: np.ndarray,
    *,
    resolution: pd.Timedelta,
    register_max: float | None = None,
    rated_power: float | None = None,
    replacements: Sequence[Replacement] = (),
    nominal_spacing: pd.Timedelta | None = None,
    dropout_window: int = 4,
    spike_tolerance: float = 1.5,
    subject: str = "",
) -> tuple[pd.DataFrame, tuple[Issue, ...]]:
    """Interval energy from the readings of one cumulative register.

    Parameters
    ----------
    ts : pandas.DatetimeIndex
        Reading times, tz-aware, sorted, unique (see
        :func:`zeropark.ingest.intervals.dedupe_readings`), shape ``(n,)``.
    values : array-like of float
        Register readings, shape ``(n,)``. [canonical unit, e.g. kWh or m³]
    resolution : pandas.Timedelta
        Output grid step; the grid is aligned to the UTC epoch.
    register_max : float, optional
        Largest value the register can hold (e.g. ``2**32 - 1``); enables rollover handling.
        [canonical unit]
    rated_power : float, optional
        Largest plausible rate of the meter. [canonical unit per hour, e.g. kW]
    replacements : sequence of Replacement
        Explicit meter swaps. A reading at exactly ``Replacement.ts`` belongs to the old meter.
    nominal_spacing : pandas.Timedelta, optional
        Normal reading interval; default the median spacing of `ts`.
    dropout_window : int
        How many readings after a drop may bring the register back to its old level.
    spike_tolerance : float
        Factor on ``rated_power · Δt`` above which an increase is implausible. [-]
    subject : str
        Meter id put in the issues.

    Returns
    -------
    frame : pandas.DataFrame
        Intervals frame (``interval_start``, ``energy``, ``estimated``, ``flags``); only grid
        intervals lying fully inside [first, last accepted reading] (partial first and last
        intervals are dropped, never extrapolated). ``energy`` is NaN where it is unknown
        (counter jump, implausible reset).
    issues : tuple of Issue
        One per finding.

    Raises
    ------
    InputError
        If `ts` is naive, unsorted or has duplicates, or the lengths differ.

    Notes
    -----
    1. *Invalid* readings are dropped (``invalid_reading``): NaN, negative, above
       `register_max`, and the :data:`SENTINELS` (all-ones words, INT_MAX/INT_MIN) unless
       the value sits in order between its valid neighbours (a register counting through
       65535 is not a mix-up). A
       sentinel equal to `register_max` is a legal register value, so it is kept when it is
       plausible after the previous accepted value L: ``v − L ≤ rated_power·Δt·tol`` when the
       rating is known, else ``L ≥ 0.9·(register_max + 1)`` (the register was about to wrap).
       With no previous value it is dropped.
    2. One pass keeps L and a cleaned cumulative C (0 at the first accepted reading; when
       no reading needs a decision, C is the register itself):
       an increase above ``rated_power·Δt·tol`` is a ``spike`` (rejected) unless the next
       reading confirms the new level, then a ``counter_jump`` (span energy unknown,
       counting continues from the new level). A decrease is, in this order: a
       ``counter_dropout`` when one of the next `dropout_window` readings is back at ≥ L
       (plausibly; the low readings are rejected and ``Δ`` is spread from L to the return —
       checked before rollover because a true rollover cannot come back to L within a few
       readings); a ``counter_rollover`` (``Δ = register_max + 1 − L + v``) when plausible
       vs the rating, or, without rating, when ``L ≥ 0.9·(max+1)`` and ``v ≤ 0.1·(max+1)``;
       an ``unconfirmed_drop`` (rejected) when it is the last reading; otherwise a
       ``counter_reset``: the new count started at 0, so ``Δ = v`` (energy unknown when
       ``v`` exceeds the rating limit). A :class:`Replacement` adds ``old_final − L`` at its
       time and continues from ``new_initial`` (energy of a replacement is trusted).
    3. C is interpolated linearly at the grid bounds and differenced. A span between
       accepted readings longer than ``1.5·nominal_spacing`` makes its intervals
       ``estimated``; a plain one (no reset/dropout/jump) also gives ``gap_estimated``.
       Flags are the codes of every span an interval touches.

    Examples
    --------
    >>> ts = pd.date_range("2024-01-01", periods=6, freq="h", tz="UTC")
    >>> frame, issues = register_to_intervals(
    ...     ts, [100.0, 101, 102, 0, 102, 103], resolution=pd.Timedelta("1h"))
    >>> frame["energy"].tolist()
    [1.0, 1.0, 0.0, 0.0, 1.0]
    >>> frame["flags"].tolist()[2], [i.code.value for i in issues]
    ('counter_dropout', ['counter_dropout'])
    """
    index = as_utc_index(ts)
    v = np.asarray(values, dtype="float64")
    step = step_ns(resolution)
    t = index.asi8
    if len(v) != len(t):
        raise InputError(f"{len(t)} timestamps but {len(v)} values", field="values")
    if np.any(np.diff(t) <= 0):
        raise InputError("timestamps must be sorted and unique (use dedupe_readings)", field="ts")
    state = Pass([], [], [], [], [], subject)
    if len(t) < 2:
        return empty_frame(), ()
    nominal = (
        step_ns(nominal_spacing, "nominal_spacing")
        if nominal_spacing is not None
        else int(np.median(np.diff(t)))
    )
    at_max = np.zeros(len(v), dtype=bool)
    bad = np.isnan(v) | (v < 0)
    sentinel = np.zeros(len(v), bool)
    sentinel[~np.isnan(v)] = _is_sentinel(v[~np.isnan(v)])
    if register_max is not None:
        bad |= v > register_max
        at_max = sentinel & (np.abs(v - register_max) <= 1e-12 * max(abs(register_max), 1.0))
    # A sentinel-like value that sits in order between its valid neighbours is a register
    # counting through it (e.g. 65534, 65535, 65536), not a mix-up: keep it.
    bad |= sentinel & ~at_max & ~_fits_between_neighbours(v, bad | sentinel)
    for k in np.flatnonzero(bad):
        state.issue(
            IssueCode.INVALID_READING,
            Severity.ERROR,
            f"invalid register reading {v[k]}",
            int(t[k]),
            int(t[k]),
            value=float(v[k]),
        )
    ok = ~bad
    tv, vv, at_max = t[ok], v[ok], at_max[ok]
    d = np.diff(vv)
    lim = np.inf if rated_power is None else rated_power * np.diff(tv) / NS_PER_HOUR
    implausible = np.any(d > lim * spike_tolerance)
    simple = not (replacements or at_max.any() or np.any(d < 0) or implausible)
    pre_mask = np.zeros(len(tv), "int64")
    if bad.any():  # flag the span that swallowed each invalid reading
        after = np.searchsorted(tv, t[bad], side="right")
        pre_mask[after[after < len(tv)]] |= bit(IssueCode.INVALID_READING)
    if simple:
        # The register itself is the cumulative curve: interval energies between readings on
        # grid bounds are then exact differences of two readings (no running-sum rounding).
        state.t, state.cum = tv.tolist(), vv.tolist()
        state.mask, state.unknown = pre_mask.tolist(), [False] * len(tv)
    else:
        sequential(
            tv,
            vv,
            at_max,
            rated=rated_power,
            register_max=register_max,
            replacements=replacements,
            window=dropout_window,
            tol=spike_tolerance,
            pre_mask=pre_mask,
            state=state,
        )
    return _to_frame(state, nominal, step), tuple(state.issues)


def _to_frame(state: Pass, nominal: int, step: int) -> pd.DataFrame:
    """Grid the accepted points of `state`, adding ``gap_estimated`` for long plain spans."""
    if len(state.t) < 2:
        return empty_frame()
    t = np.asarray(state.t, "int64")
    cum = np.asarray(state.cum, "float64")
    mask = np.asarray(state.mask[1:], "int64")
    unknown = np.asarray(state.unknown[1:], bool)
    estimated = (np.diff(t) > 1.5 * nominal) & ~unknown
    plain = estimated & (mask & _CAUSES == 0)
    mask[plain] |= bit(IssueCode.GAP_ESTIMATED)
    for k in np.flatnonzero(plain):
        spread = float(cum[k + 1] - cum[k])
        state.issue(
            IssueCode.GAP_ESTIMATED,
            Severity.INFO,
            f"{spread} spread over a gap between readings",
            int(t[k]),
            int(t[k + 1]),
            energy=spread,
        )
    return cumulative_to_grid(t, cum, mask, unknown, estimated, step)
