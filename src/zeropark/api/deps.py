"""Named FastAPI dependencies: store, caller, and the park / enterprise / meter it may see.

Every ``/api/v1`` route depends on exactly one of the access dependencies below
(``create_app`` refuses to start otherwise):

===================  =====================================================  ===========
dependency           who passes                                             else
===================  =====================================================  ===========
``UserDep``          any signed-in user (not a gateway token)               401 / 403
``ParkDep``          a user of the park (listings are then filtered)        403 / 404
``AdminParkDep``     park-admin: park-wide aggregates                       403
``EnterpriseDep``    park-admin, or a user/verifier of that enterprise      403 / 404
``MeterDep``         park-admin, or a user/verifier of the meter's company  403 / 404
``BuildingDep``      park-admin, or a user/verifier of the building's       403 / 404
                     enterprise (park-level buildings: park-admin only)
``IngestParkDep``    park-admin, or a gateway token of the park             403
===================  =====================================================  ===========

Decision on park-wide aggregates: enterprise users and verifiers are *denied*
(403) the park summary, daily, monthly CO2, ranking, flow, alarms and accounts;
they read their enterprise's pages instead. Listings (enterprises, buildings,
meters, intervals, rollups) are *filtered* to their enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from zeropark.auth import (
    TOKEN_PREFIX,
    AuthError,
    ForbiddenError,
    Principal,
    Role,
    decode_jwt,
    get_user_principal,
    token_principal,
)
from zeropark.errors import ParkError
from zeropark.model import Meter, Park
from zeropark.store.duckdb import DuckDBStore


class NotFoundError(ParkError, LookupError):
    """A park or resource that does not exist (HTTP 404)."""


def get_store(request: Request) -> DuckDBStore:
    """The application's store."""
    store: DuckDBStore = request.app.state.store
    return store


StoreDep = Annotated[DuckDBStore, Depends(get_store)]
_bearer = HTTPBearer(auto_error=False, description="Access token from POST "
                     "/api/v1/auth/token, or a gateway API token (zpt_…).")


def get_principal(request: Request, store: StoreDep,
                  credentials: Annotated[HTTPAuthorizationCredentials | None,
                                         Depends(_bearer)]) -> Principal:
    """The caller, from ``Authorization: Bearer …`` (JWT or gateway token).

    Raises
    ------
    AuthError
        Without credentials, or with invalid or expired ones (HTTP 401).
    """
    if credentials is None:
        raise AuthError("authentication required: send Authorization: Bearer <token>")
    token = credentials.credentials
    if token.startswith(TOKEN_PREFIX):
        principal = token_principal(store, token)
    else:
        username = decode_jwt(token, secret=request.app.state.secret_key)
        principal = get_user_principal(store, username)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_user(request: Request, principal: PrincipalDep) -> Principal:
    """Any user; gateway tokens may only ingest and verifiers only read."""
    if principal.role == Role.GATEWAY:
        raise ForbiddenError("gateway tokens may only upload readings")
    if principal.role == Role.VERIFIER and request.method not in ("GET", "HEAD"):
        raise ForbiddenError("verifiers have read-only access")
    return principal


UserDep = Annotated[Principal, Depends(require_user)]


def require_admin(principal: UserDep) -> Principal:
    """A park-admin (for the audit log and other service-wide data)."""
    if principal.role != Role.PARK_ADMIN:
        raise ForbiddenError("this resource needs the park-admin role")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def _load_park(park_id: str, request: Request, store: DuckDBStore) -> Park:
    if park_id not in store.park_ids():
        raise NotFoundError(f"no park {park_id!r}")
    cache: dict[str, Park] = request.app.state.parks
    if park_id not in cache:
        cache[park_id] = store.load_park(park_id)
    return cache[park_id]


def get_park(park_id: str, request: Request, store: StoreDep, principal: UserDep) -> Park:
    """The park named in the path, if the caller belongs to it (cached after first load).

    Raises
    ------
    ForbiddenError
        If the caller is scoped to another park.
    NotFoundError
        If the store has no such park.
    """
    if principal.park_id is not None and principal.park_id != park_id:
        raise ForbiddenError(f"{principal.name} has no access to park {park_id!r}")
    return _load_park(park_id, request, store)


ParkDep = Annotated[Park, Depends(get_park)]


def get_admin_park(park: ParkDep, principal: UserDep) -> Park:
    """The park, for park-wide aggregates: park-admin only."""
    if principal.role != Role.PARK_ADMIN:
        raise ForbiddenError("park-wide data need the park-admin role; use the "
                             "enterprise endpoints")
    return park


AdminParkDep = Annotated[Park, Depends(get_admin_park)]


@dataclass(frozen=True, slots=True)
class EnterpriseScope:
    """A park and one of its enterprises that the caller may read."""

    park: Park
    enterprise_id: str


def get_enterprise(enterprise_id: str, park: ParkDep, principal: UserDep) -> EnterpriseScope:
    """The enterprise in the path; permission is checked before existence (no probing)."""
    if not principal.sees_enterprise(park.park_id, enterprise_id):
        raise ForbiddenError(f"{principal.name} may not read enterprise {enterprise_id!r}")
    if enterprise_id not in {e.enterprise_id for e in park.enterprises}:
        raise NotFoundError(f"no enterprise {enterprise_id!r} in park {park.park_id!r}")
    return EnterpriseScope(park, enterprise_id)


EnterpriseDep = Annotated[EnterpriseScope, Depends(get_enterprise)]


@dataclass(frozen=True, slots=True)
class MeterScope:
    """A park and one of its physical meters that the caller may read."""

    park: Park
    meter: Meter


def get_meter(meter_id: str, park: ParkDep, principal: UserDep) -> MeterScope:
    """The meter in the path, if the caller may read its enterprise."""
    meter = park.meters_by_id().get(meter_id)
    owner = meter.enterprise_id if meter is not None else None
    if not principal.sees_enterprise(park.park_id, owner):
        raise ForbiddenError(f"{principal.name} may not read meter {meter_id!r}")
    if meter is None:
        raise NotFoundError(f"no meter {meter_id!r} in park {park.park_id!r}")
    return MeterScope(park, meter)


MeterDep = Annotated[MeterScope, Depends(get_meter)]


@dataclass(frozen=True, slots=True)
class BuildingScope:
    """A park and one of its buildings that the caller may read."""

    park: Park
    building_id: str


def get_building(building_id: str, park: ParkDep, principal: UserDep) -> BuildingScope:
    """The building in the path, if the caller may read its enterprise."""
    building = {b.building_id: b for b in park.buildings}.get(building_id)
    owner = building.enterprise_id if building is not None else None
    if not principal.sees_enterprise(park.park_id, owner):
        raise ForbiddenError(f"{principal.name} may not read building {building_id!r}")
    if building is None:
        raise NotFoundError(f"no building {building_id!r} in park {park.park_id!r}")
    return BuildingScope(park, building_id)


BuildingDep = Annotated[BuildingScope, Depends(get_building)]


def get_ingest_park(park_id: str, request: Request, store: StoreDep,
                    principal: PrincipalDep) -> Park:
    """The park to upload readings to: park-admin or a gateway token of this park."""
    if principal.role not in (Role.PARK_ADMIN, Role.GATEWAY) or (
            principal.park_id is not None and principal.park_id != park_id):
        raise ForbiddenError(f"{principal.name} may not upload readings to {park_id!r}")
    return _load_park(park_id, request, store)


IngestParkDep = Annotated[Park, Depends(get_ingest_park)]

#: The access dependencies; every /api/v1 route must use one (checked by create_app).
ACCESS_DEPENDENCIES = (require_user, require_admin, get_park, get_admin_park, get_enterprise,
                       get_meter, get_building, get_ingest_park)

YearQuery = Annotated[int | None, Query(ge=1900, le=2200,
                                        description="Local calendar year; default the "
                                                    "latest year with data.")]
