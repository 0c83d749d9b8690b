"""Day-ahead load forecasts on real data (metric bounds), calendar, weather and metrics."""

from __future__ import annotations

import json
import os
from datetime import date

import numpy as np
import pandas as pd
import pytest

from zeropark.forecast.backtest import rolling_origin_backtest, score_backtest
from zeropark.forecast.calendar import DayType, day_types, holiday_calendar
from zeropark.forecast.load import forecast_day_ahead, mstl_ets_forecast
from zeropark.forecast.metrics import cv_rmse, fit_metrics, mape, nmbe
from zeropark.forecast.weather import (
    OpenMeteoSource,
    complete_irradiance,
    read_metoffice_archive,
    read_tmy3,
    read_weather_csv,
)

TZ = "Europe/London"


def test_cn_2024_makeup_workdays_and_days_off() -> None:
    """国务院办公厅关于2024年部分节假日安排的通知 (国办发明电〔2023〕7号): 调休 2024."""
    off, work = holiday_calendar("CN", [2024])
    makeup = {date(2024, 2, 4), date(2024, 2, 18), date(2024, 4, 7), date(2024, 4, 28),
              date(2024, 5, 11), date(2024, 9, 14), date(2024, 9, 29), date(2024, 10, 12)}
    assert {d for d in work if d.year == 2024} == makeup
    # Spring Festival 10–17 February, National Day 1–7 October are days off
    for d in pd.date_range("2024-02-10", "2024-02-17").date:
        assert d in off or d.weekday() >= 5
    assert all(d in off or d.weekday() >= 5 for d in pd.date_range("2024-10-01", "2024-10-07").date)
    kinds = day_types(pd.DatetimeIndex(["2024-02-18 01:00", "2024-02-16 01:00"], tz="UTC"),
                      timezone="Asia/Shanghai", country="CN")
    assert [DayType(k) for k in kinds] == [DayType.MAKEUP_WORKDAY, DayType.HOLIDAY]


def test_metrics_by_hand() -> None:
    y, p = [100.0, 110.0, 90.0, 100.0], [90.0, 120.0, 90.0, 96.0]
    assert cv_rmse(y, p) == pytest.approx(np.sqrt((100 + 100 + 0 + 16) / 4) / 100, rel=1e-12)
    assert nmbe(y, p) == pytest.approx((10 - 10 + 0 + 4) / (4 * 100), rel=1e-12)
    assert mape(y, p) == pytest.approx((0.1 + 10 / 110 + 0 + 0.04) / 4, rel=1e-12)
    assert not fit_metrics(y, [50.0] * 4).meets_ashrae_g14


@pytest.fixture(scope="module")
def b61(cambridge_root) -> tuple[pd.Series, pd.DataFrame]:
    """Building b61 electricity 2021 [kWh] and Bedford weather (Cambridge archive)."""
    raw = pd.read_csv(cambridge_root / "building_data/processed_data/UCam_Building_b61/"
                      "electricity/2021.csv")
    y = pd.Series(raw.iloc[:, 1].to_numpy("float64"),
                  index=pd.DatetimeIndex(pd.to_datetime(raw["datetime"], utc=True)))
    weather, _ = read_metoffice_archive(cambridge_root / "aux_data/MetOffice Weather Data/"
                                        "processed_data/bedford", [2021])
    return y.replace(0.0, np.nan), weather


def test_day_ahead_backtest_meets_g14_and_beats_naive(b61) -> None:
    """Rolling origin over Nov–Dec 2021 (incl. Christmas), weather up to the day before."""
    y, weather = b61
    bt = rolling_origin_backtest(y, start="2021-11-01", end="2022-01-01", timezone=TZ,
                                 country="GB", subdiv="ENG", weather=weather, refit="MS")
    assert len(bt) == 61 * 24
    score = score_backtest(bt)
    assert score["model"]["cv_rmse"] <= 0.10  # G14 hourly floor is 0.30
    assert abs(score["model"]["nmbe"]) <= 0.05
    assert score["model"]["cv_rmse"] < score["seasonal_naive"]["cv_rmse"]
    assert 0.5 <= score["coverage"] <= 0.95  # nominal 80 % interval


def test_forecast_of_one_day_uses_only_the_past(b61) -> None:
    y, weather = b61
    out = forecast_day_ahead(y, "2021-06-15", timezone=TZ, country="GB", subdiv="ENG",
                             weather=weather)
    assert len(out) == 24 and out.index[0] == pd.Timestamp("2021-06-14 23:00", tz="UTC")
    assert (out["lower"] <= out["forecast"]).all() and (out["forecast"] <= out["upper"]).all()
    # the same forecast with the future wiped out
    cut = y.where(y.index < out.index[0])
    again = forecast_day_ahead(cut, "2021-06-15", timezone=TZ, country="GB", subdiv="ENG",
                               weather=weather)
    np.testing.assert_allclose(again["forecast"], out["forecast"], rtol=1e-12)
    assert cv_rmse(y.loc[out.index], out["forecast"]) <= 0.15


def test_mstl_ets_on_a_real_building(b61) -> None:
    y, _ = b61
    history = y[(y.index >= "2021-09-01") & (y.index < "2021-10-20")]
    fc = mstl_ets_forecast(history, 24)
    actual = y.loc[fc.index]
    assert cv_rmse(actual, fc["forecast"]) <= 0.15
    assert (fc["lower"] < fc["upper"]).all()


def test_weather_readers() -> None:
    import pvlib

    w, meta = read_tmy3(os.path.join(pvlib.__path__[0], "data", "723170TYA.CSV"))
    assert len(w) == 8760 and {"ghi_w_per_m2", "dni_w_per_m2", "temp_air_c"} <= set(w)
    assert w.index[0] == pd.Timestamp("1988-01-01 05:00", tz="UTC")  # 01:00 EST end → start
    assert w["ghi_w_per_m2"].sum() / 1000 == pytest.approx(1700, rel=0.1)  # kWh/m²·a, NC


def test_bedford_weather_and_decomposition(cambridge_root) -> None:
    w, meta = read_metoffice_archive(cambridge_root / "aux_data/MetOffice Weather Data/"
                                     "processed_data/bedford", [2022])
    assert meta["latitude"] == 52.227 and len(w) == 8760
    full = complete_irradiance(w.loc["2022-06"], latitude=52.227, longitude=-0.465)
    noon = full.between_time("11:00", "12:00")
    assert (full["dhi_w_per_m2"] <= full["ghi_w_per_m2"] + 1e-9).all()
    assert noon["ghi_w_per_m2"].mean() > 300  # June midday in England


def test_csv_and_api_adapter_without_network(tmp_path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("time,T,G\n2024-01-01 01:00,5.0,0\n2024-01-01 02:00,6.0,10\n")
    w, _ = read_weather_csv(path, columns={"T": "temp_air_c", "G": "ghi_w_per_m2"},
                            time_column="time", timezone="Asia/Shanghai", label="end")
    assert w.index[0] == pd.Timestamp("2023-12-31 16:00", tz="UTC")
    calls = []

    def fake(url: str) -> dict:
        calls.append(url)
        return json.loads('{"hourly": {"time": ["2024-01-01T01:00", "2024-01-01T02:00"], '
                          '"temperature_2m": [1.5, 2.5], "shortwave_radiation": [0, 12]}}')

    src = OpenMeteoSource(fetch=fake)
    w, meta = src.get_weather(31.8, 120.0, pd.Timestamp("2024-01-01", tz="UTC"),
                              pd.Timestamp("2024-01-02", tz="UTC"))
    assert "latitude=31.8" in calls[0] and meta["source"] == "Open-Meteo"
    assert w["temp_air_c"].tolist() == [1.5, 2.5]
    assert w.index[0] == pd.Timestamp("2024-01-01 00:00", tz="UTC")
