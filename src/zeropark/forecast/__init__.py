"""Forecasts, expected PV, anomaly alarms and M&V baselines (the platform's "AI").

Pure functions over pandas series named in the field's terms (see ``docs/forecast.md``):

- :mod:`~zeropark.forecast.metrics`: CV(RMSE), NMBE, MAPE and the ASHRAE Guideline 14 bounds;
- :mod:`~zeropark.forecast.weather`: weather tables per site from EPW/TMY/CSV files or an API
  adapter;
- :mod:`~zeropark.forecast.calendar`: calendar features with Chinese public holidays and
  调休 (tiaoxiu) make-up workdays;
- :mod:`~zeropark.forecast.pv`: expected PV (pvlib ``ModelChain``), clear sky, performance
  ratio and under-performance;
- :mod:`~zeropark.forecast.load`: day-ahead load forecasts (gradient boosting, MSTL/ETS) with
  prediction intervals, always beside the seasonal-naive baseline;
- :mod:`~zeropark.forecast.backtest`: rolling-origin backtests;
- :mod:`~zeropark.forecast.anomaly` and :mod:`~zeropark.forecast.alarms`: rule layer, residual
  detection, de-duplicated acknowledgeable alarms;
- :mod:`~zeropark.forecast.mv`: ASHRAE Guideline 14 / IPMVP Option C change-point baselines,
  avoided energy and fractional savings uncertainty.
"""
