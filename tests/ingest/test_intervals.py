"""Interval data, profile gap fill and power → interval energy: constructed cases."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from zeropark.errors import InputError
from zeropark.ingest._grid import make_frame
from zeropark.ingest.intervals import fill_gaps_profile, power_to_intervals, total_to_intervals

H = pd.Timedelta("1h")
Q = pd.Timedelta("15min")
T0 = pd.Timestamp("2024-03-04 00:00", tz="UTC")


def at(*offsets: float, unit: str = "h") -> pd.DatetimeIndex:
    return pd.DatetimeIndex([T0 + pd.Timedelta(x, unit=unit) for x in offsets])


def rows(frame: pd.DataFrame) -> list[tuple[str, float, bool, str]]:
    return [
        (
            r.interval_start.strftime("%H:%M"),
            "nan" if math.isnan(r.energy) else r.energy,
            bool(r.estimated),
            r.flags,
        )
        for r in frame.itertuples()
    ]


def codes(issues) -> list[str]:
    return [i.code.value for i in issues]


# total_to_intervals --------------------------------------------------------------------------


def test_hourly_data_on_hourly_grid_is_kept_as_is():
    frame, issues = total_to_intervals(at(0, 1, 2), [1.5, 2.5, 0.0], resolution=H)
    assert rows(frame) == [
        ("00:00", 1.5, False, ""),
        ("01:00", 2.5, False, ""),
        ("02:00", 0.0, False, ""),
    ]
    assert issues == ()


def test_zero_runs_of_electricity_are_gaps():
    values = [1.0, 2, 0, 0, 0, 3, 0, 4]
    frame, issues = total_to_intervals(at(*range(8)), values, resolution=H, zero_run_gap_min=3)
    assert rows(frame) == [
        ("00:00", 1.0, False, ""),
        ("01:00", 2.0, False, ""),
        ("02:00", "nan", False, "zero_run_gap"),
        ("03:00", "nan", False, "zero_run_gap"),
        ("04:00", "nan", False, "zero_run_gap"),
        ("05:00", 3.0, False, ""),
        ("06:00", 0.0, False, ""),
        ("07:00", 4.0, False, ""),
    ]
    assert codes(issues) == ["zero_run_gap"]
    assert (issues[0].start, issues[0].end, issues[0].data) == (
        "2024-03-04T02:00:00+00:00",
        "2024-03-04T05:00:00+00:00",
        {"n": 3},
    )


def test_zero_runs_of_gas_stay_zero_but_are_flagged():
    values = [1.0, 2, 0, 0, 0, 3, 0, 4]
    frame, issues = total_to_intervals(at(*range(8)), values, resolution=H, zero_run_flag_min=2)
    assert frame["energy"].tolist() == values
    assert frame["flags"].tolist() == [""] * 2 + ["zero_run_undecided"] * 3 + [""] * 3
    assert codes(issues) == ["zero_run_undecided"]
    assert issues[0].data == {"n": 3}


def test_label_end_shifts_each_value_to_the_interval_it_closes():
    frame, issues = total_to_intervals(at(1, 2, 3, 4), [1.0, 2, 3, 4], resolution=H, label="end")
    assert rows(frame) == [
        ("00:00", 1.0, False, ""),
        ("01:00", 2.0, False, ""),
        ("02:00", 3.0, False, ""),
        ("03:00", 4.0, False, ""),
    ]
    assert issues == ()


def test_quarter_hours_sum_to_hours_and_incomplete_hours_are_unknown():
    # 00:30 … 03:45; 01:30 missing; 02:15 negative. 00:00 hour is only half covered: not produced.
    minutes = [m for m in range(30, 240, 15) if m != 90]
    values = [float(m // 15) for m in minutes]
    values[minutes.index(135)] = -1.0
    frame, issues = total_to_intervals(at(*minutes, unit="min"), values, resolution=H)
    assert rows(frame) == [
        ("01:00", "nan", False, "gap_unfilled"),
        ("02:00", "nan", False, "negative_interval"),
        ("03:00", 12.0 + 13 + 14 + 15, False, ""),
    ]
    assert codes(issues) == ["gap_unfilled", "negative_interval"]
    assert (issues[0].start, issues[0].end) == (
        "2024-03-04T01:30:00+00:00",
        "2024-03-04T01:45:00+00:00",
    )


def test_resolution_finer_than_native_is_a_contract_error():
    with pytest.raises(InputError, match="not a multiple"):
        total_to_intervals(at(0, 1, 2), [1.0, 2, 3], resolution=Q)


# fill_gaps_profile ---------------------------------------------------------------------------


def weekly_frame(gaps: list[int]) -> pd.DataFrame:
    """Three local weeks of hourly data in Asia/Shanghai (UTC+8, no DST).

    Energy of the interval at local hour-of-week h in week w is h + 1000·w, so every
    profile mean can be written down by hand.
    """
    start = pd.Timestamp("2024-03-04 00:00", tz="Asia/Shanghai")  # a Monday
    local = pd.date_range(start, periods=3 * 168, freq="h")
    i = np.arange(len(local))
    energy = (i % 168 + 1000 * (i // 168)).astype(float)
    energy[gaps] = np.nan
    flags = ["gap_unfilled" if k in gaps else "" for k in i]
    frame = make_frame(local.tz_convert("UTC"), energy, np.zeros(len(i), bool), [0] * len(i))
    return frame.assign(flags=pd.array(flags, dtype="str"))


def test_profile_fill_uses_the_same_local_hour_of_week():
    gap = 168 + 10  # week 1, Monday 10:00 local
    frame, issues = fill_gaps_profile(weekly_frame([gap, gap + 1]), tz="Asia/Shanghai")
    # same slot in week 0 and week 2: (10 + 0 + 10 + 2000) / 2, (11 + 11 + 2000) / 2
    assert frame["energy"].iloc[gap] == 1010.0
    assert frame["energy"].iloc[gap + 1] == 1011.0
    assert frame["estimated"].sum() == 2
    assert frame["flags"].iloc[gap] == "gap_filled"
    assert codes(issues) == ["gap_filled"]
    assert issues[0].data == {"n": 2, "energy": 2021.0}
    assert (issues[0].start, issues[0].end) == (
        "2024-03-11T02:00:00+00:00",
        "2024-03-11T04:00:00+00:00",
    )


def test_profile_fill_falls_back_to_the_same_local_hour_of_day():
    gap = 168 + 24 + 10  # week 1, Tuesday 10:00 local; window ±2 days has no Tuesday
    frame, issues = fill_gaps_profile(
        weekly_frame([gap]), tz="Asia/Shanghai", window=pd.Timedelta(days=2)
    )
    # 10:00 local on Sun (wk 0), Mon, Wed, Thu (wk 1): 154, 1010, 1058, 1082
    assert frame["energy"].iloc[gap] == (154.0 + 1010 + 1058 + 1082) / 4
    assert codes(issues) == ["gap_filled"]


def test_profile_fill_leaves_nan_without_samples():
    frame, issues = fill_gaps_profile(
        weekly_frame([5, 6]), tz="Asia/Shanghai", window=pd.Timedelta(hours=1)
    )
    assert frame["energy"].iloc[5:7].isna().all()
    assert frame["flags"].iloc[5:7].tolist() == ["gap_unfilled", "gap_unfilled"]
    assert not frame["estimated"].any()
    assert codes(issues) == ["gap_unfilled"]
    assert issues[0].data == {"n": 2}


def test_profile_fill_ignores_estimated_intervals_as_samples():
    frame = weekly_frame([168 + 10])
    frame.loc[10, "estimated"] = True  # week 0 sample no longer counts
    out, _ = fill_gaps_profile(frame, tz="Asia/Shanghai", min_samples=1)
    assert out["energy"].iloc[168 + 10] == 2010.0


def test_profile_fill_of_a_meter_year_is_fast():
    t = pd.date_range("2023-01-01", periods=8760, freq="h", tz="UTC")
    rng = np.random.default_rng(7)
    energy = rng.uniform(0, 10, len(t))
    energy[rng.choice(len(t), 500, replace=False)] = np.nan
    frame = make_frame(t, energy, np.zeros(len(t), bool), [0] * len(t))
    started = time.perf_counter()
    out, _ = fill_gaps_profile(frame, tz="Europe/Berlin")
    assert time.perf_counter() - started < 1.0
    assert not out["energy"].isna().any()


# power_to_intervals --------------------------------------------------------------------------


def test_power_trapezoid_energy():
    power = [0.0, 4, 4, 8, 8, 8, 8, 8, 8]
    frame, issues = power_to_intervals(at(*range(0, 121, 15), unit="min"), power, resolution=H)
    # (0+4)/2·¼ + 4·¼ + (4+8)/2·¼ + 8·¼ = 5; then 8 kW for one hour
    assert rows(frame) == [("00:00", 5.0, False, ""), ("01:00", 8.0, False, "")]
    assert issues == ()


def test_power_gap_skips_uncovered_and_scales_partly_covered_intervals():
    minutes = [m for m in range(0, 181, 15) if m not in (75, 90)]  # no samples 01:15, 01:30
    power = [4.0 if m < 60 else 8.0 for m in minutes]
    frame, issues = power_to_intervals(at(*minutes, unit="min"), power, resolution=H)
    # 01:00–02:00: covered only 01:45–02:00 at 8 kW → mean 8 kW × 1 h, estimated
    assert rows(frame) == [
        ("00:00", 4.5, False, ""),  # 4 kW · ¾ h + (4 + 8)/2 kW · ¼ h
        ("01:00", 8.0, True, "gap_estimated"),
        ("02:00", 8.0, False, ""),
    ]
    assert codes(issues) == ["gap_estimated"]
    minutes = [m for m in range(0, 181, 15) if not 60 < m < 120]  # nothing 01:00–02:00
    frame, issues = power_to_intervals(at(*minutes, unit="min"), [8.0] * len(minutes), resolution=H)
    assert rows(frame) == [("00:00", 8.0, False, ""), ("02:00", 8.0, False, "")]
    assert codes(issues) == ["gap_unfilled"]


def test_power_on_a_long_grid_keeps_its_last_interval():
    ts = pd.date_range("2025-01-01", periods=16385, freq="15min", tz="UTC")
    frame, _ = power_to_intervals(ts, np.full(16385, 4.0), resolution=pd.Timedelta("15min"))
    assert len(frame) == 16384
    assert frame["energy"].sum() == 16384.0
