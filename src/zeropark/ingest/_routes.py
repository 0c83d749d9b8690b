"""Vectorised derivation routes of :func:`zeropark.ingest.derive.rederive` (private).

Arrays of many meters' readings (``_Batch``), the clean-register test and its intervals,
the append route with the rollups it touches, and the collection of derived rows for one
``write_derived`` call. The rules and why the results equal the per-meter route are in the
docstring of :mod:`zeropark.ingest.derive`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zeropark.ingest.counters import SENTINELS
from zeropark.ingest.rollups import (
    NS_PER_DAY,
    NS_PER_HOUR,
    Rollup,
    interval_rollups,
    local_wall_ns,
    month_start_ns,
    round_energy,
    year_start_ns,
)
from zeropark.model import Meter, MeterKind, Park
from zeropark.store.base import TimeseriesStore
from zeropark.units import conversion_factor

#: Interval lengths the grid may take (finest first).
_STEPS = (pd.Timedelta(minutes=15), pd.Timedelta(hours=1), pd.Timedelta(days=1))
_STEP_NS = np.array([int(s.value) for s in _STEPS], "int64")
#: Readings :func:`register_to_intervals` may look ahead for a dropout's return (its default).
DROPOUT_WINDOW = 4
#: Factor on rated power · Δt above which a register increase is implausible (its default).
SPIKE_TOLERANCE = 1.5


@dataclass(frozen=True, slots=True)
class DeriveState:
    """What the last derivation of a meter leaves for the next one.

    Attributes
    ----------
    last_seq : int
        Largest ``seq`` of the readings derived.
    last_ts : int
        Time of the last reading, ns since the UTC epoch.
    last_value : float
        Its value. [canonical unit]
    step_ns, nominal_ns : int
        Interval length used and the median reading spacing. [ns]
    appendable : bool
        True when readings that continue the register one step at a time can be
        derived alone: a ``total_increasing`` meter whose readings sit on its grid
        (``nominal_ns == step_ns``, last reading on a grid bound), no interval ever
        unknown (so no gap was filled from a profile that new data would change), and
        no finding within the last ``DROPOUT_WINDOW + 1`` readings (no rule is waiting
        for readings ahead). Adding readings that keep every spacing equal to the
        median leaves the median, and so the grid, unchanged.
    """

    last_seq: int
    last_ts: int
    last_value: float
    step_ns: int
    nominal_ns: int
    appendable: bool


def _register_scale(meter: Meter) -> float | None:
    if not meter.register_max:
        return None
    return float(meter.register_max * conversion_factor(meter.unit, meter.quantity))


# -- many meters ------------------------------------------------------------------------
@dataclass(slots=True)
class _Batch:
    """Readings of many meters as arrays, grouped by meter code, in ``seq`` order."""

    code: np.ndarray
    t: np.ndarray
    v: np.ndarray
    ingested: np.ndarray
    seq: np.ndarray
    #: ``np.diff(v)``, kept by :func:`_clean_segments` for :func:`_clean_intervals`.
    dv: np.ndarray | None = None

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, codes: dict[str, int]) -> _Batch:
        ids = frame["meter_id"]
        cat = ids.astype("category") if not isinstance(ids.dtype, pd.CategoricalDtype) else ids
        lookup = np.array([codes[str(c)] for c in cat.cat.categories], "int64")
        code = lookup[cat.cat.codes.to_numpy()] if len(lookup) else np.empty(0, "int64")
        return cls(code, frame["ts"].to_numpy("int64"), frame["value"].to_numpy("float64"),
                   frame["ingested_at"].to_numpy("int64"), frame["seq"].to_numpy("int64"))

    def segments(self) -> tuple[np.ndarray, np.ndarray]:
        """First row and end (exclusive) of each meter's rows."""
        if not len(self.code):
            return np.empty(0, "int64"), np.empty(0, "int64")
        first = np.flatnonzero(np.r_[True, self.code[1:] != self.code[:-1]])
        return first, np.r_[first[1:], len(self.code)]


@dataclass(frozen=True, slots=True)
class _Params:
    """Per meter code: what the clean-register test needs (arrays indexed by code)."""

    register: np.ndarray
    fixed_step: np.ndarray
    register_max: np.ndarray
    rated: np.ndarray

    @classmethod
    def of(cls, meters: Sequence[Meter]) -> _Params:
        scale = [_register_scale(m) for m in meters]
        return cls(
            np.array([m.kind == MeterKind.TOTAL_INCREASING for m in meters], bool),
            np.array([int(m.resolution.value) if m.resolution is not None else 0
                      for m in meters], "int64"),
            np.array([s if s is not None else np.inf for s in scale], "float64"),
            np.array([m.rated_power_kw if m.rated_power_kw is not None else np.nan
                      for m in meters], "float64"),
        )


_SENTINEL_REFS = np.array(sorted(SENTINELS), "float64")


def _sentinel(v: np.ndarray) -> np.ndarray:
    """The sentinel test of :func:`register_to_intervals`, vectorised.

    Only values near an integer from 65,535 up, or beyond 10¹⁵ (where the 1e-12 tolerance
    exceeds 1), can match; those few are compared with their nearest sentinels.
    """
    mag = np.abs(v)
    with np.errstate(invalid="ignore"):
        cand = np.flatnonzero((mag > 65534.99) & ((np.abs(mag - np.rint(mag)) < 0.01)
                                                  | (mag > 1e15)))
    out = np.zeros(len(v), bool)
    if not len(cand):
        return out
    m = mag[cand]
    above = np.clip(np.searchsorted(_SENTINEL_REFS, m), 0, len(_SENTINEL_REFS) - 1)
    below = np.clip(above - 1, 0, len(_SENTINEL_REFS) - 1)
    hit = np.zeros(len(m), bool)
    for ref in (_SENTINEL_REFS[above], _SENTINEL_REFS[below]):
        hit |= np.abs(m - ref) <= 1e-12 * ref
    out[cand] = hit
    return out


def _clean_segments(b: _Batch, p: _Params, step: np.ndarray | None = None) -> np.ndarray:
    """Which meters' rows form one clean register run (bool per segment).

    Clean: a register of at least two readings in increasing time order, spaced exactly
    one grid step (15 min, 1 h or 1 d; the meter's resolution if configured; `step` per
    segment if given), starting on a grid bound, every value valid (finite, ≥ 0, ≤ the
    register maximum, no sentinel) and every increase ≥ 0 and within
    ``rated power · Δt · SPIKE_TOLERANCE``. :func:`derive_meter` turns such a run into one
    interval per pair of readings, energy = the difference, no flag, no finding; the
    comparisons below are the ones it makes, so the results are bit-identical.
    """
    first, end = b.segments()
    n_seg = len(first)
    if not n_seg:
        return np.zeros(0, bool)
    code_seg = b.code[first]
    has_pair = end - first >= 2
    ok = p.register[code_seg] & has_pair
    d_seg = np.zeros(n_seg, "int64")
    d_seg[has_pair] = b.t[first[has_pair] + 1] - b.t[first[has_pair]]
    if step is None:
        ok &= np.isin(d_seg, _STEP_NS)
        fixed = p.fixed_step[code_seg]
        ok &= (fixed == 0) | (fixed == d_seg)
    else:
        ok &= d_seg == step
    ok &= b.t[first] % np.where(d_seg > 0, d_seg, 1) == 0
    v = b.v
    bad_row = ~np.isfinite(v)
    bad_row |= v < 0
    if np.isfinite(p.register_max).any():
        bad_row |= v > p.register_max[b.code]
    bad_row |= _sentinel(v)
    dt = np.diff(b.t)
    d = b.dv = np.diff(v)
    # Pairs across two meters (the last row of each segment) must not count: give them
    # the segment's own spacing and a zero increase.
    cross = end[:-1] - 1
    dt[cross] = d_seg[:-1]
    bad_pair = d < 0
    bad_pair[cross] = False
    if np.isfinite(p.rated).any():
        with np.errstate(invalid="ignore"):
            lim = p.rated[b.code[:-1]] * dt / NS_PER_HOUR
            spike = d > lim * SPIKE_TOLERANCE
        spike[cross] = False
        bad_pair |= spike
    bad = np.logical_or.reduceat(bad_row, first)
    if len(dt):
        pad = np.r_[bad_pair, False]
        bad |= np.logical_or.reduceat(pad, first)
        # Constant spacing: the largest and smallest spacing of the segment are both d_seg.
        dtp = np.r_[dt, 0]
        dtp[end - 1] = d_seg  # the last row has no pair of its own
        bad |= (np.maximum.reduceat(dtp, first) != d_seg) | (np.minimum.reduceat(dtp, first)
                                                              != d_seg)
    return np.asarray(ok & ~bad)


def _clean_intervals(b: _Batch, keep_rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """Intervals of clean runs: (code, start, energy) for each pair within kept segments."""
    pair = keep_rows[:-1] & (b.code[1:] == b.code[:-1])
    dv = b.dv if b.dv is not None else np.diff(b.v)
    energy = round_energy(np.maximum(dv[pair], 0.0))
    return b.code[:-1][pair], b.t[:-1][pair], energy


@dataclass(frozen=True, slots=True)
class _CleanRuns:
    """The clean-register part of a batch: intervals and the states the runs leave."""

    code: np.ndarray
    start: np.ndarray
    duration_s: np.ndarray
    energy: np.ndarray
    states: dict[int, DeriveState]


def _clean_runs(b: _Batch, p: _Params, n_codes: int,
                step: np.ndarray | None = None) -> _CleanRuns:
    """Test every meter's rows of `b` (:func:`_clean_segments`) and derive the clean ones.

    Each clean meter leaves an appendable :class:`DeriveState` whose ``last_seq`` is the
    largest ``seq`` of its rows in `b`.
    """
    first, end = b.segments()
    clean = _clean_segments(b, p, step)
    code, start, energy = _clean_intervals(b, np.repeat(clean, end - first))
    if step is None:
        step = b.t[np.minimum(first + 1, len(b.t) - 1)] - b.t[first] if len(first) else first
    step_s = np.zeros(n_codes, "int32")
    step_s[b.code[first[clean]]] = step[clean] // 1_000_000_000
    states = {int(b.code[a]): DeriveState(int(b.seq[a:z].max()), int(b.t[z - 1]),
                                          float(b.v[z - 1]), int(st), int(st), True)
              for a, z, st in zip(first[clean], end[clean], step[clean], strict=True)}
    return _CleanRuns(code, start, step_s[code], energy, states)


@dataclass(slots=True)
class _Out:
    """Derived rows collected for one write (flags as codes into ``flag_names``)."""

    code: list[np.ndarray]
    start: list[np.ndarray]
    duration_s: list[np.ndarray]
    energy: list[np.ndarray]
    estimated: list[np.ndarray]
    flags: list[np.ndarray]
    flag_names: dict[str, int]

    @classmethod
    def new(cls) -> _Out:
        return cls([], [], [], [], [], [], {"": 0})

    def add(self, code: np.ndarray, start: np.ndarray, duration_s: np.ndarray | int,
            energy: np.ndarray, estimated: np.ndarray | None = None,
            flags: pd.Series | None = None) -> None:
        n = len(code)
        self.code.append(np.asarray(code, "int64"))
        self.start.append(np.asarray(start, "int64"))
        self.duration_s.append(np.broadcast_to(np.asarray(duration_s, "int32"), (n,)))
        self.energy.append(np.asarray(energy, "float64"))
        self.estimated.append(np.zeros(n, bool) if estimated is None
                              else np.asarray(estimated, bool))
        if flags is None:
            self.flags.append(np.zeros(n, "int32"))
        else:
            names, inverse = np.unique(flags.astype(str).to_numpy(), return_inverse=True)
            lookup = np.array([self.flag_names.setdefault(str(f), len(self.flag_names))
                               for f in names], "int32")
            self.flags.append(lookup[inverse] if len(names) else np.zeros(0, "int32"))

    def arrays(self) -> tuple[np.ndarray, ...]:
        """All rows sorted by (code, start).

        Every part is sorted by (code, start) and holds each of its codes in one run, and
        no code is in two parts; so the runs are put in code order, not the rows sorted.
        """
        if not self.code:
            e = np.empty(0, "int64")
            return e, e, e.astype("int32"), e.astype(float), e.astype(bool), e.astype("int32")
        parts = list(zip(self.code, self.start, self.duration_s, self.energy, self.estimated,
                         self.flags, strict=True))
        if len(parts) == 1:
            return tuple(np.ascontiguousarray(c) for c in parts[0])
        runs: list[tuple[int, int, int, int]] = []
        for j, code in enumerate(self.code):
            if len(code):
                first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
                ends = np.r_[first[1:], len(code)]
                runs.extend((int(code[a]), j, int(a), int(b))
                            for a, b in zip(first, ends, strict=True))
        runs.sort()
        return tuple(np.concatenate([parts[j][c][a:b] for _, j, a, b in runs])
                     if runs else parts[0][c][:0] for c in range(6))


def _append(store: TimeseriesStore, park: Park, ids: list[str], codes: dict[str, int],
            params: _Params, prior: dict[int, DeriveState], out: _Out,
            states: dict[int, DeriveState]) -> set[int]:
    """Derive the meters whose new readings continue an appendable state; their codes."""
    candidates = {k: s for k, s in prior.items() if s.appendable}
    if not candidates:
        return set()
    new = _Batch.from_frame(store.readings_frame(
        park.park_id, [ids[k] for k in sorted(candidates)],
        after_seq={ids[k]: s.last_seq for k, s in candidates.items()}), codes)
    first, end = new.segments()
    seg_code = new.code[first]
    # Appendable meters without new readings are up to date already.
    done = set(candidates) - set(seg_code.tolist())
    if not len(first):
        return done
    # Put each state's last reading in front of its meter's new rows and test the run.
    last_t = np.array([candidates[int(k)].last_ts for k in seg_code], "int64")
    last_v = np.array([candidates[int(k)].last_value for k in seg_code], "float64")
    step = np.array([candidates[int(k)].step_ns for k in seg_code], "int64")
    aug = _Batch(np.insert(new.code, first, seg_code), np.insert(new.t, first, last_t),
                 np.insert(new.v, first, last_v), np.insert(new.ingested, first, 0),
                 np.insert(new.seq, first, -1))
    runs = _clean_runs(aug, params, len(ids), step)
    out.add(runs.code, runs.start, runs.duration_s, runs.energy)
    states.update(runs.states)
    done.update(runs.states)
    return done


def _append_rollups(store: TimeseriesStore, park: Park, ids: list[str],
                    codes: dict[str, int], code: np.ndarray, start: np.ndarray,
                    energy: np.ndarray, estimated: np.ndarray) -> dict[str, Rollup]:
    """Hour/day/month/year rollups touched by appended intervals (rows sorted by code, start).

    The hour and day sums are recomputed from every interval of the touched hours and days
    (stored ones plus new), months from their stored and recomputed days, years from their
    stored and recomputed months — the same inputs in the same order as a derivation from
    scratch.
    """
    tz = park.timezone
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else code
    seg_code = code[first]
    s0 = start[first]
    names = [ids[int(k)] for k in seg_code]
    s0_of = dict(zip(seg_code.tolist(), s0.tolist(), strict=True))
    old = store.intervals(park.park_id, names,
                          start=pd.Timestamp(int(s0.min()) - 2 * NS_PER_DAY, tz="UTC"))
    o_code = np.array([codes[str(m)] for m in old["meter_id"]], "int64")
    o_start = pd.DatetimeIndex(old["interval_start"]).as_unit("ns").asi8
    before = o_start < np.array([s0_of.get(int(k), 0) for k in o_code], "int64")
    o_keep = before & np.isin(o_code, seg_code)
    all_code = np.concatenate([o_code[o_keep], code])
    all_start = np.concatenate([o_start[o_keep], start])
    all_energy = np.concatenate([old["energy"].to_numpy("float64")[o_keep], energy])
    all_est = np.concatenate([old["estimated"].to_numpy(bool)[o_keep], estimated])
    order = np.lexsort((all_start, all_code))
    hours, days = interval_rollups(all_code[order], all_start[order], all_energy[order],
                                   all_est[order], timezone=tz)
    s0_row = np.array([s0_of[int(k)] for k in hours.code], "int64")
    hours = hours.select(hours.start >= s0_row - s0_row % NS_PER_HOUR)
    s0_local = dict(zip(seg_code.tolist(), local_wall_ns(s0, tz).tolist(), strict=True))
    day0 = {k: v - v % NS_PER_DAY for k, v in s0_local.items()}
    days = days.select(days.start >= np.array([day0[int(k)] for k in days.code], "int64"))
    month0 = {k: int(month_start_ns(np.array([v]))[0]) for k, v in day0.items()}
    year0 = {k: int(year_start_ns(np.array([v]))[0]) for k, v in day0.items()}
    stored_days = _stored(store, park, "day", names, codes, min(month0.values()))
    stored_days = stored_days.select(
        (stored_days.start >= np.array([month0[int(k)] for k in stored_days.code], "int64"))
        & (stored_days.start < np.array([day0[int(k)] for k in stored_days.code], "int64")))
    month_days = Rollup.concat([stored_days, days]).sorted()
    months = month_days.coarser(month_start_ns(month_days.start))
    stored_months = _stored(store, park, "month", names, codes, min(year0.values()))
    stored_months = stored_months.select(
        (stored_months.start >= np.array([year0[int(k)] for k in stored_months.code], "int64"))
        & (stored_months.start < np.array([month0[int(k)] for k in stored_months.code],
                                          "int64")))
    year_months = Rollup.concat([stored_months, months]).sorted()
    years = year_months.coarser(year_start_ns(year_months.start))
    return {"hour": hours, "day": days, "month": months, "year": years}


def _stored(store: TimeseriesStore, park: Park, period: str, names: list[str],
            codes: dict[str, int], since: int) -> Rollup:
    frame = store.rollups(park.park_id, period, start=pd.Timestamp(since), meter_ids=names)
    if frame.empty:
        return Rollup.empty()
    return Rollup(
        np.array([codes[str(m)] for m in frame["meter_id"]], "int64"),
        pd.DatetimeIndex(frame["period_start"]).as_unit("ns").asi8,
        frame["energy"].to_numpy("float64"), frame["estimated_energy"].to_numpy("float64"),
        frame["n_intervals"].to_numpy("int64"), frame["n_missing"].to_numpy("int64"),
    ).sorted()


def _rollup_frame(rollups: dict[str, Rollup], ids: list[str]) -> pd.DataFrame:
    frames = [pd.DataFrame({
        "meter_id": pd.Categorical.from_codes(r.code, categories=pd.Index(ids)),
        "period": period, "period_start": r.start, "energy": r.energy,
        "estimated_energy": r.estimated_energy, "n_intervals": r.n_intervals,
        "n_missing": r.n_missing,
    }, copy=False) for period, r in rollups.items()]
    if not frames:
        return pd.DataFrame({"meter_id": pd.Categorical([], categories=ids), "period": [],
                             "period_start": np.empty(0, "int64"), "energy": [],
                             "estimated_energy": [], "n_intervals": [], "n_missing": []})
    return pd.concat(frames, ignore_index=True)
