"""Lake export/import: Hive layout, DuckDB reading it in place, round trip on both back-ends."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from typer.testing import CliRunner

from zeropark.cli import app
from zeropark.lake.parquet import export_lake, import_lake, read_table
from zeropark.lake.synthetic import load_city, make_city
from zeropark.store import DuckDBStore


@pytest.fixture(scope="module")
def city():
    return make_city(2, 4, days=3, start="2024-02-28")  # crosses a month end


def test_layout_is_hive_park_year_month(city, tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "a.duckdb") as db:
        load_city(db, city)
        report = export_lake(db, tmp_path / "lake")
    assert report.n_readings == city.n_readings
    folders = sorted(str(p.relative_to(tmp_path / "lake" / "readings"))
                     for p in (tmp_path / "lake" / "readings").glob("*/*/*"))
    # park00 is Asia/Shanghai: local 28 Feb 00:00 is UTC 27 Feb 16:00; park01 London
    assert folders == ["park=park00/year=2024/month=2", "park=park00/year=2024/month=3",
                       "park=park01/year=2024/month=2", "park=park01/year=2024/month=3"]
    readings = read_table(tmp_path / "lake", "readings", park_id="park00")
    assert str(readings["ts"].dtype) == "datetime64[us, UTC]"
    assert len(readings) == len(city.readings["park00"])


def test_duckdb_queries_the_lake_in_place(city, tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "a.duckdb") as db:
        load_city(db, city)
        export_lake(db, tmp_path / "lake")
    with DuckDBStore(tmp_path / "empty.duckdb") as other:
        assert other.attach_lake(tmp_path / "lake") == ["lake_readings", "lake_intervals",
                                                        "lake_rollups", "lake_parks"]
        n = other.query("SELECT park, month, count(*) AS n FROM lake_readings "
                        "WHERE year = 2024 GROUP BY ALL ORDER BY ALL")
        day = other.query("SELECT meter_id, period_start, energy FROM lake_rollups "
                          "WHERE park = ? AND period = 'day' ORDER BY 1, 2", ["park01"])
    expected = pd.concat([f.assign(park=p) for p, f in city.readings.items()])
    expected = expected.groupby(["park", expected["ts"].dt.month]).size()
    assert n["n"].tolist() == expected.tolist()
    with DuckDBStore(tmp_path / "a.duckdb", read_only=True) as db:
        ours = db.rollups("park01", "day")[["meter_id", "period_start", "energy"]]
    assert_frame_equal(day, ours, check_dtype=False)


def test_round_trip_through_the_lake(city, make_store, tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "a.duckdb") as db:
        load_city(db, city)
        export_lake(db, tmp_path / "lake")
        before = {p.park_id: db.intervals(p.park_id) for p in city.parks}
    with make_store("target") as target:
        report = import_lake(target, tmp_path / "lake")
        assert report.n_readings == city.n_readings
        assert import_lake(target, tmp_path / "lake").n_readings == 0  # nothing twice
        for park in city.parks:
            after = target.intervals(park.park_id)
            assert_frame_equal(after, before[park.park_id], check_dtype=False)


def test_cli_export_and_import(city, tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "a.duckdb") as db:
        load_city(db, city)
    runner = CliRunner()
    out = runner.invoke(app, ["lake", "export", str(tmp_path / "lake"), "--store",
                              str(tmp_path / "a.duckdb")])
    assert out.exit_code == 0, out.output
    assert f"{city.n_readings} readings" in out.output
    back = runner.invoke(app, ["lake", "import", str(tmp_path / "lake"), "--store",
                               f"duckdb:///{tmp_path}/b.duckdb"])
    assert back.exit_code == 0, back.output
    with DuckDBStore(tmp_path / "b.duckdb", read_only=True) as db:
        assert db.park_ids() == ["park00", "park01"]
