"""The CBAM installation model: installation → production processes → goods.

An installation file (TOML, see ``examples/changzhou_fasteners.toml`` and
``docs/cbam.md``) names the enterprise whose GHG ledger holds the installation's
emissions, its operator and address, the purchased precursors (with the
supplier's SEE or none, in which case the default value is used) and the
production processes. A process lists the goods it makes (CN codes of one
aggregated goods category), its activity level, the ledger records it takes
emissions from (record-id patterns, each with a share) and the precursors it
consumes (own processes or purchased).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from zeropark.errors import InputError


@dataclass(frozen=True, slots=True)
class Address:
    """Postal address (fields of the QReport ``AddressType``)."""

    country: str
    city: str
    subdivision: str = ""
    street: str = ""
    number: str = ""
    postcode: str = ""


@dataclass(frozen=True, slots=True)
class Operator:
    """The operator of the installation and its contact."""

    operator_id: str
    name: str
    address: Address
    contact_name: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class SourceShare:
    """Ledger records assigned to a process.

    Attributes
    ----------
    pattern : str
        ``fnmatch`` pattern over inventory ``record_id`` (``"gas-anneal-*"``,
        ``"meter:elec-heading:*"``).
    share : float
        Fraction of each matching record that belongs to the process, 0–1. [-]
    """

    pattern: str
    share: float = 1.0


@dataclass(frozen=True, slots=True)
class PrecursorUse:
    """A precursor consumed by a process: own process id or purchased precursor id."""

    precursor: str
    mass_t: float


@dataclass(frozen=True, slots=True)
class PurchasedPrecursor:
    """A precursor bought from another installation.

    Attributes
    ----------
    precursor_id : str
    cn_code : str
    country : str
        Country of production, ISO alpha-2.
    supplier : str
        Supplier (installation / operator) name.
    see_direct_t_per_t, see_indirect_t_per_t : float or None
        The supplier's communicated SEE; ``None`` → default value (flagged). [t CO2e/t]
    supplier_reference : str
        Evidence (communication id, date).
    """

    precursor_id: str
    cn_code: str
    country: str
    supplier: str = ""
    see_direct_t_per_t: float | None = None
    see_indirect_t_per_t: float | None = None
    supplier_reference: str = ""
    supplier_email: str = ""


@dataclass(frozen=True, slots=True)
class Process:
    """A production process of the installation (one aggregated goods category).

    Attributes
    ----------
    process_id : str
    name : str
    cn_codes : tuple of str
        Goods produced (8-digit CN codes of one aggregated goods category).
    activity_level_t : float
        AL: total output of the process in the period, incl. output consumed by
        other processes of the installation. [t]
    route : str
        Production route (``goods.ROUTES``), or ``""``.
    sources : tuple of SourceShare
        Ledger records whose emissions and energy belong to the process.
    precursors : tuple of PrecursorUse
    ef_heat_imported_t_per_tj, ef_heat_exported_t_per_tj : float or None
        Emission factor of heat crossing the process boundary; ``None`` for
        imports → the factor of the ledger line (flagged). [t CO2/TJ]
    ef_electricity_exported_t_per_mwh : float or None
        Emission factor of electricity produced and exported. [t CO2/MWh]
    """

    process_id: str
    name: str
    cn_codes: tuple[str, ...]
    activity_level_t: float
    route: str = ""
    sources: tuple[SourceShare, ...] = ()
    precursors: tuple[PrecursorUse, ...] = ()
    ef_heat_imported_t_per_tj: float | None = None
    ef_heat_exported_t_per_tj: float | None = None
    ef_electricity_exported_t_per_mwh: float | None = None
    qualifying_parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Installation:
    """A CBAM installation with its processes and purchased precursors."""

    installation_id: str
    name: str
    enterprise_id: str
    address: Address
    operator: Operator
    period_start: date
    period_end: date
    processes: tuple[Process, ...]
    purchased_precursors: tuple[PurchasedPrecursor, ...] = ()
    grid_region: str = "CN"
    grid_data_year: int | None = None
    ef_electricity_t_per_mwh: float | None = None
    ef_electricity_source: str = ""
    precursor_default_markup: bool = True
    economic_activity: str = ""
    latitude: str = ""
    longitude: str = ""
    activity_file: Path | None = None
    source: str = ""
    notes: tuple[str, ...] = field(default=())

    def process(self, process_id: str) -> Process:
        """The process with this id."""
        for p in self.processes:
            if p.process_id == process_id:
                return p
        raise InputError(f"unknown process {process_id!r}", path=self.source or None,
                         field="process_id")


def example_path() -> Path:
    """Path of the demo installation file (steel fasteners, Changzhou), shipped as package data.

    Examples
    --------
    >>> example_path().name
    'changzhou_fasteners.toml'
    """
    from importlib import resources

    return Path(str(resources.files("zeropark.cbam").joinpath(
        "examples/changzhou_fasteners.toml")))


def _req(table: dict[str, Any], key: str, where: str, path: str) -> Any:
    if key not in table or table[key] in ("", None):
        raise InputError("required", path=path, location=where, field=key)
    return table[key]


def _num(value: Any, where: str, key: str, path: str, *, fraction: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{value!r} is not a number", path=path, location=where, field=key)
    number = float(value)
    if number < 0 or (fraction and number > 1):
        limit = "a fraction 0–1" if fraction else "≥ 0"
        raise InputError(f"must be {limit}, got {value}", path=path, location=where, field=key)
    return number


def _opt(table: dict[str, Any], key: str, where: str, path: str) -> float | None:
    return None if table.get(key) is None else _num(table[key], where, key, path)


def _address(table: dict[str, Any], where: str, path: str) -> Address:
    return Address(country=str(_req(table, "country", where, path)).upper(),
                   city=str(_req(table, "city", where, path)),
                   subdivision=str(table.get("subdivision", "")),
                   street=str(table.get("street", "")), number=str(table.get("number", "")),
                   postcode=str(table.get("postcode", "")))


def read_installation(path: str | Path) -> Installation:
    """Read and validate an installation file (TOML).

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    Installation

    Raises
    ------
    InputError
        Naming the file, the table (``processes[2]``) and the key: missing keys,
        non-numbers, shares outside 0–1, duplicate ids, unknown precursors,
        a period that ends before it starts.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise InputError("file not found", path=str(path)) from err
    return parse_installation(text, source=str(path), base_dir=path.parent)


def parse_installation(text: str, *, source: str = "installation.toml",
                       base_dir: Path | None = None) -> Installation:
    """Parse and validate the text of an installation file (TOML).

    Parameters
    ----------
    text : str
        The TOML text (as kept by the API's installation store).
    source : str
        Name used in errors and kept as ``Installation.source``.
    base_dir : pathlib.Path, optional
        Folder that a relative ``activity_file`` is resolved against; without it the
        activity file is left unset (the records then come from the park store).

    Returns
    -------
    Installation

    Raises
    ------
    InputError
        As :func:`read_installation`.
    """
    where_file = source
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"invalid TOML: {err}", path=where_file) from err
    try:
        return _parse(doc, where_file, base_dir)
    except InputError:
        raise
    except (AttributeError, TypeError, ValueError, KeyError) as err:  # wrong TOML types
        raise InputError(f"malformed installation file ({type(err).__name__}: {err}); see "
                         "docs/cbam.md for the tables and keys", path=where_file) from err


def _parse(doc: dict[str, Any], where_file: str, base_dir: Path | None) -> Installation:
    inst = doc.get("installation", {})
    op = doc.get("operator", {})
    rep = doc.get("reporting", {})
    for name, table in (("installation", inst), ("operator", op), ("reporting", rep)):
        if not isinstance(table, dict) or not table:
            raise InputError(f"missing table [{name}]", path=where_file, location=name)
    start = _req(rep, "period_start", "reporting", where_file)
    end = _req(rep, "period_end", "reporting", where_file)
    if not isinstance(start, date) or not isinstance(end, date) or end <= start:
        raise InputError("period_start and period_end must be TOML dates with end > start",
                         path=where_file, location="reporting", field="period_end")
    purchased = []
    for i, row in enumerate(doc.get("purchased_precursors", [])):
        where = f"purchased_precursors[{i}]"
        purchased.append(PurchasedPrecursor(
            precursor_id=str(_req(row, "precursor_id", where, where_file)),
            cn_code=str(_req(row, "cn_code", where, where_file)),
            country=str(_req(row, "country", where, where_file)).upper(),
            supplier=str(row.get("supplier", "")),
            see_direct_t_per_t=_opt(row, "see_direct_t_per_t", where, where_file),
            see_indirect_t_per_t=_opt(row, "see_indirect_t_per_t", where, where_file),
            supplier_reference=str(row.get("supplier_reference", "")),
            supplier_email=str(row.get("supplier_email", ""))))
    processes = []
    for i, row in enumerate(doc.get("processes", [])):
        where = f"processes[{i}]"
        sources = []
        for j, src in enumerate(row.get("sources", [])):
            spot = f"{where}.sources[{j}]"
            if isinstance(src, str):
                sources.append(SourceShare(src))
            else:
                sources.append(SourceShare(
                    str(_req(src, "pattern", spot, where_file)),
                    _num(src.get("share", 1.0), spot, "share", where_file, fraction=True)))
        precursors = []
        for j, pre in enumerate(row.get("precursors", [])):
            spot = f"{where}.precursors[{j}]"
            precursors.append(PrecursorUse(
                str(_req(pre, "precursor", spot, where_file)),
                _num(_req(pre, "mass_t", spot, where_file), spot, "mass_t", where_file)))
        cn_codes = row.get("cn_codes", [])
        if not cn_codes or not isinstance(cn_codes, list):
            raise InputError("a process needs cn_codes = [...]", path=where_file,
                             location=where, field="cn_codes")
        level = _num(_req(row, "activity_level_t", where, where_file), where,
                     "activity_level_t", where_file)
        if level <= 0:
            raise InputError("must be > 0", path=where_file, location=where,
                             field="activity_level_t")
        qualifying = tuple((str(k), str(v)) for k, v in
                           dict(row.get("qualifying_parameters", {})).items())
        processes.append(Process(
            process_id=str(_req(row, "process_id", where, where_file)),
            name=str(row.get("name", row.get("process_id"))),
            cn_codes=tuple("".join(c for c in str(x) if c.isdigit()) for x in cn_codes),
            activity_level_t=level, route=str(row.get("route", "")),
            sources=tuple(sources), precursors=tuple(precursors),
            ef_heat_imported_t_per_tj=_opt(row, "ef_heat_imported_t_per_tj", where, where_file),
            ef_heat_exported_t_per_tj=_opt(row, "ef_heat_exported_t_per_tj", where, where_file),
            ef_electricity_exported_t_per_mwh=_opt(row, "ef_electricity_exported_t_per_mwh",
                                                   where, where_file),
            qualifying_parameters=qualifying))
    if not processes:
        raise InputError("an installation needs at least one [[processes]] table",
                         path=where_file, location="processes")
    ids = [p.process_id for p in processes] + [p.precursor_id for p in purchased]
    dupes = sorted({x for x in ids if ids.count(x) > 1})
    if dupes:
        raise InputError(f"duplicate process/precursor id {dupes[0]!r}", path=where_file,
                         field="process_id")
    for i, proc in enumerate(processes):
        for use in proc.precursors:
            if use.precursor not in ids:
                raise InputError(f"unknown precursor {use.precursor!r} (not a process_id "
                                 "or purchased precursor_id)", path=where_file,
                                 location=f"processes[{i}]", field="precursors")
            if use.precursor == proc.process_id:
                raise InputError("a process cannot be its own precursor", path=where_file,
                                 location=f"processes[{i}]", field="precursors")
    activity = rep.get("activity_file")
    address = _address(inst, "installation", where_file)
    operator = Operator(operator_id=str(_req(op, "operator_id", "operator", where_file)),
                        name=str(_req(op, "name", "operator", where_file)),
                        address=_address(op, "operator", where_file),
                        contact_name=str(op.get("contact_name", "")),
                        phone=str(op.get("phone", "")), email=str(op.get("email", "")))
    return Installation(
        installation_id=str(_req(inst, "installation_id", "installation", where_file)),
        name=str(_req(inst, "name", "installation", where_file)),
        enterprise_id=str(_req(inst, "enterprise_id", "installation", where_file)),
        address=address, operator=operator, period_start=start, period_end=end,
        processes=tuple(processes), purchased_precursors=tuple(purchased),
        grid_region=str(rep.get("grid_region", "CN")),
        grid_data_year=int(rep["grid_data_year"]) if rep.get("grid_data_year") else None,
        ef_electricity_t_per_mwh=_opt(rep, "ef_electricity_t_per_mwh", "reporting",
                                      where_file),
        ef_electricity_source=str(rep.get("ef_electricity_source", "")),
        precursor_default_markup=bool(rep.get("precursor_default_markup", True)),
        economic_activity=str(inst.get("economic_activity", "")),
        latitude=str(inst.get("latitude", "")), longitude=str(inst.get("longitude", "")),
        activity_file=(base_dir / str(activity)) if activity and base_dir else None,
        source=where_file, notes=tuple(str(n) for n in doc.get("notes", [])))
