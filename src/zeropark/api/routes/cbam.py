"""EU CBAM: goods and default values, installations kept in the store, SEE and documents.

Catalogue routes (``/cbam/goods``, ``/cbam/cost``) hold no park data: any
signed-in user. Installation files (TOML, docs/cbam.md) are kept per enterprise
in the store (``zeropark/cbam/stored.py``): the park-admin or a user of the
enterprise uploads them; the enterprise's users and verifiers read the SEE,
the communication workbook, supplier requests and cost estimates. Emissions come
from the park store (the enterprise's ledger and meter records), as with
``zeropark cbam see --park``. The quarterly report is built from a JSON body, so
it is a POST (verifiers, read-only, cannot call it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from zeropark.api.deps import EnterpriseDep, NotFoundError, StoreDep, UserDep
from zeropark.api.files import download, file_responses
from zeropark.auth import Principal
from zeropark.cbam.goods import CbamGood
from zeropark.cbam.installation import Installation
from zeropark.cbam.pipeline import InstallationResult, result_document
from zeropark.errors import InputError, StoreError
from zeropark.model import Park

router = APIRouter(prefix="/api/v1", tags=["cbam"])
CnPath = Annotated[str, Path(pattern="^[0-9]{8}$", description="8-digit CN code.")]
CnQuery = Annotated[str, Query(min_length=8, max_length=12, pattern="^[0-9 .]+$",
                               description="8-digit CN code (spaces or dots allowed).")]
CountryQuery = Annotated[str, Query(min_length=2, max_length=64,
                                    description="Country of origin: ISO alpha-2 or the "
                                                "annex's name.")]
ImportYearQuery = Annotated[int, Query(ge=2026, le=2100, description="Year of import.")]
MassQuery = Annotated[float, Query(ge=0, le=1e9, description="Imported mass. [t]")]
PriceQuery = Annotated[float, Query(ge=0, le=1e5, description="Certificate (EUA) price. "
                                    "[EUR/t CO2e]")]
ColumnQuery = Annotated[str, Query(pattern="^[ABab]$", description="Benchmark column of IR "
                                   "2025/2620: A (actual data) or B (default values).")]
RouteQuery = Annotated[str | None, Query(max_length=4, description="Route marker (C, E, K, "
                                         "...; cement clinker A/B).")]
InstallationPath = Annotated[str, Path(min_length=1, max_length=200)]
_TOML = {"application/toml", "text/plain", "text/x-toml"}


def _good(g: CbamGood) -> dict[str, Any]:
    return {"cn_code": g.cn_code, "cn_display": g.cn_display, "sector": g.sector,
            "category": g.category, "ghg": g.ghg, "description": g.description,
            "indirect_counts": g.indirect_counts, "routes": list(g.routes),
            "is_simple": g.is_simple}


@router.get("/cbam/goods")
def search_goods(principal: UserDep,
                 q: Annotated[str, Query(min_length=1, max_length=100,
                                         description="CN prefix (digits) or text.")],
                 limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[dict[str, Any]]:
    """CBAM goods (Reg. (EU) 2023/956 Annex I) whose CN code starts with `q` or text has it."""
    from zeropark.cbam.goods import search_goods as search

    return [_good(g) for g in search(q, limit=limit)]


@router.get("/cbam/goods/{cn_code}")
def get_good(cn_code: CnPath, principal: UserDep) -> dict[str, Any]:
    """One CBAM good: category, gases, whether indirect emissions count, routes."""
    from zeropark.cbam.goods import lookup_good

    try:
        return _good(lookup_good(cn_code))
    except InputError as err:
        raise NotFoundError(str(err)) from err


@router.get("/cbam/goods/{cn_code}/default-value")
def get_default_value(cn_code: CnPath, principal: UserDep, country: CountryQuery = "CN",
                      year: Annotated[int, Query(ge=2023, le=2100, description="Year of "
                                                 "import (selects the mark-up).")] = 2026,
                      route: RouteQuery = None) -> dict[str, Any]:
    """Default value of IR (EU) 2025/2621 for a country of origin and year (with mark-up)."""
    from zeropark.cbam.defaults import default_value

    value = default_value(cn_code, country, year=year, route=route)
    return {**asdict(value), "markup_share": value.markup_share}


def _cost(cn_code: str, mass_t: float, year: int, price: float, see_direct: float,
          see_indirect: float, column: str, route: str | None,
          notes: list[str]) -> dict[str, Any]:
    from zeropark.cbam.cost import estimate_certificate_cost

    est = estimate_certificate_cost(cn_code, mass_t=mass_t, see_direct_t_per_t=see_direct,
                                    see_indirect_t_per_t=see_indirect, year=year,
                                    price_eur_per_t=price, benchmark_column=column,
                                    route=route)
    doc = asdict(est)
    doc["notes"] = [*notes, *est.notes]
    return doc


@router.get("/cbam/cost")
def certificate_cost(principal: UserDep, cn_code: CnQuery, mass_t: MassQuery,
                     year: ImportYearQuery, price_eur_per_t: PriceQuery,
                     see_direct_t_per_t: Annotated[float | None, Query(
                         ge=0, le=1e4, description="SEE direct [t CO2e/t]; default the "
                         "default value incl. mark-up.")] = None,
                     see_indirect_t_per_t: Annotated[float, Query(ge=0, le=1e4)] = 0.0,
                     country: CountryQuery = "CN", benchmark_column: ColumnQuery = "B",
                     route: RouteQuery = None) -> dict[str, Any]:
    """Indicative certificate cost with the free-allocation phase-out (Art. 31).

    Without `see_direct_t_per_t` the IR 2025/2621 default value (incl. mark-up) of
    `country` is used, as by ``zeropark cbam cost``.
    """
    from zeropark.cbam.defaults import default_value

    notes = []
    if see_direct_t_per_t is None:
        v = default_value(cn_code, country, year=year)
        see_direct_t_per_t = v.marked_up_t_per_t or v.total_t_per_t or 0.0
        see_indirect_t_per_t = 0.0
        notes.append(f"SEE = default value incl. mark-up, {v.country} (IR 2025/2621)")
    return _cost(cn_code, mass_t, year, price_eur_per_t, see_direct_t_per_t,
                 see_indirect_t_per_t, benchmark_column, route, notes)


# -- installations of an enterprise ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class InstallationScope:
    """A kept installation of an enterprise the caller may read."""

    park: Park
    enterprise_id: str
    installation: Installation


def get_installation(installation_id: InstallationPath, scope: EnterpriseDep,
                     store: StoreDep) -> InstallationScope:
    """The installation in the path, kept for the enterprise (access via EnterpriseDep)."""
    from zeropark.cbam.stored import load_installation

    inst = load_installation(store, scope.park.park_id, scope.enterprise_id, installation_id)
    if inst is None:
        raise NotFoundError(f"no CBAM installation {installation_id!r} for enterprise "
                            f"{scope.enterprise_id!r}")
    return InstallationScope(scope.park, scope.enterprise_id, inst)


InstallationDep = Annotated[InstallationScope, Depends(get_installation)]
YearOfDefaultsQuery = Annotated[int | None, Query(ge=2023, le=2100, description="Year whose "
                                                  "default values and mark-ups apply to "
                                                  "defaulted precursors; default the year "
                                                  "of period_start.")]
_BASE = "/parks/{park_id}/enterprises/{enterprise_id}/cbam/installations"


def _result(request: Request, store: Any, scope: InstallationScope,
            year: int | None) -> InstallationResult:
    from zeropark.cbam.stored import installation_text, stored_result

    text = installation_text(store, scope.park.park_id, scope.enterprise_id,
                             scope.installation.installation_id)
    key = ("cbam", scope.park.park_id, scope.enterprise_id, text, year)
    result: InstallationResult = request.app.state.cache.get(
        store, key, lambda: stored_result(store, scope.park, scope.installation, year=year))
    return result


@router.get(_BASE)
def list_installations(scope: EnterpriseDep, store: StoreDep) -> list[dict[str, Any]]:
    """CBAM installations kept for the enterprise."""
    from zeropark.cbam.stored import list_installations as listed

    return listed(store, scope.park.park_id, scope.enterprise_id)


@router.post(_BASE, status_code=201, openapi_extra={"requestBody": {
    "required": True, "content": {"application/toml": {"schema": {"type": "string"}}}}})
async def upload_installation(request: Request, scope: EnterpriseDep, store: StoreDep,
                              principal: UserDep) -> dict[str, Any]:
    """Upload (or replace) an installation file (TOML, see docs/cbam.md).

    Park-admin or a user of the enterprise; ``[installation] enterprise_id`` must be
    this enterprise. The file is validated and kept in the store; its
    ``activity_file`` is ignored (emissions come from the park store).
    """
    media = request.headers.get("content-type", "application/toml").split(";")[0]
    if media.strip().lower() not in _TOML:
        raise InputError(f"unsupported content type {media!r}; send application/toml",
                         field="content-type")
    body = await request.body()
    if not body.strip():
        raise InputError("empty body: send the installation file (TOML)", field="body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"body is not UTF-8: {err}", field="body") from err
    return await run_in_threadpool(_save, store, scope.park, scope.enterprise_id, text,
                                   principal)


def _save(store: Any, park: Park, enterprise_id: str, text: str,
          principal: Principal) -> dict[str, Any]:
    from zeropark.cbam.stored import save_installation

    try:
        inst = save_installation(store, park, enterprise_id, text, uploaded_by=principal.name)
    except duckdb.Error as err:  # e.g. a server started with a read-only store
        raise StoreError(f"cannot store the installation file: {err}") from err
    return {"installation_id": inst.installation_id, "name": inst.name,
            "enterprise_id": inst.enterprise_id,
            "period": [str(inst.period_start), str(inst.period_end)],
            "processes": [p.process_id for p in inst.processes]}


@router.get(_BASE + "/{installation_id}")
def get_installation_file(scope: InstallationDep, store: StoreDep) -> dict[str, Any]:
    """The kept installation file (TOML text) with its id, name and period."""
    from zeropark.cbam.stored import installation_text

    inst = scope.installation
    return {"installation_id": inst.installation_id, "name": inst.name,
            "enterprise_id": inst.enterprise_id,
            "period": [str(inst.period_start), str(inst.period_end)],
            "toml": installation_text(store, scope.park.park_id, scope.enterprise_id,
                                      inst.installation_id)}


@router.delete(_BASE + "/{installation_id}", status_code=204)
def delete_installation(scope: InstallationDep, store: StoreDep) -> Response:
    """Remove a kept installation file (park-admin or a user of the enterprise)."""
    from zeropark.cbam.stored import delete_installation as delete

    delete(store, scope.park.park_id, scope.enterprise_id, scope.installation.installation_id)
    store.generation += 1
    return Response(status_code=204)


@router.get(_BASE + "/{installation_id}/see")
def installation_see(request: Request, scope: InstallationDep, store: StoreDep,
                     year: YearOfDefaultsQuery = None) -> dict[str, Any]:
    """SEE direct and indirect of the installation's goods (IR 2023/1773 Annex III).

    Processes with their attributed emissions and ledger lines, goods with SEE and
    precursors, defaults used and data-quality findings
    (``zeropark.cbam.pipeline.result_document``).
    """
    return result_document(_result(request, store, scope, year))


@router.get(_BASE + "/{installation_id}/communication", response_class=FileResponse,
            responses=file_responses("xlsx"))
def installation_communication(request: Request, scope: InstallationDep, store: StoreDep,
                               year: YearOfDefaultsQuery = None) -> FileResponse:
    """Operator → importer communication workbook (.xlsx, EU template's sheets)."""
    from zeropark.cbam.communication import write_communication

    result = _result(request, store, scope, year)
    name = f"{scope.installation.installation_id}-{result.year}-cbam.xlsx"
    return download(lambda path: write_communication(result, path), _safe(name), "xlsx")


@router.get(_BASE + "/{installation_id}/supplier-requests")
def installation_supplier_requests(
        scope: InstallationDep,
        all_precursors: Annotated[bool, Query(alias="all", description="Also precursors "
                                              "that have supplier SEE.")] = False,
) -> dict[str, Any]:
    """Bilingual (EN/中文) requests to suppliers for precursor SEE, per precursor id."""
    from zeropark.cbam.supplier import supplier_requests

    return {"installation_id": scope.installation.installation_id,
            "requests": supplier_requests(scope.installation, only_missing=not all_precursors)}


@router.get(_BASE + "/{installation_id}/cost")
def installation_cost(request: Request, scope: InstallationDep, store: StoreDep,
                      cn_code: CnQuery, mass_t: MassQuery, year: ImportYearQuery,
                      price_eur_per_t: PriceQuery, benchmark_column: ColumnQuery = "B",
                      route: RouteQuery = None) -> dict[str, Any]:
    """Certificate cost of importing a good of the installation, with its SEE."""
    good = _result(request, store, scope, None).good(cn_code)
    return _cost(cn_code, mass_t, year, price_eur_per_t, good.see_direct_t_per_t,
                 good.see_indirect_t_per_t, benchmark_column, route,
                 [f"SEE of installation {scope.installation.installation_id}, process "
                  f"{good.process_id}"])


# -- quarterly report -----------------------------------------------------------------

_Text = Annotated[str, Field(max_length=1000)]


class PartyIn(BaseModel):
    """Declarant or importer (EORI, name, address); lengths are checked by the XSD."""

    identification_number: _Text
    name: _Text
    country: _Text
    city: _Text
    subdivision: _Text = ""
    street: _Text = ""
    number: _Text = ""
    postcode: _Text = ""


class LineIn(BaseModel):
    """Goods of one CN code from the installation imported in the quarter."""

    cn_code: str = Field(min_length=8, max_length=12, pattern="^[0-9 .]+$")
    net_mass_t: float = Field(ge=0, le=1e9, allow_inf_nan=False)
    origin_country: _Text = ""


class QReportIn(BaseModel):
    """Header and imported goods of a transitional quarterly report (QReport 17.03).

    Only types and ranges are checked here; lengths and code formats are the XSD's
    (a failing document is answered 422 with the XPath of each finding).
    """

    period: str = Field(pattern="^Q[1-4]$")
    year: int = Field(ge=2023, le=2100)
    declarant: PartyIn
    importer: PartyIn | None = None
    competent_authority: _Text
    signatory: _Text
    signatory_position: _Text = "CBAM declarant"
    signature_place: _Text | None = None
    report_id: _Text | None = None
    remarks: _Text = ""
    lines: list[LineIn] = Field(min_length=1, max_length=999)


class QReportInvalidError(InputError):
    """A generated quarterly report that fails the XSD (HTTP 422 with the XPaths)."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message, field="body")
        self.errors = errors


@lru_cache(maxsize=1)
def _schema() -> Any:
    from zeropark.cbam.qreport import load_schema

    return load_schema()


def _party(p: PartyIn) -> Any:
    from zeropark.cbam.installation import Address
    from zeropark.cbam.qreport import Party

    return Party(p.identification_number, p.name,
                 Address(p.country.upper(), p.city, p.subdivision, p.street, p.number,
                         p.postcode))


@router.post(_BASE + "/{installation_id}/qreport", response_class=Response,
             responses={200: {"description": "QReport XML, valid against the XSD.",
                              "content": {"application/xml": {"schema": {"type": "string"}}}}})
def installation_qreport(request: Request, scope: InstallationDep, store: StoreDep,
                         body: QReportIn) -> Response:
    """Transitional quarterly report XML of goods from this installation, XSD-validated.

    An invalid document is not returned: 422 problem with ``errors`` (XPath and reason
    per XSD finding). The schema is read from ``ZEROPARK_DATA_DIR/cbam`` or the
    pinned download (503 when neither is available).
    """
    from zeropark.cbam.qreport import ImportedLine, ReportHeader, build_qreport, validate_qreport

    result = _result(request, store, scope, None)
    lines = [ImportedLine(x.cn_code, x.net_mass_t, result, x.origin_country.upper())
             for x in body.lines]
    now = datetime.now(UTC).replace(microsecond=0)
    header = ReportHeader(
        draft_report_id=body.report_id or f"ZP{body.year}{body.period}{now:%m%d%H%M}"[:22],
        period=body.period, year=body.year, submission=now, declarant=_party(body.declarant),
        competent_authority=body.competent_authority,
        signature_place=body.signature_place or body.declarant.city,
        signatory=body.signatory, signatory_position=body.signatory_position,
        importer=_party(body.importer) if body.importer else None,
        remarks=body.remarks)
    xml = build_qreport(header, lines)
    findings = validate_qreport(xml, _schema())
    if findings:
        raise QReportInvalidError(
            f"the report fails the QReport XSD ({len(findings)} error(s)); first: "
            f"{findings[0].path}: {findings[0].reason}",
            [{"path": f.path, "reason": f.reason} for f in findings])
    name = _safe(f"{header.draft_report_id}.xml")
    return Response(xml, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
