"""Zero-carbon park indicators for a year, and the hand-entered inputs they need.

The park, all-enterprise and all-building reports are park-wide (park-admin);
an enterprise or a building report is open to the users and verifiers of that
enterprise and holds only its own subject. Manual inputs (value added, waste,
water, certificates, ...) are uploaded by the park-admin as CSV or TOML, the
format of ``zeropark indicators import-manual`` (``zeropark/indicators/manual.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from zeropark.api.deps import AdminParkDep, BuildingDep, EnterpriseDep, StoreDep, YearQuery
from zeropark.api.routes.dashboard import latest_year
from zeropark.errors import InputError, StoreError
from zeropark.indicators.manual import (
    MANUAL_FIELDS,
    load_manual_inputs,
    parse_manual_inputs,
    save_manual_inputs,
)
from zeropark.indicators.report import indicators_report
from zeropark.model import Park
from zeropark.store.duckdb import DuckDBStore

router = APIRouter(prefix="/api/v1", tags=["indicators"])
LevelQuery = Annotated[str, Query(pattern="^(park|enterprise|building)$",
                                  description="Subjects: the park, each enterprise or each "
                                              "building.")]
Scope2Query = Annotated[str | None, Query(pattern="^(location|market)$",
                                          description="Scope-2 method; default the park's "
                                                      "settings.scope2.")]
_MEDIA = {"text/csv": "csv", "application/toml": "toml", "text/plain": "csv"}


def _report(store: DuckDBStore, park: Park, year: int | None, level: str,
            scope2: str | None, subject: str | None = None) -> dict[str, Any]:
    y = latest_year(store, park, year)
    report = indicators_report(store, park, year=y, level=level, scope2=scope2)
    if subject is not None:
        report["indicators"] = [r for r in report["indicators"] if r["subject"] == subject]
        report["subject"] = subject
    return report


@router.get("/parks/{park_id}/indicators")
def park_indicators(park: AdminParkDep, store: StoreDep, year: YearQuery = None,
                    level: LevelQuery = "park", scope2: Scope2Query = None) -> dict[str, Any]:
    """Indicators of the park, or of every enterprise or building (park-admin).

    National 1+5, Jiangsu guide and green-building indicators with values, targets,
    status, trend and the arithmetic; at park level also the green-building savings
    and the social-contribution card (``zeropark.indicators.report.indicators_report``).
    """
    return _report(store, park, year, level, scope2)


@router.get("/parks/{park_id}/enterprises/{enterprise_id}/indicators")
def enterprise_indicators(scope: EnterpriseDep, store: StoreDep, year: YearQuery = None,
                          scope2: Scope2Query = None) -> dict[str, Any]:
    """Enterprise-level indicators of one enterprise (its users and verifiers may read)."""
    return _report(store, scope.park, year, "enterprise", scope2, scope.enterprise_id)


@router.get("/parks/{park_id}/buildings/{building_id}/indicators")
def building_indicators(scope: BuildingDep, store: StoreDep, year: YearQuery = None,
                        scope2: Scope2Query = None) -> dict[str, Any]:
    """Building-level indicators of one building (users of its enterprise may read)."""
    return _report(store, scope.park, year, "building", scope2, scope.building_id)


@router.get("/parks/{park_id}/indicator-inputs")
def list_manual_inputs(park: AdminParkDep, store: StoreDep,
                       year: YearQuery = None) -> dict[str, Any]:
    """Hand-entered indicator inputs kept for the park (park-admin), optionally of a year."""
    frame = load_manual_inputs(store, park).to_frame()
    if year is not None:
        frame = frame[frame["year"] == year]
    frame = frame.sort_values(["year", "level", "subject", "field"])
    return {"items": frame.to_dict("records"), "total": len(frame),
            "fields": {k: {"unit": u, "description": d} for k, (u, d) in MANUAL_FIELDS.items()}}


@router.post("/parks/{park_id}/indicator-inputs", status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string"}},
                 "application/toml": {"schema": {"type": "string"}}}}})
async def upload_manual_inputs(request: Request, park: AdminParkDep,
                               store: StoreDep) -> dict[str, Any]:
    """Upload hand-entered inputs as CSV or TOML (park-admin); all or nothing.

    CSV header ``year,level,subject,field,value,unit,source,note`` (``text/csv``) or
    ``[[inputs]]`` tables with the same keys (``application/toml``). Rows replace
    earlier values of the same (year, level, subject, field).
    """
    media = request.headers.get("content-type", "text/csv").split(";")[0].strip().lower()
    if media not in _MEDIA:
        raise InputError(f"unsupported content type {media!r}; send text/csv or "
                         "application/toml", field="content-type")
    body = await request.body()
    if not body.strip():
        raise InputError("empty body: send the manual inputs", field="body")
    if len(body) > 10 * 2**20:
        raise InputError("body over 10 MiB", field="body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"body is not UTF-8: {err}", field="body") from err
    return await run_in_threadpool(_save, store, park, text, _MEDIA[media])


def _save(store: DuckDBStore, park: Park, text: str, fmt: str) -> dict[str, Any]:
    inputs = parse_manual_inputs(text, park, fmt=fmt, source=f"upload.{fmt}")
    try:
        n = save_manual_inputs(store, park, inputs, imported_from=f"api upload ({fmt})")
    except duckdb.Error as err:  # e.g. a server started with a read-only store
        raise StoreError(f"cannot store the manual inputs: {err}") from err
    store.generation += 1  # cached results that read the inputs are stale
    years = sorted({k[0] for k in inputs.values})
    return {"n_stored": n, "years": years}
