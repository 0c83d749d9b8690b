"""Day-ahead load forecasts with prediction intervals, beside the seasonal-naive baseline.

*Day-ahead* (日前, riqian): the forecast for every interval of local day D is issued at local
midnight starting D, so it may use measurements up to the end of D − 1 and, as weather, only
what the caller passes as known for D (a weather forecast; measured weather in a backtest is
an oracle and must be labelled so). Three models:

- :func:`seasonal_naive`: the value one week earlier (the baseline every model must beat);
- :class:`GbmDayAhead`: LightGBM on calendar features (with Chinese holidays and 调休
  make-up workdays, :mod:`zeropark.forecast.calendar`), lags ≥ 24 h, the previous days' means
  and weather; split-conformal prediction intervals;
- :func:`mstl_ets_forecast`: MSTL decomposition (daily + weekly seasons) with an ETS model of
  the seasonally adjusted series (statsmodels; the statsforecast ``MSTL(trend_forecaster=
  AutoETS)`` recipe).

Series are pandas Series of interval energy [kWh] on a regular tz-aware UTC index of
interval starts (1 h or 15 min); NaN marks intervals the data-quality rules call invalid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from zeropark.errors import InputError
from zeropark.forecast.calendar import calendar_features

WEEK = pd.Timedelta(days=7)
DAY = pd.Timedelta(days=1)
#: Lags of the target used as features; all ≥ 24 h so they are known at issue time.
LAGS = (pd.Timedelta(hours=24), pd.Timedelta(hours=48), pd.Timedelta(hours=72),
        pd.Timedelta(hours=168), pd.Timedelta(hours=336))


def _step(index: pd.DatetimeIndex) -> pd.Timedelta:
    if len(index) < 2:
        raise InputError("a series needs at least two intervals", field="index")
    return pd.Timedelta(int(np.median(np.diff(index.as_unit("ns").asi8))), unit="ns")


def _lag(y: pd.Series, lag: pd.Timedelta) -> pd.Series:
    """`y` delayed by `lag` (time-based, so gaps in the index stay gaps)."""
    return y.shift(freq=lag).reindex(y.index)


def seasonal_naive(y: pd.Series, *, season: pd.Timedelta = WEEK) -> pd.Series:
    """Seasonal-naive forecast: the value one `season` earlier (default one week).

    It is a day-ahead forecast for any season ≥ 1 day.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    >>> seasonal_naive(pd.Series([1.0, 2, 3, 4], index=idx), season=pd.Timedelta(days=2)).tolist()
    [nan, nan, 1.0, 2.0]
    """
    return _lag(y, season)


def day_ahead_features(y: pd.Series, *, timezone: str, country: str, subdiv: str | None = None,
                       weather: pd.DataFrame | None = None,
                       weather_known_ahead: bool = False) -> pd.DataFrame:
    """Features known at local midnight before each interval's day.

    Parameters
    ----------
    y : pandas.Series
        Interval energy [kWh] on a regular tz-aware index (NaN = invalid).
    timezone, country, subdiv : str
        Site zone and holiday calendar (``"CN"`` with 调休 make-up workdays).
    weather : pandas.DataFrame, optional
        Weather table (``temp_air_c``, ``ghi_w_per_m2`` …) covering `y`'s index.
    weather_known_ahead : bool
        True if the weather of day D is known at issue time (a weather forecast, or measured
        weather used as an oracle in a backtest): adds same-interval temperature and
        irradiance and D's mean temperature. False: only weather up to the end of D − 1.

    Returns
    -------
    pandas.DataFrame
        One row per interval of `y`. Lag columns whose source interval lies inside day D
        (DST days) are NaN.
    """
    index = pd.DatetimeIndex(y.index)
    cal = calendar_features(index, timezone=timezone, country=country, subdiv=subdiv)
    feats = cal.copy()
    local = index.tz_convert(timezone)
    day = local.normalize()
    day_start = pd.DatetimeIndex(day).tz_convert("UTC")
    for lag in LAGS:
        col = _lag(y, lag)
        feats[f"lag_{int(lag / pd.Timedelta(hours=1))}h"] = col.where(
            index - lag < day_start).to_numpy()
    daily = y.groupby(day).mean()
    prev = daily.shift(1)
    feats["mean_prev_day"] = prev.reindex(day).to_numpy()
    feats["mean_prev_7d"] = prev.rolling(7, min_periods=3).mean().reindex(day).to_numpy()
    same_slot = pd.concat([_lag(y, k * DAY) for k in range(1, 8)], axis=1)
    feats["mean_same_slot_7d"] = same_slot.mean(axis=1).to_numpy()
    working = pd.Series(cal["working"].to_numpy(), index=index)
    same_kind = pd.concat([_lag(y, k * DAY).where(_lag(working, k * DAY) == working)
                           for k in range(1, 15)], axis=1)
    feats["mean_same_slot_same_kind_14d"] = same_kind.mean(axis=1).to_numpy()
    if weather is not None and "temp_air_c" in weather:
        temp = weather["temp_air_c"].reindex(index)
        t_daily = temp.groupby(day).mean()
        feats["temp_prev_day_c"] = t_daily.shift(1).reindex(day).to_numpy()
        feats["temp_lag_24h_c"] = _lag(temp, DAY).to_numpy()
        if weather_known_ahead:
            feats["temp_c"] = temp.to_numpy()
            feats["temp_day_c"] = t_daily.reindex(day).to_numpy()
            if "ghi_w_per_m2" in weather:
                feats["ghi_w_per_m2"] = weather["ghi_w_per_m2"].reindex(index).to_numpy()
    return feats


#: LightGBM settings (small, fast, regularised; tuned only for speed on the Cambridge data).
GBM_PARAMS: dict[str, Any] = {
    "n_estimators": 300, "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 20,
    "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "verbose": -1,
    "random_state": 0, "n_jobs": 1,
}


@dataclass
class GbmDayAhead:
    """Gradient-boosting day-ahead model of one series with split-conformal intervals.

    Parameters
    ----------
    timezone, country, subdiv : str
        Site zone and holiday calendar.
    coverage : float
        Nominal coverage of the prediction interval (0.8 → 10 %–90 %). [-]
    calibration : pandas.Timedelta
        Last part of the history held out to measure out-of-sample errors for the interval.
    weather_known_ahead : bool
        See :func:`day_ahead_features`.
    params : dict
        LightGBM parameters (default :data:`GBM_PARAMS`).
    anchor : str or None
        Feature column the model predicts the difference to (e.g. ``"mean_prev_day"``), so
        that trees can follow a level they never saw in training (trend, season change);
        ``None`` predicts the level.
    """

    timezone: str
    country: str
    subdiv: str | None = None
    coverage: float = 0.8
    calibration: pd.Timedelta = pd.Timedelta(days=28)
    weather_known_ahead: bool = False
    params: dict[str, Any] = field(default_factory=lambda: dict(GBM_PARAMS))
    model_: Any = None
    residual_quantiles_: tuple[float, float] = (0.0, 0.0)
    columns_: list[str] = field(default_factory=list)
    anchor: str | None = None

    def _base(self, x: pd.DataFrame) -> np.ndarray:
        if self.anchor is None:
            return np.zeros(len(x))
        return x[self.anchor].fillna(0.0).to_numpy("float64")

    def features(self, y: pd.Series, weather: pd.DataFrame | None) -> pd.DataFrame:
        """Features of every interval of `y` (see :func:`day_ahead_features`)."""
        return day_ahead_features(y, timezone=self.timezone, country=self.country,
                                  subdiv=self.subdiv, weather=weather,
                                  weather_known_ahead=self.weather_known_ahead)

    def _fit(self, x: pd.DataFrame, y: pd.Series) -> Any:
        import lightgbm as lgb

        model = lgb.LGBMRegressor(**self.params)
        model.fit(x, y)
        return model

    def fit(self, y: pd.Series, *, weather: pd.DataFrame | None = None,
            features: pd.DataFrame | None = None, calibrate: bool = True) -> GbmDayAhead:
        """Fit on all valid intervals of `y`; measure interval widths on the last weeks.

        Raises
        ------
        InputError
            Fewer than 14 days of valid data.
        """
        x = self.features(y, weather) if features is None else features.loc[y.index]
        valid = y.notna().to_numpy()
        step = _step(pd.DatetimeIndex(y.index))
        if valid.sum() < 14 * (DAY / step):
            raise InputError(f"{int(valid.sum())} valid intervals: a day-ahead model needs "
                             "at least 14 days", field="y")
        self.columns_ = list(x.columns)
        if calibrate:
            cut = pd.DatetimeIndex(y.index)[-1] - self.calibration
            early = valid & (pd.DatetimeIndex(y.index) <= cut)
            late = valid & (pd.DatetimeIndex(y.index) > cut)
            if early.sum() >= 14 * (DAY / step) and late.any():
                probe = self._fit(x[early], y[early] - self._base(x[early]))
                resid = y[late].to_numpy() - probe.predict(x[late]) - self._base(x[late])
                alpha = (1.0 - self.coverage) / 2
                self.residual_quantiles_ = (float(np.quantile(resid, alpha)),
                                            float(np.quantile(resid, 1 - alpha)))
        self.model_ = self._fit(x[valid], y[valid] - self._base(x[valid]))
        return self

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Forecast with interval.

        Returns
        -------
        pandas.DataFrame
            ``forecast``, ``lower``, ``upper`` on the features' index. [kWh]
        """
        if self.model_ is None:
            raise InputError("model is not fitted", field="model")
        point = np.asarray(self.model_.predict(features[self.columns_]), dtype="float64") + (
            self._base(features))
        lo, hi = self.residual_quantiles_
        return pd.DataFrame({"forecast": point, "lower": point + lo, "upper": point + hi},
                            index=features.index)


def forecast_day_ahead(y: pd.Series, day: Any, *, timezone: str, country: str,
                       subdiv: str | None = None, weather: pd.DataFrame | None = None,
                       weather_known_ahead: bool = False, coverage: float = 0.8
                       ) -> pd.DataFrame:
    """Forecast local day `day` from everything in `y` before it, with the naive baseline.

    Parameters
    ----------
    y : pandas.Series
        History [kWh] on a regular tz-aware index; values from `day` on are ignored.
    day : date-like
        Local calendar day to forecast.
    timezone, country, subdiv, weather, weather_known_ahead, coverage
        See :class:`GbmDayAhead`. `weather` must cover `day` when `weather_known_ahead`.

    Returns
    -------
    pandas.DataFrame
        Intervals of the day: ``forecast``, ``lower``, ``upper``, ``seasonal_naive``. [kWh]
    """
    index = pd.DatetimeIndex(y.index)
    step = _step(index)
    start = pd.Timestamp(day).tz_localize(timezone).tz_convert("UTC") if pd.Timestamp(
        day).tzinfo is None else pd.Timestamp(day).tz_convert("UTC")
    end = (start.tz_convert(timezone) + DAY).tz_convert("UTC")
    full = pd.date_range(index[0], end - step, freq=step)
    history = y[index < start].reindex(full)
    model = GbmDayAhead(timezone, country, subdiv, coverage=coverage,
                        weather_known_ahead=weather_known_ahead)
    x = model.features(history, weather)
    model.fit(history[history.index < start], features=x[x.index < start])
    out = model.predict(x[x.index >= start])
    out["seasonal_naive"] = seasonal_naive(history).loc[out.index]
    return out


def mstl_ets_forecast(y: pd.Series, horizon: int, *, periods: Sequence[int] = (24, 168),
                      coverage: float = 0.8) -> pd.DataFrame:
    """MSTL + ETS forecast of the next `horizon` intervals (statsmodels).

    The series is split by MSTL into seasonal components of `periods` (intervals) and a
    seasonally adjusted remainder; each season is carried forward from its last cycle
    (seasonal naive on the component) and the adjusted series is forecast with additive
    ETS with damped trend. Interval: ± z · σ of the ETS one-step residuals, widened with √h
    for the level (a normal approximation).

    Parameters
    ----------
    y : pandas.Series
        History [kWh], regular index, at least two cycles of the longest period; NaN are
        linearly interpolated for the decomposition.
    horizon : int
        Intervals to forecast.
    periods : sequence of int
        Seasonal periods in intervals (24, 168 for hourly data; 96, 672 for 15 min).
    coverage : float
        Nominal interval coverage. [-]

    Returns
    -------
    pandas.DataFrame
        ``forecast``, ``lower``, ``upper`` on the next `horizon` interval starts. [kWh]

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=24 * 21, freq="h", tz="UTC")
    >>> y = pd.Series(10 + np.sin(np.arange(len(idx)) * 2 * np.pi / 24), index=idx)
    >>> fc = mstl_ets_forecast(y, 24)
    >>> bool(np.allclose(fc["forecast"].to_numpy(), y.iloc[-24:].to_numpy(), atol=0.05))
    True
    """
    from scipy.stats import norm
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.seasonal import MSTL

    index = pd.DatetimeIndex(y.index)
    step = _step(index)
    if len(y) < 2 * max(periods):
        raise InputError(f"MSTL needs at least {2 * max(periods)} intervals, got {len(y)}",
                         field="y")
    values = y.interpolate(limit_direction="both").to_numpy("float64")
    result = MSTL(values, periods=list(periods)).fit()
    seasonal = np.asarray(result.seasonal).reshape(len(values), -1)
    adjusted = values - seasonal.sum(axis=1)
    future_seasonal = np.zeros(horizon)
    for k, period in enumerate(periods):
        last = seasonal[-period:, k]
        future_seasonal += np.resize(last, horizon)
    ets = ETSModel(adjusted, error="add", trend="add", damped_trend=True).fit(disp=False)
    level = np.asarray(ets.forecast(horizon), dtype="float64")
    sigma = float(np.std(np.asarray(ets.resid)))
    z = float(norm.ppf(0.5 + coverage / 2))
    width = z * sigma * np.sqrt(np.arange(1, horizon + 1))
    point = level + future_seasonal
    future = pd.date_range(index[-1] + step, periods=horizon, freq=step)
    return pd.DataFrame({"forecast": point, "lower": point - width, "upper": point + width},
                        index=future)
