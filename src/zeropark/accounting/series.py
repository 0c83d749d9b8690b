"""Energy time series of a group of meters in any bucket, 15 min to a year, in any zone.

Buckets of 15 min and 1 h are UTC instants (labelled in the chosen zone); days,
weeks (Monday), months and years are local calendar periods of the chosen zone.
Asia/Shanghai has no DST, so its days are always 24 h; in zones with DST a local
day has 23 or 25 hours and its bucket sums what the intervals hold.

The park's own zone reads the ``day`` rollups for day and longer buckets; any
other zone (or shorter buckets) regroups hour rollups or the intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from zeropark.accounting.accounts import signed_kwh_per_unit
from zeropark.errors import InputError
from zeropark.model import Meter, Park
from zeropark.store.duckdb import DuckDBStore

INTERVALS = ("15min", "hour", "day", "week", "month", "year")
#: Longest span per bucket, to bound response size (≈ 3,000–9,000 points).
MAX_SPAN_DAYS = {"15min": 31, "hour": 366, "day": 3660, "week": 3660, "month": 36600,
                 "year": 36600}


def energy_series(store: DuckDBStore, park: Park, meters: Sequence[Meter], *, start: date,
                  end: date, interval: str, tz: str | None = None) -> dict[str, Any]:
    """Signed energy [kWh] per bucket and medium of `meters` over local dates [start, end).

    Parameters
    ----------
    store : DuckDBStore
    park : Park
    meters : sequence of Meter
        Meters to sum (pass counted meters to avoid double counting).
    start, end : datetime.date
        Local dates in `tz`, [start, end).
    interval : {"15min", "hour", "day", "week", "month", "year"}
    tz : str, optional
        IANA zone of the dates and buckets; default the park's.

    Returns
    -------
    dict
        ``interval``, ``timezone``, ``buckets`` (ISO local starts with offset) and
        ``series``: per medium ``energy_kwh`` and ``estimated_kwh`` lists aligned
        with ``buckets`` (None where no interval was stored).

    Raises
    ------
    InputError
        For an unknown interval or zone, ``end <= start``, or a span longer than
        :data:`MAX_SPAN_DAYS` for the interval.
    """
    zone = tz or park.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InputError(f"unknown time zone {zone!r}", field="tz") from err
    if interval not in INTERVALS:
        raise InputError(f"unknown interval {interval!r}; use one of {', '.join(INTERVALS)}",
                         field="interval")
    if end <= start:
        raise InputError(f"end {end} must be after start {start}", field="end")
    if (end - start).days > MAX_SPAN_DAYS[interval]:
        raise InputError(f"{interval} buckets cover at most {MAX_SPAN_DAYS[interval]} days",
                         field="end")
    lo = pd.Timestamp(start).tz_localize(zone)
    hi = pd.Timestamp(end).tz_localize(zone)
    ids = [m.meter_id for m in meters]
    sign = {m.meter_id: signed_kwh_per_unit(m) for m in meters}
    medium = {m.meter_id: m.medium.value for m in meters}
    long_bucket = interval in ("day", "week", "month", "year")
    if long_bucket and zone == park.timezone:
        raw = store.query(
            "SELECT meter_id, period_start AS t, energy, estimated_energy AS est FROM rollups "
            "WHERE park_id = ? AND period = 'day' AND period_start >= ? AND period_start < ? "
            "AND list_contains(?, meter_id)",
            [park.park_id, pd.Timestamp(start).to_pydatetime(),
             pd.Timestamp(end).to_pydatetime(), ids])
        local = pd.DatetimeIndex(raw["t"])
    elif interval != "15min":
        raw = store.query(
            "SELECT meter_id, period_start AS t, energy, estimated_energy AS est FROM rollups "
            "WHERE park_id = ? AND period = 'hour' AND period_start >= ? AND period_start < ? "
            "AND list_contains(?, meter_id)",
            [park.park_id, lo.tz_convert("UTC").tz_localize(None).to_pydatetime(),
             hi.tz_convert("UTC").tz_localize(None).to_pydatetime(), ids])
        local = pd.DatetimeIndex(raw["t"]).tz_localize("UTC").tz_convert(zone)
    else:
        raw = store.intervals(park.park_id, ids, lo.tz_convert("UTC"), hi.tz_convert("UTC"))
        raw = raw.rename(columns={"interval_start": "t"})
        raw["est"] = raw["energy"].where(raw["estimated"].astype(bool), 0.0)
        local = pd.DatetimeIndex(raw["t"]).tz_convert(zone)
    buckets = _bucket_starts(lo, hi, interval, zone)
    keys = _bucket_keys(local, interval, zone)
    frame = pd.DataFrame({
        "key": keys, "medium": raw["meter_id"].map(medium).to_numpy(),
        "energy": (raw["energy"].fillna(0.0) * raw["meter_id"].map(sign)).to_numpy(),
        "est": (raw["est"].fillna(0.0) * raw["meter_id"].map(sign)).to_numpy()})
    series = []
    for name, part in frame.groupby("medium"):
        sums = part.groupby("key")[["energy", "est"]].sum().reindex(buckets)
        series.append({
            "medium": str(name),
            "energy_kwh": [None if pd.isna(v) else round(float(v), 4) for v in sums["energy"]],
            "estimated_kwh": [None if pd.isna(v) else round(float(v), 4) for v in sums["est"]],
        })
    return {"park_id": park.park_id, "interval": interval, "timezone": zone,
            "start": start.isoformat(), "end": end.isoformat(),
            "buckets": [b.isoformat() for b in buckets], "series": series}


def _bucket_starts(lo: pd.Timestamp, hi: pd.Timestamp, interval: str,
                   zone: str) -> pd.DatetimeIndex:
    if interval in ("15min", "hour"):
        freq = "15min" if interval == "15min" else "h"
        return pd.date_range(lo.tz_convert("UTC"), hi.tz_convert("UTC"), freq=freq,
                             inclusive="left").tz_convert(zone)
    naive = pd.date_range(lo.tz_localize(None), hi.tz_localize(None), freq="D",
                          inclusive="left")
    keys = _bucket_keys(naive, interval, None)
    return pd.DatetimeIndex(sorted(set(keys))).tz_localize(zone)


def _bucket_keys(stamps: pd.DatetimeIndex, interval: str, zone: str | None) -> pd.DatetimeIndex:
    """Bucket start per stamp: aware in `zone` for 15 min/hour, else naive local → aware."""
    if interval == "15min":
        return stamps.floor("15min") if stamps.tz is not None else stamps
    if interval == "hour":
        return stamps.tz_convert("UTC").floor("h").tz_convert(zone) if stamps.tz else stamps
    naive = stamps.tz_localize(None) if stamps.tz is not None else stamps
    if interval == "day":
        out = naive.floor("D")
    elif interval == "week":
        day = naive.floor("D")
        out = day - pd.to_timedelta(day.weekday, unit="D")
    elif interval == "month":
        out = naive.to_period("M").to_timestamp()
    else:
        out = naive.to_period("Y").to_timestamp()
    return pd.DatetimeIndex(out).tz_localize(zone) if zone else pd.DatetimeIndex(out)


def default_period(latest_local_day: date, period: str) -> tuple[date, date, str]:
    """Dates and bucket of a dashboard period picker ending on `latest_local_day`.

    ``day`` → that day in 15-min buckets; ``week`` → 7 days hourly;
    ``month`` → its calendar month daily; ``year`` → its calendar year monthly.

    Examples
    --------
    >>> default_period(date(2022, 12, 31), "month")
    (datetime.date(2022, 12, 1), datetime.date(2023, 1, 1), 'day')
    """
    d = latest_local_day
    if period == "day":
        return d, d + timedelta(days=1), "15min"
    if period == "week":
        return d - timedelta(days=6), d + timedelta(days=1), "hour"
    if period == "month":
        first = d.replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1), "day"
    if period == "year":
        return date(d.year, 1, 1), date(d.year + 1, 1, 1), "month"
    raise InputError(f"unknown period {period!r}; use day, week, month or year", field="period")
