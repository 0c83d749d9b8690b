""""What would it take": green power or PV needed to reach an indicator's target.

The lever is one kWh of grid electricity replaced by zero-carbon electricity
(on-site PV, or with ``scope2 = "market"`` also certified green power). It lowers
CO2 by the grid factor and leaves the standard coal unchanged (a kWh is a kWh of
electricity whichever source supplies it), so:

- core ``co2_per_energy ≤ T``: ``x = (CO2 − T·E) / EF``;
- ``clean_energy_share``/``non_fossil_share ≥ t``: ``x = (t·E − clean) / c_e``;
- ``renewable_electricity_share ≥ t``: ``x = t·elec − (PV + certificates)``;

with E total tce, EF the grid factor [t CO2/kWh] and c_e the electricity coal
coefficient [tce/kWh]. x cannot exceed the grid electricity still bought without
certificates; beyond that the gap is in gas or heat and needs electrification.
PV capacity = x ÷ specific yield [kWh/(kWp·a)], from ``settings.pv_yield_kwh_per_kwp_a``
(with ``pv_yield_source``) or measured on the park's PV meters (Σ kWh ÷ Σ
``rated_power_kw``); without either, the kWp is "no data".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PvYield:
    """Specific PV yield [kWh/(kWp·a)] and where it comes from."""

    kwh_per_kwp_a: float
    source: str


def green_power_needed_kwh(formula: str, *, target: float, co2_t: float, energy_tce: float,
                           clean_tce: float, renewable_kwh: float, electricity_kwh: float,
                           ef_t_per_kwh: float, tce_per_kwh: float) -> tuple[float, str] | None:
    """Zero-carbon electricity needed to reach `target`, with the arithmetic; None if no lever.

    Parameters
    ----------
    formula : str
        Formula id of the indicator.
    target : float
        Threshold in the indicator's unit.
    co2_t, energy_tce, clean_tce : float
        Current CO2 [t], total energy [tce] and the numerator of the share [tce].
    renewable_kwh, electricity_kwh : float
        Renewable incl. certificates and total electricity. [kWh]
    ef_t_per_kwh, tce_per_kwh : float
        Grid factor [t CO2/kWh] and electricity coal coefficient [tce/kWh].

    Returns
    -------
    tuple of (float, str) or None
        kWh needed (0 when already met) and the arithmetic as text.

    Examples
    --------
    >>> kwh, text = green_power_needed_kwh(
    ...     "co2_per_energy", target=0.2, co2_t=550.0, energy_tce=122.9, clean_tce=0.0,
    ...     renewable_kwh=0.0, electricity_kwh=1e6, ef_t_per_kwh=0.00055, tce_per_kwh=0.0001229)
    >>> round(kwh)
    955309
    """
    if formula == "co2_per_energy":
        gap = co2_t - target * energy_tce
        return max(gap, 0.0) / ef_t_per_kwh, (
            f"({co2_t:,.3f} t − {target:g} t/tce × {energy_tce:,.3f} tce) ÷ "
            f"{ef_t_per_kwh * 1000:g} t/MWh = {max(gap, 0.0) / ef_t_per_kwh / 1000:,.3f} MWh")
    if formula in ("clean_energy_share", "non_fossil_share"):
        gap = target * energy_tce - clean_tce
        return max(gap, 0.0) / tce_per_kwh, (
            f"({target:g} × {energy_tce:,.3f} tce − {clean_tce:,.3f} tce) ÷ "
            f"{tce_per_kwh * 1000:g} tce/MWh = {max(gap, 0.0) / tce_per_kwh / 1000:,.3f} MWh")
    if formula == "renewable_electricity_share":
        gap = target * electricity_kwh - renewable_kwh
        return max(gap, 0.0), (f"{target:g} × {electricity_kwh / 1000:,.3f} MWh − "
                               f"{renewable_kwh / 1000:,.3f} MWh = "
                               f"{max(gap, 0.0) / 1000:,.3f} MWh")
    return None


def what_it_takes(needed: tuple[float, str], *, grid_available_kwh: float,
                  pv_yield: PvYield | None, scope2: str) -> dict[str, Any]:
    """Result entry: green power [MWh], PV [kWp] and whether green power alone suffices.

    Examples
    --------
    >>> out = what_it_takes((1_000_000.0, "..."), grid_available_kwh=2e6,
    ...                     pv_yield=PvYield(1000.0, "stated"), scope2="location")
    >>> out["green_power_mwh"], out["pv_kwp"], out["reachable_with_electricity"]
    (1000.0, 1000.0, True)
    """
    kwh, arithmetic = needed
    lines = [f"zero-carbon electricity needed: {arithmetic}"]
    reachable = kwh <= grid_available_kwh + 1e-9
    if not reachable:
        lines.append(f"more than the {grid_available_kwh / 1000:,.3f} MWh of grid electricity "
                     "still bought: the rest of the gap is in gas or heat (electrify or "
                     "replace them)")
    out: dict[str, Any] = {"green_power_mwh": round(kwh / 1000.0, 3),
                           "reachable_with_electricity": reachable,
                           "levers": "on-site PV" + (" or certified green power (绿证/绿电)"
                                                     if scope2 == "market" else
                                                     " (certificates count only with "
                                                     "scope2 = market)")}
    if pv_yield is None:
        out.update(pv_kwp=None, pv_kwp_reason="needs settings.pv_yield_kwh_per_kwp_a with "
                   "pv_yield_source, or PV meters with rated_power_kw")
    else:
        kwp = kwh / pv_yield.kwh_per_kwp_a
        out.update(pv_kwp=round(kwp, 1), pv_yield_kwh_per_kwp_a=round(pv_yield.kwh_per_kwp_a, 1),
                   pv_yield_source=pv_yield.source)
        lines.append(f"PV: {kwh / 1000:,.3f} MWh ÷ {pv_yield.kwh_per_kwp_a:,.1f} kWh/kWp "
                     f"= {kwp:,.1f} kWp ({pv_yield.source})")
    out["arithmetic"] = lines
    return out
