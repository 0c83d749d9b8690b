"""GHG emission formulas (pure functions), one published method per function.

Units follow the China MEE/NDRC guidelines: activity data in GJ or MWh,
emission factors in t CO2 per unit activity, carbon content in t C/GJ.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from zeropark.errors import InputError

#: Molar-mass ratio CO2/C = 44/12, used by every carbon-content formula.
CO2_PER_C = 44.0 / 12.0
#: 1 kWh = 0.0036 GJ (exact).
GJ_PER_KWH = 0.0036

Numeric = float | npt.NDArray[np.float64]


def combustion_emissions(fuel_consumed: Numeric, ncv: Numeric, carbon_content: Numeric,
                         oxidation_rate: Numeric) -> Numeric:
    """CO2 from fossil-fuel combustion (化石燃料燃烧, MEE/NDRC accounting method).

    Parameters
    ----------
    fuel_consumed : numeric
        Fuel burnt in the period (FC). [t] or [10⁴ Nm³]
    ncv : numeric
        Net calorific value, 低位发热量 (NCV). [GJ/t] or [GJ/10⁴ Nm³]
    carbon_content : numeric
        Carbon per unit heat, 单位热值含碳量 (CC). [t C/GJ]
    oxidation_rate : numeric
        Fraction of carbon oxidised, 碳氧化率 (OF), 0–1. [-]

    Returns
    -------
    numeric
        CO2 emissions, broadcast shape of the inputs. [t CO2]

    Raises
    ------
    InputError
        If `oxidation_rate` is outside [0, 1] or any input is negative.

    Notes
    -----
    E = FC · NCV · CC · OF · 44/12, the fuel-combustion formula of the NDRC
    industry guidelines (e.g. 《工业其他行业企业温室气体排放核算方法与报告指南
    (试行)》, NDRC 2015, formulas (2)–(4)) and GB/T 32150-2015 annex.

    Examples
    --------
    10⁴ Nm³ of natural gas with the NDRC defaults (NCV 389.31 GJ/10⁴ Nm³,
    CC 0.0153 t C/GJ, OF 0.99):

    >>> round(combustion_emissions(1.0, 389.31, 0.0153, 0.99), 4)
    21.6219
    """
    of = np.asarray(oxidation_rate, dtype="float64")
    if np.any((of < 0) | (of > 1)):
        raise InputError(f"oxidation_rate must be within [0, 1], got {oxidation_rate!r}",
                         field="oxidation_rate")
    for name, value in (("fuel_consumed", fuel_consumed), ("ncv", ncv),
                        ("carbon_content", carbon_content)):
        if np.any(np.asarray(value) < 0):
            raise InputError(f"{name} must not be negative", field=name)
    out = (np.asarray(fuel_consumed, dtype="float64") * ncv * carbon_content * of * CO2_PER_C)
    return float(out) if np.ndim(out) == 0 else out


def gas_energy_emissions(energy_kwh_ncv: Numeric, carbon_content: Numeric,
                         oxidation_rate: Numeric) -> Numeric:
    """CO2 from natural gas whose use is metered as energy on a net-CV basis.

    Parameters
    ----------
    energy_kwh_ncv : numeric
        Gas energy on net calorific value. Convert gross-CV kWh first with
        :func:`gross_to_net`. [kWh]
    carbon_content : numeric
        单位热值含碳量 (CC). [t C/GJ]
    oxidation_rate : numeric
        碳氧化率 (OF). [-]

    Returns
    -------
    numeric
        [t CO2]

    Notes
    -----
    The same formula as :func:`combustion_emissions` with FC·NCV replaced by
    the metered heat: E = Q[GJ] · CC · OF · 44/12, Q[GJ] = kWh · 0.0036.

    Examples
    --------
    >>> round(gas_energy_emissions(1000.0, 0.0153, 0.99), 6)
    0.19994
    """
    return combustion_emissions(np.asarray(energy_kwh_ncv) * GJ_PER_KWH, 1.0, carbon_content,
                                oxidation_rate)


def gross_to_net(energy_gross: Numeric, ncv_gcv_ratio: float) -> Numeric:
    """Convert energy on gross calorific value (GCV) to net calorific value (NCV).

    Parameters
    ----------
    energy_gross : numeric
        Energy on GCV basis, e.g. UK gas meter kWh. [kWh]
    ncv_gcv_ratio : float
        NCV/GCV of the fuel, 0–1 (natural gas ≈ 0.9, see the factor library). [-]

    Returns
    -------
    numeric
        Energy on NCV basis. [kWh]

    Examples
    --------
    >>> gross_to_net(100.0, 0.9)
    90.0
    """
    if not 0 < ncv_gcv_ratio <= 1:
        raise InputError(f"ncv_gcv_ratio must be in (0, 1], got {ncv_gcv_ratio}",
                         field="ncv_gcv_ratio")
    out = np.asarray(energy_gross, dtype="float64") * ncv_gcv_ratio
    return float(out) if np.ndim(out) == 0 else out


def purchased_electricity_emissions(energy_kwh: pd.Series,
                                    emission_factor: float | pd.Series) -> float:
    """Location-based CO2 of purchased electricity (净购入电力), constant or hourly factor.

    Parameters
    ----------
    energy_kwh : pandas.Series
        Electricity per interval on a tz-aware UTC DatetimeIndex of interval
        starts. [kWh]
    emission_factor : float or pandas.Series
        Grid factor. A float applies to all intervals (e.g. an annual MEE/NBS
        factor); a Series on a UTC DatetimeIndex of hourly starts is matched to
        each interval's hour (e.g. a grid carbon-intensity file). [kg CO2/kWh]

    Returns
    -------
    float
        [t CO2]

    Raises
    ------
    InputError
        If an hourly factor has no value for an hour with electricity use.

    Notes
    -----
    E = AD · EF with AD in MWh and EF in t CO2/MWh (= kg CO2/kWh), per the MEE
    enterprise guidelines' 净购入电力 formula and GHG Protocol Scope 2 Guidance
    (2015) location-based method; with an hourly EF the sum runs over hours.

    Examples
    --------
    >>> idx = pd.date_range("2023-01-01", periods=2, freq="h", tz="UTC")
    >>> purchased_electricity_emissions(pd.Series([1000.0, 1000.0], idx), 0.5306)
    1.0612
    """
    values = energy_kwh.to_numpy(dtype="float64")
    if isinstance(emission_factor, pd.Series):
        hours = pd.DatetimeIndex(energy_kwh.index).floor("h")
        ef = emission_factor.reindex(hours).to_numpy(dtype="float64")
        missing = np.isnan(ef) & (values != 0)
        if missing.any():
            raise InputError(f"hourly emission factor has no value for {hours[missing][0]}",
                             field="emission_factor")
        return float(np.nansum(values * np.nan_to_num(ef)) / 1000.0)
    return float(np.nansum(values) * float(emission_factor) / 1000.0)
