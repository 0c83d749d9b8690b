"""Tests of FactorLibrary: user factors, explicit fallbacks, fuel defaults."""

from __future__ import annotations

from dataclasses import replace

import pytest

from zeropark.errors import InputError, UnknownFactorError
from zeropark.factors import (
    FUEL_KEYS,
    Factor,
    FactorLibrary,
    find_factors,
    fuel_defaults,
    get_factor,
    grid_factor,
)


def _user(factor_id: str, *, region: str, data_year: int | None, value: float = 0.5) -> Factor:
    return Factor(
        factor_id=factor_id,
        kind="grid_electricity",
        value=value,
        unit="kg/kWh",
        gas="CO2",
        region=region,
        data_year=data_year,
        source="provincial notice (test)",
        table="annex",
        edition="2025",
        licence="test",
        notes="not verified: test value",
    )


def test_exact_match_has_empty_fallback() -> None:
    choice = FactorLibrary().choose("grid_electricity", region="CN-East", data_year=2022)
    assert choice.factor.factor_id == "cn_grid_mee_2022_east"
    assert choice.fallback == ""
    assert choice.requested == "grid_electricity region=CN-East data_year=2022"


def test_same_region_earlier_year_before_parent_region() -> None:
    # Jiangsu 2023 is not shipped; Jiangsu 2022 wins over 华东 2023 (documented order).
    choice = FactorLibrary().choose("grid_electricity", region="CN-JS", data_year=2023)
    assert choice.factor.factor_id == "cn_grid_mee_2022_jiangsu"
    assert choice.fallback == (
        "no grid_electricity factor for region CN-JS and data year 2023; "
        "used data year 2022 of region CN-JS, the latest earlier year published"
    )
    # Same choice as the module-level grid_factor.
    assert grid_factor("CN-JS", 2023).factor == choice.factor


def test_parent_region_same_year() -> None:
    choice = FactorLibrary().choose("grid_electricity", region="CN-SH", data_year=2023)
    assert choice.factor.factor_id == "cn_grid_mee_2023_east"
    assert choice.fallback == (
        "no grid_electricity factor for region CN-SH and data year 2023 or any earlier year; "
        "used region CN-East (parent region of CN-SH), data year 2023"
    )


def test_parent_region_earlier_year() -> None:
    choice = FactorLibrary().choose("grid_electricity", region="CN-SH", data_year=2024)
    assert choice.factor.factor_id == "cn_grid_mee_2023_east"
    assert choice.fallback == (
        "no grid_electricity factor for region CN-SH and data year 2024 or any earlier year; "
        "no grid_electricity factor for region CN-East and data year 2024; "
        "used data year 2023 of region CN-East (parent region of CN-SH), "
        "the latest earlier year published"
    )


def test_residual_mix_proxy_for_market_based_scope2() -> None:
    lib = FactorLibrary()
    choice = lib.choose("grid_electricity_residual_proxy", region="CN", data_year=2024)
    assert choice.factor.factor_id == "cn_grid_mee_2023_residual_proxy"
    assert choice.factor.value == 0.6096
    assert choice.fallback == (
        "no grid_electricity_residual_proxy factor for region CN and data year 2024; "
        "used data year 2023 of region CN, the latest earlier year published"
    )
    # Jiangsu has only the national proxy: two regions up, recorded step by step.
    js = lib.choose("grid_electricity_residual_proxy", region="CN-JS", data_year=2024)
    assert js.factor.factor_id == "cn_grid_mee_2023_residual_proxy"
    assert js.fallback.count("; ") == 3
    assert "parent region of CN-JS" in js.fallback


def test_year_independent_default_is_recorded() -> None:
    choice = FactorLibrary().choose("fuel_ncv", region="CN", data_year=2024, fuel="natural_gas")
    assert choice.factor.factor_id == "cn_ndrc_2015_natural_gas_ncv"
    assert choice.fallback == (
        "no fuel_ncv fuel=natural_gas factor for region CN and data year 2024; "
        "used the year-independent default of region CN"
    )


def test_never_a_later_year_and_error_lists_steps() -> None:
    lib = FactorLibrary(user=[_user("js_grid_2025", region="CN-JS", data_year=2025)])
    with pytest.raises(
        UnknownFactorError, match=r"CN-JS and data year 2020 or any earlier"
    ) as info:
        lib.choose("grid_electricity", region="CN-JS", data_year=2020)
    assert "region CN and data year 2020" in str(info.value)
    # 2024 uses Jiangsu 2022 (shipped), not the user's 2025.
    assert lib.choose("grid_electricity", region="CN-JS", data_year=2024).factor.data_year == 2022


def test_user_factor_is_found_exactly() -> None:
    mine = _user("js_grid_2023_provincial", region="CN-JS", data_year=2023, value=0.6)
    lib = FactorLibrary(user=(mine,))
    choice = lib.choose("grid_electricity", region="CN-JS", data_year=2023)
    assert choice.factor is mine and choice.fallback == ""
    assert lib.get("js_grid_2023_provincial") is mine
    assert lib.user_ids == {"js_grid_2023_provincial"}
    # The shipped library is untouched.
    with pytest.raises(UnknownFactorError):
        get_factor("js_grid_2023_provincial")


def test_user_factor_may_not_overwrite_shipped() -> None:
    clash = replace(get_factor("cn_grid_mee_2023_national"), value=0.1)
    with pytest.raises(InputError, match="user factors never overwrite shipped ones"):
        FactorLibrary(user=[clash])
    twice = _user("mine", region="CN", data_year=2023)
    with pytest.raises(InputError, match="already a user factor"):
        FactorLibrary(user=[twice, twice])


def test_find_filters_version_by_edition_prefix() -> None:
    lib = FactorLibrary()
    assert [f.factor_id for f in lib.find("grid_electricity_ets", version="2023-02")] == [
        "cn_grid_ets_2022_reporting"
    ]
    assert len(lib.find("fuel_ncv", version="2015")) == len(find_factors("fuel_ncv"))
    assert lib.find("fuel_ncv", version="2099") == ()


@pytest.mark.parametrize("fuel", FUEL_KEYS)
def test_fuel_defaults_complete(fuel: str) -> None:
    ncv, cc, of = fuel_defaults(fuel)
    assert (ncv.kind, cc.kind, of.kind) == (
        "fuel_ncv",
        "fuel_carbon_content",
        "fuel_oxidation_rate",
    )
    assert {ncv.fuel, cc.fuel, of.fuel} == {fuel}
    assert 0 < of.value <= 1 and cc.pint_quantity().to("t/GJ").magnitude < 0.05


def test_fuel_defaults_unknown_lists_known() -> None:
    with pytest.raises(UnknownFactorError, match="known fuels: anthracite, bituminous_coal"):
        fuel_defaults("peat")
