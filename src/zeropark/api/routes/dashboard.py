"""The dashboard's aggregates: KPIs, flow, carbon trend, ranking, alarms, contribution.

Park-wide results need park-admin; enterprise pages need access to the
enterprise. Results are cached per store generation (see ``api/cache.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request

from zeropark.accounting import dashboard as dash
from zeropark.accounting.accounts import counted_meters, factors_used
from zeropark.accounting.options import options_for
from zeropark.accounting.report import available_years
from zeropark.accounting.series import default_period, energy_series
from zeropark.accounting.totals import meter_totals, park_summary_fast
from zeropark.api.deps import AdminParkDep, EnterpriseDep, NotFoundError, StoreDep, YearQuery
from zeropark.locales import issue_label
from zeropark.model import Park
from zeropark.store.duckdb import DuckDBStore

router = APIRouter(prefix="/api/v1")
PeriodQuery = Annotated[str, Query(pattern="^(day|week|month|year)$",
                                   description="Period picker: day (15 min), week (hourly), "
                                               "month (daily), year (monthly).")]


def latest_year(store: DuckDBStore, park: Park, year: int | None) -> int:
    """`year`, or the latest local year with data.

    Raises
    ------
    NotFoundError
        If the park has no interval data and no year is given.
    """
    if year is not None:
        return year
    years = available_years(store, park)
    if not years:
        raise NotFoundError(f"park {park.park_id!r} has no interval data yet")
    return years[-1]


def cached(request: Request, store: DuckDBStore, key: tuple[Any, ...], compute: Any) -> Any:
    """Result of `compute()` from the app's cache (see ``api/cache.py``)."""
    return request.app.state.cache.get(store, key, compute)


@router.get("/parks/{park_id}/summary", tags=["accounts"])
def summary(request: Request, park: AdminParkDep, store: StoreDep,
            year: YearQuery = None) -> dict[str, Any]:
    """Energy by medium, tce, CO2, top buildings and data-quality counts for a year."""
    from zeropark.demo.cambridge import PARK_ID, SOURCES

    y = latest_year(store, park, year)
    return cached(request, store, ("summary", park.park_id, y), lambda: park_summary_fast(
        store, park, year=y, options=options_for(park),
        sources=SOURCES if park.park_id == PARK_ID else ()))


@router.get("/parks/{park_id}/kpis", tags=["dashboard"])
def kpis(request: Request, park: AdminParkDep, store: StoreDep,
         year: YearQuery = None) -> dict[str, Any]:
    """KPI header: real-time load, today/this-year energy, PV, self-consumption, CO2."""
    y = latest_year(store, park, year)
    return cached(request, store, ("kpis", park.park_id, y),
                  lambda: dash.kpis(store, park, year=y, options=options_for(park)))


@router.get("/parks/{park_id}/flow", tags=["dashboard"])
def flow(request: Request, park: AdminParkDep, store: StoreDep,
         year: YearQuery = None) -> dict[str, Any]:
    """Energy-flow Sankey: sources → enterprises → buildings [kWh]."""
    y = latest_year(store, park, year)
    return cached(request, store, ("flow", park.park_id, y),
                  lambda: dash.energy_flow(store, park, year=y, options=options_for(park)))


@router.get("/parks/{park_id}/carbon-trend", tags=["dashboard"])
def carbon_trend(request: Request, park: AdminParkDep, store: StoreDep,
                 year: YearQuery = None) -> dict[str, Any]:
    """Monthly and cumulative CO2 against the target (or the previous year)."""
    y = latest_year(store, park, year)
    return cached(request, store, ("trend", park.park_id, y),
                  lambda: dash.carbon_trend(store, park, year=y, options=options_for(park)))


@router.get("/parks/{park_id}/enterprise-ranking", tags=["dashboard"])
def ranking(request: Request, park: AdminParkDep, store: StoreDep,
            year: YearQuery = None) -> list[dict[str, Any]]:
    """Enterprises ranked by energy, with tce, CO2 and floor-area intensity."""
    y = latest_year(store, park, year)
    return cached(request, store, ("ranking", park.park_id, y), lambda: dash.enterprise_ranking(
        store, park, year=y, options=options_for(park)))


@router.get("/parks/{park_id}/contribution", tags=["dashboard"])
def contribution(request: Request, park: AdminParkDep, store: StoreDep,
                 year: YearQuery = None) -> dict[str, Any]:
    """Social contribution of the park's PV: tce saved, t CO2 avoided, tree equivalent."""
    y = latest_year(store, park, year)
    return cached(request, store, ("contribution", park.park_id, y),
                  lambda: dash.social_contribution(store, park, year=y,
                                                   options=options_for(park)))


@router.get("/parks/{park_id}/alarms", tags=["dashboard"])
def alarms(park: AdminParkDep, store: StoreDep,
           severity: Annotated[str | None, Query(max_length=40)] = None,
           code: Annotated[str | None, Query(max_length=80)] = None,
           lang: Annotated[str, Query(pattern="^(en|zh)$")] = "en",
           limit: Annotated[int, Query(ge=1, le=10000)] = 50,
           offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> dict[str, Any]:
    """Data-quality findings as alarms, newest first (stable ``code``, translated ``label``)."""
    where = "WHERE q.park_id = ?"
    params: list[Any] = [park.park_id]
    if severity is not None:
        where += " AND q.severity = ?"
        params.append(severity)
    if code is not None:
        where += " AND q.code = ?"
        params.append(code)
    total = int(store.query(f"SELECT count(*) AS n FROM quality_issues q {where}",
                            params)["n"][0])
    frame = store.query(f"SELECT meter_id, code, severity, message, start_ts, end_ts "
                        f"FROM quality_issues q {where} "
                        f"ORDER BY start_ts DESC NULLS LAST, meter_id LIMIT ? OFFSET ?",
                        [*params, limit, offset])
    by_id = park.meters_by_id()
    items = []
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        m = by_id.get(str(row["meter_id"]))
        items.append({**row, "label": issue_label(str(row["code"]), lang),
                      "building_id": m.building_id if m else None,
                      "enterprise_id": m.enterprise_id if m else None})
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/parks/{park_id}/enterprises/{enterprise_id}/summary", tags=["dashboard"])
def enterprise_summary(request: Request, scope: EnterpriseDep, store: StoreDep,
                       period: PeriodQuery = "year",
                       day: Annotated[date | None, Query(description="A local date in the "
                                                         "period; default the latest day "
                                                         "with data.")] = None,
                       ) -> dict[str, Any]:
    """Enterprise page: totals by medium, buildings, meters and a series for one period."""
    park, ent = scope.park, scope.enterprise_id
    if day is None:
        latest = dash.latest_interval_end(store, park)
        if latest is None:
            raise NotFoundError(f"park {park.park_id!r} has no interval data yet")
        day = (latest - pd.Timedelta(seconds=1)).tz_convert(park.timezone).date()
    start, end, interval = default_period(day, period)

    def compute() -> dict[str, Any]:
        options = options_for(park)
        meters = counted_meters(park, enterprise_id=ent)
        t = meter_totals(store, park, meters, start=start, end=end, options=options)
        media = t.groupby("medium")[["measured_kwh", "estimated_kwh", "energy_kwh", "tce",
                                     "co2e_t"]].sum().reset_index()
        by_b = t.groupby("building_id")[["energy_kwh", "tce", "co2e_t"]].sum()
        buildings = [{"building_id": b.building_id, "name": b.name,
                      "floor_area_m2": b.floor_area_m2,
                      "energy_kwh": round(float(by_b["energy_kwh"].get(b.building_id, 0.0)), 4),
                      "co2e_t": round(float(by_b["co2e_t"].get(b.building_id, 0.0)), 4)}
                     for b in park.buildings if b.enterprise_id == ent]
        name = next(e.name for e in park.enterprises if e.enterprise_id == ent)
        return {
            "park_id": park.park_id, "enterprise_id": ent, "name": name,
            "timezone": park.timezone, "period": period, "start": start.isoformat(),
            "end": end.isoformat(), "interval": interval,
            "media": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
                      for r in media.to_dict("records")],
            "totals": {k: round(float(t[k].sum()), 4)
                       for k in ("energy_kwh", "tce", "co2e_t")},
            "buildings": sorted(buildings, key=lambda b: -b["energy_kwh"]),
            "meters": [{"meter_id": m.meter_id, "medium": m.medium.value,
                        "building_id": m.building_id} for m in park.meters
                       if m.enterprise_id == ent],
            "series": energy_series(store, park, meters, start=start, end=end,
                                    interval=interval),
            "factors": factors_used(park, options),
        }

    return cached(request, store, ("enterprise", park.park_id, ent, period, day), compute)
