"""Command line: ``zeropark conformance assess`` and ``zeropark conformance evidence``.

Thin: parse arguments, call :mod:`zeropark.indicators.conformance`, print.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from zeropark.errors import ParkError

conformance_app = typer.Typer(help="Carbon/energy management-system conformance (碳管理体系贯标): "
                              "checklist, evidence, gap list and readiness score.",
                              no_args_is_help=True)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one error, one line
ParkOpt = Annotated[Path, typer.Option("--park", help="Park description file (TOML).")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="DuckDB file.")]


def _fail(err: Exception) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {err}")
    return typer.Exit(code=2)


def _evidence_root(store: Path | None) -> Path:
    from zeropark.settings import Settings

    return (store or Settings().store_path).parent / "evidence"


@conformance_app.command("assess")
def assess_cmd(
    enterprise: Annotated[str, typer.Argument(help="Enterprise id.")],
    park: ParkOpt,
    year: Annotated[int, typer.Option(help="Year of the evidence.", min=1900, max=2200)],
    self_file: Annotated[Path | None, typer.Option("--self", help="Self-assessment CSV "
                                                   "(requirement_id,status,evidence,note).")]
    = None,
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Assess an enterprise: status per requirement, gaps and a readiness score."""
    from zeropark.indicators.conformance import (
        EvidenceStore,
        assess,
        load_requirements,
        read_self_assessment,
    )
    from zeropark.model import read_park
    from zeropark.store import open_store

    try:
        model = read_park(park)
        answers = read_self_assessment(self_file, load_requirements()) if self_file else None
        with open_store(store, read_only=True) as db:
            result = assess(db, model, enterprise, year=year, self_assessment=answers,
                            evidence=EvidenceStore(_evidence_root(store)))
    except ParkError as err:
        raise _fail(err) from err
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n")
        return
    table = Table(title=f"{enterprise} {year}: readiness {result.readiness:.0f} / 100")
    for col in ("requirement", "clause", "title", "status", "why"):
        table.add_column(col)
    for r in result.results:
        table.add_row(r.requirement.requirement_id, r.requirement.clause,
                      r.requirement.title_en, r.status.value, "; ".join(r.reasons))
    console.print(table)


@conformance_app.command("evidence")
def evidence_cmd(
    file: Annotated[Path, typer.Argument(help="Evidence file (PDF, image, spreadsheet).")],
    enterprise: Annotated[str, typer.Option(help="Enterprise id.")],
    requirement: Annotated[str, typer.Option(help="Requirement id, e.g. iso50001-5.2.")],
    store: StoreOpt = None,
) -> None:
    """Add an evidence file for a requirement (kept by content hash beside the store)."""
    from zeropark.errors import InputError
    from zeropark.indicators.conformance import EvidenceStore, load_requirements

    try:
        if requirement not in {r.requirement_id for r in load_requirements()}:
            raise InputError(f"unknown requirement {requirement!r}", field="requirement")
        digest = EvidenceStore(_evidence_root(store)).add(file, enterprise_id=enterprise,
                                                          requirement_id=requirement)
    except ParkError as err:
        raise _fail(err) from err
    console.print(f"stored {file.name} as {digest[:12]}… for {enterprise} / {requirement}")
