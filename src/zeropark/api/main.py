"""FastAPI application: park accounts under ``/api/v1`` and the dashboard at ``/``.

Routes are thin: parse, call the accounting pipeline, return JSON. Errors are
RFC 9457 problem details (``application/problem+json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from zeropark.accounting.options import options_for
from zeropark.accounting.report import (
    available_years,
    daily_energy,
    monthly_co2,
    park_summary,
    top_buildings,
)
from zeropark.errors import InputError, ParkError, StoreError, UnknownFactorError
from zeropark.model import Park
from zeropark.store.duckdb import DuckDBStore, open_store

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"


class _NotFound(ParkError):
    """A park or resource that does not exist."""


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status, media_type="application/problem+json")


def create_app(store_path: Path | str | None = None) -> FastAPI:
    """Build the application over the store at `store_path` (default from Settings).

    Parameters
    ----------
    store_path : pathlib.Path or str, optional
        DuckDB file with loaded parks.

    Returns
    -------
    fastapi.FastAPI
    """
    store = open_store(store_path)
    app = FastAPI(title="zeropark", version="0.1.0",
                  description="Energy and carbon accounts of near-zero-carbon parks.")
    app.state.store = store
    app.state.parks = {}

    @app.exception_handler(ParkError)
    def park_error(request: Request, exc: ParkError) -> JSONResponse:
        if isinstance(exc, _NotFound | UnknownFactorError):
            return _problem(404, "Not Found", str(exc))
        if isinstance(exc, InputError):
            return _problem(422, "Invalid input", str(exc))
        if isinstance(exc, StoreError):
            return _problem(503, "Store unavailable", str(exc))
        return _problem(400, "Bad request", str(exc))

    def get_store() -> DuckDBStore:
        return store

    def get_park(park_id: str) -> Park:
        if park_id not in store.park_ids():
            raise _NotFound(f"no park {park_id!r}")
        cached: dict[str, Park] = app.state.parks
        if park_id not in cached:
            cached[park_id] = store.load_park(park_id)
        return cached[park_id]

    StoreDep = Annotated[DuckDBStore, Depends(get_store)]
    ParkDep = Annotated[Park, Depends(get_park)]
    YearQ = Annotated[int | None, Query(ge=1900, le=2200, description="Local calendar year; "
                                        "default the latest with data.")]

    def year_of(park: Park, year: int | None) -> int:
        if year is not None:
            return year
        years = available_years(store, park)
        if not years:
            raise _NotFound(f"park {park.park_id!r} has no interval data yet")
        return years[-1]

    @app.get("/api/v1/parks", tags=["parks"])
    def list_parks(db: StoreDep) -> list[dict[str, Any]]:
        """Parks in the store."""
        out = []
        for park_id in db.park_ids():
            park = get_park(park_id)
            out.append({"park_id": park.park_id, "name": park.name, "timezone": park.timezone})
        return out

    @app.get("/api/v1/parks/{park_id}/summary", tags=["accounts"])
    def summary(park: ParkDep, db: StoreDep, year: YearQ = None) -> dict[str, Any]:
        """Energy by medium, tce, CO2, top buildings and data-quality counts for a year."""
        from zeropark.demo.cambridge import PARK_ID, SOURCES

        sources = SOURCES if park.park_id == PARK_ID else ()
        return park_summary(db, park, year=year_of(park, year), options=options_for(park),
                            sources=sources)

    @app.get("/api/v1/parks/{park_id}/daily", tags=["accounts"])
    def daily(park: ParkDep, db: StoreDep, year: YearQ = None) -> dict[str, Any]:
        """Daily energy per medium (local days), measured and estimated apart."""
        return daily_energy(db, park, year=year_of(park, year))

    @app.get("/api/v1/parks/{park_id}/monthly-co2", tags=["accounts"])
    def monthly(park: ParkDep, db: StoreDep, year: YearQ = None) -> dict[str, Any]:
        """Location-based CO2 per local month and medium."""
        return monthly_co2(db, park, year=year_of(park, year), options=options_for(park))

    @app.get("/api/v1/parks/{park_id}/top-buildings", tags=["accounts"])
    def top(park: ParkDep, db: StoreDep, year: YearQ = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 10) -> list[dict[str, Any]]:
        """Buildings ranked by energy, with floor-area intensity."""
        return top_buildings(db, park, year=year_of(park, year), options=options_for(park),
                             limit=limit)

    @app.get("/vendor/echarts.min.js", include_in_schema=False)
    def echarts() -> FileResponse:
        from zeropark.web import echarts_js_path

        return FileResponse(echarts_js_path(), media_type="text/javascript")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/index.html", include_in_schema=False)
    def index_redirect() -> RedirectResponse:
        return RedirectResponse("/")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
