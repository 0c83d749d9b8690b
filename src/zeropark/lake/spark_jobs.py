"""City-scale batch jobs on Apache Spark over the lake layout of :mod:`zeropark.lake.parquet`.

The same numbers as the embedded path (``ingest.derive`` → store rollups →
``accounting.totals``), for many parks at once:

1. :func:`derive_intervals` — interval energy from raw readings. Readings are
   de-duplicated as in :func:`zeropark.ingest.intervals.dedupe_readings` (last received
   wins: largest ``ingested_at``, then ``seq``). Meters whose series is **clean** are
   derived in vectorised Spark SQL:

   * ``total`` (interval data): regular spacing equal to the interval length (15 min,
     1 h or 1 d, and equal to the configured ``resolution`` if any), every row on the
     UTC grid of that step, no NULL/NaN, no negative value, and no exact zero unless
     ``zero_policy = "measured"`` → the energy *is* the value;
   * ``total_increasing`` (registers): the same regular grid, never decreasing, no
     negative or sentinel value (:data:`zeropark.ingest.counters.SENTINELS`), no
     ``register_max``, increases within ``1.5 · rated_power · Δt`` when a rating is set
     → the energy is the next reading minus this one.

   Everything else **falls back** to the embedded Python code on the executors
   (``applyInPandas`` per meter running :func:`zeropark.ingest.derive.derive_meter`):
   power meters (``measurement``), data finer than or off the grid, gaps (profile
   fill), zero runs on ``gap``/``flag`` meters, negative intervals, register resets,
   rollovers, dropouts, spikes and sentinels. The fallback gives identical results by
   construction; its cost is one pandas call per dirty meter.

2. :func:`rollup_intervals` — UTC hours and local days, months and years of each park's
   zone, as :func:`zeropark.ingest.derive.rollup_intervals`.
3. :func:`energy_structure` — energy (kWh, signed), tce and CO2 by park and medium for a
   local calendar year from the day rollups, with per-meter coefficients from
   :mod:`zeropark.accounting` (constant emission factors; parks with hourly grid
   intensity files are not handled here).
4. :func:`park_indicators` — the core indicator 单位能耗碳排放 (danwei nenghao tan paifang,
   :func:`zeropark.indicators.kpi.co2_per_energy`) per park from (3).

Quality issues are not produced by the Spark path (the fallback computes and drops them);
the store keeps them. Submitting to a cluster: see ``docs/scale.md``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from zeropark.ingest.counters import SENTINELS
from zeropark.ingest.rollups import ENERGY_DECIMALS
from zeropark.model import MeterKind, Park, parse_park

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

#: Interval lengths the embedded path can infer (``ingest.derive._STEPS``). [s]
STEPS_S = (900, 3600, 86400)
#: Spark schema of interval rows (the fallback's output).
INTERVAL_SCHEMA = ("park string, meter_id string, interval_start timestamp, duration_s int, "
                   "energy double, estimated boolean, flags string")


def spark_session(master: str = "local[2]", app_name: str = "zeropark",
                  **conf: str) -> SparkSession:
    """A Spark session set up for the jobs: UTC session zone, Arrow, few shuffle partitions.

    Parameters
    ----------
    master : str
        ``local[N]`` for tests, or a cluster URL (when run under ``spark-submit`` the
        submitted master wins).
    app_name : str
    **conf : str
        Extra Spark settings, e.g. ``{"spark.sql.shuffle.partitions": "400"}``.
    """
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.parquet.inferTimestampNTZ.enabled", "false"))
    if master.startswith("local"):
        # Local workers run this interpreter (the one with zeropark installed), not the
        # first `python3` on PATH. Spark reads the variable when the context starts.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def read_parks_text(root: str | Path) -> dict[str, str]:
    """Park id → park model TOML, from the lake's ``parks/parks.parquet``."""
    from zeropark.lake.parquet import read_parks

    parks = read_parks(root)
    return dict(zip(parks["park_id"], parks["model_toml"], strict=True))


def meter_table(parks: Iterable[Park]) -> pd.DataFrame:
    """One row per physical meter with what the clean-path test needs.

    Returns
    -------
    pandas.DataFrame
        ``park``, ``meter_id``, ``kind``, ``timezone``, ``resolution_s`` (configured,
        or NaN) [s], ``zero_ok`` (exact zeros are measured), ``rated_kwh_per_s`` (NaN
        without a rating) [canonical unit/s], ``has_register_max``.
    """
    from zeropark.units import conversion_factor

    rows = []
    for park in parks:
        for m in park.meters:
            rated = (m.rated_power_kw * conversion_factor(m.unit, m.quantity) / 3600.0
                     if m.rated_power_kw and m.kind == MeterKind.TOTAL_INCREASING else None)
            rows.append({
                "park": park.park_id, "meter_id": m.meter_id, "kind": m.kind.value,
                "timezone": park.timezone,
                "resolution_s": (m.resolution.total_seconds() if m.resolution is not None
                                 else None),
                "zero_ok": m.zero_policy == "measured", "rated_kwh_per_s": rated,
                "has_register_max": m.register_max is not None,
            })
    return pd.DataFrame(rows, columns=["park", "meter_id", "kind", "timezone", "resolution_s",
                                       "zero_ok", "rated_kwh_per_s", "has_register_max"])


def read_lake_readings(spark: SparkSession, root: str | Path) -> DataFrame:
    """The lake's readings with the partition column ``park`` (Hive discovery)."""
    return spark.read.parquet(str(Path(root) / "readings"))


def _dedupe(readings: DataFrame) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy("park", "meter_id", "ts").orderBy(F.col("ingested_at").desc(),
                                                              F.col("seq").desc())
    return (readings.withColumn("_rank", F.row_number().over(w)).where("_rank = 1")
            .drop("_rank"))


def classify_meters(readings: DataFrame, meters: DataFrame) -> DataFrame:
    """Per meter: ``clean`` (vectorised path) and ``step_s``; see the module doc.

    Parameters
    ----------
    readings : pyspark.sql.DataFrame
        De-duplicated readings: ``park``, ``meter_id``, ``ts``, ``value``.
    meters : pyspark.sql.DataFrame
        :func:`meter_table` as a Spark frame.

    Returns
    -------
    pyspark.sql.DataFrame
        ``park``, ``meter_id``, ``clean`` (bool), ``step_s`` (int, when clean).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy("park", "meter_id").orderBy("ts")
    epoch = F.col("ts").cast("long")
    sentinel = F.lit(False)
    for s in SENTINELS:
        sentinel = sentinel | (F.abs(F.abs(F.col("value")) - F.lit(s)) <= F.lit(1e-12 * s))
    steps = (readings
             .withColumn("dt", epoch - F.lag(epoch).over(w))
             .withColumn("dv", F.col("value") - F.lag("value").over(w)))
    stats = steps.groupBy("park", "meter_id").agg(
        F.count("*").alias("n"),
        F.min("dt").alias("min_dt"), F.max("dt").alias("max_dt"),
        F.max(F.when(F.col("value").isNull() | F.isnan("value"), 1).otherwise(0)).alias("nan"),
        F.min("value").alias("min_value"),
        F.min("dv").alias("min_dv"),
        F.max(F.col("dv") / F.col("dt")).alias("max_rate"),
        F.max(F.when(sentinel, 1).otherwise(0)).alias("sentinel"),
        F.min(epoch).alias("first_epoch"),
    )
    joined = stats.join(meters, ["park", "meter_id"], "inner")
    step = F.col("min_dt")
    regular = ((F.col("n") >= 2) & (F.col("min_dt") == F.col("max_dt"))
               & step.isin(*STEPS_S) & (F.col("first_epoch") % step == 0)
               & (F.col("resolution_s").isNull() | (F.col("resolution_s") == step))
               & (F.col("nan") == 0))
    total_ok = ((F.col("kind") == MeterKind.TOTAL.value)
                & ((F.col("min_value") > 0) | ((F.col("min_value") == 0) & F.col("zero_ok"))))
    register_ok = ((F.col("kind") == MeterKind.TOTAL_INCREASING.value)
                   & (F.col("min_value") >= 0) & (F.col("min_dv") >= 0)
                   & (F.col("sentinel") == 0) & ~F.col("has_register_max")
                   & (F.col("rated_kwh_per_s").isNull()
                      | (F.col("max_rate") <= F.col("rated_kwh_per_s") * 1.5)))
    clean = F.coalesce(regular & (total_ok | register_ok), F.lit(False))
    return joined.select("park", "meter_id", clean.alias("clean"),
                         step.cast("int").alias("step_s"))


def _fallback(parks_text: dict[str, str]) -> Any:
    """The per-meter pandas function run by ``applyInPandas`` for dirty meters."""
    cache: dict[str, Park] = {}

    def derive_group(pdf: pd.DataFrame) -> pd.DataFrame:
        from zeropark.ingest.derive import derive_meter

        park_id, meter_id = str(pdf["park"].iloc[0]), str(pdf["meter_id"].iloc[0])
        if park_id not in cache:
            cache[park_id] = parse_park(parks_text[park_id], source=f"lake#{park_id}")
        park = cache[park_id]
        readings = pd.DataFrame({
            "ts": pd.to_datetime(pdf["ts"]).dt.tz_localize("UTC"),
            "value": pdf["value"].astype("float64"),
            "ingested_at": pd.to_datetime(pdf["ingested_at"]),
            "seq": pdf["seq"].astype("int64"),
        })
        frame, _issues = derive_meter(readings, park.meters_by_id()[meter_id],
                                      timezone=park.timezone)
        return pd.DataFrame({
            "park": park_id, "meter_id": meter_id,
            "interval_start": pd.DatetimeIndex(frame["interval_start"]).tz_convert("UTC")
            .tz_localize(None),
            "duration_s": frame["duration_s"].astype("int32"),
            "energy": frame["energy"].astype("float64"),
            "estimated": frame["estimated"].astype(bool),
            "flags": frame["flags"].astype(str),
        })

    return derive_group


def derive_intervals(readings: DataFrame, parks_text: dict[str, str]) -> DataFrame:
    """Interval energy of every meter in `readings` (clean: Spark SQL; dirty: fallback).

    Parameters
    ----------
    readings : pyspark.sql.DataFrame
        Lake readings: ``park``, ``meter_id``, ``ts`` (timestamp, UTC session), ``value``
        (canonical unit), ``ingested_at``, ``seq``.
    parks_text : dict of str to str
        Park id → park model TOML (meter definitions, zones).

    Returns
    -------
    pyspark.sql.DataFrame
        :data:`INTERVAL_SCHEMA` rows plus ``path`` (``"clean"`` or ``"fallback"``).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = readings.sparkSession
    parks = [parse_park(text, source=f"lake#{pid}") for pid, text in parks_text.items()]
    meters = F.broadcast(spark.createDataFrame(meter_table(parks)))
    known = readings.join(meters.select("park", "meter_id"), ["park", "meter_id"], "left_semi")
    deduped = _dedupe(known.select("park", "meter_id", "ts", "value", "ingested_at", "seq"))
    kinds = classify_meters(deduped, meters)
    tagged = deduped.join(F.broadcast(kinds), ["park", "meter_id"], "inner").join(
        meters.select("park", "meter_id", "kind"), ["park", "meter_id"])

    w = Window.partitionBy("park", "meter_id").orderBy("ts")
    clean = tagged.where("clean")
    register = F.lead("value").over(w) - F.col("value")
    energy = F.when(F.col("kind") == MeterKind.TOTAL_INCREASING.value, register).otherwise(
        F.col("value"))
    # Rounded like ingest.derive (ENERGY_DECIMALS places, half to even).
    energy = F.bround(energy, ENERGY_DECIMALS)
    fast = (clean.withColumn("energy", energy).where(F.col("energy").isNotNull())
            .select("park", "meter_id", F.col("ts").alias("interval_start"),
                    F.col("step_s").alias("duration_s"), "energy",
                    F.lit(False).alias("estimated"), F.lit("").alias("flags"))
            .withColumn("path", F.lit("clean")))
    slow = (tagged.where("NOT clean")
            .select("park", "meter_id", "ts", "value", "ingested_at", "seq")
            .groupBy("park", "meter_id").applyInPandas(_fallback(parks_text), INTERVAL_SCHEMA)
            .withColumn("path", F.lit("fallback")))
    return fast.unionByName(slow)


def rollup_intervals(intervals: DataFrame, zones: DataFrame) -> DataFrame:
    """Sums per UTC hour and per local day, month and year (see ``ingest.rollups``).

    As in :mod:`zeropark.ingest.rollups`: hours and days sum intervals, months sum days,
    years sum months, each sum rounded to ``ENERGY_DECIMALS`` places.

    Parameters
    ----------
    intervals : pyspark.sql.DataFrame
        ``park``, ``meter_id``, ``interval_start``, ``energy``, ``estimated``.
    zones : pyspark.sql.DataFrame
        ``park``, ``timezone`` (IANA).

    Returns
    -------
    pyspark.sql.DataFrame
        ``park``, ``meter_id``, ``period``, ``period_start`` (UTC wall time for hours,
        local wall time otherwise), ``energy``, ``estimated_energy``, ``n_intervals``,
        ``n_missing``.
    """
    from pyspark.sql import functions as F

    missing = F.col("energy").isNull() | F.isnan("energy")
    known = F.when(missing, F.lit(0.0)).otherwise(F.col("energy"))
    local = F.from_utc_timestamp("interval_start", F.col("timezone"))
    base = intervals.join(F.broadcast(zones), "park").select(
        "park", "meter_id", known.alias("energy"),
        F.when(F.col("estimated"), known).otherwise(F.lit(0.0)).alias("estimated_energy"),
        F.when(missing, 1).otherwise(0).alias("missing"),
        F.date_trunc("hour", "interval_start").alias("hour"),
        F.date_trunc("day", local).alias("day"))

    def summed(frame: DataFrame, key: Column, period: str, count: Column,
               missing_: Column) -> DataFrame:
        return frame.groupBy("park", "meter_id", key.alias("period_start")).agg(
            F.bround(F.sum("energy"), ENERGY_DECIMALS).alias("energy"),
            F.bround(F.sum("estimated_energy"), ENERGY_DECIMALS).alias("estimated_energy"),
            count.cast("int").alias("n_intervals"), missing_.cast("int").alias("n_missing"),
        ).withColumn("period", F.lit(period))

    hours = summed(base, F.col("hour"), "hour", F.count("*"), F.sum("missing"))
    days = summed(base, F.col("day"), "day", F.count("*"), F.sum("missing")).cache()
    months = summed(days, F.date_trunc("month", "period_start"), "month",
                    F.sum("n_intervals"), F.sum("n_missing"))
    years = summed(months, F.date_trunc("year", "period_start"), "year",
                   F.sum("n_intervals"), F.sum("n_missing"))
    out = hours.unionByName(days).unionByName(months).unionByName(years)
    return out.select("park", "meter_id", "period", "period_start", "energy",
                      "estimated_energy", "n_intervals", "n_missing")


def meter_coefficients(parks: Iterable[Park], *, tce_method: str | None = None) -> pd.DataFrame:
    """Per counted meter: sign and unit factor to kWh, kgce/kWh and t CO2/kWh.

    The coefficients of :func:`zeropark.accounting.totals.meter_totals` (constant
    electricity factor from each park's ``[settings]``).

    Returns
    -------
    pandas.DataFrame
        ``park``, ``meter_id``, ``medium``, ``sign`` [kWh per canonical unit, signed],
        ``kgce_per_kwh`` [kgce/kWh], ``co2_t_per_kwh`` [t CO2/kWh].

    Raises
    ------
    InputError
        For a park with hourly grid intensity (needs the hour rollups; not implemented
        on Spark).
    """
    from zeropark.accounting.accounts import (
        _co2_per_kwh,
        _kgce,
        counted_meters,
        signed_kwh_per_unit,
    )
    from zeropark.accounting.options import options_for
    from zeropark.errors import InputError

    rows = []
    for park in parks:
        options = options_for(park, tce_method=tce_method)
        if options.electricity.hourly is not None:
            raise InputError(f"park {park.park_id}: hourly grid intensity is not "
                             "supported by the Spark jobs (use the embedded path)",
                             field="grid_intensity_files")
        for m in counted_meters(park):
            rows.append({"park": park.park_id, "meter_id": m.meter_id,
                         "medium": m.medium.value, "sign": signed_kwh_per_unit(m),
                         "kgce_per_kwh": _kgce(m, options),
                         "co2_t_per_kwh": _co2_per_kwh(m, options)})
    return pd.DataFrame(rows, columns=["park", "meter_id", "medium", "sign", "kgce_per_kwh",
                                       "co2_t_per_kwh"])


def energy_structure(rollups: DataFrame, coefficients: DataFrame, *, year: int) -> DataFrame:
    """Energy, tce and CO2 by park and medium over local calendar `year` (day rollups).

    Returns
    -------
    pyspark.sql.DataFrame
        ``park``, ``medium``, ``measured_kwh``, ``estimated_kwh``, ``energy_kwh`` [kWh],
        ``tce`` [tce], ``co2e_t`` [t CO2].
    """
    from pyspark.sql import functions as F

    day = rollups.where((F.col("period") == "day")
                        & (F.col("period_start") >= F.lit(f"{year}-01-01").cast("timestamp"))
                        & (F.col("period_start") < F.lit(f"{year + 1}-01-01").cast("timestamp")))
    per_meter = day.groupBy("park", "meter_id").agg(
        F.sum("energy").alias("energy"), F.sum("estimated_energy").alias("estimated"))
    rows = per_meter.join(F.broadcast(coefficients), ["park", "meter_id"], "inner")
    energy = F.col("energy") * F.col("sign")
    estimated = F.col("estimated") * F.col("sign")
    return rows.groupBy("park", "medium").agg(
        F.sum(energy - estimated).alias("measured_kwh"),
        F.sum(estimated).alias("estimated_kwh"),
        F.sum(energy).alias("energy_kwh"),
        F.sum(energy * F.col("kgce_per_kwh") / 1000.0).alias("tce"),
        F.sum(energy * F.col("co2_t_per_kwh")).alias("co2e_t"))


def park_indicators(structure: DataFrame) -> DataFrame:
    """Totals per park and the core indicator ``co2_per_energy`` [t CO2/tce] (NaN at 0 tce)."""
    from pyspark.sql import functions as F

    totals = structure.groupBy("park").agg(F.sum("energy_kwh").alias("energy_kwh"),
                                           F.sum("tce").alias("tce"),
                                           F.sum("co2e_t").alias("co2e_t"))
    ratio = F.when(F.col("tce") == 0, F.lit(float("nan"))).otherwise(F.col("co2e_t")
                                                                     / F.col("tce"))
    return totals.withColumn("co2_per_energy", ratio)


def run_city(spark: SparkSession, root: str | Path, *, year: int,
             out: str | Path | None = None, park_ids: Sequence[str] | None = None
             ) -> dict[str, DataFrame]:
    """All jobs over a lake: intervals, rollups, energy structure, park indicators.

    Parameters
    ----------
    spark : SparkSession
    root : str or pathlib.Path
        Lake folder (readable by every executor: shared disk, HDFS or S3 URL).
    year : int
        Local calendar year of the energy structure and indicators.
    out : str or pathlib.Path, optional
        Where to write the results as Parquet (``intervals/park=/year=/month=``,
        ``rollups/park=/period=``, ``energy_structure/``, ``indicators/``).
    park_ids : sequence of str, optional
        Restrict to these parks (default all in the lake).

    Returns
    -------
    dict of str to pyspark.sql.DataFrame
        ``intervals``, ``rollups``, ``energy_structure``, ``indicators``.
    """
    from pyspark.sql import functions as F

    texts = read_parks_text(root)
    if park_ids is not None:
        texts = {k: v for k, v in texts.items() if k in set(park_ids)}
    parks = [parse_park(t, source=f"lake#{k}") for k, t in texts.items()]
    readings = read_lake_readings(spark, root).where(F.col("park").isin(list(texts)))
    intervals = derive_intervals(readings, texts).cache()
    zones = spark.createDataFrame(pd.DataFrame({"park": [p.park_id for p in parks],
                                                "timezone": [p.timezone for p in parks]}))
    rollups = rollup_intervals(intervals, zones).cache()
    coefficients = spark.createDataFrame(meter_coefficients(parks))
    structure = energy_structure(rollups, coefficients, year=year).cache()
    indicators = park_indicators(structure)
    if out is not None:
        base = str(out)
        (intervals.withColumn("year", F.year("interval_start"))
         .withColumn("month", F.month("interval_start"))
         .write.mode("overwrite").partitionBy("park", "year", "month")
         .parquet(f"{base}/intervals"))
        rollups.write.mode("overwrite").partitionBy("park", "period").parquet(f"{base}/rollups")
        structure.write.mode("overwrite").parquet(f"{base}/energy_structure")
        indicators.write.mode("overwrite").parquet(f"{base}/indicators")
    return {"intervals": intervals, "rollups": rollups, "energy_structure": structure,
            "indicators": indicators}


def main(argv: Sequence[str] | None = None) -> None:
    """``spark-submit zeropark/lake/spark_jobs.py LAKE --year Y --out OUT`` (see docs)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("lake")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args(argv)
    spark = spark_session(args.master, "zeropark-city")
    run_city(spark, args.lake, year=args.year, out=args.out)
    spark.stop()


if __name__ == "__main__":
    main()
