"""Energy, standard coal and CO2 totals of a group (park, enterprise, building) for indicators.

Built from :func:`zeropark.accounting.accounts.interval_accounts` frames, so the
indicators use exactly the numbers of the accounts (same scope rule, factors and
tce method).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from zeropark.accounting.accounts import (
    building_meters,
    counted_meters,
    interval_accounts,
)
from zeropark.accounting.options import AccountOptions
from zeropark.model import Meter, Park
from zeropark.store.duckdb import DuckDBStore
from zeropark.units import Medium


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over one group and period.

    Attributes
    ----------
    grid_kwh : float
        Net grid electricity: import − export. [kWh]
    pv_kwh : float
        On-site PV generation (counted as consumed). [kWh]
    gas_kwh, heat_kwh : float
        Natural gas (as metered: NCV, or GCV for gross meters) and purchased heat. [kWh]
    electricity_tce, pv_tce, gas_tce, heat_tce, energy_tce : float
        Standard coal by medium (``electricity_tce`` includes PV) and in total. [tce]
    co2_t : float
        Location-based energy CO2 (gas combustion + purchased electricity and heat). [t CO2]
    n_intervals : int
        Interval rows summed (0 = no data).
    """

    grid_kwh: float = 0.0
    pv_kwh: float = 0.0
    gas_kwh: float = 0.0
    heat_kwh: float = 0.0
    electricity_tce: float = 0.0
    pv_tce: float = 0.0
    gas_tce: float = 0.0
    heat_tce: float = 0.0
    energy_tce: float = 0.0
    co2_t: float = 0.0
    n_intervals: int = 0

    @property
    def electricity_kwh(self) -> float:
        """Electricity consumed [kWh]: grid import − export + on-site PV."""
        return self.grid_kwh + self.pv_kwh

    @property
    def energy_kwh(self) -> float:
        """All metered energy use [kWh], media added in kWh."""
        return self.grid_kwh + self.pv_kwh + self.gas_kwh + self.heat_kwh


def totals_from(frame: pd.DataFrame) -> Totals:
    """Totals of an :func:`interval_accounts` frame (any subset of its rows)."""
    if frame.empty:
        return Totals()
    kwh = frame.groupby("medium")["energy_kwh"].sum()
    tce = frame.groupby("medium")["tce"].sum()

    def get(series: pd.Series, medium: Medium) -> float:
        return float(series.get(medium.value, 0.0))

    elec_tce = get(tce, Medium.ELECTRICITY) + get(tce, Medium.PV)
    return Totals(
        grid_kwh=get(kwh, Medium.ELECTRICITY), pv_kwh=get(kwh, Medium.PV),
        gas_kwh=get(kwh, Medium.NATURAL_GAS), heat_kwh=get(kwh, Medium.HEAT),
        electricity_tce=elec_tce, pv_tce=get(tce, Medium.PV),
        gas_tce=get(tce, Medium.NATURAL_GAS), heat_tce=get(tce, Medium.HEAT),
        energy_tce=float(frame["tce"].sum()), co2_t=float(frame["co2e_t"].sum()),
        n_intervals=len(frame))


def monthly_totals(frame: pd.DataFrame) -> dict[int, Totals]:
    """Totals per local calendar month (1–12) of a frame; months without rows are absent."""
    if frame.empty:
        return {}
    months = pd.DatetimeIndex(frame["local_start"]).month
    return {int(m): totals_from(part) for m, part in frame.groupby(months)}


def group_meters(park: Park, level: str) -> dict[str, tuple[Meter, ...]]:
    """Counted meters per subject of a level (``park``: the park id)."""
    if level == "park":
        return {park.park_id: counted_meters(park)}
    if level == "enterprise":
        return {e.enterprise_id: counted_meters(park, enterprise_id=e.enterprise_id)
                for e in park.enterprises}
    return {b.building_id: counted_meters(park, building_id=b.building_id)
            for b in park.buildings}


def year_frame(store: DuckDBStore, park: Park, year: int,
               options: AccountOptions) -> pd.DataFrame:
    """Interval accounts of every meter any group counts, for one local calendar year."""
    union = {m.meter_id: m for m in counted_meters(park)}
    union.update({m.meter_id: m for m in building_meters(park)})
    for enterprise in park.enterprises:
        union.update({m.meter_id: m for m in
                      counted_meters(park, enterprise_id=enterprise.enterprise_id)})
    return interval_accounts(store, park, tuple(union.values()), start=date(year, 1, 1),
                             end=date(year + 1, 1, 1), options=options)


def subset(frame: pd.DataFrame, meters: tuple[Meter, ...]) -> pd.DataFrame:
    """Rows of `frame` belonging to `meters`."""
    return frame[frame["meter_id"].isin({m.meter_id for m in meters})]
