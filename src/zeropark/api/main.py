"""FastAPI application: park accounts under ``/api/v1`` and the dashboard at ``/``.

Routes are thin: parse, call the accounting pipeline, return JSON. Errors are
RFC 9457 problem details (``application/problem+json``) with ``type``,
``title``, ``status`` and ``detail``.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from zeropark.accounting.dashboard import monthly_co2_fast, top_buildings_fast
from zeropark.accounting.options import options_for
from zeropark.accounting.report import (
    daily_energy,
    energy_accounts,
)
from zeropark.api.audit import AuditBuffer, AuditMiddleware
from zeropark.api.cache import ResultCache
from zeropark.api.deps import (
    ACCESS_DEPENDENCIES,
    AdminParkDep,
    EnterpriseDep,
    NotFoundError,
    StoreDep,
    YearQuery,
)
from zeropark.api.files import download, file_responses
from zeropark.api.routes import alarms as alarm_routes
from zeropark.api.routes import auth as auth_routes
from zeropark.api.routes import cbam as cbam_routes
from zeropark.api.routes import dashboard as dashboard_routes
from zeropark.api.routes import indicators as indicator_routes
from zeropark.api.routes import park as park_routes
from zeropark.api.routes.dashboard import latest_year
from zeropark.auth import AuthError, ForbiddenError, ensure_auth_schema, resolve_secret_key
from zeropark.errors import (
    DataNotFoundError,
    InputError,
    ParkError,
    StoreError,
    UnknownFactorError,
)
from zeropark.forecast.alarms import AlarmNotFoundError
from zeropark.settings import Settings
from zeropark.store.duckdb import open_store
from zeropark.web import STATIC_DIR


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem-details response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


_year = latest_year


def check_access_dependencies(app: FastAPI) -> None:
    """Refuse an app in which some ``/api/v1`` route has no access dependency.

    Raises
    ------
    RuntimeError
        Naming the unguarded routes (the sign-in route is the one public route).
    """
    def calls(dependant: Any) -> set[Any]:
        out = {dependant.call}
        for sub in dependant.dependencies:
            out |= calls(sub)
        return out

    bare = [f"{sorted(r.methods)} {r.path}" for r in app.routes
            if isinstance(r, APIRoute) and r.path.startswith("/api/v1")
            and r.path != "/api/v1/auth/token"
            and not calls(r.dependant) & set(ACCESS_DEPENDENCIES)]
    if bare:
        raise RuntimeError(f"routes without an access dependency: {', '.join(bare)}")


def create_app(store_path: Path | str | None = None, *, read_only: bool = False,
               settings: Settings | None = None) -> FastAPI:
    """Build the application over the store at `store_path` (default from Settings).

    Parameters
    ----------
    store_path : pathlib.Path or str, optional
        DuckDB file with loaded parks.
    read_only : bool
        Open the store read-only: uploads fail and audit rows go to the log only
        (users must exist already). Default False: DuckDB allows one writing
        process, so stop the server before writing to the file from the CLI.
    settings : Settings, optional
        Secret key and token lifetime; default from the environment.

    Returns
    -------
    fastapi.FastAPI
    """
    settings = settings or Settings()
    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        yield
        application.state.audit.flush()

    app = FastAPI(title="zeropark", version="0.1.0", lifespan=lifespan,
                  description="Energy and carbon accounts of near-zero-carbon parks. "
                              "Sign in at POST /api/v1/auth/token and send "
                              "`Authorization: Bearer <token>`.")
    path = store_path if store_path is not None else settings.store_path
    app.state.store = open_store(path, read_only=read_only)
    if not read_only:
        ensure_auth_schema(app.state.store)
    app.state.parks = {}
    app.state.cache = ResultCache()
    configured = settings.secret_key.get_secret_value() if settings.secret_key else None
    app.state.secret_key = resolve_secret_key(configured, path)
    app.state.token_ttl_s = settings.token_ttl_s
    app.state.audit = AuditBuffer(app.state.store)
    app.add_middleware(AuditMiddleware)

    @app.exception_handler(ParkError)
    def park_error(request: Request, exc: ParkError) -> JSONResponse:
        if isinstance(exc, AuthError):
            response = problem(401, "Unauthorized", str(exc))
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        if isinstance(exc, ForbiddenError):
            return problem(403, "Forbidden", str(exc))
        if isinstance(exc, NotFoundError | UnknownFactorError | AlarmNotFoundError):
            return problem(404, "Not Found", str(exc))
        if isinstance(exc, InputError):
            errors = getattr(exc, "errors", None)
            return problem(422, "Invalid input", str(exc),
                           **({"errors": errors} if errors else {}))
        if isinstance(exc, StoreError):
            return problem(503, "Store unavailable", str(exc))
        if isinstance(exc, DataNotFoundError):
            return problem(503, "Data unavailable", str(exc))
        return problem(400, "Bad request", str(exc))

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Routing errors (404 unknown path, 405 method) as problem details too."""
        try:
            title = HTTPStatus(exc.status_code).phrase
        except ValueError:
            title = "Error"
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response = problem(exc.status_code, title, detail)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem(422, "Invalid request", detail, errors=errors)

    @app.get("/api/v1/parks/{park_id}/daily", tags=["accounts"])
    def daily(request: Request, park: AdminParkDep, store: StoreDep,
              year: YearQuery = None) -> dict[str, Any]:
        """Daily energy per medium (local days), measured and estimated apart."""
        y = _year(store, park, year)
        return request.app.state.cache.get(store, ("daily", park.park_id, y),
                                           lambda: daily_energy(store, park, year=y))

    @app.get("/api/v1/parks/{park_id}/monthly-co2", tags=["accounts"])
    def monthly(request: Request, park: AdminParkDep, store: StoreDep,
                year: YearQuery = None) -> dict[str, Any]:
        """Location-based CO2 per local month and medium."""
        y = _year(store, park, year)
        return request.app.state.cache.get(store, ("monthly", park.park_id, y),
                                           lambda: monthly_co2_fast(store, park, year=y,
                                                                    options=options_for(park)))

    @app.get("/api/v1/parks/{park_id}/top-buildings", tags=["accounts"])
    def top(request: Request, park: AdminParkDep, store: StoreDep,
            year: YearQuery = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 10) -> list[dict[str, Any]]:
        """Buildings ranked by energy, with floor-area intensity."""
        y = _year(store, park, year)
        return request.app.state.cache.get(
            store, ("top", park.park_id, y, limit),
            lambda: top_buildings_fast(store, park, year=y, options=options_for(park),
                                       limit=limit))

    @app.get("/api/v1/parks/{park_id}/accounts", tags=["accounts"])
    def accounts(park: AdminParkDep, store: StoreDep, start: date, end: date,
                 by: Annotated[str, Query(pattern="^(medium|building|enterprise|meter)$")]
                 = "medium") -> list[dict[str, Any]]:
        """Energy, tce and CO2 for local dates [start, end), grouped."""
        return energy_accounts(store, park, start=start, end=end, by=by,
                               options=options_for(park))

    @app.get("/api/v1/parks/{park_id}/enterprises/{enterprise_id}/inventory",
             tags=["inventory"], response_model=None,
             responses=file_responses("json", "xlsx", "pdf", "html"))
    def inventory(scope: EnterpriseDep, store: StoreDep,
                  year: Annotated[int, Query(ge=1900, le=2200)],
                  gwp: Annotated[str, Query(pattern="^(SAR|TAR|AR4|AR5|AR6)$")] = "AR5",
                  region: Annotated[str | None, Query(max_length=64)] = None,
                  meters: bool = True,
                  fmt: Annotated[str, Query(alias="format", pattern="^(json|xlsx|pdf|html)$",
                                            description="json (default), or a report "
                                                        "download: xlsx, pdf or html.")]
                  = "json") -> dict[str, Any] | FileResponse:
        """GHG inventory of an enterprise: MEE/NDRC, GHG Protocol and ISO 14064-1 framings.

        ``format=xlsx|pdf|html`` downloads the inventory report
        (``zeropark.reports.inventory.write_inventory``) instead of the JSON document.
        """
        from zeropark.accounting.framings import inventory_document
        from zeropark.accounting.inventory import compute_inventory
        from zeropark.accounting.ledger import enterprise_records
        from zeropark.reports.inventory import write_inventory

        park, enterprise_id = scope.park, scope.enterprise_id
        records = enterprise_records(store, park, enterprise_id, start=date(year, 1, 1),
                                     end=date(year + 1, 1, 1), meters=meters)
        inv = compute_inventory(records, enterprise_id=enterprise_id, period=str(year),
                                region=region or str(park.settings.get("grid_region", "CN")),
                                data_year=year, gwp_set=gwp)
        if fmt != "json":
            name = "".join(c if c.isalnum() or c in "-_" else "_" for c in enterprise_id)
            return download(lambda path: write_inventory(inv, path, fmt=fmt),
                            f"inventory-{name}-{year}.{fmt}", fmt)
        return inventory_document(inv)

    app.include_router(auth_routes.router)
    app.include_router(park_routes.router)
    app.include_router(dashboard_routes.router)
    app.include_router(indicator_routes.router)
    app.include_router(cbam_routes.router)
    app.include_router(alarm_routes.router)

    @app.get("/vendor/echarts.min.js", include_in_schema=False)
    def echarts() -> FileResponse:
        from zeropark.web import echarts_js_path

        return FileResponse(echarts_js_path(), media_type="text/javascript")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    check_access_dependencies(app)
    return app
