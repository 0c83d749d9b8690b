"""Tests of the factor library: cited reference values, queries, fallback, CSV validation."""

from __future__ import annotations

import csv
import math
from dataclasses import fields
from pathlib import Path

import pytest

from zeropark.errors import InputError, UnknownFactorError
from zeropark.factors import (
    Factor,
    all_factors,
    find_factors,
    get_factor,
    grid_factor,
    load_factors,
)
from zeropark.factors.gwp import gwp
from zeropark.units import ureg

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "factors.csv"
FIELDS = [f.name for f in fields(Factor)]


def _reference_cases() -> list[dict[str, str]]:
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _resolve(factor_id: str) -> Factor:
    # "gwp100:<AR>:<gas>" cases are looked up in the GWP package at run time.
    if factor_id.startswith("gwp100:"):
        _, ar, gas = factor_id.split(":", 2)
        return gwp(gas, ar)
    return get_factor(factor_id)


@pytest.mark.parametrize("case", _reference_cases(), ids=lambda c: c["case_id"])
def test_reference_value(case: dict[str, str]) -> None:
    factor = _resolve(case["factor_id"])
    got = factor.pint_quantity().to(ureg.parse_expression(case["unit"])).magnitude
    assert math.isclose(
        got,
        float(case["expected"]),
        rel_tol=float(case["rtol"]),
        abs_tol=float(case["atol"]),
    ), f"{case['case_id']}: {got} != {case['expected']} {case['unit']} ({case['source']})"


def test_reference_cases_have_provenance() -> None:
    for case in _reference_cases():
        assert case["source"].strip() and case["note"].strip(), case["case_id"]
        assert float(case["rtol"]) > 0 or float(case["atol"]) > 0, case["case_id"]


def test_natural_gas_co2_per_gj_from_default_parameters() -> None:
    # EF = CC · OF · 44/12 (NDRC 2015 工业其他行业 guideline, 化石燃料燃烧 emission-factor formula;
    # GB/T 32150-2015 uses the same form). Hand computation: 0.0153 tC/GJ · 0.99 · 44/12.
    expected_t_per_gj = 0.0153 * 0.99 * 44 / 12
    assert math.isclose(expected_t_per_gj, 0.0555390, rel_tol=1e-6)
    cc = get_factor("cn_ndrc_2015_natural_gas_carbon_content").pint_quantity()
    of = get_factor("cn_ndrc_2015_natural_gas_oxidation_rate").pint_quantity()
    ef = (cc * of * 44 / 12).to("t/GJ").magnitude
    assert math.isclose(ef, expected_t_per_gj, rel_tol=1e-12)


def test_natural_gas_co2_per_m3_from_default_parameters() -> None:
    # 389.31 GJ/10⁴ m³ · 0.0153 tC/GJ · 0.99 · 44/12 = 21.6218 t CO2/10⁴ m³ = 2.16218 kg/m³.
    expected_kg_per_m3 = 389.31 / 1e4 * 0.0153 * 0.99 * 44 / 12 * 1000
    ncv = get_factor("cn_ndrc_2015_natural_gas_ncv").pint_quantity()
    cc = get_factor("cn_ndrc_2015_natural_gas_carbon_content").pint_quantity()
    of = get_factor("cn_ndrc_2015_natural_gas_oxidation_rate").pint_quantity()
    got = (ncv * cc * of * 44 / 12).to("kg/m**3").magnitude
    assert math.isclose(got, expected_kg_per_m3, rel_tol=1e-12)


def test_every_shipped_factor_is_cited_and_parses() -> None:
    factors = all_factors()
    assert len({f.factor_id for f in factors}) == len(factors)
    for f in factors:
        assert f.source and f.table and f.edition and f.licence, f.factor_id
        assert f.notes.count("verified") >= 1, f"{f.factor_id}: notes must state verification"
        assert math.isfinite(f.pint_quantity().magnitude)


def test_grid_units_are_co2_per_energy() -> None:
    for kind in ("grid_electricity", "grid_electricity_residual_proxy", "grid_electricity_fossil"):
        for f in find_factors(kind):
            assert f.gas == "CO2"
            per_kwh = ureg.parse_expression("kg/kWh")
            assert f.pint_quantity().dimensionality == per_kwh.dimensionality


def test_get_factor_unknown_raises_keyerror_subclass() -> None:
    with pytest.raises(UnknownFactorError) as info:
        get_factor("no_such_factor")
    assert isinstance(info.value, KeyError)
    assert info.value.factor_id == "no_such_factor"
    assert "no_such_factor" in str(info.value)


def test_find_factors_filters() -> None:
    east = find_factors("grid_electricity", region="CN-East")
    assert [f.data_year for f in east] == [2021, 2022, 2023]
    assert find_factors("grid_electricity", region="CN", data_year=2022)[0].value == 0.5366
    assert [f.factor_id for f in find_factors("fuel_oxidation_rate", fuel="diesel")] == [
        "cn_ndrc_2015_diesel_oxidation_rate"
    ]
    assert find_factors("grid_electricity", region="XX") == ()


def test_grid_factor_exact_year_has_no_fallback() -> None:
    choice = grid_factor("CN", 2021)
    assert choice.factor.factor_id == "cn_grid_mee_2021_national"
    assert choice.fallback == ""
    assert choice.requested == "grid_electricity region=CN data_year=2021"


def test_grid_factor_missing_year_falls_back_to_latest_earlier_and_records_it() -> None:
    choice = grid_factor("CN", 2024)
    assert choice.factor.factor_id == "cn_grid_mee_2023_national"
    assert "2024" in choice.fallback and "2023" in choice.fallback
    # Jiangsu 2023 is not shipped: falls back to 2022, never to another region.
    js = grid_factor("CN-JS", 2023)
    assert js.factor.factor_id == "cn_grid_mee_2022_jiangsu"
    assert js.factor.region == "CN-JS"
    assert js.fallback


def test_grid_factor_never_uses_a_later_year() -> None:
    with pytest.raises(UnknownFactorError):
        grid_factor("CN", 2020)
    with pytest.raises(UnknownFactorError):
        grid_factor("CN-XX", 2023)


def _write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header or FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def _row(**overrides: str) -> dict[str, str]:
    row = {
        "factor_id": "test_factor",
        "kind": "grid_electricity",
        "value": "0.5",
        "unit": "kg/kWh",
        "gas": "CO2",
        "region": "CN",
        "data_year": "2023",
        "source": "test source",
        "table": "table 1",
        "edition": "2024",
        "licence": "CC0",
        "notes": "not verified: test",
        "fuel": "",
    }
    row.update(overrides)
    return row


def test_load_factors_reads_valid_directory(tmp_path: Path) -> None:
    _write_csv(tmp_path / "a.csv", [_row(), _row(factor_id="other", data_year="")])
    factors = load_factors(tmp_path)
    assert [f.factor_id for f in factors] == ["test_factor", "other"]
    assert factors[1].data_year is None


@pytest.mark.parametrize(
    ("overrides", "field", "row"),
    [
        ({"unit": "kg/furlongs_of_nothing"}, "unit", "row 2"),
        ({"value": "nan"}, "value", "row 2"),
        ({"value": "abc"}, "value", "row 2"),
        ({"value": "inf"}, "value", "row 2"),
        ({"gas": "CH4"}, "gas", "row 2"),
        ({"data_year": "twenty"}, "data_year", "row 2"),
        ({"source": " "}, "source", "row 2"),
        ({"factor_id": "test_factor"}, "factor_id", "row 2"),
    ],
)
def test_load_factors_error_names_file_row_field(
    tmp_path: Path, overrides: dict[str, str], field: str, row: str
) -> None:
    second = _row(factor_id="second")
    second.update(overrides)
    path = tmp_path / "broken.csv"
    _write_csv(path, [_row(), second])
    with pytest.raises(InputError) as info:
        load_factors(tmp_path)
    err = info.value
    assert err.path == str(path)
    assert err.location == row
    assert err.field == field
    message = str(err)
    assert "broken.csv" in message and row in message and repr(field) in message


def test_load_factors_duplicate_across_files(tmp_path: Path) -> None:
    _write_csv(tmp_path / "a.csv", [_row()])
    _write_csv(tmp_path / "b.csv", [_row()])
    with pytest.raises(InputError, match=r"b\.csv, row 1, field 'factor_id'.*a\.csv row 1"):
        load_factors(tmp_path)


def test_load_factors_bad_header(tmp_path: Path) -> None:
    header = [name for name in FIELDS if name != "licence"]
    _write_csv(tmp_path / "h.csv", [{k: v for k, v in _row().items() if k != "licence"}], header)
    with pytest.raises(InputError, match=r"h\.csv, header: .*missing \['licence'\]"):
        load_factors(tmp_path)


def test_input_error_is_value_error(tmp_path: Path) -> None:
    _write_csv(tmp_path / "a.csv", [_row(value="x")])
    with pytest.raises(ValueError):
        load_factors(tmp_path)
