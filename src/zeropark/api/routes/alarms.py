"""The alarm log: stored, acknowledgeable alarms (``zeropark.forecast.alarms``).

* ``GET  /parks/{park_id}/alarm-log``: park-admin sees all; enterprise users and verifiers
  see the alarms of their enterprise's meters only (the listing is filtered).
* ``POST /parks/{park_id}/alarm-log/{alarm_id}/ack``: park-admin, or an enterprise user for
  its own meters (verifiers and gateway tokens 403). Acknowledging an alarm twice is
  idempotent: the first acknowledgement (who, when, note) is kept and returned.
* ``POST /parks/{park_id}/alarm-log/detect``: park-admin; runs the rule layer and stores
  the alarms (de-duplicated against the log).

An enterprise user asking to acknowledge an alarm that is not of its enterprise, or that does
not exist, gets 403 either way (no probing of other enterprises' alarm ids); a park-admin
gets 404 for an unknown id.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, Field

from zeropark.api.deps import AdminParkDep, ParkDep, StoreDep, UserDep
from zeropark.auth import ForbiddenError, Role
from zeropark.forecast.alarms import AlarmLog, AlarmNotFoundError, acknowledge_alarm, list_alarms
from zeropark.model import Park

router = APIRouter(prefix="/api/v1")


class AckBody(BaseModel):
    """Acknowledgement of one alarm."""

    note: str = Field("", max_length=2000, description="Why / what was done.")


def _with_owner(park: Park, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = park.meters_by_id()
    for item in items:
        meter = by_id.get(str(item["meter_id"]))
        item["building_id"] = meter.building_id if meter else None
        item["enterprise_id"] = meter.enterprise_id if meter else None
    return items


@router.get("/parks/{park_id}/alarm-log", tags=["alarms"])
def alarm_log(park: ParkDep, store: StoreDep, principal: UserDep,
              acknowledged: bool | None = None,
              meter_id: Annotated[str | None, Query(max_length=200)] = None
              ) -> dict[str, Any]:
    """Stored alarms, newest first; enterprise users and verifiers see their meters only."""
    items = _with_owner(park, list_alarms(AlarmLog(store), park.park_id,
                                          acknowledged=acknowledged, meter_id=meter_id))
    if principal.role != Role.PARK_ADMIN:
        items = [a for a in items if principal.sees_enterprise(park.park_id, a["enterprise_id"])]
    return {"items": items, "total": len(items)}


@router.post("/parks/{park_id}/alarm-log/detect", tags=["alarms"])
def detect(park: AdminParkDep, store: StoreDep) -> dict[str, Any]:
    """Run alarm detection over the park's stored data; counts of found and new alarms."""
    from zeropark.forecast.pipeline import detect_alarms

    log = AlarmLog(store)
    before = len(log.list(park.park_id))
    found = detect_alarms(store, park)
    after = len(log.list(park.park_id))
    return {"park_id": park.park_id, "found": len(found), "new": after - before,
            "stored": after, "by_code": dict(Counter(str(a.code) for a in found))}


@router.post("/parks/{park_id}/alarm-log/{alarm_id}/ack", tags=["alarms"])
def acknowledge(alarm_id: Annotated[str, Path(max_length=64)],
                park: ParkDep, store: StoreDep, principal: UserDep,
                body: Annotated[AckBody | None, Body()] = None) -> dict[str, Any]:
    """Acknowledge one alarm (idempotent: a second call keeps the first acknowledgement)."""
    log = AlarmLog(store)
    items = _with_owner(park, list_alarms(log, park.park_id))
    alarm = next((a for a in items if a["alarm_id"] == alarm_id), None)
    if principal.role != Role.PARK_ADMIN and (
            alarm is None or not principal.sees_enterprise(park.park_id, alarm["enterprise_id"])):
        raise ForbiddenError(f"{principal.name} may not acknowledge alarm {alarm_id!r}")
    if alarm is None:
        raise AlarmNotFoundError(park.park_id, alarm_id)
    if not alarm["acknowledged"]:
        acknowledge_alarm(log, park.park_id, alarm_id, by=principal.name,
                          note=body.note if body else "")
        alarm = next(a for a in _with_owner(park, list_alarms(log, park.park_id))
                     if a["alarm_id"] == alarm_id)
    return alarm
