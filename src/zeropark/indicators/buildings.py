"""Green buildings and the "social contribution" card: energy saved, CO2 avoided, trees.

Every conversion is a stated parameter:

- energy saved = baseline intensity × floor area − metered use, per building, with the
  baseline from the building registry (``baseline_eui_kwh_per_m2``, of kind
  ``reference`` or ``metered``);
- standard coal and CO2 of the saved energy use the building's own metered mix
  (its tce per kWh and t CO2 per kWh in the year), i.e. the saving is assumed to
  have the same media mix as the use;
- PV generation avoids grid electricity at the park's grid factor and the stated
  standard-coal coefficient of electricity;
- trees: t CO2 ÷ CO2 absorbed per tree and year. **No default is shipped**: no
  citable tree-absorption factor was found (values on dashboards are vendor-specific;
  the US EPA equivalencies calculator's "urban tree seedling grown for 10 years" is a
  ten-year figure that differs between its editions and was not verified). The park
  states ``tree_absorption_kgco2_per_tree_a`` and ``tree_absorption_source`` in
  ``[settings]``; without them the tree count is "no data".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zeropark.indicators.kpi import Numeric


def energy_saved_kwh(floor_area_m2: Numeric, baseline_eui_kwh_per_m2: Numeric,
                     energy_kwh: Numeric) -> Numeric:
    """Energy saved against a baseline intensity: ``area × baseline EUI − metered use``.

    Parameters
    ----------
    floor_area_m2 : numeric
        Floor area. [m²]
    baseline_eui_kwh_per_m2 : numeric
        Baseline energy use intensity for the period (per year for a year). [kWh/m²]
    energy_kwh : numeric
        Metered energy use in the period. [kWh]

    Returns
    -------
    numeric
        Saving (negative when the building uses more than its baseline). [kWh]

    Examples
    --------
    >>> energy_saved_kwh(10000.0, 120.0, 700000.0)
    500000.0
    """
    return floor_area_m2 * baseline_eui_kwh_per_m2 - energy_kwh


def co2_avoided_t(energy_saved: Numeric, co2_t_per_kwh: Numeric) -> Numeric:
    """CO2 avoided by an energy saving: ``kWh × t CO2/kWh``.

    Parameters
    ----------
    energy_saved : numeric
        Energy saved or grid electricity displaced. [kWh]
    co2_t_per_kwh : numeric
        Emission intensity of the saved energy. [t CO2/kWh]

    Returns
    -------
    numeric
        [t CO2]

    Examples
    --------
    >>> round(co2_avoided_t(1000.0, 0.00055), 12)
    0.55
    """
    return energy_saved * co2_t_per_kwh


def equivalent_trees(co2_t: Numeric, tree_absorption_kgco2_per_tree_a: Numeric) -> Numeric:
    """Trees that would absorb `co2_t` in a year: ``co2_t × 1000 / absorption per tree``.

    Parameters
    ----------
    co2_t : numeric
        CO2 avoided in one year. [t CO2]
    tree_absorption_kgco2_per_tree_a : numeric
        CO2 one tree absorbs per year, a cited user setting (no default). [kg CO2/(tree·a)]

    Returns
    -------
    numeric
        Number of trees (not rounded). [-]

    Examples
    --------
    >>> equivalent_trees(5.5, 10.0)
    550.0
    """
    return co2_t * 1000.0 / tree_absorption_kgco2_per_tree_a


@dataclass(frozen=True, slots=True)
class TreeFactor:
    """CO2 absorbed per tree and year with its citation (a user setting)."""

    kgco2_per_tree_a: float
    source: str


def tree_factor_from(settings: Mapping[str, object]) -> TreeFactor | None:
    """The park's tree-absorption setting, or None when it is not stated (with a source)."""
    value = settings.get("tree_absorption_kgco2_per_tree_a")
    source = str(settings.get("tree_absorption_source", "")).strip()
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0 or not source:
        return None
    return TreeFactor(float(value), source)


_TREE_MISSING = ("needs settings.tree_absorption_kgco2_per_tree_a and "
                 "settings.tree_absorption_source (no citable default is shipped)")


def trees_entry(co2_t: float, tree: TreeFactor | None) -> dict[str, Any]:
    """Tree equivalent of `co2_t` as a result entry: value and arithmetic, or "no data"."""
    if tree is None:
        return {"trees": None, "status": "no_data", "reason": _TREE_MISSING}
    n = float(equivalent_trees(co2_t, tree.kgco2_per_tree_a))
    return {"trees": round(n), "status": "ok",
            "kgco2_per_tree_a": tree.kgco2_per_tree_a, "source": tree.source,
            "arithmetic": f"{co2_t:,.3f} t × 1000 ÷ {tree.kgco2_per_tree_a:g} kg/(tree·a) "
                          f"= {n:,.1f} trees"}


def headline(area_m2: float, saved_kwh: float, co2_t: float, trees: dict[str, Any]) -> str:
    """Headline "X m² of green buildings save Y kWh a year, Z t CO2, equal to N trees".

    Examples
    --------
    >>> headline(12000, 500000, 275.0, {"trees": None})
    '12,000 m² of green buildings save 500,000 kWh a year, 275.0 t CO2 (trees: no data)'
    """
    text = (f"{area_m2:,.0f} m² of green buildings save {saved_kwh:,.0f} kWh a year, "
            f"{co2_t:,.1f} t CO2")
    if trees.get("trees") is None:
        return text + " (trees: no data)"
    return text + f", equal to {trees['trees']:,} trees"
