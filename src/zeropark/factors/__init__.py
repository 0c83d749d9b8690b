"""Emission and conversion factors with provenance (``factors/data/*.csv``).

See :mod:`zeropark.factors.library` for the data model and the column conventions.

Examples
--------
>>> from zeropark.factors import get_factor
>>> get_factor("cn_gbt2589_2020_electricity_calorific").unit
'kgce/kWh'
"""

from zeropark.factors.catalog import FUEL_KEYS, REGION_PARENTS, FactorLibrary, fuel_defaults
from zeropark.factors.gwp import GWP_GASES, gwp
from zeropark.factors.library import (
    GRID_KIND,
    Factor,
    FactorChoice,
    all_factors,
    find_factors,
    get_factor,
    grid_factor,
    load_factors,
    parse_factor_unit,
)
from zeropark.factors.process import carbonate_factor, shielding_gas_co2_mass_fraction
from zeropark.factors.user import load_user_factors

__all__ = [
    "FUEL_KEYS",
    "GRID_KIND",
    "GWP_GASES",
    "REGION_PARENTS",
    "Factor",
    "FactorChoice",
    "FactorLibrary",
    "all_factors",
    "carbonate_factor",
    "find_factors",
    "fuel_defaults",
    "get_factor",
    "grid_factor",
    "gwp",
    "load_factors",
    "load_user_factors",
    "parse_factor_unit",
    "shielding_gas_co2_mass_fraction",
]
