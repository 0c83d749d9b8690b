"""Expected PV output per array (pvlib ModelChain), clear sky, performance ratio, alarms.

An array is described on its PV meter in the park file (``pv_kwp``, ``pv_inverter_kw``,
``pv_tilt_deg``, ``pv_azimuth_deg``, ``pv_loss_pct``; see ``docs/park-file.md``). The model
is PVWatts v5 (DC: ``P = P0 · G_poa/1000 · (1 + γ(T_cell − 25))``; inverter: PVWatts
efficiency curve; losses: a flat `pv_loss_pct`), run through :class:`pvlib.modelchain.ModelChain`
with the Hay–Davies transposition, physical IAM and SAPM cell temperature. Irradiance is
evaluated at the middle of each interval; results are labelled by interval start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from zeropark.errors import InputError
from zeropark.forecast.alarms import Alarm, make_alarm
from zeropark.forecast.weather import to_pvlib
from zeropark.issues import IssueCode, Severity
from zeropark.model import Meter
from zeropark.units import Medium

#: PVWatts v5 defaults (Dobos 2014, NREL/TP-6A20-62641): module temperature coefficient
#: γ = −0.47 %/°C for "standard" modules, system losses 14 %, nominal inverter efficiency 0.96.
GAMMA_PDC_PER_C = -0.0047
DEFAULT_LOSS_PCT = 14.0
ETA_INV_NOM = 0.96
#: Irradiance at standard test conditions, IEC 61724-1:2021 ``G_i,ref``. [kW/m²]
G_STC_KW_PER_M2 = 1.0


@dataclass(frozen=True, slots=True)
class PvArray:
    """One PV array: DC size, inverter, orientation and losses.

    Parameters
    ----------
    meter_id : str
        PV meter that measures its AC output.
    kwp : float
        DC nameplate at STC. [kWp]
    inverter_kw : float
        Inverter AC rating. [kW]
    tilt_deg, azimuth_deg : float
        Tilt from horizontal and azimuth clockwise from north. [degrees]
    loss_pct : float
        System losses (PVWatts). [%]
    """

    meter_id: str
    kwp: float
    inverter_kw: float
    tilt_deg: float
    azimuth_deg: float
    loss_pct: float = DEFAULT_LOSS_PCT

    @classmethod
    def from_meter(cls, meter: Meter) -> PvArray:
        """Array of a ``medium = "pv"`` meter from its park-file keys.

        Raises
        ------
        InputError
            Not a PV meter, or kWp / tilt / azimuth missing.
        """
        if meter.medium != Medium.PV:
            raise InputError(f"meter {meter.meter_id!r} is not a PV meter", field="medium")
        kwp = meter.pv_kwp or meter.rated_power_kw
        missing = [k for k, v in (("pv_kwp", kwp), ("pv_tilt_deg", meter.pv_tilt_deg),
                                  ("pv_azimuth_deg", meter.pv_azimuth_deg)) if v is None]
        if missing:
            raise InputError(f"PV meter {meter.meter_id!r} lacks {', '.join(missing)} in the "
                             "park file", field=missing[0])
        assert kwp is not None and meter.pv_tilt_deg is not None
        assert meter.pv_azimuth_deg is not None
        return cls(meter.meter_id, kwp, meter.pv_inverter_kw or kwp, meter.pv_tilt_deg,
                   meter.pv_azimuth_deg,
                   DEFAULT_LOSS_PCT if meter.pv_loss_pct is None else meter.pv_loss_pct)


def _step(index: pd.DatetimeIndex) -> pd.Timedelta:
    if len(index) < 2:
        return pd.Timedelta(hours=1)
    return pd.Timedelta(int(np.median(np.diff(index.as_unit("ns").asi8))), unit="ns")


def clear_sky(index: pd.DatetimeIndex, *, latitude: float, longitude: float,
              altitude: float = 0.0) -> pd.DataFrame:
    """Clear-sky irradiance (Ineichen–Perez, Linke turbidity from pvlib's bundled data).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        tz-aware interval starts, shape ``(n,)``; the sky is evaluated at interval middles.
    latitude, longitude : float
        [degrees]
    altitude : float
        [m]

    Returns
    -------
    pandas.DataFrame
        ``ghi_w_per_m2``, ``dni_w_per_m2``, ``dhi_w_per_m2`` on `index`. [W/m²]

    Notes
    -----
    Ineichen & Perez (2002), Solar Energy 73(3):151-157; monthly Linke turbidity climatology
    of Remund et al. (2003) shipped as ``LinkeTurbidities.h5`` with pvlib (no network).

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2024-06-21 03:30"], tz="UTC")  # ≈ solar noon, Changzhou
    >>> cs = clear_sky(idx, latitude=31.81, longitude=119.97, altitude=5)
    >>> bool(800 < cs["ghi_w_per_m2"].iloc[0] < 1100)
    True
    """
    import pvlib

    step = _step(index)
    loc = pvlib.location.Location(latitude, longitude, altitude=altitude)
    sky = loc.get_clearsky(index + step / 2, model="ineichen")
    sky.index = index
    out: pd.DataFrame = sky.rename(columns={"ghi": "ghi_w_per_m2", "dni": "dni_w_per_m2",
                                            "dhi": "dhi_w_per_m2"})
    return out


def _model_chain(array: PvArray, *, latitude: float, longitude: float,
                 altitude: float) -> object:
    import pvlib
    from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

    system = pvlib.pvsystem.PVSystem(
        surface_tilt=array.tilt_deg, surface_azimuth=array.azimuth_deg,
        module_parameters={"pdc0": array.kwp * 1000.0, "gamma_pdc": GAMMA_PDC_PER_C},
        inverter_parameters={"pdc0": array.inverter_kw * 1000.0 / ETA_INV_NOM,
                             "eta_inv_nom": ETA_INV_NOM},
        temperature_model_parameters=TEMPERATURE_MODEL_PARAMETERS["sapm"][
            "open_rack_glass_polymer"],
        losses_parameters={"soiling": 0, "shading": 0, "snow": 0, "mismatch": 0, "wiring": 0,
                           "connections": 0, "lid": 0, "nameplate_rating": 0, "age": 0,
                           "availability": array.loss_pct},
    )
    location = pvlib.location.Location(latitude, longitude, altitude=altitude)
    return pvlib.modelchain.ModelChain(system, location, dc_model="pvwatts",
                                       ac_model="pvwatts", aoi_model="physical",
                                       spectral_model="no_loss", losses_model="pvwatts",
                                       transposition_model="haydavies")


def expected_pv(weather: pd.DataFrame, array: PvArray, *, latitude: float, longitude: float,
                altitude: float = 0.0) -> pd.DataFrame:
    """Expected AC output of an array from a weather table (pvlib ``ModelChain``).

    Parameters
    ----------
    weather : pandas.DataFrame
        Weather table (:mod:`zeropark.forecast.weather`) with ``ghi_w_per_m2``,
        ``dni_w_per_m2``, ``dhi_w_per_m2`` and optionally ``temp_air_c`` (default 20 °C),
        ``wind_speed_m_per_s`` (default 0 m/s); interval starts, regular spacing.
    array : PvArray
    latitude, longitude, altitude : float
        Site. [degrees], [m]

    Returns
    -------
    pandas.DataFrame
        On the weather's index: ``poa_global_w_per_m2`` [W/m²], ``ac_power_kw`` [kW] (mean
        over the interval) and ``energy_kwh`` [kWh] = power × interval length.

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2024-06-21 03:00"], tz="UTC")
    >>> sky = clear_sky(idx, latitude=31.81, longitude=119.97)
    >>> arr = PvArray("pv", kwp=100.0, inverter_kw=90.0, tilt_deg=20.0, azimuth_deg=180.0)
    >>> out = expected_pv(sky, arr, latitude=31.81, longitude=119.97)
    >>> bool(50 < out["ac_power_kw"].iloc[0] <= 90)
    True
    """
    index = pd.DatetimeIndex(weather.index)
    step = _step(index)
    frame = to_pvlib(weather)
    for col in ("ghi", "dni", "dhi"):
        if col not in frame:
            raise InputError(f"weather lacks {col}_w_per_m2 (see complete_irradiance)",
                             field=f"{col}_w_per_m2")
    frame = frame.assign(temp_air=frame.get("temp_air", 20.0),
                         wind_speed=frame.get("wind_speed", 0.0)).fillna(
        {"temp_air": 20.0, "wind_speed": 0.0})
    frame.index = index + step / 2
    chain = _model_chain(array, latitude=latitude, longitude=longitude, altitude=altitude)
    chain.run_model(frame[["ghi", "dni", "dhi", "temp_air", "wind_speed"]])  # type: ignore[attr-defined]
    results = chain.results  # type: ignore[attr-defined]
    ac_kw = np.clip(np.asarray(results.ac, dtype="float64"), 0.0, None) / 1000.0
    poa = np.asarray(results.total_irrad["poa_global"], dtype="float64")
    hours = step / pd.Timedelta(hours=1)
    return pd.DataFrame({"poa_global_w_per_m2": poa, "ac_power_kw": ac_kw,
                         "energy_kwh": ac_kw * hours}, index=index)


def expected_pv_from_poa(poa_global: pd.Series, array: PvArray, *,
                         temp_cell: pd.Series | float = 25.0) -> pd.Series:
    """Expected AC energy from measured plane-of-array irradiance (PVWatts v5).

    Parameters
    ----------
    poa_global : pandas.Series
        Plane-of-array irradiance, interval means on interval starts. [W/m²]
    array : PvArray
    temp_cell : pandas.Series or float
        Cell (≈ module back-sheet) temperature. [°C]

    Returns
    -------
    pandas.Series
        Expected AC energy per interval. [kWh]

    Examples
    --------
    >>> poa = pd.Series([1000.0], index=pd.DatetimeIndex(["2024-06-01 12:00"], tz="UTC"))
    >>> arr = PvArray("pv", kwp=10.0, inverter_kw=20.0, tilt_deg=20, azimuth_deg=180,
    ...               loss_pct=0.0)
    >>> round(float(expected_pv_from_poa(poa, arr).iloc[0]), 2)  # η_inv = 0.962 at 48 % load
    9.62
    """
    import pvlib

    index = pd.DatetimeIndex(poa_global.index)
    hours = _step(index) / pd.Timedelta(hours=1)
    pdc = pvlib.pvsystem.pvwatts_dc(poa_global.clip(lower=0).to_numpy("float64"),
                                    np.asarray(temp_cell, dtype="float64"),
                                    array.kwp * 1000.0, GAMMA_PDC_PER_C)
    pdc = np.asarray(pdc) * (1.0 - array.loss_pct / 100.0)
    pac = pvlib.inverter.pvwatts(pdc, array.inverter_kw * 1000.0 / ETA_INV_NOM, ETA_INV_NOM)
    return pd.Series(np.clip(np.asarray(pac, dtype="float64"), 0, None) / 1000.0 * hours,
                     index=index, name="energy_kwh")


def performance_ratio(energy_ac: object, insolation_poa: object, kwp: float) -> object:
    """Performance ratio PR (IEC 61724-1:2021, clause on performance ratio).

    Parameters
    ----------
    energy_ac : numeric
        AC energy delivered in the period. [kWh]
    insolation_poa : numeric
        In-plane irradiation in the period, H_POA. [kWh/m²]
    kwp : float
        DC nameplate at STC, P0. [kWp]

    Returns
    -------
    numeric
        ``PR = (E_AC / P0) / (H_POA / G_STC)`` with G_STC = 1 kW/m². [-] (NaN where
        H_POA = 0)

    Examples
    --------
    >>> performance_ratio(400.0, 5.0, 100.0)
    0.8
    """
    e = np.asarray(energy_ac, dtype="float64")
    h = np.asarray(insolation_poa, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        pr = np.where(h > 0, (e / kwp) / (h / G_STC_KW_PER_M2), np.nan)
    return float(pr) if pr.ndim == 0 else pr


def pv_underperformance(measured: pd.Series, expected: pd.Series, *, meter_id: str,
                        timezone: str, threshold: float = 0.8, min_expected_kwh: float = 0.0,
                        min_days: int = 1) -> tuple[pd.DataFrame, list[Alarm]]:
    """Daily yield ratio measured/expected and alarms where it stays below `threshold`.

    Parameters
    ----------
    measured, expected : pandas.Series
        AC energy per interval on the same tz-aware index of interval starts. [kWh]
    meter_id : str
        PV meter named in the alarms.
    timezone : str
        Local days of the site.
    threshold : float
        Ratio below which a day under-performs (0.8: 20 % below the model). [-]
    min_expected_kwh : float
        Days with less expected energy (overcast, snow) are not judged. [kWh]
    min_days : int
        Consecutive under-performing days needed for an alarm.

    Returns
    -------
    daily : pandas.DataFrame
        Per local day: ``measured_kwh``, ``expected_kwh``, ``ratio``, ``judged``, ``low``.
    alarms : list of Alarm
        ``pv_underperformance``: one per run of ≥ `min_days` low days; error when the run's
        ratio is below ``threshold − 0.3``, else warning.

    Examples
    --------
    >>> idx = pd.date_range("2024-06-01", periods=72, freq="h", tz="UTC")
    >>> exp = pd.Series(10.0, index=idx)
    >>> meas = exp.where(idx.day != 2, 5.0)
    >>> daily, alarms = pv_underperformance(meas, exp, meter_id="pv", timezone="UTC")
    >>> daily["low"].tolist(), alarms[0].start.day, alarms[0].data["ratio"]
    ([False, True, False], 2, 0.5)
    """
    both = pd.DataFrame({"m": measured, "e": expected}).dropna()
    local_day = pd.DatetimeIndex(both.index).tz_convert(timezone).normalize()
    daily = both.groupby(local_day).sum()
    daily.columns = ["measured_kwh", "expected_kwh"]
    daily["ratio"] = daily["measured_kwh"] / daily["expected_kwh"].where(
        daily["expected_kwh"] > 0)
    daily["judged"] = daily["expected_kwh"] > min_expected_kwh
    daily["low"] = daily["judged"] & (daily["ratio"] < threshold)
    alarms = []
    low = daily["low"].to_numpy()
    days = pd.DatetimeIndex(daily.index)
    k = 0
    while k < len(low):
        if not low[k]:
            k += 1
            continue
        j = k
        while j < len(low) and low[j]:
            j += 1
        if j - k >= min_days:
            part = daily.iloc[k:j]
            ratio = float(part["measured_kwh"].sum() / part["expected_kwh"].sum())
            severity = Severity.ERROR if ratio < threshold - 0.3 else Severity.WARNING
            alarms.append(make_alarm(
                IssueCode.PV_UNDERPERFORMANCE, severity, meter_id, days[k],
                days[j - 1] + pd.Timedelta(days=1),
                f"PV yield {ratio:.0%} of expected over {j - k} day(s) "
                f"(threshold {threshold:.0%})",
                ratio=round(ratio, 4), n=j - k, threshold=threshold,
                lost_kwh=round(float(part["expected_kwh"].sum() - part["measured_kwh"].sum()),
                               3)))
        k = j
    return daily, alarms
