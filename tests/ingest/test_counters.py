"""Register (total_increasing) → interval energy: constructed scenarios with exact intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeropark.ingest.counters import Replacement, register_to_intervals
from zeropark.ingest.intervals import dedupe_readings

H = pd.Timedelta("1h")
T0 = pd.Timestamp("2024-03-04 00:00", tz="UTC")


def hours(*offsets: float) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([T0 + pd.Timedelta(hours=h) for h in offsets])


def rows(frame: pd.DataFrame) -> list[tuple[str, float, bool, str]]:
    """(start HH:MM, energy, estimated, flags); NaN energy becomes the string 'nan'."""
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


# 1. dropout ---------------------------------------------------------------------------------


def test_dropout_to_zero_adds_no_energy_at_either_step():
    frame, issues = register_to_intervals(
        hours(0, 1, 2, 3, 4, 5), [100.0, 101, 102, 0, 102, 103], resolution=H
    )
    assert rows(frame) == [
        ("00:00", 1.0, False, ""),
        ("01:00", 1.0, False, ""),
        ("02:00", 0.0, True, "counter_dropout"),
        ("03:00", 0.0, True, "counter_dropout"),
        ("04:00", 1.0, False, ""),
    ]
    assert codes(issues) == ["counter_dropout"]
    assert issues[0].data["rejected"] == [0.0]
    assert (issues[0].start, issues[0].end) == (
        "2024-03-04T02:00:00+00:00",
        "2024-03-04T04:00:00+00:00",
    )


def test_dropout_not_back_within_window_is_a_reset():
    frame, issues = register_to_intervals(
        hours(0, 1, 2, 3), [100.0, 101, 1, 2], resolution=H, dropout_window=4
    )
    assert rows(frame) == [
        ("00:00", 1.0, False, ""),
        ("01:00", 1.0, False, "counter_reset"),
        ("02:00", 1.0, False, ""),
    ]
    assert codes(issues) == ["counter_reset"]


def test_low_last_reading_is_an_unconfirmed_drop():
    frame, issues = register_to_intervals(hours(0, 1, 2), [100.0, 101, 3], resolution=H)
    assert rows(frame) == [("00:00", 1.0, False, "")]
    assert codes(issues) == ["unconfirmed_drop"]


# 2. reset and replacement -------------------------------------------------------------------


def test_reset_after_outage_counts_from_zero_never_negative():
    frame, issues = register_to_intervals(hours(0, 1, 4, 5, 6), [500.0, 510, 0, 2, 5], resolution=H)
    assert rows(frame) == [
        ("00:00", 10.0, False, ""),
        ("01:00", 0.0, True, "counter_reset"),
        ("02:00", 0.0, True, "counter_reset"),
        ("03:00", 0.0, True, "counter_reset"),
        ("04:00", 2.0, False, ""),
        ("05:00", 3.0, False, ""),
    ]
    assert codes(issues) == ["counter_reset"]
    assert issues[0].data == {"before": 510.0, "after": 0.0}


def test_reset_to_an_implausible_value_leaves_the_interval_unknown():
    # rated 10 kW, 1 h, tolerance 1.5 → at most 15 kWh may have been counted since the reset
    frame, issues = register_to_intervals(
        hours(0, 1, 2, 3), [500.0, 510, 50, 55], resolution=H, rated_power=10.0
    )
    assert rows(frame) == [
        ("00:00", 10.0, False, ""),
        ("01:00", "nan", False, "counter_reset"),
        ("02:00", 5.0, False, ""),
    ]
    assert codes(issues) == ["counter_reset"]


def test_explicit_replacement_uses_old_final_and_new_initial():
    swap = Replacement(
        ts=T0 + pd.Timedelta(hours=10, minutes=30), old_final=1002.0, new_initial=5.0
    )
    frame, issues = register_to_intervals(
        hours(9, 10, 11, 12), [999.0, 1000, 6, 8], resolution=H, replacements=[swap]
    )
    assert rows(frame) == [
        ("09:00", 1.0, False, ""),
        ("10:00", 3.0, False, "meter_replacement"),
        ("11:00", 2.0, False, ""),
    ]
    assert codes(issues) == ["meter_replacement"]
    assert issues[0].data == {"old_final": 1002.0, "new_initial": 5.0, "energy": 2.0}


# 3. long gap --------------------------------------------------------------------------------


def test_ten_day_gap_is_spread_uniformly_and_flagged_estimated():
    gap_energy = 1234.5678
    ts = hours(0, 1, 2, 242, 243)
    values = [10.0, 11.0, 12.0, 12.0 + gap_energy, 13.0 + gap_energy]
    frame, issues = register_to_intervals(ts, values, resolution=H)
    assert len(frame) == 243
    spread = frame.iloc[2:242]
    assert len(spread) == 240
    assert spread["estimated"].all()
    assert (spread["flags"] == "gap_estimated").all()
    assert spread["energy"].to_numpy() == pytest.approx(np.full(240, gap_energy / 240), rel=1e-12)
    assert spread["energy"].sum() == pytest.approx(gap_energy, rel=1e-12)
    assert frame["energy"].sum() == pytest.approx(values[-1] - values[0], rel=1e-12)
    assert rows(frame.iloc[[0, 1, 242]]) == [
        ("00:00", 1.0, False, ""),
        ("01:00", 1.0, False, ""),
        ("02:00", 1.0, False, ""),
    ]
    assert codes(issues) == ["gap_estimated"]
    assert issues[0].data["energy"] == pytest.approx(gap_energy, rel=1e-12)
    assert (issues[0].start, issues[0].end) == (
        "2024-03-04T02:00:00+00:00",
        "2024-03-14T02:00:00+00:00",
    )


# 4. rollover and sentinels ------------------------------------------------------------------


def test_rollover_24_bit_with_rated_power():
    top = 2**24 - 1
    frame, issues = register_to_intervals(
        hours(0, 1, 2, 3), [top - 2.0, top - 1.0, 1.0, 4.0], resolution=H,
        register_max=top, rated_power=10.0,
    )  # fmt: skip
    assert rows(frame) == [
        ("00:00", 1.0, False, ""),
        ("01:00", 3.0, False, "counter_rollover"),
        ("02:00", 3.0, False, ""),
    ]
    assert codes(issues) == ["counter_rollover"]


def test_rollover_32_bit_keeps_a_plausible_reading_equal_to_the_maximum():
    top = 2**32 - 1
    frame, issues = register_to_intervals(
        hours(0, 1, 2, 3), [top - 2.0, float(top), 2.0, 5.0], resolution=H,
        register_max=top, rated_power=10.0,
    )  # fmt: skip
    assert rows(frame) == [
        ("00:00", 2.0, False, ""),
        ("01:00", 3.0, False, "counter_rollover"),
        ("02:00", 3.0, False, ""),
    ]
    assert codes(issues) == ["counter_rollover"]


def test_rollover_without_rated_power_needs_the_register_near_its_maximum():
    frame, issues = register_to_intervals(
        hours(0, 1, 2, 3), [99990.0, 99995, 3, 9], resolution=H, register_max=99999
    )
    assert rows(frame) == [
        ("00:00", 5.0, False, ""),
        ("01:00", 8.0, False, "counter_rollover"),
        ("02:00", 6.0, False, ""),
    ]
    assert codes(issues) == ["counter_rollover"]


@pytest.mark.parametrize("rated", [None, 10.0])
def test_drop_far_from_maximum_is_a_reset_not_a_rollover(rated):
    frame, issues = register_to_intervals(
        hours(0, 1, 2, 3, 4), [500.0, 510, 5, 8, 12], resolution=H,
        register_max=99999, rated_power=rated,
    )  # fmt: skip
    assert rows(frame) == [
        ("00:00", 10.0, False, ""),
        ("01:00", 5.0, False, "counter_reset"),
        ("02:00", 3.0, False, ""),
        ("03:00", 4.0, False, ""),
    ]
    assert codes(issues) == ["counter_reset"]


def test_drop_far_from_maximum_that_comes_back_is_a_dropout():
    frame, issues = register_to_intervals(
        hours(0, 1, 2, 3, 4), [500.0, 510, 5, 511, 512], resolution=H, register_max=99999
    )
    assert rows(frame) == [
        ("00:00", 10.0, False, ""),
        ("01:00", 0.5, True, "counter_dropout"),
        ("02:00", 0.5, True, "counter_dropout"),
        ("03:00", 1.0, False, ""),
    ]
    assert codes(issues) == ["counter_dropout"]


@pytest.mark.parametrize("register_max", [2**32 - 1, None])
def test_uint32_sentinel_between_readings_is_rejected(register_max):
    frame, issues = register_to_intervals(
        hours(0, 1, 2), [1000.0, 4_294_967_295.0, 1001.0], resolution=H, register_max=register_max
    )
    assert rows(frame) == [
        ("00:00", 0.5, True, "gap_estimated,invalid_reading"),
        ("01:00", 0.5, True, "gap_estimated,invalid_reading"),
    ]
    assert frame["energy"].sum() == 1.0
    assert codes(issues) == ["invalid_reading", "gap_estimated"]
    assert issues[0].data == {"value": 4_294_967_295.0}


@pytest.mark.parametrize("bad", [float("nan"), -3.0, 2.0**31, -(2.0**31), 2.0**16 - 1, 2.0**64 - 1])
def test_invalid_readings_are_rejected(bad):
    frame, issues = register_to_intervals(
        hours(0, 1, 2, 3, 4), [1.0, 2.0, bad, 4.0, 5.0], resolution=H
    )
    assert frame["energy"].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert codes(issues) == ["invalid_reading", "gap_estimated"]


def test_value_above_register_max_is_invalid():
    frame, issues = register_to_intervals(
        hours(0, 1, 2), [1.0, 1e6, 3.0], resolution=H, register_max=99999
    )
    assert frame["energy"].tolist() == [1.0, 1.0]
    assert codes(issues) == ["invalid_reading", "gap_estimated"]


# spikes and jumps ---------------------------------------------------------------------------


def test_spike_is_rejected():
    frame, issues = register_to_intervals(
        hours(0, 1, 2, 3, 4), [0.0, 5, 500, 15, 20], resolution=H, rated_power=10.0
    )
    assert rows(frame) == [
        ("00:00", 5.0, False, ""),
        ("01:00", 5.0, True, "gap_estimated,spike"),
        ("02:00", 5.0, True, "gap_estimated,spike"),
        ("03:00", 5.0, False, ""),
    ]
    assert codes(issues) == ["spike", "gap_estimated"]


def test_confirmed_jump_makes_the_span_unknown_and_counts_on():
    frame, issues = register_to_intervals(
        hours(0, 1, 2, 3, 4), [0.0, 5, 500, 505, 510], resolution=H, rated_power=10.0
    )
    assert rows(frame) == [
        ("00:00", 5.0, False, ""),
        ("01:00", "nan", False, "counter_jump"),
        ("02:00", 5.0, False, ""),
        ("03:00", 5.0, False, ""),
    ]
    assert codes(issues) == ["counter_jump"]


# grid ---------------------------------------------------------------------------------------


def test_one_minute_registers_sum_onto_a_15_minute_grid():
    m = np.arange(61)
    ts = pd.DatetimeIndex([T0 + pd.Timedelta(minutes=int(k)) for k in m])
    values = m * (m + 1) / 2.0  # the increment from minute m to m+1 is m+1
    frame, issues = register_to_intervals(ts, values, resolution=pd.Timedelta("15min"))
    assert rows(frame) == [
        ("00:00", 120.0, False, ""),  # 1 + … + 15
        ("00:15", 345.0, False, ""),  # 16 + … + 30
        ("00:30", 570.0, False, ""),
        ("00:45", 795.0, False, ""),
    ]
    assert issues == ()


def test_unaligned_readings_split_proportionally():
    frame, issues = register_to_intervals(
        hours(0.5, 1.5, 2.5, 3.5), [0.0, 10, 30, 60], resolution=H
    )
    # 01:00–02:00 = half of 10 + half of 20; partial first and last hours are not produced
    assert rows(frame) == [("01:00", 15.0, False, ""), ("02:00", 25.0, False, "")]
    assert issues == ()


def test_fewer_than_two_readings_give_an_empty_frame():
    frame, issues = register_to_intervals(hours(0), [1.0], resolution=H)
    assert list(frame.columns) == ["interval_start", "energy", "estimated", "flags"]
    assert len(frame) == 0
    assert str(frame["interval_start"].dtype) == "datetime64[ns, UTC]"
    assert issues == ()


# 5. duplicates ------------------------------------------------------------------------------


def test_identical_duplicates_keep_one_with_one_issue_per_run():
    ts, values, issues = dedupe_readings(hours(0, 1, 1, 2, 2, 4, 4), [1.0, 2, 2, 3, 3, 5, 5])
    assert list(ts) == list(hours(0, 1, 2, 4))
    assert values.tolist() == [1.0, 2.0, 3.0, 5.0]
    assert codes(issues) == ["duplicate_reading"]
    assert issues[0].data == {"n_timestamps": 3, "n_extra": 3}
    assert (issues[0].start, issues[0].end) == (
        "2024-03-04T01:00:00+00:00",
        "2024-03-04T04:00:00+00:00",
    )


def test_conflicting_duplicates_the_reading_received_last_wins():
    received = pd.DatetimeIndex(
        ["2024-03-05 10:00", "2024-03-05 12:00", "2024-03-05 11:00", "2024-03-05 09:00"], tz="UTC"
    )
    ts, values, issues = dedupe_readings(
        hours(1, 1, 1, 0), [5.0, 7.0, 6.0, 1.0], ingested_at=received
    )
    assert values.tolist() == [1.0, 7.0]
    assert codes(issues) == ["duplicate_conflict"]
    assert issues[0].data == {"values": [5.0, 6.0, 7.0], "winner": 7.0}
    assert issues[0].start == "2024-03-04T01:00:00+00:00"


def test_conflict_ties_go_to_larger_order_then_later_position():
    same = pd.DatetimeIndex(["2024-03-05 10:00"] * 3, tz="UTC")
    _, values, _ = dedupe_readings(
        hours(1, 1, 1), [5.0, 7.0, 6.0], ingested_at=same, order=[3, 1, 2]
    )
    assert values.tolist() == [5.0]
    _, values, issues = dedupe_readings(hours(1, 1, 1), [5.0, 7.0, 6.0])
    assert values.tolist() == [6.0]
    assert issues[0].data["winner"] == 6.0


# property tests ------------------------------------------------------------------------------


def _cap_runs(flags: list[bool], longest: int) -> list[bool]:
    out, run = [], 0
    for f in flags:
        run = run + 1 if f else 0
        if run > longest:
            f, run = False, 0
        out.append(f)
    return out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=3, max_size=60),
    st.data(),
)
def test_property_increasing_register_with_dropouts_totals_last_minus_first(increments, data):
    values = 1.0 + np.concatenate(([0.0], np.cumsum(increments[1:])))
    n = len(values)
    drops = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    drops = _cap_runs([False, *drops[1:-1], False], 4)
    observed = np.where(drops, 0.0, values)
    frame, _ = register_to_intervals(hours(*range(n)), observed, resolution=H)
    energy = frame["energy"].to_numpy()
    assert len(frame) == n - 1
    assert not np.isnan(energy).any()
    assert (energy >= 0).all()
    assert energy.sum() == pytest.approx(values[-1] - values[0], rel=1e-9, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10), st.sampled_from(["ok", "ok", "ok", "reset", "drop"])),
        min_size=2,
        max_size=80,
    ),
    st.integers(0, 2**16 - 1),
)
def test_property_intervals_never_negative_nor_above_the_rating(steps, start):
    rated, top = 10.0, 2**16 - 1
    register, values = start, [float(start)]
    for inc, event in steps:
        register = inc if event == "reset" else (register + inc) % (top + 1)
        values.append(0.0 if event == "drop" else float(register))
    frame, _ = register_to_intervals(
        hours(*range(len(values))), values, resolution=H, register_max=top, rated_power=rated
    )
    energy = frame["energy"].dropna().to_numpy()
    assert (energy >= 0).all()
    assert (energy <= rated * 1.0 * 1.5 + 1e-9).all()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=2, max_size=80), st.integers(0, 9999))
def test_property_rollovers_are_counted_exactly(increments, start):
    top = 9999  # a 4-digit register: below every sentinel value
    values = [float((start + s) % (top + 1)) for s in np.cumsum([0, *increments])]
    frame, _ = register_to_intervals(
        hours(*range(len(values))), values, resolution=H, register_max=top, rated_power=10.0
    )
    assert not frame["energy"].isna().any()
    assert frame["energy"].sum() == pytest.approx(float(sum(increments)), rel=1e-12, abs=1e-9)


def test_a_year_of_hourly_register_readings_keeps_its_last_interval():
    # 8,761 readings → 8,760 hourly intervals; long grids once lost their last bound
    # to float rounding in np.arange on int64 nanoseconds.
    ts = pd.date_range("2025-01-01", periods=8761, freq="h", tz="UTC")
    frame, _ = register_to_intervals(ts, np.arange(8761, dtype=float),
                                     resolution=pd.Timedelta("1h"))
    assert len(frame) == 8760
    assert frame["energy"].sum() == 8760.0


def test_many_quarter_hours_keep_their_last_interval():
    ts = pd.date_range("2025-01-01", periods=16385, freq="15min", tz="UTC")
    frame, _ = register_to_intervals(ts, np.arange(16385, dtype=float),
                                     resolution=pd.Timedelta("15min"))
    assert len(frame) == 16384


def test_register_counting_through_a_sentinel_value_keeps_it():
    ts = pd.date_range("2025-01-01", periods=4, freq="h", tz="UTC")
    frame, issues = register_to_intervals(ts, [65533.0, 65534.0, 65535.0, 65536.0],
                                          resolution=pd.Timedelta("1h"))
    assert frame["energy"].tolist() == [1.0, 1.0, 1.0]
    assert issues == ()


def test_sentinel_out_of_order_is_still_invalid():
    ts = pd.date_range("2025-01-01", periods=3, freq="h", tz="UTC")
    frame, issues = register_to_intervals(ts, [1000.0, 4294967295.0, 1001.0],
                                          resolution=pd.Timedelta("1h"))
    # the rejected reading leaves a 2-hour span, spread and flagged estimated
    assert [i.code.value for i in issues] == ["invalid_reading", "gap_estimated"]
    assert frame["energy"].sum() == 1.0
