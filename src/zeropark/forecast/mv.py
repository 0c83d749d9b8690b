"""M&V baselines (ASHRAE Guideline 14 / IPMVP Option C): change-point models, avoided energy.

Whole-facility metered energy per day is regressed on the day's mean outdoor temperature with
the change-point models of ASHRAE RP-1050 (Kissock, Haberl & Claridge 2003), the inverse
models Guideline 14 names for Option C baselines:

========  ======================================================  ==========
model     energy per day                                          parameters
========  ======================================================  ==========
``2p``    β0 + β1·T                                               2
``3pc``   β0 + β1·(T − Tc)⁺              (cooling)                3
``3ph``   β0 + β1·(Th − T)⁺              (heating)                3
``5p``    β0 + β1·(Th − T)⁺ + β2·(T − Tc)⁺,  Th ≤ Tc              5
========  ======================================================  ==========

Change points are found by grid search (0.5 °C steps inside the 10th–90th percentile of T),
each candidate solved by least squares; slopes must have the physical sign (energy rises
away from the balance point). The model with the lowest CV(RMSE) (n − p form) wins.
Avoided energy = adjusted baseline − reporting-period use; its uncertainty is the fractional
savings uncertainty (FSU) of Guideline 14 Annex B. Data sufficiency is reported as issues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from zeropark.errors import InputError
from zeropark.forecast.metrics import ASHRAE_G14_BOUNDS, cv_rmse, nmbe
from zeropark.issues import Issue, IssueCode, Severity

MODELS = ("2p", "3pc", "3ph", "5p")
_N_PARAMS = {"2p": 2, "3pc": 3, "3ph": 3, "5p": 5}
#: Fewest baseline days for a daily baseline (a full year is asked for by IPMVP/G14 so that
#: every season is seen; 90 days is the floor below which no model is fitted).
MIN_DAYS_DISQUALIFYING = 90
MIN_DAYS_FULL_YEAR = 330
#: Share of days with data needed in the baseline period (CalTRACK 2.0 §2.1 data
#: sufficiency uses 90 %).
MIN_COVERAGE = 0.9


@dataclass(frozen=True, slots=True)
class ChangePointModel:
    """A fitted change-point model; see the module table for `kind`.

    Parameters
    ----------
    kind : str
        ``2p``, ``3pc``, ``3ph`` or ``5p``.
    intercept : float
        β0. [kWh/d]
    heating_slope, cooling_slope : float
        β for (Th − T)⁺ and (T − Tc)⁺ (the 2P slope is ``cooling_slope``). [kWh/(d·K)]
    heating_cp, cooling_cp : float or None
        Th and Tc. [°C]
    n, n_params : int
        Baseline points and parameters.
    cv_rmse, nmbe, r2 : float
        Fit statistics (n − p form). [-]
    autocorrelation : float
        Lag-1 autocorrelation of the residuals, ρ. [-]
    temp_range : tuple of float
        Range of baseline temperatures. [°C]
    """

    kind: str
    intercept: float
    heating_slope: float
    cooling_slope: float
    heating_cp: float | None
    cooling_cp: float | None
    n: int
    n_params: int
    cv_rmse: float
    nmbe: float
    r2: float
    autocorrelation: float
    temp_range: tuple[float, float]
    issues: tuple[Issue, ...] = field(default=())

    def predict(self, temperature: Any) -> np.ndarray:
        """Energy per day at daily mean `temperature` [°C] → [kWh/d].

        Examples
        --------
        >>> m = ChangePointModel("3ph", 100.0, 5.0, 0.0, 15.0, None, 365, 3, 0.05, 0.0,
        ...                      0.9, 0.2, (-5.0, 25.0))
        >>> m.predict([5.0, 20.0]).tolist()
        [150.0, 100.0]
        """
        t = np.asarray(temperature, dtype="float64")
        return np.asarray(_design(self.kind, t, self.heating_cp, self.cooling_cp) @ self._beta())

    def _beta(self) -> np.ndarray:
        if self.kind == "2p":
            return np.array([self.intercept, self.cooling_slope])
        if self.kind == "3pc":
            return np.array([self.intercept, self.cooling_slope])
        if self.kind == "3ph":
            return np.array([self.intercept, self.heating_slope])
        return np.array([self.intercept, self.heating_slope, self.cooling_slope])


def _design(kind: str, t: np.ndarray, th: float | None, tc: float | None) -> np.ndarray:
    ones = np.ones_like(t)
    if kind == "2p":
        return np.column_stack([ones, t])
    if kind == "3pc":
        return np.column_stack([ones, np.maximum(t - (tc or 0.0), 0)])
    if kind == "3ph":
        return np.column_stack([ones, np.maximum((th or 0.0) - t, 0)])
    return np.column_stack([ones, np.maximum((th or 0.0) - t, 0), np.maximum(t - (tc or 0.0), 0)])


def _candidates(kind: str, t: np.ndarray) -> list[tuple[float | None, float | None]]:
    lo, hi = np.percentile(t, [10, 90])
    grid = np.arange(np.floor(lo * 2) / 2, hi + 0.25, 0.5)
    if kind == "2p":
        return [(None, None)]
    if kind == "3pc":
        return [(None, float(c)) for c in grid]
    if kind == "3ph":
        return [(float(h), None) for h in grid]
    return [(float(h), float(c)) for h in grid for c in grid if c >= h + 1.0]


def _fit_kind(kind: str, t: np.ndarray, e: np.ndarray) -> tuple[float, np.ndarray, Any] | None:
    best: tuple[float, np.ndarray, Any] | None = None
    for th, tc in _candidates(kind, t):
        x = _design(kind, t, th, tc)
        beta, *_ = np.linalg.lstsq(x, e, rcond=None)
        slopes = beta[1:]
        if kind != "2p" and np.any(slopes <= 0):
            continue
        sse = float(np.sum((e - x @ beta) ** 2))
        if best is None or sse < best[0]:
            best = (sse, beta, (th, tc))
    return best


def sufficiency_issues(days: pd.DatetimeIndex, *, period_days: int, subject: str = ""
                       ) -> tuple[Issue, ...]:
    """Data-sufficiency findings of a daily baseline (issues, never exceptions).

    ``mv_insufficient_data`` is *disqualifying* below :data:`MIN_DAYS_DISQUALIFYING` days,
    an *error* when the days with data cover less than :data:`MIN_COVERAGE` of the period,
    and a *warning* when the period is shorter than a year (seasons missing).

    Examples
    --------
    >>> d = pd.date_range("2024-01-01", periods=120, freq="D")
    >>> [i.severity.value for i in sufficiency_issues(d, period_days=120)]
    ['warning']
    """
    out = []
    n = len(days)
    if n < MIN_DAYS_DISQUALIFYING:
        out.append(Issue(IssueCode.MV_INSUFFICIENT_DATA, Severity.DISQUALIFYING,
                         f"{n} baseline days; at least {MIN_DAYS_DISQUALIFYING} needed", subject,
                         data={"n_days": n}))
    if period_days and n / period_days < MIN_COVERAGE:
        out.append(Issue(IssueCode.MV_INSUFFICIENT_DATA, Severity.ERROR,
                         f"data on {n} of {period_days} baseline days ({n / period_days:.0%}); "
                         f"{MIN_COVERAGE:.0%} needed", subject,
                         data={"n_days": n, "period_days": period_days}))
    if MIN_DAYS_DISQUALIFYING <= period_days < MIN_DAYS_FULL_YEAR:
        out.append(Issue(IssueCode.MV_INSUFFICIENT_DATA, Severity.WARNING,
                         f"baseline period of {period_days} days does not cover a full year "
                         "of weather", subject, data={"period_days": period_days}))
    return tuple(out)


def fit_change_point(energy: pd.Series, temperature: pd.Series, *,
                     models: Sequence[str] = MODELS, subject: str = "") -> ChangePointModel:
    """Fit the best change-point model of daily energy on daily mean temperature.

    Parameters
    ----------
    energy : pandas.Series
        Energy per day [kWh/d] on a DatetimeIndex of days (NaN days are skipped).
    temperature : pandas.Series
        Daily mean outdoor temperature [°C], same index.
    models : sequence of str
        Candidates among :data:`MODELS`.
    subject : str
        Meter or building id put in the issues.

    Returns
    -------
    ChangePointModel
        With ``issues``: data sufficiency and ``mv_baseline_uncalibrated`` when CV(RMSE) or
        NMBE miss :data:`~zeropark.forecast.metrics.ASHRAE_G14_BOUNDS` ``["daily"]``.

    Raises
    ------
    InputError
        Fewer than 10 usable days (nothing can be fitted).
    """
    both = pd.DataFrame({"e": energy, "t": temperature}).dropna()
    if len(both) < 10:
        raise InputError(f"{len(both)} days with energy and temperature: cannot fit a "
                         "baseline", field="energy")
    t, e = both["t"].to_numpy("float64"), both["e"].to_numpy("float64")
    best: tuple[float, str, np.ndarray, Any] | None = None
    for kind in models:
        found = _fit_kind(kind, t, e)
        if found is None:
            continue
        sse, beta, cps = found
        p = _N_PARAMS[kind]
        score = np.sqrt(sse / max(len(e) - p, 1)) / e.mean()
        if best is None or score < best[0] - 1e-12:
            best = (score, kind, beta, cps)
    assert best is not None  # 2p always fits
    _, kind, beta, (th, tc) = best
    p = _N_PARAMS[kind]
    pred = _design(kind, t, th, tc) @ beta
    resid = e - pred
    rho = float(np.corrcoef(resid[:-1], resid[1:])[0, 1]) if len(resid) > 2 else 0.0
    r2 = 1.0 - float(np.sum(resid**2) / np.sum((e - e.mean()) ** 2))
    heating = float(beta[1]) if kind in ("3ph", "5p") else 0.0
    cooling = float(beta[-1]) if kind in ("2p", "3pc", "5p") else 0.0
    cv, nm = cv_rmse(e, pred, n_params=p), nmbe(e, pred, n_params=p)
    days = pd.DatetimeIndex(both.index)
    period = int((days[-1] - days[0]) / pd.Timedelta(days=1)) + 1
    issues = list(sufficiency_issues(days, period_days=period, subject=subject))
    bound_cv, bound_nmbe = ASHRAE_G14_BOUNDS["daily"]
    if not (cv <= bound_cv and abs(nm) <= bound_nmbe):
        issues.append(Issue(IssueCode.MV_BASELINE_UNCALIBRATED, Severity.ERROR,
                            f"baseline CV(RMSE) {cv:.1%}, NMBE {nm:.2%}: bounds are "
                            f"{bound_cv:.0%} and ±{bound_nmbe:.0%}", subject,
                            data={"cv_rmse": cv, "nmbe": nm}))
    return ChangePointModel(kind, float(beta[0]), heating, cooling, th, tc, len(e), p, cv, nm,
                            r2, rho, (float(t.min()), float(t.max())), tuple(issues))


def fractional_savings_uncertainty(*, cv_rmse: float, n: int, m: int, n_params: int,
                                   savings_fraction: float, autocorrelation: float = 0.0,
                                   confidence: float = 0.9) -> float:
    """Fractional savings uncertainty (ASHRAE Guideline 14-2014 Annex B).

    Parameters
    ----------
    cv_rmse : float
        CV(RMSE) of the baseline model (n − p form). [-]
    n, m : int
        Baseline and reporting-period points (days).
    n_params : int
        Model parameters p.
    savings_fraction : float
        F = avoided energy / adjusted baseline. [-]
    autocorrelation : float
        Lag-1 autocorrelation ρ of the baseline residuals (negative ρ taken as 0). [-]
    confidence : float
        Two-sided confidence level. [-]

    Returns
    -------
    float
        ``ΔE_save / E_save = t · 1.26 · CV · sqrt((n/n′)(1 + 2/n′)/m) / F`` with
        ``n′ = n (1 − ρ)/(1 + ρ)`` and t from Student's t at ``n′ − p`` degrees of freedom
        (Reddy & Claridge 2000; Guideline 14-2014 Annex B, clause to be checked against the
        text). [-] (inf when F = 0)

    Examples
    --------
    >>> # t(0.95, 362) = 1.649; 1.649 · 1.26 · 0.1 · sqrt(1.0055 / 365) / 0.2 = 0.0545
    >>> round(fractional_savings_uncertainty(cv_rmse=0.1, n=365, m=365, n_params=3,
    ...                                      savings_fraction=0.2), 4)
    0.0545
    """
    from scipy.stats import t as student_t

    if savings_fraction == 0:
        return float("inf")
    rho = max(autocorrelation, 0.0)
    n_eff = n * (1 - rho) / (1 + rho)
    t_crit = float(student_t.ppf((1 + confidence) / 2, max(n_eff - n_params, 2.0)))
    term = (n / n_eff) * (1 + 2 / n_eff) / m
    return float(t_crit * 1.26 * cv_rmse * np.sqrt(term) / abs(savings_fraction))


@dataclass(frozen=True, slots=True)
class SavingsResult:
    """Avoided energy over a reporting period with its uncertainty.

    ``avoided_energy_kwh`` = adjusted baseline − measured [kWh]; ``uncertainty_kwh`` is its
    half-width at ``confidence``; ``savings_fraction`` F [-]; ``fsu`` [-].
    """

    adjusted_baseline_kwh: float
    measured_kwh: float
    avoided_energy_kwh: float
    savings_fraction: float
    fsu: float
    uncertainty_kwh: float
    confidence: float
    n_reporting_days: int
    issues: tuple[Issue, ...]

    @property
    def significant(self) -> bool:
        """Whether the savings exceed their uncertainty (G14: FSU < 50 % at 68 %)."""
        return bool(self.fsu < 1.0)


def avoided_energy(model: ChangePointModel, energy: pd.Series, temperature: pd.Series, *,
                   confidence: float = 0.9, subject: str = "") -> SavingsResult:
    """Avoided energy in a reporting period against a fitted baseline (IPMVP Option C).

    Parameters
    ----------
    model : ChangePointModel
        Baseline fitted on the pre-retrofit period.
    energy, temperature : pandas.Series
        Reporting-period energy per day [kWh/d] and daily mean temperature [°C].
    confidence : float
        Confidence of the uncertainty. [-]

    Returns
    -------
    SavingsResult
        Issues carry the model's issues plus a warning when more than 10 % of reporting days
        lie outside the baseline temperature range (extrapolation).
    """
    both = pd.DataFrame({"e": energy, "t": temperature}).dropna()
    adjusted = float(model.predict(both["t"].to_numpy()).sum())
    measured = float(both["e"].sum())
    saved = adjusted - measured
    fraction = saved / adjusted if adjusted else float("nan")
    fsu = fractional_savings_uncertainty(
        cv_rmse=model.cv_rmse, n=model.n, m=len(both), n_params=model.n_params,
        savings_fraction=fraction, autocorrelation=model.autocorrelation,
        confidence=confidence)
    issues = list(model.issues)
    lo, hi = model.temp_range
    outside = float(((both["t"] < lo) | (both["t"] > hi)).mean()) if len(both) else 0.0
    if outside > 0.1:
        issues.append(Issue(IssueCode.MV_INSUFFICIENT_DATA, Severity.WARNING,
                            f"{outside:.0%} of reporting days are outside the baseline "
                            f"temperature range {lo:.1f}–{hi:.1f} °C (extrapolated)", subject,
                            data={"share_outside": outside}))
    return SavingsResult(adjusted, measured, saved, fraction, fsu, abs(saved) * fsu, confidence,
                         len(both), tuple(issues))


def daily_energy_and_temperature(energy: pd.Series, weather: pd.DataFrame, *, timezone: str,
                                 min_share: float = 0.9) -> tuple[pd.Series, pd.Series]:
    """Local-day sums of interval energy and means of ``temp_air_c`` for M&V.

    Days with less than `min_share` of their intervals known are NaN (not counted as data).
    """
    index = pd.DatetimeIndex(energy.index)
    day = index.tz_convert(timezone).normalize().tz_localize(None)
    grouped = energy.groupby(day)
    share = grouped.count() / grouped.size()
    daily = grouped.sum().where(share >= min_share)
    temp = weather["temp_air_c"].reindex(index)
    return daily, temp.groupby(day).mean().reindex(daily.index)
