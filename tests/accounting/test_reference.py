"""Accounting formulas against hand-computed, cited cases (tests/reference/accounting.csv)."""

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from zeropark.accounting.energy import TceMethod, coal_equivalent
from zeropark.accounting.ghg import (
    GJ_PER_KWH,
    combustion_emissions,
    gas_energy_emissions,
    gross_to_net,
    purchased_electricity_emissions,
)
from zeropark.factors import get_factor
from zeropark.units import Medium

CASES = list(csv.DictReader(open(Path(__file__).parents[1] / "reference" / "accounting.csv",
                                 encoding="utf-8")))


def _compute(function: str, inputs: dict) -> float:
    if function == "combustion_emissions":
        return combustion_emissions(**inputs)
    if function == "gas_energy_emissions_gross":
        net = gross_to_net(inputs["energy_kwh_gross"], inputs["ncv_gcv_ratio"])
        return gas_energy_emissions(net, inputs["carbon_content"], inputs["oxidation_rate"])
    if function == "purchased_electricity_emissions":
        idx = pd.date_range("2023-06-01", periods=1, freq="h", tz="UTC")
        return purchased_electricity_emissions(pd.Series([inputs["energy_kwh"]], idx),
                                               inputs["emission_factor"])
    if function == "coal_equivalent_electricity":
        return inputs["energy_kwh"] * coal_equivalent(Medium.ELECTRICITY).kgce_per_kwh / 1000
    if function == "coal_equivalent_electricity_equivalent":
        ce = coal_equivalent(Medium.ELECTRICITY, tce_method=TceMethod.EQUIVALENT,
                             supply_coal_rate_kgce_per_kwh=inputs["supply_coal_rate_kgce_per_kwh"])
        return inputs["energy_kwh"] * ce.kgce_per_kwh / 1000
    if function == "coal_equivalent_gas":
        ce = coal_equivalent(Medium.NATURAL_GAS, calorific_basis=inputs["calorific_basis"])
        return inputs["energy_kwh"] * ce.kgce_per_kwh / 1000
    if function == "purchased_heat_emissions":
        factor = get_factor("cn_ndrc_2015_purchased_heat_ef")
        return inputs["heat_gj"] * float(factor.pint_quantity().to("t/GJ").magnitude)
    raise AssertionError(f"unknown function {function}")


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_reference_case(case):
    got = _compute(case["function"], json.loads(case["inputs"]))
    assert got == pytest.approx(float(case["expected"]), rel=float(case["rtol"]),
                                abs=float(case["atol"]))


def test_reference_cases_cite_sources():
    assert len(CASES) >= 10
    assert all(c["source"].strip() and c["note"].strip() for c in CASES)


def test_factor_values_used_by_cases_match_the_library():
    # The reference cases type the published numbers; the library must hold the same ones.
    assert get_factor("cn_grid_mee_2023_east").value == 0.5500
    assert get_factor("cn_grid_mee_2023_national").value == 0.5306
    assert get_factor("cn_ndrc_2015_natural_gas_carbon_content").value == 0.0153
    assert get_factor("cn_ndrc_2015_natural_gas_oxidation_rate").value == 0.99
    assert get_factor("cn_ndrc_2015_natural_gas_ncv").value == 389.31
    assert get_factor("cn_gbt2589_2020_electricity_calorific").value == 0.1229
    assert GJ_PER_KWH == 0.0036


def test_oxidation_rate_outside_unit_interval_is_rejected():
    with pytest.raises(ValueError, match="oxidation_rate"):
        combustion_emissions(1.0, 389.31, 0.0153, 99.0)


def test_equivalent_method_needs_a_supply_coal_rate():
    with pytest.raises(ValueError, match="supply coal rate"):
        coal_equivalent(Medium.ELECTRICITY, tce_method=TceMethod.EQUIVALENT)


def test_hourly_factor_is_matched_per_hour():
    idx = pd.date_range("2022-01-01 00:00", periods=8, freq="15min", tz="UTC")
    energy = pd.Series([1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0], idx)
    hourly = pd.Series([0.2, 0.1], pd.date_range("2022-01-01", periods=2, freq="h", tz="UTC"))
    # 4 kWh × 0.2 + 8 kWh × 0.1 = 1.6 kg = 0.0016 t
    assert purchased_electricity_emissions(energy, hourly) == pytest.approx(0.0016, rel=1e-12)


def test_hourly_factor_missing_hour_is_an_error():
    idx = pd.date_range("2022-01-01 02:00", periods=1, freq="h", tz="UTC")
    hourly = pd.Series([0.2], pd.date_range("2022-01-01", periods=1, freq="h", tz="UTC"))
    with pytest.raises(ValueError, match="no value for"):
        purchased_electricity_emissions(pd.Series([1.0], idx), hourly)
