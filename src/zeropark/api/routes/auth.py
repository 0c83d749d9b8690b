"""Sign-in, the caller's identity and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from zeropark.api.deps import AdminDep, StoreDep, UserDep
from zeropark.auth import authenticate, issue_jwt

router = APIRouter(prefix="/api/v1", tags=["auth"])


class Credentials(BaseModel):
    """Username and password."""

    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class AccessToken(BaseModel):
    """A signed access token (send as ``Authorization: Bearer <access_token>``)."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    username: str
    role: str
    park_id: str | None
    enterprise_id: str | None


@router.post("/auth/token", response_model=AccessToken)
def login(body: Credentials, request: Request, store: StoreDep) -> AccessToken:
    """Exchange a username and password for an access token (public route)."""
    principal = authenticate(store, body.username, body.password)
    request.state.principal = principal
    token, expires = issue_jwt(principal, secret=request.app.state.secret_key,
                               ttl_s=request.app.state.token_ttl_s)
    return AccessToken(access_token=token, expires_at=expires, username=principal.name,
                       role=principal.role.value, park_id=principal.park_id,
                       enterprise_id=principal.enterprise_id)


@router.get("/auth/me")
def me(principal: UserDep) -> dict[str, Any]:
    """The signed-in user: name, role and scope."""
    return {"username": principal.name, "role": principal.role.value,
            "park_id": principal.park_id, "enterprise_id": principal.enterprise_id,
            "expires_at": principal.expires_at.isoformat() if principal.expires_at else None}


@router.get("/audit")
def audit_log(request: Request, principal: AdminDep, store: StoreDep,
              limit: Annotated[int, Query(ge=1, le=10000)] = 100,
              offset: Annotated[int, Query(ge=0)] = 0,
              actor: str | None = None) -> dict[str, Any]:
    """Audit rows, newest first (park-admin only)."""
    request.app.state.audit.flush()
    where, params = "", []
    if actor is not None:
        where, params = " WHERE actor = ?", [actor]
    total = int(store.query(f"SELECT count(*) AS n FROM audit_log{where}", params)["n"][0])
    frame = store.query(f"SELECT * FROM audit_log{where} ORDER BY ts DESC LIMIT ? OFFSET ?",
                        [*params, limit, offset])
    frame["ts"] = frame["ts"].astype(str)
    items = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return {"items": items, "total": total, "limit": limit, "offset": offset}
