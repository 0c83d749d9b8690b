"""Park summary, daily trend, monthly CO2 and building ranking (the dashboard's data).

Each function returns JSON-ready dicts whose keys carry units
(``*_kwh``, ``tce``, ``co2e_t``); the shapes are the API's responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from zeropark.accounting.accounts import (
    ENERGY_MEDIA,
    building_meters,
    counted_meters,
    factors_used,
    interval_accounts,
    quality_counts,
    signed_kwh_per_unit,
    summarize,
    year_bounds,
)
from zeropark.accounting.options import AccountOptions
from zeropark.errors import InputError
from zeropark.model import Meter, Park
from zeropark.store.duckdb import DuckDBStore


def _year_frame(store: DuckDBStore, park: Park, year: int, options: AccountOptions,
                meters: tuple[Meter, ...] | None = None) -> pd.DataFrame:
    start, end = year_bounds(year)
    return interval_accounts(store, park, counted_meters(park) if meters is None else meters,
                             start=start, end=end, options=options)


def available_years(store: DuckDBStore, park: Park) -> list[int]:
    """Local calendar years with interval data, ascending."""
    rows = store.query(
        "SELECT DISTINCT year(period_start) AS y FROM rollups WHERE park_id = ? "
        "AND period = 'year' ORDER BY 1", [park.park_id])
    return [int(y) for y in rows["y"]]


def park_summary(store: DuckDBStore, park: Park, *, year: int, options: AccountOptions,
                 sources: Sequence[str] = ()) -> dict[str, Any]:
    """Energy by medium, tce and CO2 of the park in one local calendar year.

    Parameters
    ----------
    store : DuckDBStore
    park : Park
    year : int
        Local calendar year (park time zone).
    options : AccountOptions
        tce method and emission factors.
    sources : sequence of str
        Data citations to pass through.

    Returns
    -------
    dict
        ``media`` (per medium ``measured_kwh`` = sum of accepted readings,
        ``estimated_kwh`` = gap fill, ``energy_kwh``, ``tce``, ``co2e_t``),
        ``totals``, ``n_buildings``, ``n_meters``, ``factors`` (with sources),
        ``quality`` (count of findings by code), ``top_buildings``.
    """
    years = available_years(store, park)
    park_ids = {m.meter_id for m in counted_meters(park)}
    in_buildings = building_meters(park)
    union = {m.meter_id: m for m in (*counted_meters(park), *in_buildings)}
    everything = _year_frame(store, park, year, options, tuple(union.values()))
    frame = everything[everything["meter_id"].isin(park_ids)]
    by_building = everything[everything["meter_id"].isin({m.meter_id for m in in_buildings})]
    media = summarize(frame, "medium")
    totals = media[["measured_kwh", "estimated_kwh", "energy_kwh", "tce", "co2e_t"]].sum()
    return {
        "park_id": park.park_id, "name": park.name, "timezone": park.timezone, "year": year,
        "years": years,
        "n_buildings": len(park.buildings), "n_meters": len(park.meters),
        "n_virtual_meters": len(park.virtual_meters),
        "tce_method": options.tce_method.value,
        "media": [_round_row({str(k): v for k, v in r.items()})
                  for r in media.to_dict("records")],
        "totals": _round_row({str(k): v for k, v in totals.to_dict().items()}),
        "factors": factors_used(park, options),
        "factor_fallback_intervals": int(frame["ef_fallback"].sum()),
        "quality": dict(quality_counts(store, park, start=year_bounds(year)[0],
                                       end=year_bounds(year)[1])),
        "top_buildings": top_buildings_from(by_building, park, limit=10),
        "sources": list(sources),
    }


def daily_energy(store: DuckDBStore, park: Park, *, year: int) -> dict[str, Any]:
    """Daily energy per medium of the park's counted meters (local days), from day rollups.

    Returns
    -------
    dict
        ``dates`` (ISO local dates) and ``series``: per medium ``measured_kwh``
        and ``estimated_kwh`` lists aligned with ``dates``.
    """
    start, end = year_bounds(year)
    meters = {m.meter_id: m for m in counted_meters(park)}
    roll = store.rollups(park.park_id, "day", pd.Timestamp(start), pd.Timestamp(end))
    roll = roll[roll["meter_id"].isin(list(meters))]
    sign = roll["meter_id"].map({k: signed_kwh_per_unit(m) for k, m in meters.items()})
    roll = roll.assign(medium=roll["meter_id"].map({k: m.medium.value for k, m in meters.items()}),
                       estimated=roll["estimated_energy"] * sign,
                       measured=(roll["energy"] - roll["estimated_energy"]) * sign)
    dates = pd.date_range(start, end, freq="D", inclusive="left")
    series = []
    for medium, part in roll.groupby("medium"):
        daily = part.groupby("period_start")[["measured", "estimated"]].sum().reindex(dates)
        series.append({
            "medium": medium,
            "measured_kwh": [None if np.isnan(v) else round(float(v), 3)
                             for v in daily["measured"]],
            "estimated_kwh": [None if np.isnan(v) else round(float(v), 3)
                              for v in daily["estimated"]],
        })
    return {"dates": [d.date().isoformat() for d in dates], "series": series}


def monthly_co2(store: DuckDBStore, park: Park, *, year: int,
                options: AccountOptions) -> dict[str, Any]:
    """CO2 per local month and medium (location-based).

    Returns
    -------
    dict
        ``months`` (``YYYY-MM``), ``series`` (per medium ``co2e_t`` list) and
        ``factors``.
    """
    frame = _year_frame(store, park, year, options)
    frame = frame.assign(month=frame["local_start"].dt.strftime("%Y-%m"))
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    table = frame.pivot_table(index="month", columns="medium", values="co2e_t",
                              aggfunc="sum").reindex(months).fillna(0.0)
    return {
        "months": months,
        "series": [{"medium": str(c), "co2e_t": [round(float(v), 4) for v in table[c]]}
                   for c in table.columns],
        "factors": factors_used(park, options),
    }


def top_buildings(store: DuckDBStore, park: Park, *, year: int, options: AccountOptions,
                  limit: int = 10) -> list[dict[str, Any]]:
    """Buildings ranked by energy in a local year; see :func:`top_buildings_from`."""
    frame = _year_frame(store, park, year, options, building_meters(park))
    return top_buildings_from(frame, park, limit=limit)


def top_buildings_from(frame: pd.DataFrame, park: Park, *, limit: int) -> list[dict[str, Any]]:
    """Rank buildings by energy [kWh] with energy use intensity [kWh/m²].

    Parameters
    ----------
    frame : pandas.DataFrame
        An :func:`zeropark.accounting.accounts.interval_accounts` frame.
    park : Park
    limit : int
        How many buildings.

    Returns
    -------
    list of dict
        ``building_id``, ``name``, ``energy_kwh``, ``tce``, ``co2e_t``,
        ``floor_area_m2``, ``eui_kwh_per_m2`` (None without floor area),
        ``by_medium`` (kWh per medium).
    """
    frame = frame[frame["building_id"].notna()]
    if frame.empty:
        return []
    total = summarize(frame, "building_id").sort_values("energy_kwh", ascending=False)
    by_medium = frame.pivot_table(index="building_id", columns="medium", values="energy_kwh",
                                  aggfunc="sum").fillna(0.0)
    out = []
    for row in total.head(limit).itertuples():
        building = park.building(str(row.building_id))
        area = building.floor_area_m2
        out.append({
            "building_id": building.building_id, "name": building.name,
            "energy_kwh": round(float(row.energy_kwh), 3), "tce": round(float(row.tce), 4),
            "co2e_t": round(float(row.co2e_t), 4), "floor_area_m2": area,
            "eui_kwh_per_m2": round(float(row.energy_kwh) / area, 2) if area else None,
            "by_medium": {str(k): round(float(v), 3)
                          for k, v in by_medium.loc[row.building_id].items()},
        })
    return out


def _round_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(float(v), 4) if isinstance(v, float | np.floating) else v)
            for k, v in row.items()}


GROUPINGS = ("medium", "building", "enterprise", "meter")


def energy_accounts(store: DuckDBStore, park: Park, *, start: date, end: date, by: str,
                    options: AccountOptions) -> list[dict[str, Any]]:
    """Energy, tce and CO2 for any local period, by medium, building, enterprise or meter.

    Parameters
    ----------
    store : DuckDBStore
    park : Park
    start, end : datetime.date
        Local calendar dates, [start, end).
    by : {"medium", "building", "enterprise", "meter"}
        Grouping. ``building``/``enterprise`` count each member's meters without
        double counting (a sub-meter whose parent is in the same member is left
        out); ``medium`` is the park total; ``meter`` lists every physical meter.
    options : AccountOptions

    Returns
    -------
    list of dict
        One row per group and medium: ``group``, ``medium``, ``measured_kwh``,
        ``estimated_kwh``, ``energy_kwh``, ``tce``, ``co2e_t``.

    Raises
    ------
    InputError
        For an unknown grouping or ``end <= start``.
    """
    if by not in GROUPINGS:
        raise InputError(f"unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}",
                         field="by")
    if end <= start:
        raise InputError(f"end {end} must be after start {start}", field="end")
    groups: list[tuple[str, tuple[Meter, ...]]]
    if by == "medium":
        groups = [(park.park_id, counted_meters(park))]
    elif by == "building":
        groups = [(b.building_id, counted_meters(park, building_id=b.building_id))
                  for b in park.buildings]
    elif by == "enterprise":
        groups = [(e.enterprise_id, counted_meters(park, enterprise_id=e.enterprise_id))
                  for e in park.enterprises]
    else:
        groups = [(m.meter_id, (m,)) for m in park.meters if m.medium in ENERGY_MEDIA]
    rows: list[dict[str, Any]] = []
    for name, meters in groups:
        if not meters:
            continue
        frame = interval_accounts(store, park, meters, start=start, end=end, options=options)
        for row in summarize(frame, "medium").to_dict("records"):
            rows.append({"group": name, **_round_row({str(k): v for k, v in row.items()})})
    return rows
