"""Tests of the HTTP API (api/main.py) on a small park loaded into a temporary DuckDB file.

Hand computation of the expected values
---------------------------------------
Park "cz" (Asia/Shanghai), 50 hourly readings per meter from local 2024-01-31 00:00 to
2024-02-02 01:00 inclusive (``kind = "total"``, kWh per hour):

* ``grid`` 20 kWh/h (root, no building), ``b1e`` 12 and ``b2e`` 6 (sub-meters of ``grid``),
  ``b3e`` 20 kWh/h (root meter of building b3).
* Park energy = roots only = (20 + 20) · 50 = 2000 kWh.
* tce = 2000 kWh · 0.1229 kgce/kWh / 1000 = 0.2458 tce (GB/T 2589-2020, electricity 当量值).
* CO2 = 2000 kWh · 0.5500 kg/kWh / 1000 = 1.1 t (MEE/NBS 2023 East China grid factor,
  ``cn_grid_mee_2023_east`` in ``factors/data/grid_cn.csv``).
* Local days: 31 Jan and 1 Feb 40 · 24 = 960 kWh each, 2 Feb 40 · 2 = 80 kWh.
* Months: January 960 kWh → 0.528 t CO2; February 1040 kWh → 0.572 t CO2.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from zeropark.api.main import create_app
from zeropark.ingest.load import ingest_file
from zeropark.model import parse_park
from zeropark.store.duckdb import DuckDBStore

PARK = """\
[park]
id = "cz"
name = "Changzhou Test Park"
timezone = "Asia/Shanghai"

[settings]
grid_factor = "cn_grid_mee_2023_east"

[[buildings]]
id = "b1"
name = "Plant"
floor_area_m2 = 1000

[[buildings]]
id = "b2"
name = "Office"
floor_area_m2 = 500

[[buildings]]
id = "b3"
name = "Warehouse"
floor_area_m2 = 250

[[meters]]
id = "grid"
medium = "electricity"
unit = "kWh"
kind = "total"

[[meters]]
id = "b1e"
medium = "electricity"
unit = "kWh"
kind = "total"
building = "b1"
submeter_of = "grid"

[[meters]]
id = "b2e"
medium = "electricity"
unit = "kWh"
kind = "total"
building = "b2"
submeter_of = "grid"

[[meters]]
id = "b3e"
medium = "electricity"
unit = "kWh"
kind = "total"
building = "b3"

[[virtual_meters]]
id = "unmetered"
medium = "electricity"
terms = { grid = 1, b1e = -1, b2e = -1 }
"""

RATES = {"grid": 20.0, "b1e": 12.0, "b2e": 6.0, "b3e": 20.0}  # kWh per hour
ROUTES = {
    "/api/v1/parks",
    "/api/v1/parks/{park_id}/summary",
    "/api/v1/parks/{park_id}/daily",
    "/api/v1/parks/{park_id}/monthly-co2",
    "/api/v1/parks/{park_id}/top-buildings",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, sign_in) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("api")
    park = parse_park(PARK, source=str(folder / "park.toml"))
    stamps = pd.date_range("2024-01-31 00:00", periods=50, freq="h")
    lines = ["meter_id,timestamp,value"] + [
        f"{meter_id},{t:%Y-%m-%d %H:%M},{rate}" for t in stamps for meter_id, rate in RATES.items()
    ]
    csv = folder / "readings.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db_path = folder / "store.duckdb"
    with DuckDBStore(db_path) as store:
        ingest_file(store, park, csv)
    app = create_app(db_path)
    with TestClient(app) as test_client:
        test_client.headers.update(sign_in(test_client))
        yield test_client
    app.state.store.close()


def test_list_parks(client: TestClient) -> None:
    response = client.get("/api/v1/parks")
    assert response.status_code == 200
    assert response.json() == [
        {"park_id": "cz", "name": "Changzhou Test Park", "timezone": "Asia/Shanghai"}
    ]


def test_summary_values(client: TestClient) -> None:
    response = client.get("/api/v1/parks/cz/summary")  # default: latest year with data
    assert response.status_code == 200
    body = response.json()
    assert (body["park_id"], body["year"], body["years"]) == ("cz", 2024, [2024])
    assert (body["n_buildings"], body["n_meters"], body["n_virtual_meters"]) == (3, 4, 1)
    assert body["tce_method"] == "calorific"
    expected = {"measured_kwh": 2000.0, "estimated_kwh": 0.0, "energy_kwh": 2000.0,
                "tce": 0.2458, "co2e_t": 1.1}
    assert body["media"] == [{"medium": "electricity", **expected}]
    assert body["totals"] == pytest.approx(expected, rel=1e-12)
    grid = body["factors"][0]
    assert (grid["factor_id"], grid["value"], grid["unit"]) == (
        "cn_grid_mee_2023_east", 0.55, "kg/kWh")
    assert body["quality"] == {}
    # Buildings count their own meters, also those under the park's grid meter.
    assert [(b["building_id"], b["energy_kwh"]) for b in body["top_buildings"]] == [
        ("b3", 1000.0), ("b1", 600.0), ("b2", 300.0)]


def test_summary_of_a_year_without_data(client: TestClient) -> None:
    body = client.get("/api/v1/parks/cz/summary", params={"year": 2023}).json()
    assert body["year"] == 2023
    assert body["media"] == []
    assert body["totals"] == {"measured_kwh": 0.0, "estimated_kwh": 0.0, "energy_kwh": 0.0,
                              "tce": 0.0, "co2e_t": 0.0}


def test_daily(client: TestClient) -> None:
    response = client.get("/api/v1/parks/cz/daily", params={"year": 2024})
    assert response.status_code == 200
    body = response.json()
    assert len(body["dates"]) == 366  # 2024 is a leap year
    assert body["dates"][0] == "2024-01-01"
    assert body["dates"][30:33] == ["2024-01-31", "2024-02-01", "2024-02-02"]
    assert [s["medium"] for s in body["series"]] == ["electricity"]
    series = body["series"][0]
    assert series["measured_kwh"][30:33] == [960.0, 960.0, 80.0]
    assert series["estimated_kwh"][30:33] == [0.0, 0.0, 0.0]
    others = series["measured_kwh"][:30] + series["measured_kwh"][33:]
    assert others == [None] * 363


def test_monthly_co2(client: TestClient) -> None:
    body = client.get("/api/v1/parks/cz/monthly-co2").json()
    assert body["months"] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert [s["medium"] for s in body["series"]] == ["electricity"]
    assert body["series"][0]["co2e_t"] == pytest.approx([0.528, 0.572] + [0.0] * 10, rel=1e-12)
    assert body["factors"][0]["factor_id"] == "cn_grid_mee_2023_east"


def test_top_buildings(client: TestClient) -> None:
    response = client.get("/api/v1/parks/cz/top-buildings", params={"year": 2024, "limit": 5})
    assert response.status_code == 200
    rows = response.json()
    # b3 has a root meter: 20 kWh/h · 50 h = 1000 kWh, 250 m² → 4 kWh/m².
    assert rows[0] == {
        "building_id": "b3", "name": "Warehouse", "energy_kwh": 1000.0, "tce": 0.1229,
        "co2e_t": 0.55, "floor_area_m2": 250.0, "eui_kwh_per_m2": 4.0,
        "by_medium": {"electricity": 1000.0},
    }


def test_top_buildings_include_submetered_buildings(client: TestClient) -> None:
    rows = client.get("/api/v1/parks/cz/top-buildings", params={"year": 2024}).json()
    assert [(r["building_id"], r["energy_kwh"]) for r in rows] == [
        ("b3", 1000.0), ("b1", 600.0), ("b2", 300.0)]


def test_unknown_park_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/parks/nope/summary")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {"type": "about:blank", "title": "Not Found", "status": 404,
                               "detail": "no park 'nope'"}


@pytest.mark.parametrize("year", ["1800", "2201", "last"])
def test_bad_year_is_a_422_problem(client: TestClient, year: str) -> None:
    response = client.get("/api/v1/parks/cz/summary", params={"year": year})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["type"], body["status"]) == ("about:blank", 422)
    assert body["detail"].startswith("query.year: ")


def test_openapi_lists_the_routes(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert ROUTES <= set(paths)
    assert "/vendor/echarts.min.js" not in paths


def test_vendored_echarts(client: TestClient) -> None:
    response = client.get("/vendor/echarts.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(response.content) > 100_000  # the minified library, not an error page


def test_dashboard_page(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
