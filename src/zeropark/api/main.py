"""FastAPI application: park accounts under ``/api/v1`` and the dashboard at ``/``.

Routes are thin: parse, call the accounting pipeline, return JSON. Errors are
RFC 9457 problem details (``application/problem+json``) with ``type``,
``title``, ``status`` and ``detail``.
"""

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from zeropark.accounting.options import options_for
from zeropark.accounting.report import (
    available_years,
    daily_energy,
    energy_accounts,
    monthly_co2,
    park_summary,
    top_buildings,
)
from zeropark.api.deps import NotFoundError, ParkDep, StoreDep, YearQuery
from zeropark.errors import InputError, ParkError, StoreError, UnknownFactorError
from zeropark.model import Park
from zeropark.store.duckdb import DuckDBStore, open_store
from zeropark.web import STATIC_DIR


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem-details response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _year(store: DuckDBStore, park: Park, year: int | None) -> int:
    if year is not None:
        return year
    years = available_years(store, park)
    if not years:
        raise NotFoundError(f"park {park.park_id!r} has no interval data yet")
    return years[-1]


def create_app(store_path: Path | str | None = None, *, read_only: bool = True) -> FastAPI:
    """Build the application over the store at `store_path` (default from Settings).

    Parameters
    ----------
    store_path : pathlib.Path or str, optional
        DuckDB file with loaded parks.
    read_only : bool
        Open the store read-only (default), so CLI reports can run beside the server.

    Returns
    -------
    fastapi.FastAPI
    """
    app = FastAPI(title="zeropark", version="0.1.0",
                  description="Energy and carbon accounts of near-zero-carbon parks.")
    app.state.store = open_store(store_path, read_only=read_only)
    app.state.parks = {}

    @app.exception_handler(ParkError)
    def park_error(request: Request, exc: ParkError) -> JSONResponse:
        if isinstance(exc, NotFoundError | UnknownFactorError):
            return problem(404, "Not Found", str(exc))
        if isinstance(exc, InputError):
            return problem(422, "Invalid input", str(exc))
        if isinstance(exc, StoreError):
            return problem(503, "Store unavailable", str(exc))
        return problem(400, "Bad request", str(exc))

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem(422, "Invalid request", detail, errors=errors)

    @app.get("/api/v1/parks", tags=["parks"])
    def list_parks(request: Request, store: StoreDep) -> list[dict[str, Any]]:
        """Parks in the store."""
        from zeropark.api.deps import get_park

        parks = [get_park(park_id, request, store) for park_id in store.park_ids()]
        return [{"park_id": p.park_id, "name": p.name, "timezone": p.timezone} for p in parks]

    @app.get("/api/v1/parks/{park_id}/summary", tags=["accounts"])
    def summary(park: ParkDep, store: StoreDep, year: YearQuery = None) -> dict[str, Any]:
        """Energy by medium, tce, CO2, top buildings and data-quality counts for a year."""
        from zeropark.demo.cambridge import PARK_ID, SOURCES

        return park_summary(store, park, year=_year(store, park, year),
                            options=options_for(park),
                            sources=SOURCES if park.park_id == PARK_ID else ())

    @app.get("/api/v1/parks/{park_id}/daily", tags=["accounts"])
    def daily(park: ParkDep, store: StoreDep, year: YearQuery = None) -> dict[str, Any]:
        """Daily energy per medium (local days), measured and estimated apart."""
        return daily_energy(store, park, year=_year(store, park, year))

    @app.get("/api/v1/parks/{park_id}/monthly-co2", tags=["accounts"])
    def monthly(park: ParkDep, store: StoreDep, year: YearQuery = None) -> dict[str, Any]:
        """Location-based CO2 per local month and medium."""
        return monthly_co2(store, park, year=_year(store, park, year), options=options_for(park))

    @app.get("/api/v1/parks/{park_id}/top-buildings", tags=["accounts"])
    def top(park: ParkDep, store: StoreDep, year: YearQuery = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 10) -> list[dict[str, Any]]:
        """Buildings ranked by energy, with floor-area intensity."""
        return top_buildings(store, park, year=_year(store, park, year),
                             options=options_for(park), limit=limit)

    @app.get("/api/v1/parks/{park_id}/accounts", tags=["accounts"])
    def accounts(park: ParkDep, store: StoreDep, start: date, end: date,
                 by: Annotated[str, Query(pattern="^(medium|building|enterprise|meter)$")]
                 = "medium") -> list[dict[str, Any]]:
        """Energy, tce and CO2 for local dates [start, end), grouped."""
        return energy_accounts(store, park, start=start, end=end, by=by,
                               options=options_for(park))

    @app.get("/api/v1/parks/{park_id}/enterprises/{enterprise_id}/inventory",
             tags=["inventory"])
    def inventory(park: ParkDep, store: StoreDep, enterprise_id: str,
                  year: Annotated[int, Query(ge=1900, le=2200)],
                  gwp: Annotated[str, Query(pattern="^(SAR|TAR|AR4|AR5|AR6)$")] = "AR5",
                  region: str | None = None,
                  meters: bool = True) -> dict[str, Any]:
        """GHG inventory of an enterprise: MEE/NDRC, GHG Protocol and ISO 14064-1 framings."""
        from zeropark.accounting.framings import inventory_document
        from zeropark.accounting.inventory import compute_inventory
        from zeropark.accounting.ledger import enterprise_records

        if enterprise_id not in {e.enterprise_id for e in park.enterprises}:
            raise NotFoundError(f"no enterprise {enterprise_id!r} in park {park.park_id!r}")
        records = enterprise_records(store, park, enterprise_id, start=date(year, 1, 1),
                                     end=date(year + 1, 1, 1), meters=meters)
        inv = compute_inventory(records, enterprise_id=enterprise_id, period=str(year),
                                region=region or str(park.settings.get("grid_region", "CN")),
                                data_year=year, gwp_set=gwp)
        return inventory_document(inv)

    @app.get("/vendor/echarts.min.js", include_in_schema=False)
    def echarts() -> FileResponse:
        from zeropark.web import echarts_js_path

        return FileResponse(echarts_js_path(), media_type="text/javascript")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
