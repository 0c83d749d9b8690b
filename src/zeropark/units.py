"""Units: one pint registry, the media a park meters and their canonical units.

Every stored value is in one canonical unit per quantity: energy [kWh],
power [kW], volume [m³], mass [t]. Conversions go through pint; nothing here
guesses a unit.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache

import numpy as np
import pint

from zeropark.errors import UnitError

ureg: pint.UnitRegistry = pint.UnitRegistry()
# Standard coal equivalent: 1 kgce = 29 307 kJ (GB/T 2589-2020, clause 3.6 / 4.1).
ureg.define("kgce = 29307 * kJ")
ureg.define("tce = 1000 * kgce")


class Medium(StrEnum):
    """What a meter measures (Haystack: ``elec``, ``naturalGas``, ``water``, ...)."""

    ELECTRICITY = "electricity"
    NATURAL_GAS = "natural_gas"
    HEAT = "heat"
    CHILLED_WATER = "chilled_water"
    WATER = "water"
    PV = "pv"


class Quantity(StrEnum):
    """Physical quantity of a meter point (Haystack ``energy``, ``power``, ``volume``)."""

    ENERGY = "energy"
    POWER = "power"
    VOLUME = "volume"
    MASS = "mass"


#: Canonical unit per quantity; every value in the store is in these units.
CANONICAL_UNIT: dict[Quantity, str] = {
    Quantity.ENERGY: "kWh",
    Quantity.POWER: "kW",
    Quantity.VOLUME: "m³",
    Quantity.MASS: "t",
}

#: Quantities each medium may be metered in.
ALLOWED_QUANTITIES: dict[Medium, frozenset[Quantity]] = {
    Medium.ELECTRICITY: frozenset({Quantity.ENERGY, Quantity.POWER}),
    Medium.PV: frozenset({Quantity.ENERGY, Quantity.POWER}),
    Medium.NATURAL_GAS: frozenset({Quantity.ENERGY, Quantity.VOLUME, Quantity.POWER}),
    Medium.HEAT: frozenset({Quantity.ENERGY, Quantity.POWER, Quantity.MASS}),
    Medium.CHILLED_WATER: frozenset({Quantity.ENERGY, Quantity.POWER}),
    Medium.WATER: frozenset({Quantity.VOLUME, Quantity.MASS}),
}

_DIMENSION: dict[Quantity, str] = {
    Quantity.ENERGY: "[mass] * [length] ** 2 / [time] ** 2",
    Quantity.POWER: "[mass] * [length] ** 2 / [time] ** 3",
    Quantity.VOLUME: "[length] ** 3",
    Quantity.MASS: "[mass]",
}


@cache
def _parse(unit: str) -> pint.Unit:
    # "Nm³" (normal cubic metre) is volume at reference conditions; pint would read "Nm" as
    # newton-metre, so it is mapped to m³ here: reference conditions are the meter's concern.
    text = re.sub(r"\bN?m3\b", "m**3", unit.strip().replace("³", "3"))
    try:
        return ureg.Unit(text)
    except (pint.errors.UndefinedUnitError, AttributeError, TypeError, ValueError) as err:
        raise UnitError(f"unknown unit {unit!r}") from err


def check_unit(unit: str, *, medium: Medium, quantity: Quantity) -> None:
    """Check that `unit` is a unit of `quantity` and that `medium` is metered in it.

    Parameters
    ----------
    unit : str
        A pint unit expression, e.g. ``"kWh"``, ``"MWh"``, ``"GJ"``, ``"m³"``.
    medium : Medium
        The meter's medium.
    quantity : Quantity
        The meter point's quantity.

    Raises
    ------
    UnitError
        If the unit is unknown, has the wrong dimension for `quantity`, or
        `medium` is not metered in `quantity` (e.g. water in kWh).

    Examples
    --------
    >>> check_unit("MWh", medium=Medium.ELECTRICITY, quantity=Quantity.ENERGY)
    >>> check_unit("m3", medium=Medium.ELECTRICITY, quantity=Quantity.VOLUME)
    Traceback (most recent call last):
    ...
    zeropark.errors.UnitError: medium 'electricity' is not metered as 'volume'
    """
    if quantity not in ALLOWED_QUANTITIES[medium]:
        raise UnitError(f"medium {medium.value!r} is not metered as {quantity.value!r}")
    parsed = _parse(unit)
    if not (1 * parsed).check(_DIMENSION[quantity]):
        raise UnitError(
            f"unit {unit!r} is not a unit of {quantity.value} "
            f"(expected something like {CANONICAL_UNIT[quantity]!r})"
        )


def conversion_factor(unit: str, quantity: Quantity) -> float:
    """Multiplier from `unit` to the canonical unit of `quantity`.

    Parameters
    ----------
    unit : str
        Source unit, e.g. ``"Wh"``.
    quantity : Quantity
        Quantity whose canonical unit (``CANONICAL_UNIT``) is the target.

    Returns
    -------
    float
        Factor f with value[canonical] = f · value[unit].

    Raises
    ------
    UnitError
        If the unit is unknown or of another dimension.

    Examples
    --------
    >>> conversion_factor("Wh", Quantity.ENERGY)
    0.001
    >>> round(conversion_factor("GJ", Quantity.ENERGY), 6)
    277.777778
    """
    parsed = _parse(unit)
    target = _parse(CANONICAL_UNIT[quantity])
    try:
        return float((1 * parsed).to(target).magnitude)
    except pint.errors.DimensionalityError as err:
        raise UnitError(
            f"cannot convert {unit!r} to {CANONICAL_UNIT[quantity]!r}: other dimension"
        ) from err


def to_canonical(values: np.ndarray, unit: str, quantity: Quantity) -> np.ndarray:
    """Convert an array of values in `unit` to the canonical unit of `quantity`.

    Parameters
    ----------
    values : numpy.ndarray
        Values in `unit`, any shape.
    unit : str
        Their unit.
    quantity : Quantity
        Their quantity.

    Returns
    -------
    numpy.ndarray
        Same shape, in ``CANONICAL_UNIT[quantity]``.

    Raises
    ------
    UnitError
        As :func:`conversion_factor`.
    """
    return np.asarray(values, dtype="float64") * conversion_factor(unit, quantity)
