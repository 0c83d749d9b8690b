"""Anomaly rules on interval series and statistical detection on forecast residuals.

Every rule is a pure function of a Series of interval energy [kWh] on a regular tz-aware
index of interval starts (NaN = unknown) and returns a list of
:class:`~zeropark.forecast.alarms.Alarm` (one per run of intervals, de-duplicated by
:func:`~zeropark.forecast.alarms.dedupe_alarms`). Codes reuse the ingest layer's
(``negative_interval``, ``zero_run_gap``, ``spike``, ``balance_gap``) where the finding is the
same; ``stuck_value``, ``base_load_creep`` and ``forecast_residual`` are the alarm layer's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from zeropark.forecast.alarms import Alarm, dedupe_alarms, make_alarm
from zeropark.issues import IssueCode, Severity
from zeropark.model import Direction, Meter
from zeropark.units import Medium

#: Shortest run of identical values taken as a frozen meter (see :func:`stuck_values`).
STUCK_MIN_DURATION = pd.Timedelta(hours=12)


def _runs(mask: np.ndarray) -> Iterator[tuple[int, int]]:
    """(start, stop) of each run of True in `mask`."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return
    edges = np.diff(np.r_[0, m.astype("int8"), 0])
    yield from zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                   strict=True)


def _step(index: pd.DatetimeIndex) -> pd.Timedelta:
    if len(index) < 2:
        return pd.Timedelta(hours=1)
    return pd.Timedelta(int(np.median(np.diff(index.as_unit("ns").asi8))), unit="ns")


def _run_alarms(y: pd.Series, mask: np.ndarray, code: IssueCode, severity: Severity,
                meter_id: str, what: str, min_run: int = 1, **extra: Any) -> list[Alarm]:
    index = pd.DatetimeIndex(y.index)
    step = _step(index)
    out = []
    for a, b in _runs(mask):
        if b - a < min_run:
            continue
        values = y.iloc[a:b]
        out.append(make_alarm(code, severity, meter_id, index[a], index[b - 1] + step,
                              f"{b - a} interval(s) {what}", n=b - a,
                              value=float(values.iloc[0]), **extra))
    return out


def negative_values(y: pd.Series, *, meter_id: str) -> list[Alarm]:
    """``negative_interval``: runs of negative energy on a meter that cannot run backwards.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=5, freq="h", tz="UTC")
    >>> [a.data["n"] for a in negative_values(pd.Series([1.0, -1, -2, 1, 1], idx), meter_id="m")]
    [2]
    """
    return _run_alarms(y, (y < 0).to_numpy(), IssueCode.NEGATIVE_INTERVAL, Severity.ERROR,
                       meter_id, "negative where the meter cannot be")


def zero_runs(y: pd.Series, *, meter_id: str, min_run: int = 1) -> list[Alarm]:
    """``zero_run_gap``: runs of exact zeros on a meter that never reads 0 (whole building).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=6, freq="h", tz="UTC")
    >>> y = pd.Series([1.0, 0, 0, 0, 1, 0], idx)
    >>> [(a.data["n"], a.start.hour) for a in zero_runs(y, meter_id="m", min_run=2)]
    [(3, 1)]
    """
    return _run_alarms(y, (y == 0).to_numpy(), IssueCode.ZERO_RUN_GAP, Severity.WARNING,
                       meter_id, "of exact zeros (missing data)", min_run)


def stuck_values(y: pd.Series, *, meter_id: str,
                 min_duration: pd.Timedelta = STUCK_MIN_DURATION) -> list[Alarm]:
    """``stuck_value``: identical non-zero values for ≥ `min_duration` (a frozen meter).

    Real interval energy of a building varies from one interval to the next; twelve equal
    hours in a row are a frozen register, a held last value or a data collector's fill, not
    load. (Six hours is too short for coarse meters: at 1 kWh resolution a small building's
    flat night load repeats for hours.)

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=10, freq="h", tz="UTC")
    >>> y = pd.Series([1.0, 2, 5, 5, 5, 5, 5, 5, 5, 3], idx)
    >>> stuck_values(y, meter_id="m")
    []
    >>> a = stuck_values(y, meter_id="m", min_duration=pd.Timedelta(hours=6))
    >>> [(x.data["n"], x.data["value"]) for x in a]
    [(7, 5.0)]
    """
    min_run = max(2, int(np.ceil(min_duration / _step(pd.DatetimeIndex(y.index)))))
    v = y.to_numpy("float64")
    same = np.r_[False, v[1:] == v[:-1]]
    # a run of k equal values has k − 1 "same as previous" flags: widen each back by one
    mask = np.zeros(len(v), bool)
    for a, b in _runs(same):
        mask[a - 1:b] = True
    mask &= (v != 0) & ~np.isnan(v)
    return _run_alarms(y, mask, IssueCode.STUCK_VALUE, Severity.WARNING, meter_id,
                       "with the same value (stuck)", min_run)


def spikes(y: pd.Series, *, meter_id: str, rated_power_kw: float,
           tolerance: float = 1.5) -> list[Alarm]:
    """``spike``: interval energy above ``rated_power_kw · Δt · tolerance``.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="15min", tz="UTC")
    >>> a = spikes(pd.Series([10.0, 40, 10], idx), meter_id="m", rated_power_kw=100)
    >>> a[0].data["limit_kwh"], a[0].start.minute
    (37.5, 15)
    """
    hours = _step(pd.DatetimeIndex(y.index)) / pd.Timedelta(hours=1)
    limit = rated_power_kw * hours * tolerance
    return _run_alarms(y, (y > limit).to_numpy(), IssueCode.SPIKE, Severity.ERROR, meter_id,
                       f"above {tolerance:g} × rated power", limit_kwh=limit)


def balance_gaps(parent: pd.Series, children: pd.DataFrame, *, meter_id: str,
                 loss_fraction: float = 0.05, tolerance: float = 0.05,
                 min_run: int = 3) -> list[Alarm]:
    """``balance_gap``: Σ sub-meters differ from the parent beyond losses + tolerance.

    Parameters
    ----------
    parent : pandas.Series
        Parent meter energy [kWh].
    children : pandas.DataFrame
        One column per direct sub-meter [kWh], same index.
    meter_id : str
        The parent's id.
    loss_fraction : float
        Expected unmetered share (losses, small loads) of the parent: Σ children may be this
        much lower than the parent without alarm. [-]
    tolerance : float
        Extra allowed mismatch either way, as a share of the parent. [-]
    min_run : int
        Consecutive intervals needed.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="h", tz="UTC")
    >>> kids = pd.DataFrame({"a": [5.0, 5, 9, 9], "b": [4.0, 4, 4, 4]}, idx)
    >>> a = balance_gaps(pd.Series(10.0, idx), kids, meter_id="main", min_run=2)
    >>> a[0].start.hour, a[0].data["n"]
    (2, 2)
    """
    total = children.sum(axis=1, min_count=children.shape[1])
    gap = (parent - total) / parent.where(parent > 0)
    bad = ((gap > loss_fraction + tolerance) | (gap < -tolerance)).to_numpy()
    found = _run_alarms(parent, bad, IssueCode.BALANCE_GAP, Severity.WARNING, meter_id,
                        "where sub-meters do not add up to the parent", min_run,
                        loss_fraction=loss_fraction, tolerance=tolerance)
    return [a.__class__(a.code, a.severity, a.meter_id, a.start, a.end, a.message,
                        {**a.data, "gap_share": round(float(np.nanmedian(
                            gap[(gap.index >= a.start) & (gap.index < a.end)])), 4)})
            for a in found]


def night_base_load(y: pd.Series, *, timezone: str, night_hours: tuple[int, int] = (1, 5)
                    ) -> pd.Series:
    """Mean power [kW] in the local night hours [start, end) of each day.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=48, freq="h", tz="UTC")
    >>> night_base_load(pd.Series(2.0, idx), timezone="UTC").tolist()
    [2.0, 2.0]
    """
    index = pd.DatetimeIndex(y.index)
    local = index.tz_convert(timezone)
    hours = _step(index) / pd.Timedelta(hours=1)
    night = (local.hour >= night_hours[0]) & (local.hour < night_hours[1])
    power = y[night] / hours
    return power.groupby(local[night].normalize()).mean()


def base_load_creep(y: pd.Series, *, meter_id: str, timezone: str,
                    night_hours: tuple[int, int] = (1, 5), reference_days: int = 28,
                    threshold: float = 0.2, min_days: int = 7) -> list[Alarm]:
    """``base_load_creep``: night base load above its trailing reference for ≥ `min_days`.

    The reference of night *d* is the median night base load of the `reference_days` nights
    before it; a night is high when its base load exceeds the reference by more than
    `threshold` (0.2 = 20 %). Each run of ≥ `min_days` high nights is one alarm; a run that
    continues past `reference_days` keeps the reference of its first night (the creep must
    not become its own baseline).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=24 * 60, freq="h", tz="UTC")
    >>> y = pd.Series(np.where(idx >= pd.Timestamp("2024-02-10", tz="UTC"), 13.0, 10.0), idx)
    >>> a = base_load_creep(y, meter_id="m", timezone="UTC")
    >>> a[0].start.date().isoformat(), a[0].data["n"], a[0].data["increase"]
    ('2024-02-10', 20, 0.3)
    """
    base = night_base_load(y, timezone=timezone, night_hours=night_hours)
    values = base.to_numpy("float64")
    days = pd.DatetimeIndex(base.index)
    out = []
    k = reference_days
    while k < len(values):
        ref = float(np.nanmedian(values[k - reference_days:k]))
        if not ref > 0 or not values[k] > ref * (1 + threshold):
            k += 1
            continue
        j = k
        while j < len(values) and values[j] > ref * (1 + threshold):
            j += 1
        if j - k >= min_days:
            level = float(np.nanmedian(values[k:j]))
            increase = level / ref - 1
            out.append(make_alarm(
                IssueCode.BASE_LOAD_CREEP,
                Severity.ERROR if increase > 2 * threshold else Severity.WARNING, meter_id,
                days[k], days[j - 1] + pd.Timedelta(days=1),
                f"night base load {level:.3g} kW is {increase:.0%} above the {ref:.3g} kW of "
                f"the {reference_days} nights before, for {j - k} nights",
                n=j - k, reference_kw=round(ref, 4), level_kw=round(level, 4),
                increase=round(increase, 4)))
        k = j
    return out


def residual_alarms(measured: pd.Series, forecast: pd.DataFrame, *, meter_id: str,
                    min_run: int = 3, z: float = 4.0) -> list[Alarm]:
    """``forecast_residual``: load outside the prediction interval and far from the forecast.

    An interval is anomalous when the measured value is outside ``[lower, upper]`` **and** its
    residual exceeds `z` robust standard deviations (1.4826 · MAD of all residuals);
    `min_run` consecutive anomalous intervals make an alarm.

    Parameters
    ----------
    measured : pandas.Series
        [kWh]
    forecast : pandas.DataFrame
        ``forecast``, ``lower``, ``upper`` on the same index. [kWh]

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=48, freq="h", tz="UTC")
    >>> rng = np.random.default_rng(0)
    >>> fc = pd.DataFrame({"forecast": 10.0, "lower": 9.0, "upper": 11.0}, idx)
    >>> y = pd.Series(10 + rng.normal(0, 0.5, 48), idx)
    >>> y.iloc[20:24] = 20.0
    >>> [(a.start.hour, a.data["n"]) for a in residual_alarms(y, fc, meter_id="m")]
    [(20, 4)]
    """
    resid = measured - forecast["forecast"]
    scale = 1.4826 * float(np.nanmedian(np.abs(resid - np.nanmedian(resid))))
    outside = (measured < forecast["lower"]) | (measured > forecast["upper"])
    bad = (outside & (resid.abs() > z * scale)).to_numpy()
    return [a.__class__(a.code, a.severity, a.meter_id, a.start, a.end,
                        a.message + f" (residual > {z:g} robust σ = {z * scale:.3g} kWh)",
                        {**a.data, "robust_sigma_kwh": round(scale, 4)})
            for a in _run_alarms(measured, bad, IssueCode.FORECAST_RESIDUAL, Severity.WARNING,
                                 meter_id, "outside the prediction interval", min_run)]


def rule_alarms(y: pd.Series, meter: Meter, *, timezone: str,
                stuck_min_duration: pd.Timedelta = STUCK_MIN_DURATION,
                zero_min_run: int = 1) -> list[Alarm]:
    """All single-meter rules that apply to `meter`, de-duplicated.

    Negative values are judged on import/export meters only (a ``net`` meter may run
    backwards); zero runs on electricity meters with ``zero_policy`` ``gap`` or ``flag``;
    spikes when ``rated_power_kw`` is set; base-load creep on electricity import meters.
    """
    found: list[Alarm] = []
    if meter.direction != Direction.NET:
        found += negative_values(y, meter_id=meter.meter_id)
    if meter.medium == Medium.ELECTRICITY and meter.zero_policy in ("gap", "flag"):
        found += zero_runs(y, meter_id=meter.meter_id, min_run=zero_min_run)
    found += stuck_values(y, meter_id=meter.meter_id, min_duration=stuck_min_duration)
    if meter.rated_power_kw:
        found += spikes(y, meter_id=meter.meter_id, rated_power_kw=meter.rated_power_kw)
    if meter.medium == Medium.ELECTRICITY and meter.direction == Direction.IMPORT:
        found += base_load_creep(y, meter_id=meter.meter_id, timezone=timezone)
    return dedupe_alarms(found)


#: Codes whose intervals are not valid measurements (excluded from model training/scoring).
INVALIDATING = (IssueCode.NEGATIVE_INTERVAL, IssueCode.ZERO_RUN_GAP, IssueCode.STUCK_VALUE,
                IssueCode.SPIKE)


def valid_mask(y: pd.Series, alarms: list[Alarm]) -> tuple[pd.Series, dict[str, int]]:
    """Intervals that no invalidating alarm covers, and how many each code excluded.

    Returns
    -------
    valid : pandas.Series of bool
        On `y`'s index; NaN values are invalid too.
    excluded : dict
        Code → intervals excluded by it (first code wins where they overlap), plus
        ``"missing"`` for NaN intervals.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=8, freq="h", tz="UTC")
    >>> y = pd.Series([1.0, 0, 3, 3, 3, 3, 3, 3], idx)
    >>> m = Meter("m", Medium.ELECTRICITY, "energy", "kWh", "total", zero_policy="gap")
    >>> six = pd.Timedelta(hours=6)
    >>> valid, why = valid_mask(y, rule_alarms(y, m, timezone="UTC", stuck_min_duration=six))
    >>> valid.tolist(), why
    ([True, False, False, False, False, False, False, False], {'zero_run_gap': 1, 'stuck_value': 6})
    """
    index = pd.DatetimeIndex(y.index)
    valid = y.notna().to_numpy().copy()
    excluded: dict[str, int] = {}
    if (~valid).any():
        excluded["missing"] = int((~valid).sum())
    for alarm in sorted(alarms, key=lambda a: INVALIDATING.index(a.code)
                        if a.code in INVALIDATING else 99):
        if alarm.code not in INVALIDATING:
            continue
        sel = (index >= alarm.start) & (index < alarm.end) & valid
        if sel.any():
            excluded[str(alarm.code)] = excluded.get(str(alarm.code), 0) + int(sel.sum())
            valid[sel] = False
    return pd.Series(valid, index=y.index), excluded
