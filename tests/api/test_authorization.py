"""Authorization over every route of the OpenAPI spec.

Park "two" has enterprises ``ent-alpha`` and ``ent-beta`` (one building and one meter
each, distinctive ids; ent-beta also has a CBAM installation kept in the store). For
every operation in ``/openapi.json``, with path parameters filled with *ent-beta's* ids,
the test proves:

* anonymous callers get 401 (except sign-in);
* an enterprise user of ent-alpha never receives ent-beta's data: 403 on every
  enterprise/meter/building route and on park-wide aggregates, and filtered listings that never
  mention an ent-beta id;
* a verifier of ent-alpha likewise, and can write nothing; once expired, it is refused
  (401) everywhere, even with a token issued before the expiry;
* a gateway token can only upload readings (403 everywhere else, 201 on upload).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from zeropark.api.main import create_app
from zeropark.auth import add_token
from zeropark.cbam.stored import save_installation
from zeropark.ingest.load import ingest_file
from zeropark.model import parse_park
from zeropark.store.duckdb import DuckDBStore

PARK = """\
[park]
id = "two"
name = "Two-tenant park"
timezone = "Asia/Shanghai"

[settings]
grid_factor = "cn_grid_mee_2023_east"

[[enterprises]]
id = "ent-alpha"
name = "Alpha Co"

[[enterprises]]
id = "ent-beta"
name = "Beta Co"

[[buildings]]
id = "bld-alpha"
name = "Alpha hall"
enterprise = "ent-alpha"
floor_area_m2 = 100

[[buildings]]
id = "bld-beta"
name = "Beta hall"
enterprise = "ent-beta"
floor_area_m2 = 100

[[meters]]
id = "mtr-alpha"
medium = "electricity"
unit = "kWh"
kind = "total"
building = "bld-alpha"

[[meters]]
id = "mtr-beta"
medium = "electricity"
unit = "kWh"
kind = "total"
building = "bld-beta"
"""
#: ent-beta's CBAM installation (kept in the store; emissions from its meter records).
INSTALLATION = """\
[installation]
installation_id = "inst-beta"
name = "Beta plant"
enterprise_id = "ent-beta"
country = "CN"
city = "Changzhou"

[operator]
operator_id = "CN-BETA"
name = "Beta Co"
country = "CN"
city = "Changzhou"

[reporting]
period_start = 2024-01-01
period_end = 2025-01-01
grid_region = "CN-East"
grid_data_year = 2023

[[purchased_precursors]]
precursor_id = "wire"
cn_code = "7217 10 10"
country = "CN"

[[processes]]
process_id = "bolts"
cn_codes = ["7318 15 88"]
activity_level_t = 100.0
sources = ["meter:mtr-beta:*"]
precursors = [{ precursor = "wire", mass_t = 105.0 }]
"""
BETA_IDS = ("ent-beta", "bld-beta", "mtr-beta", "Beta Co", "Beta hall", "inst-beta")
CSV = "meter_id,timestamp,value\nmtr-alpha,2024-03-01 00:00,5\nmtr-beta,2024-03-01 00:00,7\n"
VALUES = {"park_id": "two", "enterprise_id": "ent-beta", "meter_id": "mtr-beta",
          "building_id": "bld-beta", "installation_id": "inst-beta", "cn_code": "73181588",
          "alarm_id": "0123456789ab"}
QUERY = {"start": "2024-01-01", "end": "2024-02-01", "year": "2024", "q": "7318",
         "cn_code": "73181588", "mass_t": "10", "price_eur_per_t": "80"}
#: Required query values that differ by operation (CBAM costs: years of import ≥ 2026).
QUERY_FOR = {"/api/v1/cbam/cost": {"year": "2026"},
             "/api/v1/parks/{park_id}/enterprises/{enterprise_id}/cbam/installations/"
             "{installation_id}/cost": {"year": "2026"}}
#: Path parameters that scope a route to one enterprise (403 for the other's users).
SCOPED = ("{enterprise_id}", "{meter_id}", "{building_id}")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("authz")
    park = parse_park(PARK, source="park.toml")
    stamps = pd.date_range("2024-01-01", periods=72, freq="h")
    csv = folder / "r.csv"
    csv.write_text("meter_id,timestamp,value\n" + "".join(
        f"{m},{t:%Y-%m-%d %H:%M},{v}\n" for t in stamps
        for m, v in (("mtr-alpha", 5), ("mtr-beta", 7))), encoding="utf-8")
    path = folder / "s.duckdb"
    with DuckDBStore(path) as store:
        ingest_file(store, park, csv)
        save_installation(store, park, "ent-beta", INSTALLATION, uploaded_by="test")
    app = create_app(path)
    with TestClient(app) as client:
        yield {"client": client, "app": app}
    app.state.store.close()


def operations(client: TestClient) -> list[tuple[str, str, str, dict[str, str]]]:
    """(method, template, url, query) of every API operation, params filled for ent-beta."""
    spec = client.get("/openapi.json").json()
    out = []
    for template, item in spec["paths"].items():
        for method, op in item.items():
            url = template
            query = {}
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    url = url.replace("{" + param["name"] + "}", VALUES[param["name"]])
                elif param.get("required"):
                    query[param["name"]] = {**QUERY, **QUERY_FOR.get(template, {})}[
                        param["name"]]
            out.append((method.upper(), template, url, query))
    return out


def call(client: TestClient, method: str, url: str, query: dict[str, str],
         headers: dict[str, str]) -> Any:
    if method == "POST" and url.endswith("/readings"):
        return client.post(url, params=query, content=CSV,
                           headers={**headers, "Content-Type": "text/csv"})
    if method == "POST" and url.endswith("/auth/token"):
        return client.post(url, json={"username": "nobody", "password": "wrong-pass"})
    return client.request(method, url, params=query, headers=headers)


def test_the_spec_has_the_routes(setup) -> None:
    ops = operations(setup["client"])
    assert len(ops) >= 25
    assert all(t.startswith("/api/v1/") for _, t, _, _ in ops)


def test_anonymous_is_refused_everywhere(setup) -> None:
    client = setup["client"]
    for method, template, url, query in operations(client):
        response = call(client, method, url, query, {})
        assert response.status_code == 401, (method, template, response.text)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", ["enterprise-user", "verifier"])
def test_enterprise_scoped_users_never_see_another_enterprise(setup, sign_in, role) -> None:
    client = setup["client"]
    until = datetime.now(UTC) + timedelta(days=30) if role == "verifier" else None
    headers = sign_in(client, f"alpha-{role}", role=role, park_id="two",
                      enterprise_id="ent-alpha", expires_at=until)
    seen_ok = 0
    for method, template, url, query in operations(client):
        response = call(client, method, url, query, headers)
        if template == "/api/v1/auth/token":
            assert response.status_code == 401  # wrong password sent by call()
        elif any(p in template for p in SCOPED):
            assert response.status_code == 403, (role, template, response.text)
        elif method != "GET":
            assert response.status_code == 403, (role, template, response.text)
        elif response.status_code == 200:
            seen_ok += 1
            for beta in BETA_IDS:
                assert beta not in response.text, (role, template, beta)
        else:
            assert response.status_code == 403, (role, template, response.text)
    assert seen_ok >= 5  # listings and /auth/me answered, filtered
    # their own enterprise does open
    own = client.get("/api/v1/parks/two/enterprises/ent-alpha/summary", headers=headers)
    assert own.status_code == 200
    # 72 hourly readings of 5 kWh per hour (kind "total"): 360 kWh in 2024
    assert own.json()["totals"]["energy_kwh"] == pytest.approx(5 * 72, rel=1e-12)


def test_expired_verifier_is_refused(setup, sign_in) -> None:
    client = setup["client"]
    store = setup["app"].state.store
    headers = sign_in(client, "late-verifier", role="verifier", park_id="two",
                      enterprise_id="ent-alpha",
                      expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    store.query("UPDATE users SET expires_at = ? WHERE username = 'late-verifier'",
                [datetime(2000, 1, 1)])
    for method, template, url, query in operations(client):
        if template == "/api/v1/auth/token":
            continue
        response = call(client, method, url, query, headers)
        assert response.status_code == 401, (template, response.text)
    login = client.post("/api/v1/auth/token",
                        json={"username": "late-verifier", "password": "pw-late-verifier-0123"})
    assert login.status_code == 401


def test_gateway_token_can_only_ingest(setup) -> None:
    client = setup["client"]
    token = add_token(setup["app"].state.store, "gw-1", park_id="two")
    headers = {"Authorization": f"Bearer {token}"}
    uploads = 0
    for method, template, url, query in operations(client):
        response = call(client, method, url, query, headers)
        if template == "/api/v1/parks/{park_id}/readings" and method == "POST":
            assert response.status_code == 201, response.text
            uploads += 1
        elif template == "/api/v1/auth/token":
            assert response.status_code == 401
        else:
            assert response.status_code == 403, (template, response.text)
    assert uploads == 1
    other = client.post("/api/v1/parks/other/readings", content=CSV,
                        headers={**headers, "Content-Type": "text/csv"})
    assert other.status_code == 403


def test_admin_reads_everything_and_is_audited(setup, sign_in) -> None:
    client = setup["client"]
    headers = sign_in(client, "root", role="park-admin")
    for method, template, url, query in operations(client):
        if method != "GET":
            continue
        response = call(client, method, url, query, headers)
        assert response.status_code == 200, (template, response.text)
    audit = client.get("/api/v1/audit", params={"actor": "root", "limit": 1000},
                       headers=headers).json()
    routes = {row["route"] for row in audit["items"]}
    assert "/api/v1/parks/{park_id}/meters/{meter_id}" in routes
    row = next(r for r in audit["items"] if r["route"] == "/api/v1/parks/{park_id}/meters/"
               "{meter_id}")
    assert (row["park_id"], row["meter_id"], row["status"], row["action"]) == (
        "two", "mtr-beta", 200, "read")
