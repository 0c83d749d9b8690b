"""Tests of user factor import (CSV and .xlsx): validation errors name file, row and field."""

from __future__ import annotations

import csv
from dataclasses import fields
from pathlib import Path

import pytest
from openpyxl import Workbook

from zeropark.errors import InputError
from zeropark.factors import Factor, FactorLibrary, load_user_factors

FIELDS = [f.name for f in fields(Factor)]


def _row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "factor_id": "park_grid_2024_green_contract",
        "kind": "grid_electricity",
        "value": "0.4",
        "unit": "kg/kWh",
        "gas": "CO2",
        "region": "CN-JS",
        "data_year": "2024",
        "source": "supplier contract (test)",
        "table": "annex 2",
        "edition": "2024",
        "licence": "own data",
        "notes": "not verified: test",
        "fuel": "",
    }
    row.update(overrides)
    return row


def _write_csv(path: Path, rows: list[dict[str, object]], *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _write_xlsx(path: Path, rows: list[dict[str, object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(FIELDS)
    for row in rows:
        sheet.append([row[name] for name in FIELDS])
    book.save(path)
    return path


def test_csv_round_trip_and_use_in_library(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "mine.csv", [_row(), _row(factor_id="other", data_year="")])
    factors = load_user_factors(path)
    assert [f.factor_id for f in factors] == ["park_grid_2024_green_contract", "other"]
    assert factors[0].value == 0.4 and factors[0].data_year == 2024
    choice = FactorLibrary(user=factors).choose("grid_electricity", region="CN-JS", data_year=2024)
    assert choice.factor.factor_id == "park_grid_2024_green_contract" and choice.fallback == ""


def test_csv_with_excel_bom_is_read(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "bom.csv", [_row()], encoding="utf-8-sig")
    assert load_user_factors(path)[0].factor_id == "park_grid_2024_green_contract"


def test_csv_bad_unit_names_row_3_and_field_unit(tmp_path: Path) -> None:
    # Header = row 1, first factor = row 2, so the second factor is row 3 (as Excel shows it).
    path = _write_csv(tmp_path / "units.csv", [_row(), _row(factor_id="b", unit="kg/kWhh")])
    with pytest.raises(InputError) as info:
        load_user_factors(path)
    err = info.value
    assert (err.path, err.location, err.field) == (str(path), "row 3", "unit")
    assert "units.csv, row 3, field 'unit'" in str(err)


def test_blank_rows_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    _write_csv(path, [_row()])
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(",,,,,,,,,,,,\n")
        csv.DictWriter(handle, fieldnames=FIELDS).writerow(_row(factor_id="c", gas="CH4"))
    with pytest.raises(InputError) as info:
        load_user_factors(path)
    assert (info.value.location, info.value.field) == ("row 4", "gas")


def test_collision_with_shipped_id_is_refused(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "clash.csv", [_row(factor_id="cn_grid_mee_2023_national")])
    with pytest.raises(InputError, match="user factors never overwrite shipped ones") as info:
        load_user_factors(path)
    assert (info.value.location, info.value.field) == ("row 2", "factor_id")


def test_repeated_user_id_is_refused(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "twice.csv", [_row(), _row()])
    with pytest.raises(InputError, match=r"row 3, field 'factor_id'.*first in row 2"):
        load_user_factors(path)


def test_bad_header(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("factor_id,kind,value\nx,y,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 1 \(header\).*missing \['data_year'"):
        load_user_factors(path)


def test_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "factors.xls"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="unsupported file type '.xls'"):
        load_user_factors(path)


def test_xlsx_numbers_and_years_read_as_typed(tmp_path: Path) -> None:
    # Excel stores 2024 and 0.4 as numbers; they must read like the CSV text.
    path = _write_xlsx(
        tmp_path / "mine.xlsx",
        [_row(value=0.4, data_year=2024), _row(factor_id="b", value=1.5, data_year=None)],
    )
    factors = load_user_factors(path)
    assert [(f.value, f.data_year) for f in factors] == [(0.4, 2024), (1.5, None)]


def test_xlsx_bad_value_names_row_and_field(tmp_path: Path) -> None:
    path = _write_xlsx(tmp_path / "bad.xlsx", [_row(value=0.4), _row(factor_id="b", value="n/a")])
    with pytest.raises(InputError) as info:
        load_user_factors(path)
    err = info.value
    assert (err.path, err.location, err.field) == (str(path), "row 3", "value")
    assert "bad.xlsx, row 3, field 'value'" in str(err)


def test_xlsx_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable .xlsx workbook"):
        load_user_factors(path)
