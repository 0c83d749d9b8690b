"""Park structure (enterprises, buildings, meters), readings upload and time-series queries.

Listings are filtered to the caller's enterprise (enterprise users, verifiers);
paged responses are ``{items, total, limit, offset}``.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from zeropark.accounting.accounts import counted_meters, local_bounds
from zeropark.accounting.series import INTERVALS, energy_series
from zeropark.api.deps import (
    EnterpriseDep,
    IngestParkDep,
    MeterDep,
    ParkDep,
    StoreDep,
    UserDep,
)
from zeropark.auth import Principal, Role
from zeropark.errors import InputError
from zeropark.model import Meter, Park

router = APIRouter(prefix="/api/v1")
LimitQuery = Annotated[int, Query(ge=1, le=10000, description="Page size.")]
OffsetQuery = Annotated[int, Query(ge=0, le=10**9, description="Rows to skip.")]
IntervalQuery = Annotated[str, Query(pattern="^(" + "|".join(INTERVALS) + ")$",
                                     description="Bucket: 15min, hour, day, week, month, "
                                                 "year.")]
TzQuery = Annotated[str | None, Query(max_length=64, description="IANA zone of dates and "
                                      "buckets; default the park's.")]


def _page(items: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    return {"items": items[offset:offset + limit], "total": len(items), "limit": limit,
            "offset": offset}


def _visible(principal: Principal, park: Park, enterprise_id: str | None) -> bool:
    return principal.role == Role.PARK_ADMIN or principal.sees_enterprise(park.park_id,
                                                                           enterprise_id)


def _meter_row(m: Meter) -> dict[str, Any]:
    return {"meter_id": m.meter_id, "name": m.name, "medium": m.medium.value,
            "quantity": m.quantity.value, "unit": m.unit, "canonical_unit": m.canonical_unit,
            "kind": m.kind.value, "direction": m.direction.value, "building_id": m.building_id,
            "enterprise_id": m.enterprise_id, "submeter_of": m.submeter_of,
            "category": m.category, "subitem": m.subitem}


@router.get("/parks", tags=["parks"])
def list_parks(request: Request, store: StoreDep, principal: UserDep) -> list[dict[str, Any]]:
    """Parks the caller may open."""
    from zeropark.api.deps import _load_park

    ids = [p for p in store.park_ids() if principal.park_id in (None, p)]
    parks = [_load_park(p, request, store) for p in ids]
    return [{"park_id": p.park_id, "name": p.name, "timezone": p.timezone} for p in parks]


@router.get("/parks/{park_id}/enterprises", tags=["parks"])
def list_enterprises(park: ParkDep, principal: UserDep, limit: LimitQuery = 1000,
                     offset: OffsetQuery = 0) -> dict[str, Any]:
    """Enterprises of the park (only the caller's own for enterprise users)."""
    rows = [{"enterprise_id": e.enterprise_id, "name": e.name, "industry": e.industry,
             "n_buildings": sum(b.enterprise_id == e.enterprise_id for b in park.buildings),
             "n_meters": sum(m.enterprise_id == e.enterprise_id for m in park.meters)}
            for e in park.enterprises if _visible(principal, park, e.enterprise_id)]
    return _page(rows, limit, offset)


@router.get("/parks/{park_id}/buildings", tags=["parks"])
def list_buildings(park: ParkDep, principal: UserDep, enterprise_id: str | None = None,
                   limit: LimitQuery = 1000, offset: OffsetQuery = 0) -> dict[str, Any]:
    """Buildings, optionally of one enterprise (filtered to the caller's enterprise)."""
    rows = [{"building_id": b.building_id, "name": b.name, "enterprise_id": b.enterprise_id,
             "floor_area_m2": b.floor_area_m2, "building_type": b.building_type}
            for b in park.buildings
            if _visible(principal, park, b.enterprise_id)
            and enterprise_id in (None, b.enterprise_id)]
    return _page(rows, limit, offset)


@router.get("/parks/{park_id}/meters", tags=["parks"])
def list_meters(park: ParkDep, principal: UserDep, enterprise_id: str | None = None,
                building_id: str | None = None, medium: str | None = None,
                limit: LimitQuery = 1000, offset: OffsetQuery = 0) -> dict[str, Any]:
    """Physical meters with filters (filtered to the caller's enterprise)."""
    rows = [_meter_row(m) for m in park.meters
            if _visible(principal, park, m.enterprise_id)
            and enterprise_id in (None, m.enterprise_id)
            and building_id in (None, m.building_id) and medium in (None, m.medium.value)]
    return _page(rows, limit, offset)


@router.get("/parks/{park_id}/meters/{meter_id}", tags=["parks"])
def get_meter(scope: MeterDep, store: StoreDep) -> dict[str, Any]:
    """One meter with its data span and data-quality findings."""
    park, m = scope.park, scope.meter
    span = store.query("SELECT min(interval_start) AS first, max(interval_start) AS last, "
                       "count(*) AS n FROM intervals WHERE park_id = ? AND meter_id = ?",
                       [park.park_id, m.meter_id])
    issues = store.query("SELECT code, severity, message, start_ts, end_ts FROM quality_issues "
                         "WHERE park_id = ? AND meter_id = ? ORDER BY start_ts",
                         [park.park_id, m.meter_id])
    first, last = span["first"].iloc[0], span["last"].iloc[0]

    def local(ts: Any) -> str | None:
        if ts is None or pd.isna(ts):
            return None
        return str(pd.Timestamp(ts).tz_localize("UTC").tz_convert(park.timezone).isoformat())

    return {**_meter_row(m), "first_interval": local(first), "last_interval": local(last),
            "n_intervals": int(span["n"].iloc[0]), "timezone": park.timezone,
            "issues": issues.astype(object).where(issues.notna(), None).to_dict("records")}


def _range(park: Park, start: date | None, end: date | None) -> tuple[Any, Any]:
    if start is not None and end is not None and end <= start:
        raise InputError(f"end {end} must be after start {start}", field="end")
    lo = local_bounds(park, start, start)[0] if start else None
    hi = local_bounds(park, end, end)[0] if end else None
    return lo, hi


def _utc_iso(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    frame[column] = [t.isoformat() for t in pd.DatetimeIndex(frame[column])]
    return frame


@router.get("/parks/{park_id}/meters/{meter_id}/readings", tags=["readings"])
def meter_readings(scope: MeterDep, store: StoreDep, start: date | None = None,
                   end: date | None = None, limit: LimitQuery = 1000,
                   offset: OffsetQuery = 0) -> dict[str, Any]:
    """Raw readings of a meter as received (canonical unit), local dates [start, end)."""
    park, m = scope.park, scope.meter
    lo, hi = _range(park, start, end)
    sql = "FROM readings WHERE park_id = ? AND meter_id = ?"
    params: list[Any] = [park.park_id, m.meter_id]
    if lo is not None:
        sql += " AND ts >= ?"
        params.append(lo.tz_localize(None).to_pydatetime())
    if hi is not None:
        sql += " AND ts < ?"
        params.append(hi.tz_localize(None).to_pydatetime())
    total = int(store.query("SELECT count(*) AS n " + sql, params)["n"][0])
    frame = store.query("SELECT ts, value, value_raw, unit_raw, seq " + sql +
                        " ORDER BY ts, seq LIMIT ? OFFSET ?", [*params, limit, offset])
    frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_localize("UTC")
    items = _utc_iso(frame, "ts").astype(object).where(frame.notna(), None).to_dict("records")
    return {"items": items, "total": total, "limit": limit, "offset": offset,
            "unit": m.canonical_unit}


@router.get("/parks/{park_id}/meters/{meter_id}/intervals", tags=["readings"])
def meter_intervals(scope: MeterDep, store: StoreDep, start: date | None = None,
                    end: date | None = None, limit: LimitQuery = 1000,
                    offset: OffsetQuery = 0) -> dict[str, Any]:
    """Interval energy of a meter (15 min, or the meter's coarser native grid)."""
    park, m = scope.park, scope.meter
    lo, hi = _range(park, start, end)
    frame = store.intervals(park.park_id, [m.meter_id], lo, hi)
    total = len(frame)
    frame = frame.iloc[offset:offset + limit].drop(columns=["meter_id"]).copy()
    frame["interval_start"] = pd.DatetimeIndex(frame["interval_start"]).tz_convert(park.timezone)
    items = _utc_iso(frame, "interval_start").astype(object).where(frame.notna(),
                                                                     None).to_dict("records")
    return {"items": items, "total": total, "limit": limit, "offset": offset,
            "unit": m.canonical_unit, "timezone": park.timezone}


@router.get("/parks/{park_id}/rollups", tags=["readings"])
def rollups(park: ParkDep, store: StoreDep, principal: UserDep,
            period: Annotated[str, Query(pattern="^(hour|day|month|year)$")] = "day",
            meter_id: str | None = None, enterprise_id: str | None = None,
            start: date | None = None, end: date | None = None,
            limit: LimitQuery = 1000, offset: OffsetQuery = 0) -> dict[str, Any]:
    """Stored rollups (hour starts UTC; day/month/year starts local), filtered and paged."""
    meters = [m.meter_id for m in park.meters
              if _visible(principal, park, m.enterprise_id)
              and meter_id in (None, m.meter_id) and enterprise_id in (None, m.enterprise_id)]
    sql = ("FROM rollups WHERE park_id = ? AND period = ? AND list_contains(?, meter_id)")
    params: list[Any] = [park.park_id, period, meters]
    for bound, op in ((start, ">="), (end, "<")):
        if bound is not None:
            sql += f" AND period_start {op} ?"
            value = (local_bounds(park, bound, bound)[0].tz_localize(None)
                     if period == "hour" else pd.Timestamp(bound))
            params.append(value.to_pydatetime())
    total = int(store.query("SELECT count(*) AS n " + sql, params)["n"][0])
    frame = store.query("SELECT meter_id, period_start, energy, estimated_energy, n_intervals, "
                        "n_missing " + sql + " ORDER BY meter_id, period_start LIMIT ? OFFSET ?",
                        [*params, limit, offset])
    frame["period_start"] = frame["period_start"].astype(str)
    return {"items": frame.astype(object).where(frame.notna(), None).to_dict("records"),
            "total": total, "limit": limit, "offset": offset, "period": period,
            "period_start_zone": "UTC" if period == "hour" else park.timezone}


@router.get("/parks/{park_id}/enterprises/{enterprise_id}/series", tags=["readings"])
def enterprise_series(scope: EnterpriseDep, store: StoreDep, start: date, end: date,
                      interval: IntervalQuery = "day", tz: TzQuery = None) -> dict[str, Any]:
    """Energy of an enterprise (its counted meters) per bucket and medium."""
    meters = counted_meters(scope.park, enterprise_id=scope.enterprise_id)
    return energy_series(store, scope.park, meters, start=start, end=end, interval=interval,
                         tz=tz)


@router.get("/parks/{park_id}/meters/{meter_id}/series", tags=["readings"])
def meter_series(scope: MeterDep, store: StoreDep, start: date, end: date,
                 interval: IntervalQuery = "day", tz: TzQuery = None) -> dict[str, Any]:
    """Energy of one meter per bucket (canonical unit; gas by volume in kWh via NCV)."""
    return energy_series(store, scope.park, [scope.meter], start=start, end=end,
                         interval=interval, tz=tz)


@router.post("/parks/{park_id}/readings", tags=["readings"], status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string"}}}}})
async def upload_readings(request: Request, park: IngestParkDep, store: StoreDep,
                          tz: TzQuery = None) -> dict[str, Any]:
    """Upload readings as CSV (park-admin or gateway token): long or wide layout.

    Long: ``meter_id,timestamp,value[,unit]``; wide: ``timestamp,<meter_id>,…``.
    Naive timestamps are in `tz` (default the park's zone). Identical re-uploads
    change nothing; intervals and rollups of the touched meters are re-derived.
    """
    body = await request.body()
    if not body.strip():
        raise InputError("empty body: send CSV readings", field="body")
    if len(body) > 50 * 2**20:
        raise InputError("body over 50 MiB: split the upload", field="body")
    return await run_in_threadpool(_ingest_bytes, store, park, body, tz)


def _ingest_bytes(store: Any, park: Park, body: bytes, tz: str | None) -> dict[str, Any]:
    from zeropark.ingest.files import read_meter_file
    from zeropark.ingest.load import ingest_files

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(body)
        report = ingest_files(store, park, [path],
                              reader=lambda p: read_meter_file(p, park, tz=tz))
    return {"n_rows": report.n_rows, "n_new": report.n_new,
            "meters": sorted(report.meters), "n_intervals": report.n_intervals,
            "already_loaded": bool(report.skipped)}
