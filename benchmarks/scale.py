"""Rollup throughput of a generated multi-park dataset on DuckDB, PostgreSQL and Spark local.

    .venv/bin/python benchmarks/scale.py [--parks 10] [--meters 100] [--days 30]
        [--postgres-url postgresql://…] [--spark-master local[2]]

Generates 15-minute interval energy for parks × meters × days (default 10 × 100 × 30 =
2.88 million rows, seeded), then in each engine computes the four rollups of
``ingest.derive.rollup_intervals`` (UTC hour; local day, month, year in each park's zone)
and prints wall time and rows/s. Loading is timed separately (DuckDB: Arrow insert;
PostgreSQL: ``COPY`` into the month-partitioned ``intervals``; Spark: Parquet lake in the
``park=/year=/month=`` layout). The engines' total energies are compared at the end.
PostgreSQL is skipped without ``--postgres-url`` / ``ZEROPARK_TEST_POSTGRES_URL``; Spark
without pyspark or java. The cluster-size estimate built on these numbers is in
``docs/scale.md``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ZONES = ("Asia/Shanghai", "Europe/London")


def make_intervals(parks: int, meters: int, days: int, seed: int = 11) -> pd.DataFrame:
    """Interval rows ``park``, ``meter_id``, ``interval_start`` (naive UTC), ``energy``."""
    rng = np.random.default_rng(seed)
    starts = pd.date_range("2024-01-01", periods=days * 96, freq="15min")
    n = len(starts)
    frames = []
    for k in range(parks):
        hours = ((starts.hour + starts.minute / 60).to_numpy() + 8) % 24
        shape = 1.0 + 0.6 * np.sin((hours - 6) / 24 * 2 * np.pi)
        energy = 2.5 * shape[None, :] * rng.uniform(0.8, 1.2, (meters, n))
        frames.append(pd.DataFrame({
            "park": f"park{k:03d}",
            "meter_id": np.repeat([f"m{j:04d}" for j in range(meters)], n),
            "interval_start": np.tile(starts.to_numpy(), meters),
            "energy": energy.ravel(),
        }))
    return pd.concat(frames, ignore_index=True)


def zones_of(parks: int) -> pd.DataFrame:
    """Park → IANA zone."""
    return pd.DataFrame({"park": [f"park{k:03d}" for k in range(parks)],
                         "timezone": [ZONES[k % 2] for k in range(parks)]})


def _report(engine: str, step: str, rows: int, seconds: float) -> None:
    print(f"{engine:<11} {step:<8} {rows:>11,d} rows {seconds:8.2f} s "  # noqa: T201
          f"{rows / seconds:>13,.0f} rows/s")


ROLLUP_SQL = {
    "duckdb": """
        WITH b AS (
          SELECT i.park, i.meter_id, i.energy, i.interval_start AS utc,
                 timezone(z.timezone, timezone('UTC', i.interval_start)) AS loc
          FROM intervals i JOIN zones z USING (park))
        SELECT 'hour' AS period, park, meter_id, date_trunc('hour', utc) AS t, sum(energy) AS e,
               count(*) AS n FROM b GROUP BY ALL
        UNION ALL SELECT 'day', park, meter_id, date_trunc('day', loc), sum(energy), count(*)
               FROM b GROUP BY ALL
        UNION ALL SELECT 'month', park, meter_id, date_trunc('month', loc), sum(energy),
               count(*) FROM b GROUP BY ALL
        UNION ALL SELECT 'year', park, meter_id, date_trunc('year', loc), sum(energy),
               count(*) FROM b GROUP BY ALL""",
    "postgres": """
        CREATE TEMP TABLE bench_rollups AS
        WITH b AS MATERIALIZED (
          SELECT i.park_id AS park, i.meter_id, i.energy, i.interval_start AS utc,
                 (i.interval_start AT TIME ZONE 'UTC') AT TIME ZONE z.timezone AS loc
          FROM intervals i JOIN bench_zones z ON z.park = i.park_id)
        SELECT 'hour' AS period, park, meter_id, date_trunc('hour', utc) AS t,
               sum(energy) AS e, count(*) AS n FROM b GROUP BY 1, 2, 3, 4
        UNION ALL SELECT 'day', park, meter_id, date_trunc('day', loc), sum(energy), count(*)
               FROM b GROUP BY 1, 2, 3, 4
        UNION ALL SELECT 'month', park, meter_id, date_trunc('month', loc), sum(energy),
               count(*) FROM b GROUP BY 1, 2, 3, 4
        UNION ALL SELECT 'year', park, meter_id, date_trunc('year', loc), sum(energy),
               count(*) FROM b GROUP BY 1, 2, 3, 4""",
}


def run_duckdb(frame: pd.DataFrame, zones: pd.DataFrame, tmp: Path) -> float:
    """Load into a DuckDB file and roll up; returns the total yearly energy."""
    import duckdb

    con = duckdb.connect(str(tmp / "bench.duckdb"))
    t = time.perf_counter()
    con.register("frame", frame)
    con.execute("CREATE TABLE intervals AS SELECT * FROM frame")
    con.unregister("frame")
    con.register("zones_frame", zones)
    con.execute("CREATE TABLE zones AS SELECT * FROM zones_frame")
    _report("duckdb", "load", len(frame), time.perf_counter() - t)
    t = time.perf_counter()
    con.execute(f"CREATE TABLE rollups AS {ROLLUP_SQL['duckdb']}")
    _report("duckdb", "rollups", len(frame), time.perf_counter() - t)
    total = con.execute("SELECT sum(e) FROM rollups WHERE period = 'year'").fetchone()
    con.close()
    return float(total[0]) if total else float("nan")


def run_postgres(frame: pd.DataFrame, zones: pd.DataFrame, url: str) -> float:
    """COPY into a fresh schema's partitioned ``intervals`` and roll up in SQL."""
    from zeropark.store._pgsql import copy_rows
    from zeropark.store.postgres import PostgresStore, drop_schema, month_starts, new_schema_name

    schema = new_schema_name("bench")
    store = PostgresStore(url, schema=schema)
    try:
        rows = frame.rename(columns={"park": "park_id"}).assign(
            duration_s=900, estimated=False, flags="")
        cols = ["park_id", "meter_id", "interval_start", "duration_s", "energy", "estimated",
                "flags"]
        t = time.perf_counter()
        with store.transaction():
            store.ensure_partitions("intervals", month_starts(rows["interval_start"]))
            with store.conn.cursor() as cur:
                copy_rows(cur, "intervals", rows, cols)
        store.conn.execute("ANALYZE intervals")
        _report("postgres", "load", len(frame), time.perf_counter() - t)
        store.con.register("bench_zones", zones)
        t = time.perf_counter()
        store.conn.execute("SET work_mem = '256MB'")
        store.conn.execute(ROLLUP_SQL["postgres"])
        _report("postgres", "rollups", len(frame), time.perf_counter() - t)
        row = store.conn.execute("SELECT sum(e) FROM bench_rollups WHERE period = 'year'"
                                 ).fetchone()
        return float(row[0]) if row else float("nan")
    finally:
        store.close()
        drop_schema(url, schema)


def run_spark(frame: pd.DataFrame, zones: pd.DataFrame, tmp: Path, master: str) -> float:
    """Write the Hive-layout lake with pyarrow, then roll up with ``spark_jobs``."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    from pyspark.sql import functions as F

    from zeropark.lake.spark_jobs import rollup_intervals, spark_session

    t = time.perf_counter()
    utc = pd.DatetimeIndex(frame["interval_start"])
    table = pa.Table.from_pandas(frame.assign(
        interval_start=utc.tz_localize("UTC"), estimated=False,
        year=utc.year.astype("int32"), month=utc.month.astype("int32")), preserve_index=False)
    ds.write_dataset(table, tmp / "lake" / "intervals", format="parquet",
                     partitioning=["park", "year", "month"], partitioning_flavor="hive",
                     existing_data_behavior="delete_matching")
    _report("spark", "load", len(frame), time.perf_counter() - t)
    spark = spark_session(master, "zeropark-bench",
                          **{"spark.sql.shuffle.partitions": "8",
                             "spark.driver.memory": "4g"})
    try:
        t = time.perf_counter()
        intervals = spark.read.parquet(str(tmp / "lake" / "intervals"))
        rollups = rollup_intervals(intervals, spark.createDataFrame(zones))
        rollups.write.mode("overwrite").parquet(str(tmp / "lake" / "rollups"))
        _report("spark", "rollups", len(frame), time.perf_counter() - t)
        out = spark.read.parquet(str(tmp / "lake" / "rollups"))
        return float(out.where(F.col("period") == "year").agg(F.sum("energy")).first()[0])
    finally:
        spark.stop()


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark; see the module doc."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parks", type=int, default=10)
    parser.add_argument("--meters", type=int, default=100, help="per park")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--postgres-url", default=os.environ.get("ZEROPARK_TEST_POSTGRES_URL"))
    parser.add_argument("--spark-master", default="local[2]")
    args = parser.parse_args(argv)
    frame = make_intervals(args.parks, args.meters, args.days)
    zones = zones_of(args.parks)
    print(f"{args.parks} parks × {args.meters} meters × {args.days} d of 15-min intervals = "  # noqa: T201
          f"{len(frame):,d} rows; {os.cpu_count()} CPU(s)")
    totals: dict[str, float] = {}
    tmp = Path(tempfile.mkdtemp(prefix="zeropark-bench-"))
    try:
        totals["duckdb"] = run_duckdb(frame, zones, tmp)
        if args.postgres_url:
            totals["postgres"] = run_postgres(frame, zones, args.postgres_url)
        else:
            print("postgres    skipped (no --postgres-url)")  # noqa: T201
        try:
            import pyspark  # noqa: F401

            if shutil.which("java") or os.environ.get("JAVA_HOME"):
                totals["spark"] = run_spark(frame, zones, tmp, args.spark_master)
            else:
                print("spark       skipped (no java)")  # noqa: T201
        except ImportError:
            print("spark       skipped (no pyspark)")  # noqa: T201
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ref = totals["duckdb"]
    for engine, total in totals.items():
        print(f"{engine:<11} total energy {total:,.3f} kWh "  # noqa: T201
              f"(rel. diff to duckdb {abs(total - ref) / ref:.1e})")
    if any(abs(t - ref) > 1e-9 * abs(ref) for t in totals.values()):
        sys.exit("engines disagree on the total energy")


if __name__ == "__main__":
    main()
