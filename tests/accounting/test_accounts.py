"""Park accounts on a small store: signs, gas by volume, media left out, factor fallbacks."""

from datetime import date
from pathlib import Path

import pytest

from zeropark.accounting.options import options_for
from zeropark.accounting.report import energy_accounts, park_summary
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

[[buildings]]
id = "b1"

[[meters]]
id = "grid"
medium = "electricity"
unit = "kWh"
kind = "total"
resolution = "1h"

[[meters]]
id = "feed"
medium = "electricity"
unit = "kWh"
kind = "total"
direction = "export"
resolution = "1h"

[[meters]]
id = "pv"
medium = "pv"
unit = "kWh"
kind = "total"
direction = "export"
resolution = "1h"

[[meters]]
id = "gas"
medium = "natural_gas"
quantity = "volume"
unit = "m3"
kind = "total"
building = "b1"
resolution = "1h"

[[meters]]
id = "chw"
medium = "chilled_water"
unit = "kWh"
kind = "total"
resolution = "1h"
"""


@pytest.fixture()
def loaded(tmp_path: Path, make_store):
    (tmp_path / "park.toml").write_text(PARK, encoding="utf-8")
    park = read_park(tmp_path / "park.toml")
    csv = tmp_path / "r.csv"
    csv.write_text("timestamp,grid,feed,pv,gas,chw\n"
                   "2024-01-01 00:00,10,2,5,1,100\n"
                   "2024-01-01 01:00,10,2,5,1,100\n", encoding="utf-8")
    store = make_store("s")
    ingest_file(store, park, csv)
    yield store, park
    store.close()


def _by_medium(rows):
    return {r["medium"]: r for r in rows}


def test_signs_gas_volume_and_media_left_out(loaded):
    store, park = loaded
    rows = _by_medium(energy_accounts(store, park, start=date(2024, 1, 1),
                                      end=date(2024, 1, 2), by="medium",
                                      options=options_for(park)))
    # grid import 20 kWh − export 4 kWh; PV generation counts as a source (+10 kWh)
    assert rows["electricity"]["energy_kwh"] == pytest.approx(16.0, rel=1e-12)
    assert rows["pv"]["energy_kwh"] == pytest.approx(10.0, rel=1e-12)
    # 2 m³ × 389.31 GJ/10⁴ Nm³ (NDRC 2015 工业其他行业 guideline default NCV) / 0.0036 GJ/kWh
    assert rows["natural_gas"]["energy_kwh"] == pytest.approx(2 * 389.31 / 1e4 / 0.0036,
                                                              abs=5e-5)
    # chilled water is not an energy carrier of the accounts (its electricity is metered)
    assert "chilled_water" not in rows
    # CO2: electricity 16 kWh × 0.5500 kg/kWh (MEE/NBS 2023 East China);
    # gas E = FC·NCV·CC·OF·44/12 = 2e-4 × 389.31 × 0.0153 × 0.99 × 44/12 t
    assert rows["electricity"]["co2e_t"] == pytest.approx(0.0088, abs=5e-5)
    assert rows["natural_gas"]["co2e_t"] == pytest.approx(
        2e-4 * 389.31 * 0.0153 * 0.99 * 44 / 12, abs=5e-5)
    assert rows["pv"]["co2e_t"] == 0.0
    # tce: GB/T 2589-2020, electricity 0.1229 kgce/kWh, gas NCV ÷ 29 307 kJ/kgce
    assert rows["natural_gas"]["tce"] == pytest.approx(2 * 389.31 / 1e4 / 29.307, abs=5e-5)


def test_building_grouping_counts_the_gas_meter(loaded):
    store, park = loaded
    rows = energy_accounts(store, park, start=date(2024, 1, 1), end=date(2024, 1, 2),
                           by="building", options=options_for(park))
    assert [(r["group"], r["medium"]) for r in rows] == [("b1", "natural_gas")]


def test_bad_grouping_and_period_are_errors(loaded):
    store, park = loaded
    with pytest.raises(ValueError, match="unknown grouping"):
        energy_accounts(store, park, start=date(2024, 1, 1), end=date(2024, 1, 2), by="floor",
                        options=options_for(park))
    with pytest.raises(ValueError, match="must be after"):
        energy_accounts(store, park, start=date(2024, 1, 2), end=date(2024, 1, 1),
                        by="medium", options=options_for(park))


def test_hourly_factor_gaps_are_counted_not_silent(loaded, tmp_path):
    store, park = loaded
    intensity = tmp_path / "ci.csv"
    # covers only the first local hour (2023-12-31 16:00 UTC); the second uses the mean
    intensity.write_text("datetime,kg\n2023-12-31 16:00:00,0.2\n", encoding="utf-8")
    text = PARK.replace('grid_factor = "cn_grid_mee_2023_east"',
                        'grid_intensity_files = ["ci.csv"]')
    (tmp_path / "park2.toml").write_text(text, encoding="utf-8")
    park2 = read_park(tmp_path / "park2.toml")  # relative path: next to the park file
    summary = park_summary(store, park2, year=2024, options=options_for(park2))
    assert summary["factor_fallback_intervals"] == 2  # grid and feed, second hour each
    elec = _by_medium(summary["media"])["electricity"]
    assert elec["co2e_t"] == pytest.approx(16 * 0.2 / 1000, abs=5e-5)


def test_summary_reports_the_hours_and_factor(loaded):
    store, park = loaded
    summary = park_summary(store, park, year=2024, options=options_for(park))
    assert summary["years"] == [2024]
    assert summary["factors"][0]["factor_id"] == "cn_grid_mee_2023_east"
    assert summary["factor_fallback_intervals"] == 0
    assert summary["n_meters"] == 5 and summary["n_buildings"] == 1


def test_daily_energy_converts_gas_and_counts_pv_positive(loaded):
    from zeropark.accounting.report import daily_energy

    store, park = loaded
    daily = daily_energy(store, park, year=2024)
    day = daily["dates"].index("2024-01-01")
    series = {s["medium"]: s for s in daily["series"]}
    assert series["pv"]["measured_kwh"][day] == 10.0
    assert series["electricity"]["measured_kwh"][day] == 16.0
    assert series["natural_gas"]["measured_kwh"][day] == pytest.approx(
        2 * 389.31 / 1e4 / 0.0036, abs=5e-4)  # rounded to 3 decimals in the API


def test_by_meter_includes_gas_by_volume(loaded):
    store, park = loaded
    rows = energy_accounts(store, park, start=date(2024, 1, 1), end=date(2024, 1, 2),
                           by="meter", options=options_for(park))
    assert [r["group"] for r in rows] == ["grid", "feed", "pv", "gas"]


def test_store_refuses_a_file_that_is_not_duckdb(tmp_path):
    from zeropark.errors import StoreError

    victim = tmp_path / "readings.csv"
    victim.write_text("timestamp,a\n2024-01-01,1\n", encoding="utf-8")
    with pytest.raises(StoreError, match="is not a DuckDB store"):
        DuckDBStore(victim)
    assert victim.read_text(encoding="utf-8") == "timestamp,a\n2024-01-01,1\n"
