"""The three derivation routes of :func:`zeropark.ingest.derive.rederive` store the same thing.

Reference: :func:`derive_meter` on all readings of one meter and :func:`rollup_intervals` on
its intervals (the per-meter route, whose rules the counter tests pin down value by value).
The vectorised clean-register route and the incremental append route must give exactly
(bit for bit) the same intervals, rollups and findings, whatever the batching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import zeropark.ingest._routes as _routes
import zeropark.ingest.derive as derive_mod
from zeropark.ingest.derive import derive_meter, rederive, rollup_intervals
from zeropark.model import Park, parse_park

PARK = """\
[park]
id = "p"
name = "Routes"
timezone = "Europe/London"

[[meters]]
id = "r15"
medium = "electricity"
unit = "kWh"
kind = "total_increasing"

[[meters]]
id = "rated"
medium = "electricity"
unit = "kWh"
kind = "total_increasing"
rated_power_kw = 60

[[meters]]
id = "hourly"
medium = "natural_gas"
quantity = "volume"
unit = "m3"
kind = "total_increasing"

[[meters]]
id = "wrap"
medium = "electricity"
unit = "kWh"
kind = "total_increasing"
register_max = 99999.99

[[meters]]
id = "tot"
medium = "electricity"
unit = "kWh"
kind = "total"
"""

DAMAGE = ("none", "none", "reset", "spike", "gap", "dropout", "dup", "conflict", "offgrid",
          "late", "negative", "rollover")


def _park() -> Park:
    return parse_park(PARK, source="park.toml")


def _series(rng: np.random.Generator, meter: str, n: int, damage: str) -> pd.DataFrame:
    """Decimal register readings (0.01 resolution) of one meter, arrival-ordered, damaged."""
    step = "1h" if meter == "hourly" else "15min"
    t = pd.date_range("2024-03-29 00:00", periods=n, freq=step, tz="UTC")
    if meter == "tot":
        v = np.round(rng.gamma(2.0, 2.5, n), 2)
    else:
        base = 99000.0 if meter == "wrap" else 500.0
        v = np.round(base + np.cumsum(np.round(rng.gamma(2.0, 2.5, n), 2)), 2)
    frame = pd.DataFrame({"ts": t, "value": v})
    k = int(rng.integers(n // 4, 3 * n // 4))
    if damage == "reset":
        frame.loc[k:, "value"] = np.round(frame["value"][k:] - frame["value"][k] + 0.5, 2)
    elif damage == "spike":
        frame.loc[k, "value"] += 5e4
    elif damage == "gap":
        frame = frame.drop(index=range(k, k + 7))
    elif damage == "dropout":
        frame.loc[k, "value"] = 0.0
    elif damage == "dup":
        frame = pd.concat([frame, frame.iloc[[k]]])
    elif damage == "conflict":
        frame = pd.concat([frame, frame.iloc[[k]].assign(value=lambda f: f["value"] + 1.0)])
    elif damage == "offgrid":
        frame["ts"] = frame["ts"] + pd.Timedelta(minutes=7)
    elif damage == "late":
        frame = pd.concat([frame.drop(index=k), frame.loc[[k]]])
        frame["late"] = frame.index == k
    elif damage == "negative":
        frame.loc[k, "value"] = -1.0
    elif damage == "rollover" and meter == "wrap":
        frame.loc[k:, "value"] = np.round(frame["value"][k:] - 1000.0, 2)
    return frame.assign(meter_id=meter).reset_index(drop=True)


def _readings(seed: int, n: int = 400) -> pd.DataFrame:
    """All meters' readings in arrival order (meters interleaved, as a gateway sends)."""
    rng = np.random.default_rng(seed)
    parts = [_series(rng, m, n, str(rng.choice(DAMAGE)))
             for m in ("r15", "rated", "hourly", "wrap", "tot")]
    frame = pd.concat(parts, ignore_index=True)
    # Arrival: by time across meters, repeats right after their original, late ones last.
    late = frame["late"].fillna(False).to_numpy(bool) if "late" in frame else np.zeros(
        len(frame), bool)
    key = np.where(late, np.iinfo("int64").max, pd.DatetimeIndex(frame["ts"]).asi8)
    frame = frame.iloc[np.lexsort((np.arange(len(frame)), key))].reset_index(drop=True)
    return frame.drop(columns="late", errors="ignore").assign(arrival=np.arange(len(frame)))


def _insert(store: Any, park: Park, rows: pd.DataFrame) -> None:
    frame = pd.DataFrame({
        "meter_id": rows["meter_id"].to_numpy(), "ts": rows["ts"].to_numpy(),
        "value": rows["value"].to_numpy(), "value_raw": rows["value"].to_numpy(),
        "unit_raw": np.where(rows["meter_id"] == "hourly", "m3", "kWh"),
        "source": "test", "source_row": rows["arrival"].to_numpy() + 1,
    })
    frame["ts"] = pd.DatetimeIndex(frame["ts"]).tz_convert("UTC")
    with store.transaction():
        new = store.insert_readings(park.park_id, frame)
        if not new.empty:
            rederive(store, park, sorted(new["meter_id"].astype(str).unique()))


def _reference(store: Any, park: Park, meter_id: str) -> tuple[pd.DataFrame, pd.DataFrame,
                                                               set[tuple[str, ...]]]:
    meter = park.meters_by_id()[meter_id]
    frame, issues = derive_meter(store.readings(park.park_id, meter_id), meter,
                                 timezone=park.timezone)
    rollups = rollup_intervals(frame, timezone=park.timezone)
    found = {(str(i.code), i.start or "", i.end or "", i.message) for i in issues}
    return frame, rollups, found


def _stored(store: Any, park: Park, meter_id: str) -> tuple[pd.DataFrame, pd.DataFrame,
                                                            set[tuple[str, ...]]]:
    iv = store.intervals(park.park_id, [meter_id])
    iv = iv.drop(columns="meter_id").reset_index(drop=True)
    parts = []
    for period in ("hour", "day", "month", "year"):
        frame = store.rollups(park.park_id, period)
        parts.append(frame[frame["meter_id"] == meter_id].assign(period=period))
    ru = pd.concat(parts, ignore_index=True)
    qi = store.quality_issues(park.park_id)
    qi = qi[qi["meter_id"] == meter_id]
    found = {(r.code, r.start_ts if isinstance(r.start_ts, str) else "",
              r.end_ts if isinstance(r.end_ts, str) else "", r.message)
             for r in qi.itertuples(index=False)}
    return iv, ru, found


def _assert_same(store: Any, park: Park, meter_id: str) -> None:
    frame, rollups, issues = _reference(store, park, meter_id)
    iv, ru, found = _stored(store, park, meter_id)
    expected = frame.assign(flags=frame["flags"].astype(str)).reset_index(drop=True)
    got = iv[expected.columns].assign(flags=iv["flags"].fillna("").astype(str))
    got["interval_start"] = pd.DatetimeIndex(got["interval_start"]).as_unit("ns")
    expected["interval_start"] = pd.DatetimeIndex(expected["interval_start"]).as_unit("ns")
    assert_frame_equal(got, expected, check_dtype=False, check_exact=True, obj=meter_id)
    cols = ["period", "period_start", "energy", "estimated_energy", "n_intervals",
            "n_missing"]
    want = rollups[cols].sort_values(["period", "period_start"]).reset_index(drop=True)
    have = ru[cols].sort_values(["period", "period_start"]).reset_index(drop=True)
    for frame_ in (want, have):
        frame_["period_start"] = pd.DatetimeIndex(frame_["period_start"]).as_unit("ns")
    assert_frame_equal(have, want, check_dtype=False, check_exact=True, obj=meter_id)
    assert found == issues, meter_id


@pytest.mark.parametrize("seed", range(6))
def test_one_batch_equals_the_per_meter_reference(make_store: Callable[..., Any],
                                                  seed: int) -> None:
    park = _park()
    store = make_store()
    store.save_park(park)
    _insert(store, park, _readings(seed))
    for meter_id in ("r15", "rated", "hourly", "wrap", "tot"):
        _assert_same(store, park, meter_id)


@pytest.mark.parametrize("seed", range(6))
def test_streamed_batches_equal_one_batch(make_store: Callable[..., Any], seed: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Readings arriving in 9 uneven batches (late ones included) end as one batch would."""
    calls: list[str] = []
    real = derive_mod._derive_one

    def counting(readings: pd.DataFrame, meter: Any, timezone: str) -> Any:
        calls.append(meter.meter_id)
        return real(readings, meter, timezone)

    monkeypatch.setattr(derive_mod, "_derive_one", counting)
    park = _park()
    rows = _readings(seed)
    streamed = make_store("streamed")
    streamed.save_park(park)
    cuts = np.sort(np.random.default_rng(seed).choice(np.arange(1, len(rows)), 8,
                                                      replace=False))
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(rows)], strict=True):
        _insert(streamed, park, rows.iloc[lo:hi])
    for meter_id in ("r15", "rated", "hourly", "wrap", "tot"):
        _assert_same(streamed, park, meter_id)
    # Clean registers never went through the per-meter route after their first batch.
    rederived = {m: calls.count(m) for m in set(calls)}
    assert rederived.get("tot", 0) >= 2  # interval-energy meters: always per meter


def test_clean_registers_append_without_rereading_history(make_store: Callable[..., Any],
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    park = _park()
    store = make_store()
    store.save_park(park)
    rng = np.random.default_rng(7)
    rows = pd.concat([_series(rng, m, 300, "none") for m in ("r15", "hourly")],
                     ignore_index=True)
    rows = rows.assign(arrival=np.arange(len(rows))).sort_values(["ts", "arrival"])
    seen: list[dict[str, int] | None] = []
    real = store.readings_frame

    def spy(park_id: str, meter_ids: Any, *, after_seq: Any = None) -> pd.DataFrame:
        seen.append(dict(after_seq) if after_seq else None)
        return real(park_id, meter_ids, after_seq=after_seq)

    monkeypatch.setattr(store, "readings_frame", spy)
    bounds = np.linspace(0, len(rows), 7).astype(int)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        _insert(store, park, rows.iloc[lo:hi])
    # First batch: whole history (no state yet); later ones only readings after the state.
    assert seen[0] is None
    assert all(s is not None for s in seen[1:]), seen
    states = store.derive_states(park.park_id, ["r15", "hourly"]).set_index("meter_id")
    assert states["appendable"].all()
    assert int(states.loc["hourly", "step_ns"]) == 3_600_000_000_000
    for meter_id in ("r15", "hourly"):
        _assert_same(store, park, meter_id)


def test_append_then_late_reading_falls_back_to_full(make_store: Callable[..., Any]) -> None:
    """A reading older than the state's last one re-derives the whole meter, exactly."""
    park = _park()
    store = make_store()
    store.save_park(park)
    rows = _series(np.random.default_rng(3), "r15", 200, "none")
    rows = rows.assign(arrival=np.arange(len(rows)))
    held = rows.iloc[[50]]
    _insert(store, park, rows.drop(index=50))
    before = store.intervals(park.park_id, ["r15"])
    assert before["estimated"].sum() == 2  # the hole around row 50 is spread (gap)
    _insert(store, park, held)
    after = store.intervals(park.park_id, ["r15"])
    assert not after["estimated"].any()
    expected = np.round(np.diff(rows["value"].to_numpy()), 6)
    np.testing.assert_array_equal(after["energy"].to_numpy(), expected)
    _assert_same(store, park, "r15")


def test_vectorised_sentinel_test_matches_the_register_rule() -> None:
    from zeropark.ingest.counters import SENTINELS, _is_sentinel

    refs = np.array(SENTINELS)
    v = np.concatenate([refs, -refs, refs * (1 + 5e-13), refs * (1 - 5e-13), refs * (1 + 3e-12),
                        refs + 1.0, [0.0, 1.5, 65534.0, 1e30]])
    np.testing.assert_array_equal(_routes._sentinel(v), _is_sentinel(v))
    assert _routes._sentinel(refs).all()
    assert not _routes._sentinel(np.array([0.0, 1.5, 65534.0, 1e30])).any()


@pytest.mark.parametrize(("zone", "around"), [
    ("Europe/London", "2024-03-31 01:00"), ("Australia/Lord_Howe", "2024-04-06 15:00"),
    ("Asia/Kathmandu", "2024-01-01"), ("America/St_Johns", "2024-11-03 03:30"),
    ("Europe/Amsterdam", "1937-06-30 23:40:28"),  # +00:19:32 -> +00:20, inside a slot
])
def test_local_wall_time_by_slots_equals_pandas(zone: str, around: str) -> None:
    from zeropark.ingest.rollups import local_wall_ns

    rng = np.random.default_rng(1)
    centre = pd.Timestamp(around, tz="UTC").as_unit("ns").value
    t = np.sort(centre + rng.integers(-2 * 86_400, 2 * 86_400, 5000) * 1_000_000_000)
    t = np.r_[t, centre - 1, centre, centre + 1]
    expected = pd.DatetimeIndex(t.view("datetime64[ns]")).tz_localize("UTC").tz_convert(
        zone).tz_localize(None).as_unit("ns").asi8
    np.testing.assert_array_equal(local_wall_ns(t, zone), expected)


@pytest.mark.parametrize("seed", range(4))
def test_one_file_derived_while_storing_equals_the_reference(
        make_store: Callable[..., Any], tmp_path: Any, seed: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``ingest_file`` derives clean registers from the rows it stores, not read back."""
    from zeropark.ingest.load import ingest_file

    park = _park()
    rng = np.random.default_rng(seed)
    damage = {"r15": "none", "hourly": "none", "rated": str(rng.choice(DAMAGE)),
              "wrap": str(rng.choice(DAMAGE)), "tot": "none"}
    rows = pd.concat([_series(rng, m, 300, d) for m, d in damage.items()], ignore_index=True)
    rows = rows.drop(columns="late", errors="ignore").sort_values("ts", kind="stable")
    path = tmp_path / "readings.csv"
    pd.DataFrame({"meter_id": rows["meter_id"],
                  "timestamp": pd.DatetimeIndex(rows["ts"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "value": rows["value"].map(repr),
                  "unit": np.where(rows["meter_id"] == "hourly", "m3", "kWh")}
                 ).to_csv(path, index=False)
    store = make_store()
    read_back: list[str] = []
    real = store.readings_frame

    def spy(park_id: str, meter_ids: Any, *, after_seq: Any = None) -> pd.DataFrame:
        read_back.extend(meter_ids)
        return real(park_id, meter_ids, after_seq=after_seq)

    monkeypatch.setattr(store, "readings_frame", spy)
    report = ingest_file(store, park, path)
    assert report.n_new == len(rows)
    for meter_id in ("r15", "rated", "hourly", "wrap", "tot"):
        _assert_same(store, park, meter_id)
    assert "tot" in read_back  # not a register: always read back
    assert not {"r15", "hourly"} & set(read_back), read_back  # clean: derived while stored


def test_many_decimal_register_with_a_reset_streams_bit_exact(
        make_store: Callable[..., Any]) -> None:
    """After a reset the sequential pass sums a cleaned curve: such a meter is re-derived,
    never appended, so streamed and one-batch results agree to the last bit."""
    park = _park()
    rng = np.random.default_rng(11)
    n = 600
    v = 1e6 + np.cumsum(rng.gamma(2.0, 2.5, n) + rng.random(n) * 1e-7)
    v[300:] = v[300:] - v[300] + 0.123456789
    rows = pd.DataFrame({"ts": pd.date_range("2024-01-01", periods=n, freq="15min", tz="UTC"),
                         "value": v, "meter_id": "r15"}).assign(arrival=np.arange(n))
    once, streamed = make_store("once"), make_store("streamed")
    for store in (once, streamed):
        store.save_park(park)
    _insert(once, park, rows)
    for lo in range(0, n, 50):
        _insert(streamed, park, rows.iloc[lo:lo + 50])
    assert not streamed.derive_states("p", ["r15"])["appendable"].any()
    a, b = once.intervals("p", ["r15"]), streamed.intervals("p", ["r15"])
    np.testing.assert_array_equal(a["energy"].to_numpy(), b["energy"].to_numpy())
    _assert_same(streamed, park, "r15")


def test_day_rollups_where_clocks_go_back_across_midnight() -> None:
    """America/St_Johns, 2008-11-02: 00:01 NDT became 23:01 NST of the day before."""
    from zeropark.ingest.rollups import rollup_arrays

    starts = pd.date_range("2008-11-01 12:00", periods=96, freq="15min", tz="UTC")
    r = rollup_arrays(np.zeros(96, "int64"), starts.as_unit("ns").asi8, np.full(96, 0.25),
                      np.zeros(96, bool), timezone="America/St_Johns")
    days = pd.DatetimeIndex(r["day"].start)
    assert days.is_unique
    assert r["day"].energy.sum() == pytest.approx(24.0)
    assert int(r["day"].n_intervals.sum()) == 96


def test_a_series_no_grid_fits_gets_a_finding_not_an_error(make_store: Callable[..., Any]
                                                             ) -> None:
    park = _park()
    store = make_store()
    store.save_park(park)
    stamps = pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 00:15", "2024-01-01 05:15",
                               "2024-01-01 12:15"], tz="UTC")
    tot = pd.DataFrame({"ts": stamps, "value": [1.0, 2.0, 3.0, 4.0], "meter_id": "tot"})
    reg = _series(np.random.default_rng(2), "r15", 40, "none")
    rows = pd.concat([tot, reg], ignore_index=True).assign(arrival=lambda f: np.arange(len(f)))
    _insert(store, park, rows)
    found = store.quality_issues("p")
    bad = found[found["code"] == "underivable_series"]
    assert bad["meter_id"].tolist() == ["tot"]
    assert store.intervals("p", ["tot"]).empty
    assert len(store.intervals("p", ["r15"])) == 39
    assert len(store.readings("p", "tot")) == 4  # nothing acknowledged is lost
