"""Tests of the process-emission parameters (carbonates, shielding gas)."""

from __future__ import annotations

import math

import pytest

from zeropark.errors import UnitError, UnknownFactorError
from zeropark.factors import find_factors
from zeropark.factors.process import (
    CARBONATE_KIND,
    carbonate_factor,
    shielding_gas_co2_mass_fraction,
)

# IUPAC/CIAAW abridged standard atomic weights [g/mol], typed here independently of the CSV notes.
W = {
    "C": 12.011,
    "O": 15.999,
    "H": 1.008,
    "Ca": 40.078,
    "Mg": 24.305,
    "Na": 22.990,
    "Ba": 137.33,
    "Li": 6.94,
    "K": 39.098,
    "Sr": 87.62,
    "Fe": 55.845,
    "Mn": 54.938,
}
CO2 = W["C"] + 2 * W["O"]
MOLAR_MASS = {
    "CaCO3": W["Ca"] + W["C"] + 3 * W["O"],
    "MgCO3": W["Mg"] + W["C"] + 3 * W["O"],
    "CaMg(CO3)2": W["Ca"] + W["Mg"] + 2 * W["C"] + 6 * W["O"],
    "Na2CO3": 2 * W["Na"] + W["C"] + 3 * W["O"],
    "BaCO3": W["Ba"] + W["C"] + 3 * W["O"],
    "Li2CO3": 2 * W["Li"] + W["C"] + 3 * W["O"],
    "K2CO3": 2 * W["K"] + W["C"] + 3 * W["O"],
    "SrCO3": W["Sr"] + W["C"] + 3 * W["O"],
    "NaHCO3": W["Na"] + W["H"] + W["C"] + 3 * W["O"],
    "FeCO3": W["Fe"] + W["C"] + 3 * W["O"],
    "MnCO3": W["Mn"] + W["C"] + 3 * W["O"],
}
CO2_PER_FORMULA = {"CaMg(CO3)2": 2}


def test_all_carbonates_shipped() -> None:
    assert sorted(f.fuel for f in find_factors(CARBONATE_KIND)) == sorted(MOLAR_MASS)


@pytest.mark.parametrize("formula", sorted(MOLAR_MASS))
def test_carbonate_factor_is_stoichiometric(formula: str) -> None:
    # EF = n · M(CO2) / M(carbonate). Published tables used older atomic weights
    # (Na2CO3 0.4149 vs 0.4152 here), so agreement is asserted within 0.1 % (rtol 1e-3).
    expected = CO2_PER_FORMULA.get(formula, 1) * CO2 / MOLAR_MASS[formula]
    factor = carbonate_factor(formula)
    assert factor.unit == "t/t" and factor.gas == "CO2"
    assert math.isclose(factor.pint_quantity().to("").magnitude, expected, rel_tol=1e-3)
    assert "not verified" in factor.notes


def test_carbonate_lookup_is_case_insensitive_and_errors_list_known() -> None:
    assert carbonate_factor("caco3").factor_id == "cn_ndrc_2015_carbonate_calcium"
    with pytest.raises(UnknownFactorError, match="known: CaCO3, MgCO3"):
        carbonate_factor("PbCO3")


def test_shielding_gas_mass_fraction_hand_computed() -> None:
    # 80 % Ar / 20 % CO2 by volume:
    # w = 0.2·44.009 / (0.2·44.009 + 0.8·39.95) = 8.8018 / 40.7618 = 0.215933
    expected = 0.2 * 44.009 / (0.2 * 44.009 + 0.8 * 39.95)
    got = shielding_gas_co2_mass_fraction({"Ar": 0.8, "CO2": 0.2})
    assert math.isclose(got, expected, rel_tol=1e-12)
    assert math.isclose(expected, 0.2159326, rel_tol=1e-6)
    assert shielding_gas_co2_mass_fraction({"CO2": 1.0}) == 1.0
    assert shielding_gas_co2_mass_fraction({"Ar": 1.0}) == 0.0


@pytest.mark.parametrize(
    "fractions",
    [{"Ar": 0.8, "CO2": 0.3}, {"Xe": 0.5, "CO2": 0.5}, {"Ar": 1.2, "CO2": -0.2}],
)
def test_shielding_gas_rejects_bad_input(fractions: dict[str, float]) -> None:
    with pytest.raises(UnitError):
        shielding_gas_co2_mass_fraction(fractions)
