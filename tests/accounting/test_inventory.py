"""GHG inventory: guideline formulas by hand, three framings, bad input, no half-saves.

Reference values are hand-computed from the guideline formulas and the default
tables of the NDRC guidelines as shipped in ``factors/data`` (each cited there);
the exact arithmetic is in each comment. Tolerances are 1e-9 relative unless a
published rounded value is compared.
"""

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zeropark.accounting.activity import read_activity_file, record_from_mapping
from zeropark.accounting.framings import ghg_protocol, iso14064, mee_report, reconcile
from zeropark.accounting.inventory import compute_inventory
from zeropark.accounting.ledger import enterprise_records, import_activity
from zeropark.cli import app
from zeropark.errors import InputError
from zeropark.model import parse_park

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
[[enterprises]]
id = "ent-b"
[[meters]]
id = "a-grid"
medium = "electricity"
unit = "kWh"
kind = "total"
enterprise = "ent-a"
resolution = "1h"
"""


@pytest.fixture(scope="module")
def inventory():
    records = read_activity_file(FIXTURE)
    return compute_inventory(records, enterprise_id="ent-a", period="2025", region="CN-East",
                             data_year=2025, gwp_set="AR5")


def _line(inv, line_id):
    return next(x for x in inv.lines if x.line_id == line_id)


# Hand-computed per line (formula, then numbers):
EXPECTED = {
    # NDRC 2015 工业其他行业 guideline, fuel combustion: E = FC·NCV·CC·OF·44/12,
    # 柴油 defaults NCV 42.652 GJ/t, CC 20.2 tC/TJ, OF 98 %:
    # 10 × 42.652 = 426.52 GJ; × 0.0202 = 8.615704; × 0.98 = 8.44338992; × 44/12 = 30.95909637
    "diesel-2025": 30.959096373333335,
    # natural gas with measured NCV 390 GJ/10⁴Nm³ (overrides 389.31), default CC 15.3 tC/TJ,
    # OF 99 %: 12.5 × 390 = 4875 GJ; × 0.0153 = 74.5875; × 0.99 = 73.841625; × 44/12
    "gas-2025": 270.752625,
    # carbonate use: E = AD·EF·PUR, CaCO3 EF 0.4397 t CO2/t (= 44.009/100.086, 4 d.p.)
    # 100 × 0.4397 × 0.95 = 41.7715
    "caco3-2025": 41.7715,
    # fugitive: 0.050 t HFC-134a × GWP100 1300 (IPCC AR5 WG1 Ch. 8 Table 8.A.1) = 65
    "r134a-2025": 65.0,
    # location-based: 1000 MWh × 0.5500 t/MWh (MEE/NBS 2023 East China; 2025 falls back)
    "elec-2025#location": 550.0,
    # market-based: (1000 − 200 GEC) MWh × 0.6096 t/MWh (MEE/NBS 2023 national factor
    # excluding market-traded non-fossil power, used as residual-mix proxy) = 487.68
    "elec-2025#market": 487.68,
    "gec-2025#market": 0.0,
    # purchased heat: 500 GJ × 0.11 t CO2/GJ (NDRC guideline default) = 55
    "heat-2025": 55.0,
    "heat-2025#market": 55.0,
    # exported electricity: 50 MWh × 0.5500 = 27.5, deducted in the MEE framing only
    "export-2025": 27.5,
    # Scope 3 from record factors: 1e6 CNY × 0.35 kg/CNY = 350 t; 1e5 t·km × 0.06 kg = 6 t
    "spend-2025": 350.0,
    "freight-2025": 6.0,
}


@pytest.mark.parametrize("line_id", list(EXPECTED))
def test_line_values_by_hand(inventory, line_id):
    assert _line(inventory, line_id).co2e_t == pytest.approx(EXPECTED[line_id], rel=1e-9,
                                                             abs=1e-12)


def test_every_line_is_traceable(inventory):
    for line in inventory.lines:
        assert line.record_id in {r.record_id for r in inventory.records}
        assert line.formula.startswith("E =")
        if line.co2e_t:
            assert line.factors, line.line_id
    gas = _line(inventory, "gas-2025")
    roles = {f.role: f for f in gas.factors}
    assert roles["NCV (measured)"].value == 390.0
    assert roles["CC"].factor_id == "cn_ndrc_2015_natural_gas_carbon_content"
    assert "390 GJ/(1e4*m**3) (measured)" in gas.formula


def test_fallbacks_are_recorded_on_the_line(inventory):
    grid = _line(inventory, "elec-2025#location").factors[0]
    assert grid.factor_id == "cn_grid_mee_2023_east"
    assert "used data year 2023" in grid.fallback


def test_three_framings_from_one_ledger(inventory):
    s1 = 30.959096373333335 + 270.752625 + 41.7715 + 65.0
    ghg = ghg_protocol(inventory)
    assert ghg["scope1_co2e_t"] == pytest.approx(s1, rel=1e-12)
    assert ghg["scope2_location_co2e_t"] == pytest.approx(605.0, rel=1e-12)
    assert ghg["scope2_market_co2e_t"] == pytest.approx(542.68, rel=1e-12)
    assert ghg["scope3_by_category"] == {"cat01": pytest.approx(350.0),
                                         "cat04": pytest.approx(6.0)}
    assert ghg["memo_exported_co2e_t"] == pytest.approx(27.5, rel=1e-12)
    mee = mee_report(inventory)
    assert mee["total_co2e_t"] == pytest.approx(s1 + 605.0 - 27.5, rel=1e-12)
    iso = iso14064(inventory)
    assert [c["co2e_t"] for c in iso["categories"]] == pytest.approx(
        [s1, 605.0, 6.0, 350.0, 0.0, 0.0], rel=1e-12)
    assert iso["total_co2e_t"] == pytest.approx(ghg["total_location_co2e_t"], rel=1e-12)


def test_identities_hold_and_scope2_difference_is_explained(inventory):
    rec = reconcile(inventory)
    for name, (left, right) in rec["identities"].items():
        assert left == pytest.approx(right, rel=1e-12, abs=1e-9), name
    by_record = {r["record_id"]: r for r in rec["scope2_by_record"]}
    # 487.68 − 550 = −62.32: the GEC covers 200 MWh at 0, the rest is at the residual proxy
    assert by_record["elec-2025"]["difference_co2e_t"] == pytest.approx(-62.32, rel=1e-12)
    assert "instruments cover 20.0%" in by_record["elec-2025"]["explanation"]
    assert by_record["heat-2025"]["difference_co2e_t"] == 0.0


def test_same_totals_without_exports_and_scope3(inventory):
    # With no deductions and no Scope 3, all three framings give one total.
    kept = [r for r in inventory.records
            if r.category.value not in ("exported_electricity", "scope3")]
    inv = compute_inventory(kept, enterprise_id="ent-a", period="2025", region="CN-East",
                            data_year=2025)
    totals = (mee_report(inv)["total_co2e_t"], ghg_protocol(inv)["total_location_co2e_t"],
              iso14064(inv)["total_co2e_t"])
    assert totals[0] == pytest.approx(totals[1], rel=1e-12)
    assert totals[1] == pytest.approx(totals[2], rel=1e-12)


def _row(**changes):
    row = {"record_id": "r1", "enterprise_id": "ent-a", "period_start": "2025-01-01",
           "period_end": "2026-01-01", "category": "combustion", "quantity": "1",
           "unit": "t", "fuel": "diesel"}
    row.update(changes)
    return row


def test_negative_fuel_use_names_the_record_field():
    with pytest.raises(InputError) as err:
        record_from_mapping(_row(quantity="-3"), path="a.csv", location="row 7")
    assert str(err.value) == "a.csv, row 7, field 'quantity': must be a finite number ≥ 0, got -3"


def test_unit_that_cannot_convert_names_the_record():
    record = record_from_mapping(_row(unit="km"))
    with pytest.raises(InputError, match="record 'r1'.*cannot be converted to GJ"):
        compute_inventory([record], enterprise_id="ent-a", period="2025", region="CN",
                          data_year=2025)


def test_missing_factor_for_region_names_the_record():
    record = record_from_mapping(_row(category="purchased_electricity", fuel="", unit="MWh",
                                      region="CN-XX"))
    with pytest.raises(InputError, match="record 'r1'"):
        compute_inventory([record], enterprise_id="ent-a", period="2025", region="CN",
                          data_year=2025)


def test_unknown_fuel_and_gas_name_the_record():
    for row in (_row(fuel="whale_oil"), _row(category="fugitive", fuel="", gas="HFC-999",
                                              unit="kg")):
        with pytest.raises(InputError, match="record 'r1'"):
            compute_inventory([record_from_mapping(row)], enterprise_id="ent-a",
                              period="2025", region="CN", data_year=2025)


def test_earlier_year_is_never_replaced_by_a_later_one():
    record = record_from_mapping(_row(category="purchased_electricity", fuel="", unit="MWh"))
    with pytest.raises(InputError, match="record 'r1'"):
        compute_inventory([record], enterprise_id="ent-a", period="2015", region="CN",
                          data_year=2015)


@pytest.fixture()
def store_and_park(make_store):
    park = parse_park(PARK, source="park.toml")
    store = make_store("s")
    store.save_park(park)
    yield store, park
    store.close()


def test_import_is_all_or_nothing(store_and_park, tmp_path):
    store, park = store_and_park
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    # row 6 (the 5th record) gets a negative quantity: the whole file is refused
    lines[5] = lines[5].replace(",purchased_electricity,1000,", ",purchased_electricity,-1,")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv, row 6, field 'quantity'"):
        import_activity(store, park, bad)
    assert store.query("SELECT count(*) AS n FROM activity_records")["n"][0] == 0
    assert import_activity(store, park, FIXTURE) == 10
    assert import_activity(store, park, FIXTURE) == 10  # re-import replaces, no duplicates
    assert store.query("SELECT count(*) AS n FROM activity_records")["n"][0] == 10


def test_unknown_enterprise_is_refused(store_and_park, tmp_path):
    store, park = store_and_park
    text = FIXTURE.read_text(encoding="utf-8").replace("ent-a", "ent-z")
    path = tmp_path / "z.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, field 'enterprise_id': unknown enterprise"):
        import_activity(store, park, path)


def test_metered_electricity_joins_the_ledger(store_and_park, tmp_path):
    from zeropark.ingest.load import ingest_file

    store, park = store_and_park
    csv = tmp_path / "m.csv"
    csv.write_text("timestamp,a-grid\n2025-03-01 00:00,400\n2025-03-01 01:00,600\n",
                   encoding="utf-8")
    ingest_file(store, park, csv)
    import_activity(store, park, FIXTURE)
    records = enterprise_records(store, park, "ent-a", start=date(2025, 1, 1),
                                 end=date(2026, 1, 1))
    metered = [r for r in records if r.record_id.startswith("meter:a-grid")]
    assert len(metered) == 1 and metered[0].quantity == 1000.0 and metered[0].unit == "kWh"
    inv = compute_inventory(records, enterprise_id="ent-a", period="2025", region="CN-East",
                            data_year=2025)
    # 1000 kWh metered + 1000 MWh from the bills: location-based 1.001 GWh × 0.55 t/MWh
    assert ghg_protocol(inv)["scope2_location_co2e_t"] == pytest.approx(1001 * 0.55 + 55.0,
                                                                        rel=1e-12)


def test_cli_inventory_json(store_and_park, tmp_path):
    store, park = store_and_park
    import_activity(store, park, FIXTURE)
    locator = store.locator
    store.close()
    park_file = tmp_path / "park.toml"
    park_file.write_text(PARK, encoding="utf-8")
    result = CliRunner().invoke(app, ["inventory", "ent-a", "--park", str(park_file),
                                      "--year", "2025", "--store",
                                      locator])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["ghg_protocol"]["scope2_market_co2e_t"] == pytest.approx(542.68, rel=1e-12)
    assert doc["region"] == "CN-East" and doc["gwp_set"] == "AR5"


def test_co2_shielding_gas_of_the_machinery_guideline():
    from zeropark.factors.process import shielding_gas_co2_mass_fraction

    # 2 t of an 80 % Ar / 20 % CO2 (by volume) gas: w = 0.2·44.009 / (0.8·39.95 + 0.2·44.009)
    w = shielding_gas_co2_mass_fraction({"Ar": 0.8, "CO2": 0.2})
    assert w == pytest.approx(0.2 * 44.009 / (0.8 * 39.95 + 0.2 * 44.009), rel=1e-12)
    record = record_from_mapping(_row(category="process", fuel="", material="shielding_gas",
                                      quantity="2", purity=str(w)))
    inv = compute_inventory([record], enterprise_id="ent-a", period="2025", region="CN",
                            data_year=2025)
    assert inv.lines[0].co2e_t == pytest.approx(2 * w, rel=1e-12)
    assert mee_report(inv)["items"][0]["item"] == "process"
