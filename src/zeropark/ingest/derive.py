"""From stored raw readings to interval energy, rollups and quality findings.

This is the pipeline layer over the pure functions in
:mod:`zeropark.ingest.counters` and :mod:`zeropark.ingest.intervals`.
:func:`rederive` brings a set of meters up to date by one of three routes, which give
identical stored results (tested against each other):

append
    The meter's last derivation left it *appendable* (a register on its own grid with a
    settled tail, see :class:`DeriveState`) and the new readings simply continue it: one
    reading per grid step, none missing, valid, increasing within the rated power. Only
    the new intervals and the hour/day/month/year rollups they touch are computed, so the
    cost of a live update does not grow with the meter's history.
clean register, vectorised
    A register whose whole history is such a clean run is derived for all meters at
    once with array arithmetic (bulk file loads). :func:`prepare_fresh` does it on the
    rows of one file while the store writes them; :func:`rederive` then uses that for the
    meters whose stored history is exactly those rows.
per meter
    Everything else — resets, rollovers, gaps, duplicates, late readings, interval-energy
    and power meters — goes through :func:`derive_meter` on all readings of the meter, so
    a late, duplicate or corrected reading changes exactly the intervals and rollups it
    affects and nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from zeropark.errors import InputError
from zeropark.ingest._routes import (
    _STEPS,
    DROPOUT_WINDOW,
    SPIKE_TOLERANCE,
    DeriveState,
    _append,
    _append_rollups,
    _Batch,
    _clean_runs,
    _Out,
    _Params,
    _register_scale,
    _rollup_frame,
)
from zeropark.ingest.counters import register_to_intervals
from zeropark.ingest.intervals import (
    dedupe_readings,
    fill_gaps_profile,
    power_to_intervals,
    total_to_intervals,
)
from zeropark.ingest.rollups import PERIODS, Rollup, rollup_arrays, round_energy
from zeropark.issues import Issue, IssueCode, Severity
from zeropark.model import Meter, MeterKind, Park
from zeropark.store.base import TimeseriesStore
from zeropark.store.duckdb import issues_frame

__all__ = ["BASE_RESOLUTION", "DROPOUT_WINDOW", "SPIKE_TOLERANCE", "ZERO_RUN_FLAG_HOURS",
           "ZERO_RUN_GAP_MIN", "DeriveState", "FreshRows", "derive_meter", "infer_resolution",
           "prepare_fresh", "rederive", "rollup_intervals"]

#: Grid of the interval table (15 minutes); coarser data keep their own spacing.
BASE_RESOLUTION = pd.Timedelta(minutes=15)
#: Electricity: a run of this many zero intervals (or more) is missing data (see README).
ZERO_RUN_GAP_MIN = 1
#: Gas and heat: zero runs of 24 hours or more are flagged as undecided (kept as measured).
ZERO_RUN_FLAG_HOURS = 24
_STATE_COLUMNS = ("meter_id", "last_seq", "last_ts", "last_value", "step_ns", "nominal_ns",
                  "appendable")


def infer_resolution(ts: pd.DatetimeIndex, meter: Meter) -> pd.Timedelta:
    """Interval length for a meter: its configured resolution, else from the data.

    The 15-minute grid is used for data at 15 minutes or finer; data with a
    coarser median spacing keep it (1 h, 1 d): energy is never spread finer than
    it was measured.

    Parameters
    ----------
    ts : pandas.DatetimeIndex
        Reading times, sorted.
    meter : Meter
        The meter (its ``resolution`` wins when set).

    Returns
    -------
    pandas.Timedelta
        15 min, 1 h or 1 d.
    """
    if meter.resolution is not None:
        return meter.resolution
    if len(ts) < 2:
        return BASE_RESOLUTION
    spacing = pd.Timedelta(np.median(np.diff(ts.asi8)), unit="ns")
    for step in _STEPS:
        if spacing <= step:
            return step
    return _STEPS[-1]


def _derive_one(readings: pd.DataFrame, meter: Meter, timezone: str
                ) -> tuple[pd.DataFrame, tuple[Issue, ...], DeriveState | None]:
    """:func:`derive_meter` plus the :class:`DeriveState` it leaves (None without readings)."""
    if readings.empty:
        return _empty_intervals(), (), None
    ts, values, issues = dedupe_readings(
        pd.DatetimeIndex(readings["ts"]), readings["value"].to_numpy(dtype="float64"),
        ingested_at=readings["ingested_at"].to_numpy(), order=readings["seq"].to_numpy(),
        subject=meter.meter_id,
    )
    resolution = infer_resolution(ts, meter)
    found: list[Issue] = list(issues)
    if meter.kind == MeterKind.TOTAL_INCREASING:
        frame, more = register_to_intervals(
            ts, values, resolution=resolution, register_max=_register_scale(meter),
            rated_power=meter.rated_power_kw, dropout_window=DROPOUT_WINDOW,
            spike_tolerance=SPIKE_TOLERANCE, subject=meter.meter_id,
        )
    elif meter.kind == MeterKind.TOTAL:
        steps_per_day = pd.Timedelta(days=1) / resolution
        frame, more = total_to_intervals(
            ts, values, resolution=resolution,
            zero_run_gap_min=ZERO_RUN_GAP_MIN if meter.zero_policy == "gap" else None,
            zero_run_flag_min=(max(1, int(steps_per_day * ZERO_RUN_FLAG_HOURS / 24))
                               if meter.zero_policy == "flag" else None),
            subject=meter.meter_id,
        )
    else:
        frame, more = power_to_intervals(ts, values, resolution=resolution,
                                         subject=meter.meter_id)
    found.extend(more)
    unknown = bool(frame["energy"].isna().any())
    if unknown:
        frame, filled = fill_gaps_profile(frame, tz=timezone, subject=meter.meter_id)
        found.extend(filled)
    frame = frame.assign(duration_s=int(resolution.total_seconds()),
                         energy=round_energy(frame["energy"].to_numpy()))
    t = ts.asi8
    step = int(resolution.value)
    nominal = int(np.median(np.diff(t))) if len(t) > 1 else 0
    tail = DROPOUT_WINDOW + 2
    settled = len(t) >= tail and not any(
        _issue_end_ns(i) >= t[-tail] for i in found)
    # Appending computes an interval as the difference of two readings; the sequential
    # pass (after a reset, rollover, dropout, spike or jump) sums a cleaned curve instead,
    # whose float rounding may differ in the last place, so such a meter is re-derived.
    settled = settled and not any(i.code in _SEQUENTIAL for i in found) and not _at_max(
        values, meter)
    state = DeriveState(
        last_seq=int(readings["seq"].max()), last_ts=int(t[-1]), last_value=float(values[-1]),
        step_ns=step, nominal_ns=nominal,
        appendable=(meter.kind == MeterKind.TOTAL_INCREASING and nominal == step
                    and t[-1] % step == 0 and not unknown and settled),
    )
    return (frame[["interval_start", "duration_s", "energy", "estimated", "flags"]],
            tuple(found), state)


#: Findings of :func:`register_to_intervals` that mean its sequential pass ran.
_SEQUENTIAL = frozenset({IssueCode.COUNTER_RESET, IssueCode.COUNTER_ROLLOVER,
                         IssueCode.COUNTER_DROPOUT, IssueCode.COUNTER_JUMP, IssueCode.SPIKE,
                         IssueCode.UNCONFIRMED_DROP, IssueCode.METER_REPLACEMENT})


def _at_max(values: np.ndarray, meter: Meter) -> bool:
    """Whether a reading equals the register maximum (which also takes the sequential pass)."""
    top = _register_scale(meter)
    if top is None or meter.kind != MeterKind.TOTAL_INCREASING:
        return False
    return bool(np.any(np.abs(values - top) <= 1e-12 * max(abs(top), 1.0)))


def _issue_end_ns(issue: Issue) -> int:
    stamp = issue.end or issue.start
    return int(pd.Timestamp(stamp).value) if stamp else 0


def derive_meter(readings: pd.DataFrame, meter: Meter, *, timezone: str
                 ) -> tuple[pd.DataFrame, tuple[Issue, ...]]:
    """Interval energy of one meter from all its raw readings.

    Parameters
    ----------
    readings : pandas.DataFrame
        Raw readings as returned by ``TimeseriesStore.readings``: ``ts``
        (tz-aware UTC), ``value`` (canonical unit), ``ingested_at``, ``seq``.
    meter : Meter
        The meter; its kind selects the method (register, interval energy, power).
    timezone : str
        Park zone, for the local hour-of-week profile used to fill gaps.

    Returns
    -------
    intervals : pandas.DataFrame
        ``interval_start`` (UTC), ``duration_s``, ``energy`` (canonical unit, rounded to
        :data:`zeropark.ingest.rollups.ENERGY_DECIMALS` places), ``estimated``, ``flags``.
    issues : tuple of Issue
    """
    frame, issues, _ = _derive_one(readings, meter, timezone)
    return frame, issues


def rollup_intervals(intervals: pd.DataFrame, *, timezone: str) -> pd.DataFrame:
    """Rollups of one meter's intervals per UTC hour and local day, month and year.

    Parameters
    ----------
    intervals : pandas.DataFrame
        As returned by :func:`derive_meter`.
    timezone : str
        The park's IANA zone; days, months and years are its local calendar
        (an interval belongs to the local period in which it starts).

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (hour, day, month, year), ``period_start`` (naive:
        UTC for hours, local midnight otherwise), ``energy`` (sum of known
        energy, canonical unit), ``estimated_energy`` (the estimated part of
        it), ``n_intervals``, ``n_missing`` (intervals with unknown energy); built
        as described in :mod:`zeropark.ingest.rollups`.

    Examples
    --------
    A local day in Europe/London has 25 hourly intervals on the autumn change:

    >>> starts = pd.date_range("2022-10-30 00:00", "2022-10-31 00:00", freq="h",
    ...                        tz="Europe/London", inclusive="left").tz_convert("UTC")
    >>> iv = pd.DataFrame({"interval_start": starts, "energy": 1.0, "estimated": False})
    >>> day = rollup_intervals(iv, timezone="Europe/London").query("period == 'day'")
    >>> int(day["n_intervals"].iloc[0]), float(day["energy"].iloc[0])
    (25, 25.0)
    """
    starts = pd.DatetimeIndex(intervals["interval_start"]).as_unit("ns").asi8
    parts = rollup_arrays(np.zeros(len(starts), "int64"), starts,
                          intervals["energy"].to_numpy(dtype="float64"),
                          intervals["estimated"].to_numpy(dtype=bool), timezone=timezone)
    frames = [pd.DataFrame({
        "period": period,
        "period_start": r.start.view("datetime64[ns]"),
        "energy": r.energy, "estimated_energy": r.estimated_energy,
        "n_intervals": r.n_intervals, "n_missing": r.n_missing,
    }) for period, r in parts.items()]
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True, slots=True)
class FreshRows:
    """Clean-register derivations of readings about to be stored by one write.

    Built by :func:`prepare_fresh` from the frame given to ``insert_readings`` (it needs no
    store, so it can run while the store writes); :func:`rederive` uses a meter's part
    only when the store holds exactly these rows of it and no earlier derivation, and
    reads everything else back from the store.
    """

    ids: tuple[str, ...]
    #: Rows per meter.
    count: dict[str, int]
    #: Clean meters only; ``last_seq`` is a placeholder until the store numbered the rows.
    states: dict[str, DeriveState]
    intervals: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    rollups: dict[str, Rollup]


def prepare_fresh(frame: pd.DataFrame, park: Park) -> FreshRows:
    """Derive the clean registers of a readings frame as if it were their whole history.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame given to ``TimeseriesStore.insert_readings``: ``meter_id``, ``ts``
        (tz-aware), ``value`` (canonical unit); rows in the order they are stored (the
        store numbers ``seq`` in that order).
    park : Park
        The park (meters, zone).

    Returns
    -------
    FreshRows
    """
    ids_col = frame["meter_id"]
    cat = (ids_col if isinstance(ids_col.dtype, pd.CategoricalDtype)
           else ids_col.astype("category"))
    names = [str(c) for c in cat.cat.categories]
    order_names = sorted(range(len(names)), key=lambda i: names[i])
    ids = tuple(names[i] for i in order_names)
    remap = np.empty(len(names), "int64")
    remap[order_names] = np.arange(len(names))
    code = remap[cat.cat.codes.to_numpy()]
    by_id = park.meters_by_id()
    if any(m not in by_id for m in ids):
        return FreshRows(ids, {}, {}, _no_intervals(), {})
    order = None if np.all(np.diff(code) >= 0) else np.argsort(code, kind="stable")
    ts = pd.DatetimeIndex(frame["ts"]).as_unit("ns").asi8
    value = frame["value"].to_numpy("float64")
    if order is not None:
        code, ts, value = code[order], ts[order], value[order]
    batch = _Batch(code, ts, value, np.zeros(len(code), "int64"), np.arange(len(code)))
    runs = _clean_runs(batch, _Params.of([by_id[m] for m in ids]), len(ids))
    rollups = rollup_arrays(runs.code, runs.start, runs.energy,
                            np.zeros(len(runs.code), bool), timezone=park.timezone)
    first, end = batch.segments()
    return FreshRows(ids, dict(zip((ids[int(k)] for k in batch.code[first]),
                                   (end - first).tolist(), strict=True)),
                     {ids[k]: state for k, state in runs.states.items()},
                     (runs.code, runs.start, runs.duration_s, runs.energy), rollups)


def _no_intervals() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    e = np.empty(0, "int64")
    return e, e, e.astype("int32"), e.astype("float64")


def _take_fresh(store: TimeseriesStore, park: Park, fresh: FreshRows, full: list[str],
                prior: dict[int, DeriveState], codes: dict[str, int]) -> dict[str, int]:
    """Meters whose fresh derivation is their whole history → their last ``seq``."""
    candidates = [m for m in full if m in fresh.states and codes[m] not in prior]
    if not candidates:
        return {}
    stats = store.query(
        "SELECT meter_id, count(*) AS n, max(seq) AS last_seq FROM readings "
        "WHERE park_id = ? AND list_contains(?, meter_id) GROUP BY meter_id",
        [park.park_id, candidates])
    return {str(m): int(q) for m, n, q in zip(stats["meter_id"], stats["n"],
                                                stats["last_seq"], strict=True)
            if int(n) == fresh.count.get(str(m), -1)}


def rederive(store: TimeseriesStore, park: Park, meter_ids: Iterable[str], *,
             fresh: FreshRows | None = None) -> int:
    """Bring the intervals, rollups, quality issues and states of meters up to date.

    Parameters
    ----------
    store : TimeseriesStore
        Where the raw readings are and the results go (one ``write_derived`` call,
        inside the caller's transaction, if any).
    park : Park
        Park model (meter definitions and time zone).
    meter_ids : iterable of str
        Physical meters whose readings changed.
    fresh : FreshRows, optional
        :func:`prepare_fresh` of the rows just stored; spares reading back meters whose
        whole history they are.

    Returns
    -------
    int
        Number of intervals written.

    Notes
    -----
    The three routes are described in the module docstring; which one a meter takes
    never changes what is stored.
    """
    by_id = park.meters_by_id()
    ids = sorted(set(meter_ids))
    if not ids:
        return 0
    codes = {m: k for k, m in enumerate(ids)}
    meters = [by_id[m] for m in ids]
    params = _Params.of(meters)
    tz = park.timezone
    out = _Out.new()
    states: dict[int, DeriveState] = {}
    issues: list[pd.DataFrame] = []

    known = store.derive_states(park.park_id, ids)
    prior = {codes[str(m)]: DeriveState(int(q), int(t), float(v), int(st), int(nm), bool(a))
             for m, q, t, v, st, nm, a in zip(*(known[c].tolist() for c in _STATE_COLUMNS),
                                             strict=True)
             if str(m) in codes}
    appended = _append(store, park, ids, codes, params, prior, out, states)
    full = [m for m in ids if codes[m] not in appended]
    taken: dict[str, int] = {}
    fresh_rollups: dict[str, Rollup] = {}
    if fresh is not None and tuple(ids) == fresh.ids:
        taken = _take_fresh(store, park, fresh, full, prior, codes)
        is_taken = np.zeros(len(ids), bool)
        is_taken[[codes[m] for m in taken]] = True
        f_code, f_start, f_dur, f_energy = fresh.intervals
        if is_taken.all():
            out.add(f_code, f_start, f_dur, f_energy)
            fresh_rollups = fresh.rollups
        elif taken:
            keep = is_taken[f_code]
            out.add(f_code[keep], f_start[keep], f_dur[keep], f_energy[keep])
            fresh_rollups = {p: r.select(is_taken[r.code]) for p, r in fresh.rollups.items()}
        for m, last_seq in taken.items():
            states[codes[m]] = replace(fresh.states[m], last_seq=last_seq)
    readback = [m for m in full if m not in taken]
    if readback:
        batch = _Batch.from_frame(store.readings_frame(park.park_id, readback), codes)
        first, end = batch.segments()
        runs = _clean_runs(batch, params, len(ids))
        out.add(runs.code, runs.start, runs.duration_s, runs.energy)
        states.update(runs.states)
        clean = np.isin(batch.code[first], list(runs.states))
        for s in np.flatnonzero(~clean):
            k = int(batch.code[first[s]])
            rows = slice(int(first[s]), int(end[s]))
            try:
                frame, found, state = _derive_one(pd.DataFrame({
                    "ts": pd.DatetimeIndex(batch.t[rows].view("datetime64[ns]"), tz="UTC"),
                    "value": batch.v[rows],
                    "ingested_at": batch.ingested[rows].view("datetime64[ns]"),
                    "seq": batch.seq[rows],
                }), meters[k], tz)
            except InputError as err:
                # Readings no grid fits must not stop a live ingest or refuse a whole
                # file: they stay stored, the meter gets a finding and no intervals.
                frame, state = _empty_intervals(), None
                found = (Issue(IssueCode.UNDERIVABLE_SERIES, Severity.ERROR,
                               f"no intervals derived: {err.message}", ids[k],
                               _iso(int(batch.t[rows][0])), _iso(int(batch.t[rows][-1])),
                               {"n_readings": int(rows.stop - rows.start)}),)
            starts = pd.DatetimeIndex(frame["interval_start"]).as_unit("ns").asi8
            out.add(np.full(len(frame), k), starts, frame["duration_s"].to_numpy("int32"),
                    frame["energy"].to_numpy(), frame["estimated"].to_numpy(bool),
                    frame["flags"])
            if found:
                issues.append(issues_frame(park.park_id, ids[k], found))
            if state is not None:
                states[k] = state
    code, start, duration, energy, estimated, flags = out.arrays()
    # Rollups: fresh meters' come ready; read-back meters' from their intervals; appended
    # meters' from the periods their new intervals touch.
    group = np.zeros(len(ids), "int8")  # 0 fresh, 1 read back, 2 appended
    group[[codes[m] for m in readback]] = 1
    group[list(appended)] = 2
    row_group = group[code]
    parts: list[dict[str, Rollup]] = [fresh_rollups] if fresh_rollups else []
    if readback:
        sel = row_group == 1
        whole = bool(sel.all())
        parts.append(rollup_arrays(code if whole else code[sel],
                                   start if whole else start[sel],
                                   energy if whole else energy[sel],
                                   estimated if whole else estimated[sel], timezone=tz))
    sel = row_group == 2
    if sel.any():
        parts.append(_append_rollups(store, park, ids, codes, code[sel], start[sel],
                                     energy[sel], estimated[sel]))
    rollups = (parts[0] if len(parts) == 1 else
               {p: Rollup.concat([part[p] for part in parts]) for p in PERIODS} if parts
               else {})
    store.write_derived(
        park.park_id, replace=full,
        intervals=pd.DataFrame({
            "meter_id": pd.Categorical.from_codes(code, categories=pd.Index(ids)),
            "interval_start": start, "duration_s": duration, "energy": energy,
            "estimated": estimated,
            "flags": pd.Categorical.from_codes(flags, categories=pd.Index(list(out.flag_names))),
        }, copy=False),
        rollups=_rollup_frame(rollups, ids),
        issues=(pd.concat(issues, ignore_index=True) if issues
                else issues_frame(park.park_id, "", ())),
        states=pd.DataFrame([(ids[k], s.last_seq, s.last_ts, s.last_value, s.step_ns,
                              s.nominal_ns, s.appendable) for k, s in sorted(states.items())],
                            columns=list(_STATE_COLUMNS)),
    )
    return len(code)


def _iso(ns: int) -> str:
    return str(pd.Timestamp(ns, tz="UTC").isoformat())


def _empty_intervals() -> pd.DataFrame:
    return pd.DataFrame({
        "interval_start": pd.Series([], dtype="datetime64[ns, UTC]"),
        "duration_s": pd.Series([], dtype="int64"),
        "energy": pd.Series([], dtype="float64"),
        "estimated": pd.Series([], dtype="bool"),
        "flags": pd.Series([], dtype="object"),
    })
