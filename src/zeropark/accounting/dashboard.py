"""The park dashboard's aggregates: KPIs, energy flow, carbon trend, ranking, contribution.

All from the rollups (see :mod:`zeropark.accounting.totals`), so they stay fast
on large parks. Sign conventions follow ``accounts``: grid export counts negative,
PV generation positive (a source). Keys carry units.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from zeropark.accounting.accounts import (
    building_meters,
    counted_meters,
    local_bounds,
    signed_kwh_per_unit,
    year_bounds,
)
from zeropark.accounting.options import AccountOptions
from zeropark.accounting.totals import meter_totals
from zeropark.factors import get_factor
from zeropark.model import Direction, Park
from zeropark.store.duckdb import DuckDBStore
from zeropark.units import Medium

#: Default CO2 a tree takes up, for the social-contribution card: 0.060 t CO2 per urban
#: tree seedling grown for 10 years (a 10-year total, not a yearly rate). Source: US EPA,
#: Greenhouse Gas Equivalencies Calculator, "Calculations and References", urban tree
#: seedlings grown for 10 years. The value was seen quoted from that page (e.g. Orange
#: County NC grant form citing it), not read on epa.gov itself. Parks override it with
#: ``[settings] tree_co2_t_per_tree`` and ``tree_co2_source``.
TREE_CO2_T_PER_TREE = 0.060
TREE_CO2_SOURCE = ("US EPA Greenhouse Gas Equivalencies Calculator, Calculations and "
                   "References: urban tree seedling grown for 10 years, 0.060 t CO2 per tree "
                   "(value quoted from secondary citations; not checked on epa.gov)")
ROUND = 4


def _r(value: float) -> float:
    return round(float(value), ROUND)


def latest_interval_end(store: DuckDBStore, park: Park) -> pd.Timestamp | None:
    """End (UTC) of the latest stored interval of the park, or None without data."""
    row = store.query("SELECT max(interval_start) AS t FROM intervals WHERE park_id = ?",
                      [park.park_id])
    value = row["t"].iloc[0]
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_localize("UTC")


def kpis(store: DuckDBStore, park: Park, *, year: int, options: AccountOptions) -> dict[str, Any]:
    """KPI header: real-time load, today/this-year energy, PV, self-consumption, CO2.

    "Now" is the end of the latest stored interval, capped at the end of `year` (the
    demo's data are historical); "today" is the local day of that instant and
    "this year" runs from 1 January to the end of that day.

    Returns
    -------
    dict
        ``as_of`` (local ISO time), ``load_kw`` (electricity load in the latest
        interval = Σ signed grid electricity + PV generation [kW]),
        ``load_interval_start``, ``today_kwh``, ``year_kwh`` (all counted media),
        ``today_electricity_kwh``, ``pv_generation_kwh`` (year), ``pv_export_kwh``,
        ``self_consumption_rate`` (1 − export/PV, None without PV), ``co2e_t``
        (year to date), ``tce`` (year to date).
    """
    counted = counted_meters(park)
    latest = latest_interval_end(store, park)
    start, end = year_bounds(year)
    year_end = local_bounds(park, start, end)[1]
    as_of = min(latest, year_end) if latest is not None else year_end
    today = (as_of - pd.Timedelta(seconds=1)).tz_convert(park.timezone).date()
    day_after = today + timedelta(days=1)
    ytd = meter_totals(store, park, counted, start=start, end=day_after, options=options)
    day = meter_totals(store, park, counted, start=today, end=day_after, options=options)
    pv_ids = [m.meter_id for m in counted if m.medium == Medium.PV]
    export_ids = [m.meter_id for m in counted
                  if m.medium == Medium.ELECTRICITY and m.direction == Direction.EXPORT]
    pv = float(ytd.loc[ytd["meter_id"].isin(pv_ids), "energy_kwh"].sum())
    export = -float(ytd.loc[ytd["meter_id"].isin(export_ids), "energy_kwh"].sum())
    load_kw, load_start = _latest_load(store, park, as_of)
    return {
        "park_id": park.park_id, "year": year, "timezone": park.timezone,
        "as_of": as_of.tz_convert(park.timezone).isoformat(), "today": today.isoformat(),
        "load_kw": None if load_kw is None else _r(load_kw),
        "load_interval_start": load_start,
        "today_kwh": _r(day["energy_kwh"].sum()),
        "today_electricity_kwh": _r(day.loc[day["medium"] == "electricity", "energy_kwh"].sum()),
        "year_kwh": _r(ytd["energy_kwh"].sum()),
        "pv_generation_kwh": _r(pv), "pv_export_kwh": _r(export),
        "self_consumption_rate": _r(1.0 - export / pv) if pv > 0 else None,
        "co2e_t": _r(ytd["co2e_t"].sum()), "tce": _r(ytd["tce"].sum()),
        "has_pv": bool(pv_ids),
    }


def _latest_load(store: DuckDBStore, park: Park,
                 as_of: pd.Timestamp) -> tuple[float | None, str | None]:
    """Mean electric load [kW] over the last interval starting before `as_of`."""
    meters = [m for m in counted_meters(park) if m.medium in (Medium.ELECTRICITY, Medium.PV)]
    if not meters:
        return None, None
    frame = store.query(
        "WITH last AS (SELECT max(interval_start) AS t FROM intervals WHERE park_id = ? "
        "AND interval_start < ? AND list_contains(?, meter_id)) "
        "SELECT i.meter_id, i.interval_start, i.duration_s, i.energy FROM intervals i, last "
        "WHERE i.park_id = ? AND i.interval_start = last.t AND list_contains(?, i.meter_id)",
        [park.park_id, as_of.tz_localize(None).to_pydatetime(), [m.meter_id for m in meters],
         park.park_id, [m.meter_id for m in meters]])
    if frame.empty:
        return None, None
    sign = frame["meter_id"].map({m.meter_id: signed_kwh_per_unit(m) for m in meters})
    kw = (frame["energy"].fillna(0.0) * sign * 3600.0 / frame["duration_s"]).sum()
    start = pd.Timestamp(frame["interval_start"].iloc[0]).tz_localize("UTC")
    return float(kw), start.tz_convert(park.timezone).isoformat()


def energy_flow(store: DuckDBStore, park: Park, *, year: int, options: AccountOptions,
                max_buildings: int = 12) -> dict[str, Any]:
    """Sankey of a year: sources (media) → enterprises → buildings [kWh].

    Energy counted for buildings (each building without double counting) flows from
    its medium to the building's enterprise and on to the building; the largest
    `max_buildings` buildings are shown, the rest merged into ``other buildings``.
    Park energy not metered in any building goes to ``unallocated``. Negative
    (export) energy is left out of the flows.

    Returns
    -------
    dict
        ``nodes`` (``id``, ``kind`` ∈ {source, enterprise, building, other},
        ``name``) and ``links`` (``source``, ``target``, ``value_kwh``, ``medium``).
    """
    start, end = year_bounds(year)
    in_b = building_meters(park)
    counted = counted_meters(park)
    union = {m.meter_id: m for m in (*counted, *in_b)}
    totals = meter_totals(store, park, tuple(union.values()), start=start, end=end,
                          options=options)
    totals = totals[totals["energy_kwh"] > 0]
    per_b = totals[totals["meter_id"].isin({m.meter_id for m in in_b})].copy()
    names = {e.enterprise_id: e.name for e in park.enterprises}
    b_ent = {b.building_id: b.enterprise_id for b in park.buildings}
    per_b["enterprise_id"] = per_b["building_id"].map(b_ent).fillna("unassigned")
    rank = per_b.groupby("building_id")["energy_kwh"].sum().sort_values(ascending=False)
    shown = set(rank.index[:max_buildings])
    per_b["target"] = per_b["building_id"].where(per_b["building_id"].isin(shown),
                                                 "other_buildings")
    nodes: dict[str, dict[str, str]] = {}
    links: list[dict[str, Any]] = []

    def node(node_id: str, kind: str, name: str) -> str:
        nodes.setdefault(node_id, {"id": node_id, "kind": kind, "name": name})
        return node_id

    by_source = per_b.groupby(["medium", "enterprise_id"])["energy_kwh"].sum()
    for (medium, ent), value in by_source.items():
        links.append({"source": node(f"source:{medium}", "source", str(medium)),
                      "target": node(f"enterprise:{ent}", "enterprise",
                                     names.get(str(ent), str(ent))),
                      "value_kwh": _r(value), "medium": str(medium)})
    by_target = per_b.groupby(["enterprise_id", "target"])["energy_kwh"].sum()
    for (ent, target), value in by_target.items():
        label = "other buildings" if target == "other_buildings" else park.building(
            str(target)).name
        links.append({"source": f"enterprise:{ent}",
                      "target": node(f"building:{target}", "building" if target !=
                                     "other_buildings" else "other", label),
                      "value_kwh": _r(value), "medium": None})
    park_media = totals[totals["meter_id"].isin({m.meter_id for m in counted})]
    for medium, value in park_media.groupby("medium")["energy_kwh"].sum().items():
        rest = float(value) - float(per_b.loc[per_b["medium"] == medium, "energy_kwh"].sum())
        if rest > 1e-6 * max(float(value), 1.0):
            links.append({"source": node(f"source:{medium}", "source", str(medium)),
                          "target": node("unallocated", "other", "unallocated"),
                          "value_kwh": _r(rest), "medium": str(medium)})
    return {"park_id": park.park_id, "year": year, "nodes": list(nodes.values()),
            "links": links}


def monthly_totals(store: DuckDBStore, park: Park, *, year: int,
                   options: AccountOptions) -> pd.DataFrame:
    """Park energy [kWh], tce and CO2 [t] per local month (index 1–12)."""
    counted = counted_meters(park)
    rows = []
    for month in range(1, 13):
        first = date(year, month, 1)
        after = date(year + (month == 12), month % 12 + 1, 1)
        t = meter_totals(store, park, counted, start=first, end=after, options=options)
        rows.append({"month": month, "energy_kwh": float(t["energy_kwh"].sum()),
                     "tce": float(t["tce"].sum()), "co2e_t": float(t["co2e_t"].sum())})
    return pd.DataFrame(rows).set_index("month")


def carbon_trend(store: DuckDBStore, park: Park, *, year: int,
                 options: AccountOptions) -> dict[str, Any]:
    """Monthly and cumulative CO2 of a year against the park's target and the year before.

    The target is ``[settings] co2_target_t`` (annual, t CO2) with
    ``co2_target_source``; its cumulative path is linear in days. Without a target
    the previous year's cumulative CO2 is the reference and ``target`` is None.

    Returns
    -------
    dict
        ``months`` (``YYYY-MM``), ``co2e_t``, ``cumulative_co2e_t``,
        ``previous_year_cumulative_co2e_t``, ``target`` (None or
        ``{annual_co2e_t, source, cumulative_co2e_t}``).
    """
    this = monthly_totals(store, park, year=year, options=options)
    before = monthly_totals(store, park, year=year - 1, options=options)
    target_t = park.settings.get("co2_target_t")
    target = None
    if target_t is not None:
        days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
        path = [float(target_t) * (date(year + (m == 12), m % 12 + 1, 1)
                                   - date(year, 1, 1)).days / days for m in range(1, 13)]
        target = {"annual_co2e_t": float(target_t),
                  "source": str(park.settings.get("co2_target_source", "park settings")),
                  "cumulative_co2e_t": [_r(v) for v in path]}
    prev = before["co2e_t"].cumsum()
    return {
        "park_id": park.park_id, "year": year,
        "months": [f"{year}-{m:02d}" for m in range(1, 13)],
        "co2e_t": [_r(v) for v in this["co2e_t"]],
        "cumulative_co2e_t": [_r(v) for v in this["co2e_t"].cumsum()],
        "previous_year_cumulative_co2e_t": [_r(v) for v in prev] if prev.iloc[-1] else None,
        "target": target,
    }


def enterprise_ranking(store: DuckDBStore, park: Park, *, year: int,
                       options: AccountOptions) -> list[dict[str, Any]]:
    """Enterprises ranked by energy in a local year, with floor-area intensity.

    Returns
    -------
    list of dict
        ``enterprise_id``, ``name``, ``energy_kwh``, ``tce``, ``co2e_t``,
        ``floor_area_m2`` (Σ of its buildings, None if unknown),
        ``eui_kwh_per_m2``, ``n_buildings``, ``n_meters``.
    """
    start, end = year_bounds(year)
    out = []
    for e in park.enterprises:
        meters = counted_meters(park, enterprise_id=e.enterprise_id)
        t = meter_totals(store, park, meters, start=start, end=end, options=options)
        buildings = [b for b in park.buildings if b.enterprise_id == e.enterprise_id]
        areas = [b.floor_area_m2 for b in buildings if b.floor_area_m2]
        area = float(sum(areas)) if areas else None
        energy = float(t["energy_kwh"].sum())
        out.append({"enterprise_id": e.enterprise_id, "name": e.name,
                    "energy_kwh": _r(energy), "tce": _r(t["tce"].sum()),
                    "co2e_t": _r(t["co2e_t"].sum()), "floor_area_m2": area,
                    "eui_kwh_per_m2": round(energy / area, 2) if area else None,
                    "n_buildings": len(buildings),
                    "n_meters": sum(m.enterprise_id == e.enterprise_id for m in park.meters)})
    return sorted(out, key=lambda r: -r["energy_kwh"])


def social_contribution(store: DuckDBStore, park: Park, *, year: int,
                        options: AccountOptions) -> dict[str, Any]:
    """Standard coal saved, CO2 avoided and tree equivalent of the park's PV in a year.

    * tce saved = PV [kWh] × electricity coal factor: the supply coal rate
      (等价值) when the park sets one, else the calorific value 0.1229 kgce/kWh
      (当量值, GB/T 2589-2020); the card says which.
    * CO2 avoided = PV [kWh] × the grid factor in use (location-based).
    * trees = CO2 avoided / ``tree_co2_t_per_tree`` (default :data:`TREE_CO2_T_PER_TREE`).
    """
    start, end = year_bounds(year)
    pv_meters = [m for m in counted_meters(park) if m.medium == Medium.PV]
    t = meter_totals(store, park, pv_meters, start=start, end=end, options=options)
    pv = float(t["energy_kwh"].sum()) if not t.empty else 0.0
    if options.supply_coal_rate_kgce_per_kwh:
        kgce, coal_source = (options.supply_coal_rate_kgce_per_kwh,
                             "supply coal rate of the park settings (等价值)")
    else:
        f = get_factor("cn_gbt2589_2020_electricity_calorific")
        kgce, coal_source = f.value, f"{f.source}; {f.table} (当量值)"
    tree = float(park.settings.get("tree_co2_t_per_tree", TREE_CO2_T_PER_TREE))
    tree_source = str(park.settings.get("tree_co2_source", TREE_CO2_SOURCE))
    co2 = pv * options.electricity.value / 1000.0
    return {
        "park_id": park.park_id, "year": year, "pv_generation_kwh": _r(pv),
        "has_pv": bool(pv_meters),
        "tce_saved": _r(pv * kgce / 1000.0), "co2_avoided_t": _r(co2),
        "trees": _r(co2 / tree) if tree > 0 else None,
        "factors": [
            {"name": "electricity_coal", "value": kgce, "unit": "kgce/kWh",
             "source": coal_source},
            {"name": "grid_co2", "value": round(options.electricity.value, 6),
             "unit": "kg CO2/kWh", "source": options.electricity.source},
            {"name": "tree_co2", "value": tree, "unit": "t CO2/tree",
             "source": tree_source},
        ],
    }


def monthly_co2_fast(store: DuckDBStore, park: Park, *, year: int,
                     options: AccountOptions) -> dict[str, Any]:
    """:func:`zeropark.accounting.report.monthly_co2` from rollups (same keys)."""
    from zeropark.accounting.accounts import factors_used

    counted = counted_meters(park)
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    columns: dict[str, list[float]] = {}
    seen: set[str] = set()
    for month in range(1, 13):
        first = date(year, month, 1)
        after = date(year + (month == 12), month % 12 + 1, 1)
        t = meter_totals(store, park, counted, start=first, end=after, options=options)
        for medium, value in t.groupby("medium")["co2e_t"].sum().items():
            columns.setdefault(str(medium), [0.0] * 12)[month - 1] = float(value)
        seen |= set(_media_with_data(store, park, counted, first, after))
    return {
        "months": months,
        "series": [{"medium": m, "co2e_t": [round(v, 4) for v in columns[m]]}
                   for m in sorted(columns) if m in seen],
        "factors": factors_used(park, options),
    }


def _media_with_data(store: DuckDBStore, park: Park, meters: tuple[Any, ...], first: date,
                     after: date) -> list[str]:
    ids = store.query(
        "SELECT DISTINCT meter_id FROM rollups WHERE park_id = ? AND period = 'day' "
        "AND period_start >= ? AND period_start < ?",
        [park.park_id, pd.Timestamp(first).to_pydatetime(), pd.Timestamp(after).to_pydatetime()])
    have = set(ids["meter_id"])
    return sorted({m.medium.value for m in meters if m.meter_id in have})


def top_buildings_fast(store: DuckDBStore, park: Park, *, year: int, options: AccountOptions,
                       limit: int = 10) -> list[dict[str, Any]]:
    """:func:`zeropark.accounting.report.top_buildings` from rollups (same rows)."""
    from zeropark.accounting.report import top_buildings_from

    start, end = year_bounds(year)
    frame = meter_totals(store, park, building_meters(park), start=start, end=end,
                         options=options)
    return top_buildings_from(frame, park, limit=limit)
