"""Anomaly rules on crafted series with known answers; alarm de-duplication and acks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zeropark.forecast.alarms import (
    AlarmLog,
    AlarmNotFoundError,
    MemoryAlarmLog,
    acknowledge_alarm,
    list_alarms,
    make_alarm,
    record_alarms,
)
from zeropark.forecast.anomaly import (
    balance_gaps,
    base_load_creep,
    negative_values,
    residual_alarms,
    rule_alarms,
    spikes,
    stuck_values,
    valid_mask,
    zero_runs,
)
from zeropark.issues import IssueCode, Severity
from zeropark.model import Meter, MeterKind
from zeropark.store.duckdb import DuckDBStore
from zeropark.units import Medium, Quantity

IDX = pd.date_range("2024-03-01", periods=24 * 70, freq="h", tz="UTC")


def _load(seed: int = 0) -> pd.Series:
    """Office-like hourly load: 20 kWh base, +30 kWh 08–18 h on weekdays, 3 % noise."""
    rng = np.random.default_rng(seed)
    day = (IDX.hour >= 8) & (IDX.hour < 18) & (IDX.day_of_week < 5)
    return pd.Series(np.round((20 + 30 * day) * (1 + rng.normal(0, 0.03, len(IDX))), 1), IDX)


def _spans(alarms):
    return [(a.code.value, a.start.isoformat(), a.end.isoformat()) for a in alarms]


def test_clean_series_raises_nothing() -> None:
    meter = Meter("m", Medium.ELECTRICITY, Quantity.ENERGY, "kWh", MeterKind.TOTAL,
                  rated_power_kw=80.0, zero_policy="gap")
    assert rule_alarms(_load(), meter, timezone="UTC") == []


def test_each_rule_finds_exactly_its_planted_fault() -> None:
    y = _load()
    y.iloc[100:103] = -4.0  # negative for 3 h
    y.iloc[200:205] = 0.0  # zeros for 5 h
    y.iloc[300:318] = 33.3  # stuck for 18 h
    y.iloc[400] = 500.0  # spike
    meter = Meter("m", Medium.ELECTRICITY, Quantity.ENERGY, "kWh", MeterKind.TOTAL,
                  rated_power_kw=80.0, zero_policy="gap")
    found = rule_alarms(y, meter, timezone="UTC")
    t = IDX
    assert sorted(_spans(found)) == sorted([
        ("negative_interval", t[100].isoformat(), t[103].isoformat()),
        ("zero_run_gap", t[200].isoformat(), t[205].isoformat()),
        ("stuck_value", t[300].isoformat(), t[318].isoformat()),
        ("spike", t[400].isoformat(), t[401].isoformat()),
    ])
    valid, excluded = valid_mask(y, found)
    assert excluded == {"negative_interval": 3, "zero_run_gap": 5, "stuck_value": 18,
                        "spike": 1}
    assert int((~valid).sum()) == 27


def test_single_rules() -> None:
    y = pd.Series([1.0, -1, 0, 0, 2, 2, 2, 9], pd.date_range("2024-01-01", periods=8,
                                                             freq="15min", tz="UTC"))
    assert [a.data["n"] for a in negative_values(y, meter_id="m")] == [1]
    assert [a.data["n"] for a in zero_runs(y, meter_id="m", min_run=2)] == [2]
    stuck = stuck_values(y, meter_id="m", min_duration=pd.Timedelta(minutes=45))
    assert [(a.data["n"], a.data["value"]) for a in stuck] == [(3, 2.0)]
    # 20 kW rating × 0.25 h × 1.5 = 7.5 kWh limit
    assert [a.data["limit_kwh"] for a in spikes(y, meter_id="m", rated_power_kw=20)] == [7.5]


def test_balance_parent_vs_children() -> None:
    idx = IDX[:48]
    a, b = pd.Series(30.0, idx), pd.Series(60.0, idx)
    parent = pd.Series(93.0, idx)  # 3 % losses: fine
    parent.iloc[10:16] = 120.0  # an unmetered load of 30 kWh for 6 h (25 %)
    parent.iloc[30:33] = 80.0  # children exceed the parent (CT wired to the wrong phase)
    found = balance_gaps(parent, pd.DataFrame({"a": a, "b": b}), meter_id="main")
    assert [(x.start, x.data["n"], x.data["gap_share"]) for x in found] == [
        (idx[10], 6, 0.25), (idx[30], 3, -0.125)]


def test_base_load_creep_after_a_known_day() -> None:
    y = _load()
    creep_from = pd.Timestamp("2024-04-10", tz="UTC")
    y[(y.index >= creep_from) & ((y.index.hour < 6) | (y.index.hour >= 20))] += 6.0
    found = base_load_creep(y, meter_id="m", timezone="UTC")
    assert len(found) == 1
    assert found[0].start == creep_from
    assert found[0].data["increase"] == pytest.approx(0.3, abs=0.03)
    assert found[0].severity == Severity.WARNING


def test_residual_detection_against_the_prediction_interval() -> None:
    y = _load()
    fc = pd.DataFrame({"forecast": _load(seed=1)})
    fc["lower"], fc["upper"] = fc["forecast"] - 4, fc["forecast"] + 4
    y.iloc[500:504] += 25.0  # 4 h of an unexpected load
    y.iloc[600] += 25.0  # a single hour: below min_run
    found = residual_alarms(y, fc, meter_id="m")
    assert [(a.start, a.data["n"]) for a in found] == [(IDX[500], 4)]


def test_alarm_log_dedupes_and_keeps_acknowledgements(tmp_path) -> None:
    for log in (MemoryAlarmLog(), AlarmLog(DuckDBStore(tmp_path / "a.duckdb"))):
        first = make_alarm(IssueCode.STUCK_VALUE, Severity.WARNING, "m", IDX[0], IDX[6],
                           "stuck", n=6)
        assert record_alarms(log, "p", [first]) == 1
        (row,) = list_alarms(log, "p")
        acknowledge_alarm(log, "p", row["alarm_id"], by="operator", note="meter swapped")
        # detection runs again and the same fault has grown: no new alarm, ack kept
        longer = make_alarm(IssueCode.STUCK_VALUE, Severity.ERROR, "m", IDX[2], IDX[12],
                            "stuck", n=10)
        other = make_alarm(IssueCode.SPIKE, Severity.ERROR, "m", IDX[3], IDX[4], "spike")
        assert record_alarms(log, "p", [longer, other]) == 1
        rows = {r["code"]: r for r in list_alarms(log, "p")}
        assert rows["stuck_value"]["end_ts"] == IDX[12].isoformat()
        assert rows["stuck_value"]["severity"] == "error"
        assert rows["stuck_value"]["acknowledged_by"] == "operator"
        assert [r["code"] for r in list_alarms(log, "p", acknowledged=False)] == ["spike"]
        with pytest.raises(AlarmNotFoundError, match="no alarm 'nope'"):
            acknowledge_alarm(log, "p", "nope", by="x")
        with pytest.raises(KeyError):
            acknowledge_alarm(log, "other-park", row["alarm_id"], by="x")
