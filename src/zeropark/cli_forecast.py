"""Command line: ``zeropark forecast load|alarms|ack|pv``.

Thin: parse arguments, call :mod:`zeropark.forecast.pipeline` / :mod:`zeropark.forecast.pv`,
print a table or JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from zeropark.errors import ParkError

forecast_app = typer.Typer(help="Day-ahead load forecasts, expected PV, anomaly alarms.")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one error, one line
ParkOpt = Annotated[Path, typer.Option("--park", help="Park description file (TOML).")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="DuckDB file.")]


def _fail(err: Exception) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {err}")
    return typer.Exit(code=2)


@forecast_app.command("load")
def load(
    park: ParkOpt,
    day: Annotated[str, typer.Option(help="Local day to forecast, YYYY-MM-DD.")],
    building: Annotated[str | None, typer.Option(help="Building id (default: park).")] = None,
    meter: Annotated[str | None, typer.Option(help="Meter id.")] = None,
    country: Annotated[str, typer.Option(help="Holiday calendar (ISO code).")] = "CN",
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Day-ahead hourly forecast with 80 % interval and the seasonal-naive baseline."""
    from zeropark.forecast.pipeline import forecast_group
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        model = read_park(park)
        with open_store(store, read_only=True) as db:
            out = forecast_group(db, model, day, building_id=building, meter_id=meter,
                                 country=country)
    except (ParkError, KeyError) as err:
        raise _fail(err) from err
    if as_json:
        console.print_json(out.reset_index(names="interval_start").to_json(
            orient="records", date_format="iso"))
        return
    table = Table("interval start (UTC)", "forecast kWh", "lower", "upper", "seasonal naive")
    for ts, (_, row) in zip(pd.DatetimeIndex(out.index), out.iterrows(), strict=True):
        table.add_row(ts.isoformat(), *(f"{row[c]:,.1f}" for c in
                                        ("forecast", "lower", "upper", "seasonal_naive")))
    console.print(table)


@forecast_app.command("alarms")
def alarms(
    park: ParkOpt,
    detect: Annotated[bool, typer.Option(help="Run the rules first and store new alarms.")
                      ] = False,
    open_only: Annotated[bool, typer.Option("--open", help="Unacknowledged only.")] = False,
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the park's alarms (optionally detecting new ones first)."""
    from zeropark.forecast.alarms import AlarmLog, list_alarms
    from zeropark.forecast.pipeline import detect_alarms
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        model = read_park(park)
        with open_store(store, read_only=not detect) as db:
            if detect:
                detect_alarms(db, model)
            rows = list_alarms(AlarmLog(db), model.park_id,
                               acknowledged=False if open_only else None)
    except ParkError as err:
        raise _fail(err) from err
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table("id", "code", "severity", "meter", "start", "end", "ack", "message")
    for r in rows:
        table.add_row(r["alarm_id"], r["code"], r["severity"], r["meter_id"], r["start_ts"],
                      r["end_ts"], "yes" if r["acknowledged"] else "", r["message"])
    console.print(table)


@forecast_app.command("ack")
def ack(
    park: ParkOpt,
    alarm_id: Annotated[str, typer.Argument(help="Alarm id (see `forecast alarms`).")],
    by: Annotated[str, typer.Option(help="Who acknowledges.")],
    note: Annotated[str, typer.Option(help="Why / what was done.")] = "",
    store: StoreOpt = None,
) -> None:
    """Acknowledge one alarm."""
    from zeropark.forecast.alarms import AlarmLog, acknowledge_alarm
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        model = read_park(park)
        with open_store(store) as db:
            acknowledge_alarm(AlarmLog(db), model.park_id, alarm_id, by=by, note=note)
    except (ParkError, KeyError) as err:
        raise _fail(err) from err
    console.print(f"acknowledged {alarm_id}")


@forecast_app.command("pv")
def pv(
    park: ParkOpt,
    weather_file: Annotated[Path, typer.Option("--tmy", help="TMY3 or EPW weather file.")],
    meter: Annotated[str | None, typer.Option(help="PV meter id (default: all arrays).")
                     ] = None,
) -> None:
    """Expected annual PV yield of the park's arrays from a typical-year weather file."""
    from zeropark.errors import InputError
    from zeropark.forecast.pv import PvArray, expected_pv
    from zeropark.forecast.weather import read_epw, read_tmy3
    from zeropark.model import read_park
    from zeropark.units import Medium

    try:
        model = read_park(park)
        reader = read_epw if weather_file.suffix.lower() == ".epw" else read_tmy3
        weather, meta = reader(weather_file)
        lat = model.latitude if model.latitude is not None else meta["latitude"]
        lon = model.longitude if model.longitude is not None else meta["longitude"]
        arrays = [PvArray.from_meter(m) for m in model.meters
                  if m.medium == Medium.PV and (meter is None or m.meter_id == meter)]
        if not arrays:
            raise InputError("no PV meter with array keys in the park file", field="meter")
        table = Table("meter", "kWp", "expected kWh/a", "kWh/kWp")
        for arr in arrays:
            out = expected_pv(weather, arr, latitude=lat, longitude=lon)
            kwh = float(out["energy_kwh"].sum())
            table.add_row(arr.meter_id, f"{arr.kwp:,.0f}", f"{kwh:,.0f}", f"{kwh / arr.kwp:,.0f}")
    except ParkError as err:
        raise _fail(err) from err
    console.print(table)
    console.print(f"weather: {weather_file} (site data: {meta.get('Name', meta.get('city', ''))})")
