"""DuckDB physical layout (schema version 2): views, compact columns, migration, bytes on disk.

Only the embedded store has this layout; the shared store contract is tested on both
back-ends in ``test_ingest_store.py`` and ``test_derived.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from zeropark.errors import StoreError
from zeropark.model import Park, parse_park
from zeropark.store import _duckdb_schema
from zeropark.store._bulk import UNIT_NULL
from zeropark.store.duckdb import DuckDBStore

#: The version-1 layout, as zeropark up to schema version 1 created it.
V1_SCHEMA = """
CREATE TABLE parks (park_id VARCHAR PRIMARY KEY, name VARCHAR, timezone VARCHAR,
    model_toml VARCHAR, saved_at TIMESTAMP);
CREATE TABLE meters (park_id VARCHAR, meter_id VARCHAR, medium VARCHAR, quantity VARCHAR,
    unit VARCHAR, canonical_unit VARCHAR, kind VARCHAR, direction VARCHAR,
    building_id VARCHAR, enterprise_id VARCHAR, submeter_of VARCHAR, is_virtual BOOLEAN,
    PRIMARY KEY (park_id, meter_id));
CREATE TABLE ingest_files (park_id VARCHAR, sha256 VARCHAR, path VARCHAR, n_rows BIGINT,
    n_new BIGINT, ingested_at TIMESTAMP, PRIMARY KEY (park_id, sha256));
CREATE SEQUENCE reading_seq;
CREATE TABLE readings (park_id VARCHAR NOT NULL, meter_id VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL, value DOUBLE, value_raw DOUBLE, unit_raw VARCHAR, source VARCHAR,
    source_row BIGINT, ingested_at TIMESTAMP NOT NULL, seq BIGINT NOT NULL);
CREATE TABLE intervals (park_id VARCHAR NOT NULL, meter_id VARCHAR NOT NULL,
    interval_start TIMESTAMP NOT NULL, duration_s INTEGER NOT NULL, energy DOUBLE,
    estimated BOOLEAN NOT NULL, flags VARCHAR,
    PRIMARY KEY (park_id, meter_id, interval_start));
CREATE TABLE rollups (park_id VARCHAR NOT NULL, meter_id VARCHAR NOT NULL,
    period VARCHAR NOT NULL, period_start TIMESTAMP NOT NULL, energy DOUBLE,
    estimated_energy DOUBLE, n_intervals INTEGER, n_missing INTEGER,
    PRIMARY KEY (park_id, meter_id, period, period_start));
CREATE TABLE quality_issues (park_id VARCHAR NOT NULL, meter_id VARCHAR NOT NULL,
    code VARCHAR NOT NULL, severity VARCHAR, message VARCHAR, start_ts VARCHAR,
    end_ts VARCHAR, data_json VARCHAR);
CREATE TABLE derive_pending (park_id VARCHAR NOT NULL, meter_id VARCHAR NOT NULL,
    PRIMARY KEY (park_id, meter_id));
"""

#: Version-1 rows: (park, meter, ts, value, value_raw, unit_raw, source, source_row,
#: ingested_at, seq). `reg` is a saved meter with canonical unit kWh; `loose` is not saved.
V1_READINGS = [
    ("p", "reg", "2024-01-01 00:00", 10.0, 10.0, "kWh", "a.csv", 2, "2024-02-01 08:00", 1),
    ("p", "reg", "2024-01-01 00:15", 11.0, 0.011, "MWh", "a.csv", 3, "2024-02-01 08:00", 2),
    ("p", "reg", "2024-01-01 00:30", 12.0, None, None, None, None, "2024-02-01 09:00", 3),
    ("p", "loose", "2024-01-01 00:00", 1.0, 1.0, "kWh", "b.csv", 2, "2024-02-01 09:00", 4),
    ("q", "reg", "2024-01-01 00:00", 5.0, 5.0, "kWh", "a.csv", 2, "2024-02-01 08:00", 5),
]
V1_INTERVALS = [
    ("p", "reg", "2024-01-01 00:00", 900, 1.0, False, ""),
    ("p", "reg", "2024-01-01 00:15", 900, 1.0, True, "gap_estimated"),
    ("q", "reg", "2024-01-01 00:00", 900, None, False, ""),
]
V1_ROLLUPS = [
    ("p", "reg", "hour", "2024-01-01 00:00", 2.0, 1.0, 2, 0),
    ("p", "reg", "day", "2024-01-01 00:00", 2.0, 1.0, 2, 0),
]

PARK = """\
[park]
id = "p"
name = "Layout park"
timezone = "Asia/Shanghai"
{meters}
"""


def _park(meter_ids: list[str], unit: str = "kWh", medium: str = "electricity",
          quantity: str = "energy") -> Park:
    meters = "".join(f'\n[[meters]]\nid = "{m}"\nmedium = "{medium}"\nunit = "{unit}"\n'
                     f'quantity = "{quantity}"\nkind = "total_increasing"\n'
                     for m in meter_ids)
    return parse_park(PARK.format(meters=meters), source="park.toml")


def _v1_file(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute(V1_SCHEMA)
    con.execute("INSERT INTO meters VALUES ('p', 'reg', 'electricity', 'energy', 'kWh', "
                "'kWh', 'total_increasing', 'import', NULL, NULL, NULL, false)")
    con.executemany("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", V1_READINGS)
    con.executemany("INSERT INTO intervals VALUES (?, ?, ?, ?, ?, ?, ?)", V1_INTERVALS)
    con.executemany("INSERT INTO rollups VALUES (?, ?, ?, ?, ?, ?, ?, ?)", V1_ROLLUPS)
    con.execute("SELECT nextval('reading_seq') FROM range(5)").fetchall()
    con.close()


def _rows(store: DuckDBStore, sql: str) -> list[tuple[object, ...]]:
    return [tuple(None if isinstance(v, float) and np.isnan(v) else v for v in row)
            for row in store.con.execute(sql).fetchall()]


def _stamp(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).to_pydatetime()


# -- migration -------------------------------------------------------------------------------


def test_version_1_file_is_migrated_with_the_same_rows(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_duckdb_schema, "_MIGRATE_ROWS", 2)  # readings copied in 3 steps
    path = tmp_path / "v1.duckdb"
    _v1_file(path)
    with pytest.raises(StoreError, match="open it once read-write"):
        DuckDBStore(path, read_only=True)
    with DuckDBStore(path) as store:
        assert store.con.execute("SELECT version FROM schema_info").fetchall() == [(2,)]
        kinds = dict(store.con.execute(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_name "
            "IN ('readings', 'intervals', 'rollups')").fetchall())
        assert kinds == {"readings": "VIEW", "intervals": "VIEW", "rollups": "VIEW"}
        assert _rows(store, "SELECT * FROM readings ORDER BY seq") == [
            (p, m, _stamp(t), v, vr, u, s, sr, _stamp(i), q)
            for p, m, t, v, vr, u, s, sr, i, q in V1_READINGS]
        assert _rows(store, "SELECT * FROM intervals ORDER BY park_id, interval_start, "
                            "flags") == [(p, m, _stamp(t), d, e, est, f)
                                         for p, m, t, d, e, est, f in V1_INTERVALS]
        assert _rows(store, "SELECT * FROM rollups ORDER BY period DESC") == [
            (p, m, per, _stamp(t), e, ee, n, nm) for p, m, per, t, e, ee, n, nm in V1_ROLLUPS]
        # compact storage: repeated raw values and the canonical unit became NULL
        stored = store.con.execute(
            "SELECT d.value_raw, d.unit_raw FROM reading_data d JOIN meter_keys k USING "
            "(meter_key) WHERE k.park_id = 'p' AND k.meter_id = 'reg' ORDER BY d.seq"
        ).fetchall()
        assert stored[0] == (None, None)
        assert stored[1] == (0.011, "MWh")
        assert np.isnan(stored[2][0]) and stored[2][1] == UNIT_NULL
        # the whole-kWh values became integers (value NULL, value_int, value_scale 0)
        assert store.con.execute("SELECT count(*) FROM reading_data WHERE value IS NULL AND "
                                 "value_int IS NOT NULL AND value_scale = 0").fetchone() == (5,)
        assert store.con.execute("SELECT count(*) FROM ingest_batches").fetchone() == (4,)
        # new readings continue the sequence
        store.insert_readings("p", pd.DataFrame({
            "meter_id": ["reg"], "ts": [pd.Timestamp("2024-01-01 00:45", tz="UTC")],
            "value": [13.0], "value_raw": [13.0], "unit_raw": ["kWh"], "source": ["c.csv"],
            "source_row": [2]}))
        assert store.readings("p", "reg")["seq"].tolist() == [1, 2, 3, 6]
    with DuckDBStore(path, read_only=True) as store:  # migrated: read-only works now
        assert len(store.query("SELECT * FROM readings")) == 6


def test_big_tables_have_no_index_and_rows_are_stored_sorted(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        stamps = pd.date_range("2024-01-01", periods=3, freq="15min", tz="UTC")
        # time-major, meters out of key order: the store sorts by (meter key, ts)
        frame = pd.DataFrame({"meter_id": ["b", "a"] * 3, "ts": stamps.repeat(2),
                              "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "unit_raw": "kWh",
                              "source": "f.csv", "source_row": range(2, 8)})
        frame["value_raw"] = frame["value"]
        assert store.insert_readings("p", frame) is frame  # all new: the frame itself
        stored = store.con.execute("SELECT k.meter_id, d.value_int, d.seq FROM reading_data d "
                                   "JOIN meter_keys k USING (meter_key) ORDER BY d.rowid"
                                   ).fetchall()
        assert stored == [("b", 1, 1), ("b", 3, 3), ("b", 5, 5),
                          ("a", 2, 2), ("a", 4, 4), ("a", 6, 6)]
        constraints = store.con.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE table_name IN ('reading_data', "
            "'interval_data', 'rollup_data') AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
        ).fetchone()
        assert constraints == (0,)
        assert store.con.execute("SELECT count(*) FROM duckdb_indexes()").fetchone() == (0,)


# -- compact raw columns ----------------------------------------------------------------------


def test_views_give_back_raw_values_and_units(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.save_park(_park(["reg"]))
        stamps = pd.date_range("2024-01-01", periods=4, freq="15min", tz="UTC")
        store.insert_readings("p", pd.DataFrame({
            "meter_id": pd.Categorical(["reg"] * 4), "ts": stamps,
            "value": [1.0, 2000.0, 3.0, 4.0], "value_raw": [1.0, 2.0, np.nan, 4.0],
            "unit_raw": pd.Categorical(["kWh", "MWh", "kWh", None]),
            "source": pd.Categorical(["a.csv"] * 4), "source_row": [2, 3, 4, 5]}))
        stored = store.con.execute("SELECT value_raw, unit_raw FROM reading_data ORDER BY seq"
                                   ).fetchall()
        assert stored[0] == (None, None)  # equal to value / the canonical unit
        assert stored[1] == (2.0, "MWh")
        assert np.isnan(stored[2][0]) and stored[2][1] is None  # no raw value: NaN marker
        assert stored[3] == (None, UNIT_NULL)  # no unit although kWh is canonical
        view = store.readings("p", "reg")
        assert view["value_raw"].iloc[:2].tolist() == [1.0, 2.0]
        assert np.isnan(view["value_raw"].iloc[2])
        assert view["value_raw"].iloc[3] == 4.0
        assert view["unit_raw"].iloc[:3].tolist() == ["kWh", "MWh", "kWh"]
        assert pd.isna(view["unit_raw"].iloc[3])
        assert view["source"].tolist() == ["a.csv"] * 4

        # a new canonical unit (here: m³ for a gas meter) keeps the stored units exact
        store.save_park(_park(["reg"], unit="m3", medium="natural_gas", quantity="volume"))
        assert store.query("SELECT canonical_unit FROM meter_keys")["canonical_unit"].tolist(
            ) == ["m³"]
        assert store.readings("p", "reg")["unit_raw"].iloc[:3].tolist() == [
            "kWh", "MWh", "kWh"]


def test_categorical_and_str_frames_store_the_same_rows(tmp_path: Path) -> None:
    stamps = pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")
    plain = pd.DataFrame({"meter_id": ["x", "y", "x"], "ts": stamps, "value": [1.0, 2.0, 3.0],
                          "value_raw": [1.0, 2.0, 3.0], "unit_raw": ["kWh", "kWh", "Wh"],
                          "source": ["a.csv", "b.csv", "a.csv"], "source_row": [2, 2, 3]})
    typed = plain.astype({"meter_id": "category", "unit_raw": "category",
                          "source": "category"})
    got = []
    for frame in (plain, typed):
        with DuckDBStore(tmp_path / f"{len(got)}.duckdb") as store:
            store.insert_readings("p", frame)
            got.append(store.query("SELECT meter_id, ts, value, value_raw, unit_raw, source, "
                                   "source_row, seq FROM readings ORDER BY seq"))
            batches = store.query("SELECT source FROM ingest_batches ORDER BY batch_id")
            assert batches["source"].tolist() == ["a.csv", "b.csv"]
    pd.testing.assert_frame_equal(got[0], got[1])
    assert got[0]["unit_raw"].tolist() == ["kWh", "kWh", "Wh"]
    assert got[0]["seq"].tolist() == [1, 2, 3]


def _batch_id_types(store: DuckDBStore) -> list[tuple[object, ...]]:
    return _rows(store, "SELECT table_name, data_type FROM duckdb_columns() WHERE "
                        "column_name = 'batch_id' AND NOT internal ORDER BY 1")


def test_batch_ids_go_past_32_bits(tmp_path: Path) -> None:
    """Live ingest adds a batch per source and flush: ids must not stop at 2³¹ − 1."""
    stamps = pd.date_range("2024-01-01", periods=2, freq="h", tz="UTC")
    frame = pd.DataFrame({"meter_id": "x", "ts": stamps, "value": [1.0, 2.0],
                          "value_raw": [1.0, 2.0], "unit_raw": "kWh", "source": "mqtt",
                          "source_row": [1, 2]})
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        assert _batch_id_types(store) == [("ingest_batches", "BIGINT"),
                                          ("reading_data", "BIGINT")]
        store.con.execute("INSERT INTO ingest_batches VALUES (2147483647, 'p', 'old', NULL)")
        store.insert_readings("p", frame)
        assert _rows(store, "SELECT DISTINCT b.batch_id, r.source FROM readings r "
                            "JOIN ingest_batches b USING (source)") == [(2**31, "mqtt")]


def test_version_2_file_with_integer_batch_ids_is_widened(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    stamps = pd.date_range("2024-01-01", periods=2, freq="h", tz="UTC")
    frame = pd.DataFrame({"meter_id": "x", "ts": stamps, "value": [1.0, 2.0],
                          "value_raw": [1.0, 2.0], "unit_raw": "kWh", "source": "a.csv",
                          "source_row": [1, 2]})
    with DuckDBStore(path) as store:
        store.insert_readings("p", frame)
        before = store.query("SELECT * FROM readings ORDER BY seq")
    con = duckdb.connect(str(path))  # make it look like a file of the INTEGER layout
    con.execute("DROP VIEW readings")
    con.execute("ALTER TABLE reading_data ALTER COLUMN batch_id TYPE INTEGER")
    con.execute("CREATE TABLE old_batches AS SELECT * FROM ingest_batches")
    con.execute("DROP TABLE ingest_batches")
    con.execute("CREATE TABLE ingest_batches (batch_id INTEGER PRIMARY KEY, park_id VARCHAR, "
                "source VARCHAR, ingested_at TIMESTAMP)")
    con.execute("INSERT INTO ingest_batches SELECT * FROM old_batches")
    con.execute("DROP TABLE old_batches")
    con.close()
    with DuckDBStore(path) as store:
        assert _batch_id_types(store) == [("ingest_batches", "BIGINT"),
                                          ("reading_data", "BIGINT")]
        pd.testing.assert_frame_equal(store.query("SELECT * FROM readings ORDER BY seq"),
                                      before)
        assert not store.query("SELECT * FROM duckdb_tables() WHERE table_name LIKE "
                               "'zp_old%'").shape[0]


def test_missing_meter_or_timestamp_is_refused(tmp_path: Path) -> None:
    frame = pd.DataFrame({"meter_id": ["x", None], "ts": pd.to_datetime(["2024-01-01"] * 2,
                                                                         utc=True),
                          "value": 1.0, "value_raw": 1.0, "unit_raw": "kWh",
                          "source": "a.csv", "source_row": [2, 3]})
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        with pytest.raises(StoreError, match="meter_id"):
            store.insert_readings("p", frame)
        with pytest.raises(StoreError, match="no column source_row"):
            store.insert_readings("p", frame.drop(columns="source_row"))
        assert store.query("SELECT count(*) AS n FROM readings")["n"].iloc[0] == 0


# -- bytes on disk ----------------------------------------------------------------------------


def _register_year(n_meters: int, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """A year of 15-min register readings [kWh], read to 0.01 kWh, shape (n_meters, 35040)."""
    rng = np.random.default_rng(seed)
    steps = np.round(rng.gamma(2.0, 0.8, (n_meters, 96 * 365)), 2)
    register = np.round(1000.0 + np.cumsum(steps, axis=1), 2)
    ids = [f"m{k:02d}" for k in range(n_meters)]
    stamps = pd.date_range("2024-01-01", periods=96 * 365, freq="15min", tz="UTC")
    n = register.size
    frame = pd.DataFrame({
        "meter_id": pd.Categorical.from_codes(np.repeat(np.arange(n_meters), 96 * 365), ids),
        "ts": np.tile(stamps, n_meters), "value": register.ravel(),
        "value_raw": register.ravel(), "unit_raw": pd.Categorical.from_codes(
            np.zeros(n, dtype=int), ["kWh"]),
        "source": pd.Categorical.from_codes(np.zeros(n, dtype=int), ["year.csv"]),
        "source_row": np.arange(2, n + 2)})
    return frame, register


def test_a_year_of_register_data_takes_under_6_bytes_per_point(tmp_path: Path) -> None:
    """Issue 7: readings + 15-min intervals + hour/day rollups, 20 meters × 35,040 points.

    Measured 5.72 B/point with DuckDB 2.0.1 (64 KiB blocks), readings stored as integer
    hundredths of a kWh (6.47 B/point when they were DOUBLE); the file size includes
    every fixed cost (catalog, small tables, their indexes). The bound leaves 3 % for
    other DuckDB versions; the issue's target is 6.
    """
    n_meters = 20
    frame, register = _register_year(n_meters)
    ids = list(frame["meter_id"].cat.categories)
    energy = np.round(np.diff(register, axis=1), 2)  # exact 0.01 kWh steps [kWh]
    starts = pd.date_range("2024-01-01", periods=96 * 365 - 1, freq="15min").as_unit("ns").asi8
    intervals = pd.DataFrame({"meter_id": np.repeat(ids, len(starts)),
                              "interval_start": np.tile(starts, n_meters), "duration_s": 900,
                              "energy": energy.ravel(), "estimated": False, "flags": ""})
    local = pd.DatetimeIndex(starts, tz="UTC").tz_convert("Asia/Shanghai").tz_localize(None)
    keys = {"hour": np.tile(starts // 3_600_000_000_000 * 3_600_000_000_000, n_meters),
            "day": np.tile(local.floor("D").as_unit("ns").asi8, n_meters)}
    parts = []
    for period, key in keys.items():
        sums = (intervals.assign(period_start=key)
                .groupby(["meter_id", "period_start"], sort=True)["energy"]
                .agg(["sum", "count"]).reset_index())
        parts.append(pd.DataFrame({"meter_id": sums["meter_id"], "period": period,
                                   "period_start": sums["period_start"],
                                   "energy": sums["sum"].round(2), "estimated_energy": 0.0,
                                   "n_intervals": sums["count"], "n_missing": 0}))
    path = tmp_path / "year.duckdb"
    with DuckDBStore(path) as store:
        store.save_park(_park(ids))
        assert len(store.insert_readings("p", frame)) == len(frame) == 700_800
        store.write_derived("p", replace=ids, intervals=intervals,
                            rollups=pd.concat(parts, ignore_index=True),
                            issues=pd.DataFrame(), states=pd.DataFrame())
        assert store.query("SELECT count(*) AS n FROM rollups")["n"].iloc[0] == 20 * (
            24 * 365 + 366)  # 8,760 UTC hours; local days 1 Jan … 31 Dec 2024 (leap year)
        store.con.execute("CHECKPOINT")
        block = store.con.execute("SELECT block_size FROM pragma_database_size()").fetchone()
    assert block == (65536,)  # a new file gets 64 KiB blocks (DuckDB's default: 256 KiB)
    bytes_per_point = path.stat().st_size / len(frame)
    assert bytes_per_point < 5.9


@pytest.mark.slow
def test_bulk_insert_of_3_5_million_readings_is_fast(tmp_path: Path) -> None:
    """Issue 7 target: 100 meters × 1 year of 15-min readings well under 0.5 s (2 cores).

    The bound here is 1 s so that a busy CI machine does not fail it; the measured time
    on an idle 2-core machine is about 0.3 s.
    """
    frame, _ = _register_year(100)
    frame["meter_id"] = frame["meter_id"].cat.rename_categories(
        [f"m{k:03d}" for k in range(100)])
    with DuckDBStore(tmp_path / "bulk.duckdb") as store:
        store.save_park(_park(list(frame["meter_id"].cat.categories)))
        start = time.perf_counter()
        new = store.insert_readings("p", frame)
        elapsed = time.perf_counter() - start
    assert len(new) == 3_504_000
    assert elapsed < 1.0
