"""Data lake: partitioned Parquet export/import of a store, and city-scale Spark jobs.

:mod:`zeropark.lake.parquet` writes and reads the Hive layout ``park=/year=/month=``;
:meth:`zeropark.store.duckdb.DuckDBStore.attach_lake` queries it in place;
:mod:`zeropark.lake.spark_jobs` runs derivation, rollups, energy structure, emissions
and the core park indicator over it with Apache Spark (see ``docs/scale.md``).
"""

from zeropark.lake.parquet import LakeReport, export_lake, import_lake, read_parks, read_table

__all__ = ["LakeReport", "export_lake", "import_lake", "read_parks", "read_table"]
