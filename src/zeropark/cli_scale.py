"""Command line of server mode and the data lake: ``zeropark db …`` and ``zeropark lake …``.

Thin: parse arguments, call :mod:`zeropark.store.migrations` / :mod:`zeropark.lake`,
print. Registered on the main app in :mod:`zeropark.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from zeropark.errors import ParkError

db_app = typer.Typer(help="Store maintenance: PostgreSQL schema migrations (Alembic), "
                     "compacting the embedded DuckDB file.", no_args_is_help=True)
lake_app = typer.Typer(help="Data lake: partitioned Parquet (park=/year=/month=) export and "
                       "import.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one error, one line

UrlOpt = Annotated[str | None, typer.Option("--url", help="postgresql://… (default "
                                            "$ZEROPARK_STORE_URL).")]
StoreOpt = Annotated[str | None, typer.Option("--store", help="DuckDB file or store URL "
                                              "(default $ZEROPARK_STORE_URL, else "
                                              "$ZEROPARK_STORE_PATH).")]
RootArg = Annotated[Path, typer.Argument(help="Lake folder.")]
ParkIdsOpt = Annotated[list[str] | None, typer.Option("--park-id", help="Only this park "
                                                      "(repeatable).")]


def _url(url: str | None) -> str:
    from zeropark.settings import Settings

    resolved = url or Settings().resolved_store_url()
    if not resolved.startswith(("postgresql://", "postgres://")):
        err_console.print(f"{resolved}: an embedded DuckDB store creates its tables on open; "
                          "nothing to migrate (set ZEROPARK_STORE_URL=postgresql://…)")
        raise typer.Exit(code=0)
    return resolved


@db_app.command("upgrade")
def db_upgrade(url: UrlOpt = None,
               revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
               ) -> None:
    """Bring the PostgreSQL schema to the newest (or given) revision."""
    from zeropark.store.migrations import current, upgrade
    from zeropark.store.postgres import redact, split_schema

    target = _url(url)
    base, schema = split_schema(target)
    upgrade(base, schema=schema, revision=revision)
    console.print(f"{redact(base)}{f' schema {schema}' if schema else ''}: at revision "
                  f"{current(base, schema=schema)}")


@db_app.command("compact")
def db_compact(store: Annotated[Path | None, typer.Option(
        "--store", help="DuckDB file (default $ZEROPARK_STORE_PATH).")] = None) -> None:
    """Rewrite the embedded store sorted by meter and time (after live ingest; offline)."""
    from zeropark.settings import Settings
    from zeropark.store.compact import compact_store

    path = store or Settings().store_path
    try:
        report = compact_store(path)
    except ParkError as err:
        err_console.print(f"error: {err}")
        raise typer.Exit(code=1) from err
    console.print(f"{path}: {report.before:,} -> {report.after:,} bytes")


@db_app.command("current")
def db_current(url: UrlOpt = None) -> None:
    """Print the schema revision of the PostgreSQL store."""
    from zeropark.store.migrations import current
    from zeropark.store.postgres import split_schema

    base, schema = split_schema(_url(url))
    console.print(current(base, schema=schema) or "(empty: run `zeropark db upgrade`)")


@lake_app.command("export")
def lake_export(root: RootArg, store: StoreOpt = None, park_id: ParkIdsOpt = None) -> None:
    """Write parks, readings, intervals and rollups of the store as partitioned Parquet."""
    from zeropark.lake.parquet import export_lake
    from zeropark.store import open_store

    try:
        with open_store(store, read_only=True) as db:
            report = export_lake(db, root, park_ids=park_id or None)
    except ParkError as err:
        err_console.print(f"[bold red]error:[/] {err}")
        raise typer.Exit(code=2) from err
    console.print(f"exported {len(report.parks)} park(s) to {root}: {report.n_readings} "
                  f"readings, {report.n_intervals} intervals, {report.n_rollups} rollups")


@lake_app.command("import")
def lake_import(root: RootArg, store: StoreOpt = None, park_id: ParkIdsOpt = None,
                derive: Annotated[bool, typer.Option(help="Re-derive intervals and "
                                                     "rollups.")] = True) -> None:
    """Load a lake's parks and readings into the store (and re-derive them)."""
    from zeropark.lake.parquet import import_lake
    from zeropark.store import open_store

    try:
        with open_store(store) as db:
            report = import_lake(db, root, park_ids=park_id or None, derive=derive)
    except ParkError as err:
        err_console.print(f"[bold red]error:[/] {err}")
        raise typer.Exit(code=2) from err
    console.print(f"imported {len(report.parks)} park(s) from {root}: {report.n_readings} "
                  f"new readings, {report.n_intervals} intervals derived")
