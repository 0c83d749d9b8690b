"""Store methods of the incremental derivation: readings_frame, write_derived, derive_states.

They run on DuckDB and, with ZEROPARK_TEST_POSTGRES_URL set, on PostgreSQL (``store``
fixture in tests/conftest.py). Every expected value is written out from the rows the
test stores.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from zeropark.errors import StoreError

T0 = pd.Timestamp("2024-03-01 00:00", tz="UTC")
QUARTER = pd.Timedelta(minutes=15)


def _ns(*stamps: pd.Timestamp) -> list[int]:
    """Nanoseconds since the UTC epoch."""
    return [int(t.value) for t in stamps]


def _readings(rows: list[tuple[str, pd.Timestamp, float, int]]) -> pd.DataFrame:
    """An insert_readings frame from (meter_id, ts, value, source_row) rows."""
    meter_id, ts, value, source_row = zip(*rows, strict=True)
    return pd.DataFrame({
        "meter_id": list(meter_id), "ts": pd.DatetimeIndex(ts), "value": list(value),
        "value_raw": list(value), "unit_raw": "kWh", "source": "a.csv",
        "source_row": list(source_row),
    })


def _intervals(meter_id: str, first: int, energies: list[float]) -> pd.DataFrame:
    """Quarter-hour intervals of one meter from T0 + first·15 min, energies in kWh."""
    starts = [T0 + (first + k) * QUARTER for k in range(len(energies))]
    return pd.DataFrame({"meter_id": meter_id, "interval_start": _ns(*starts),
                         "duration_s": 900, "energy": energies, "estimated": False,
                         "flags": ""})


def _rollups(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """Rollup rows (meter_id, period, naive period start, energy)."""
    return pd.DataFrame({
        "meter_id": [r[0] for r in rows], "period": [r[1] for r in rows],
        "period_start": _ns(*(pd.Timestamp(r[2]) for r in rows)),
        "energy": [r[3] for r in rows], "estimated_energy": 0.0, "n_intervals": 4,
        "n_missing": 0,
    })


def _issue(meter_id: str, code: str) -> pd.DataFrame:
    return pd.DataFrame({"meter_id": [meter_id], "code": [code], "severity": ["warning"],
                         "message": [f"{code} on {meter_id}"], "start_ts": [T0.isoformat()],
                         "end_ts": [None], "data_json": ["{}"]})


def _state(meter_id: str, last_seq: int, last_value: float, appendable: bool) -> pd.DataFrame:
    return pd.DataFrame({"meter_id": [meter_id], "last_seq": [last_seq],
                         "last_ts": _ns(T0 + 3 * QUARTER), "last_value": [last_value],
                         "step_ns": [900 * 10**9], "nominal_ns": [900 * 10**9],
                         "appendable": [appendable]})


NONE = pd.DataFrame()


def _energies(store: Any, meter_id: str) -> dict[pd.Timestamp, float]:
    iv = store.intervals("p", [meter_id])
    return dict(zip(iv["interval_start"], iv["energy"], strict=True))


# -- readings_frame ---------------------------------------------------------------------


def test_readings_frame_sorted_by_meter_then_arrival(store: Any) -> None:
    t1 = T0 + QUARTER
    # file order (source_row) gives seq 1..4: b@t0, a@t1, a@t0, b@t1
    store.insert_readings("p", _readings([("b", T0, 1.0, 1), ("a", t1, 5.0, 2),
                                          ("a", T0, 4.0, 3), ("b", t1, 2.0, 4)]))
    frame = store.readings_frame("p", ["b", "a", "unknown"])
    assert list(frame.columns) == ["meter_id", "ts", "value", "ingested_at", "seq"]
    assert frame["meter_id"].tolist() == ["a", "a", "b", "b"]
    assert frame["seq"].tolist() == [2, 3, 1, 4]
    assert frame["ts"].tolist() == _ns(t1, T0, T0, t1)
    assert frame["value"].tolist() == [5.0, 4.0, 1.0, 2.0]
    assert [str(t) for t in frame.dtypes.iloc[1:]] == ["int64", "float64", "int64", "int64"]
    stored = store.readings("p", "a")  # ingested_at as naive UTC timestamps
    assert frame["ingested_at"].iloc[0] == pd.Timestamp(stored["ingested_at"].iloc[0]).value
    assert frame["ingested_at"].nunique() == 1  # one insert call, one receipt time

    store.insert_readings("p", _readings([("a", T0 + 2 * QUARTER, 6.0, 1)]))
    after = store.readings_frame("p", ["a", "b"], after_seq={"a": 2})
    assert list(zip(after["meter_id"], after["seq"], strict=True)) == [
        ("a", 3), ("a", 5), ("b", 1), ("b", 4)]
    assert store.readings_frame("p", ["a"], after_seq={"a": 5}).empty
    assert store.readings_frame("p", []).empty


# -- write_derived ----------------------------------------------------------------------


def test_write_derived_replace_then_append(store: Any) -> None:
    generation = store.generation
    store.write_derived("p", replace=["m", "other"],
                        intervals=pd.concat([_intervals("m", 0, [1.0, 2.0, 3.0, 4.0]),
                                             _intervals("other", 0, [9.0])]),
                        rollups=_rollups([("m", "hour", "2024-03-01 00:00", 10.0),
                                          ("m", "day", "2024-03-01", 10.0)]),
                        issues=_issue("m", "gap_estimated"),
                        states=_state("m", 4, 104.0, True))
    assert store.generation == generation + 1
    # append: re-derive from the third interval on, one more interval at the end
    append = {"replace": [], "intervals": _intervals("m", 2, [30.0, 40.0, 50.0]),
              "rollups": _rollups([("m", "hour", "2024-03-01 00:00", 120.0),
                                   ("m", "hour", "2024-03-01 01:00", 50.0)]),
              "issues": NONE, "states": _state("m", 5, 154.0, True)}
    store.write_derived("p", **append)
    expected = {T0: 1.0, T0 + QUARTER: 2.0, T0 + 2 * QUARTER: 30.0, T0 + 3 * QUARTER: 40.0,
                T0 + 4 * QUARTER: 50.0}
    assert _energies(store, "m") == expected
    assert _energies(store, "other") == {T0: 9.0}
    store.write_derived("p", **append)  # the same append again changes nothing
    assert _energies(store, "m") == expected
    hour = store.rollups("p", "hour", meter_ids=["m"])
    assert hour["period_start"].tolist() == [pd.Timestamp("2024-03-01 00:00"),
                                             pd.Timestamp("2024-03-01 01:00")]
    assert hour["energy"].tolist() == [120.0, 50.0]  # the 00:00 row was replaced
    assert store.rollups("p", "day")["energy"].tolist() == [10.0]  # not given: kept
    assert store.quality_issues("p")["code"].tolist() == ["gap_estimated"]

    # replace wipes the meter's intervals, rollups, issues and state before inserting
    store.write_derived("p", replace=["m"], intervals=_intervals("m", 1, [7.0]),
                        rollups=NONE, issues=NONE, states=NONE)
    assert _energies(store, "m") == {T0 + QUARTER: 7.0}
    assert store.rollups("p", "hour", meter_ids=["m"]).empty
    assert store.quality_issues("p").empty
    assert store.derive_states("p", ["m"]).empty
    assert _energies(store, "other") == {T0: 9.0}


def test_rollups_filter_by_meter(store: Any) -> None:
    store.write_derived("p", replace=["a", "b", "c"], intervals=NONE,
                        rollups=_rollups([(m, "day", "2024-03-01", e)
                                          for m, e in (("a", 1.0), ("b", 2.0), ("c", 3.0))]),
                        issues=NONE, states=NONE)
    day = store.rollups("p", "day", meter_ids=["c", "a"])
    assert day[["meter_id", "energy"]].values.tolist() == [["a", 1.0], ["c", 3.0]]
    assert store.rollups("p", "day", meter_ids=[]).empty
    assert len(store.rollups("p", "day")) == 3


def test_derive_states_round_trip(store: Any) -> None:
    assert store.derive_states("p", ["m"]).empty
    store.write_derived("p", replace=[], intervals=NONE, rollups=NONE, issues=NONE,
                        states=pd.concat([_state("m", 4, 104.25, True),
                                          _state("n", 7, 0.5, False)]))
    got = store.derive_states("p", ["n", "m", "absent"])
    assert got.to_dict("records") == [
        {"meter_id": "m", "last_seq": 4, "last_ts": T0.value + 3 * 900 * 10**9,
         "last_value": 104.25, "step_ns": 900 * 10**9, "nominal_ns": 900 * 10**9,
         "appendable": True},
        {"meter_id": "n", "last_seq": 7, "last_ts": T0.value + 3 * 900 * 10**9,
         "last_value": 0.5, "step_ns": 900 * 10**9, "nominal_ns": 900 * 10**9,
         "appendable": False},
    ]
    store.write_derived("p", replace=[], intervals=NONE, rollups=NONE, issues=NONE,
                        states=_state("m", 9, 110.0, False))  # upsert by meter
    got = store.derive_states("p", ["m", "n"])
    assert got[["meter_id", "last_seq", "last_value"]].values.tolist() == [
        ["m", 9, 110.0], ["n", 7, 0.5]]
    assert got["appendable"].tolist() == [False, False]


def test_write_derived_refuses_repeated_keys_and_keeps_nothing(store: Any) -> None:
    store.write_derived("p", replace=["m"], intervals=_intervals("m", 0, [1.0]),
                        rollups=NONE, issues=NONE, states=NONE)
    twice = pd.concat([_intervals("m", 0, [2.0]), _intervals("m", 0, [3.0])])
    with pytest.raises(StoreError, match="repeat"):
        store.write_derived("p", replace=["m"], intervals=twice, rollups=NONE, issues=NONE,
                            states=NONE)
    rollups = _rollups([("m", "day", "2024-03-01", 1.0), ("m", "day", "2024-03-01", 2.0)])
    with pytest.raises(StoreError, match="repeat"):
        store.write_derived("p", replace=[], intervals=NONE, rollups=rollups, issues=NONE,
                            states=NONE)
    assert _energies(store, "m") == {T0: 1.0}


def test_write_derived_accepts_timestamps_and_categoricals(store: Any) -> None:
    iv = _intervals("m", 0, [1.5, np.nan])
    iv["interval_start"] = pd.to_datetime(iv["interval_start"], utc=True)
    iv["meter_id"] = iv["meter_id"].astype("category")
    iv["estimated"] = [False, True]
    iv["flags"] = ["", "gap_estimated"]
    store.write_derived("p", replace=["m"], intervals=iv, rollups=NONE, issues=NONE,
                        states=NONE)
    got = store.intervals("p", ["m"])
    assert got["interval_start"].tolist() == [T0, T0 + QUARTER]
    assert got["energy"].iloc[0] == 1.5
    assert np.isnan(got["energy"].iloc[1])
    assert got["estimated"].tolist() == [False, True]
    assert got["flags"].tolist() == ["", "gap_estimated"]
    assert got["duration_s"].tolist() == [900, 900]
