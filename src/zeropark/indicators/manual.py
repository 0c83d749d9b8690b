"""Hand-entered indicator inputs: value added, waste, water, waste heat, certificates.

Meters cannot give these, so the park enters them once a year in a CSV or TOML
file, checked here and kept in the store (``zeropark indicators import-manual``).
A missing input is never read as 0: the indicator that needs it reports
``no_data`` and names the field.

File format (CSV header, or TOML ``[[inputs]]`` tables with the same keys):

========  ===========================================================================
column    meaning
========  ===========================================================================
year      Local calendar year the value covers, e.g. ``2024``.
level     ``park``, ``enterprise`` or ``building``.
subject   The park id (level ``park``), or the enterprise or building id.
field     One of :data:`MANUAL_FIELDS`.
value     Number ≥ 0 in the field's unit.
unit      The field's unit, written exactly as in :data:`MANUAL_FIELDS` (checked).
source    Where the number comes from (statistics report, audit, certificate list);
          required for ``product_limit_kgce_per_unit`` (the limit standard and grade).
note      Free text (optional).
========  ===========================================================================
"""

from __future__ import annotations

import csv
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from zeropark.errors import InputError
from zeropark.model import Park
from zeropark.store.duckdb import DuckDBStore

#: field → (unit as written in the file, description). Canonical units of the quantities.
MANUAL_FIELDS: dict[str, tuple[str, str]] = {
    "value_added_10k_cny": ("10^4 CNY", "industrial value added 工业增加值 (current prices "
                            "unless the note says otherwise)"),
    "solid_waste_generated_t": ("t", "industrial solid waste generated 工业固体废物产生量"),
    "solid_waste_utilised_t": ("t", "industrial solid waste utilised 综合利用量"),
    "water_fresh_m3": ("m3", "fresh water intake 取水量"),
    "water_reused_m3": ("m3", "water reused 重复利用水量"),
    "waste_heat_available_gj": ("GJ", "recoverable waste heat, cold and pressure 可回收余能"),
    "waste_heat_recovered_gj": ("GJ", "waste heat, cold and pressure recovered 回收利用量"),
    "gec_mwh": ("MWh", "green certificates 绿证 and green-power trades retired (1 cert = 1 MWh)"),
    "product_energy_kgce_per_unit": ("kgce/unit", "specific energy of the main product"),
    "product_limit_kgce_per_unit": ("kgce/unit", "grade-2 value of the product's national "
                                    "energy-consumption limit standard"),
}
_COLUMNS = ("year", "level", "subject", "field", "value", "unit", "source", "note")
_LEVELS = ("park", "enterprise", "building")
_NEEDS_SOURCE = frozenset({"product_limit_kgce_per_unit"})

_TABLE = """
CREATE TABLE IF NOT EXISTS indicator_inputs (
    park_id VARCHAR, year INTEGER, level VARCHAR, subject VARCHAR, field VARCHAR,
    value DOUBLE, unit VARCHAR, source VARCHAR, note VARCHAR, imported_from VARCHAR,
    PRIMARY KEY (park_id, year, level, subject, field))
"""


@dataclass(frozen=True, slots=True)
class ManualInputs:
    """Validated hand-entered inputs, keyed by (year, level, subject, field).

    Attributes
    ----------
    values : Mapping
        ``(year, level, subject, field) → value`` in the field's unit.
    sources : Mapping
        Same keys → the ``source`` text.
    """

    values: Mapping[tuple[int, str, str, str], float] = field(default_factory=dict)
    sources: Mapping[tuple[int, str, str, str], str] = field(default_factory=dict)

    def get(self, year: int, level: str, subject: str, name: str) -> float | None:
        """The value, or None when it was not entered (never 0 by default)."""
        return self.values.get((year, level, subject, name))

    def source(self, year: int, level: str, subject: str, name: str) -> str:
        """Citation of an entered value (empty if none or not entered)."""
        return self.sources.get((year, level, subject, name), "")

    def to_frame(self) -> pd.DataFrame:
        """One row per value: ``year, level, subject, field, value, unit, source``."""
        rows = [{"year": y, "level": lv, "subject": s, "field": f, "value": v,
                 "unit": MANUAL_FIELDS[f][0], "source": self.sources.get((y, lv, s, f), "")}
                for (y, lv, s, f), v in self.values.items()]
        return pd.DataFrame(rows, columns=["year", "level", "subject", "field", "value",
                                           "unit", "source"])


def read_manual_inputs(path: str | Path, park: Park) -> ManualInputs:
    """Read and validate a manual-input file (CSV or TOML) against the park.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv`` (header as in the module doc) or ``.toml`` (``[[inputs]]`` tables).
    park : Park
        Subjects are checked against its id, enterprises and buildings.

    Returns
    -------
    ManualInputs

    Raises
    ------
    InputError
        Naming the file, the row (CSV: the line number; TOML: ``inputs[i]``) and the
        field: unreadable file, missing column, unknown level, subject or field, a unit
        other than the field's, a value that is not a finite number ≥ 0, a year outside
        1900–2200, a missing source where one is required, or a duplicate key.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror}", path=str(path)) from err
    fmt = "toml" if path.suffix.lower() == ".toml" else "csv"
    return parse_manual_inputs(text, park, fmt=fmt, source=str(path))


def parse_manual_inputs(text: str, park: Park, *, fmt: str,
                        source: str = "upload") -> ManualInputs:
    """Validate the text of a manual-input file (as uploaded to the API).

    Parameters
    ----------
    text : str
        CSV (header as in the module doc) or TOML (``[[inputs]]`` tables).
    park : Park
    fmt : {"csv", "toml"}
    source : str
        Name used in errors.

    Returns
    -------
    ManualInputs

    Raises
    ------
    InputError
        As :func:`read_manual_inputs`.
    """
    if fmt not in ("csv", "toml"):
        raise InputError(f"unknown format {fmt!r}; use csv or toml", field="format")
    text = text.removeprefix("\ufeff")
    if fmt == "toml":
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise InputError(f"not valid TOML: {err}", path=source) from err
        entries = doc.get("inputs", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise InputError("write [[inputs]] before each entry", path=source,
                             location="inputs")
        rows: Iterable[tuple[str, Mapping[str, Any]]] = (
            (f"inputs[{i}]", e) for i, e in enumerate(entries))
    else:
        reader = csv.DictReader(text.splitlines())
        missing = [c for c in _COLUMNS[:6] if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}; the header must be "
                             f"{','.join(_COLUMNS)}", path=source, location="row 1",
                             field=missing[0])
        rows = ((f"row {i}", r) for i, r in enumerate(reader, start=2))
    return _validate(rows, park, source)


def _validate(rows: Iterable[tuple[str, Mapping[str, Any]]], park: Park,
              path: str) -> ManualInputs:
    subjects = {"park": {park.park_id}, "enterprise": {e.enterprise_id for e in park.enterprises},
                "building": {b.building_id for b in park.buildings}}
    values: dict[tuple[int, str, str, str], float] = {}
    sources: dict[tuple[int, str, str, str], str] = {}
    for where, row in rows:
        def fail(message: str, column: str, where: str = where) -> InputError:
            return InputError(message, path=path, location=where, field=column)

        raw_year = str(row.get("year", "")).strip()
        try:
            year = int(raw_year)
        except ValueError:
            raise fail(f"year must be a whole number, got {raw_year!r}", "year") from None
        if not 1900 <= year <= 2200:
            raise fail(f"year {year} is outside 1900–2200", "year")
        level = str(row.get("level", "")).strip()
        if level not in _LEVELS:
            raise fail(f"unknown level {level!r}; use park, enterprise or building", "level")
        subject = str(row.get("subject", "")).strip()
        if subject not in subjects[level]:
            known = ", ".join(sorted(subjects[level])) or "none"
            raise fail(f"unknown {level} {subject!r}; known: {known}", "subject")
        name = str(row.get("field", "")).strip()
        if name not in MANUAL_FIELDS:
            raise fail(f"unknown field {name!r}; allowed: {', '.join(MANUAL_FIELDS)}", "field")
        unit = str(row.get("unit", "")).strip()
        expected = MANUAL_FIELDS[name][0]
        if unit != expected:
            raise fail(f"unit of {name} must be {expected!r}, got {unit!r}", "unit")
        raw_value = row.get("value", "")
        try:
            value = float(str(raw_value).strip()) if not isinstance(raw_value, bool) else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise fail(f"value must be a finite number ≥ 0, got {raw_value!r} (leave the row "
                       "out when there is no value: a missing row means 'no data')", "value")
        source = str(row.get("source", "") or "").strip()
        if name in _NEEDS_SOURCE and not source:
            raise fail(f"{name} needs a source (standard number and grade)", "source")
        key = (year, level, subject, name)
        if key in values:
            raise fail(f"duplicate {name} for {level} {subject!r} in {year}", "field")
        values[key] = value
        sources[key] = source
    return ManualInputs(values, sources)


def save_manual_inputs(store: DuckDBStore, park: Park, inputs: ManualInputs, *,
                       imported_from: str) -> int:
    """Insert or replace manual inputs in the store (one transaction); returns rows written."""
    frame = inputs.to_frame().assign(park_id=park.park_id, note="",
                                     imported_from=imported_from)
    with store.transaction():
        store.con.execute(_TABLE)
        store.con.register("indicator_inputs_frame", frame)
        try:
            store.con.execute(
                "DELETE FROM indicator_inputs WHERE (park_id, year, level, subject, field) IN "
                "(SELECT park_id, year, level, subject, field FROM indicator_inputs_frame)")
            store.con.execute(
                "INSERT INTO indicator_inputs SELECT park_id, year, level, subject, field, "
                "value, unit, source, note, imported_from FROM indicator_inputs_frame")
        finally:
            store.con.unregister("indicator_inputs_frame")
    return len(frame)


def load_manual_inputs(store: DuckDBStore, park: Park) -> ManualInputs:
    """Manual inputs kept in the store for `park` (empty when none were imported)."""
    exists = store.query("SELECT count(*) AS n FROM information_schema.tables "
                         "WHERE table_name = 'indicator_inputs'")
    if int(exists["n"].iloc[0]) == 0:
        return ManualInputs()
    rows = store.query("SELECT year, level, subject, field, value, source FROM "
                       "indicator_inputs WHERE park_id = ?", [park.park_id])
    keys = [(int(str(y)), str(lv), str(sj), str(f)) for y, lv, sj, f in
            zip(rows["year"], rows["level"], rows["subject"], rows["field"], strict=True)]
    return ManualInputs(dict(zip(keys, rows["value"].astype(float), strict=True)),
                        dict(zip(keys, rows["source"].fillna("").astype(str), strict=True)))
