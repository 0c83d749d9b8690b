"""Command line of the green-trade module (EU CBAM): ``zeropark cbam ...``.

Subcommands: ``goods``, ``see``, ``report``, ``communication``, ``cost``,
``supplier-request``.

Thin: parse arguments, call :mod:`zeropark.cbam`, print with rich. Registered on
the main app in :mod:`zeropark.cli`.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from zeropark.errors import InputError, ParkError

cbam_app = typer.Typer(help="EU CBAM: CN goods, SEE of an installation, quarterly report XML, "
                       "communication xlsx, certificate cost, supplier requests.",
                       no_args_is_help=True)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one error, one line

InstallationArg = Annotated[Path, typer.Argument(help="Installation file (TOML), see "
                                                 "docs/cbam.md.")]
ParkOpt = Annotated[Path | None, typer.Option("--park", help="Park file: take the ledger "
                                              "and meter records from the store instead "
                                              "of the installation's activity_file.")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="DuckDB file (with --park).")]


def _fail(err: Exception) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {err}")
    return typer.Exit(code=2)


def _result(file: Path, park: Path | None, store: Path | None) -> Any:
    from zeropark.accounting.activity import read_activity_file
    from zeropark.cbam.installation import read_installation
    from zeropark.cbam.pipeline import compute_installation, installation_inventory

    inst = read_installation(file)
    if park is not None:
        from zeropark.accounting.ledger import enterprise_records
        from zeropark.model import read_park
        from zeropark.store import open_store

        model = read_park(park)
        with open_store(store, read_only=True) as db:
            records = enterprise_records(db, model, inst.enterprise_id,
                                         start=inst.period_start, end=inst.period_end)
    elif inst.activity_file is not None:
        records = read_activity_file(inst.activity_file)
    else:
        raise InputError("no activity_file in [reporting] and no --park/--store given",
                         path=str(file), field="activity_file")
    return compute_installation(inst, installation_inventory(inst, records))


@cbam_app.command("goods")
def goods(
    query: Annotated[str, typer.Argument(help="CN code (8 digits) or prefix/text to search.")],
    country: Annotated[str | None, typer.Option(help="Country of origin (ISO-2) to show "
                                                "the default value.")] = None,
    year: Annotated[int, typer.Option(help="Year of import (mark-up).")] = 2026,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Look up CBAM goods (Reg. 2023/956 Annex I) and their default values (IR 2025/2621)."""
    from zeropark.cbam.defaults import default_value
    from zeropark.cbam.goods import search_goods

    found = search_goods(query, limit=200)
    rows = []
    for g in found:
        row: dict[str, Any] = {"cn_code": g.cn_code, "category": g.category,
                               "description": g.description,
                               "indirect_counts": g.indirect_counts, "routes": list(g.routes)}
        if country:
            try:
                v = default_value(g.cn_code, country, year=year)
                row.update(default_direct_t_per_t=v.direct_t_per_t,
                           default_total_t_per_t=v.total_t_per_t,
                           default_marked_up_t_per_t=v.marked_up_t_per_t,
                           default_fallback=v.fallback)
            except InputError as err:
                row["default_error"] = str(err)
        rows.append(row)
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    if not rows:
        raise _fail(InputError(f"no CBAM good matches {query!r}", field="query"))
    table = Table(title=f"CBAM goods matching {query!r}")
    for col in ("CN", "category", "description", "indirect counts"):
        table.add_column(col)
    if country:
        table.add_column(f"default {country} {year} t/t (base → marked up)")
    for r in rows:
        cells = [r["cn_code"], r["category"], r["description"][:60],
                 "yes" if r["indirect_counts"] else "no (Annex II)"]
        if country:
            cells.append(f"{r.get('default_total_t_per_t')} → "
                         f"{r.get('default_marked_up_t_per_t')}"
                         + (" (other countries)" if r.get("default_fallback") else ""))
        table.add_row(*cells)
    console.print(table)


@cbam_app.command("see")
def see(file: InstallationArg, park: ParkOpt = None, store: StoreOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """SEE direct and indirect of an installation's goods (IR 2023/1773 Annex III)."""
    from zeropark.cbam.pipeline import result_document

    try:
        result = _result(file, park, store)
    except ParkError as err:
        raise _fail(err) from err
    if as_json:
        sys.stdout.write(json.dumps(result_document(result), ensure_ascii=False, indent=1,
                                    default=str) + "\n")
        return
    table = Table(title=f"{result.installation.name}: SEE {result.installation.period_start} "
                        f"– {result.installation.period_end}")
    for col in ("process", "CN", "AL t", "SEE dir t/t", "SEE ind t/t", "SEE total",
                "estimates"):
        table.add_column(col, justify="left" if col in ("process", "CN") else "right")
    for g in result.goods:
        table.add_row(g.process_id, ", ".join(x.cn_code for x in g.goods),
                      f"{g.activity_level_t:,.1f}", f"{g.see_direct_t_per_t:.4f}",
                      f"{g.see_indirect_t_per_t:.4f}", f"{g.see_total_t_per_t:.4f}",
                      f"{g.estimate_share:.1%}")
    console.print(table)
    for issue in result.issues:
        console.print(f"[yellow]{issue.code.value}[/]: {issue.message}")


@cbam_app.command("report")
def report(
    file: InstallationArg,
    line: Annotated[list[str], typer.Option("--line", help="Imported goods CN:MASS_T, "
                                            "e.g. 73181588:120 (repeat).")],
    period: Annotated[str, typer.Option(help="Quarter Q1–Q4.")],
    year: Annotated[int, typer.Option(help="Year of the quarter.")],
    declarant_id: Annotated[str, typer.Option(help="Declarant EORI.")],
    declarant_name: Annotated[str, typer.Option(help="Declarant name.")],
    declarant_country: Annotated[str, typer.Option(help="Declarant country ISO-2.")],
    declarant_city: Annotated[str, typer.Option(help="Declarant city.")],
    authority: Annotated[str, typer.Option(help="National competent authority ref.")],
    signatory: Annotated[str, typer.Option(help="Name of the person signing.")],
    position: Annotated[str, typer.Option(help="Position of the person signing.")] = "CBAM "
    "declarant",
    report_id: Annotated[str | None, typer.Option(help="Draft report id (≤22).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output XML (default stdout).")] = None,
    validate: Annotated[bool, typer.Option("--validate/--no-validate", help="Validate "
                                           "against the QReport XSD.")] = True,
    park: ParkOpt = None, store: StoreOpt = None,
) -> None:
    """Transitional quarterly report XML (QReport 17.03), validated against the XSD."""
    from zeropark.cbam.installation import Address
    from zeropark.cbam.qreport import (
        ImportedLine,
        Party,
        ReportHeader,
        build_qreport,
        validate_qreport,
    )

    try:
        result = _result(file, park, store)
        lines = []
        for text in line:
            cn, _, mass = text.partition(":")
            try:
                lines.append(ImportedLine(cn.strip(), float(mass), result))
            except ValueError as err:
                raise InputError(f"--line {text!r}: expected CN:MASS_T", field="line") from err
        now = datetime.now(UTC).replace(microsecond=0)
        header = ReportHeader(
            draft_report_id=report_id or f"ZP{year}{period}{now:%m%d%H%M}"[:22], period=period,
            year=year, submission=now,
            declarant=Party(declarant_id, declarant_name,
                            Address(declarant_country.upper(), declarant_city)),
            competent_authority=authority, signature_place=declarant_city,
            signatory=signatory, signatory_position=position)
        xml = build_qreport(header, lines)
        findings = validate_qreport(xml) if validate else ()
    except ParkError as err:
        raise _fail(err) from err
    if out is None:
        sys.stdout.write(xml.decode("utf-8") + "\n")
    else:
        out.write_bytes(xml)
        console.print(f"wrote {out}")
    for f in findings:
        err_console.print(f"[red]XSD[/] {f.path}: {f.reason}")
    if findings:
        raise typer.Exit(code=1)


@cbam_app.command("communication")
def communication(file: InstallationArg,
                  out: Annotated[Path | None, typer.Option(help="Output .xlsx.")] = None,
                  park: ParkOpt = None, store: StoreOpt = None) -> None:
    """Operator → importer communication workbook (EU template's sheet structure)."""
    from zeropark.cbam.communication import write_communication

    try:
        result = _result(file, park, store)
        target = out or Path(f"{result.installation.installation_id}-{result.year}-cbam.xlsx")
        write_communication(result, target)
    except ParkError as err:
        raise _fail(err) from err
    console.print(f"wrote {target}")


@cbam_app.command("cost")
def cost(
    cn: Annotated[str, typer.Argument(help="CN code.")],
    mass: Annotated[float, typer.Option(help="Imported mass. [t]")],
    year: Annotated[int, typer.Option(help="Year of import (≥ 2026).")],
    price: Annotated[float, typer.Option(help="Certificate (EUA) price. [EUR/t CO2e]")],
    see_direct: Annotated[float | None, typer.Option(help="SEE direct [t CO2e/t]; "
                                                     "default from --installation or the "
                                                     "default value.")] = None,
    see_indirect: Annotated[float, typer.Option(help="SEE indirect [t CO2e/t].")] = 0.0,
    installation: Annotated[Path | None, typer.Option(help="Take SEE from this "
                                                      "installation file.")] = None,
    country: Annotated[str, typer.Option(help="Origin for the default value.")] = "CN",
    column: Annotated[str, typer.Option(help="Benchmark column A (actual) or B "
                                        "(default).")] = "B",
    route: Annotated[str | None, typer.Option(help="Benchmark route marker (C, E, K...).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Indicative CBAM certificate cost with the free-allocation phase-out (Art. 31)."""
    from dataclasses import asdict

    from zeropark.cbam.cost import estimate_certificate_cost
    from zeropark.cbam.defaults import default_value

    try:
        notes = []
        if installation is not None:
            g = _result(installation, None, None).good(cn)
            see_direct, see_indirect = g.see_direct_t_per_t, g.see_indirect_t_per_t
        elif see_direct is None:
            v = default_value(cn, country, year=year)
            see_direct = v.marked_up_t_per_t or v.total_t_per_t or 0.0
            see_indirect = 0.0
            notes.append(f"SEE = default value incl. mark-up, {v.country} (IR 2025/2621)")
        est = estimate_certificate_cost(cn, mass_t=mass, see_direct_t_per_t=see_direct,
                                        see_indirect_t_per_t=see_indirect, year=year,
                                        price_eur_per_t=price, benchmark_column=column,
                                        route=route)
    except ParkError as err:
        raise _fail(err) from err
    doc = asdict(est)
    doc["notes"] = [*notes, *est.notes]
    if as_json:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
        return
    for key in ("cn_code", "year", "mass_t", "see_counted_t_per_t", "embedded_t",
                "cbam_factor", "benchmark_t_per_t", "free_allocation_t", "certificates",
                "price_eur_per_t", "cost_eur"):
        value = doc[key]
        console.print(f"{key:>22}: {value:,.3f}" if isinstance(value, float)
                      else f"{key:>22}: {value}")
    for note in doc["notes"]:
        console.print(f"[dim]note: {note}[/]")


@cbam_app.command("supplier-request")
def supplier_request(file: InstallationArg,
                     out: Annotated[Path | None, typer.Option(help="Folder for one .txt per "
                                                             "precursor (default stdout).")]
                     = None,
                     all_precursors: Annotated[bool, typer.Option("--all", help="Also for "
                                               "precursors that have supplier data.")]
                     = False) -> None:
    """Bilingual (EN/中文) requests to suppliers for precursor SEE."""
    from zeropark.cbam.installation import read_installation
    from zeropark.cbam.supplier import supplier_requests

    try:
        texts = supplier_requests(read_installation(file), only_missing=not all_precursors)
    except ParkError as err:
        raise _fail(err) from err
    for pid, text in texts.items():
        if out is None:
            sys.stdout.write(text + "\n")
        else:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"cbam-request-{pid}.txt").write_text(text, encoding="utf-8")
            console.print(f"wrote {out / f'cbam-request-{pid}.txt'}")
    if not texts:
        console.print("every purchased precursor has supplier SEE; use --all to write anyway")



