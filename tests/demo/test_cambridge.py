"""The demo park on the real Cambridge estate data (needs ZEROPARK_DATA_DIR).

Expected values are computed here straight from the archive's CSV files with the
standard library, independently of zeropark's readers and counters.
"""

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zeropark.accounting.options import options_for
from zeropark.accounting.report import park_summary
from zeropark.cli import app
from zeropark.demo.cambridge import load_demo
from zeropark.store import DuckDBStore

BUILDINGS = "building_data/processed_data"


def _archive(root: Path, folder: str, year: int) -> dict[str, list[float]]:
    out = {}
    for path in sorted((root / BUILDINGS).glob(f"UCam_Building_b*/{folder}/{year}.csv")):
        with open(path, encoding="utf-8") as handle:
            rows = list(csv.reader(handle))[1:]
        out[path.parts[-3].removeprefix("UCam_Building_")] = [float(r[1]) for r in rows]
    return out


def _zero_runs(values: list[float]) -> int:
    runs, inside = 0, False
    for v in values:
        if v == 0.0 and not inside:
            runs += 1
        inside = v == 0.0
    return runs


@pytest.fixture(scope="module")
def summary_2022(demo_store):
    path, park, _ = demo_store
    with DuckDBStore(path) as store:
        return park_summary(store, park, year=2022, options=options_for(park))


def test_demo_park_has_29_buildings_and_58_meters(demo_store):
    _, park, report = demo_store
    assert len(park.buildings) == 29
    assert len(park.meters) == 58
    assert report.n_new == 58 * 2 * 8760  # two years of hourly values per meter


def test_measured_energy_equals_the_archive_sums(cambridge_root, summary_2022):
    media = {m["medium"]: m for m in summary_2022["media"]}
    elec = _archive(cambridge_root, "electricity", 2022)
    gas = _archive(cambridge_root, "gas", 2022)
    # Zeros in electricity are gaps (not readings), so measured = sum of all values either way.
    assert media["electricity"]["measured_kwh"] == pytest.approx(
        sum(map(sum, elec.values())), rel=1e-9)
    assert media["natural_gas"]["measured_kwh"] == pytest.approx(
        sum(map(sum, gas.values())), rel=1e-9)
    assert media["natural_gas"]["estimated_kwh"] == 0.0


def test_every_electricity_zero_run_is_a_flagged_gap(cambridge_root, demo_store):
    path, park, _ = demo_store
    runs = sum(_zero_runs(v) for year in (2021, 2022)
               for v in _archive(cambridge_root, "electricity", year).values())
    with DuckDBStore(path) as store:
        issues = store.quality_issues(park.park_id)
    gaps = issues[issues["code"] == "zero_run_gap"]
    assert len(gaps) == runs
    assert set(gaps["meter_id"].str.endswith("-elec")) == {True}


def test_filled_gaps_are_estimated_and_sum_to_the_estimate(demo_store, summary_2022):
    path, park, _ = demo_store
    with DuckDBStore(path) as store:
        frame = store.query(
            "SELECT sum(energy) AS e FROM intervals WHERE park_id = ? AND estimated "
            "AND meter_id LIKE '%-elec' AND interval_start >= '2022-01-01' "
            "AND interval_start < '2023-01-01'", [park.park_id])
    media = {m["medium"]: m for m in summary_2022["media"]}
    assert media["electricity"]["estimated_kwh"] > 0
    assert media["electricity"]["estimated_kwh"] == pytest.approx(float(frame["e"][0]),
                                                                  rel=1e-9)


def test_gas_co2_follows_the_ndrc_formula_on_net_cv(summary_2022):
    gas = {m["medium"]: m for m in summary_2022["media"]}["natural_gas"]
    # E = Q_gross × 0.9 (NCV/GCV, IPCC 2006 Vol. 2 Ch. 1) × 0.0036 GJ/kWh × 0.0153 tC/GJ
    #     × 0.99 × 44/12 (NDRC 2015 工业其他行业 guideline, natural-gas defaults)
    expected = gas["measured_kwh"] * 0.9 * 0.0036 * 0.0153 * 0.99 * 44 / 12
    assert gas["co2e_t"] == pytest.approx(expected, rel=1e-6)


def test_electricity_co2_uses_the_hourly_grid_intensity(cambridge_root, demo_store,
                                                         summary_2022):
    path, park, _ = demo_store
    grid_file = cambridge_root / "aux_data/NationalGridESO Carbon Intensity Data/processed_data"
    with open(grid_file / "2022.csv", encoding="utf-8") as handle:
        intensity = {r[0]: float(r[1]) for r in list(csv.reader(handle))[1:]}
    with DuckDBStore(path) as store:
        rows = store.query(
            "SELECT strftime(interval_start, '%Y-%m-%d %H:%M:%S') AS h, sum(energy) AS e "
            "FROM intervals WHERE park_id = ? AND meter_id LIKE '%-elec' "
            "AND interval_start >= '2022-01-01' AND interval_start < '2023-01-01' GROUP BY 1",
            [park.park_id])
    expected = sum(e * intensity[h] for h, e in zip(rows["h"], rows["e"], strict=True)) / 1000
    elec = {m["medium"]: m for m in summary_2022["media"]}["electricity"]
    # the summary rounds to 4 decimals: tolerance half the last digit
    assert elec["co2e_t"] == pytest.approx(expected, rel=0, abs=5e-5)


def test_tce_uses_gbt2589_coefficients(summary_2022):
    media = {m["medium"]: m for m in summary_2022["media"]}
    # GB/T 2589-2020: electricity 0.1229 kgce/kWh (当量值); gas: kWh × 0.9 × 3600/29307 kgce
    assert media["electricity"]["tce"] == pytest.approx(
        media["electricity"]["energy_kwh"] * 0.1229 / 1000, rel=1e-6)
    assert media["natural_gas"]["tce"] == pytest.approx(
        media["natural_gas"]["energy_kwh"] * 0.9 * 3600 / 29307 / 1000, rel=1e-6)


def test_loading_the_demo_again_is_a_no_op(cambridge_root, demo_store):
    path, _, _ = demo_store
    with DuckDBStore(path) as store:
        before = store.query("SELECT count(*) AS n FROM readings")["n"][0]
        _, report = load_demo(store, cambridge_root)
        after = store.query("SELECT count(*) AS n FROM readings")["n"][0]
    assert report.n_new == 0
    assert len(report.skipped) == 116
    assert after == before


def test_cli_demo_json(cambridge_root, tmp_path, monkeypatch):
    monkeypatch.setenv("ZEROPARK_DATA_DIR", str(cambridge_root.parent))
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--json", "--store",
                                      str(tmp_path / "d.duckdb")])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["year"] == 2022
    assert doc["n_buildings"] == 29 and doc["n_meters"] == 58
    for medium in doc["media"]:
        assert {"measured_kwh", "estimated_kwh", "tce", "co2e_t"} <= set(medium)
    assert doc["factors"][0]["factor_id"] == "grid_intensity_hourly"
    assert doc["quality"]["zero_run_gap"] == doc["quality"]["gap_filled"] > 0


def test_quality_counts_are_per_year(demo_store):
    from zeropark.accounting.accounts import quality_counts
    from zeropark.demo.cambridge import PARK_ID

    path, park, _ = demo_store
    with DuckDBStore(path) as store:
        total = quality_counts(store, park)
        y2021 = quality_counts(store, park, start=date(2021, 1, 1), end=date(2022, 1, 1))
        y2022 = quality_counts(store, park, start=date(2022, 1, 1), end=date(2023, 1, 1))
        n = store.query("SELECT count(*) AS n FROM quality_issues WHERE park_id = ?",
                        [PARK_ID])["n"][0]
    assert sum(total.values()) == n
    # findings spanning New Year count in both years, so the years cover the total
    assert sum(y2021.values()) + sum(y2022.values()) >= n
    assert y2021 != y2022
