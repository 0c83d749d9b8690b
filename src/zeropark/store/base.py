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
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

import pandas as pd

from zeropark.issues import Issue
from zeropark.model import Park


class TimeseriesStore(Protocol):
    """What pipelines need from a store; implemented by :class:`DuckDBStore`."""

    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside commit together or not at all."""
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
                end: pd.Timestamp | None = None) -> pd.DataFrame:
        """Rollups of one period kind, optionally within [start, end)."""
        ...

    def quality_issues(self, park_id: str) -> pd.DataFrame:
        """All stored data-quality findings of the park."""
        ...

    def iter_meter_ids(self, park_id: str) -> Iterator[str]:
        """Meters that have readings."""
        ...
