"""The rollup fast path equals the interval path; series buckets follow local calendars."""

from __future__ import annotations

from datetime import date

import pytest

from zeropark.accounting.options import options_for
from zeropark.accounting.report import monthly_co2, park_summary, top_buildings
from zeropark.accounting.series import energy_series
from zeropark.accounting.totals import park_summary_fast
from zeropark.store import DuckDBStore


@pytest.mark.demo
def test_fast_summary_equals_interval_summary_on_the_demo(demo_store) -> None:
    from zeropark.accounting.dashboard import monthly_co2_fast, top_buildings_fast

    path, park, _ = demo_store
    with DuckDBStore(path, read_only=True) as store:
        options = options_for(park)  # hourly GB grid factor: exercises the hour join
        slow = park_summary(store, park, year=2022, options=options)
        fast = park_summary_fast(store, park, year=2022, options=options)
        assert fast["totals"] == pytest.approx(slow["totals"], rel=1e-9)
        for a, b in zip(fast["media"], slow["media"], strict=True):
            assert a["medium"] == b["medium"]
            numbers = ("measured_kwh", "estimated_kwh", "energy_kwh", "tce", "co2e_t")
            assert [a[k] for k in numbers] == pytest.approx([b[k] for k in numbers], rel=1e-9)
        assert fast["factor_fallback_intervals"] == slow["factor_fallback_intervals"]
        assert fast["quality"] == slow["quality"]
        assert [b["building_id"] for b in fast["top_buildings"]] == [
            b["building_id"] for b in slow["top_buildings"]]
        m_fast = monthly_co2_fast(store, park, year=2022, options=options)
        m_slow = monthly_co2(store, park, year=2022, options=options)
        assert [s["medium"] for s in m_fast["series"]] == [s["medium"] for s in m_slow["series"]]
        for a, b in zip(m_fast["series"], m_slow["series"], strict=True):
            assert a["co2e_t"] == pytest.approx(b["co2e_t"], rel=1e-9)
        t_fast = top_buildings_fast(store, park, year=2022, options=options, limit=5)
        t_slow = top_buildings(store, park, year=2022, options=options, limit=5)
        assert [r["energy_kwh"] for r in t_fast] == pytest.approx(
            [r["energy_kwh"] for r in t_slow], rel=1e-9)


@pytest.mark.demo
def test_series_buckets_follow_the_zone(demo_store) -> None:
    path, park, _ = demo_store
    meter = park.meter("b58-elec")
    with DuckDBStore(path, read_only=True) as store:
        # Europe/London spring change on 2022-03-27: a 23-hour local day.
        london = energy_series(store, park, [meter], start=date(2022, 3, 27),
                               end=date(2022, 3, 28), interval="hour")
        assert len(london["buckets"]) == 23
        # Asia/Shanghai has no DST: 24 hourly buckets, and the day total equals the hours'.
        shanghai = energy_series(store, park, [meter], start=date(2022, 3, 27),
                                 end=date(2022, 3, 28), interval="hour", tz="Asia/Shanghai")
        assert len(shanghai["buckets"]) == 24
        assert shanghai["buckets"][0] == "2022-03-27T00:00:00+08:00"
        day = energy_series(store, park, [meter], start=date(2022, 3, 27),
                            end=date(2022, 3, 28), interval="day", tz="Asia/Shanghai")
        hours = sum(v or 0 for v in shanghai["series"][0]["energy_kwh"])
        assert day["series"][0]["energy_kwh"][0] == pytest.approx(hours, rel=1e-9)
        # park zone, monthly buckets from the day rollups = the month rollup
        months = energy_series(store, park, [meter], start=date(2022, 1, 1),
                               end=date(2023, 1, 1), interval="month")
        roll = store.query("SELECT energy FROM rollups WHERE park_id = ? AND meter_id = ? "
                           "AND period = 'month' AND period_start = '2022-03-01'",
                           [park.park_id, "b58-elec"])
        assert months["series"][0]["energy_kwh"][2] == pytest.approx(roll["energy"][0],
                                                                     rel=1e-9)
