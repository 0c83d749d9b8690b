"""The store contract shared by every back-end (DuckDB now; PostgreSQL later).

Tables and their meaning (units are the meter's canonical unit, see
:data:`zeropark.units.CANONICAL_UNIT`; all timestamps are UTC):

``readings``
    Every reading as received, never altered or deleted: ``meter_id``, ``ts``,
    ``value`` (canonical unit), ``value_raw`` + ``unit_raw`` (as in the file),
    ``source`` (file path or topic), ``source_row``, ``ingested_at``, ``seq``.
``intervals``
    Energy per fixed grid interval derived from the readings: ``interval_start``
    (left-closed), ``duration_s`` (900 for the 15-minute grid, 3600 where the
    meter's data are hourly: never finer than the data), ``energy``,
    ``estimated``, ``flags``.
``rollups``
    Sums of ``intervals`` per ``period`` ∈ {hour, day, month, year}; ``hour``
    starts are UTC, ``day``/``month``/``year`` starts are local midnight in the
    park's time zone (stored as naive local timestamps).
``quality_issues``
    :class:`zeropark.issues.Issue` values per meter, replaced on each derivation.
``derive_state``
    Per meter, where the last derivation stopped (last reading's ``seq``, ``ts`` and
    value, step and nominal spacing [ns], whether the next one may append), so that a
    derivation can append to the stored intervals instead of starting over.

How a back-end lays these out is its own business: the DuckDB store keeps compact
``*_data`` tables keyed by integer meter keys and shows the tables above as views
(:mod:`zeropark.store._duckdb_schema`); PostgreSQL has them as tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

import pandas as pd

from zeropark.issues import Issue
from zeropark.model import Park


class TimeseriesStore(Protocol):
    """What pipelines need from a store; implemented by ``DuckDBStore`` and ``PostgresStore``."""

    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside commit together or not at all."""
        ...

    def query(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        """Run a read-only SQL query over the views (DuckDB spelling) into a frame."""
        ...

    def save_park(self, park: Park) -> None:
        """Insert or replace the park and its meters."""
        ...

    def file_ingested(self, park_id: str, sha256: str) -> bool:
        """Whether a file with this content hash was already ingested for the park."""
        ...

    def record_file(self, park_id: str, sha256: str, path: str, n_rows: int,
                    n_new: int) -> None:
        """Remember an ingested file."""
        ...

    def insert_readings(self, park_id: str, frame: pd.DataFrame) -> pd.DataFrame:
        """Append readings not already stored; return the new rows."""
        ...

    def readings(self, park_id: str, meter_id: str) -> pd.DataFrame:
        """All raw readings of one meter, in arrival order."""
        ...

    def replace_derived(self, park_id: str, meter_id: str, intervals: pd.DataFrame,
                        rollups: pd.DataFrame, issues: Sequence[Issue]) -> None:
        """Replace a meter's intervals, rollups and issues in one go."""
        ...

    def intervals(self, park_id: str, meter_ids: Sequence[str] | None = None,
                  start: pd.Timestamp | None = None,
                  end: pd.Timestamp | None = None) -> pd.DataFrame:
        """Interval energy, optionally filtered by meter and UTC range."""
        ...

    def rollups(self, park_id: str, period: str, start: pd.Timestamp | None = None,
                end: pd.Timestamp | None = None, *,
                meter_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Rollups of one period kind, optionally within [start, end) and of some meters."""
        ...

    def readings_frame(self, park_id: str, meter_ids: Sequence[str], *,
                       after_seq: Mapping[str, int] | None = None) -> pd.DataFrame:
        """Raw readings of several meters for derivation.

        Columns ``meter_id`` (str), ``ts`` (int64 [ns] since the UTC epoch), ``value``
        (float64, canonical unit), ``ingested_at`` (int64 [ns] since the UTC epoch),
        ``seq`` (int64); sorted by ``meter_id``, then ``seq``. With `after_seq`, meters
        in the mapping get only rows with ``seq > after_seq[meter]``; others get all.
        """
        ...

    def derive_states(self, park_id: str, meter_ids: Sequence[str]) -> pd.DataFrame:
        """Saved derivation states.

        Columns ``meter_id``, ``last_seq``, ``last_ts`` (int64 [ns]), ``last_value``,
        ``step_ns``, ``nominal_ns``, ``appendable`` (bool); meters without a state have
        no row.
        """
        ...

    def write_derived(self, park_id: str, *, replace: Sequence[str], intervals: pd.DataFrame,
                      rollups: pd.DataFrame, issues: pd.DataFrame,
                      states: pd.DataFrame) -> None:
        """Write derivation results of many meters in one transaction.

        1. meters in `replace`: delete all their intervals, rollups, quality issues and
           derive state;
        2. `intervals` (``meter_id``, ``interval_start`` int64 [ns] UTC, ``duration_s``,
           ``energy``, ``estimated``, ``flags``): for a meter not in `replace`, first
           delete its stored intervals with ``interval_start`` ≥ the smallest given for
           it; then insert all;
        3. `rollups` (``meter_id``, ``period``, ``period_start`` int64 [ns], naive: UTC
           for hour, park-local otherwise, ``energy``, ``estimated_energy``,
           ``n_intervals``, ``n_missing``): for a meter not in `replace`, first delete
           stored rows with the same (meter, period, period_start); then insert all;
        4. `issues` (columns of ``quality_issues`` without ``park_id``): inserted;
        5. `states` (columns of :meth:`derive_states`): upserted by ``meter_id``.

        Bumps the store's ``generation``.
        """
        ...

    def quality_issues(self, park_id: str) -> pd.DataFrame:
        """All stored data-quality findings of the park."""
        ...

    def iter_meter_ids(self, park_id: str) -> Iterator[str]:
        """Meters that have readings."""
        ...


def still_derivable(old_model: str | None, park: Park) -> list[str]:
    r"""Meters whose stored derive state stays valid when `park` replaces `old_model`.

    A meter keeps its state only if the stored park model gives it the same
    :meth:`~zeropark.model.Park.derivation_signatures` entry as `park` (same time
    zone, kind, unit, quantity, resolution, rated power, register maximum and zero
    policy); the appending derivation would otherwise build on intervals derived
    under the old settings. ``save_park`` deletes the state of every other meter.

    Parameters
    ----------
    old_model : str or None
        ``parks.model_toml`` of the stored park, or None when there is none. Text that
        no longer parses counts as a change of every meter.
    park : Park
        The park about to be saved.

    Returns
    -------
    list of str
        Sorted meter ids.

    Examples
    --------
    >>> from zeropark.model import parse_park
    >>> text = '[park]\nid = "p"\nname = "P"\ntimezone = "UTC"\n'
    >>> text += '[[meters]]\nid = "m"\nmedium = "electricity"\nunit = "kWh"\n'
    >>> text += 'kind = "total_increasing"\n'
    >>> still_derivable(text, parse_park(text))
    ['m']
    >>> still_derivable(text, parse_park(text.replace('"UTC"', '"Asia/Shanghai"')))
    []
    >>> still_derivable("not toml [", parse_park(text))
    []
    """
    from zeropark.errors import ParkError
    from zeropark.model import parse_park

    if old_model is None:
        return []
    try:
        old = parse_park(old_model).derivation_signatures()
    except (ParkError, ValueError):
        return []
    new = park.derivation_signatures()
    return sorted(m for m, signature in new.items() if old.get(m) == signature)
