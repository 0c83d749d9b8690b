"""Emission and conversion factor library: cited rows from ``factors/data/*.csv``.

Every factor is one CSV row whose columns are the fields of :class:`Factor`:
the value, its unit (a pint expression read with :data:`zeropark.units.ureg`),
the gas, the region, the data year and the provenance (document, table or
clause, edition, licence, verification note). The package CSVs are read once
(:func:`all_factors`); :func:`load_factors` reads any directory of such CSVs
and validates it, so a broken file fails with the file, row and field named.

Conventions
-----------
- Emission factors are mass of the gas named in ``gas`` per unit of activity:
  ``unit="kg/kWh"`` with ``gas="CO2"`` means kg CO2 per kWh (= t CO2/MWh).
- Carbon contents (``kind="fuel_carbon_content"``) are mass of *carbon* per heat,
  ``unit="t/GJ"`` = t C/GJ, and carry ``gas=""``.
- Gas volumes written ``m**3`` in a unit are normal cubic metres (Nm³) at the
  reference conditions of the cited document; pint does not encode them.
- ``kgce`` is the standard coal equivalent, 1 kgce = 29 307 kJ (GB/T 2589-2020).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pint

from zeropark.errors import InputError, UnitError, UnknownFactorError
from zeropark.units import ureg

if TYPE_CHECKING:  # re-exported lazily by __getattr__ (their modules import this one)
    from zeropark.factors.catalog import FactorLibrary, fuel_defaults
    from zeropark.factors.process import carbonate_factor

__all__ = [
    "Factor",
    "FactorChoice",
    "FactorLibrary",
    "GRID_KIND",
    "all_factors",
    "carbonate_factor",
    "find_factors",
    "fuel_defaults",
    "get_factor",
    "grid_factor",
    "load_factors",
    "parse_factor_unit",
]

#: ``kind`` of the MEE + NBS average grid factors that :func:`grid_factor` searches.
GRID_KIND = "grid_electricity"

#: Values allowed in the ``gas`` column.
_GASES = frozenset({"CO2", "CO2e", ""})


@dataclass(frozen=True, slots=True)
class Factor:
    """One cited emission or conversion factor (one row of ``factors/data/*.csv``).

    Parameters
    ----------
    factor_id : str
        Stable identifier, e.g. ``"cn_grid_mee_2023_national"``.
    kind : str
        What the value is: ``grid_electricity`` (MEE/NBS average),
        ``grid_electricity_residual_proxy``, ``grid_electricity_fossil``,
        ``grid_electricity_ets`` (carbon-market guideline default), ``fuel_ncv``,
        ``fuel_carbon_content``, ``fuel_oxidation_rate``, ``coal_equivalent``,
        ``ncv_gcv_ratio``, ``heat``, ``carbonate_emission_factor`` (t CO2/t),
        ``gwp100`` (built by :func:`zeropark.factors.gwp.gwp`, not in the CSVs).
    value : float
        The number as published, in `unit`.
    unit : str
        Pint expression for :data:`zeropark.units.ureg`, e.g. ``"kg/kWh"``,
        ``"GJ/(1e4*m**3)"``, ``"t/GJ"``, ``"kgce/kWh"``, ``"dimensionless"``.
    gas : str
        ``"CO2"`` or ``"CO2e"`` for emission factors (the mass in `unit` is of this
        gas), ``""`` for other factors; for ``gwp100`` the gas characterised
        (``"CH4"``, ``"R-410A"``).
    region : str
        ``"CN"``, ``"CN-East"`` (华东 grid region), ``"CN-JS"`` (Jiangsu), ``"global"``.
    data_year : int or None
        Year the statistics describe; ``None`` for year-independent defaults.
    source : str
        Issuer, title and number of the document.
    table : str
        Table, annex or clause in the document.
    edition : str
        Edition, version or publication date.
    licence : str
        Terms under which the value is reproduced.
    notes : str
        Caveats and verification status: ``"verified against …"`` or
        ``"not verified: …"``.
    fuel : str, optional
        Fuel for fuel parameters, e.g. ``"natural_gas"``, ``"diesel"``; the
        material formula for process parameters, e.g. ``"CaCO3"``.
    """

    factor_id: str
    kind: str
    value: float
    unit: str
    gas: str
    region: str
    data_year: int | None
    source: str
    table: str
    edition: str
    licence: str
    notes: str
    fuel: str = ""

    def pint_quantity(self) -> pint.Quantity[Any]:
        """Return the value as a pint quantity of :data:`zeropark.units.ureg`.

        Returns
        -------
        pint.Quantity
            ``value`` times the parsed `unit` (numeric factors in the unit, such
            as ``1e4`` in ``"GJ/(1e4*m**3)"``, are applied).

        Examples
        --------
        >>> ef = get_factor("cn_grid_mee_2022_national")
        >>> round(ef.pint_quantity().to("t/MWh").magnitude, 4)
        0.5366
        >>> ncv = get_factor("cn_ndrc_2015_natural_gas_ncv")
        >>> round(ncv.pint_quantity().to("MJ/m**3").magnitude, 3)
        38.931
        """
        quantity: pint.Quantity[Any] = self.value * parse_factor_unit(self.unit)
        return quantity


@dataclass(frozen=True, slots=True)
class FactorChoice:
    """A factor picked by a query, with the query and any fallback made.

    Parameters
    ----------
    factor : Factor
        The factor used.
    requested : str
        The query as asked, e.g. ``"grid_electricity region=CN data_year=2024"``.
    fallback : str
        ``""`` when the factor matches the query exactly; otherwise what was
        substituted and why (recorded so reports can disclose it).
    """

    factor: Factor
    requested: str
    fallback: str


def parse_factor_unit(unit: str) -> pint.Quantity[Any]:
    """Parse a factor unit into a pint quantity of magnitude-carrying units.

    Parameters
    ----------
    unit : str
        Pint expression; ``Nm3``/``Nm³``/``m³`` are read as ``m**3`` (normal
        cubic metre; the reference conditions belong to the cited document).

    Returns
    -------
    pint.Quantity
        The unit as a quantity (``"GJ/(1e4*m**3)"`` → 0.0001 GJ/m³).

    Raises
    ------
    zeropark.errors.UnitError
        If the text is empty or not a unit of the registry.

    Examples
    --------
    >>> parse_factor_unit("GJ/(1e4*Nm3)")
    <Quantity(0.0001, 'gigajoule / meter ** 3')>
    """
    text = re.sub(r"\bN?m(?:3|³)(?![\w*])", "m**3", unit.strip())
    if not text:
        raise UnitError("empty unit")
    try:
        parsed = ureg.parse_expression(text)
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, SyntaxError) as err:
        raise UnitError(f"unknown unit {unit!r}") from err
    if not isinstance(parsed, ureg.Quantity):
        raise UnitError(f"unit {unit!r} parses to a number, not a unit")
    return parsed


_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Factor))


def _parse_row(row: dict[str, str], *, path: Path, rownum: int) -> Factor:
    def fail(field: str, message: str) -> InputError:
        return InputError(message, path=str(path), location=f"row {rownum}", field=field)

    factor_id = row["factor_id"].strip()
    if not re.fullmatch(r"[a-z0-9_]+", factor_id):
        raise fail("factor_id", f"factor_id {factor_id!r} must be non-empty snake_case")
    try:
        value = float(row["value"])
    except ValueError as err:
        raise fail("value", f"value {row['value']!r} is not a number") from err
    if not math.isfinite(value):
        raise fail("value", f"value {row['value']!r} is not finite")
    try:
        parse_factor_unit(row["unit"])
    except ValueError as err:
        raise fail("unit", f"unit {row['unit']!r} is not a pint unit ({err})") from err
    if row["gas"] not in _GASES:
        raise fail("gas", f"gas {row['gas']!r} is not one of {sorted(_GASES)}")
    year_text = row["data_year"].strip()
    try:
        data_year = int(year_text) if year_text else None
    except ValueError as err:
        raise fail("data_year", f"data_year {year_text!r} is not a year") from err
    for required in ("kind", "region", "source", "table", "edition", "licence", "notes"):
        if not row[required].strip():
            raise fail(required, f"{required} is empty; every factor names its provenance")
    return Factor(
        factor_id=factor_id,
        kind=row["kind"].strip(),
        value=value,
        unit=row["unit"].strip(),
        gas=row["gas"],
        region=row["region"].strip(),
        data_year=data_year,
        source=row["source"].strip(),
        table=row["table"].strip(),
        edition=row["edition"].strip(),
        licence=row["licence"].strip(),
        notes=row["notes"].strip(),
        fuel=row["fuel"].strip(),
    )


def load_factors(directory: str | Path | Traversable) -> tuple[Factor, ...]:
    """Read and validate every ``*.csv`` factor file in a directory.

    Parameters
    ----------
    directory : str, pathlib.Path or importlib.resources.abc.Traversable
        Folder of UTF-8 CSV files whose header is exactly the :class:`Factor`
        field names (any order). Files are read in name order.

    Returns
    -------
    tuple of Factor
        All rows, file by file, in file order.

    Raises
    ------
    zeropark.errors.InputError
        Naming the file, the row (1-based data row, header not counted) and the
        field, if a header is wrong, a ``factor_id`` is repeated (within or across
        files), a value is not a finite number, a unit does not parse, ``gas`` or
        ``data_year`` is malformed or a provenance field is empty.

    Examples
    --------
    >>> from importlib import resources
    >>> factors = load_factors(resources.files("zeropark.factors") / "data")
    >>> len(factors) > 30
    True
    """
    folder = Path(str(directory))
    seen: dict[str, str] = {}
    out: list[Factor] = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = tuple(reader.fieldnames or ())
            missing = sorted(set(_FIELDS) - set(header))
            extra = sorted(set(header) - set(_FIELDS))
            if missing or extra:
                raise InputError(
                    f"header must hold the Factor fields; missing {missing}, unexpected {extra}",
                    path=str(path),
                    location="header",
                )
            for rownum, row in enumerate(reader, start=1):
                if None in row or any(v is None for v in row.values()):
                    raise InputError(
                        f"expected {len(header)} columns, as in the header",
                        path=str(path),
                        location=f"row {rownum}",
                    )
                factor = _parse_row(row, path=path, rownum=rownum)
                if factor.factor_id in seen:
                    raise InputError(
                        f"duplicate factor_id {factor.factor_id!r} "
                        f"(first defined in {seen[factor.factor_id]})",
                        path=str(path),
                        location=f"row {rownum}",
                        field="factor_id",
                    )
                seen[factor.factor_id] = f"{path.name} row {rownum}"
                out.append(factor)
    return tuple(out)


@cache
def all_factors() -> tuple[Factor, ...]:
    """Return every factor shipped in ``zeropark/factors/data/*.csv`` (read once).

    Returns
    -------
    tuple of Factor
        The validated package factors.

    Examples
    --------
    >>> all(f.source and f.table and f.edition for f in all_factors())
    True
    """
    return load_factors(resources.files("zeropark.factors") / "data")


@cache
def _by_id() -> dict[str, Factor]:
    return {f.factor_id: f for f in all_factors()}


def get_factor(factor_id: str) -> Factor:
    """Return the factor with this identifier.

    Parameters
    ----------
    factor_id : str
        A ``factor_id`` of the package CSVs.

    Returns
    -------
    Factor

    Raises
    ------
    zeropark.errors.UnknownFactorError
        If no factor has that identifier (also a ``KeyError``).

    Examples
    --------
    >>> get_factor("cn_grid_mee_2023_national").value
    0.5306
    >>> get_factor("cn_grid_mee_2099_national")
    Traceback (most recent call last):
    ...
    zeropark.errors.UnknownFactorError: no factor 'cn_grid_mee_2099_national' in the factor library
    """
    try:
        return _by_id()[factor_id]
    except KeyError:
        raise UnknownFactorError(factor_id) from None


def find_factors(
    kind: str,
    *,
    region: str | None = None,
    data_year: int | None = None,
    fuel: str | None = None,
) -> tuple[Factor, ...]:
    """Return the factors of a kind, optionally filtered; empty if none match.

    Parameters
    ----------
    kind : str
        Factor kind, e.g. ``"grid_electricity"``, ``"fuel_ncv"``.
    region : str, optional
        Exact region code (``"CN"``, ``"CN-East"``, ``"CN-JS"``).
    data_year : int, optional
        Exact data year.
    fuel : str, optional
        Exact fuel name (``"natural_gas"``, ``"diesel"``, ...).

    Returns
    -------
    tuple of Factor
        In file order.

    Examples
    --------
    >>> [f.data_year for f in find_factors("grid_electricity", region="CN")]
    [2021, 2022, 2023]
    >>> find_factors("fuel_ncv", fuel="natural_gas")[0].unit
    'GJ/(1e4*m**3)'
    """
    return tuple(
        f
        for f in all_factors()
        if f.kind == kind
        and (region is None or f.region == region)
        and (data_year is None or f.data_year == data_year)
        and (fuel is None or f.fuel == fuel)
    )


def grid_factor(region: str, data_year: int) -> FactorChoice:
    """Pick the MEE + NBS average grid CO2 factor for a region and year.

    The exact data year is used when published. Otherwise the latest earlier
    data year is used and the substitution is recorded in
    :attr:`FactorChoice.fallback`; a later year is never used.

    Parameters
    ----------
    region : str
        ``"CN"`` (national), ``"CN-East"`` (华东) or ``"CN-JS"`` (Jiangsu).
    data_year : int
        Year of the electricity use.

    Returns
    -------
    FactorChoice
        The factor (kind ``grid_electricity``, unit kg CO2/kWh), the query and the
        fallback text (``""`` when exact).

    Raises
    ------
    zeropark.errors.UnknownFactorError
        If the region has no factor for `data_year` or any earlier year.

    Notes
    -----
    MEE and NBS publish the factors of year *Y* around *Y* + 2 (2021 in April
    2024, 2022 in December 2024, 2023 in January 2026), so current-year
    accounting normally falls back.

    Examples
    --------
    >>> choice = grid_factor("CN", 2024)
    >>> choice.factor.factor_id, choice.factor.value
    ('cn_grid_mee_2023_national', 0.5306)
    >>> print(choice.fallback)  # doctest: +NORMALIZE_WHITESPACE
    no grid_electricity factor for region CN and data year 2024;
    used data year 2023, the latest earlier year published
    >>> grid_factor("CN", 2022).fallback
    ''
    """
    requested = f"{GRID_KIND} region={region} data_year={data_year}"
    candidates = [
        f
        for f in find_factors(GRID_KIND, region=region)
        if f.data_year is not None and f.data_year <= data_year
    ]
    if not candidates:
        raise UnknownFactorError(requested)
    best = max(candidates, key=lambda f: f.data_year or 0)
    if best.data_year == data_year:
        return FactorChoice(factor=best, requested=requested, fallback="")
    fallback = (
        f"no {GRID_KIND} factor for region {region} and data year {data_year}; "
        f"used data year {best.data_year}, the latest earlier year published"
    )
    return FactorChoice(factor=best, requested=requested, fallback=fallback)


_LAZY = {
    "FactorLibrary": "zeropark.factors.catalog",
    "fuel_defaults": "zeropark.factors.catalog",
    "carbonate_factor": "zeropark.factors.process",
}


def __getattr__(name: str) -> Any:
    """Serve ``FactorLibrary``, ``fuel_defaults`` and ``carbonate_factor`` (PEP 562).

    They live in :mod:`zeropark.factors.catalog` and :mod:`zeropark.factors.process`,
    which import this module, so they are imported on first use.
    """
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
