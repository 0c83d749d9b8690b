"""Tests of the GWP100 sets: names, reports, blends, errors (values in reference/factors.csv)."""

from __future__ import annotations

import math

import globalwarmingpotentials
import pytest

from zeropark.errors import UnknownFactorError
from zeropark.factors.gwp import ASSESSMENT_REPORTS, BLEND_COMPOSITIONS, GWP_GASES, gwp


@pytest.mark.parametrize("ar", ["AR5", "ar5", "gwp_ar5", "GWP100_AR5", " Ar5 "])
def test_report_spellings(ar: str) -> None:
    assert gwp("CH4", ar).factor_id == "ipcc_ar5_gwp100_ch4"


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("hfc-134a", "HFC-134a"),
        ("HFC134a", "HFC-134a"),
        ("R-134a", "HFC-134a"),
        ("r410a", "R-410A"),
        ("R_407C", "R-407C"),
        ("sf6", "SF6"),
        ("PFC-14", "CF4"),
    ],
)
def test_gas_spellings(spelling: str, canonical: str) -> None:
    assert gwp(spelling, "AR5").gas == canonical


def test_factor_fields_and_provenance() -> None:
    f = gwp("N2O", "AR6")
    assert (f.kind, f.unit, f.region, f.data_year) == ("gwp100", "dimensionless", "global", None)
    assert "Table 7.SM.7" in f.table
    assert "globalwarmingpotentials" in f.source
    assert globalwarmingpotentials.__version__ in f.source
    assert "CC0" in f.source and "CC0" in f.licence
    assert "verified" in f.notes
    assert f.pint_quantity().to("dimensionless").magnitude == f.value


def test_values_come_from_the_package_at_run_time() -> None:
    # The library holds no GWP table of its own: every single-gas value equals the package's.
    for ar, (column, *_rest) in ASSESSMENT_REPORTS.items():
        table = globalwarmingpotentials.data[column]
        for gas in ("CH4", "N2O", "SF6", "HFC-134a", "HFC-23", "HFC-32", "CF4", "C2F6"):
            assert gwp(gas, ar).value == table[gas.replace("-", "")], (gas, ar)


def test_co2_is_one_in_every_report() -> None:
    assert {gwp("CO2", ar).value for ar in ASSESSMENT_REPORTS} == {1.0}


def test_every_listed_gas_resolves_in_ar4_ar5_ar6() -> None:
    for ar in ("AR4", "AR5", "AR6"):
        for gas in GWP_GASES:
            assert gwp(gas, ar).value >= 1.0


def test_blend_compositions_sum_to_one() -> None:
    for blend, parts in BLEND_COMPOSITIONS.items():
        assert math.isclose(sum(parts.values()), 1.0, rel_tol=1e-12), blend


def test_r410a_ar5_hand_computed() -> None:
    # R-410A = 50 % HFC-32 + 50 % HFC-125 by mass (ASHRAE 34 / ISO 817);
    # AR5 WG I Table 8.A.1: HFC-32 677, HFC-125 3170 → 0.5·677 + 0.5·3170 = 1923.5.
    f = gwp("R-410A", "AR5")
    assert math.isclose(f.value, 1923.5, rel_tol=1e-12)
    assert "0.5·677" in f.notes and "0.5·3170" in f.notes
    assert "ASHRAE" in f.notes


def test_r404a_ar6_hand_computed() -> None:
    # R-404A = 44 % HFC-125 + 52 % HFC-143a + 4 % HFC-134a by mass;
    # AR6 Table 7.SM.7: HFC-125 3740, HFC-143a 5810, HFC-134a 1530.
    expected = 0.44 * 3740 + 0.52 * 5810 + 0.04 * 1530
    assert math.isclose(gwp("R-404A", "AR6").value, expected, rel_tol=1e-12)


def test_unknown_gas_lists_known_gases() -> None:
    with pytest.raises(UnknownFactorError, match="known gases: CO2, CH4") as info:
        gwp("unobtainium", "AR5")
    assert isinstance(info.value, KeyError)


def test_unknown_report() -> None:
    with pytest.raises(UnknownFactorError, match="known reports: SAR, TAR, AR4, AR5, AR6"):
        gwp("CH4", "AR7")


def test_gas_missing_from_a_report_raises() -> None:
    # The SAR gives no GWP for NF3 or HFC-245fa.
    with pytest.raises(UnknownFactorError, match="SAR gives no GWP100"):
        gwp("NF3", "SAR")
    with pytest.raises(UnknownFactorError):
        gwp("HFC-245fa", "SAR")
