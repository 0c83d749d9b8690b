"""Expected PV: pvlib path checked by hand on a clear-sky case; PR and under-performance."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from zeropark.errors import InputError, ParkModelError
from zeropark.forecast.pv import (
    PvArray,
    clear_sky,
    expected_pv,
    expected_pv_from_poa,
    performance_ratio,
    pv_underperformance,
)
from zeropark.model import parse_park

CHANGZHOU = {"latitude": 31.81, "longitude": 119.97, "altitude": 5.0}


def test_clear_sky_matches_the_ineichen_formula_by_hand() -> None:
    """Ineichen & Perez (2002) Eq. for GHI, evaluated by hand at one instant.

    GHI = cg1 · I0 · cos z · exp(−cg2 · AM · (fh1 + fh2 · (TL − 1))), with
    cg1 = 5.09e-5 h + 0.868, cg2 = 3.92e-5 h + 0.0387, fh1 = exp(−h/8000), fh2 = exp(−h/1250),
    AM the pressure-corrected Kasten–Young air mass (pvlib omits the optional Perez
    enhancement factor by default). Sun position, I0 and TL are inputs (not under test).
    """
    import pvlib

    idx = pd.DatetimeIndex(["2024-06-21 04:00"], tz="UTC")  # ~12:00 local solar time
    mid = idx + pd.Timedelta(minutes=30)
    got = clear_sky(idx, **CHANGZHOU)["ghi_w_per_m2"].iloc[0]

    h = CHANGZHOU["altitude"]
    sol = pvlib.solarposition.get_solarposition(mid, CHANGZHOU["latitude"],
                                                CHANGZHOU["longitude"], altitude=h)
    z = np.radians(sol["apparent_zenith"].iloc[0])
    tl = pvlib.clearsky.lookup_linke_turbidity(mid, CHANGZHOU["latitude"],
                                               CHANGZHOU["longitude"]).iloc[0]
    i0 = pvlib.irradiance.get_extra_radiation(mid).iloc[0]
    am_rel = 1.0 / (np.cos(z) + 0.50572 * (96.07995 - np.degrees(z)) ** -1.6364)
    am = am_rel * pvlib.atmosphere.alt2pres(h) / 101325.0
    cg1, cg2 = 5.09e-5 * h + 0.868, 3.92e-5 * h + 0.0387
    fh1, fh2 = np.exp(-h / 8000), np.exp(-h / 1250)
    by_hand = cg1 * i0 * np.cos(z) * np.exp(-cg2 * am * (fh1 + fh2 * (tl - 1)))
    assert got == pytest.approx(by_hand, rel=5e-3)
    assert 850 < by_hand < 1050  # a clear June noon at 32° N


def test_model_chain_on_a_horizontal_array_follows_pvwatts_by_hand() -> None:
    """Horizontal array: POA = GHI, so AC = PVWatts(P0·GHI/1000·(1+γ(Tc−25))·(1−L))."""
    import pvlib

    idx = pd.DatetimeIndex(["2024-06-21 04:00"], tz="UTC")
    sky = clear_sky(idx, **CHANGZHOU).assign(temp_air_c=25.0, wind_speed_m_per_s=1.0)
    arr = PvArray("pv", kwp=100.0, inverter_kw=200.0, tilt_deg=0.0, azimuth_deg=180.0,
                  loss_pct=14.0)
    out = expected_pv(sky, arr, **CHANGZHOU)
    ghi = sky["ghi_w_per_m2"].iloc[0]
    assert out["poa_global_w_per_m2"].iloc[0] == pytest.approx(ghi, rel=1e-3)
    # cell temperature (SAPM open rack, 25 °C air, 1 m/s) by hand:
    t_cell = float(pvlib.temperature.sapm_cell(ghi, 25.0, 1.0, -3.56, -0.075, 3))
    pdc = 100.0 * ghi / 1000 * (1 - 0.0047 * (t_cell - 25)) * 0.86
    zeta = pdc / (200.0 / 0.96)
    eta = 0.96 / 0.9637 * (-0.0162 * zeta - 0.0059 / zeta + 0.9858)
    # the physical IAM at a ~8° angle of incidence costs < 0.1 %
    assert out["ac_power_kw"].iloc[0] == pytest.approx(pdc * eta, rel=2e-3)
    assert out["energy_kwh"].iloc[0] == pytest.approx(out["ac_power_kw"].iloc[0], rel=1e-12)


def test_daily_clear_sky_yield_is_plausible() -> None:
    idx = pd.date_range("2024-06-21", periods=24, freq="h", tz="Asia/Shanghai")
    sky = clear_sky(idx, **CHANGZHOU)
    arr = PvArray("pv", kwp=1.0, inverter_kw=1.0, tilt_deg=20.0, azimuth_deg=180.0)
    daily = expected_pv(sky, arr, **CHANGZHOU)["energy_kwh"].sum()
    assert 5.0 < daily < 8.0  # kWh per kWp on a clear midsummer day at 32° N
    assert sky["ghi_w_per_m2"].iloc[:4].max() == 0.0  # night


def test_performance_ratio_iec_61724() -> None:
    assert performance_ratio(400.0, 5.0, 100.0) == pytest.approx(0.8, rel=1e-12)
    pr = performance_ratio(np.array([400.0, 1.0]), np.array([5.0, 0.0]), 100.0)
    assert pr[0] == pytest.approx(0.8, rel=1e-12) and np.isnan(pr[1])


PARK = """
[park]
id = "p"
name = "P"
timezone = "Asia/Shanghai"
latitude = 31.81
longitude = 119.97
[[meters]]
id = "pv1"
medium = "pv"
unit = "kWh"
kind = "total"
direction = "export"
rated_power_kw = 500
pv_inverter_kw = 450
pv_tilt_deg = 22
pv_azimuth_deg = 180
"""


def test_array_from_park_file() -> None:
    park = parse_park(PARK)
    arr = PvArray.from_meter(park.meter("pv1"))
    assert (arr.kwp, arr.inverter_kw, arr.tilt_deg, arr.azimuth_deg, arr.loss_pct) == (
        500.0, 450.0, 22.0, 180.0, 14.0)


def test_pv_keys_are_checked() -> None:
    with pytest.raises(ParkModelError, match="pv_tilt_deg must be within"):
        parse_park(PARK.replace("pv_tilt_deg = 22", "pv_tilt_deg = 95"))
    bad = PARK.replace('medium = "pv"', 'medium = "electricity"')
    with pytest.raises(ParkModelError, match="for PV meters"):
        parse_park(bad)
    no_tilt = parse_park(PARK.replace("pv_tilt_deg = 22\n", ""))
    with pytest.raises(InputError, match="pv_tilt_deg"):
        PvArray.from_meter(no_tilt.meter("pv1"))


def _serf_west() -> pd.DataFrame:
    pvanalytics = pytest.importorskip("pvanalytics")
    path = os.path.join(os.path.dirname(pvanalytics.__file__), "data", "serf_west_15min.csv")
    raw = pd.read_csv(path, index_col=0)
    raw.index = pd.DatetimeIndex(pd.to_datetime(raw.index)).tz_localize("Etc/GMT+7")
    return raw


def test_underperformance_alarm_on_measured_pv_with_a_planted_fault() -> None:
    """NREL SERF West rooftop array (pvanalytics sample data, MIT), 15-min AC power and POA.

    The expected output is PVWatts from the measured POA and module temperature, with the DC
    size calibrated on the first two days; a planted fault halves the AC output of
    2022-01-05. The file has a real outage too: on 2022-01-06 the POA sensor sees
    4.6 kWh/m² but the inverter reports ~0 W all day. Exactly those two days alarm (one
    alarm: consecutive low days merge); the healthy days stay within ±25 %.
    """
    raw = _serf_west()
    ac_kwh = raw["ac_power__773"].clip(lower=0) / 1000 * 0.25
    poa = raw["poa_irradiance__771"].clip(lower=0)
    t_mod = raw["module_temp_1__781"]
    unit = PvArray("serf_west", kwp=1.0, inverter_kw=1.0, tilt_deg=40, azimuth_deg=180,
                   loss_pct=0.0)
    per_kwp = expected_pv_from_poa(poa, unit, temp_cell=t_mod)
    first = raw.index < pd.Timestamp("2022-01-04", tz="Etc/GMT+7")
    kwp = ac_kwh[first].sum() / per_kwp[first].sum()
    arr = PvArray("serf_west", kwp=kwp, inverter_kw=kwp, tilt_deg=40, azimuth_deg=180,
                  loss_pct=0.0)
    expected = expected_pv_from_poa(poa, arr, temp_cell=t_mod)
    faulty = ac_kwh.where(raw.index.normalize() != pd.Timestamp("2022-01-05", tz="Etc/GMT+7"),
                          ac_kwh * 0.5)
    daily, alarms = pv_underperformance(faulty, expected, meter_id="serf_west",
                                        timezone="Etc/GMT+7", min_expected_kwh=0.05 * kwp)
    low = [d.date().isoformat() for d in daily.index[daily["low"]]]
    assert low == ["2022-01-05", "2022-01-06"]
    assert len(alarms) == 1 and alarms[0].data["n"] == 2
    assert alarms[0].severity == "error"
    assert daily.loc[daily.index[3], "ratio"] == pytest.approx(0.5, abs=0.1)
    assert daily.loc[daily.index[4], "ratio"] < 0.05
    healthy = daily[daily["judged"] & ~daily["low"]]["ratio"]
    # winter days scatter (snow on 2 January, low sun, POA sensor vs array): ±25 %
    assert len(healthy) == 3 and healthy.between(0.8, 1.25).all()
