"""The indicator pipeline on a small store park with hand-computed values."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from zeropark.cli import app
from zeropark.indicators.evaluate import evaluate
from zeropark.indicators.manual import ManualInputs, read_manual_inputs
from zeropark.indicators.report import indicators_report
from zeropark.ingest.load import ingest_file
from zeropark.model import read_park
from zeropark.store import DuckDBStore

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

# Hand computation (2 hours: grid 2 000 kWh, PV 500 kWh, gas 1 000 kWh net CV):
EF = 0.55e-3  # t CO2/kWh, MEE/NBS 2023 East China grid
ELEC_TCE = (2000 + 500) * 0.1229 / 1000  # GB/T 2589-2020 当量值
GAS_TCE = 1000 * 3600 / 29307 / 1000  # 1 kgce = 29 307 kJ
GAS_CO2 = 1000 * 0.0036 * 0.0153 * 0.99 * 44 / 12  # NDRC defaults CC 15.3 tC/TJ, OF 99 %
CO2 = 2000 * EF + GAS_CO2
ENERGY = ELEC_TCE + GAS_TCE


@pytest.fixture()
def loaded(tmp_path: Path):
    (tmp_path / "park.toml").write_text(PARK, encoding="utf-8")
    park = read_park(tmp_path / "park.toml")
    csv = tmp_path / "r.csv"
    csv.write_text("timestamp,grid,pv,gas\n2024-01-01 00:00,1000,250,500\n"
                   "2024-01-01 01:00,1000,250,500\n", encoding="utf-8")
    (tmp_path / "manual.csv").write_text(MANUAL, encoding="utf-8")
    store = DuckDBStore(tmp_path / "s.duckdb")
    ingest_file(store, park, csv)
    store.save_park(park)
    yield store, park, read_manual_inputs(tmp_path / "manual.csv", park), tmp_path
    store.close()


def _by_id(results):
    return {r.spec.indicator_id: r for r in results}


def test_park_indicators_match_hand_computation(loaded):
    store, park, manual, _ = loaded
    r = _by_id(evaluate(store, park, year=2024, manual_inputs=manual))
    core = r["cn_zcp_co2_per_energy"]
    assert core.value == pytest.approx(CO2 / ENERGY, rel=1e-9)
    assert core.status == "no_target"  # a 0.43 tce park is below the first tier
    assert core.conventions["tce_method"] == "calorific"
    clean = (500 * 0.1229e-3 + 500 * 0.1229e-3 + GAS_TCE) / ENERGY  # PV + certificates + gas
    assert r["cn_zcp_clean_energy_share"].value == pytest.approx(clean, rel=1e-9)
    assert r["cn_js_renewable_electricity_share"].value == pytest.approx(1000 / 2500, rel=1e-12)
    assert r["cn_js_renewable_electricity_share"].status == "met"
    assert r["cn_js_unit_value_added_energy"].value == pytest.approx(ENERGY / 10, rel=1e-9)
    assert r["cn_js_unit_value_added_co2"].value == pytest.approx(CO2 / 10, rel=1e-9)
    assert r["cn_zcp_water_reuse"].value == pytest.approx(0.8, rel=1e-12)
    assert r["cn_js_green_building_share"].value == pytest.approx(1000 / 4000, rel=1e-12)
    assert r["cn_js_green_building_share"].status == "not_met"
    assert r["cn_js_terminal_electrification"].value == pytest.approx(ELEC_TCE / ENERGY,
                                                                      rel=1e-9)
    months = r["cn_zcp_co2_per_energy"].monthly
    assert months == ((1, pytest.approx(CO2 / ENERGY, rel=1e-9)),)


def test_market_based_scope2_deducts_certificates(loaded):
    store, park, manual, _ = loaded
    r = _by_id(evaluate(store, park, year=2024, manual_inputs=manual, scope2="market"))
    assert r["cn_zcp_co2_per_energy"].value == pytest.approx((CO2 - 500 * EF) / ENERGY,
                                                             rel=1e-9)
    assert r["cn_zcp_co2_per_energy"].conventions["gec_counted"] is True


def test_missing_input_is_not_computable_never_zero(loaded):
    store, park, manual, _ = loaded
    r = _by_id(evaluate(store, park, year=2024, manual_inputs=manual))
    waste = r["cn_zcp_solid_waste"]
    assert waste.value is None and waste.status == "no_data"
    assert waste.reason.startswith("not computable: needs solid_waste_utilised_t")
    assert waste.missing_inputs == ("solid_waste_utilised_t", "solid_waste_generated_t")
    no_inputs = _by_id(evaluate(store, park, year=2024, manual_inputs=ManualInputs()))
    va = no_inputs["cn_js_unit_value_added_energy"]
    assert va.value is None and "value_added_10k_cny" in va.reason
    assert any("certificates counted as 0" in a
               for a in no_inputs["cn_js_renewable_electricity_share"].assumptions)
    empty_year = _by_id(evaluate(store, park, year=2023, manual_inputs=manual))
    assert empty_year["cn_zcp_co2_per_energy"].status == "no_data"
    assert "no interval data" in empty_year["cn_zcp_co2_per_energy"].reason


def test_what_it_takes_states_its_arithmetic(loaded):
    store, park, manual, _ = loaded
    r = _by_id(evaluate(store, park, year=2024, manual_inputs=manual))
    lever = r["cn_zcp_clean_energy_share"].what_it_takes
    clean = 500 * 0.1229e-3 * 2 + GAS_TCE
    kwh = (0.9 * ENERGY - clean) / 0.1229e-3
    assert lever["green_power_mwh"] == pytest.approx(kwh / 1000, abs=5e-4)
    # PV yield measured on the park's PV meter: 500 kWh ÷ 100 kW rated.
    assert lever["pv_kwp"] == pytest.approx(kwh / 5.0, abs=0.05)
    assert lever["reachable_with_electricity"] is True  # 1 500 kWh of grid left uncertified
    illustrative = r["cn_zcp_co2_per_energy"].illustrative
    assert illustrative["target"] == 0.20 and illustrative["would_meet"] is False
    assert illustrative["what_it_takes"]["green_power_mwh"] == pytest.approx(
        (CO2 - 0.2 * ENERGY) / EF / 1000, abs=5e-4)
    assert illustrative["what_it_takes"]["reachable_with_electricity"] is False


def test_building_level_and_green_building_headline(loaded):
    store, park, manual, _ = loaded
    r = {(x.spec.indicator_id, x.subject): x
         for x in evaluate(store, park, year=2024, level="building", manual_inputs=manual)}
    saving = r[("cn_bldg_nearly_zero_saving", "b1")]
    assert saving.value == pytest.approx(1 - 2500 / 5000, rel=1e-12)
    assert saving.status == "not_met" and saving.spec.target.verification == "unverified"
    assert ("cn_bldg_nearly_zero_saving", "b2") not in r  # b2 has no energy target
    assert r[("cn_bldg_nearly_zero_renewable", "b1")].value == pytest.approx(500 / 2500)
    report = indicators_report(store, park, year=2024, manual_inputs=manual)
    gb = report["green_buildings"]
    assert gb["totals"]["saved_kwh"] == pytest.approx(2500.0)
    assert gb["totals"]["co2_avoided_t"] == pytest.approx(2500 * (2000 * EF) / 2500)
    assert gb["headline"] == ("1,000 m² of green buildings save 2,500 kWh a year, 1.1 t CO2, "
                              "equal to 110 trees")
    card = report["social_contribution"]
    assert card["co2_avoided_t"] == pytest.approx(500 * EF + 1.1, abs=5e-4)
    assert card["tce_saved"] == pytest.approx(500 * 0.1229e-3 + 2500 * ELEC_TCE / 2500,
                                              abs=5e-4)


def test_enterprise_level(loaded):
    store, park, manual, _ = loaded
    r = {(x.spec.indicator_id, x.subject): x
         for x in evaluate(store, park, year=2024, level="enterprise", manual_inputs=manual)}
    assert r[("cn_zcp_co2_per_energy", "e1")].value == pytest.approx(2000 * EF / ELEC_TCE)


def test_cli_import_manual_then_json(loaded):
    store, park, _, tmp = loaded
    store.close()
    runner = CliRunner()
    out = runner.invoke(app, ["indicators", "import-manual", str(tmp / "manual.csv"),
                              "--park", str(tmp / "park.toml"), "--store", str(tmp / "s.duckdb")])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["indicators", "--park", str(tmp / "park.toml"), "--year", "2024",
                              "--store", str(tmp / "s.duckdb"), "--json"])
    assert out.exit_code == 0, out.output
    import json

    doc = json.loads(out.stdout)
    ids = {i["indicator_id"]: i for i in doc["indicators"]}
    assert ids["cn_zcp_water_reuse"]["value"] == pytest.approx(0.8)
    assert ids["cn_zcp_water_reuse"]["input_sources"]["water_reused_m3"] == "water audit"
    table = runner.invoke(app, ["indicators", "--park", str(tmp / "park.toml"), "--year",
                                "2024", "--store", str(tmp / "s.duckdb")])
    assert table.exit_code == 0, table.output
    assert "Green buildings: 1,000 m² of green buildings save 2,500 kWh" in table.stdout
