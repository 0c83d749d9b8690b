"""Rolling-origin backtests of day-ahead forecasts, scored beside the seasonal-naive baseline.

Each local day D of the test period is forecast with information up to the end of D − 1
(features are built that way, :func:`~zeropark.forecast.load.day_ahead_features`); the model's
parameters are refit at every `refit` boundary on all data before it. Intervals the
data-quality rules call invalid are NaN in the target: they are never training targets and are
left out of the scores (the all-intervals score is reported separately).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from zeropark.forecast.load import GbmDayAhead, seasonal_naive
from zeropark.forecast.metrics import fit_metrics


def rolling_origin_backtest(y: pd.Series, *, start: Any, end: Any, timezone: str, country: str,
                            subdiv: str | None = None, weather: pd.DataFrame | None = None,
                            weather_known_ahead: bool = False, refit: str = "MS",
                            coverage: float = 0.8, params: dict[str, Any] | None = None,
                            anchor: str | None = None) -> pd.DataFrame:
    """Day-ahead forecasts of every interval in [start, end) by rolling origin.

    Parameters
    ----------
    y : pandas.Series
        Interval energy [kWh] on a regular tz-aware index covering training and test
        periods; NaN = invalid (not trained on, not scored).
    start, end : date-like
        Test period, local dates of the site.
    timezone, country, subdiv, weather, weather_known_ahead, coverage
        See :class:`~zeropark.forecast.load.GbmDayAhead`.
    refit : str
        pandas frequency of parameter refits (``"MS"`` monthly, ``"QS"`` quarterly,
        ``"D"`` daily).
    params : dict, optional
        LightGBM parameters.
    anchor : str, optional
        See :class:`~zeropark.forecast.load.GbmDayAhead`.

    Returns
    -------
    pandas.DataFrame
        Test intervals: ``measured``, ``forecast``, ``lower``, ``upper``, ``seasonal_naive``,
        ``valid`` (measured is not NaN). [kWh]
    """
    model = GbmDayAhead(timezone, country, subdiv, coverage=coverage,
                        weather_known_ahead=weather_known_ahead, anchor=anchor)
    if params:
        model.params.update(params)
    index = pd.DatetimeIndex(y.index)
    x = model.features(y, weather)
    t0 = pd.Timestamp(start).tz_localize(timezone)
    t1 = pd.Timestamp(end).tz_localize(timezone)
    bounds = list(pd.date_range(t0, t1, freq=refit, inclusive="left"))
    if not bounds or bounds[0] != t0:
        bounds.insert(0, t0)
    bounds.append(t1)
    parts = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        a_utc, b_utc = a.tz_convert("UTC"), b.tz_convert("UTC")
        train = index < a_utc
        test = (index >= a_utc) & (index < b_utc)
        if not test.any():
            continue
        model.fit(y[train], features=x[train])
        parts.append(model.predict(x[test]))
    out = pd.concat(parts)
    out.insert(0, "measured", y.reindex(out.index))
    out["seasonal_naive"] = seasonal_naive(y).reindex(out.index)
    out["valid"] = out["measured"].notna()
    return out


def score_backtest(frame: pd.DataFrame, *, mask: Any = None, resolution: str = "hourly",
                   mape_floor: float = 0.0) -> dict[str, Any]:
    """CV(RMSE), NMBE, MAPE of model and seasonal naive, and interval coverage.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`rolling_origin_backtest` (or any frame with ``measured``, ``forecast``,
        ``seasonal_naive`` and optionally ``lower``/``upper``).
    mask : array-like of bool, optional
        Intervals to score (default: all with a measured value and a naive value).
    resolution : str
        Key of :data:`~zeropark.forecast.metrics.ASHRAE_G14_BOUNDS`.
    mape_floor : float
        MAPE only over intervals with ``|measured| > mape_floor`` [kWh].

    Returns
    -------
    dict
        ``model`` and ``seasonal_naive`` (:meth:`FitMetrics.as_dict`), ``coverage`` [-],
        ``n`` scored intervals, ``skill`` = 1 − CV(RMSE)_model / CV(RMSE)_naive [-].

    Examples
    --------
    >>> f = pd.DataFrame({"measured": [10.0, 12.0], "forecast": [10.0, 11.0],
    ...                   "seasonal_naive": [8.0, 14.0]})
    >>> s = score_backtest(f)
    >>> s["n"], round(s["skill"], 3)
    (2, 0.646)
    """
    keep = frame["measured"].notna() & frame["seasonal_naive"].notna() & frame[
        "forecast"].notna()
    if mask is not None:
        keep &= np.asarray(mask, dtype=bool)
    part = frame[keep]
    model = fit_metrics(part["measured"], part["forecast"], resolution=resolution,
                        mape_floor=mape_floor)
    naive = fit_metrics(part["measured"], part["seasonal_naive"], resolution=resolution,
                        mape_floor=mape_floor)
    coverage = float("nan")
    if {"lower", "upper"} <= set(part.columns) and len(part):
        inside = (part["measured"] >= part["lower"]) & (part["measured"] <= part["upper"])
        coverage = float(inside.mean())
    return {"model": model.as_dict(), "seasonal_naive": naive.as_dict(), "coverage": coverage,
            "n": int(keep.sum()), "skill": 1.0 - model.cv_rmse / naive.cv_rmse}
