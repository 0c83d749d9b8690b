"""``zeropark db compact``: a store rewritten sorted holds the same rows in fewer bytes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from zeropark.cli import app
from zeropark.errors import StoreError
from zeropark.ingest.derive import rederive
from zeropark.model import parse_park
from zeropark.store import DuckDBStore
from zeropark.store import compact as compact_module
from zeropark.store.compact import compact_store

N_METERS, N_DAYS = 40, 45
PARK = '[park]\nid = "p"\nname = "Compact"\ntimezone = "Asia/Shanghai"\n' + "".join(
    f'\n[[meters]]\nid = "m{k:02d}"\nmedium = "electricity"\nunit = "kWh"\n'
    'kind = "total_increasing"\n' for k in range(N_METERS))


def _live_store(path: Path) -> int:
    """Quarter-hour register readings of all meters written one day at a time (live-like)."""
    park = parse_park(PARK)
    rng = np.random.default_rng(5)
    steps = 96 * N_DAYS
    values = np.round(100.0 + np.cumsum(rng.gamma(2.0, 2.0, (N_METERS, steps)).round(2),
                                        axis=1), 2)
    ts = pd.date_range("2025-01-01", periods=steps, freq="15min", tz="UTC")
    with DuckDBStore(path) as store:
        store.save_park(park)
        for day in range(N_DAYS):
            cols = slice(96 * day, 96 * (day + 1))
            frame = pd.DataFrame({
                "meter_id": np.repeat([f"m{k:02d}" for k in range(N_METERS)], 96),
                "ts": np.tile(ts[cols], N_METERS), "value": values[:, cols].ravel(),
                "value_raw": values[:, cols].ravel(), "unit_raw": "kWh",
                "source": "mqtt", "source_row": np.arange(96 * N_METERS)})
            frame = frame.sort_values(["ts", "meter_id"])  # gateways send time-first
            with store.transaction():
                new = store.insert_readings("p", frame)
                rederive(store, park, sorted(new["meter_id"].unique()))
    return values.size


def _contents(path: Path) -> dict[str, pd.DataFrame]:
    with DuckDBStore(path) as store:
        return {t: store.query(f"SELECT * FROM {t} ORDER BY ALL")
                for t in ("readings", "intervals", "rollups", "meters", "parks")}


def test_compact_keeps_every_row_and_shrinks_the_file(tmp_path: Path) -> None:
    path = tmp_path / "live.duckdb"
    points = _live_store(path)
    before = _contents(path)
    report = compact_store(path)
    after = _contents(path)
    for table, frame in before.items():
        pd.testing.assert_frame_equal(after[table], frame, obj=table)
    assert report.after == path.stat().st_size
    # Measured here: 26.2 -> 19.0 bytes per point for 172,800 points (a store this small
    # is mostly fixed per-table blocks; see benchmarks/ingest.py for the large case).
    assert report.after < 0.8 * report.before, (report, points)
    assert not (tmp_path / "live.duckdb.compact").exists()
    # The compacted store keeps working: states survive and a new day appends.
    with DuckDBStore(path) as store:
        states = store.derive_states("p", ["m00", "m39"])
        assert states["appendable"].all()


def test_cli_compact(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with DuckDBStore(path) as store:
        store.save_park(parse_park(PARK))
    result = CliRunner().invoke(app, ["db", "compact", "--store", str(path)])
    assert result.exit_code == 0, result.output
    assert "bytes" in result.output


def test_compact_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store file"):
        compact_store(tmp_path / "nope.duckdb")


def _small_store(path: Path) -> None:
    """A store with one park and a day of two meters' hourly readings, derived."""
    park = parse_park(PARK)
    ts = pd.date_range("2025-01-01", periods=24, freq="h", tz="UTC")
    frame = pd.DataFrame({"meter_id": np.repeat(["m00", "m01"], 24), "ts": np.tile(ts, 2),
                          "value": np.arange(48.0), "value_raw": np.arange(48.0),
                          "unit_raw": "kWh", "source": "a.csv", "source_row": np.arange(48)})
    with DuckDBStore(path) as store, store.transaction():
        store.save_park(park)
        store.insert_readings("p", frame)
        rederive(store, park, ["m00", "m01"])


def test_compact_refuses_a_duckdb_file_that_is_no_store(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (id INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="other.duckdb.*not a zeropark store"):
        compact_store(path)
    con = duckdb.connect(str(path), read_only=True)
    tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    con.close()
    assert tables == [("sales",)]  # nothing was created in it
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    with pytest.raises(StoreError, match="empty.duckdb"):
        compact_store(empty)
    assert empty.stat().st_size == 0


def _can_open_elsewhere(path: Path) -> bool:
    """Whether another process can open `path` for writing now (DuckDB's file lock)."""
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    return subprocess.run([sys.executable, "-c", code, str(path)],
                          capture_output=True).returncode == 0


def test_swap_happens_under_the_lock_with_views_in_place(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.duckdb"
    _small_store(path)
    rows = _contents(path)
    seen: dict[str, object] = {}
    real_replace = os.replace

    def replace(src: str | Path, dst: str | Path) -> None:
        seen["locked"] = not _can_open_elsewhere(Path(dst))
        con = duckdb.connect(str(src), read_only=True)  # the new file on its own
        try:
            seen["readings"] = con.execute("SELECT count(*) FROM readings").fetchall()
            seen["views"] = sorted(r[0] for r in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall())
        finally:
            con.close()
        real_replace(src, dst)

    monkeypatch.setattr(compact_module.os, "replace", replace)
    compact_store(path)
    assert seen == {"locked": True, "readings": [(48,)],
                    "views": ["intervals", "readings", "rollups"]}
    for table, frame in _contents(path).items():
        pd.testing.assert_frame_equal(frame, rows[table], obj=table)


def test_compact_keeps_the_mode_and_the_link(tmp_path: Path) -> None:
    target = tmp_path / "data" / "s.duckdb"
    target.parent.mkdir()
    _small_store(target)
    target.chmod(0o640)
    link = tmp_path / "store.duckdb"
    link.symlink_to(target)
    rows = _contents(target)
    compact_store(link)
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.rglob("*") if not p.is_dir()) == ["s.duckdb",
                                                                           "store.duckdb"]
    for table, frame in _contents(target).items():
        pd.testing.assert_frame_equal(frame, rows[table], obj=table)


def test_before_is_the_size_of_the_file_as_given(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))  # a version-1 file: migrated by compacting
    con.execute("CREATE TABLE parks (park_id VARCHAR PRIMARY KEY, name VARCHAR, "
                "timezone VARCHAR, model_toml VARCHAR, saved_at TIMESTAMP)")
    con.execute("CREATE TABLE meters (park_id VARCHAR, meter_id VARCHAR, medium VARCHAR, "
                "quantity VARCHAR, unit VARCHAR, canonical_unit VARCHAR, kind VARCHAR, "
                "direction VARCHAR, building_id VARCHAR, enterprise_id VARCHAR, "
                "submeter_of VARCHAR, is_virtual BOOLEAN, PRIMARY KEY (park_id, meter_id))")
    con.execute("CREATE TABLE readings (park_id VARCHAR, meter_id VARCHAR, ts TIMESTAMP, "
                "value DOUBLE, value_raw DOUBLE, unit_raw VARCHAR, source VARCHAR, "
                "source_row BIGINT, ingested_at TIMESTAMP, seq BIGINT)")
    con.execute("CREATE TABLE intervals (park_id VARCHAR, meter_id VARCHAR, "
                "interval_start TIMESTAMP, duration_s INTEGER, energy DOUBLE, "
                "estimated BOOLEAN, flags VARCHAR)")
    con.execute("CREATE TABLE rollups (park_id VARCHAR, meter_id VARCHAR, period VARCHAR, "
                "period_start TIMESTAMP, energy DOUBLE, estimated_energy DOUBLE, "
                "n_intervals INTEGER, n_missing INTEGER)")
    con.execute("INSERT INTO readings VALUES ('p', 'm00', '2025-01-01', 1.0, 1.0, 'kWh', "
                "'a.csv', 2, '2025-01-02', 1)")
    con.close()
    size = path.stat().st_size
    report = compact_store(path)
    assert report.before == size
    with DuckDBStore(path, read_only=True) as store:
        assert store.query("SELECT meter_id, value FROM readings").values.tolist() == [
            ["m00", 1.0]]
