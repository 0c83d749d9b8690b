"""Audit log: one row per ``/api/v1`` request (who, which route, which park/enterprise, when).

A plain ASGI middleware: it lets the request run, then reads the caller that the
access dependencies left in ``request.state.principal`` and the matched route and
path parameters from the ASGI scope, and appends a row to ``audit_log``. Failed
sign-ins and refused requests are logged too (actor empty, status 401/403).

Rows are buffered and written in batches (at most :data:`FLUSH_ROWS` rows or
:data:`FLUSH_S` seconds old, on reading ``/api/v1/audit`` and at shutdown), so a
request does not wait for its own INSERT on the shared DuckDB connection.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zeropark.auth import write_audit
from zeropark.store.duckdb import DuckDBStore

_log = logging.getLogger(__name__)
_PREFIX = "/api/v1"
FLUSH_ROWS = 200
FLUSH_S = 1.0


class AuditBuffer:
    """Audit rows waiting to be written to a store."""

    def __init__(self, store: DuckDBStore) -> None:
        self.store = store
        self.rows: list[tuple[Any, ...]] = []
        self.lock = threading.Lock()
        self.last_flush = time.monotonic()

    def add(self, row: tuple[Any, ...]) -> None:
        """Queue a row; flush when the batch is full or old."""
        with self.lock:
            self.rows.append(row)
            due = (len(self.rows) >= FLUSH_ROWS
                   or time.monotonic() - self.last_flush >= FLUSH_S)
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the queued rows (a read-only store only logs them)."""
        with self.lock:
            rows, self.rows = self.rows, []
            self.last_flush = time.monotonic()
        try:
            write_audit(self.store, rows)
        except Exception as err:  # a read-only store cannot log; the request still counts
            _log.warning("%d audit row(s) not written (%s): %s", len(rows), err, rows)


class AuditMiddleware:
    """Append one ``audit_log`` row per API request to the app's store."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, then queue its audit row."""
        if scope["type"] != "http" or not scope["path"].startswith(_PREFIX):
            await self.app(scope, receive, send)
            return
        status = {"code": 500}
        scope.setdefault("state", {})  # shared with request.state, even if scope is copied

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._record(scope, status["code"])

    def _record(self, scope: Scope, status: int) -> None:
        state: dict[str, Any] = scope.get("state") or {}
        principal = state.get("principal")
        route = scope.get("route")
        params: dict[str, Any] = scope.get("path_params") or {}
        method = scope["method"]
        row = (datetime.now(UTC).replace(tzinfo=None),
               principal.name if principal else None,
               principal.role.value if principal else None,
               method, getattr(route, "path", None), scope["path"],
               params.get("park_id"), params.get("enterprise_id"), params.get("meter_id"),
               status, "read" if method in ("GET", "HEAD") else "write")
        app = scope.get("app")
        buffer: AuditBuffer | None = getattr(getattr(app, "state", None), "audit", None)
        if buffer is not None:
            buffer.add(row)
