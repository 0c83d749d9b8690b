"""Indicator routes: values equal ``indicators_report``'s, manual-input upload, access.

The park is the one of ``tests/indicators/test_indicator_pipeline.py`` (two hours of
grid, PV and gas readings in January 2024), whose hand computation gives e.g. the
value-added energy intensity ENERGY / 10 once the value added (10 × 10^4 CNY) is
uploaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from zeropark.api.main import create_app
from zeropark.indicators.manual import load_manual_inputs
from zeropark.indicators.report import indicators_report
from zeropark.ingest.load import ingest_file
from zeropark.model import parse_park
from zeropark.store.duckdb import DuckDBStore

PARK = """
[park]
id = "p"
name = "Test park"
timezone = "Asia/Shanghai"

[settings]
grid_factor = "cn_grid_mee_2023_east"
tree_absorption_kgco2_per_tree_a = 10.0
tree_absorption_source = "test value, not a factor"

[[enterprises]]
id = "e1"

[[enterprises]]
id = "e2"

[[buildings]]
id = "b1"
enterprise = "e1"
floor_area_m2 = 1000
green_star = 2
energy_target = "nearly_zero"
baseline_eui_kwh_per_m2 = 5.0
baseline_kind = "metered"
new_building = true

[[buildings]]
id = "b2"
floor_area_m2 = 3000
new_building = true

[[meters]]
id = "grid"
medium = "electricity"
unit = "kWh"
kind = "total"
building = "b1"
resolution = "1h"

[[meters]]
id = "pv"
medium = "pv"
unit = "kWh"
kind = "total"
direction = "export"
building = "b1"
rated_power_kw = 100
resolution = "1h"

[[meters]]
id = "gas"
medium = "natural_gas"
unit = "kWh"
calorific_basis = "net"
kind = "total"
building = "b2"
resolution = "1h"
"""
MANUAL = """year,level,subject,field,value,unit,source,note
2024,park,p,gec_mwh,0.5,MWh,certificate list 2024,
2024,park,p,value_added_10k_cny,10,10^4 CNY,statistics bureau,
2024,park,p,water_reused_m3,80,m3,water audit,
2024,park,p,water_fresh_m3,20,m3,water audit,
"""
MANUAL_TOML = """
[[inputs]]
year = 2024
level = "enterprise"
subject = "e1"
field = "value_added_10k_cny"
value = 4
unit = "10^4 CNY"
source = "enterprise statistics"
"""
ELEC_TCE = (2000 + 500) * 0.1229 / 1000  # GB/T 2589-2020 当量值
GAS_TCE = 1000 * 3600 / 29307 / 1000  # 1 kgce = 29 307 kJ
ENERGY = ELEC_TCE + GAS_TCE
INPUTS = "/api/v1/parks/p/indicator-inputs"


@pytest.fixture()
def api(tmp_path, sign_in) -> Iterator[dict[str, Any]]:
    park = parse_park(PARK, source="park.toml")
    csv = tmp_path / "r.csv"
    csv.write_text("timestamp,grid,pv,gas\n2024-01-01 00:00,1000,250,500\n"
                   "2024-01-01 01:00,1000,250,500\n", encoding="utf-8")
    path = tmp_path / "s.duckdb"
    with DuckDBStore(path) as store:
        ingest_file(store, park, csv)
        store.save_park(park)
    app = create_app(path)
    with TestClient(app) as client:
        yield {"client": client, "app": app, "admin": sign_in(client),
               "e1": sign_in(client, "e1-user", role="enterprise-user", park_id="p",
                             enterprise_id="e1")}
    app.state.store.close()


def _expected(app: Any, **kwargs: Any) -> dict[str, Any]:
    store = app.state.store
    report = indicators_report(store, store.load_park("p"), **kwargs)
    return json.loads(json.dumps(report))


def _value(report: dict[str, Any], indicator_id: str, subject: str = "p") -> Any:
    return next(r["value"] for r in report["indicators"]
                if r["indicator_id"] == indicator_id and r["subject"] == subject)


def test_park_indicators_equal_the_report(api) -> None:
    client, app = api["client"], api["app"]
    for level in ("park", "enterprise", "building"):
        r = client.get("/api/v1/parks/p/indicators", params={"year": 2024, "level": level},
                       headers=api["admin"])
        assert r.status_code == 200, r.text
        assert r.json() == _expected(app, year=2024, level=level)
    # default year: the latest with data
    r = client.get("/api/v1/parks/p/indicators", params={"scope2": "market"},
                   headers=api["admin"])
    assert r.json() == _expected(app, year=2024, scope2="market")


def test_manual_inputs_upload(api) -> None:
    client, app = api["client"], api["app"]
    r = client.post(INPUTS, content=MANUAL, headers={**api["admin"],
                                                     "Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    assert r.json() == {"n_stored": 4, "years": [2024]}
    r = client.post(INPUTS, content=MANUAL_TOML,
                    headers={**api["admin"], "Content-Type": "application/toml"})
    assert r.status_code == 201 and r.json()["n_stored"] == 1
    stored = load_manual_inputs(app.state.store, app.state.store.load_park("p"))
    assert stored.get(2024, "park", "p", "value_added_10k_cny") == 10.0
    assert stored.get(2024, "enterprise", "e1", "value_added_10k_cny") == 4.0
    listed = client.get(INPUTS, params={"year": 2024}, headers=api["admin"]).json()
    assert listed["total"] == 5
    assert {(i["subject"], i["field"], i["value"]) for i in listed["items"]} >= {
        ("p", "value_added_10k_cny", 10.0), ("e1", "value_added_10k_cny", 4.0)}
    # the report now uses them: unit value-added energy = ENERGY / 10 (hand computation)
    report = client.get("/api/v1/parks/p/indicators", params={"year": 2024},
                        headers=api["admin"]).json()
    assert report == _expected(app, year=2024)
    assert _value(report, "cn_js_unit_value_added_energy") == pytest.approx(ENERGY / 10,
                                                                             abs=5e-7)


@pytest.mark.parametrize(("body", "media", "needle"), [
    (MANUAL.replace("10^4 CNY", "CNY"), "text/csv", "row 3, field 'unit'"),
    (MANUAL.replace(",p,gec", ",nowhere,gec"), "text/csv", "field 'subject'"),
    ("year,level\n2024,park\n", "text/csv", "missing column"),
    ("[[inputs]\n", "application/toml", "not valid TOML"),
    (MANUAL, "application/json", "unsupported content type"),
    ("", "text/csv", "empty body"),
])
def test_bad_manual_inputs_are_problems(api, body, media, needle) -> None:
    r = api["client"].post(INPUTS, content=body,
                           headers={**api["admin"], "Content-Type": media})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert needle in r.json()["detail"]
    assert load_manual_inputs(api["app"].state.store,
                              api["app"].state.store.load_park("p")).values == {}


def test_enterprise_and_building_indicators(api) -> None:
    client, app = api["client"], api["app"]
    full = _expected(app, year=2024, level="enterprise")
    r = client.get("/api/v1/parks/p/enterprises/e1/indicators", params={"year": 2024},
                   headers=api["e1"])
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["subject"] == "e1" and doc["indicators"]
    assert doc["indicators"] == [i for i in full["indicators"] if i["subject"] == "e1"]
    full = _expected(app, year=2024, level="building")
    r = client.get("/api/v1/parks/p/buildings/b1/indicators", params={"year": 2024},
                   headers=api["e1"])
    assert r.status_code == 200
    assert r.json()["indicators"] == [i for i in full["indicators"] if i["subject"] == "b1"]


def test_indicator_access(api) -> None:
    client = api["client"]
    e1 = api["e1"]
    for url in ("/api/v1/parks/p/indicators", "/api/v1/parks/p/enterprises/e2/indicators",
                "/api/v1/parks/p/buildings/b2/indicators",  # park-level building
                "/api/v1/parks/p/buildings/nowhere/indicators", INPUTS):
        r = client.get(url, params={"year": 2024}, headers=e1)
        assert r.status_code == 403, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = client.post(INPUTS, content=MANUAL, headers={**e1, "Content-Type": "text/csv"})
    assert r.status_code == 403
    r = client.get("/api/v1/parks/p/buildings/nowhere/indicators", headers=api["admin"])
    assert r.status_code == 404
    r = client.get("/api/v1/parks/p/indicators", params={"level": "meter"},
                   headers=api["admin"])
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
