"""Conventions of a report: standard-coal method and emission factors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from zeropark.accounting.energy import TceMethod
from zeropark.errors import InputError
from zeropark.factors import Factor, get_factor
from zeropark.model import Park

#: Grid factor when a park states none: MEE/NBS 2023 East China average (the
#: grid region of Jiangsu/Changzhou, the platform's model user).
DEFAULT_GRID_FACTOR = "cn_grid_mee_2023_east"


@dataclass(frozen=True, slots=True)
class ElectricityFactor:
    """Grid emission factor for location-based Scope 2: annual constant or hourly.

    Attributes
    ----------
    factor_id : str
        Id in the factor library, or of the time series.
    description : str
        What it is, e.g. "China MEE/NBS 2023 East China grid average".
    source : str
        Citation (document, table, edition).
    value : float
        The constant, or the mean of the hourly series over the hours it covers. [kg CO2/kWh]
    hourly : pandas.Series or None
        Factor per UTC hour start (tz-aware index) when time-varying. [kg CO2/kWh]
    """

    factor_id: str
    description: str
    source: str
    value: float
    hourly: pd.Series | None = field(default=None, compare=False)

    @classmethod
    def from_library(cls, factor_id: str) -> ElectricityFactor:
        """Annual grid factor from the factor library, in kg CO2/kWh."""
        factor: Factor = get_factor(factor_id)
        value = float(factor.pint_quantity().to("kg/kWh").magnitude)
        return cls(factor.factor_id, f"{factor.region} grid {factor.data_year or ''}".strip(),
                   f"{factor.source}; {factor.table}; {factor.edition}", value)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly description (without the hourly values)."""
        return {"medium": "electricity", "factor_id": self.factor_id,
                "description": self.description, "value": round(self.value, 6),
                "unit": "kg/kWh", "time_varying": self.hourly is not None,
                "source": self.source}


@dataclass(frozen=True, slots=True)
class AccountOptions:
    """Conventions a report states: tce method and emission factors.

    Attributes
    ----------
    tce_method : TceMethod
        当量值 (calorific) or 等价值 (equivalent) for electricity.
    supply_coal_rate_kgce_per_kwh : float or None
        Needed with ``equivalent``. [kgce/kWh]
    electricity : ElectricityFactor
        Location-based grid factor.
    gas_carbon_content_factor, gas_oxidation_factor, heat_factor : str
        Factor-library ids for natural gas CC and OF and for purchased heat.
    """

    electricity: ElectricityFactor
    tce_method: TceMethod = TceMethod.CALORIFIC
    supply_coal_rate_kgce_per_kwh: float | None = None
    gas_carbon_content_factor: str = "cn_ndrc_2015_natural_gas_carbon_content"
    gas_oxidation_factor: str = "cn_ndrc_2015_natural_gas_oxidation_rate"
    ncv_gcv_factor: str = "ipcc2006_natural_gas_ncv_gcv_ratio"
    heat_factor: str = "cn_ndrc_2015_purchased_heat_ef"



def read_grid_intensity(paths: list[Path] | tuple[Path, ...]) -> pd.Series:
    """Hourly grid carbon intensity from CSV files (first column UTC time, second kg/kWh).

    Parameters
    ----------
    paths : sequence of pathlib.Path
        CSV files, e.g. one per year; overlapping hours keep the first value.

    Returns
    -------
    pandas.Series
        On a tz-aware UTC DatetimeIndex of hour starts, sorted. [kg CO2/kWh]

    Raises
    ------
    InputError
        Naming the file, row and field of an unparsable time or value.
    """
    parts = []
    for path in paths:
        raw = pd.read_csv(path)
        times = pd.to_datetime(raw.iloc[:, 0], errors="coerce", utc=True)
        values = pd.to_numeric(raw.iloc[:, 1], errors="coerce")
        for column, parsed in ((raw.columns[0], times), (raw.columns[1], values)):
            if parsed.isna().any():
                row = int(parsed.isna().to_numpy().argmax()) + 2
                raise InputError("cannot parse value", path=str(path), location=f"row {row}",
                                 field=str(column))
        parts.append(pd.Series(values.to_numpy(dtype="float64"), index=pd.DatetimeIndex(times)))
    series = pd.concat(parts)
    return series[~series.index.duplicated()].sort_index()


def options_for(park: Park, *, tce_method: str | None = None, grid_factor: str | None = None,
                supply_coal_rate_kgce_per_kwh: float | None = None) -> AccountOptions:
    """Account options from the park's ``[settings]`` table, overridden by arguments.

    Settings keys: ``tce_method`` (``calorific``/``equivalent``),
    ``supply_coal_rate_kgce_per_kwh``, ``grid_factor`` (a factor-library id) or
    ``grid_intensity_files`` (list of CSV paths, hourly) with
    ``grid_intensity_name`` and ``grid_intensity_source``.

    Parameters
    ----------
    park : Park
    tce_method, grid_factor, supply_coal_rate_kgce_per_kwh : optional
        Overrides; an explicit `grid_factor` wins over hourly files.

    Returns
    -------
    AccountOptions

    Raises
    ------
    UnknownFactorError
        For an unknown factor id.
    InputError
        For a bad tce method or an unreadable intensity file.
    """
    settings: Mapping[str, object] = park.settings
    method_text = str(tce_method or settings.get("tce_method", "calorific"))
    try:
        method = TceMethod(method_text)
    except ValueError:
        raise InputError(f"unknown tce_method {method_text!r}; use 'calorific' or "
                         "'equivalent'", field="tce_method") from None
    rate = supply_coal_rate_kgce_per_kwh or settings.get("supply_coal_rate_kgce_per_kwh")
    files = settings.get("grid_intensity_files")
    if grid_factor is None and isinstance(files, list) and files:
        base = Path(park.source).parent if Path(park.source).is_file() else Path.cwd()
        hourly = read_grid_intensity([base / Path(str(p)) for p in files])
        electricity = ElectricityFactor(
            "grid_intensity_hourly", str(settings.get("grid_intensity_name", "hourly grid "
                                                      "carbon intensity")),
            str(settings.get("grid_intensity_source", ", ".join(map(str, files)))),
            float(hourly.mean()), hourly)
    else:
        electricity = ElectricityFactor.from_library(
            grid_factor or str(settings.get("grid_factor", DEFAULT_GRID_FACTOR)))
    return AccountOptions(electricity=electricity, tce_method=method,
                          supply_coal_rate_kgce_per_kwh=float(rate) if rate else None)
