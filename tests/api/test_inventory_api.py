from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from zeropark.accounting.ledger import import_activity
from zeropark.api.main import create_app
from zeropark.model import parse_park
from zeropark.store import DuckDBStore

FIXTURE = Path(__file__).parents[1] / "fixtures" / "activity_ent_a_2025.csv"
PARK = """
[park]
id = "cz"
name = "Changzhou test park"
timezone = "Asia/Shanghai"
[settings]
grid_region = "CN-East"
[[enterprises]]
id = "ent-a"
"""


@pytest.fixture()
def client(tmp_path, sign_in):
    path = tmp_path / "s.duckdb"
    park = parse_park(PARK, source="park.toml")
    with DuckDBStore(path) as store:
        store.save_park(park)
        import_activity(store, park, FIXTURE)
    with TestClient(create_app(path)) as c:
        c.headers.update(sign_in(c))
        yield c


def test_inventory_endpoint(client):
    r = client.get("/api/v1/parks/cz/enterprises/ent-a/inventory", params={"year": 2025})
    assert r.status_code == 200
    doc = r.json()
    # 1000 MWh × 0.55 + 500 GJ × 0.11 (see tests/accounting/test_inventory.py)
    assert doc["ghg_protocol"]["scope2_location_co2e_t"] == pytest.approx(605.0, rel=1e-12)
    assert {line["line_id"] for line in doc["lines"]} >= {"diesel-2025", "elec-2025#market"}


def test_inventory_endpoint_errors(client):
    r = client.get("/api/v1/parks/cz/enterprises/nobody/inventory", params={"year": 2025})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    r = client.get("/api/v1/parks/cz/enterprises/ent-a/inventory",
                   params={"year": 2025, "gwp": "AR9"})
    assert r.status_code == 422
    r = client.get("/api/v1/parks/cz/enterprises/ent-a/inventory",
                   params={"year": 2025, "region": "CN-XX"})
    assert r.status_code == 422 and "record 'elec-2025'" in r.json()["detail"]
