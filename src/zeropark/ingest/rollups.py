"""Sums of interval energy per UTC hour and per local day, month and year, for many meters.

The sums are built bottom-up so that a rollup never depends on how its inputs were batched:

* ``hour`` — intervals starting in the UTC hour;
* ``day`` — intervals starting in the park-local day;
* ``month`` — the ``day`` rollups of the local month;
* ``year`` — the ``month`` rollups of the local year.

Each energy sum is rounded to :data:`ENERGY_DECIMALS` places of the canonical unit
(1 mWh for kWh, 1 mL for m³). Adding a day of data therefore recomputes one day, one
month and one year from at most 96 intervals, 31 days and 12 months, and gives exactly
the numbers a derivation from scratch gives (same inputs, same order, same rounding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Decimal places kept for derived energy [canonical unit]: 1e-6 kWh = 1 mWh. Far below any
#: meter's register resolution (at best 1 Wh), it turns float noise such as
#: ``1018.01 - 1012.34 = 5.669999999999845`` back into the decimal the meter counted (5.67),
#: which is both more exact and compressible on disk.
ENERGY_DECIMALS = 6
NS_PER_HOUR = 3_600_000_000_000
NS_PER_DAY = 24 * NS_PER_HOUR
#: Rollup periods, finest first.
PERIODS = ("hour", "day", "month", "year")


#: Above this magnitude a float64 has no room for 6 decimals: values are kept as they are
#: (rounding would only perturb the last bit, and overflows near 1e302). [canonical unit]
_ROUND_LIMIT = 2.0**52 / 10**ENERGY_DECIMALS


def round_energy(x: np.ndarray) -> np.ndarray:
    """Round derived energy to :data:`ENERGY_DECIMALS` places (NaN stays NaN).

    Magnitudes of 4.5e9 or more (where a double's spacing reaches 1e-6) are returned
    unchanged.

    Examples
    --------
    >>> round_energy(np.array([1018.01 - 1012.34, 1e300, np.nan])).tolist()
    [5.67, 1e+300, nan]
    """
    x = np.asarray(x, dtype="float64")
    with np.errstate(invalid="ignore", over="ignore"):
        out: np.ndarray = np.where(np.abs(x) < _ROUND_LIMIT, np.round(x, ENERGY_DECIMALS), x)
    return out


@dataclass(frozen=True, slots=True)
class Rollup:
    """Rollups of one period for many meters (arrays of equal length, sorted by code, start).

    Attributes
    ----------
    code : numpy.ndarray
        Meter code (int64), as given to :func:`rollup_arrays`.
    start : numpy.ndarray
        Period start, int64 ns: UTC for hours, park-local wall time for the others.
    energy, estimated_energy : numpy.ndarray
        Sum of known energy and its estimated part. [canonical unit]
    n_intervals, n_missing : numpy.ndarray
        Intervals in the period and those with unknown energy (int64).
    """

    code: np.ndarray
    start: np.ndarray
    energy: np.ndarray
    estimated_energy: np.ndarray
    n_intervals: np.ndarray
    n_missing: np.ndarray

    def __len__(self) -> int:
        return len(self.code)

    def select(self, keep: np.ndarray) -> Rollup:
        """Rows where `keep` is True."""
        return Rollup(self.code[keep], self.start[keep], self.energy[keep],
                      self.estimated_energy[keep], self.n_intervals[keep],
                      self.n_missing[keep])

    @staticmethod
    def concat(parts: list[Rollup]) -> Rollup:
        """Rows of all `parts`, in order."""
        if not parts:
            return Rollup.empty()
        return Rollup(*(np.concatenate([getattr(p, f) for p in parts])
                        for f in ("code", "start", "energy", "estimated_energy",
                                  "n_intervals", "n_missing")))

    @staticmethod
    def empty() -> Rollup:
        """No rows."""
        i, f = np.empty(0, "int64"), np.empty(0, "float64")
        return Rollup(i, i, f, f, i, i)

    def coarser(self, key: np.ndarray) -> Rollup:
        """Sum these rows into coarser periods starting at `key` (int64 ns, per row)."""
        return _sum_segments(self.code, key, self.energy, self.estimated_energy,
                             self.n_intervals, self.n_missing)

    def sorted(self) -> Rollup:
        """Rows sorted by (code, start)."""
        order = np.lexsort((self.start, self.code))
        return self.select(order)


def _sum_segments(code: np.ndarray, key: np.ndarray, energy: np.ndarray,
                  estimated: np.ndarray | None, n: np.ndarray | None,
                  missing: np.ndarray | None) -> Rollup:
    """Sum runs of equal (code, key); rows sorted by code with `key` non-decreasing per code.

    ``None`` for `estimated` or `missing` means all zero, for `n` one per row.
    """
    if not len(code):
        return Rollup.empty()
    back = (key[1:] < key[:-1]) & (code[1:] == code[:-1])
    if back.any():
        # Local days can run backwards where clocks go back across midnight
        # (America/St_Johns 2000-2010): group equal keys, keeping time order within them.
        order = np.lexsort((key, code))
        code, key, energy = code[order], key[order], energy[order]
        estimated = None if estimated is None else estimated[order]
        n = None if n is None else n[order]
        missing = None if missing is None else missing[order]
    change = key[1:] != key[:-1]
    change |= code[1:] != code[:-1]
    first = np.concatenate(([0], np.flatnonzero(change) + 1))

    def total(x: np.ndarray | None, rounded: bool) -> np.ndarray:
        if x is None or not x.any():  # all zero: skip the pass
            return np.zeros(len(first), "float64" if rounded else "int64")
        out = np.add.reduceat(x, first)
        return round_energy(out) if rounded else out

    count = np.diff(np.r_[first, len(code)]) if n is None else np.add.reduceat(n, first)
    return Rollup(code[first], key[first], total(energy, True), total(estimated, True),
                  count, total(missing, False))


#: Slot of the offset table in :func:`local_wall_ns`. [ns]
_SLOT_NS = 15 * 60 * 1_000_000_000


def _offsets(utc_ns: np.ndarray, timezone: str) -> np.ndarray:
    """UTC offset (local − UTC) at each instant, int64 ns, through pandas."""
    index = pd.DatetimeIndex(np.asarray(utc_ns, "int64").view("datetime64[ns]")).tz_localize(
        "UTC")
    local: np.ndarray = np.asarray(index.tz_convert(timezone).tz_localize(None).asi8, "int64")
    offset: np.ndarray = local - utc_ns
    return offset


def local_wall_ns(utc_ns: np.ndarray, timezone: str) -> np.ndarray:
    """Park-local wall-clock time of UTC instants, as int64 ns (naive).

    The zone's offset is looked up once per 15-minute slot of the covered span (at the
    slot's first and last nanosecond); slots that contain a change of offset are
    converted value by value. Exact for any zone.

    Parameters
    ----------
    utc_ns : numpy.ndarray
        Instants, ns since the UTC epoch, shape ``(n,)``.
    timezone : str
        IANA zone.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, int64.

    Examples
    --------
    >>> t = pd.DatetimeIndex(["2024-03-31 00:59", "2024-03-31 01:00"], tz="UTC").as_unit("ns")
    >>> pd.DatetimeIndex(local_wall_ns(t.asi8, "Europe/London")).strftime("%H:%M").tolist()
    ['00:59', '02:00']
    """
    utc_ns = np.asarray(utc_ns, "int64")
    if not len(utc_ns):
        return utc_ns.copy()
    lo = int(utc_ns.min())
    base = lo - lo % _SLOT_NS
    n_slots = (int(utc_ns.max()) - base) // _SLOT_NS + 1
    if n_slots > len(utc_ns):  # sparse over a long span: convert the values themselves
        direct: np.ndarray = utc_ns + _offsets(utc_ns, timezone)
        return direct
    starts = base + _SLOT_NS * np.arange(n_slots, dtype="int64")
    first = _offsets(starts, timezone)
    last = _offsets(starts + (_SLOT_NS - 1), timezone)
    slot = (utc_ns - base) // _SLOT_NS
    out: np.ndarray = utc_ns + first[slot]
    mixed = np.flatnonzero(first != last)
    if len(mixed):
        rows = np.flatnonzero(np.isin(slot, mixed))
        out[rows] = utc_ns[rows] + _offsets(utc_ns[rows], timezone)
    return out


def month_start_ns(local_ns: np.ndarray) -> np.ndarray:
    """First day of the month of naive local times, int64 ns."""
    months = np.asarray(local_ns, "int64").view("datetime64[ns]").astype("datetime64[M]")
    return months.astype("datetime64[ns]").view("int64")


def year_start_ns(local_ns: np.ndarray) -> np.ndarray:
    """1 January of the year of naive local times, int64 ns."""
    years = np.asarray(local_ns, "int64").view("datetime64[ns]").astype("datetime64[Y]")
    return years.astype("datetime64[ns]").view("int64")


def interval_rollups(code: np.ndarray, start_ns: np.ndarray, energy: np.ndarray,
                     estimated: np.ndarray, *, timezone: str) -> tuple[Rollup, Rollup]:
    """Hour and day rollups of intervals.

    Parameters
    ----------
    code : numpy.ndarray
        Meter code per interval (int64), shape ``(n,)``; rows grouped by code.
    start_ns : numpy.ndarray
        Interval starts, ns since the UTC epoch, increasing within each code.
    energy : numpy.ndarray
        Interval energy, NaN = unknown. [canonical unit]
    estimated : numpy.ndarray
        Bool per interval.
    timezone : str
        Park zone (local days).

    Returns
    -------
    hours, days : Rollup
    """
    energy = np.asarray(energy, "float64")
    missing = np.isnan(energy)
    any_missing = bool(missing.any())
    known = np.where(missing, 0.0, energy) if any_missing else energy
    estimated = np.asarray(estimated, bool)
    est = np.where(estimated, known, 0.0) if estimated.any() else None
    miss = missing.astype("int64") if any_missing else None
    start_ns = np.asarray(start_ns, "int64")
    hours = _sum_segments(code, start_ns // NS_PER_HOUR * NS_PER_HOUR, known, est, None, miss)
    local = local_wall_ns(start_ns, timezone)
    days = _sum_segments(code, local // NS_PER_DAY * NS_PER_DAY, known, est, None, miss)
    return hours, days


def rollups_from_days(days: Rollup) -> tuple[Rollup, Rollup]:
    """Month rollups from day rollups and year rollups from those months.

    Parameters
    ----------
    days : Rollup
        Day rollups (local starts), sorted by code and start, covering whole months.

    Returns
    -------
    months, years : Rollup
    """
    months = days.coarser(month_start_ns(days.start))
    years = months.coarser(year_start_ns(months.start))
    return months, years


def rollup_arrays(code: np.ndarray, start_ns: np.ndarray, energy: np.ndarray,
                  estimated: np.ndarray, *, timezone: str) -> dict[str, Rollup]:
    """All four rollups of the intervals of many meters (see the module doc for the rules).

    Parameters
    ----------
    code, start_ns, energy, estimated
        As :func:`interval_rollups`.
    timezone : str
        Park zone.

    Returns
    -------
    dict
        ``{"hour": Rollup, "day": …, "month": …, "year": …}``.

    Examples
    --------
    Two meters, one local day in Asia/Shanghai (UTC+8) split over two UTC dates:

    >>> start = pd.date_range("2024-01-01 20:00", periods=2, freq="6h", tz="UTC").asi8
    >>> r = rollup_arrays(np.array([0, 0, 1, 1]), np.r_[start, start],
    ...                   np.array([1.5, 2.5, 1.0, np.nan]), np.zeros(4, bool),
    ...                   timezone="Asia/Shanghai")
    >>> r["day"].energy.tolist(), r["day"].n_missing.tolist()
    ([4.0, 1.0], [0, 1])
    """
    hours, days = interval_rollups(code, start_ns, energy, estimated, timezone=timezone)
    months, years = rollups_from_days(days)
    return {"hour": hours, "day": days, "month": months, "year": years}
