"""Standard coal equivalent (标准煤, tce) of metered energy, GB/T 2589-2020.

Electricity can be converted two ways (当量值/等价值 → ``tce_method``):
``calorific`` uses the heat content of a kWh (0.1229 kgce/kWh); ``equivalent``
uses the coal burnt to supply a kWh (a supply coal rate the report states).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zeropark.errors import InputError
from zeropark.factors import get_factor
from zeropark.units import Medium, ureg

#: kWh per kgce on the calorific (heat-content) basis: 29 307 kJ / 3 600 kJ.
#: Source: GB/T 2589-2020, definition of 1 kgce = 29 307 kJ (NCV).
KWH_PER_KGCE = 29307.0 / 3600.0


class TceMethod(StrEnum):
    """Electricity to standard coal: 当量值 (``calorific``) or 等价值 (``equivalent``)."""

    CALORIFIC = "calorific"
    EQUIVALENT = "equivalent"


@dataclass(frozen=True, slots=True)
class CoalEquivalent:
    """A standard-coal coefficient with its provenance.

    Attributes
    ----------
    kgce_per_kwh : float
        Coefficient for the canonical kWh of the medium. [kgce/kWh]
    factor_ids : tuple of str
        Factor-library ids it was built from.
    note : str
        How it was built (e.g. gross → net calorific value).
    """

    kgce_per_kwh: float
    factor_ids: tuple[str, ...]
    note: str


def coal_equivalent(medium: Medium, *, tce_method: TceMethod = TceMethod.CALORIFIC,
                    supply_coal_rate_kgce_per_kwh: float | None = None,
                    calorific_basis: str = "net") -> CoalEquivalent:
    """Standard-coal coefficient of one kWh of a medium.

    Parameters
    ----------
    medium : Medium
        Electricity and PV (electricity), natural gas, heat.
    tce_method : TceMethod
        For electricity: ``calorific`` (当量值, GB/T 2589-2020 0.1229 kgce/kWh)
        or ``equivalent`` (等价值, needs `supply_coal_rate_kgce_per_kwh`).
    supply_coal_rate_kgce_per_kwh : float, optional
        Coal burnt per kWh supplied, the 等价值 basis. [kgce/kWh]
    calorific_basis : {"net", "gross"}
        Basis of natural-gas kWh; gross kWh are turned into net first with the
        IPCC 2006 NCV/GCV ratio for natural gas (factor
        ``ipcc2006_natural_gas_ncv_gcv_ratio``).

    Returns
    -------
    CoalEquivalent

    Raises
    ------
    InputError
        ``equivalent`` without a supply coal rate or with one outside
        (0.1229, 1.0) kgce/kWh; a medium that is not an
        energy carrier (water) or has no coefficient (chilled water).

    Notes
    -----
    Heat-content media (gas on NCV, heat): kgce = kWh · 3 600 / 29 307, from
    the GB/T 2589-2020 definition 1 kgce = 29 307 kJ. Electricity 当量值 uses
    the published rounded 0.1229 kgce/kWh of GB/T 2589-2020 Annex A.

    Examples
    --------
    >>> coal_equivalent(Medium.ELECTRICITY).kgce_per_kwh
    0.1229
    >>> round(coal_equivalent(Medium.NATURAL_GAS, calorific_basis="gross").kgce_per_kwh, 6)
    0.110554
    """
    if medium in (Medium.ELECTRICITY, Medium.PV):
        if tce_method == TceMethod.EQUIVALENT:
            rate = supply_coal_rate_kgce_per_kwh
            if rate is None:
                raise InputError("tce_method 'equivalent' (等价值) needs a supply coal rate "
                                 "[kgce/kWh]", field="supply_coal_rate_kgce_per_kwh")
            if not 0.1229 < rate < 1.0:
                # Below 0.1229 kgce/kWh (the heat content of a kWh) a plant would be more
                # than 100 % efficient; above 1 it would be under 12 %. Typical: about 0.3.
                raise InputError(f"supply coal rate {rate} kgce/kWh is not plausible: it "
                                 "must lie between 0.1229 (100 % efficiency) and 1.0",
                                 field="supply_coal_rate_kgce_per_kwh")
            return CoalEquivalent(rate, (), "等价值: stated supply coal rate")
        factor = get_factor("cn_gbt2589_2020_electricity_calorific")
        value = float(factor.pint_quantity().to(ureg.kgce / ureg.kWh).magnitude)
        return CoalEquivalent(value, (factor.factor_id,), "当量值 (calorific)")
    if medium in (Medium.NATURAL_GAS, Medium.HEAT):
        base = 1.0 / KWH_PER_KGCE
        if medium == Medium.NATURAL_GAS and calorific_basis == "gross":
            ratio = get_factor("ipcc2006_natural_gas_ncv_gcv_ratio")
            return CoalEquivalent(base * ratio.value,
                                  ("cn_gbt2589_2020_kgce_heat", ratio.factor_id),
                                  f"gross CV kWh × NCV/GCV {ratio.value} → net, "
                                  "÷ 29 307 kJ/kgce")
        return CoalEquivalent(base, ("cn_gbt2589_2020_kgce_heat",), "net CV kWh ÷ 29 307 kJ/kgce")
    raise InputError(f"no standard-coal coefficient for medium {medium.value!r}",
                     field="medium")
