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


def _local_report(client, fmt, tmp_path):
    """The report written by write_inventory for the inventory the route computes."""
    from datetime import date

    from zeropark.accounting.inventory import compute_inventory
    from zeropark.accounting.ledger import enterprise_records
    from zeropark.reports.inventory import write_inventory

    store = client.app.state.store
    park = store.load_park("cz")
    records = enterprise_records(store, park, "ent-a", start=date(2025, 1, 1),
                                 end=date(2026, 1, 1))
    inv = compute_inventory(records, enterprise_id="ent-a", period="2025", region="CN-East",
                            data_year=2025, gwp_set="AR5")
    return write_inventory(inv, tmp_path / f"local.{fmt}", fmt=fmt)


def test_inventory_downloads(client, tmp_path):
    import io

    from openpyxl import load_workbook

    url = "/api/v1/parks/cz/enterprises/ent-a/inventory"
    expected_types = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml"
                              ".sheet", "pdf": "application/pdf",
                      "html": "text/html; charset=utf-8"}
    for fmt, media in expected_types.items():
        r = client.get(url, params={"year": 2025, "format": fmt})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == media
        assert f'filename="inventory-ent-a-2025.{fmt}"' in r.headers["content-disposition"]
        local = _local_report(client, fmt, tmp_path)
        if fmt == "html":
            assert r.text == local.read_text(encoding="utf-8")
        elif fmt == "xlsx":
            got, want = load_workbook(io.BytesIO(r.content)), load_workbook(local)
            assert got.sheetnames == want.sheetnames
            for name in want.sheetnames:
                assert [[c.value for c in row] for row in got[name].iter_rows()] == [
                    [c.value for c in row] for row in want[name].iter_rows()], name
        else:
            assert r.content.startswith(b"%PDF-") and len(r.content) > 1000
    assert client.get(url, params={"year": 2025, "format": "docx"}).status_code == 422
    assert client.get(url, params={"year": 2025}).json()["enterprise_id"] == "ent-a"
