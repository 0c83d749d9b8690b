"""The columnar meter-file reader gives the same readings in every format and layout.

`read_meter_file` reads through pyarrow: text columns are dictionary-encoded and
parsed once per distinct value, numeric columns are never turned into text. These
tests write the same small set of readings as CSV (long and wide) and as Parquet
(numeric values, text values, dictionary columns, several row groups) and check
every column of the frame against values worked out by hand, then check that
errors still name the file, the row and the field.

Expected values: unit factors are SI definitions (1 Wh = 0.001 kWh, 1 MWh = 1000 kWh,
1 W = 0.001 kW, 1 L = 0.001 m³); local times are Asia/Shanghai (UTC+8, no
daylight saving since 1991) or Europe/London (GMT/BST, changes on the last Sundays
of March and October at 01:00 UTC).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zeropark.errors import InputError, UnitError
from zeropark.ingest.files import read_meter_file
from zeropark.model import Park, parse_park

PARK = """\
[park]
id = "p"
name = "P"
timezone = "Asia/Shanghai"

[[meters]]
id = "e1"
medium = "electricity"
unit = "kWh"
kind = "total"

[[meters]]
id = "e2"
medium = "electricity"
unit = "MWh"
kind = "total_increasing"

[[meters]]
id = "w"
medium = "water"
unit = "m3"
kind = "total"

[[meters]]
id = "p1"
medium = "electricity"
quantity = "power"
unit = "W"
kind = "measurement"

[[meters]]
id = "101"
medium = "electricity"
unit = "kWh"
kind = "total"
"""

COLUMNS = ["meter_id", "ts", "value", "value_raw", "unit_raw", "source", "source_row"]

# The long-layout readings used throughout: meter, local time (Asia/Shanghai), value
# text, unit text ("" = the meter's unit). Row 4 is blank (no reading).
LONG = [
    ("e1", "2024-01-01 00:00", "1500", "Wh"),
    ("e1", "2024-01-01 00:15", "2", "kWh"),
    ("e2", "2024-01-01 00:00", "0.25", "MWh"),
    ("e2", "2024-01-01 00:15", "", ""),
    ("e2", "2024-01-01 00:30", "7", "Wh"),
    ("w", "2024-01-01 00:00", "3", ""),
    ("w", "2024-01-01 00:15", "250", "L"),
    ("p1", "2024-01-01 00:00", "1200", ""),
    ("p1", "2024-01-01 00:15", "0.5", "kWh"),
]
# By hand: value in the canonical unit (kWh, m³, kW), the unit applied, the 1-based
# data row (CSV line = row + 1) and UTC time (local − 8 h).
EXPECTED_VALUE = [1.5, 2.0, 250.0, 0.007, 3.0, 0.25, 1.2, 0.5]
EXPECTED_RAW = [1500.0, 2.0, 0.25, 7.0, 3.0, 250.0, 1200.0, 0.5]
EXPECTED_UNIT = ["Wh", "kWh", "MWh", "Wh", "m3", "L", "W", "kWh"]
EXPECTED_ROW = [1, 2, 3, 5, 6, 7, 8, 9]
EXPECTED_METER = ["e1", "e1", "e2", "e2", "w", "w", "p1", "p1"]
EXPECTED_UTC = ["2023-12-31 16:00", "2023-12-31 16:15", "2023-12-31 16:00",
                "2023-12-31 16:30", "2023-12-31 16:00", "2023-12-31 16:15",
                "2023-12-31 16:00", "2023-12-31 16:15"]


@pytest.fixture
def park() -> Park:
    return parse_park(PARK, source="park.toml")


def _utc(*stamps: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(s, tz="UTC") for s in stamps]


def _error(path: Path, park: Park, kind: type[InputError] = InputError,
           **kwargs: str) -> InputError:
    with pytest.raises(kind) as info:
        read_meter_file(path, park, **kwargs)
    return info.value


def _write_csv(path: Path, header: str, rows: list[tuple[str, ...]]) -> Path:
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def _long_table(*, numeric: bool) -> pa.Table:
    return pa.table({
        "meter_id": [r[0] for r in LONG],
        "timestamp": [r[1] for r in LONG],
        "value": ([float(r[2]) if r[2] else None for r in LONG] if numeric
                  else [r[2] for r in LONG]),
        "unit": [r[3] or None for r in LONG],
    })


def _assert_long_frame(frame: pd.DataFrame, path: Path, first_row: int) -> None:
    assert list(frame.columns) == COLUMNS
    assert frame["meter_id"].tolist() == EXPECTED_METER
    assert frame["ts"].tolist() == _utc(*EXPECTED_UTC)
    assert frame["value"].tolist() == pytest.approx(EXPECTED_VALUE, rel=1e-12)
    assert frame["value_raw"].tolist() == EXPECTED_RAW
    assert frame["unit_raw"].tolist() == EXPECTED_UNIT
    assert frame["source"].tolist() == [str(path)] * len(EXPECTED_ROW)
    assert frame["source_row"].tolist() == [r + first_row - 1 for r in EXPECTED_ROW]


# -- the same readings in every format -----------------------------------------------------


def test_long_csv(tmp_path: Path, park: Park) -> None:
    path = _write_csv(tmp_path / "long.csv", "meter_id,timestamp,value,unit", LONG)
    frame, meta = read_meter_file(path, park)
    _assert_long_frame(frame, path, first_row=2)  # CSV line numbers, header = line 1
    assert (meta.layout, meta.n_rows, meta.n_blank) == ("long", 9, 1)
    assert meta.meter_ids == ("e1", "e2", "p1", "w")


@pytest.mark.parametrize("numeric", [True, False], ids=["numeric values", "text values"])
def test_long_parquet(tmp_path: Path, park: Park, numeric: bool) -> None:
    path = tmp_path / "long.parquet"
    pq.write_table(_long_table(numeric=numeric), path)
    frame, meta = read_meter_file(path, park)
    _assert_long_frame(frame, path, first_row=1)  # Parquet rows are 1-based
    assert (meta.n_rows, meta.n_blank) == (9, 1)


def test_parquet_in_many_row_groups_with_dictionary_columns(tmp_path: Path,
                                                            park: Park) -> None:
    # Row groups of 2 rows: each chunk has its own dictionary of meter ids and units.
    path = tmp_path / "groups.parquet"
    table = _long_table(numeric=True)
    table = table.set_column(0, "meter_id", table["meter_id"].dictionary_encode())
    pq.write_table(table, path, row_group_size=2)
    frame, _ = read_meter_file(path, park)
    _assert_long_frame(frame, path, first_row=1)


def test_parquet_with_a_stored_pandas_index(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "indexed.parquet"
    pd.DataFrame({"timestamp": ["2024-01-01 00:00", "2024-01-01 00:15"], "e1": [1.0, 2.0]},
                 index=pd.Index(["a", "b"], name="label")).to_parquet(path)
    assert "label" in pq.read_schema(path).names
    frame, meta = read_meter_file(path, park)
    assert meta.layout == "wide"  # the stored index is not a meter column
    assert frame["value"].tolist() == [1.0, 2.0]


def test_wide_csv_blank_cells_and_row_numbers(tmp_path: Path, park: Park) -> None:
    path = _write_csv(tmp_path / "wide.csv", "timestamp, e1, e2,w", [
        ("2024-01-01 00:00", "1", "", "n/a"),
        ("2024-01-01 00:15", "", "0.002", "4"),
        ("2024-01-01 00:30", "3", "NULL", ""),
    ])
    frame, meta = read_meter_file(path, park)
    # Meter by meter, in file order within each meter.
    assert frame["meter_id"].tolist() == ["e1", "e1", "e2", "w"]
    assert frame["ts"].tolist() == _utc("2023-12-31 16:00", "2023-12-31 16:30",
                                        "2023-12-31 16:15", "2023-12-31 16:15")
    assert frame["value"].tolist() == pytest.approx([1.0, 3.0, 2.0, 4.0], rel=1e-12)
    assert frame["unit_raw"].tolist() == ["kWh", "kWh", "MWh", "m3"]
    assert frame["source_row"].tolist() == [2, 4, 3, 3]
    assert (meta.layout, meta.n_rows, meta.n_blank) == ("wide", 3, 5)


def test_wide_parquet_numeric_columns(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({
        "ts": pa.array(pd.to_datetime(["2024-06-01 00:00", "2024-06-01 00:15"]),
                       pa.timestamp("ms")),
        "e2": [0.5, None],
        "p1": pa.array([800, 1000], pa.int64()),
    }), path)
    frame, meta = read_meter_file(path, park)
    assert frame["meter_id"].tolist() == ["e2", "p1", "p1"]
    assert frame["ts"].tolist() == _utc("2024-05-31 16:00", "2024-05-31 16:00",
                                        "2024-05-31 16:15")
    assert frame["value"].tolist() == pytest.approx([500.0, 0.8, 1.0], rel=1e-12)
    assert frame["source_row"].tolist() == [1, 1, 2]
    assert meta.n_blank == 1


def test_csv_rows_with_missing_trailing_cells_are_blank(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "short.csv"
    path.write_text("timestamp,e1,w\n2024-01-01 00:00,1\n2024-01-01 00:15,2,5\n")
    frame, meta = read_meter_file(path, park)
    assert frame["meter_id"].tolist() == ["e1", "e1", "w"]
    assert frame["value"].tolist() == [1.0, 2.0, 5.0]
    assert frame["source_row"].tolist() == [2, 3, 3]
    assert meta.n_blank == 1


def test_no_reading_texts_in_text_values(tmp_path: Path, park: Park) -> None:
    markers = ["", "  ", "NaN", "nan", "NA", "n/a", "NULL", "None", "-"]
    path = tmp_path / "markers.parquet"
    pq.write_table(pa.table({
        "meter": ["e1"] * (len(markers) + 2),
        "time": [f"2024-01-01T00:{m:02d}:00Z" for m in range(len(markers) + 2)],
        "value": [" 4 ", *markers, None],
    }), path)
    frame, meta = read_meter_file(path, park)
    assert frame["value_raw"].tolist() == [4.0]
    assert meta.n_blank == len(markers) + 1


def test_meter_ids_are_stripped_and_may_be_numbers(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({
        "meter_id": pa.array([101, 101], pa.int64()),
        "timestamp": pa.array([0, 900], pa.timestamp("s", tz="UTC")),
        "value": [1.0, 2.0],
    }), path)
    frame, _ = read_meter_file(path, park)
    assert frame["meter_id"].tolist() == ["101", "101"]
    assert frame["ts"].tolist() == _utc("1970-01-01 00:00", "1970-01-01 00:15")

    path = _write_csv(tmp_path / "ids.csv", "meter_id,timestamp,value",
                      [(" e1", "2024-01-01 00:00", "1"), ("e1 ", "2024-01-01 00:15", "2")])
    frame, meta = read_meter_file(path, park)
    assert frame["meter_id"].tolist() == ["e1", "e1"]
    assert meta.meter_ids == ("e1",)


def test_timezone_aware_parquet_in_another_zone_and_unit(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "aware.parquet"
    stamps = pd.to_datetime(["2024-01-01 08:00", "2024-01-01 08:15"]).tz_localize(
        "Asia/Shanghai")
    pq.write_table(pa.table({
        "meter_id": ["e1", "e1"],
        "datetime": pa.array(stamps, pa.timestamp("ns", tz="Asia/Shanghai")),
        "value": [1.0, 2.0],
    }), path)
    frame, _ = read_meter_file(path, park, tz="Europe/London")  # offsets win over tz
    assert frame["ts"].tolist() == _utc("2024-01-01 00:00", "2024-01-01 00:15")
    assert str(frame["ts"].dtype) == "datetime64[ns, UTC]"


def test_many_rows_through_several_blocks(tmp_path: Path, park: Park) -> None:
    # > 1 MiB of CSV: pyarrow reads it in several blocks.
    n = 40_000
    rng = np.random.default_rng(7)
    raw = rng.integers(0, 10_000_000, n) / 1000  # Wh, three decimals
    stamps = pd.date_range("2024-01-01", periods=n, freq="15min", tz="UTC")
    meter = np.where(np.arange(n) % 2 == 0, "e1", "e2")
    unit = np.where(np.arange(n) % 3 == 0, "Wh", "")
    path = tmp_path / "many.csv"
    pd.DataFrame({"meter_id": meter, "ts": stamps.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "value": raw, "unit": unit}).to_csv(path, index=False)
    assert path.stat().st_size > 1 << 20
    frame, meta = read_meter_file(path, park)
    # Wh → kWh is 1e-3; a blank unit is the meter's: e1 kWh (×1), e2 MWh (×1000).
    factor = np.where(unit == "Wh", 1e-3, np.where(meter == "e1", 1.0, 1000.0))
    assert meta.n_rows == n
    assert frame["value_raw"].to_numpy().tolist() == raw.tolist()
    np.testing.assert_allclose(frame["value"].to_numpy(), raw * factor, rtol=1e-12, atol=0)
    assert (frame["ts"] == pd.Series(stamps)).all()
    assert frame["source_row"].tolist() == list(range(2, n + 2))
    assert frame["unit_raw"].tolist() == np.where(unit == "Wh", "Wh", np.where(
        meter == "e1", "kWh", "MWh")).tolist()


# -- the frame contract ---------------------------------------------------------------------


def test_text_columns_are_categorical_of_str(tmp_path: Path, park: Park) -> None:
    path = _write_csv(tmp_path / "long.csv", "meter_id,timestamp,value,unit", LONG)
    frame, _ = read_meter_file(path, park)
    for column in ("meter_id", "unit_raw", "source"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype)
        assert pd.api.types.is_string_dtype(frame[column].cat.categories)
    # Categories hold only what occurs, so downstream .unique() and groupby see no ghosts.
    assert sorted(frame["meter_id"].cat.categories) == ["e1", "e2", "p1", "w"]
    assert frame["value"].dtype == np.float64
    assert frame["value_raw"].dtype == np.float64
    assert frame["source_row"].dtype == np.int64
    assert str(frame["ts"].dtype) == "datetime64[ns, UTC]"
    # What callers do with the meter column works as with plain str.
    assert set(frame["meter_id"].unique()) == {"e1", "e2", "w", "p1"}
    assert int((frame["meter_id"] == "e1").sum()) == 2
    assert frame["meter_id"].astype(str).tolist() == EXPECTED_METER
    assert frame.groupby("meter_id", observed=True).size().to_dict() == {
        "e1": 2, "e2": 2, "p1": 2, "w": 2}
    # The frame owns its memory: it can be changed in place.
    frame.loc[0, "value"] = 0.0
    assert frame.loc[0, "value"] == 0.0


# -- errors name the file, the row and the field --------------------------------------------


def _long_parquet(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    pq.write_table(pa.table({"meter_id": [r[0] for r in rows],
                             "timestamp": [r[1] for r in rows],
                             "value": [r[2] for r in rows]}), path)
    return path


def _long_file(tmp_path: Path, fmt: str, rows: list[tuple[str, str, str]]) -> Path:
    if fmt == "csv":
        return _write_csv(tmp_path / "r.csv", "meter_id,timestamp,value", rows)
    return _long_parquet(tmp_path / "r.parquet", rows)


FORMATS = pytest.mark.parametrize("fmt", ["csv", "parquet"])


def _row(fmt: str, data_row: int) -> str:
    return f"row {data_row + 1 if fmt == 'csv' else data_row}"


@FORMATS
def test_unknown_meter_even_in_a_blank_row(tmp_path: Path, park: Park, fmt: str) -> None:
    path = _long_file(tmp_path, fmt, [("e1", "2024-01-01 00:00", "1"),
                                      ("zz", "2024-01-01 00:15", "")])
    err = _error(path, park)
    assert str(err) == (f"{path}, {_row(fmt, 2)}, field 'meter_id': unknown meter 'zz' "
                        "(not in park 'p')")


@FORMATS
def test_non_numeric_value_after_blank_rows(tmp_path: Path, park: Park, fmt: str) -> None:
    path = _long_file(tmp_path, fmt, [("e1", "2024-01-01 00:00", ""),
                                      ("e1", "2024-01-01 00:15", "N/A"),
                                      ("e1", "2024-01-01 00:30", "1,5"),
                                      ("e1", "2024-01-01 00:45", "x")])
    if fmt == "csv":  # "1,5" is one cell too many there; use a text that stays one cell
        path = _long_file(tmp_path, fmt, [("e1", "2024-01-01 00:00", ""),
                                          ("e1", "2024-01-01 00:15", "N/A"),
                                          ("e1", "2024-01-01 00:30", "1.5.1"),
                                          ("e1", "2024-01-01 00:45", "x")])
    text = "1,5" if fmt == "parquet" else "1.5.1"
    assert str(_error(path, park)) == (
        f"{path}, {_row(fmt, 3)}, field 'value': value {text!r} is not a number")


@FORMATS
def test_minus_nan_is_not_a_blank(tmp_path: Path, park: Park, fmt: str) -> None:
    path = _long_file(tmp_path, fmt, [("e1", "2024-01-01 00:00", "nan"),
                                      ("e1", "2024-01-01 00:15", "-nan")])
    assert str(_error(path, park)) == (
        f"{path}, {_row(fmt, 2)}, field 'value': value '-nan' is not a number")


def test_non_numeric_value_in_a_wide_file_names_the_meter(tmp_path: Path,
                                                          park: Park) -> None:
    path = _write_csv(tmp_path / "wide.csv", "timestamp,e1,w", [
        ("2024-01-01 00:00", "1", "2"), ("2024-01-01 00:15", "1", "two")])
    assert str(_error(path, park)) == (
        f"{path}, row 3, field 'w': value 'two' is not a number")


@FORMATS
def test_bad_timestamp_in_a_blank_row_is_not_read(tmp_path: Path, park: Park,
                                                  fmt: str) -> None:
    path = _long_file(tmp_path, fmt, [("e1", "garbage", ""),
                                      ("e1", "2024-01-01 00:15", "1"),
                                      ("e1", "2024-13-45 01:00", "2")])
    assert str(_error(path, park)) == (
        f"{path}, {_row(fmt, 3)}, field 'timestamp': cannot parse timestamp "
        "'2024-13-45 01:00'")


@FORMATS
def test_mixed_offsets_name_the_first_row_without(tmp_path: Path, park: Park,
                                                  fmt: str) -> None:
    path = _long_file(tmp_path, fmt, [("e1", "2024-01-01T00:00:00Z", "1"),
                                      ("e1", "2024-01-01T00:15:00+08:00", "1"),
                                      ("e1", "2024-01-01 00:30", "1"),
                                      ("e1", "2024-01-01 00:45", "1")])
    assert str(_error(path, park)) == (
        f"{path}, {_row(fmt, 3)}, field 'timestamp': timestamps mix values with and "
        "without UTC offset")


@FORMATS
def test_nonexistent_and_ambiguous_local_times(tmp_path: Path, park: Park, fmt: str) -> None:
    for day, local in (("2022-03-27", "01:30"), ("2022-10-30", "01:30")):
        path = _long_file(tmp_path, fmt, [("e1", f"{day} 00:30", "1"),
                                          ("e1", f"{day} 03:00", "1"),
                                          ("e1", f"{day} {local}", "1")])
        assert str(_error(path, park, tz="Europe/London")) == (
            f"{path}, {_row(fmt, 3)}, field 'timestamp': local time {day} {local}:00 does "
            "not exist or is ambiguous in Europe/London (daylight-saving change): give "
            "timestamps with a UTC offset")


def test_ambiguous_time_in_a_naive_parquet_timestamp_column(tmp_path: Path,
                                                            park: Park) -> None:
    path = tmp_path / "naive.parquet"
    pq.write_table(pa.table({
        "meter_id": ["e1", "e1", "e1"],
        "timestamp": pa.array(pd.to_datetime(["2022-10-30 01:30", "2022-10-30 00:30",
                                              "2022-10-30 01:30"]), pa.timestamp("us")),
        "value": [None, 1.0, 2.0],
    }), path)
    # Row 1 has no reading, so the first ambiguous time read is on row 3.
    assert str(_error(path, park, tz="Europe/London")) == (
        f"{path}, row 3, field 'timestamp': local time 2022-10-30 01:30:00 does not exist "
        "or is ambiguous in Europe/London (daylight-saving change): give timestamps with a "
        "UTC offset")


def test_missing_timestamp_in_parquet(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "missing.parquet"
    pq.write_table(pa.table({
        "meter_id": ["e1", "e1"],
        "ts": pa.array([0, None], pa.timestamp("s", tz="UTC")),
        "value": [1.0, 2.0],
    }), path)
    assert str(_error(path, park)) == f"{path}, row 2, field 'ts': missing timestamp"


def test_missing_meter_id_in_parquet(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "missing.parquet"
    pq.write_table(pa.table({"meter_id": ["e1", None],
                             "timestamp": ["2024-01-01 00:00", "2024-01-01 00:15"],
                             "value": [1.0, 2.0]}), path)
    assert str(_error(path, park)) == f"{path}, row 2, field 'meter_id': missing meter id"


@FORMATS
def test_unit_errors_name_the_first_row_at_fault(tmp_path: Path, park: Park, fmt: str) -> None:
    rows = [("e1", "2024-01-01 00:00", "1", "kWh"), ("w", "2024-01-01 00:00", "1", "kWh"),
            ("e1", "2024-01-01 00:15", "2", "kWhh")]
    if fmt == "csv":
        path = _write_csv(tmp_path / "u.csv", "meter_id,timestamp,value,unit", rows)
    else:
        path = tmp_path / "u.parquet"
        pq.write_table(pa.table({k: [r[i] for r in rows] for i, k in enumerate(
            ["meter_id", "timestamp", "value", "unit"])}), path)
    err = _error(path, park, UnitError)
    assert str(err) == (f"{path}, {_row(fmt, 2)}, field 'unit': meter 'w': cannot convert "
                        "'kWh' to 'm³': other dimension")


def test_missing_columns_in_parquet(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "cols.parquet"
    pq.write_table(pa.table({"meter_id": ["e1"], "timestamp": ["2024-01-01"],
                             "reading": [1.0]}), path)
    assert str(_error(path, park)) == (
        f"{path}, header: long layout needs columns meter_id, timestamp, value")
    pq.write_table(pa.table({"meter_id": ["e1"], "when": ["2024-01-01"], "value": [1.0]}),
                   path)
    assert str(_error(path, park)) == (
        f"{path}, header: no timestamp column (one of timestamp, ts, time, datetime)")


def test_not_a_parquet_file(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "text.parquet"
    path.write_text("meter_id,timestamp,value\n")
    assert str(_error(path, park)).startswith(f"{path}: cannot read file: ")


def test_empty_csv(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert str(_error(path, park)) == f"{path}: the file is empty"


def test_header_only_csv_has_no_readings(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "header.csv"
    path.write_text("meter_id,timestamp,value\n")
    frame, meta = read_meter_file(path, park)
    assert list(frame.columns) == COLUMNS
    assert frame.empty
    assert str(frame["ts"].dtype) == "datetime64[ns, UTC]"
    assert (meta.n_rows, meta.n_blank, meta.meter_ids) == (0, 0, ())
