"""Goodness-of-fit metrics of forecasts and baselines (ASHRAE Guideline 14 terms).

All functions take measured and predicted values of the same shape and ignore pairs where
either is NaN. Results are fractions (0.12 = 12 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: (CV(RMSE) bound, |NMBE| bound) [-] of a calibrated model per data resolution:
#: ASHRAE Guideline 14-2014, calibration criteria of whole-building models (hourly CV(RMSE)
#: ≤ 30 %, NMBE within ±10 %; monthly ≤ 15 %, ±5 %; clause to be checked against the text).
#: Daily data are held to the hourly bounds (a floor, not a goal).
ASHRAE_G14_BOUNDS: dict[str, tuple[float, float]] = {
    "hourly": (0.30, 0.10),
    "daily": (0.30, 0.10),
    "monthly": (0.15, 0.05),
}


def _pairs(measured: Any, predicted: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(measured, dtype="float64").ravel()
    p = np.asarray(predicted, dtype="float64").ravel()
    if y.shape != p.shape:
        raise ValueError(f"measured has {y.size} values but predicted has {p.size}")
    ok = ~(np.isnan(y) | np.isnan(p))
    return y[ok], p[ok]


def rmse(measured: Any, predicted: Any) -> float:
    """Root-mean-square error, in the unit of the data.

    Examples
    --------
    >>> rmse([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    1.1547005383792515
    """
    y, p = _pairs(measured, predicted)
    return float(np.sqrt(np.mean((y - p) ** 2))) if y.size else float("nan")


def cv_rmse(measured: Any, predicted: Any, *, n_params: int = 0) -> float:
    """Coefficient of variation of the RMSE, CV(RMSE) [-].

    Parameters
    ----------
    measured, predicted : array-like
        Same shape; pairs with a NaN are left out.
    n_params : int
        Number of model parameters *p*; the sum of squares is divided by ``n − p``
        (ASHRAE Guideline 14-2014 form for regression baselines). 0 for forecasts.

    Returns
    -------
    float
        ``sqrt(Σ(y − ŷ)² / (n − p)) / ȳ``. NaN with no pairs or ȳ = 0.

    Examples
    --------
    >>> round(cv_rmse([10.0, 10.0, 10.0, 10.0], [11.0, 9.0, 11.0, 9.0]), 6)
    0.1
    """
    y, p = _pairs(measured, predicted)
    if y.size <= n_params or y.mean() == 0:
        return float("nan")
    return float(np.sqrt(np.sum((y - p) ** 2) / (y.size - n_params)) / y.mean())


def nmbe(measured: Any, predicted: Any, *, n_params: int = 0) -> float:
    """Normalised mean bias error, NMBE [-]; positive when the model under-predicts.

    ``Σ(y − ŷ) / ((n − p) · ȳ)`` (ASHRAE Guideline 14-2014, Eq. for NMBE; sign: measured
    minus predicted).

    Examples
    --------
    >>> nmbe([10.0, 10.0], [9.0, 9.0])
    0.1
    """
    y, p = _pairs(measured, predicted)
    if y.size <= n_params or y.mean() == 0:
        return float("nan")
    return float(np.sum(y - p) / ((y.size - n_params) * y.mean()))


def mape(measured: Any, predicted: Any, *, floor: float = 0.0) -> float:
    """Mean absolute percentage error [-], over pairs with ``|measured| > floor``.

    MAPE is undefined near zero (PV at night, net load crossing zero): raise `floor` there.

    Examples
    --------
    >>> mape([10.0, 20.0, 0.0], [11.0, 18.0, 1.0])
    0.1
    """
    y, p = _pairs(measured, predicted)
    keep = np.abs(y) > floor
    if not keep.any():
        return float("nan")
    return float(np.mean(np.abs((y[keep] - p[keep]) / y[keep])))


@dataclass(frozen=True, slots=True)
class FitMetrics:
    """CV(RMSE), NMBE and MAPE of one series and whether ASHRAE G14 bounds hold."""

    cv_rmse: float
    nmbe: float
    mape: float
    n: int
    meets_ashrae_g14: bool

    def as_dict(self) -> dict[str, float | int | bool]:
        """Plain dict for JSON and tables."""
        return {"cv_rmse": self.cv_rmse, "nmbe": self.nmbe, "mape": self.mape, "n": self.n,
                "meets_ashrae_g14": self.meets_ashrae_g14}


def fit_metrics(measured: Any, predicted: Any, *, resolution: str = "hourly",
                n_params: int = 0, mape_floor: float = 0.0) -> FitMetrics:
    """All metrics at once, checked against :data:`ASHRAE_G14_BOUNDS` of `resolution`.

    Examples
    --------
    >>> m = fit_metrics([10.0, 10.0, 10.0, 10.0], [11.0, 9.0, 11.0, 9.0])
    >>> round(m.cv_rmse, 3), m.nmbe, m.meets_ashrae_g14
    (0.1, 0.0, True)
    """
    cv, nm = cv_rmse(measured, predicted, n_params=n_params), nmbe(measured, predicted,
                                                                   n_params=n_params)
    bound_cv, bound_nmbe = ASHRAE_G14_BOUNDS[resolution]
    n = int(_pairs(measured, predicted)[0].size)
    ok = bool(cv <= bound_cv and abs(nm) <= bound_nmbe)
    return FitMetrics(cv, nm, mape(measured, predicted, floor=mape_floor), n, ok)
