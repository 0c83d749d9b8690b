"""Property-based API test: schemathesis generates requests from the OpenAPI spec.

Every operation is called as a park-admin with bounded examples (``max_examples``) on a
small two-enterprise park; no response may be a server error (5xx), and every error body
must be RFC 9457 problem JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from zeropark.api.main import create_app
from zeropark.auth import add_user
from zeropark.ingest.load import ingest_file
from zeropark.model import parse_park
from zeropark.store.duckdb import DuckDBStore

PARK = """\
[park]
id = "two"
name = "Two-tenant park"
timezone = "Asia/Shanghai"

[[enterprises]]
id = "ent-alpha"
name = "Alpha Co"

[[buildings]]
id = "bld-alpha"
name = "Alpha hall"
enterprise = "ent-alpha"
floor_area_m2 = 100

[[meters]]
id = "mtr-alpha"
medium = "electricity"
unit = "kWh"
kind = "total"
building = "bld-alpha"
"""
HEADERS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("st")
    park = parse_park(PARK, source="park.toml")
    stamps = pd.date_range("2024-01-01", periods=48, freq="h")
    csv = folder / "r.csv"
    csv.write_text("meter_id,timestamp,value\n" + "".join(
        f"mtr-alpha,{t:%Y-%m-%d %H:%M},5\n" for t in stamps), encoding="utf-8")
    path = folder / "s.duckdb"
    with DuckDBStore(path) as store:
        ingest_file(store, park, csv)
    app = create_app(path)
    add_user(app.state.store, "admin", "schemathesis-pw", role="park-admin")
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", json={
            "username": "admin", "password": "schemathesis-pw"}).json()["access_token"]
    HEADERS["Authorization"] = f"Bearer {token}"
    yield app
    app.state.store.close()


def check(case: Any) -> None:
    """No 5xx, and error bodies are problem JSON."""
    if case.path_parameters and "park_id" in case.path_parameters:
        # most generated park ids are unknown (404): aim at the real park
        case.path_parameters["park_id"] = "two"
    response = case.call(headers=HEADERS)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
    if response.status_code >= 400:
        content_type = response.headers.get("content-type")
        if isinstance(content_type, list):
            content_type = content_type[0]
        assert str(content_type).startswith("application/problem+json"), (
            case.method, case.formatted_path, response.text)


def test_no_server_error(api_app: Any) -> None:
    # Driven by hand with hypothesis (one property per operation): the schemathesis
    # pytest plugin does not load under this pytest version.
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    n = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            check(case)

        run()
        n += 1
    assert n >= 25
