"""Park accounts: energy by medium and member, standard coal and location-based CO2.

Pipelines over the store. The numbers come only from stored intervals and
the cited factors, so every result can be reproduced; each result names the
factors it used.

Scope rule (no double counting): a group (park, building, enterprise) counts a
meter when the meter belongs to it and the meter's parent (``submeter_of``)
does not; export meters count negative (load convention). Virtual meters are
views and never counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from zeropark.accounting.energy import TceMethod, coal_equivalent
from zeropark.accounting.ghg import CO2_PER_C, GJ_PER_KWH
from zeropark.accounting.options import AccountOptions
from zeropark.factors import get_factor
from zeropark.model import Direction, Meter, Park
from zeropark.store.duckdb import DuckDBStore
from zeropark.units import Medium, Quantity

#: Media counted in energy, tce and CO2 accounts. Chilled water is left out: the electricity
#: or heat that makes it is metered and counted already (purchased district cooling needs a
#: factor of its own, not shipped yet). Water is not energy.
ENERGY_MEDIA = (Medium.ELECTRICITY, Medium.NATURAL_GAS, Medium.HEAT, Medium.PV)
#: Factor-library id of the natural-gas NCV used to turn metered m³ into energy.
GAS_NCV_FACTOR = "cn_ndrc_2015_natural_gas_ncv"


def counted_meters(park: Park, *, building_id: str | None = None,
                   enterprise_id: str | None = None) -> tuple[Meter, ...]:
    """Meters that count for a group without double counting (see module doc).

    Parameters
    ----------
    park : Park
    building_id, enterprise_id : str, optional
        The group; neither = the whole park (root meters only).

    Returns
    -------
    tuple of Meter
    """
    by_id = park.meters_by_id()

    def member(m: Meter | None) -> bool:
        if m is None:
            return False
        if building_id is not None:
            return m.building_id == building_id
        if enterprise_id is not None:
            return m.enterprise_id == enterprise_id
        return True

    return tuple(
        m for m in park.meters
        if member(m) and not member(by_id.get(m.submeter_of or ""))
        and m.medium in ENERGY_MEDIA
        and (m.quantity != Quantity.VOLUME or m.medium == Medium.NATURAL_GAS)
    )


def kwh_per_unit(meter: Meter) -> float:
    """Energy [kWh] per canonical unit of a counted meter: 1, or the gas NCV per m³.

    Natural gas metered by volume is turned into net-calorific energy with the NDRC
    guideline default NCV of natural gas (factor ``cn_ndrc_2015_natural_gas_ncv``,
    389.31 GJ/10⁴ Nm³ → 10.814 kWh/Nm³).

    Examples
    --------
    >>> from zeropark.model import Meter, MeterKind
    >>> from zeropark.units import Quantity
    >>> gas = Meter("g", Medium.NATURAL_GAS, Quantity.VOLUME, "m3", MeterKind.TOTAL_INCREASING)
    >>> round(kwh_per_unit(gas), 4)
    10.8142
    """
    if meter.medium == Medium.NATURAL_GAS and meter.quantity == Quantity.VOLUME:
        ncv = get_factor(GAS_NCV_FACTOR).pint_quantity()
        return float(ncv.to("kWh/m**3").magnitude)
    return 1.0


def signed_kwh_per_unit(meter: Meter) -> float:
    """Multiplier from stored values to signed kWh in the accounts.

    Grid ``export`` meters count negative; PV meters are generation and count
    positive whatever their direction; gas by volume is turned into kWh (NCV).
    """
    export = meter.direction == Direction.EXPORT and meter.medium != Medium.PV
    return (-1.0 if export else 1.0) * kwh_per_unit(meter)


def building_meters(park: Park) -> tuple[Meter, ...]:
    """Meters counted for some building, each building without double counting.

    A meter under a park-level grid meter still counts for its own building.
    """
    seen: dict[str, Meter] = {}
    for building in park.buildings:
        for m in counted_meters(park, building_id=building.building_id):
            seen[m.meter_id] = m
    return tuple(seen.values())


def local_bounds(park: Park, start: date, end: date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC instants of local midnight at `start` and `end` in the park's zone."""
    return (pd.Timestamp(start).tz_localize(park.timezone).tz_convert("UTC"),
            pd.Timestamp(end).tz_localize(park.timezone).tz_convert("UTC"))


def interval_accounts(store: DuckDBStore, park: Park, meters: tuple[Meter, ...], *,
                      start: date, end: date, options: AccountOptions) -> pd.DataFrame:
    """Interval energy of `meters` in local [start, end) with tce and CO2 per interval.

    Returns
    -------
    pandas.DataFrame
        One row per interval: ``meter_id``, ``medium``, ``building_id``,
        ``enterprise_id``, ``interval_start`` (UTC), ``local_start`` (naive
        local), ``energy_kwh`` (signed: grid export negative; PV generation
        positive, as a source), ``measured_kwh``, ``estimated_kwh``, ``tce``,
        ``co2e_t``, ``ef_fallback`` (True where an hourly grid factor had no
        value for the hour and its mean was used).
    """
    lo, hi = local_bounds(park, start, end)
    frame = store.intervals(park.park_id, [m.meter_id for m in meters], lo, hi)
    info = pd.DataFrame([
        {"meter_id": m.meter_id, "medium": m.medium.value, "building_id": m.building_id,
         "enterprise_id": m.enterprise_id,
         "sign": signed_kwh_per_unit(m),
         "kgce_per_kwh": _kgce(m, options), "co2_t_per_kwh": _co2_per_kwh(m, options)}
        for m in meters
    ], columns=["meter_id", "medium", "building_id", "enterprise_id", "sign", "kgce_per_kwh",
                "co2_t_per_kwh"])  # columns named: a park without meters has no rows
    frame = frame.merge(info, on="meter_id", how="left")
    energy = frame["energy"].fillna(0.0) * frame["sign"]
    estimated = frame["estimated"].astype(bool)
    frame["energy_kwh"] = energy
    frame["measured_kwh"] = energy.where(~estimated, 0.0)
    frame["estimated_kwh"] = energy.where(estimated, 0.0)
    frame["tce"] = energy * frame["kgce_per_kwh"] / 1000.0
    co2 = energy * frame["co2_t_per_kwh"]
    frame["ef_fallback"] = False
    hourly = options.electricity.hourly
    if hourly is not None:
        elec = (frame["medium"] == Medium.ELECTRICITY.value).to_numpy()
        hours = pd.DatetimeIndex(frame.loc[elec, "interval_start"]).floor("h")
        ef = hourly.reindex(hours).to_numpy(dtype="float64")
        # Hours the series does not cover use its mean: marked per interval and counted
        # in the summary (``factor_fallback_intervals``), never silent.
        missing = np.isnan(ef)
        frame.loc[elec, "ef_fallback"] = missing
        ef = np.where(missing, options.electricity.value, ef)
        co2.loc[elec] = energy.loc[elec].to_numpy() * ef / 1000.0
    frame["co2e_t"] = co2
    frame["local_start"] = (pd.DatetimeIndex(frame["interval_start"])
                            .tz_convert(park.timezone).tz_localize(None))
    return frame[["meter_id", "medium", "building_id", "enterprise_id", "interval_start",
                  "local_start", "energy_kwh", "measured_kwh", "estimated_kwh", "tce",
                  "co2e_t", "ef_fallback"]]


def _kgce(meter: Meter, options: AccountOptions) -> float:
    return coal_equivalent(
        meter.medium, tce_method=options.tce_method,
        supply_coal_rate_kgce_per_kwh=options.supply_coal_rate_kgce_per_kwh,
        calorific_basis=meter.calorific_basis or "net",
    ).kgce_per_kwh


def _co2_per_kwh(meter: Meter, options: AccountOptions) -> float:
    """T CO2 per canonical kWh of the meter (electricity: the constant or mean factor)."""
    if meter.medium == Medium.ELECTRICITY:
        return options.electricity.value / 1000.0
    if meter.medium == Medium.NATURAL_GAS:
        cc = get_factor(options.gas_carbon_content_factor).value
        of = get_factor(options.gas_oxidation_factor).value
        gross = meter.calorific_basis == "gross"
        ratio = get_factor(options.ncv_gcv_factor).value if gross else 1.0
        return GJ_PER_KWH * ratio * cc * of * CO2_PER_C
    if meter.medium == Medium.HEAT:
        factor = get_factor(options.heat_factor)
        return GJ_PER_KWH * float(factor.pint_quantity().to("t/GJ").magnitude)
    return 0.0  # PV generation carries no direct or purchased-energy CO2


def factors_used(park: Park, options: AccountOptions) -> list[dict[str, object]]:
    """Descriptions of the factors the accounts of `park` use, for reports."""
    used: list[dict[str, object]] = [options.electricity.as_dict()]
    media = {m.medium for m in park.meters}
    ids: list[tuple[str, str]] = []
    if Medium.NATURAL_GAS in media:
        ids += [("natural_gas", options.gas_carbon_content_factor),
                ("natural_gas", options.gas_oxidation_factor)]
        if any(m.calorific_basis == "gross" for m in park.meters):
            ids.append(("natural_gas", options.ncv_gcv_factor))
    if Medium.HEAT in media:
        ids.append(("heat", options.heat_factor))
    ids.append(("all", "cn_gbt2589_2020_electricity_calorific"
                if options.tce_method == TceMethod.CALORIFIC else "cn_gbt2589_2020_kgce_heat"))
    for medium, factor_id in ids:
        f = get_factor(factor_id)
        used.append({"medium": medium, "factor_id": f.factor_id, "description": f.kind,
                     "value": f.value, "unit": f.unit, "time_varying": False,
                     "source": f"{f.source}; {f.table}; {f.edition}"})
    return used


def summarize(frame: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Sum an :func:`interval_accounts` frame by one or more of its columns."""
    cols = ["measured_kwh", "estimated_kwh", "energy_kwh", "tce", "co2e_t"]
    return frame.groupby(by, dropna=False)[cols].sum().reset_index()


def year_bounds(year: int) -> tuple[date, date]:
    """Local calendar year as [1 January, next 1 January)."""
    return date(year, 1, 1), date(year + 1, 1, 1)


def quality_counts(store: DuckDBStore, park: Park, *, start: date | None = None,
                   end: date | None = None) -> Mapping[str, int]:
    """Number of stored data-quality findings per code, optionally within local [start, end).

    A finding counts for the period when its span (or instant) overlaps it; findings
    without a time always count.
    """
    issues = store.quality_issues(park.park_id)
    if start is not None and end is not None and not issues.empty:
        lo, hi = local_bounds(park, start, end)
        first = pd.to_datetime(issues["start_ts"], utc=True, errors="coerce")
        last = pd.to_datetime(issues["end_ts"].fillna(issues["start_ts"]), utc=True,
                              errors="coerce")
        keep = first.isna() | ((first < hi) & (last >= lo))
        issues = issues[keep]
    return {str(k): int(v) for k, v in issues["code"].value_counts().sort_index().items()}
