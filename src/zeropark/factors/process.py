"""Process-emission parameters (工业生产过程, gongye shengchan guocheng → ``process``).

Shipped rows (``factors/data/process_cn.csv``, ``kind="carbonate_emission_factor"``):
CO2 released per tonne of carbonate consumed, EF = n · M(CO2) / M(carbonate),
as tabulated for carbonate use in the NDRC 2015 工业其他行业 guideline. The
``fuel`` column holds the carbonate formula (``"CaCO3"``).

Documented here, not shipped as numbers
---------------------------------------
- **CO2 shielding gas (二氧化碳气体保护焊), NDRC 2015 机械设备制造 guideline.**
  E_CO2 = Σᵢ Pᵢ · wᵢ with Pᵢ the net use of shielding gas *i* in the period [t]
  (opening stock + purchases − closing stock − sales) and wᵢ the CO2 mass
  fraction of the gas, obtained from volume fractions Vⱼ and molar masses Mⱼ
  as wᵢ = V_CO2 · 44 / Σⱼ Vⱼ · Mⱼ (:func:`shielding_gas_co2_mass_fraction`).
  Pure CO2 gas has wᵢ = 1. No default CO2 share of mixed gas is shipped: none
  was found; the enterprise reports the composition of the gas it buys.
- **SF6, HFCs and PFCs in the making of electrical and refrigeration equipment**
  (same guideline): E = Σ_gas (opening stock − closing stock + purchases −
  quantity filled into delivered equipment or used off site) · GWP, with
  GWPs from :func:`zeropark.factors.gwp.gwp`. Third-party implementations also
  carry a connection-leak default (0.342 mol per filling) and leak rates
  (0.5 %, 8 %, 0.2 %); these are not shipped: their source was not found.
- **Fluorinated gases in the 电子设备制造 guideline** (etching and CVD chamber
  cleaning): not shipped; the guideline's default parameters were not found.

Both formulas were seen only in third-party code implementing the guideline
(public repositories); clause numbers and the guideline text are not verified.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from zeropark.errors import UnitError, UnknownFactorError
from zeropark.factors.library import Factor, find_factors

__all__ = [
    "CARBONATE_KIND",
    "SHIELDING_GAS_MOLAR_MASS",
    "carbonate_factor",
    "shielding_gas_co2_mass_fraction",
]

#: ``kind`` of the carbonate rows in ``process_cn.csv``.
CARBONATE_KIND: Final = "carbonate_emission_factor"

#: Molar masses of shielding-gas components [g/mol], from the IUPAC/CIAAW
#: 2021 abridged standard atomic weights (C 12.011, O 15.999, N 14.007,
#: Ar 39.95, He 4.0026; from memory, not checked against the CIAAW table).
#: CO2 = 12.011 + 2 · 15.999 = 44.009 (the guideline writes 44).
SHIELDING_GAS_MOLAR_MASS: Final = MappingProxyType(
    {
        "CO2": 12.011 + 2 * 15.999,
        "Ar": 39.95,
        "O2": 2 * 15.999,
        "N2": 2 * 14.007,
        "He": 4.0026,
    }
)


def carbonate_factor(carbonate: str) -> Factor:
    """Return the CO2 emission factor of a carbonate (NDRC 2015 工业其他行业).

    Parameters
    ----------
    carbonate : str
        Chemical formula as in the ``fuel`` column, e.g. ``"CaCO3"``,
        ``"CaMg(CO3)2"``, ``"NaHCO3"`` (case-insensitive).

    Returns
    -------
    Factor
        ``kind="carbonate_emission_factor"``, unit ``t/t`` [t CO2 / t carbonate].

    Raises
    ------
    zeropark.errors.UnknownFactorError
        If no carbonate has that formula; the message lists the known ones.

    Examples
    --------
    >>> carbonate_factor("CaCO3").value
    0.4397
    >>> carbonate_factor("camg(co3)2").factor_id
    'cn_ndrc_2015_carbonate_dolomite'
    """
    rows = find_factors(CARBONATE_KIND)
    for factor in rows:
        if factor.fuel.lower() == carbonate.strip().lower():
            return factor
    known = ", ".join(f.fuel for f in rows)
    raise UnknownFactorError(f"{CARBONATE_KIND} carbonate={carbonate!r} (known: {known})")


def shielding_gas_co2_mass_fraction(volume_fractions: Mapping[str, float]) -> float:
    """CO2 mass fraction of a welding shielding gas from its volume fractions.

    Parameters
    ----------
    volume_fractions : mapping of str to float
        Component → volume (= mole) fraction, e.g. ``{"Ar": 0.8, "CO2": 0.2}``;
        components from :data:`SHIELDING_GAS_MOLAR_MASS`. Fractions must be in
        [0, 1] and sum to 1 (±1e-6). [-]

    Returns
    -------
    float
        w_CO2 = V_CO2 · M_CO2 / Σⱼ Vⱼ · Mⱼ. [-]

    Raises
    ------
    zeropark.errors.UnitError
        If a component is unknown or the fractions are out of range or do
        not sum to 1.

    Notes
    -----
    Used as E_CO2 = P · w_CO2 [t CO2] for P tonnes of gas used (NDRC 2015
    机械设备制造 guideline, see the module notes; not verified against the text).

    Examples
    --------
    >>> round(shielding_gas_co2_mass_fraction({"Ar": 0.8, "CO2": 0.2}), 4)
    0.2159
    >>> shielding_gas_co2_mass_fraction({"CO2": 1.0})
    1.0
    """
    unknown = sorted(set(volume_fractions) - set(SHIELDING_GAS_MOLAR_MASS))
    if unknown:
        raise UnitError(
            f"unknown shielding-gas components {unknown}; known: {sorted(SHIELDING_GAS_MOLAR_MASS)}"
        )
    if any(not 0.0 <= v <= 1.0 for v in volume_fractions.values()):
        raise UnitError(f"volume fractions must be in [0, 1]: {dict(volume_fractions)}")
    total = math.fsum(volume_fractions.values())
    if abs(total - 1.0) > 1e-6:
        raise UnitError(f"volume fractions sum to {total}, not 1")
    mass = {gas: v * SHIELDING_GAS_MOLAR_MASS[gas] for gas, v in volume_fractions.items()}
    return mass.get("CO2", 0.0) / math.fsum(mass.values())
