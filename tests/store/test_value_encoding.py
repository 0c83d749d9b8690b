"""Readings stored as scaled integers (``value_int``, ``value_scale``): exact round trips.

The DuckDB store keeps a value that is exactly ``value_int / 10**k`` (k ≤ 6) as that
integer and k (:func:`zeropark.store._bulk.scaled_values`) and reads it back with
:func:`zeropark.store._duckdb_schema.value_sql`. Every check here is bit for bit: a
reading must come back as the float64 that went in.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from zeropark.errors import StoreError
from zeropark.store._bulk import scaled_values
from zeropark.store.duckdb import DuckDBStore

#: Values whose float64 round trip is easy to get wrong: decimals that are not binary
#: fractions, the edges of the 2**53 and 10**-6 limits, signed zeros, non-finite values,
#: a subnormal, more than six decimals, and binary fractions (1/3, 0.1 + 0.2). (A NaN,
#: "no value", is stored only when it replaces a value: see the next test.)
AWKWARD = np.array([
    0.1, 0.3, 1018.01, 99999.99, 123456.789, 1e-6, 1.5e-6, 2.0**52, 2.0**53 - 1, 2.0**53,
    2.0**60, -0.0, 0.0, -5.25, -1018.01, 1 / 3, 0.1 + 0.2, 1234.1234567, 5e-324, 1e300,
    -1e-7, np.inf, -np.inf, 4503599627370496.5, 9007199.254740991, 0.000123,
])


def _frame(meter_ids: list[str], values: np.ndarray, *, source: str = "a.csv",
           first_row: int = 2) -> pd.DataFrame:
    """Readings 15 min apart from 2024-01-01 UTC, one row per value, in meter order."""
    n = len(values)
    return pd.DataFrame({
        "meter_id": meter_ids, "ts": pd.date_range("2024-01-01", periods=n, freq="15min",
                                                   tz="UTC"),
        "value": values, "value_raw": values, "unit_raw": "kWh", "source": source,
        "source_row": np.arange(first_row, first_row + n)})


def _assert_same_bits(got: np.ndarray, expected: np.ndarray) -> None:
    got = np.asarray(got, dtype="float64")
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got.view("int64"), expected.view("int64"))  # -0.0, NaN


def _stored(store: DuckDBStore, meter_id: str) -> pd.DataFrame:
    return store.query("SELECT d.value, d.value_int, d.value_scale FROM reading_data d "
                       "JOIN meter_keys k USING (meter_key) WHERE k.meter_id = ? "
                       "ORDER BY d.seq", [meter_id])


@pytest.mark.parametrize("one_meter", [True, False], ids=["one meter", "meter per value"])
def test_awkward_values_come_back_bit_for_bit(tmp_path: Path, one_meter: bool) -> None:
    ids = ["m"] * len(AWKWARD) if one_meter else [f"m{i:02d}" for i in range(len(AWKWARD))]
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.insert_readings("p", _frame(ids, AWKWARD))
        derived = store.readings_frame("p", sorted(set(ids)))
        _assert_same_bits(derived.sort_values("seq")["value"].to_numpy(), AWKWARD)
        view = store.query("SELECT value, value_raw FROM readings ORDER BY seq")
        _assert_same_bits(view["value"].to_numpy(), AWKWARD)
        _assert_same_bits(view["value_raw"].to_numpy(), AWKWARD)  # NULL = equal to value
        if one_meter:
            _assert_same_bits(store.readings("p", "m")["value"].to_numpy(), AWKWARD)
        stored = store.query("SELECT value_int IS NOT NULL AS as_int FROM reading_data "
                             "ORDER BY seq")["as_int"].to_numpy()
        assert stored.sum() >= 10  # the decimals went to value_int
        # a re-sent identical batch is a repeat, whatever column holds the value
        assert store.insert_readings("p", _frame(ids, AWKWARD, source="b.csv")).empty


def test_a_meter_takes_the_fewest_decimals_that_hold_all_its_values(tmp_path: Path) -> None:
    values = np.array([1018.01, 1018.5, 1019.125, 1020.0, 1 / 3, 7.0, 8.0])
    ids = ["mixed"] * 5 + ["whole"] * 2
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.insert_readings("p", _frame(ids, values))
        mixed = _stored(store, "mixed")
        assert mixed["value_scale"].iloc[:4].tolist() == [3, 3, 3, 3]  # 2 and 3 places: k=3
        assert mixed["value_int"].iloc[:4].tolist() == [1018010, 1018500, 1019125, 1020000]
        assert mixed["value"].iloc[:4].isna().all()
        # 1/3 is no decimal: it keeps the DOUBLE
        assert pd.isna(mixed["value_int"].iloc[4]) and pd.isna(mixed["value_scale"].iloc[4])
        assert mixed["value"].iloc[4] == 1 / 3
        whole = _stored(store, "whole")
        assert whole["value_int"].tolist() == [7, 8]
        assert whole["value_scale"].tolist() == [0, 0]
        # a value withdrawn (NaN) is NULL in every column and reads back as NaN
        gone = _frame(["whole"] * 2, np.array([7.0, np.nan]), source="b.csv").iloc[1:]
        gone["ts"] = store.readings("p", "whole")["ts"].iloc[1]
        assert len(store.insert_readings("p", gone)) == 1
        assert _stored(store, "whole").iloc[2].isna().all()
        got = store.readings("p", "whole")["value"].to_numpy()
        _assert_same_bits(got, np.array([7.0, 8.0, np.nan]))
        _assert_same_bits(store.readings_frame("p", ["whole"])["value"].to_numpy(), got)


def test_resending_the_current_value_is_a_repeat_and_a_change_is_stored(
        tmp_path: Path) -> None:
    values = np.round(1000.0 + np.cumsum(np.full(8, 0.37)), 2)
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        first = _frame(["reg"] * 8, values)
        assert len(store.insert_readings("p", first)) == 8
        assert store.insert_readings("p", first.assign(source="again.csv")).empty
        changed = values.copy()
        changed[3] = np.round(changed[3] + 0.001, 3)  # 3 decimals: this write's k is 3
        new = store.insert_readings("p", _frame(["reg"] * 8, changed, source="fix.csv"))
        assert new["value"].tolist() == [changed[3]]
        got = store.readings("p", "reg")
        _assert_same_bits(got["value"].to_numpy(), np.r_[values, changed[3]])
        assert _stored(store, "reg")["value_scale"].tolist() == [2] * 8 + [3]
        # the corrected value, re-sent with the old ones, is again a repeat
        assert store.insert_readings("p", _frame(["reg"] * 8, changed, source="x")).empty


def test_version_2_file_without_the_integer_columns_gets_them(tmp_path: Path) -> None:
    """A file written before ``value_int`` existed keeps its DOUBLE values and works on."""
    path = tmp_path / "old.duckdb"
    values = np.array([10.25, 11.5, 12.75])
    with DuckDBStore(path) as store:
        store.insert_readings("p", _frame(["reg"] * 3, values))
    con = duckdb.connect(str(path))  # make it look like the file before the change
    con.execute("CREATE TABLE old_rows AS SELECT * EXCLUDE (value, value_int, value_scale), "
                "value_int::DOUBLE / 100 AS value FROM reading_data")
    con.execute("DROP VIEW readings")
    con.execute("DROP TABLE reading_data")
    con.execute("CREATE TABLE reading_data AS SELECT meter_key, ts, value, value_raw, "
                "unit_raw, batch_id, source_row, seq FROM old_rows")
    con.execute("DROP TABLE old_rows")
    con.close()
    with pytest.raises(StoreError, match="open it once read-write"):
        DuckDBStore(path, read_only=True)
    with DuckDBStore(path) as store:
        _assert_same_bits(store.readings("p", "reg")["value"].to_numpy(), values)
        assert store.insert_readings("p", _frame(["reg"] * 3, values, source="b")).empty
        more = _frame(["reg"] * 4, np.r_[values, 13.0], source="c")
        assert len(store.insert_readings("p", more)) == 1
        _assert_same_bits(store.readings_frame("p", ["reg"])["value"].to_numpy(),
                          np.r_[values, 13.0])
        assert _stored(store, "reg")["value_int"].tolist()[3] == 13
    with DuckDBStore(path, read_only=True) as store:
        assert len(store.query("SELECT * FROM readings")) == 4


# -- the encoder itself ----------------------------------------------------------------------


def test_scale_is_chosen_per_meter_run() -> None:
    keys = np.array([1, 1, 1, 2, 2, 3], dtype="int32")
    values = np.array([1.5, 2.25, 3.0, 10.0, 20.0, 0.000001])
    stored, ints, scale = scaled_values(values, keys)
    assert stored.null_count == 6
    assert ints.to_pylist() == [150, 225, 300, 10, 20, 1]
    assert scale.to_pylist() == [2, 2, 2, 0, 0, 6]


def test_a_finer_row_outside_the_sample_raises_its_meter_scale() -> None:
    """32 rows per meter pick k; a row off the sample with more decimals still counts."""
    values = np.round(1000.0 + np.arange(10_000) * 0.5, 1)
    values[4321] = np.round(values[4321] + 0.001, 3)  # 3 decimals, not a sampled row
    other = np.round(np.arange(10_000) * 0.25, 2)
    keys = np.repeat(np.array([7, 8], dtype="int32"), 10_000)
    stored, ints, scale = scaled_values(np.r_[values, other], keys)
    assert stored.null_count == 20_000
    assert set(scale.to_numpy()[:10_000]) == {3} and set(scale.to_numpy()[10_000:]) == {2}
    back = ints.to_numpy() / np.repeat([1e3, 1e2], 10_000)
    _assert_same_bits(back, np.r_[values, other])


def test_values_that_are_no_short_decimal_keep_the_double() -> None:
    values = np.array([-0.0, 2.0**53, 1 / 3, 0.1234567, np.inf, 5e-324])
    stored, ints, scale = scaled_values(values, np.zeros(6, dtype="int32"))
    assert ints.null_count == scale.null_count == 6
    _assert_same_bits(stored.to_numpy(zero_copy_only=False), values)


def test_missing_values_are_null_unless_a_null_mask_says_otherwise() -> None:
    values = np.array([np.nan, 1.5, np.nan])
    assert scaled_values(values, np.zeros(3, dtype="int32"))[0].to_pylist() == [
        None, None, None]
    stored = scaled_values(values, np.zeros(3, dtype="int32"),
                           null=np.array([True, False, False]))[0].to_pylist()
    assert stored[:2] == [None, None] and np.isnan(stored[2])  # a stored NaN stays NaN
