"""Pipelines over the store: series per meter, building and park; alarms; day-ahead forecasts.

Thin layer over the pure functions of this package (house style layer 3). Interval energy
comes from the store's ``intervals`` table; intervals the ingest layer *estimated* (gap
filled) are NaN here, so models neither learn from nor are scored on invented data.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from zeropark.accounting.accounts import counted_meters
from zeropark.forecast.alarms import Alarm, AlarmLog, dedupe_alarms
from zeropark.forecast.anomaly import balance_gaps, rule_alarms
from zeropark.forecast.load import forecast_day_ahead
from zeropark.model import Park
from zeropark.units import Medium


def meter_series(store: Any, park: Park, meter_ids: list[str], *, start: Any = None,
                 end: Any = None) -> pd.DataFrame:
    """Measured interval energy [kWh] per meter (columns) on a regular UTC grid.

    Estimated (gap-filled) intervals and missing ones are NaN.
    """
    frame = store.intervals(park.park_id, meter_ids, start, end)
    if frame.empty:
        return pd.DataFrame(columns=meter_ids, dtype="float64")
    frame = frame.assign(energy=frame["energy"].where(~frame["estimated"].astype(bool)))
    wide = frame.pivot_table(index="interval_start", columns="meter_id", values="energy",
                             aggfunc="first", dropna=False)
    step = pd.Timedelta(seconds=int(frame["duration_s"].max()))
    grid = pd.date_range(wide.index.min(), wide.index.max(), freq=step)
    out: pd.DataFrame = wide.reindex(index=grid, columns=meter_ids)
    return out


def group_series(store: Any, park: Park, *, building_id: str | None = None,
                 medium: Medium = Medium.ELECTRICITY, start: Any = None,
                 end: Any = None) -> pd.Series:
    """Energy of a building (or the park when `building_id` is None) [kWh].

    Sums the meters :func:`~zeropark.accounting.accounts.counted_meters` counts for the group
    (no double counting); an interval is NaN unless every meter has it.
    """
    meters = [m.meter_id for m in counted_meters(park, building_id=building_id)
              if m.medium == medium]
    wide = meter_series(store, park, meters, start=start, end=end)
    return wide.sum(axis=1, min_count=len(meters)) if meters else pd.Series(dtype="float64")


def detect_alarms(store: Any, park: Park, *, start: Any = None, end: Any = None,
                  record: bool = True) -> list[Alarm]:
    """Run the rule layer on every meter and the sub-meter balance; store the alarms.

    Returns the de-duplicated alarms found (recorded in the store's ``alarms`` table through
    :class:`~zeropark.forecast.alarms.AlarmLog` when `record`).
    """
    ids = [m.meter_id for m in park.meters]
    wide = meter_series(store, park, ids, start=start, end=end)
    found: list[Alarm] = []
    for meter in park.meters:
        if meter.meter_id in wide and wide[meter.meter_id].notna().any():
            found += rule_alarms(wide[meter.meter_id], meter, timezone=park.timezone)
    for parent in park.meters:
        kids = [m.meter_id for m in park.meters if m.submeter_of == parent.meter_id]
        if kids and parent.meter_id in wide:
            found += balance_gaps(wide[parent.meter_id], wide[kids], meter_id=parent.meter_id)
    alarms = dedupe_alarms(found)
    if record and alarms:
        AlarmLog(store).record(park.park_id, alarms)
    return alarms


def forecast_group(store: Any, park: Park, day: Any, *, building_id: str | None = None,
                   meter_id: str | None = None, country: str = "CN",
                   subdiv: str | None = None, weather: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """Day-ahead forecast of a meter, a building or the park for local `day`.

    Returns the frame of :func:`~zeropark.forecast.load.forecast_day_ahead` (``forecast``,
    ``lower``, ``upper``, ``seasonal_naive`` [kWh]).
    """
    end = (pd.Timestamp(day).tz_localize(park.timezone)).tz_convert("UTC")
    if meter_id is not None:
        y = meter_series(store, park, [meter_id], end=end)[meter_id]
    else:
        y = group_series(store, park, building_id=building_id, end=end)
    return forecast_day_ahead(y, day, timezone=park.timezone, country=country, subdiv=subdiv,
                              weather=weather)
