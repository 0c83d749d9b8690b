"""Activity data (活动数据) of an enterprise's GHG inventory, and their validation.

An :class:`ActivityRecord` is one traceable piece of evidence: a fuel purchase
with its lab-tested NCV, a refrigerant top-up, carbonate used in a process, a
month of metered electricity, a green-electricity certificate, a spend line for
Scope 3. Records come from a CSV/Excel file (:func:`read_activity_file`) or from
the park's meters (:mod:`zeropark.accounting.sources`). Validation names the
file, row and field; a file with any bad row is rejected whole.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from pathlib import Path

from zeropark.errors import InputError


class SourceCategory(StrEnum):
    """Emission-source category of an activity record (MEE/NDRC guideline terms).

    ``combustion`` 化石燃料燃烧, ``process`` 工业生产过程 (carbonate use),
    ``fugitive`` 逸散 (HFC/PFC/SF6 top-ups and leaks), ``purchased_electricity``
    净购入电力 (purchase side), ``purchased_heat`` 净购入热力, ``exported_electricity``
    and ``exported_heat`` (输出, deducted in the MEE framing),
    ``electricity_instrument`` (绿证 GEC or 绿电 green-power contract, market-based
    Scope 2), ``scope3`` (other indirect, with a GHG Protocol category 1–15).
    """

    COMBUSTION = "combustion"
    PROCESS = "process"
    FUGITIVE = "fugitive"
    PURCHASED_ELECTRICITY = "purchased_electricity"
    PURCHASED_HEAT = "purchased_heat"
    EXPORTED_ELECTRICITY = "exported_electricity"
    EXPORTED_HEAT = "exported_heat"
    ELECTRICITY_INSTRUMENT = "electricity_instrument"
    SCOPE3 = "scope3"


class Instrument(StrEnum):
    """Contractual instruments for market-based Scope 2 (GHG Protocol Scope 2 Guidance, 2015)."""

    GEC = "gec"  # 绿色电力证书 (green electricity certificate)
    GREEN_POWER_CONTRACT = "green_power_contract"  # 绿电交易 (bundled green-power purchase)


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """One activity-data record.

    Parameters
    ----------
    record_id : str
        Unique id (evidence reference), e.g. ``"2025-gas-invoice-0412"``.
    enterprise_id : str
        The reporting enterprise.
    period_start, period_end : datetime.date
        The period the quantity belongs to, [start, end).
    category : SourceCategory
        Emission-source category.
    quantity : float
        Amount, ≥ 0, in `unit` (fuel burnt, carbonate used, refrigerant added,
        MWh, GJ, spend, ...).
    unit : str
        Pint unit of `quantity` (``"t"``, ``"1e4*m**3"``, ``"m**3"``, ``"kg"``,
        ``"MWh"``, ``"kWh"``, ``"GJ"``; for spend a currency code such as ``"CNY"``).
    fuel : str
        Combustion: fuel key (``natural_gas``, ``diesel``, ...).
    ncv, ncv_unit : float, str
        Measured net calorific value 低位发热量 and its unit (e.g. ``"GJ/t"``);
        overrides the guideline default.
    carbon_content : float or None
        Measured 单位热值含碳量. [t C/GJ]
    oxidation_rate : float or None
        Measured 碳氧化率, 0–1. [-]
    material : str
        Process: carbonate (``CaCO3``, ``Na2CO3``, ...).
    purity : float or None
        Process: mass fraction of the carbonate in the material, 0–1. [-]
    gas : str
        Fugitive: the gas (``HFC-134a``, ``SF6``, ``R-410A``).
    scope3_category : int or None
        GHG Protocol Scope 3 category 1–15.
    emission_factor, emission_factor_unit : float or None, str
        An activity-specific factor (Scope 3 spend or activity factor, or a
        supplier-specific factor), e.g. ``0.35`` ``"kg/CNY"``.
    factor_id : str
        An explicit factor-library id to use instead of the default lookup.
    instrument : str
        ``electricity_instrument``: ``gec`` or ``green_power_contract``.
    instrument_criteria : str
        The GHG Protocol Scope 2 quality criteria the instrument meets, as
        recorded by the reporter (e.g. certificate ids, vintage, market, retirement).
    region : str
        Grid region for electricity (``CN``, ``CN-East``, ``CN-JS``).
    source : str
        Where the record comes from (invoice, meter, file and row).
    """

    record_id: str
    enterprise_id: str
    period_start: date
    period_end: date
    category: SourceCategory
    quantity: float
    unit: str
    fuel: str = ""
    ncv: float | None = None
    ncv_unit: str = ""
    carbon_content: float | None = None
    oxidation_rate: float | None = None
    material: str = ""
    purity: float | None = None
    gas: str = ""
    scope3_category: int | None = None
    emission_factor: float | None = None
    emission_factor_unit: str = ""
    factor_id: str = ""
    instrument: str = ""
    instrument_criteria: str = ""
    region: str = ""
    source: str = ""
    note: str = ""


FIELDS = tuple(f.name for f in fields(ActivityRecord))
_REQUIRED = ("record_id", "enterprise_id", "period_start", "period_end", "category",
             "quantity", "unit")
_FLOATS = ("quantity", "ncv", "carbon_content", "oxidation_rate", "purity", "emission_factor")


def record_from_mapping(row: Mapping[str, object], *, path: str = "<records>",
                        location: str = "") -> ActivityRecord:
    """Build and validate one record from a mapping of field → text or value.

    Raises
    ------
    InputError
        Naming `path`, `location` and the field: a missing required field, an
        unknown field, a non-number, a negative quantity, a fraction outside 0–1,
        a bad date or period, an unknown category, a record that lacks what its
        category needs (fuel, material, gas, scope 3 category, instrument).
    """

    def fail(message: str, field: str) -> InputError:
        return InputError(message, path=path, location=location, field=field)

    unknown = [k for k in row if k not in FIELDS and str(k).strip()]
    if unknown:
        raise fail(f"unknown column {unknown[0]!r}", str(unknown[0]))
    values: dict[str, object] = {}
    for name in FIELDS:
        raw = row.get(name)
        text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw)
        text = text.strip()
        if name in _REQUIRED and not text:
            raise fail("required", name)
        if name in _FLOATS:
            if not text:
                values[name] = None
                continue
            try:
                number = float(text)
            except ValueError:
                raise fail(f"{text!r} is not a number", name) from None
            if not math.isfinite(number) or number < 0:
                raise fail(f"must be a finite number ≥ 0, got {text}", name)
            if name in ("oxidation_rate", "purity") and number > 1:
                raise fail(f"is a fraction 0–1, got {text}", name)
            values[name] = number
        elif name in ("period_start", "period_end"):
            try:
                values[name] = date.fromisoformat(text[:10])
            except ValueError:
                raise fail(f"{text!r} is not a date YYYY-MM-DD", name) from None
        elif name == "scope3_category":
            if not text:
                values[name] = None
                continue
            try:
                number = int(float(text))
            except ValueError:
                raise fail(f"{text!r} is not a category number 1–15", name) from None
            if not 1 <= number <= 15 or number != float(text):
                raise fail(f"Scope 3 category must be 1–15, got {text}", name)
            values[name] = number
        elif name == "category":
            try:
                values[name] = SourceCategory(text)
            except ValueError:
                allowed = ", ".join(c.value for c in SourceCategory)
                raise fail(f"unknown category {text!r}; expected one of: {allowed}",
                           name) from None
        else:
            values[name] = text
    record = ActivityRecord(**values)  # type: ignore[arg-type]
    if record.period_end <= record.period_start:
        raise fail("period_end must be after period_start", "period_end")
    needs = {
        SourceCategory.COMBUSTION: ("fuel", record.fuel),
        SourceCategory.PROCESS: ("material", record.material),
        SourceCategory.FUGITIVE: ("gas", record.gas),
        SourceCategory.ELECTRICITY_INSTRUMENT: ("instrument", record.instrument),
    }
    if record.category in needs and not needs[record.category][1]:
        field = needs[record.category][0]
        raise fail(f"a {record.category.value} record needs {field}", field)
    if record.category == SourceCategory.SCOPE3 and record.scope3_category is None:
        raise fail("a scope3 record needs scope3_category 1–15", "scope3_category")
    if record.instrument and record.instrument not in {i.value for i in Instrument}:
        raise fail(f"unknown instrument {record.instrument!r}; use gec or "
                   "green_power_contract", "instrument")
    if record.ncv is not None and not record.ncv_unit:
        raise fail("a measured ncv needs ncv_unit, e.g. GJ/t", "ncv_unit")
    if record.emission_factor is not None and not record.emission_factor_unit:
        raise fail("emission_factor needs emission_factor_unit, e.g. kg/CNY",
                   "emission_factor_unit")
    return record


def read_activity_file(path: str | Path) -> tuple[ActivityRecord, ...]:
    """Read activity records from a CSV (UTF-8, header = field names) or ``.xlsx`` file.

    Parameters
    ----------
    path : str or pathlib.Path
        The file; the first row names the columns (see :class:`ActivityRecord`).

    Returns
    -------
    tuple of ActivityRecord

    Raises
    ------
    InputError
        For the first bad row (row numbers as the user sees them, header = row 1),
        or a duplicate ``record_id``; no record of the file is returned then.
    """
    path = Path(path)
    rows = _read_rows(path)
    records: list[ActivityRecord] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        record = record_from_mapping(row, path=str(path), location=f"row {number}")
        if record.record_id in seen:
            raise InputError(f"duplicate record_id {record.record_id!r} (first in row "
                             f"{seen[record.record_id]})", path=str(path),
                             location=f"row {number}", field="record_id")
        seen[record.record_id] = number
        records.append(record)
    return tuple(records)


def _read_rows(path: Path) -> Iterable[tuple[int, dict[str, object]]]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError("file not found", path=str(path))
    if suffix == ".csv":
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                rows = [(i + 2, dict(r)) for i, r in enumerate(reader)]
        except (UnicodeDecodeError, csv.Error) as err:
            raise InputError(f"cannot read CSV: {err}", path=str(path)) from err
        if None in (k for _, r in rows for k in r):
            bad = next(n for n, r in rows if None in r)
            raise InputError("more cells than header columns", path=str(path),
                             location=f"row {bad}")
        return rows
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        except Exception as err:  # openpyxl raises many types for broken files
            raise InputError(f"cannot read workbook: {err}", path=str(path)) from err
        table = list(sheet.iter_rows(values_only=True))
        if not table:
            return []
        header = [str(h).strip() if h is not None else "" for h in table[0]]
        return [(i + 2, {h: v for h, v in zip(header, r, strict=False) if h})
                for i, r in enumerate(table[1:]) if any(c is not None for c in r)]
    raise InputError(f"unsupported file type {suffix!r}; use .csv or .xlsx", path=str(path))
