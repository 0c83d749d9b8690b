"""Partitioned Parquet export/import of a store (the data lake shared with Spark).

Layout under a root folder (Hive partitioning, written with pyarrow)::

    parks/parks.parquet                           park_id, name, timezone, model_toml
    readings/park=<id>/year=<yyyy>/month=<m>/…    meter_id, ts, value, value_raw, unit_raw,
                                                  source, source_row, ingested_at, seq
    intervals/park=<id>/year=<yyyy>/month=<m>/…   meter_id, interval_start, duration_s,
                                                  energy, estimated, flags
    rollups/park=<id>/period=<hour|day|month|year>/…
                                                  meter_id, period_start, energy,
                                                  estimated_energy, n_intervals, n_missing

``year``/``month`` are those of the UTC timestamp (``ts`` / ``interval_start``), the same
months as the PostgreSQL partitions. ``ts``, ``interval_start`` and ``ingested_at`` are
stored as UTC instants (``timestamp[us, tz=UTC]``, Parquet ``isAdjustedToUTC=true``), so
every reader agrees on them; ``period_start`` keeps the store's naive convention (UTC for
hours, local wall time of the park for days, months and years). Energy is in each meter's
canonical unit (see :mod:`zeropark.store.base`).

Exporting a park replaces its partitions (``delete_matching``); other parks stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from zeropark.ingest.derive import rederive
from zeropark.model import parse_park

READING_COLUMNS = ["meter_id", "ts", "value", "value_raw", "unit_raw", "source", "source_row",
                   "ingested_at", "seq"]
INTERVAL_COLUMNS = ["meter_id", "interval_start", "duration_s", "energy", "estimated", "flags"]
ROLLUP_COLUMNS = ["meter_id", "period_start", "energy", "estimated_energy", "n_intervals",
                  "n_missing"]
_UTC = pa.timestamp("us", tz="UTC")
_SCHEMAS = {
    "readings": pa.schema([("meter_id", pa.string()), ("ts", _UTC), ("value", pa.float64()),
                           ("value_raw", pa.float64()), ("unit_raw", pa.string()),
                           ("source", pa.string()), ("source_row", pa.int64()),
                           ("ingested_at", _UTC), ("seq", pa.int64())]),
    "intervals": pa.schema([("meter_id", pa.string()), ("interval_start", _UTC),
                            ("duration_s", pa.int32()), ("energy", pa.float64()),
                            ("estimated", pa.bool_()), ("flags", pa.string())]),
    "rollups": pa.schema([("meter_id", pa.string()), ("period_start", pa.timestamp("us")),
                          ("energy", pa.float64()), ("estimated_energy", pa.float64()),
                          ("n_intervals", pa.int32()), ("n_missing", pa.int32())]),
}
_PARTITIONS = {
    "readings": pa.schema([("park", pa.string()), ("year", pa.int32()), ("month", pa.int32())]),
    "intervals": pa.schema([("park", pa.string()), ("year", pa.int32()),
                            ("month", pa.int32())]),
    "rollups": pa.schema([("park", pa.string()), ("period", pa.string())]),
}


@dataclass(frozen=True, slots=True)
class LakeReport:
    """What an export or import moved: parks and row counts per table."""

    parks: tuple[str, ...]
    n_readings: int
    n_intervals: int
    n_rollups: int


def _utc_instants(series: pd.Series) -> pd.Series:
    """Naive-UTC store timestamps → tz-aware UTC (microseconds)."""
    out = pd.to_datetime(series)
    if not isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_localize("UTC")
    return out.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def _write(root: Path, table: str, frame: pd.DataFrame, park_id: str) -> int:
    """Write one park's rows of `table` under ``root/table`` (replacing its partitions)."""
    if frame.empty:
        return 0
    schema = _SCHEMAS[table]
    cols = {f.name: frame[f.name] for f in schema}
    data = pa.Table.from_pandas(pd.DataFrame(cols), schema=schema, preserve_index=False)
    data = data.append_column("park", pa.array([park_id] * len(frame), pa.string()))
    if table == "rollups":
        data = data.append_column("period", pa.array(frame["period"].astype(str), pa.string()))
    else:
        stamp = frame["ts" if table == "readings" else "interval_start"]
        data = data.append_column("year", pa.array(stamp.dt.year.astype("int32"), pa.int32()))
        data = data.append_column("month", pa.array(stamp.dt.month.astype("int32"), pa.int32()))
    ds.write_dataset(
        data, root / table, format="parquet",
        partitioning=ds.partitioning(_PARTITIONS[table], flavor="hive"),
        existing_data_behavior="delete_matching",
        basename_template="part-{i}.parquet",
        max_rows_per_group=1_000_000,
    )
    return len(frame)


def export_lake(store: Any, root: str | Path, *,
                park_ids: Sequence[str] | None = None) -> LakeReport:
    """Write the parks, readings, intervals and rollups of `store` as partitioned Parquet.

    Parameters
    ----------
    store : DuckDBStore or PostgresStore
        Source store (any back-end: the queries use the shared SQL subset).
    root : str or pathlib.Path
        Lake folder (created); see the module doc for the layout.
    park_ids : sequence of str, optional
        Parks to export (default: all).

    Returns
    -------
    LakeReport
    """
    root = Path(root)
    ids = list(park_ids) if park_ids is not None else store.park_ids()
    parks = store.query("SELECT park_id, name, timezone, model_toml FROM parks ORDER BY 1")
    parks = parks[parks["park_id"].isin(ids)]
    (root / "parks").mkdir(parents=True, exist_ok=True)
    old = read_parks(root)
    merged = pd.concat([old[~old["park_id"].isin(ids)], parks], ignore_index=True)
    pq.write_table(pa.Table.from_pandas(merged.sort_values("park_id"), preserve_index=False),
                   root / "parks" / "parks.parquet")
    n = {"readings": 0, "intervals": 0, "rollups": 0}
    for park_id in ids:
        readings = store.query(f"SELECT {', '.join(READING_COLUMNS)} FROM readings "
                               "WHERE park_id = ? ORDER BY seq", [park_id])
        readings["ts"] = _utc_instants(readings["ts"])
        readings["ingested_at"] = _utc_instants(readings["ingested_at"])
        n["readings"] += _write(root, "readings", readings, park_id)
        intervals = store.query(f"SELECT {', '.join(INTERVAL_COLUMNS)} FROM intervals "
                                "WHERE park_id = ? ORDER BY meter_id, interval_start",
                                [park_id])
        intervals["interval_start"] = _utc_instants(intervals["interval_start"])
        n["intervals"] += _write(root, "intervals", intervals, park_id)
        rollups = store.query(f"SELECT period, {', '.join(ROLLUP_COLUMNS)} FROM rollups "
                              "WHERE park_id = ? ORDER BY period, meter_id, period_start",
                              [park_id])
        rollups["period_start"] = pd.to_datetime(rollups["period_start"]).astype(
            "datetime64[us]")
        n["rollups"] += _write(root, "rollups", rollups, park_id)
    return LakeReport(tuple(ids), n["readings"], n["intervals"], n["rollups"])


def read_parks(root: str | Path) -> pd.DataFrame:
    """The ``parks`` table of a lake (empty frame when there is none)."""
    path = Path(root) / "parks" / "parks.parquet"
    if not path.is_file():
        return pd.DataFrame(columns=["park_id", "name", "timezone", "model_toml"])
    return pq.read_table(path).to_pandas()


def read_table(root: str | Path, table: str, *, park_id: str | None = None) -> pd.DataFrame:
    """One lake table (``readings``, ``intervals``, ``rollups``) as a frame.

    Timestamps come back as the store uses them: ``ts``/``interval_start``/``ingested_at``
    tz-aware UTC, ``period_start`` naive. Partition columns (``park``, ``year``,
    ``month`` or ``period``) are columns of the result.
    """
    path = Path(root) / table
    if not path.is_dir():
        return pd.DataFrame(columns=[f.name for f in _SCHEMAS[table]])
    dataset = ds.dataset(path, format="parquet",
                         partitioning=ds.partitioning(_PARTITIONS[table], flavor="hive"))
    flt = (ds.field("park") == park_id) if park_id is not None else None
    return dataset.to_table(filter=flt).to_pandas()


def import_lake(store: Any, root: str | Path, *, park_ids: Sequence[str] | None = None,
                derive: bool = True) -> LakeReport:
    """Load a lake's parks and readings into `store` and re-derive intervals and rollups.

    Readings are replayed in their original receipt order, one batch per original
    ``ingested_at``, through ``store.insert_readings``: the store's duplicate rule makes
    the same decisions as when they first arrived, and a second import adds nothing.

    Parameters
    ----------
    store : DuckDBStore or PostgresStore
        Target store.
    root : str or pathlib.Path
        Lake folder written by :func:`export_lake` (or by a Spark job in that layout).
    park_ids : sequence of str, optional
        Parks to import (default: all in ``parks/``).
    derive : bool
        Re-derive intervals and rollups of the changed meters (default True); the lake's
        own intervals are not copied, the store derives its own.

    Returns
    -------
    LakeReport
        Parks and rows *stored* (new readings; intervals written).
    """
    parks = read_parks(root)
    ids = list(park_ids) if park_ids is not None else parks["park_id"].tolist()
    n_readings = n_intervals = 0
    with store.transaction():
        for row in parks[parks["park_id"].isin(ids)].itertuples():
            park = parse_park(row.model_toml, source=f"{root}#{row.park_id}")
            store.save_park(park)
            readings = read_table(root, "readings", park_id=park.park_id)
            changed: set[str] = set()
            if not readings.empty:
                readings = readings.sort_values(["ingested_at", "seq"], kind="stable")
                for _, batch in readings.groupby("ingested_at", sort=True):
                    frame = batch[["meter_id", "ts", "value", "value_raw", "unit_raw", "source",
                                   "source_row"]].reset_index(drop=True)
                    new = store.insert_readings(park.park_id, frame)
                    n_readings += len(new)
                    changed.update(new["meter_id"].unique() if not new.empty else ())
            if derive:
                n_intervals += rederive(store, park, sorted(changed))
    return LakeReport(tuple(ids), n_readings, n_intervals, 0)
