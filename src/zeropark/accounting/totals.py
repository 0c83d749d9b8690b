"""Per-meter totals from the stored rollups: the fast path of the park service.

:func:`zeropark.accounting.accounts.interval_accounts` reads every interval
(2,000 meters × 1 year of 15-min data = 70 million rows). Energy, tce and CO2
are linear in energy, so for whole local days the same numbers follow from the
``day`` rollups (one row per meter and day), and a time-varying grid factor needs
only the ``hour`` rollups of electricity meters. :func:`meter_totals` sums them in
DuckDB and returns one row per meter with the columns of ``interval_accounts``;
``summarize`` and ``top_buildings_from`` accept it unchanged.

Exactness: the rollups are sums of the stored intervals, so the totals equal the
interval path up to floating-point summation order (tested at ``rel=1e-9``),
provided the park's zone has whole-hour UTC offsets (local midnights fall on UTC
hour starts; true for Asia/Shanghai and Europe/London).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from zeropark.accounting.accounts import (
    _co2_per_kwh,
    _kgce,
    building_meters,
    counted_meters,
    factors_used,
    local_bounds,
    quality_counts,
    signed_kwh_per_unit,
    summarize,
    year_bounds,
)
from zeropark.accounting.options import AccountOptions
from zeropark.model import Meter, Park
from zeropark.store.duckdb import DuckDBStore
from zeropark.units import Medium

TOTAL_COLUMNS = ["meter_id", "medium", "building_id", "enterprise_id", "measured_kwh",
                 "estimated_kwh", "energy_kwh", "tce", "co2e_t", "ef_fallback"]


def meter_totals(store: DuckDBStore, park: Park, meters: Sequence[Meter], *, start: date,
                 end: date, options: AccountOptions) -> pd.DataFrame:
    """Energy, tce and CO2 of each meter over local dates [start, end), from rollups.

    Parameters
    ----------
    store : DuckDBStore
    park : Park
    meters : sequence of Meter
        Meters to total (counted meters of a group, see ``accounts.counted_meters``).
    start, end : datetime.date
        Local calendar dates in the park's zone, [start, end).
    options : AccountOptions
        tce method and emission factors.

    Returns
    -------
    pandas.DataFrame
        One row per meter with rollups in the range (as ``interval_accounts``
        has no rows for meters without data): ``meter_id``,
        ``medium``, ``building_id``, ``enterprise_id``, ``measured_kwh``,
        ``estimated_kwh``, ``energy_kwh`` (signed as in ``interval_accounts``),
        ``tce``, ``co2e_t``, ``ef_fallback`` (number of electricity intervals in
        hours without an hourly grid factor).
    """
    info = pd.DataFrame([
        {"meter_id": m.meter_id, "medium": m.medium.value, "building_id": m.building_id,
         "enterprise_id": m.enterprise_id, "sign": signed_kwh_per_unit(m),
         "kgce_per_kwh": _kgce(m, options), "co2_t_per_kwh": _co2_per_kwh(m, options)}
        for m in meters
    ], columns=["meter_id", "medium", "building_id", "enterprise_id", "sign", "kgce_per_kwh",
                "co2_t_per_kwh"])
    if info.empty:
        return pd.DataFrame(columns=TOTAL_COLUMNS)
    ids = info["meter_id"].tolist()
    day = store.query(
        "SELECT meter_id, sum(energy) AS energy, sum(estimated_energy) AS estimated "
        "FROM rollups WHERE park_id = ? AND period = 'day' AND period_start >= ? "
        "AND period_start < ? AND list_contains(?, meter_id) GROUP BY meter_id",
        [park.park_id, pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime(),
         ids])
    frame = info.merge(day, on="meter_id", how="inner")
    energy = frame["energy"].astype("float64").fillna(0.0) * frame["sign"]
    estimated = frame["estimated"].astype("float64").fillna(0.0) * frame["sign"]
    frame["energy_kwh"] = energy
    frame["estimated_kwh"] = estimated
    frame["measured_kwh"] = energy - estimated
    frame["tce"] = energy * frame["kgce_per_kwh"] / 1000.0
    frame["co2e_t"] = energy * frame["co2_t_per_kwh"]
    frame["ef_fallback"] = 0
    hourly = options.electricity.hourly
    elec = frame["medium"] == Medium.ELECTRICITY.value
    if hourly is not None and elec.any():
        co2, fallback = _hourly_co2(store, park, frame.loc[elec, "meter_id"].tolist(),
                                    start=start, end=end, hourly=hourly,
                                    mean_kg_per_kwh=options.electricity.value)
        signs = frame.loc[elec, "sign"].to_numpy()
        ids_elec = frame.loc[elec, "meter_id"]
        frame.loc[elec, "co2e_t"] = ids_elec.map(co2).fillna(0.0).to_numpy() * signs
        frame.loc[elec, "ef_fallback"] = ids_elec.map(fallback).fillna(0).astype(int).to_numpy()
    return frame[TOTAL_COLUMNS]


def _hourly_co2(store: DuckDBStore, park: Park, meter_ids: list[str], *, start: date,
                end: date, hourly: pd.Series,
                mean_kg_per_kwh: float) -> tuple[dict[str, float], dict[str, int]]:
    """Unsigned CO2 [t] and fallback interval count per meter from hour rollups."""
    lo, hi = local_bounds(park, start, end)
    ef = hourly.dropna()
    factors = pd.DataFrame({
        "hour": pd.DatetimeIndex(ef.index).tz_convert("UTC").tz_localize(None)
        .astype("datetime64[us]"),
        "ef": ef.to_numpy(dtype="float64")})
    sql = """
        SELECT r.meter_id,
               sum(r.energy * coalesce(f.ef, ?)) / 1000.0 AS co2_t,
               sum(CASE WHEN f.ef IS NULL THEN r.n_intervals ELSE 0 END) AS fallback
        FROM rollups r LEFT JOIN hourly_factor_frame f ON r.period_start = f.hour
        WHERE r.park_id = ? AND r.period = 'hour' AND r.period_start >= ?
          AND r.period_start < ? AND list_contains(?, r.meter_id)
        GROUP BY r.meter_id"""
    with store._lock:
        store.con.register("hourly_factor_frame", factors)
        try:
            out = store.con.execute(sql, [mean_kg_per_kwh, park.park_id,
                                          lo.tz_localize(None).to_pydatetime(),
                                          hi.tz_localize(None).to_pydatetime(),
                                          meter_ids]).df()
        finally:
            store.con.unregister("hourly_factor_frame")
    return (dict(zip(out["meter_id"], out["co2_t"].astype(float), strict=True)),
            dict(zip(out["meter_id"], out["fallback"].astype(int), strict=True)))


def _round_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(float(v), 4) if isinstance(v, float | np.floating) else v)
            for k, v in row.items()}


def park_summary_fast(store: DuckDBStore, park: Park, *, year: int, options: AccountOptions,
                      sources: Sequence[str] = ()) -> dict[str, Any]:
    """:func:`zeropark.accounting.report.park_summary` computed from rollups.

    Same keys and values (up to summation order); see the module doc.
    """
    from zeropark.accounting.report import available_years, top_buildings_from

    start, end = year_bounds(year)
    counted = counted_meters(park)
    in_buildings = building_meters(park)
    union = {m.meter_id: m for m in (*counted, *in_buildings)}
    everything = meter_totals(store, park, tuple(union.values()), start=start, end=end,
                              options=options)
    frame = everything[everything["meter_id"].isin({m.meter_id for m in counted})]
    by_building = everything[everything["meter_id"].isin({m.meter_id for m in in_buildings})]
    media = summarize(frame, "medium")
    totals = media[["measured_kwh", "estimated_kwh", "energy_kwh", "tce", "co2e_t"]].sum()
    return {
        "park_id": park.park_id, "name": park.name, "timezone": park.timezone, "year": year,
        "years": available_years(store, park),
        "n_buildings": len(park.buildings), "n_meters": len(park.meters),
        "n_virtual_meters": len(park.virtual_meters),
        "tce_method": options.tce_method.value,
        "media": [_round_row({str(k): v for k, v in r.items()})
                  for r in media.to_dict("records")],
        "totals": _round_row({str(k): v for k, v in totals.to_dict().items()}),
        "factors": factors_used(park, options),
        "factor_fallback_intervals": int(frame["ef_fallback"].sum()),
        "quality": dict(quality_counts(store, park, start=start, end=end)),
        "top_buildings": top_buildings_from(by_building, park, limit=10),
        "sources": list(sources),
    }
