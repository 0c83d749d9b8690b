"""Ingest files into the store: read, append raw readings, re-derive what changed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from zeropark.ingest.derive import FreshRows, prepare_fresh, rederive
from zeropark.ingest.files import FileMetadata, file_sha256, read_meter_file
from zeropark.model import Park
from zeropark.store.base import TimeseriesStore


@dataclass(frozen=True, slots=True)
class IngestReport:
    """Outcome of an ingest: files read and skipped, new readings, meters re-derived."""

    files: tuple[str, ...]
    skipped: tuple[str, ...]
    n_rows: int
    n_new: int
    meters: tuple[str, ...]
    n_intervals: int


def ingest_file(store: TimeseriesStore, park: Park, path: str | Path, *,
                tz: str | None = None, layout: str | None = None) -> IngestReport:
    """Load one CSV/Parquet file of readings and update intervals and rollups.

    Loading a file whose bytes were loaded before is a no-op. Readings already
    stored (same meter, timestamp and value) are not stored again, so
    overlapping files never double count; a different value for a stored
    timestamp is kept and resolved by the duplicate rule of
    :func:`zeropark.ingest.intervals.dedupe_readings`. Everything is written in
    one transaction: on any error nothing of the file is stored.

    Parameters
    ----------
    store : TimeseriesStore
        Target store.
    park : Park
        Park model (saved to the store first).
    path : str or pathlib.Path
        The file; see :func:`zeropark.ingest.files.read_meter_file`.
    tz : str, optional
        Zone for naive timestamps (default: the park's zone).
    layout : {"long", "wide"}, optional
        File layout (default: detected).

    Returns
    -------
    IngestReport

    Raises
    ------
    InputError
        From the reader, naming file, row and field.
    """
    path = Path(path)
    return ingest_files(store, park, [path],
                        reader=lambda p: read_meter_file(p, park, tz=tz, layout=layout))


def ingest_files(
    store: TimeseriesStore, park: Park, paths: Sequence[Path],
    *, reader: Callable[[Path], tuple[pd.DataFrame, FileMetadata]],
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Load several files with one `reader` in one transaction, re-deriving each meter once.

    Parameters
    ----------
    store, park
        As :func:`ingest_file`.
    paths : sequence of pathlib.Path
        Files to load; those already loaded (same SHA-256) are skipped.
    reader : callable
        ``reader(path) -> (frame, metadata)`` with the frame columns of
        :func:`zeropark.ingest.files.read_meter_file`.
    progress : callable, optional
        Called with 1 after each file (for progress bars).

    Returns
    -------
    IngestReport
    """
    done: list[str] = []
    skipped: list[str] = []
    n_rows = n_new = 0
    changed: set[str] = set()
    fresh: FreshRows | None = None
    with store.transaction(), ThreadPoolExecutor(max_workers=1) as pool:
        store.save_park(park)
        for path in paths:
            sha = file_sha256(path)
            if store.file_ingested(park.park_id, sha):
                skipped.append(str(path))
            else:
                frame, meta = reader(path)
                # The clean registers of a single file are derived (numpy, one core) while
                # the store writes the readings (DuckDB, releasing the GIL).
                pending = pool.submit(prepare_fresh, frame, park) if len(paths) == 1 else None
                new = store.insert_readings(park.park_id, frame)
                if pending is not None:
                    fresh = pending.result() if len(new) == len(frame) else None
                changed.update(new["meter_id"].unique() if not new.empty else ())
                store.record_file(park.park_id, sha, str(path), meta.n_rows, len(new))
                done.append(str(path))
                n_rows += meta.n_rows
                n_new += len(new)
            if progress is not None:
                progress(1)
        meters = tuple(sorted(str(m) for m in changed))
        n_intervals = rederive(store, park, meters, fresh=fresh)
    return IngestReport(tuple(done), tuple(skipped), n_rows, n_new, meters, n_intervals)
