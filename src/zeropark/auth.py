"""Users, roles, API tokens and the audit log of the park service.

Four kinds of caller (see ``docs/api.md``):

``park-admin``
    Reads and writes everything in every park.
``enterprise-user``
    Reads only its own enterprise (``enterprise_id``) of one park.
``verifier``
    Like ``enterprise-user`` but read-only by role and refused after ``expires_at``.
``gateway`` (API token, not a user)
    May only upload readings to its park.

Passwords are hashed with Argon2id (``argon2-cffi``, RFC 9106 low-memory profile);
access tokens are HS256 JWTs (PyJWT) signed with the key of
:func:`resolve_secret_key`; gateway tokens are random strings stored only as
their SHA-256. The three tables live in the park's DuckDB store.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from zeropark.errors import InputError, ParkError
from zeropark.store.duckdb import DuckDBStore

AUTH_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username VARCHAR PRIMARY KEY, password_hash VARCHAR NOT NULL, role VARCHAR NOT NULL,
    park_id VARCHAR, enterprise_id VARCHAR, expires_at TIMESTAMP, disabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_id VARCHAR PRIMARY KEY, token_sha256 VARCHAR NOT NULL UNIQUE, name VARCHAR NOT NULL,
    park_id VARCHAR NOT NULL, scope VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
    revoked BOOLEAN NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log (
    ts TIMESTAMP NOT NULL, actor VARCHAR, role VARCHAR, method VARCHAR NOT NULL,
    route VARCHAR, path VARCHAR NOT NULL, park_id VARCHAR, enterprise_id VARCHAR,
    meter_id VARCHAR, status INTEGER NOT NULL, action VARCHAR NOT NULL);
"""

#: Prefix of gateway API tokens, so a leaked one is easy to spot in logs and scanners.
TOKEN_PREFIX = "zpt_"
JWT_ALGORITHM = "HS256"
_HASHER = PasswordHasher()


class Role(StrEnum):
    """Role of a caller."""

    PARK_ADMIN = "park-admin"
    ENTERPRISE_USER = "enterprise-user"
    VERIFIER = "verifier"
    GATEWAY = "gateway"


class AuthError(ParkError, PermissionError):
    """Missing, wrong or expired credentials (HTTP 401)."""


class ForbiddenError(ParkError, PermissionError):
    """Valid credentials without the right to this resource (HTTP 403)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user or a gateway token.

    Attributes
    ----------
    name : str
        Username, or ``token:<name>`` for a gateway.
    role : Role
    park_id, enterprise_id : str or None
        Scope: ``None`` = all (park-admin).
    expires_at : datetime.datetime or None
        End of a verifier's access (UTC).
    """

    name: str
    role: Role
    park_id: str | None = None
    enterprise_id: str | None = None
    expires_at: datetime | None = None

    @property
    def can_write(self) -> bool:
        """Park admins write; gateways only upload readings (checked per route)."""
        return self.role == Role.PARK_ADMIN

    def sees_enterprise(self, park_id: str, enterprise_id: str | None) -> bool:
        """Whether the principal may read data of `enterprise_id` in `park_id`."""
        if self.role == Role.PARK_ADMIN:
            return self.park_id is None or self.park_id == park_id
        if self.role == Role.GATEWAY:
            return False
        return (self.park_id in (None, park_id) and enterprise_id is not None
                and enterprise_id == self.enterprise_id)


def hash_password(password: str) -> str:
    """Argon2id hash (PHC string) of `password`."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether `password` matches an Argon2 PHC hash (constant-time in argon2)."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def ensure_auth_schema(store: DuckDBStore) -> None:
    """Create the users, api_tokens and audit_log tables if missing."""
    with store._lock:
        store.con.execute(AUTH_SCHEMA)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def add_user(store: DuckDBStore, username: str, password: str, *, role: Role | str,
             park_id: str | None = None, enterprise_id: str | None = None,
             expires_at: datetime | None = None, replace: bool = False) -> None:
    """Create (or with `replace`, reset) a user.

    Raises
    ------
    InputError
        If the role needs an enterprise (enterprise-user, verifier) and none is given,
        a verifier has no ``expires_at``, the password is shorter than 8 characters,
        or the user exists and `replace` is False.
    """
    role = Role(role)
    if role == Role.GATEWAY:
        raise InputError("gateways use API tokens (`zeropark token add`), not users",
                         field="role")
    if role in (Role.ENTERPRISE_USER, Role.VERIFIER) and not (enterprise_id and park_id):
        raise InputError(f"role {role} needs --park and --enterprise", field="enterprise")
    if role == Role.VERIFIER and expires_at is None:
        raise InputError("a verifier needs an expiry (--expires)", field="expires")
    if len(password) < 8:
        raise InputError("password must have at least 8 characters", field="password")
    ensure_auth_schema(store)
    with store._lock:
        exists = store.con.execute("SELECT 1 FROM users WHERE username = ?",
                                   [username]).fetchall()
        if exists and not replace:
            raise InputError(f"user {username!r} exists (pass --replace to reset it)",
                             field="username")
        store.con.execute("DELETE FROM users WHERE username = ?", [username])
        store.con.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, false, ?)",
            [username, hash_password(password), role.value, park_id, enterprise_id,
             expires_at.astimezone(UTC).replace(tzinfo=None) if expires_at else None, _now()])


def list_users(store: DuckDBStore) -> list[dict[str, Any]]:
    """Users without their hashes."""
    ensure_auth_schema(store)
    frame = store.query("SELECT username, role, park_id, enterprise_id, expires_at, disabled "
                        "FROM users ORDER BY username")
    return [{k: (None if v is None or v != v else v) for k, v in row.items()}
            for row in frame.astype(object).to_dict("records")]


def get_user_principal(store: DuckDBStore, username: str, *,
                       at: datetime | None = None) -> Principal:
    """The principal of an active user.

    Raises
    ------
    AuthError
        If the user does not exist, is disabled, or a verifier's access has expired.
    """
    with store._lock:
        row = store.con.execute(
            "SELECT role, park_id, enterprise_id, expires_at, disabled FROM users "
            "WHERE username = ?", [username]).fetchall()
    row = row[0] if row else None
    if row is None or row[4]:
        raise AuthError(f"unknown or disabled user {username!r}")
    expires = row[3].replace(tzinfo=UTC) if row[3] is not None else None
    if expires is not None and (at or datetime.now(UTC)) >= expires:
        raise AuthError(f"access of {username!r} expired at {expires.isoformat()}")
    return Principal(username, Role(row[0]), row[1], row[2], expires)


def authenticate(store: DuckDBStore, username: str, password: str) -> Principal:
    """Check a username and password.

    Raises
    ------
    AuthError
        On a wrong password, unknown user (same message, no user enumeration) or
        expired access.
    """
    with store._lock:
        row = store.con.execute("SELECT password_hash FROM users WHERE username = ?",
                                [username]).fetchall()
    row = row[0] if row else None
    if row is None or not verify_password(row[0], password):
        raise AuthError("wrong username or password")
    return get_user_principal(store, username)


def add_token(store: DuckDBStore, name: str, *, park_id: str) -> str:
    """Create a gateway (ingest-only) token for `park_id`; the clear text is returned once."""
    ensure_auth_schema(store)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    with store._lock:
        store.con.execute("INSERT INTO api_tokens VALUES (?, ?, ?, ?, 'ingest', ?, false)",
                          [secrets.token_hex(8), digest, name, park_id, _now()])
    return token


def token_principal(store: DuckDBStore, token: str) -> Principal:
    """The gateway principal of an API token.

    Raises
    ------
    AuthError
        If the token is unknown or revoked.
    """
    digest = hashlib.sha256(token.encode()).hexdigest()
    with store._lock:
        row = store.con.execute("SELECT name, park_id, revoked FROM api_tokens "
                                "WHERE token_sha256 = ?", [digest]).fetchall()
    row = row[0] if row else None
    if row is None or row[2]:
        raise AuthError("unknown or revoked API token")
    return Principal(f"token:{row[0]}", Role.GATEWAY, row[1])


def issue_jwt(principal: Principal, *, secret: str, ttl_s: int) -> tuple[str, datetime]:
    """Signed access token for a user; expires after `ttl_s` or the verifier's end.

    Returns
    -------
    token : str
    expires_at : datetime.datetime
        UTC.
    """
    expires = datetime.now(UTC) + timedelta(seconds=ttl_s)
    if principal.expires_at is not None:
        expires = min(expires, principal.expires_at)
    claims = {"sub": principal.name, "role": principal.role.value, "exp": expires,
              "iat": datetime.now(UTC)}
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM), expires


def decode_jwt(token: str, *, secret: str) -> str:
    """Username of a valid access token.

    Raises
    ------
    AuthError
        If the signature, format or expiry is wrong.
    """
    try:
        claims = jwt.decode(token, secret, algorithms=[JWT_ALGORITHM],
                            options={"require": ["sub", "exp"]})
    except jwt.PyJWTError as err:
        raise AuthError(f"invalid access token: {err}") from err
    return str(claims["sub"])


def resolve_secret_key(configured: str | None, store_path: str | Path) -> str:
    """Signing key: the configured one, else one generated once and kept beside the store.

    A ``:memory:`` store gets a fresh random key per process.
    """
    if configured:
        return configured
    if str(store_path) == ":memory:":
        return secrets.token_urlsafe(48)
    path = Path(store_path).resolve().parent / "secret_key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def write_audit(store: DuckDBStore, rows: list[tuple[Any, ...]]) -> None:
    """Append audit rows (see ``AUTH_SCHEMA``: ts … action)."""
    if not rows:
        return
    with store._lock:
        store.con.executemany(
            "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
