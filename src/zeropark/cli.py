"""Command line: ``zeropark ingest | quality | summary | indicators | demo | serve``.

Thin: parse arguments, call the domain pipelines, print with rich.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from typer.core import TyperGroup

from zeropark.errors import ParkError
from zeropark.settings import Settings


class Lang(StrEnum):
    """Languages of labels."""

    EN = "en"
    ZH = "zh"


app = typer.Typer(help="zeropark: energy and carbon accounts for near-zero-carbon parks.",
                  no_args_is_help=True, add_completion=False)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one error, one line

StoreOpt = Annotated[Path | None, typer.Option("--store", help="DuckDB file "
                                               "(default $ZEROPARK_STORE_PATH or "
                                               "data/zeropark.duckdb).")]
ParkOpt = Annotated[Path, typer.Option("--park", help="Park description file (TOML).")]
GridOpt = Annotated[str | None, typer.Option(help="Factor-library id of the grid factor, "
                                             "e.g. cn_grid_mee_2023_east.")]
SupplyOpt = Annotated[float | None, typer.Option(help="Supply coal rate for tce-method "
                                                 "equivalent (等价值). [kgce/kWh]")]
TceOpt = Annotated[str | None, typer.Option(help="calorific (当量值) or equivalent (等价值).")]


def _fail(err: Exception) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {escape(str(err))}")
    return typer.Exit(code=2)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    console=err_console, transient=True)


class _IngestGroup(TyperGroup):
    """``zeropark ingest FILES...`` stays the file ingest; ``ingest mqtt|modbus`` are live."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["files", *args]
        return super().parse_args(ctx, args)


ingest_app = typer.Typer(cls=_IngestGroup, no_args_is_help=True,
                         help="Load readings: files (default), or live from MQTT or Modbus.")
app.add_typer(ingest_app, name="ingest")


@ingest_app.command("files")
def ingest(
    files: Annotated[list[Path], typer.Argument(help="CSV or Parquet files of readings.")],
    park: ParkOpt,
    tz: Annotated[str | None, typer.Option(help="Zone of naive timestamps "
                                           "(default: the park's).")] = None,
    layout: Annotated[str | None, typer.Option(help="long or wide (default: detected).")] = None,
    store: StoreOpt = None,
) -> None:
    """Load meter readings; registers become interval energy, rollups are updated."""
    from zeropark.ingest.files import read_meter_file
    from zeropark.ingest.load import ingest_files
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        model = read_park(park)
        with open_store(store) as db, _progress() as bar:
            task = bar.add_task("ingest", total=len(files))
            report = ingest_files(
                db, model, files,
                reader=lambda p: read_meter_file(p, model, tz=tz, layout=layout),
                progress=lambda n: bar.advance(task, n))
    except ParkError as err:
        raise _fail(err) from err
    console.print(f"read {len(report.files)} file(s), skipped {len(report.skipped)} already "
                  f"loaded; {report.n_new} new readings of {report.n_rows} rows; "
                  f"{len(report.meters)} meter(s) re-derived, {report.n_intervals} intervals")


@ingest_app.command("mqtt")
def ingest_mqtt(
    broker: Annotated[str, typer.Option(help="MQTT broker, HOST:PORT.")],
    park: ParkOpt,
    topic: Annotated[list[str] | None, typer.Option(help="Topic filter to subscribe (QoS 1); "
                                                     "repeat. Default: the park's "
                                                     "mqtt_topic keys.")] = None,
    client_id: Annotated[str, typer.Option(help="Fixed client id of the persistent "
                                           "session.")] = "zeropark-ingest",
    flush_ms: Annotated[int, typer.Option(help="Commit at least this often. [ms]")] = 200,
    batch_points: Annotated[int, typer.Option(help="Commit when this many readings "
                                              "wait.")] = 5000,
    derive_every: Annotated[float, typer.Option(help="Re-derive changed meters at most "
                                                "this often. [s]")] = 2.0,
    duration: Annotated[float | None, typer.Option(help="Stop after this long. [s]")] = None,
    idle_exit: Annotated[float | None, typer.Option(help="Stop after this long without a "
                                                    "message. [s]")] = None,
    store: StoreOpt = None,
) -> None:
    """Subscribe to MQTT (Sparkplug B, Tasmota, Shelly, plain JSON); ack after commit."""
    import signal
    import threading

    from zeropark.ingest.mqtt import run_mqtt
    from zeropark.model import read_park
    from zeropark.store import open_store

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        model = read_park(park)
        with open_store(store) as db:
            stats = run_mqtt(db, model, broker=broker, topics=topic or (), client_id=client_id,
                             flush_interval_s=flush_ms / 1000, flush_points=batch_points,
                             derive_interval_s=derive_every, duration_s=duration,
                             idle_exit_s=idle_exit, stop=stop,
                             on_ready=lambda f: err_console.print(
                                 f"subscribed to {', '.join(f)} at {broker}"))
    except (ParkError, OSError) as err:
        raise _fail(err) from err
    console.print(f"{stats.messages} message(s), {stats.readings} reading(s) "
                  f"({stats.new_readings} new), {stats.dead_letters} dead letter(s), "
                  f"{stats.commits} commit(s), {stats.derived_meters} meter derivation(s); "
                  f"events {stats.events or '{}'}")


@ingest_app.command("modbus")
def ingest_modbus(
    host: Annotated[str, typer.Option(help="Modbus TCP device or gateway, HOST[:PORT] "
                                      "(port 502 by default); meters with this "
                                      "modbus_host are polled.")],
    register_map: Annotated[str, typer.Option("--map", help="Register map: a TOML file or "
                                              "a bundled name (e.g. eastron_sdm630).")],
    park: ParkOpt,
    interval: Annotated[float, typer.Option(help="Poll period. [s]")] = 60.0,
    polls: Annotated[int | None, typer.Option(help="Stop after this many polls.")] = None,
    store: StoreOpt = None,
) -> None:
    """Poll Modbus TCP energy meters on a fixed period and store their registers."""
    from zeropark.ingest.modbus import load_register_map, run_modbus
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        model = read_park(park)
        rmap = load_register_map(register_map)
        with open_store(store) as db:
            stats = run_modbus(db, model, host=host, register_map=rmap, interval_s=interval,
                               polls=polls)
    except (ParkError, OSError) as err:
        raise _fail(err) from err
    console.print(f"{stats.messages} poll(s), {stats.readings} reading(s), "
                  f"{stats.dead_letters} failed read(s)")


@app.command()
def quality(
    park: ParkOpt,
    store: StoreOpt = None,
    lang: Annotated[Lang, typer.Option(help="Label language.")] = Lang.EN,
    limit: Annotated[int, typer.Option(min=0, help="Latest dead letters and stream events "
                                       "to list (all with --json).")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: {issues, dead_letters, "
                                          "stream_events}.")] = False,
) -> None:
    """List data-quality findings per meter, dead letters and stream events of live ingest.

    Findings have stable codes (docs/counters.md); dead letters are messages the live
    ingest could not use and stream events its online/offline and Sparkplug sequence
    events (docs/ingest-live.md). Times are UTC.
    """
    from zeropark.locales import issue_label
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        model = read_park(park)
        with open_store(store, read_only=True) as db:
            issues = db.quality_issues(model.park_id)
            dead = db.dead_letters(model.park_id)
            events = db.stream_events(model.park_id)
    except ParkError as err:
        raise _fail(err) from err
    dead_rows = [{"received_at": str(r.received_at), "source": str(r.source),
                  "reason": str(r.reason), "payload": _payload_text(r.payload)}
                 for r in dead.itertuples()]
    event_rows = [{"received_at": str(r.received_at), "source": str(r.source),
                   "event": str(r.event), "data": _event_data(r.data_json)}
                  for r in events.itertuples()]
    if as_json:
        doc = {"issues": json.loads(issues.to_json(orient="records", force_ascii=False)),
               "dead_letters": dead_rows, "stream_events": event_rows}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return
    counts = issues.groupby(["meter_id", "code"]).size().reset_index(name="n")
    table = Table(title=f"Data-quality findings: {model.name}")
    for col in ("meter", "code", "finding", "count", "first"):
        table.add_column(col)
    for row in counts.itertuples():
        first = issues[(issues["meter_id"] == row.meter_id) & (issues["code"] == row.code)]
        table.add_row(str(row.meter_id), str(row.code), issue_label(str(row.code), lang.value),
                      str(row.n), str(first["message"].iloc[0]))
    console.print(table)
    for title, rows, cols in (("Dead letters", dead_rows, ("received_at", "source", "reason",
                                                           "payload")),
                              ("Stream events", event_rows, ("received_at", "source", "event",
                                                             "data"))):
        shown = rows[-limit:] if limit else []
        listing = Table(title=f"{title}: {len(rows)} (latest {len(shown)}, UTC)")
        for col in cols:
            listing.add_column(col)
        for entry in reversed(shown):
            listing.add_row(*(_clip(entry[c]) for c in cols))
        console.print(listing)


def _payload_text(payload: Any) -> str | None:
    """A dead letter's payload as text: UTF-8 if it is, else ``0x`` + hex."""
    if payload is None:
        return None
    raw = bytes(payload)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + raw.hex()


def _event_data(text: Any) -> Any:
    """A stream event's ``data_json`` parsed (None when empty, the text if not JSON)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _clip(value: Any, width: int = 60) -> str:
    text = "" if value is None else (value if isinstance(value, str) else json.dumps(value))
    return text if len(text) <= width else text[:width - 1] + "…"


def _summary(park_path: Path | None, store: Path | None, year: int, tce_method: str | None,
             grid_factor: str | None, supply_coal_rate: float | None = None,
             park_id: str | None = None, sources: tuple[str, ...] = ()) -> dict[str, Any]:
    from zeropark.accounting.options import options_for
    from zeropark.accounting.report import park_summary
    from zeropark.errors import InputError
    from zeropark.model import read_park
    from zeropark.store import open_store

    with open_store(store, read_only=True) as db:
        model = read_park(park_path) if park_path else db.load_park(str(park_id))
        options = options_for(model, tce_method=tce_method, grid_factor=grid_factor,
                              supply_coal_rate_kgce_per_kwh=supply_coal_rate)
        result = park_summary(db, model, year=year, options=options, sources=sources)
    if year not in result["years"]:
        raise InputError(f"no interval data in {year} for park {model.park_id!r}; years with "
                         f"data: {', '.join(map(str, result['years'])) or 'none'}",
                         field="year")
    return result


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title=f"{summary['name']} — {summary['year']} "
                        f"({summary['n_buildings']} buildings, {summary['n_meters']} meters; "
                        f"tce method: {summary['tce_method']})")
    for col in ("medium", "measured kWh", "estimated kWh", "tce", "t CO2"):
        table.add_column(col, justify="right" if col != "medium" else "left")
    for row in summary["media"] + [{"medium": "total", **summary["totals"]}]:
        table.add_row(str(row["medium"]), f"{row['measured_kwh']:,.0f}",
                      f"{row['estimated_kwh']:,.0f}", f"{row['tce']:,.1f}",
                      f"{row['co2e_t']:,.1f}")
    console.print(table)
    top = Table(title="Top consumers")
    for col in ("building", "MWh", "kWh/m²", "t CO2"):
        top.add_column(col, justify="right" if col != "building" else "left")
    for b in summary["top_buildings"]:
        eui = f"{b['eui_kwh_per_m2']:,.0f}" if b["eui_kwh_per_m2"] else "—"
        top.add_row(b["name"], f"{b['energy_kwh'] / 1000:,.1f}", eui, f"{b['co2e_t']:,.1f}")
    console.print(top)
    quality_table = Table(title="Data-quality findings")
    quality_table.add_column("code")
    quality_table.add_column("count", justify="right")
    for code, n in summary["quality"].items():
        quality_table.add_row(code, str(n))
    console.print(quality_table)
    for f in summary["factors"]:
        console.print(f"[dim]factor {f['factor_id']}: {f['value']} {f['unit']} — "
                      f"{f['source']}[/]")


@app.command()
def summary(
    park: ParkOpt,
    year: Annotated[int, typer.Option(help="Local calendar year.", min=1900, max=2200)],
    store: StoreOpt = None,
    tce_method: TceOpt = None,
    grid_factor: GridOpt = None,
    supply_coal_rate: SupplyOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Energy by medium, standard coal and CO2 of a park for one year."""
    try:
        result = _summary(park, store, year, tce_method, grid_factor, supply_coal_rate)
    except ParkError as err:
        raise _fail(err) from err
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    else:
        _print_summary(result)


@app.command()
def accounts(
    park: ParkOpt,
    start: Annotated[str, typer.Option(help="First local date, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Local date after the last, YYYY-MM-DD.")],
    by: Annotated[str, typer.Option(help="medium, building, enterprise or meter.")] = "medium",
    store: StoreOpt = None,
    tce_method: TceOpt = None,
    grid_factor: GridOpt = None,
    supply_coal_rate: SupplyOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Energy, tce and CO2 for any local period, by medium, building, enterprise or meter."""
    from datetime import date

    from zeropark.accounting.options import options_for
    from zeropark.accounting.report import energy_accounts
    from zeropark.errors import InputError
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        try:
            first, after = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError as err:
            raise InputError(f"dates must be YYYY-MM-DD: {err}", field="start/end") from err
        model = read_park(park)
        options = options_for(model, tce_method=tce_method, grid_factor=grid_factor,
                              supply_coal_rate_kgce_per_kwh=supply_coal_rate)
        with open_store(store, read_only=True) as db:
            rows = energy_accounts(db, model, start=first, end=after, by=by, options=options)
    except ParkError as err:
        raise _fail(err) from err
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    table = Table(title=f"{model.name}: {first} to {after} (exclusive), by {by}")
    for col in (by, "medium", "measured kWh", "estimated kWh", "tce", "t CO2"):
        table.add_column(col, justify="left" if col in (by, "medium") else "right")
    for row in rows:
        table.add_row(str(row["group"]), str(row["medium"]), f"{row['measured_kwh']:,.1f}",
                      f"{row['estimated_kwh']:,.1f}", f"{row['tce']:,.3f}",
                      f"{row['co2e_t']:,.3f}")
    console.print(table)


activity_app = typer.Typer(help="Activity data (fuel, refrigerant, process, Scope 3, "
                            "instruments) for GHG inventories.", no_args_is_help=True)
app.add_typer(activity_app, name="activity")


@activity_app.command("import")
def activity_import(
    file: Annotated[Path, typer.Argument(help="CSV or .xlsx file of activity records.")],
    park: ParkOpt,
    store: StoreOpt = None,
) -> None:
    """Validate and store activity records (a file with a bad row changes nothing)."""
    from zeropark.accounting.ledger import import_activity
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        model = read_park(park)
        with open_store(store) as db:
            db.save_park(model)
            n = import_activity(db, model, file)
    except ParkError as err:
        raise _fail(err) from err
    console.print(f"stored {n} activity record(s) from {file}")


@app.command()
def inventory(
    enterprise: Annotated[str, typer.Argument(help="Enterprise id.")],
    park: ParkOpt,
    year: Annotated[int, typer.Option(help="Reporting year (local calendar).", min=1900,
                                      max=2200)],
    fmt: Annotated[str, typer.Option("--format", help="json, xlsx, html or pdf.")] = "json",
    out: Annotated[Path | None, typer.Option(help="Output file (default: stdout for "
                                             "json, else ENTERPRISE-YEAR.FORMAT).")] = None,
    region: Annotated[str | None, typer.Option(help="Grid region (CN, CN-East, CN-JS); "
                                               "default the park's settings.grid_region or "
                                               "CN.")] = None,
    gwp: Annotated[str, typer.Option(help="GWP100 set: SAR, AR4, AR5 or AR6.")] = "AR5",
    meters: Annotated[bool, typer.Option("--meters/--no-meters", help="Include the "
                                         "enterprise's metered energy.")] = True,
    store: StoreOpt = None,
) -> None:
    """GHG inventory of an enterprise: MEE/NDRC, GHG Protocol and ISO 14064-1 framings."""
    from datetime import date

    from zeropark.accounting.framings import inventory_document
    from zeropark.accounting.inventory import compute_inventory
    from zeropark.accounting.ledger import enterprise_records
    from zeropark.errors import InputError
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        if fmt not in ("json", "xlsx", "html", "pdf"):
            raise InputError(f"unknown format {fmt!r}; use json, xlsx, html or pdf",
                             field="format")
        model = read_park(park)
        with open_store(store, read_only=True) as db:
            records = enterprise_records(db, model, enterprise, start=date(year, 1, 1),
                                         end=date(year + 1, 1, 1), meters=meters)
        grid_region = region or str(model.settings.get("grid_region", "CN"))
        inv = compute_inventory(records, enterprise_id=enterprise, period=str(year),
                                region=grid_region, data_year=year, gwp_set=gwp)
        doc = inventory_document(inv)
        if fmt == "json" and out is None:
            sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n")
            return
        target = out or Path(f"{enterprise}-{year}.{fmt}")
        from zeropark.reports.inventory import write_inventory

        write_inventory(inv, target, fmt=fmt)
    except ParkError as err:
        raise _fail(err) from err
    console.print(f"wrote {target}")


@app.command()
def demo(
    serve_: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the dashboard "
                                         "after loading.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    year: Annotated[int, typer.Option(help="Demo year (local calendar).", min=1900,
                                      max=2200)] = 2022,
    store: StoreOpt = None,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Load the Cambridge estate demo park, compute, print a summary, serve the dashboard."""
    from zeropark.demo.cambridge import SOURCES, data_root, load_demo
    from zeropark.store import open_store

    settings = Settings()
    store_path = store or settings.store_path
    try:
        root = data_root(settings)
        with open_store(store_path) as db, _progress() as bar:
            task = bar.add_task("loading demo meters", total=None)
            park, report = load_demo(db, root, park_file=store_path.parent / "demo-park.toml",
                                     progress=lambda n: bar.advance(task, n))
        result = _summary(None, store_path, year, None, None, park_id=park.park_id,
                          sources=SOURCES)
    except ParkError as err:
        raise _fail(err) from err
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    else:
        err_console.print(f"[dim]demo data: {root}; {report.n_new} new readings, "
                          f"{len(report.skipped)} file(s) already loaded[/]")
        _print_summary(result)
    _demo_admin(store_path)
    if serve_:
        serve(host=host, port=port, store=store_path)


DEMO_ADMIN = "admin"


def _demo_admin(store_path: Path) -> None:
    """Create the demo's park-admin once; its password is printed only then.

    ``ZEROPARK_DEMO_PASSWORD`` sets (and on later runs resets) the password instead.
    """
    import os
    import secrets

    from zeropark.auth import add_user, list_users
    from zeropark.store import open_store

    chosen = os.environ.get("ZEROPARK_DEMO_PASSWORD")
    with open_store(store_path) as db:
        exists = any(u["username"] == DEMO_ADMIN for u in list_users(db))
        if exists and not chosen:
            err_console.print(f"[dim]demo sign-in: user {DEMO_ADMIN!r} (password printed when "
                              "it was created; reset with `zeropark user add admin --role "
                              "park-admin --replace`)[/]")
            return
        password = chosen or secrets.token_urlsafe(12)
        add_user(db, DEMO_ADMIN, password, role="park-admin", replace=True)
    if chosen:
        err_console.print(f"demo sign-in: user [bold]{DEMO_ADMIN}[/], password from "
                          "$ZEROPARK_DEMO_PASSWORD")
    else:
        err_console.print(f"demo sign-in: user [bold]{DEMO_ADMIN}[/], password "
                          f"[bold]{password}[/] (shown only now)")


user_app = typer.Typer(help="Users of the park service (park-admin, enterprise-user, "
                       "verifier).", no_args_is_help=True)
app.add_typer(user_app, name="user")
token_app = typer.Typer(help="API tokens for gateways (may only upload readings).",
                        no_args_is_help=True)
app.add_typer(token_app, name="token")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="park-admin, enterprise-user or verifier.")],
    park_id: Annotated[str | None, typer.Option("--park-id", help="Park of an enterprise "
                                                "user or verifier.")] = None,
    enterprise: Annotated[str | None, typer.Option(help="Enterprise id (enterprise-user, "
                                                   "verifier).")] = None,
    expires: Annotated[str | None, typer.Option(help="End of a verifier's access, ISO "
                                                "date or time (UTC if no offset).")] = None,
    password_env: Annotated[str | None, typer.Option(help="Read the password from this "
                                                     "environment variable instead of a "
                                                     "prompt.")] = None,
    replace: Annotated[bool, typer.Option(help="Reset an existing user.")] = False,
    store: StoreOpt = None,
) -> None:
    """Add a user; the password is hashed with Argon2id and never stored in clear."""
    import os
    from datetime import UTC, datetime

    from zeropark.auth import add_user
    from zeropark.errors import InputError
    from zeropark.store import open_store

    try:
        until = None
        if expires:
            try:
                until = datetime.fromisoformat(expires)
            except ValueError as err:
                raise InputError(f"--expires: {err}", field="expires") from err
            until = until if until.tzinfo else until.replace(tzinfo=UTC)
        if password_env:
            password = os.environ.get(password_env, "")
        else:
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        with open_store(store) as db:
            add_user(db, username, password, role=role, park_id=park_id,
                     enterprise_id=enterprise, expires_at=until, replace=replace)
    except (ParkError, ValueError) as err:
        raise _fail(err) from err
    console.print(f"user {username!r} ({role}) saved")


@user_app.command("list")
def user_list(store: StoreOpt = None) -> None:
    """List users (without password hashes)."""
    from zeropark.auth import list_users
    from zeropark.store import open_store

    with open_store(store) as db:
        rows = list_users(db)
    table = Table(title="Users")
    for col in ("username", "role", "park", "enterprise", "expires", "disabled"):
        table.add_column(col)
    for r in rows:
        table.add_row(*(str(r[k] if r[k] is not None else "—") for k in (
            "username", "role", "park_id", "enterprise_id", "expires_at", "disabled")))
    console.print(table)


@token_app.command("add")
def token_add(
    name: Annotated[str, typer.Argument(help="Gateway name, e.g. gw-plant-3.")],
    park_id: Annotated[str, typer.Option("--park-id", help="Park it uploads to.")],
    store: StoreOpt = None,
) -> None:
    """Create a gateway token (shown once; only its SHA-256 is stored)."""
    from zeropark.auth import add_token
    from zeropark.store import open_store

    with open_store(store) as db:
        token = add_token(db, name, park_id=park_id)
    console.print(f"token for {name!r} (park {park_id}), shown only now:")
    sys.stdout.write(token + "\n")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    store: StoreOpt = None,
) -> None:
    """Serve the REST API and the dashboard (uvicorn)."""
    import uvicorn

    from zeropark.api.main import create_app

    application = create_app(store or Settings().store_path)
    console.print(f"[bold green]zeropark dashboard:[/] http://{host}:{port}/  "
                  f"(API docs: http://{host}:{port}/docs)")
    uvicorn.run(application, host=host, port=port, log_level="warning")


from zeropark.cli_indicators import indicators_app  # noqa: E402

app.add_typer(indicators_app, name="indicators")

from zeropark.cli_cbam import cbam_app  # noqa: E402

app.add_typer(cbam_app, name="cbam")

from zeropark.cli_forecast import forecast_app  # noqa: E402

app.add_typer(forecast_app, name="forecast")

from zeropark.cli_pcf import pcf_app  # noqa: E402

app.add_typer(pcf_app, name="pcf")

from zeropark.cli_conformance import conformance_app  # noqa: E402

app.add_typer(conformance_app, name="conformance")

from zeropark.cli_scale import db_app, lake_app  # noqa: E402

app.add_typer(db_app, name="db")
app.add_typer(lake_app, name="lake")


if __name__ == "__main__":  # pragma: no cover
    app()
