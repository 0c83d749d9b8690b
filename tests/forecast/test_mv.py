"""M&V: a change-point baseline recovers a planted saving within its G14 uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zeropark.forecast.mv import (
    avoided_energy,
    fit_change_point,
    fractional_savings_uncertainty,
    sufficiency_issues,
)
from zeropark.issues import IssueCode, Severity


def _bedford_daily_temperature(cambridge_root) -> pd.Series:
    from zeropark.forecast.weather import read_metoffice_archive

    w, _ = read_metoffice_archive(cambridge_root / "aux_data/MetOffice Weather Data/"
                                  "processed_data/bedford", (2021, 2022))
    return w["temp_air_c"].groupby(w.index.tz_convert("Europe/London").normalize()
                                   .tz_localize(None)).mean()


def _building(temp: pd.Series, rng: np.random.Generator) -> pd.Series:
    """5P building: 800 kWh/d base, heating 40 kWh/(d·K) below 14 °C, cooling 25 above 19."""
    t = temp.to_numpy()
    e = 800 + 40 * np.maximum(14 - t, 0) + 25 * np.maximum(t - 19, 0)
    return pd.Series(e * (1 + rng.normal(0, 0.04, len(t))), index=temp.index)


def test_planted_savings_are_recovered(cambridge_root) -> None:
    temp = _bedford_daily_temperature(cambridge_root)
    rng = np.random.default_rng(14)
    energy = _building(temp, rng)
    base = energy.index.year == 2021
    model = fit_change_point(energy[base], temp[base], subject="b1")
    assert model.kind == "5p"
    assert model.heating_cp == pytest.approx(14, abs=1.0)
    # few Bedford days are warmer than 19 °C: the cooling change point is loosely identified
    assert model.cooling_cp == pytest.approx(19, abs=2.5)
    assert model.cv_rmse <= 0.30 and abs(model.nmbe) <= 0.005  # OLS: NMBE ≈ 0
    assert not [i for i in model.issues if i.severity != Severity.WARNING]
    planted = 0.12  # the retrofit cuts every day's use by 12 %
    report = energy[~base] * (1 - planted)
    result = avoided_energy(model, report, temp[~base], confidence=0.9)
    true_saving = float(energy[~base].sum() * planted)
    assert abs(result.avoided_energy_kwh - true_saving) <= result.uncertainty_kwh
    assert result.avoided_energy_kwh == pytest.approx(true_saving, rel=0.1)
    assert result.savings_fraction == pytest.approx(planted, abs=0.01)
    assert 0 < result.fsu < 0.2 and result.significant


def test_synthetic_heating_only_building_picks_3ph() -> None:
    days = pd.date_range("2023-01-01", periods=365, freq="D")
    temp = pd.Series(10 - 10 * np.cos(2 * np.pi * np.arange(365) / 365), index=days)
    rng = np.random.default_rng(3)
    e = pd.Series((500 + 30 * np.maximum(15 - temp, 0)) * (1 + rng.normal(0, 0.02, 365)),
                  index=days)
    model = fit_change_point(e, temp)
    assert model.kind == "3ph" and model.heating_cp == pytest.approx(15, abs=1.0)
    assert model.heating_slope == pytest.approx(30, rel=0.1)


def test_data_sufficiency_is_a_result_not_an_error() -> None:
    days = pd.date_range("2023-01-01", periods=60, freq="D")
    issues = sufficiency_issues(days, period_days=80)
    assert {(i.code, i.severity) for i in issues} == {
        (IssueCode.MV_INSUFFICIENT_DATA, Severity.DISQUALIFYING),
        (IssueCode.MV_INSUFFICIENT_DATA, Severity.ERROR)}


def test_fsu_grows_with_autocorrelation_and_shrinks_with_savings() -> None:
    kw = {"cv_rmse": 0.1, "n": 365, "m": 365, "n_params": 5}
    base = fractional_savings_uncertainty(savings_fraction=0.1, **kw)
    assert fractional_savings_uncertainty(savings_fraction=0.1, autocorrelation=0.5,
                                          **kw) > 1.7 * base
    assert fractional_savings_uncertainty(savings_fraction=0.2, **kw) == pytest.approx(
        base / 2, rel=1e-12)
