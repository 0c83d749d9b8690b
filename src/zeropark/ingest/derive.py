"""From stored raw readings to interval energy, rollups and quality findings.

This is the pipeline layer over the pure functions in
:mod:`zeropark.ingest.counters` and :mod:`zeropark.ingest.intervals`. A meter is
always re-derived from all of its raw readings, so a late, duplicate or
corrected reading changes exactly the intervals and rollups it affects and
nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from zeropark.ingest.counters import register_to_intervals
from zeropark.ingest.intervals import (
    dedupe_readings,
    fill_gaps_profile,
    power_to_intervals,
    total_to_intervals,
)
from zeropark.issues import Issue
from zeropark.model import Meter, MeterKind, Park
from zeropark.store.base import TimeseriesStore
from zeropark.units import conversion_factor

#: Grid of the interval table (15 minutes); coarser data keep their own spacing.
BASE_RESOLUTION = pd.Timedelta(minutes=15)
_STEPS = (pd.Timedelta(minutes=15), pd.Timedelta(hours=1), pd.Timedelta(days=1))
#: Electricity: a run of this many zero intervals (or more) is missing data (see README).
ZERO_RUN_GAP_MIN = 1
#: Gas and heat: zero runs of 24 hours or more are flagged as undecided (kept as measured).
ZERO_RUN_FLAG_HOURS = 24


def infer_resolution(ts: pd.DatetimeIndex, meter: Meter) -> pd.Timedelta:
    """Interval length for a meter: its configured resolution, else from the data.

    The 15-minute grid is used for data at 15 minutes or finer; data with a
    coarser median spacing keep it (1 h, 1 d): energy is never spread finer than
    it was measured.

    Parameters
    ----------
    ts : pandas.DatetimeIndex
        Reading times, sorted.
    meter : Meter
        The meter (its ``resolution`` wins when set).

    Returns
    -------
    pandas.Timedelta
        15 min, 1 h or 1 d.
    """
    if meter.resolution is not None:
        return meter.resolution
    if len(ts) < 2:
        return BASE_RESOLUTION
    spacing = pd.Timedelta(np.median(np.diff(ts.asi8)), unit="ns")
    for step in _STEPS:
        if spacing <= step:
            return step
    return _STEPS[-1]


def derive_meter(readings: pd.DataFrame, meter: Meter, *, timezone: str
                 ) -> tuple[pd.DataFrame, tuple[Issue, ...]]:
    """Interval energy of one meter from its raw readings.

    Parameters
    ----------
    readings : pandas.DataFrame
        Raw readings as returned by ``TimeseriesStore.readings``: ``ts``
        (tz-aware UTC), ``value`` (canonical unit), ``ingested_at``, ``seq``.
    meter : Meter
        The meter; its kind selects the method (register, interval energy, power).
    timezone : str
        Park zone, for the local hour-of-week profile used to fill gaps.

    Returns
    -------
    intervals : pandas.DataFrame
        ``interval_start`` (UTC), ``duration_s``, ``energy`` (canonical unit),
        ``estimated``, ``flags``.
    issues : tuple of Issue
    """
    if readings.empty:
        return _empty_intervals(), ()
    ts, values, issues = dedupe_readings(
        pd.DatetimeIndex(readings["ts"]), readings["value"].to_numpy(dtype="float64"),
        ingested_at=readings["ingested_at"].to_numpy(), order=readings["seq"].to_numpy(),
        subject=meter.meter_id,
    )
    resolution = infer_resolution(ts, meter)
    found: list[Issue] = list(issues)
    if meter.kind == MeterKind.TOTAL_INCREASING:
        register_max = (meter.register_max * conversion_factor(meter.unit, meter.quantity)
                        if meter.register_max else None)
        frame, more = register_to_intervals(
            ts, values, resolution=resolution, register_max=register_max,
            rated_power=meter.rated_power_kw, subject=meter.meter_id,
        )
    elif meter.kind == MeterKind.TOTAL:
        steps_per_day = pd.Timedelta(days=1) / resolution
        frame, more = total_to_intervals(
            ts, values, resolution=resolution,
            zero_run_gap_min=ZERO_RUN_GAP_MIN if meter.zero_policy == "gap" else None,
            zero_run_flag_min=(max(1, int(steps_per_day * ZERO_RUN_FLAG_HOURS / 24))
                               if meter.zero_policy == "flag" else None),
            subject=meter.meter_id,
        )
    else:
        frame, more = power_to_intervals(ts, values, resolution=resolution,
                                         subject=meter.meter_id)
    found.extend(more)
    if frame["energy"].isna().any():
        frame, filled = fill_gaps_profile(frame, tz=timezone, subject=meter.meter_id)
        found.extend(filled)
    frame = frame.assign(duration_s=int(resolution.total_seconds()))
    return frame[["interval_start", "duration_s", "energy", "estimated", "flags"]], tuple(found)


def rollup_intervals(intervals: pd.DataFrame, *, timezone: str) -> pd.DataFrame:
    """Sum interval energy per UTC hour and per local day, month and year.

    Parameters
    ----------
    intervals : pandas.DataFrame
        As returned by :func:`derive_meter`.
    timezone : str
        The park's IANA zone; days, months and years are its local calendar
        (an interval belongs to the local period in which it starts).

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (hour, day, month, year), ``period_start`` (naive:
        UTC for hours, local midnight otherwise), ``energy`` (sum of known
        energy, canonical unit), ``estimated_energy`` (the estimated part of
        it), ``n_intervals``, ``n_missing`` (intervals with unknown energy).

    Examples
    --------
    A local day in Europe/London has 25 hourly intervals on the autumn change:

    >>> starts = pd.date_range("2022-10-30 00:00", "2022-10-31 00:00", freq="h",
    ...                        tz="Europe/London", inclusive="left").tz_convert("UTC")
    >>> iv = pd.DataFrame({"interval_start": starts, "energy": 1.0, "estimated": False})
    >>> day = rollup_intervals(iv, timezone="Europe/London").query("period == 'day'")
    >>> int(day["n_intervals"].iloc[0]), float(day["energy"].iloc[0])
    (25, 25.0)
    """
    if intervals.empty:
        return pd.DataFrame(columns=["period", "period_start", "energy", "estimated_energy",
                                     "n_intervals", "n_missing"])
    utc = pd.DatetimeIndex(intervals["interval_start"])
    local = utc.tz_convert(timezone).tz_localize(None)
    energy = intervals["energy"].to_numpy(dtype="float64")
    base = pd.DataFrame({
        "energy": np.nan_to_num(energy),
        "estimated_energy": np.where(intervals["estimated"].to_numpy(dtype=bool),
                                     np.nan_to_num(energy), 0.0),
        "n_intervals": 1,
        "n_missing": np.isnan(energy).astype(int),
    })
    keys = {
        "hour": utc.tz_localize(None).floor("h"),
        "day": local.floor("D"),
        "month": local.to_period("M").to_timestamp(),
        "year": local.to_period("Y").to_timestamp(),
    }
    parts = []
    for period, key in keys.items():
        grouped = base.groupby(np.asarray(key)).sum()
        grouped.index.name = "period_start"
        parts.append(grouped.reset_index().assign(period=period))
    out = pd.concat(parts, ignore_index=True)
    return out[["period", "period_start", "energy", "estimated_energy", "n_intervals",
                "n_missing"]]


def rederive(store: TimeseriesStore, park: Park, meter_ids: Iterable[str]) -> int:
    """Re-derive intervals, rollups and issues of the given meters and store them.

    Parameters
    ----------
    store : TimeseriesStore
        Where the raw readings are and the results go (one transaction per meter
        inside the caller's transaction, if any).
    park : Park
        Park model (meter definitions and time zone).
    meter_ids : iterable of str
        Physical meters whose readings changed.

    Returns
    -------
    int
        Number of intervals written.
    """
    meters = park.meters_by_id()
    written = 0
    for meter_id in meter_ids:
        meter = meters[meter_id]
        frame, issues = derive_meter(store.readings(park.park_id, meter_id), meter,
                                     timezone=park.timezone)
        rollups = rollup_intervals(frame, timezone=park.timezone)
        store.replace_derived(park.park_id, meter_id, frame, rollups, issues)
        written += len(frame)
    return written


def _empty_intervals() -> pd.DataFrame:
    return pd.DataFrame({
        "interval_start": pd.Series([], dtype="datetime64[ns, UTC]"),
        "duration_s": pd.Series([], dtype="int64"),
        "energy": pd.Series([], dtype="float64"),
        "estimated": pd.Series([], dtype="bool"),
        "flags": pd.Series([], dtype="object"),
    })
