"""Ingest into a DuckDB store (ingest/load.py + store/duckdb.py): exact intervals and rollups.

Every expected value below is hand-computed from the readings written by the test.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from zeropark.errors import InputError, StoreError
from zeropark.ingest.files import read_meter_file
from zeropark.ingest.load import ingest_file, ingest_files
from zeropark.model import Park, parse_park
from zeropark.store.duckdb import DuckDBStore

PARK = """\
[park]
id = "p"
name = "Test park"
timezone = "{tz}"

[[buildings]]
id = "b1"
floor_area_m2 = 1000

[[meters]]
id = "reg"
medium = "electricity"
unit = "kWh"
kind = "total_increasing"
building = "b1"

[[meters]]
id = "tot"
medium = "electricity"
unit = "kWh"
kind = "total"

[[meters]]
id = "tot2"
medium = "electricity"
unit = "kWh"
kind = "total"

[[virtual_meters]]
id = "rest"
medium = "electricity"
terms = {{ tot = 1, tot2 = -1 }}
"""


def _park(tz: str = "Asia/Shanghai") -> Park:
    return parse_park(PARK.format(tz=tz), source="park.toml")


# `store` (conftest): a fresh store on DuckDB and on PostgreSQL (marker `postgres`).


def _write(path: Path, rows: list[tuple[str, str, float]]) -> Path:
    """A long CSV of (meter_id, timestamp, value) rows."""
    lines = ["meter_id,timestamp,value"] + [f"{m},{t},{v!r}" for m, t, v in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _count(store: DuckDBStore, park_id: str = "p") -> int:
    return int(store.query("SELECT count(*) AS n FROM readings WHERE park_id = ?",
                           [park_id])["n"].iloc[0])


def _utc(*stamps: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(s, tz="UTC") for s in stamps]


def _hours(start: str, periods: int) -> list[str]:
    """Naive local hour stamps as written in a file."""
    return [f"{t:%Y-%m-%d %H:%M}" for t in pd.date_range(start, periods=periods, freq="h")]


def _day(store: DuckDBStore, meter_id: str, day: str) -> pd.Series:
    roll = store.rollups("p", "day")
    row = roll[(roll["meter_id"] == meter_id) & (roll["period_start"] == pd.Timestamp(day))]
    assert len(row) == 1
    return row.iloc[0]


# -- re-loading and overlaps --------------------------------------------------------------


def test_reloading_the_same_file_is_a_no_op(tmp_path: Path, store: DuckDBStore) -> None:
    park = _park()
    path = _write(tmp_path / "a.csv", [("tot", t, 2.0) for t in _hours("2024-01-01", 4)])
    first = ingest_file(store, park, path)
    assert (first.files, first.skipped) == ((str(path),), ())
    assert (first.n_rows, first.n_new, first.meters, first.n_intervals) == (4, 4, ("tot",), 4)
    intervals = store.intervals("p")
    rollups = store.rollups("p", "day")

    again = ingest_file(store, park, path)
    assert (again.files, again.skipped) == ((), (str(path),))
    assert (again.n_rows, again.n_new, again.meters, again.n_intervals) == (0, 0, (), 0)
    assert _count(store) == 4
    assert_frame_equal(store.intervals("p"), intervals)
    assert_frame_equal(store.rollups("p", "day"), rollups)

    copy = tmp_path / "copy.csv"  # same bytes under another name: same SHA-256
    copy.write_bytes(path.read_bytes())
    assert ingest_file(store, park, copy).skipped == (str(copy),)
    assert _count(store) == 4


def test_overlapping_files_never_double_count(tmp_path: Path, store: DuckDBStore) -> None:
    park = _park()
    hours = _hours("2024-03-01", 18)
    values = [float(k + 1) for k in range(18)]  # 1, 2, ..., 18 kWh
    a = _write(tmp_path / "a.csv", [("tot", t, v) for t, v in zip(hours[:12], values[:12],
                                                                   strict=True)])
    b = _write(tmp_path / "b.csv", [("tot", t, v) for t, v in zip(hours[6:], values[6:],
                                                                   strict=True)])
    ingest_file(store, park, a)
    report = ingest_file(store, park, b)
    assert (report.n_rows, report.n_new) == (12, 6)
    assert _count(store) == 18
    iv = store.intervals("p", ["tot"])
    assert iv["energy"].tolist() == values
    assert not iv["estimated"].any()
    day = _day(store, "tot", "2024-03-01")
    assert day["energy"] == pytest.approx(171.0, rel=1e-12)  # 18 · 19 / 2
    assert (day["estimated_energy"], day["n_intervals"], day["n_missing"]) == (0.0, 18, 0)
    codes = set(store.quality_issues("p")["code"])
    assert "duplicate_conflict" not in codes


def test_conflicting_value_later_ingest_wins(tmp_path: Path, store: DuckDBStore) -> None:
    park = _park()
    hours = _hours("2024-03-01", 3)
    ingest_file(store, park, _write(tmp_path / "a.csv", [("tot", t, 5.0) for t in hours]))
    report = ingest_file(store, park, _write(tmp_path / "b.csv", [("tot", hours[1], 7.0)]))
    assert report.n_new == 1
    assert _count(store) == 4  # the raw readings keep both values
    iv = store.intervals("p", ["tot"])
    assert iv["interval_start"].tolist() == _utc("2024-02-29 16:00", "2024-02-29 17:00",
                                                 "2024-02-29 18:00")
    assert iv["energy"].tolist() == [5.0, 7.0, 5.0]
    assert _day(store, "tot", "2024-03-01")["energy"] == pytest.approx(17.0, rel=1e-12)
    issues = store.quality_issues("p")
    conflict = issues[issues["code"] == "duplicate_conflict"]
    assert len(conflict) == 1
    row = conflict.iloc[0]
    assert (row["meter_id"], row["severity"]) == ("tot", "warning")
    assert row["start_ts"] == "2024-02-29T17:00:00+00:00"
    assert json.loads(row["data_json"]) == {"values": [5.0, 7.0], "winner": 7.0}


def test_correction_back_to_an_earlier_value_wins(tmp_path: Path, store: DuckDBStore) -> None:
    park = _park()
    hours = _hours("2024-03-01", 3)
    ingest_file(store, park, _write(tmp_path / "a.csv", [("tot", t, 5.0) for t in hours]))
    ingest_file(store, park, _write(tmp_path / "b.csv", [("tot", hours[1], 7.0)]))
    # The third file re-sends 5.0: received last, so it should win.
    ingest_file(store, park, _write(tmp_path / "c.csv", [("tot", hours[1], 5.0),
                                                         ("tot", hours[2], 5.0)]))
    assert store.intervals("p", ["tot"])["energy"].tolist() == [5.0, 5.0, 5.0]


def test_resending_the_current_value_stores_nothing(tmp_path: Path, store: DuckDBStore) -> None:
    park = _park()
    hours = _hours("2024-03-01", 2)
    ingest_file(store, park, _write(tmp_path / "a.csv", [("tot", t, 5.0) for t in hours]))
    ingest_file(store, park, _write(tmp_path / "b.csv", [("tot", hours[0], 7.0)]))
    report = ingest_file(store, park, _write(tmp_path / "c.csv", [("tot", hours[0], 7.0),
                                                                  ("tot", hours[1], 5.0)]))
    assert (report.n_rows, report.n_new, report.meters) == (2, 0, ())
    assert _count(store) == 3
    assert store.intervals("p", ["tot"])["energy"].tolist() == [7.0, 5.0]


def test_last_row_of_a_file_wins_over_an_earlier_row(tmp_path: Path,
                                                     store: DuckDBStore) -> None:
    park = _park()
    hours = _hours("2024-03-01", 2)
    ingest_file(store, park, _write(tmp_path / "a.csv", [("tot", t, 5.0) for t in hours]))
    ingest_file(store, park, _write(tmp_path / "b.csv", [("tot", hours[0], 7.0),
                                                         ("tot", hours[0], 5.0)]))
    assert store.intervals("p", ["tot"])["energy"].tolist() == [5.0, 5.0]


# -- a late reading --------------------------------------------------------------------------


def test_late_readings_replace_the_estimate(tmp_path: Path, store: DuckDBStore) -> None:
    park = _park()
    hours = _hours("2024-01-01", 7)  # local 00:00 ... 06:00 = UTC 2023-12-31 16:00 ... 22:00
    starts = _utc(*[f"2023-12-31 {h}:00" for h in range(16, 22)])
    early = [(0, 0.0), (1, 1.0), (2, 2.0), (5, 5.0), (6, 6.0)]  # readings at 03, 04 missing
    ingest_file(store, park, _write(tmp_path / "a.csv", [("reg", hours[k], v) for k, v in early]))

    iv = store.intervals("p", ["reg"])
    assert iv["interval_start"].tolist() == starts
    assert iv["duration_s"].tolist() == [3600] * 6
    assert iv["energy"].tolist() == pytest.approx([1.0] * 6, rel=1e-12)
    assert iv["estimated"].tolist() == [False, False, True, True, True, False]
    assert iv["flags"].tolist() == ["", "", "gap_estimated", "gap_estimated", "gap_estimated",
                                    ""]
    hour = store.rollups("p", "hour")
    assert hour["period_start"].tolist() == [t.tz_localize(None) for t in starts]
    assert hour["energy"].tolist() == pytest.approx([1.0] * 6, rel=1e-12)
    assert hour["estimated_energy"].tolist() == [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    day = _day(store, "reg", "2024-01-01")
    assert (day["energy"], day["estimated_energy"], day["n_intervals"]) == (6.0, 3.0, 6)
    codes = store.quality_issues("p")["code"].tolist()
    assert codes == ["gap_estimated"]

    late = [(3, 3.0), (4, 4.5)]
    report = ingest_file(store, park, _write(tmp_path / "b.csv",
                                             [("reg", hours[k], v) for k, v in late]))
    assert (report.n_new, report.meters) == (2, ("reg",))
    iv = store.intervals("p", ["reg"])
    assert iv["interval_start"].tolist() == starts
    assert iv["energy"].tolist() == pytest.approx([1.0, 1.0, 1.0, 1.5, 0.5, 1.0], rel=1e-12)
    assert not iv["estimated"].any()
    assert iv["flags"].tolist() == [""] * 6
    hour = store.rollups("p", "hour")
    assert hour["energy"].tolist() == pytest.approx([1.0, 1.0, 1.0, 1.5, 0.5, 1.0], rel=1e-12)
    assert hour["estimated_energy"].tolist() == [0.0] * 6
    day = _day(store, "reg", "2024-01-01")
    assert (day["energy"], day["estimated_energy"], day["n_intervals"]) == (6.0, 0.0, 6)
    assert store.quality_issues("p").empty


# -- local calendar --------------------------------------------------------------------------


def test_dst_days_have_23_and_25_hours(tmp_path: Path, store: DuckDBStore) -> None:
    park = _park("Europe/London")
    rows = []
    for meter_id, first, last in (("tot", "2022-10-29", "2022-11-01"),
                                  ("tot2", "2022-03-26", "2022-03-29")):
        # 1 kWh every hour from local midnight `first` to local midnight `last`, written in UTC.
        starts = pd.date_range(pd.Timestamp(first, tz="Europe/London"),
                               pd.Timestamp(last, tz="Europe/London"), freq="h",
                               inclusive="left").tz_convert("UTC")
        rows += [(meter_id, t.isoformat(), 1.0) for t in starts]
    ingest_file(store, park, _write(tmp_path / "dst.csv", rows))

    roll = store.rollups("p", "day")
    got = {(r.meter_id, r.period_start.date().isoformat()): (r.energy, r.n_intervals)
           for r in roll.itertuples()}
    assert got == {
        ("tot", "2022-10-29"): (24.0, 24),
        ("tot", "2022-10-30"): (25.0, 25),  # clocks go back: 25 hours
        ("tot", "2022-10-31"): (24.0, 24),
        ("tot2", "2022-03-26"): (24.0, 24),
        ("tot2", "2022-03-27"): (23.0, 23),  # clocks go forward: 23 hours
        ("tot2", "2022-03-28"): (24.0, 24),
    }
    month = store.rollups("p", "month")
    got = {(r.meter_id, r.period_start.date().isoformat()): (r.energy, r.n_intervals)
           for r in month.itertuples()}
    assert got == {("tot", "2022-10-01"): (73.0, 73), ("tot2", "2022-03-01"): (71.0, 71)}
    year = store.rollups("p", "year")
    assert year["energy"].tolist() == [73.0, 71.0]
    assert year["period_start"].tolist() == [pd.Timestamp("2022-01-01")] * 2
    # The 25-hour day's first hour starts at 23:00 UTC the day before (BST, UTC+1).
    hour = store.rollups("p", "hour", pd.Timestamp("2022-10-29 23:00"),
                         pd.Timestamp("2022-10-31 00:00"))
    assert hour[hour["meter_id"] == "tot"]["energy"].sum() == 25.0


def test_day_rollup_by_local_day_in_shanghai(tmp_path: Path, store: DuckDBStore) -> None:
    park = _park("Asia/Shanghai")
    # A register read every 15 min from local 2024-05-01 00:00 to 2024-05-03 00:00:
    # +1 kWh per quarter-hour on 1 May (local), +2 kWh per quarter-hour on 2 May.
    stamps = pd.date_range("2024-05-01 00:00", "2024-05-03 00:00", freq="15min")
    value, rows = 0.0, []
    for t in stamps:
        rows.append(("reg", f"{t:%Y-%m-%d %H:%M}", value))
        value += 1.0 if t.day == 1 else 2.0
    ingest_file(store, park, _write(tmp_path / "sh.csv", rows))

    iv = store.intervals("p", ["reg"])
    assert len(iv) == 192
    assert set(iv["duration_s"]) == {900}
    assert iv["interval_start"].iloc[0] == pd.Timestamp("2024-04-30 16:00", tz="UTC")
    roll = store.rollups("p", "day")
    assert roll["period_start"].tolist() == [pd.Timestamp("2024-05-01"),
                                             pd.Timestamp("2024-05-02")]
    assert roll["energy"].tolist() == [96.0, 192.0]  # a UTC day would mix the two rates
    assert roll["n_intervals"].tolist() == [96, 96]
    hour = store.rollups("p", "hour")
    assert len(hour) == 48
    assert hour["period_start"].iloc[0] == pd.Timestamp("2024-04-30 16:00")  # UTC
    assert hour["energy"].iloc[0] == 4.0


# -- atomicity ------------------------------------------------------------------------------


def test_bad_row_stores_nothing(tmp_path: Path, store: DuckDBStore) -> None:
    park = _park()
    ingest_file(store, park, _write(tmp_path / "good.csv", [("tot", "2024-01-01 00:00", 1.0)]))
    before = _count(store)
    files_before = store.query("SELECT count(*) AS n FROM ingest_files")["n"].iloc[0]
    hours = _hours("2024-01-02", 6)
    path = tmp_path / "bad.csv"
    path.write_text(
        "meter_id,timestamp,value\n"
        + "".join(f"tot,{t},{'x' if k == 3 else 1}\n" for k, t in enumerate(hours)),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        ingest_file(store, park, path)
    assert str(info.value) == f"{path}, row 5, field 'value': value 'x' is not a number"
    assert _count(store) == before == 1
    assert store.query("SELECT count(*) AS n FROM ingest_files")["n"].iloc[0] == files_before
    assert len(store.intervals("p")) == 1


def test_failing_file_rolls_back_the_whole_batch(tmp_path: Path, store: DuckDBStore) -> None:
    park = _park()
    good = _write(tmp_path / "good.csv", [("tot", t, 1.0) for t in _hours("2024-01-01", 3)])
    bad = _write(tmp_path / "bad.csv", [("ghost", "2024-01-01 00:00", 1.0)])
    with pytest.raises(InputError):
        ingest_files(store, park, [good, bad], reader=lambda p: read_meter_file(p, park))
    assert _count(store) == 0
    assert store.intervals("p").empty
    assert store.park_ids() == []
    # The good file was not recorded, so it loads afterwards.
    assert ingest_file(store, park, good).n_new == 3


# -- the park in the store --------------------------------------------------------------------


def test_load_park_round_trip(make_store: Callable[..., DuckDBStore]) -> None:
    park = _park()
    with make_store("round_trip") as db:
        db.save_park(park)
    with make_store("round_trip") as db:
        path = db.path
        assert db.park_ids() == ["p"]
        loaded = db.load_park("p")
        meters = db.query("SELECT meter_id, medium, canonical_unit, kind, is_virtual "
                          "FROM meters ORDER BY meter_id")
        with pytest.raises(StoreError):
            db.load_park("absent")
    assert loaded.source == f"{path}#p"
    assert dataclasses.replace(loaded, source=park.source) == park
    assert loaded.source_text == park.source_text
    assert meters.values.tolist() == [
        ["reg", "electricity", "kWh", "total_increasing", False],
        ["rest", "electricity", "", "", True],
        ["tot", "electricity", "kWh", "total", False],
        ["tot2", "electricity", "kWh", "total", False],
    ]


def _states(store: DuckDBStore) -> list[str]:
    return store.derive_states("p", ["reg", "tot", "tot2"])["meter_id"].tolist()


def test_changed_derivation_settings_drop_the_meter_state(tmp_path: Path,
                                                          store: DuckDBStore) -> None:
    rows = [(m, t, v) for m in ("reg", "tot") for t, v in zip(
        _hours("2024-01-01", 4), (100.0, 101.0, 102.0, 103.0), strict=True)]
    ingest_file(store, _park(), _write(tmp_path / "part1.csv", rows))
    assert _states(store) == ["reg", "tot"]
    store.save_park(_park())  # the same model again: nothing changes
    assert _states(store) == ["reg", "tot"]
    rated = PARK.replace('kind = "total_increasing"\n',
                         'kind = "total_increasing"\nrated_power_kw = 50\n')
    store.save_park(parse_park(rated.format(tz="Asia/Shanghai"), source="park.toml"))
    assert _states(store) == ["tot"]  # only the meter whose settings changed starts over
    store.save_park(_park("Europe/London"))  # a new zone changes every local day
    assert _states(store) == []


def test_unparsable_stored_model_drops_every_state(tmp_path: Path, store: DuckDBStore) -> None:
    rows = [("tot", t, 1.0) for t in _hours("2024-01-01", 4)]
    ingest_file(store, _park(), _write(tmp_path / "a.csv", rows))
    assert _states(store) == ["tot"]
    with store.transaction():
        store.con.execute("UPDATE parks SET model_toml = ? WHERE park_id = ?",
                          ["[park\nbroken", "p"])
    store.save_park(_park())
    assert _states(store) == []
    assert store.load_park("p").source_text == _park().source_text


@pytest.fixture
def shanghai_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone is Asia/Shanghai (UTC+8) during the test."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_stored_stamps_are_utc_whatever_the_local_zone(
        tmp_path: Path, shanghai_local_time: None,
        make_store: Callable[..., DuckDBStore]) -> None:
    with make_store("local_zone") as store:
        store.save_park(_park())
        ingest_file(store, _park(), _write(tmp_path / "a.csv",
                                           [("tot", t, 1.0) for t in _hours("2024-01-01", 2)]))
        stamps = store.query(
            "SELECT (SELECT max(ingested_at) FROM readings) AS reading, "
            "(SELECT max(ingested_at) FROM ingest_files) AS file, "
            "(SELECT max(saved_at) FROM parks) AS park")
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    for column in stamps.columns:
        assert abs(pd.Timestamp(stamps[column].iloc[0]) - now) < pd.Timedelta(minutes=1), column
