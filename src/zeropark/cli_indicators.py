"""Command line: ``zeropark indicators`` (table or JSON) and ``zeropark indicators import-manual``.

Thin: parse arguments, call :func:`zeropark.indicators.report.indicators_report`, print.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from zeropark.errors import InputError, ParkError

indicators_app = typer.Typer(help="Zero-carbon park indicators (national 1+5, Jiangsu guide, "
                             "green buildings) and their hand-entered inputs.")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one error, one line

_STATUS = {"met": "[green]met[/]", "not_met": "[red]not met[/]",
           "no_data": "[yellow]no data[/]", "no_target": "[dim]no target[/]"}


def _fail(err: Exception) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {err}")
    return typer.Exit(code=2)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if unit == "-" else f"{value:,.4g}"


@indicators_app.callback(invoke_without_command=True)
def indicators(
    ctx: typer.Context,
    park: Annotated[Path | None, typer.Option("--park", help="Park file (TOML).")] = None,
    year: Annotated[int | None, typer.Option(help="Local calendar year.", min=1900,
                                             max=2200)] = None,
    level: Annotated[str, typer.Option(help="park, enterprise or building.")] = "park",
    store: Annotated[Path | None, typer.Option("--store", help="DuckDB file.")] = None,
    tce_method: Annotated[str | None, typer.Option(help="calorific (当量值) or equivalent "
                                                   "(等价值).")] = None,
    supply_coal_rate: Annotated[float | None, typer.Option(
        help="Supply coal rate for equivalent (等价值). [kgce/kWh]")] = None,
    grid_factor: Annotated[str | None, typer.Option(help="Factor-library id of the grid "
                                                    "factor.")] = None,
    scope2: Annotated[str | None, typer.Option(help="location or market (certificates "
                                               "count in CO2).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Evaluate the indicators of a park, its enterprises or its buildings for one year."""
    if ctx.invoked_subcommand is not None:
        return
    from zeropark.accounting.options import options_for
    from zeropark.indicators.report import indicators_report
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        if park is None or year is None:
            raise InputError("give --park and --year (or a subcommand, e.g. import-manual)",
                             field="park" if park is None else "year")
        model = read_park(park)
        options = options_for(model, tce_method=tce_method, grid_factor=grid_factor,
                              supply_coal_rate_kgce_per_kwh=supply_coal_rate)
        with open_store(store, read_only=True) as db:
            report = indicators_report(db, model, year=year, level=level, options=options,
                                       scope2=scope2)
    except ParkError as err:
        raise _fail(err) from err
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    else:
        print_report(report)


def print_report(report: dict[str, Any]) -> None:
    """Print an :func:`indicators_report` result as rich tables."""
    conv = report["conventions"]
    table = Table(title=f"{report['name']} — {report['year']}, {report['level']} "
                        f"(tce: {conv['tce_method']}, scope 2: {conv['scope2']}, grid "
                        f"{conv['grid_factor']['factor_id']})")
    cols = ["indicator", *(["subject"] if report["level"] != "park" else []), "value",
            "target", "status", "vs prev. year", "threshold", "note"]
    for col in cols:
        table.add_column(col, justify="right" if col in ("value", "target") else "left")
    for r in report["indicators"]:
        unit = r["unit"]
        target = "—" if r["target"] is None else f"{r['direction']} {_fmt(r['target'], unit)}"
        trend = r["trend"] or {}
        change = trend.get("change")
        prev = "—" if change is None else "=" if change == 0 else (("▲ " if change > 0 else "▼ ")
                                           + _fmt(abs(change), unit)
                                           + (" ✓" if trend.get("improving") else ""))
        note = ("needs " + ", ".join(r["missing_inputs"]) if r["missing_inputs"]
                else r["reason"])
        wit = r["what_it_takes"] or (r["illustrative"] or {}).get("what_it_takes")
        if wit:
            kwp = f", {wit['pv_kwp']:,.0f} kWp PV" if wit.get("pv_kwp") is not None else ""
            note = (("illustrative: " if r["illustrative"] else "") + f"needs "
                    f"{wit['green_power_mwh']:,.0f} MWh zero-carbon power{kwp}")
        cells = [r["name_zh"], *([r["subject"]] if report["level"] != "park" else []),
                 _fmt(r["value"], unit) + ("" if unit == "-" or r["value"] is None
                                           else f" {unit}"), target,
                 _STATUS.get(r["status"], r["status"]), prev, r["target_verification"] or "—",
                 note]
        table.add_row(*cells)
    console.print(table)
    gb = report.get("green_buildings")
    if gb:
        console.print(f"[bold]Green buildings:[/] {gb['headline']}")
        for b in gb["buildings"]:
            for line in b["arithmetic"]:
                console.print(f"  [dim]{b['building_id']}: {line}[/]")
    sc = report.get("social_contribution")
    if sc:
        trees = sc["trees"]["trees"]
        console.print(f"[bold]Social contribution:[/] {sc['tce_saved']:,.1f} tce saved, "
                      f"{sc['co2_avoided_t']:,.1f} t CO2 avoided, trees: "
                      + (f"{trees:,}" if trees is not None else "no data ("
                         + sc["trees"]["reason"] + ")"))
        for line in sc["arithmetic"]:
            console.print(f"  [dim]{line}[/]")


@indicators_app.command("import-manual")
def import_manual(
    file: Annotated[Path, typer.Argument(help="CSV or TOML file of hand-entered inputs.")],
    park: Annotated[Path, typer.Option("--park", help="Park file (TOML).")],
    store: Annotated[Path | None, typer.Option("--store", help="DuckDB file.")] = None,
) -> None:
    """Validate and store hand-entered inputs (value added, waste, water, heat, certificates)."""
    from zeropark.indicators.manual import read_manual_inputs, save_manual_inputs
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        model = read_park(park)
        inputs = read_manual_inputs(file, model)
        with open_store(store) as db:
            n = save_manual_inputs(db, model, inputs, imported_from=str(file))
    except ParkError as err:
        raise _fail(err) from err
    console.print(f"stored {n} manual input(s) from {file}")
