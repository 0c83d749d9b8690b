"""Tests of the meter-file reader (ingest/files.py): layouts, units, time zones, errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from zeropark.errors import InputError, UnitError
from zeropark.ingest.files import file_sha256, read_meter_file
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
"""

COLUMNS = ["meter_id", "ts", "value", "value_raw", "unit_raw", "source", "source_row"]


@pytest.fixture
def park() -> Park:
    return parse_park(PARK, source="park.toml")


def _csv(tmp_path: Path, text: str, name: str = "readings.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _utc(*stamps: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(s, tz="UTC") for s in stamps]


def _error(path: Path, park: Park, **kwargs: str) -> InputError:
    with pytest.raises(InputError) as info:
        read_meter_file(path, park, **kwargs)
    return info.value


# -- layouts and units ---------------------------------------------------------------------


def test_long_csv_with_unit_column(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, (
        "meter_id,timestamp,value,unit\n"
        "e1,2024-01-01 00:00,1500,Wh\n"
        "e1,2024-01-01 01:00,2,kWh\n"
        "e2,2024-01-01 00:00,0.25,MWh\n"
        "e2,2024-01-01 01:00,7,Wh\n"
    ))
    frame, meta = read_meter_file(path, park)
    assert list(frame.columns) == COLUMNS
    assert frame["meter_id"].tolist() == ["e1", "e1", "e2", "e2"]
    # Naive times are local Asia/Shanghai (UTC+8).
    assert frame["ts"].tolist() == _utc("2023-12-31 16:00", "2023-12-31 17:00",
                                        "2023-12-31 16:00", "2023-12-31 17:00")
    assert str(frame["ts"].dtype) == "datetime64[ns, UTC]"
    assert frame["value"].tolist() == pytest.approx([1.5, 2.0, 250.0, 0.007], rel=1e-12)
    assert frame["value_raw"].tolist() == [1500.0, 2.0, 0.25, 7.0]
    assert frame["unit_raw"].tolist() == ["Wh", "kWh", "MWh", "Wh"]
    assert frame["source"].tolist() == [str(path)] * 4
    assert frame["source_row"].tolist() == [2, 3, 4, 5]  # CSV lines, header = line 1
    assert meta.path == str(path)
    assert meta.layout == "long"
    assert (meta.n_rows, meta.n_blank) == (4, 0)
    assert meta.meter_ids == ("e1", "e2")
    assert meta.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_long_csv_without_unit_column_uses_meter_unit(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, "meter,time,value\ne2,2024-01-01 00:00,1.25\nw,2024-01-01 00:00,3\n")
    frame, _ = read_meter_file(path, park)
    assert frame["unit_raw"].tolist() == ["MWh", "m3"]
    assert frame["value"].tolist() == pytest.approx([1250.0, 3.0], rel=1e-12)


def test_blank_unit_cell_uses_meter_unit(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, "meter_id,timestamp,value,unit\ne2,2024-01-01 00:00,3,\n")
    frame, _ = read_meter_file(path, park)
    assert frame["unit_raw"].tolist() == ["MWh"]
    assert frame["value"].tolist() == pytest.approx([3000.0], rel=1e-12)


def test_wide_csv(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, (
        "timestamp,e1,w\n"
        "2024-01-01T00:00:00+08:00,1,\n"
        "2024-01-01T01:00:00+08:00,2.5,0.5\n"
    ))
    frame, meta = read_meter_file(path, park)
    assert frame["meter_id"].tolist() == ["e1", "e1", "w"]
    assert frame["ts"].tolist() == _utc("2023-12-31 16:00", "2023-12-31 17:00",
                                        "2023-12-31 17:00")
    assert frame["value"].tolist() == [1.0, 2.5, 0.5]
    assert frame["unit_raw"].tolist() == ["kWh", "kWh", "m3"]
    assert frame["source_row"].tolist() == [2, 3, 3]
    assert meta.layout == "wide"
    assert (meta.n_rows, meta.n_blank) == (2, 1)
    assert meta.meter_ids == ("e1", "w")


def test_parquet_naive_and_aware(tmp_path: Path, park: Park) -> None:
    naive = tmp_path / "naive.parquet"
    pd.DataFrame({
        "meter_id": ["e1", "e1"],
        "timestamp": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:15"]),
        "value": [1.0, 2.0],
    }).to_parquet(naive)
    frame, meta = read_meter_file(naive, park)
    assert frame["ts"].tolist() == _utc("2023-12-31 16:00", "2023-12-31 16:15")
    assert frame["source_row"].tolist() == [1, 2]  # Parquet rows are 1-based
    assert meta.layout == "long"

    aware = tmp_path / "aware.parquet"
    pd.DataFrame({
        "meter_id": ["e2", "e2"],
        "ts": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:15"]).tz_localize("UTC"),
        "value": [0.5, None],
    }).to_parquet(aware)
    frame, meta = read_meter_file(aware, park)
    assert frame["ts"].tolist() == _utc("2024-01-01 00:00")
    assert frame["value"].tolist() == pytest.approx([500.0], rel=1e-12)
    assert (meta.n_rows, meta.n_blank) == (2, 1)


def test_naive_times_in_stated_zone(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, "meter_id,timestamp,value\ne1,2024-07-01 08:00,1\n")
    frame, _ = read_meter_file(path, park, tz="Asia/Shanghai")
    assert frame["ts"].tolist() == _utc("2024-07-01 00:00")
    frame, _ = read_meter_file(path, park, tz="Europe/London")  # BST, UTC+1
    assert frame["ts"].tolist() == _utc("2024-07-01 07:00")


def test_offset_times_ignore_the_zone(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, (
        "meter_id,timestamp,value\n"
        "e1,2024-01-01T00:00:00Z,1\n"
        "e1,2024-01-01T00:15:00Z,1\n"
    ))
    frame, _ = read_meter_file(path, park, tz="Europe/London")
    assert frame["ts"].tolist() == _utc("2024-01-01 00:00", "2024-01-01 00:15")


def test_offsets_that_change_across_dst(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, (
        "meter_id,timestamp,value\n"
        "e1,2022-03-27T00:30:00+00:00,1\n"
        "e1,2022-03-27T02:30:00+01:00,1\n"
    ))
    frame, _ = read_meter_file(path, park)
    assert frame["ts"].tolist() == _utc("2022-03-27 00:30", "2022-03-27 01:30")


def test_blank_values_are_skipped(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, (
        "meter_id,timestamp,value\n"
        "e1,2024-01-01 00:00,1\n"
        "e1,2024-01-01 01:00,\n"
        "e1,2024-01-01 02:00,  \n"
        "e1,2024-01-01 03:00,4\n"
    ))
    frame, meta = read_meter_file(path, park)
    assert frame["value"].tolist() == [1.0, 4.0]
    assert frame["source_row"].tolist() == [2, 5]
    assert (meta.n_rows, meta.n_blank) == (4, 2)


def test_file_sha256(tmp_path: Path) -> None:
    path = _csv(tmp_path, "abc")
    assert file_sha256(path) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2 "abc"
    )


# -- errors name the file, the row and the field --------------------------------------------


def test_unknown_meter(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, (
        "meter_id,timestamp,value\ne1,2024-01-01 00:00,1\nzz,2024-01-01 01:00,2\n"
    ))
    err = _error(path, park)
    assert str(err) == f"{path}, row 3, field 'meter_id': unknown meter 'zz' (not in park 'p')"
    assert (err.path, err.location, err.field) == (str(path), "row 3", "meter_id")


def test_unknown_meter_column_in_wide_file(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, "timestamp,e1,zz\n2024-01-01 00:00,1,2\n")
    assert str(_error(path, park)) == (
        f"{path}, row 2, field 'zz': unknown meter 'zz' (not in park 'p')"
    )


def test_non_numeric_value(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, (
        "meter_id,timestamp,value\ne1,2024-01-01 00:00,1\ne1,2024-01-01 01:00,1,5\n"
    ))
    # "1,5" (decimal comma) is one field too many: the CSV reader refuses the file.
    assert str(_error(path, park)).startswith(f"{path}: not a well-formed CSV file (")
    path = _csv(tmp_path, (
        "meter_id,timestamp,value\ne1,2024-01-01 00:00,1\ne1,2024-01-01 01:00,abc\n"
    ))
    assert str(_error(path, park)) == f"{path}, row 3, field 'value': value 'abc' is not a number"


def test_bad_timestamp(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, (
        "meter_id,timestamp,value\ne1,2024-01-01 00:00,1\ne1,2024-13-45 01:00,2\n"
    ))
    assert str(_error(path, park)) == (
        f"{path}, row 3, field 'timestamp': cannot parse timestamp '2024-13-45 01:00'"
    )


def test_nonexistent_local_time(tmp_path: Path, park: Park) -> None:
    # Europe/London springs forward at 2022-03-27 01:00 GMT: 01:30 local does not exist.
    path = _csv(tmp_path, (
        "meter_id,timestamp,value\ne1,2022-03-27 00:30,1\ne1,2022-03-27 01:30,2\n"
    ))
    assert str(_error(path, park, tz="Europe/London")) == (
        f"{path}, row 3, field 'timestamp': local time 2022-03-27 01:30:00 does not exist or "
        "is ambiguous in Europe/London (daylight-saving change): give timestamps with a UTC "
        "offset"
    )


def test_ambiguous_local_time(tmp_path: Path, park: Park) -> None:
    # Europe/London falls back at 2022-10-30 01:00 GMT: 01:30 local happens twice.
    path = _csv(tmp_path, (
        "meter_id,timestamp,value\ne1,2022-10-30 00:30,1\ne1,2022-10-30 01:30,2\n"
    ))
    assert str(_error(path, park, tz="Europe/London")) == (
        f"{path}, row 3, field 'timestamp': local time 2022-10-30 01:30:00 does not exist or "
        "is ambiguous in Europe/London (daylight-saving change): give timestamps with a UTC "
        "offset"
    )


@pytest.mark.parametrize("first", ["2024-01-01T00:00:00+08:00", "2024-01-01 00:00"])
def test_mixed_offset_and_naive(tmp_path: Path, park: Park, first: str) -> None:
    second = "2024-01-01 01:00" if "+" in first else "2024-01-01T01:00:00+08:00"
    path = _csv(tmp_path, f"meter_id,timestamp,value\ne1,{first},1\ne1,{second},2\n")
    # The row named is the first one without an offset.
    row = 3 if "+" in first else 2
    assert str(_error(path, park)) == (
        f"{path}, row {row}, field 'timestamp': timestamps mix values with and without UTC "
        "offset"
    )


def test_wrong_unit_for_the_meter(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, (
        "meter_id,timestamp,value,unit\ne1,2024-01-01 00:00,1,kWh\ne1,2024-01-01 01:00,2,m³\n"
    ))
    with pytest.raises(UnitError) as info:
        read_meter_file(path, park)
    assert str(info.value) == (
        f"{path}, row 3, field 'unit': meter 'e1': cannot convert 'm³' to 'kWh': other dimension"
    )


def test_unknown_unit(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, "meter_id,timestamp,value,unit\ne1,2024-01-01 00:00,1,kWhh\n")
    assert str(_error(path, park)) == (
        f"{path}, row 2, field 'unit': meter 'e1': unknown unit 'kWhh'"
    )


def test_missing_value_column(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, "meter_id,timestamp,reading\ne1,2024-01-01 00:00,1\n")
    assert str(_error(path, park)) == (
        f"{path}, header: long layout needs columns meter_id, timestamp, value"
    )


def test_missing_timestamp_column(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, "meter_id,when,value\ne1,2024-01-01 00:00,1\n")
    assert str(_error(path, park)) == (
        f"{path}, header: no timestamp column (one of timestamp, ts, time, datetime)"
    )


def test_unsupported_extension(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, "meter_id,timestamp,value\n", name="readings.xlsx")
    assert str(_error(path, park)) == (
        f"{path}: unsupported file type '.xlsx'; use .csv or .parquet"
    )


def test_missing_file(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "absent.csv"
    assert str(_error(path, park)) == f"{path}: file not found"


def test_no_reading_markers_are_skipped_like_empty_cells(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, (
        "meter_id,timestamp,value\ne1,2024-01-01 00:00,1\ne1,2024-01-01 01:00,NaN\n"
        "e1,2024-01-01 02:00,N/A\ne1,2024-01-01 03:00,\ne1,2024-01-01 04:00,-\n"
        "e1,2024-01-01 05:00,2\n"
    ))
    frame, meta = read_meter_file(path, park)
    assert frame["value_raw"].tolist() == [1.0, 2.0]
    assert meta.n_blank == 4


def test_semicolon_separated_file_gets_a_hint(tmp_path: Path, park: Park) -> None:
    path = _csv(tmp_path, "meter_id;timestamp;value\ne1;2024-01-01 00:00;1\n")
    assert "the header contains ';'" in str(_error(path, park))


def test_binary_file_named_csv(tmp_path: Path, park: Park) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\xff\xfe\xfa" * 200)
    assert str(_error(path, park)) == f"{path}: not a UTF-8 text CSV file"


def test_unreadable_column_types_name_the_file(tmp_path: Path, park: Park) -> None:
    """A list-typed value column (nested Parquet) is an InputError naming the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "nested.parquet"
    meter = park.meters[0].meter_id
    pq.write_table(pa.table({"meter_id": [meter], "timestamp": ["2024-01-01T00:00:00Z"],
                             "value": [[1.0, 2.0]]}), path)
    with pytest.raises(InputError) as err:
        read_meter_file(path, park)
    assert "nested.parquet" in str(err.value)
