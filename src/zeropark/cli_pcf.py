"""Command line of product carbon footprints: ``zeropark pcf run MODEL.toml ...``.

Thin: read the model file (:mod:`zeropark.lca.pcf_file`), load the background database,
take the enterprise's metered energy from the park store, compute
(:func:`zeropark.lca.pcf.compute_pcf`) and write the report, the PACT JSON or the battery
declaration. Registered on the main app in :mod:`zeropark.cli`.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zeropark.errors import InputError, ParkError

pcf_app = typer.Typer(help="Product carbon footprints (ISO 14067): reports, PACT JSON, "
                      "EU battery declaration.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one error, one line


class Format(StrEnum):
    """Output formats of ``pcf run``."""

    HTML = "html"
    PDF = "pdf"
    JSON = "json"
    PACT = "pact"
    BATTERY = "battery"


def _fail(err: Exception) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {err}")
    return typer.Exit(code=2)


def run_model(model_path: Path, *, park: Path | None, store: Path | None, iterations: int,
              seed: int) -> tuple[Any, Any]:
    """Compute the PCF of a model file: ``(model file, result)``.

    Energy comes from the park store when the file names an ``[energy] enterprise`` (then
    `park` is required), else from the numbers entered in the file.
    """
    from zeropark import __version__
    from zeropark.lca.background import (
        IMPORT_VERSION,
        USLCI_CITATION,
        USLCI_LICENCE,
        uslci_zip,
    )
    from zeropark.lca.foreground import build_system, energy_from_store
    from zeropark.lca.io_olca import read_olca_jsonld
    from zeropark.lca.pcf import compute_pcf
    from zeropark.lca.pcf_file import read_pcf_model
    from zeropark.lca.pcf_uncertainty import foreground_uncertainty

    mf = read_pcf_model(model_path)
    if mf.background != "uslci":
        raise InputError(f"background database {mf.background!r} is not supported (uslci)",
                         path=str(model_path), field="background.database")
    if mf.energy.enterprise and park is None:
        raise InputError("[energy] enterprise needs --park (and --store) to read the meters",
                         path=str(model_path), field="energy.enterprise")
    background, report = read_olca_jsonld(uslci_zip())
    energy = None
    sources = [f"Background: {USLCI_CITATION} Licence: {USLCI_LICENCE}"]
    if mf.energy.enterprise and park is not None:
        from zeropark.model import read_park
        from zeropark.store import open_store

        park_model = read_park(park)
        assert mf.energy.period_start is not None and mf.energy.period_end is not None
        with open_store(store, read_only=True) as db:
            energy = energy_from_store(db, park_model, mf.energy.enterprise,
                                       start=mf.energy.period_start, end=mf.energy.period_end)
        sources.append(f"Energy: metered electricity and natural gas of enterprise "
                       f"{mf.energy.enterprise!r} in park {park_model.park_id!r}, "
                       f"{mf.energy.period_start} – {mf.energy.period_end} (store {db.path})")
    fg = build_system(mf.product_model(background, energy), background)
    if mf.uncertainty:
        gsd = {k: v for k, v in mf.uncertainty.items() if k != "emission_factors"}
        fg = foreground_uncertainty(fg, gsd,
                                    emission_factor_gsd=mf.uncertainty.get("emission_factors"))
    study = mf.study(data_sources=tuple(sources),
                     method_version=f"zeropark {__version__}, USLCI import v{IMPORT_VERSION}")
    return mf, compute_pcf(study, fg, iterations=iterations, seed=seed,
                           unlinked=report.unlinked)


@pcf_app.command("run")
def run(
    model: Annotated[Path, typer.Argument(help="Product model file (TOML), see docs/pcf.md.")],
    out: Annotated[Path, typer.Option("--out", help="Output file.")],
    park: Annotated[Path | None, typer.Option("--park", help="Park file (TOML), for metered "
                                              "energy.")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="DuckDB file (default "
                                               "$ZEROPARK_STORE_PATH).")] = None,
    iterations: Annotated[int, typer.Option(help="Monte Carlo iterations (0: none).",
                                            min=0)] = 200,
    seed: Annotated[int, typer.Option(help="Monte Carlo seed.")] = 14067,
    fmt: Annotated[Format, typer.Option("--format", help="html, pdf, json (full result), "
                                        "pact (PACT v2.2 ProductFootprint) or battery "
                                        "(EU 2023/1542 declaration).")] = Format.HTML,
) -> None:
    """Compute a product carbon footprint and write the report or an export."""
    from zeropark.lca.battery import BatteryData, battery_declaration
    from zeropark.lca.pact import pact_footprint, validate_pact
    from zeropark.reports.pcf import build_pcf_report, write_atomic, write_pcf_report

    try:
        mf, result = run_model(model, park=park, store=store, iterations=iterations, seed=seed)
        battery = (battery_declaration(result, BatteryData.from_mapping(mf.battery))
                   if mf.battery else None)
        if fmt in (Format.HTML, Format.PDF, Format.JSON):
            write_pcf_report(build_pcf_report(result, battery=battery), out, fmt=fmt.value)
        elif fmt == Format.PACT:
            doc = pact_footprint(result, mf.pact)
            for problem in validate_pact(doc):
                err_console.print(f"[yellow]PACT check:[/] {escape(problem)}")
            _write_json(out, doc, write_atomic)
        else:
            if battery is None:
                raise InputError("the model file has no [battery] table", path=str(model),
                                 field="battery")
            _write_json(out, battery, write_atomic)
    except ParkError as err:
        raise _fail(err) from err
    _summary(result)
    console.print(f"wrote {out}")


def _write_json(out: Path, doc: Any, write_atomic: Any) -> None:
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    write_atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _summary(result: Any) -> None:
    table = Table(title=f"CFP of {result.study.product} [kg CO2e per declared unit]")
    table.add_column("stage")
    table.add_column("kg CO2e", justify="right")
    table.add_column("share", justify="right")
    for row in result.stages:
        table.add_row(row.stage + ("" if row.in_boundary else " (outside)"),
                      f"{row.cfp_kgco2e:.4f}", f"{100 * row.share:.1f} %")
    table.add_row("total (incl. biogenic CO2)", f"{result.cfp_kgco2e:.4f}", "")
    table.add_row("excl. biogenic CO2", f"{result.cfp_excl_biogenic_co2_kgco2e:.4f}", "")
    if result.uncertainty is not None:
        u = result.uncertainty
        table.add_row("95 % interval", f"{u.p2_5:.4f} – {u.p97_5:.4f}", "")
    (err_console if not sys.stdout.isatty() else console).print(table)
    for issue in result.issues:
        err_console.print(f"[yellow]{issue.code.value}:[/] {escape(issue.message)}")
