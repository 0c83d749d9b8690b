"""Emission and conversion factors with provenance (``factors/data/*.csv``).

See :mod:`zeropark.factors.library` for the data model and the column conventions.

Examples
--------
>>> from zeropark.factors import get_factor
>>> get_factor("cn_gbt2589_2020_electricity_calorific").unit
'kgce/kWh'
"""

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

__all__ = [
    "GRID_KIND",
    "Factor",
    "FactorChoice",
    "all_factors",
    "find_factors",
    "get_factor",
    "grid_factor",
    "load_factors",
    "parse_factor_unit",
]
