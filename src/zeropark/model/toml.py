"""Read and validate a park description file (TOML).

The file has a ``[park]`` table and arrays of tables ``[[enterprises]]``,
``[[buildings]]``, ``[[meters]]`` and ``[[virtual_meters]]``; see
``docs/park-file.md`` for every key. Validation stops at the first error and
names the file, the entry (with its line) and the key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from zeropark.errors import ParkModelError, UnitError
from zeropark.model.park import (
    Building,
    Direction,
    Enterprise,
    Meter,
    MeterKind,
    Park,
    VirtualMeter,
)
from zeropark.units import Medium, Quantity, check_unit

_PARK_KEYS = {"id", "name", "timezone", "latitude", "longitude"}
_ENTERPRISE_KEYS = {"id", "name", "industry"}
_BUILDING_KEYS = {"id", "name", "enterprise", "floor_area_m2", "type", "green_star",
                  "energy_target", "baseline_eui_kwh_per_m2", "baseline_kind", "new_building"}
_ENERGY_TARGETS = ("ultra_low", "nearly_zero", "zero")
_BASELINE_KINDS = ("reference", "metered")
_METER_KEYS = {
    "id", "name", "medium", "quantity", "unit", "kind", "direction", "building",
    "enterprise", "submeter_of", "rated_power_kw", "register_max", "resolution",
    "calorific_basis", "zero_policy", "category", "subitem",
    "mqtt_topic", "mqtt_format", "mqtt_metric", "modbus_host", "modbus_unit_id", "modbus_point",
    "pv_kwp", "pv_inverter_kw", "pv_tilt_deg", "pv_azimuth_deg", "pv_loss_pct",
}
_PV_KEYS = ("pv_kwp", "pv_inverter_kw", "pv_tilt_deg", "pv_azimuth_deg", "pv_loss_pct")
_MQTT_FORMATS = ("sparkplug", "tasmota", "shelly", "json")
_VIRTUAL_KEYS = {"id", "name", "medium", "terms", "building", "enterprise"}
_TOP_KEYS = {"park", "settings", "enterprises", "buildings", "meters", "virtual_meters"}
_DEFAULT_QUANTITY = {
    Medium.WATER: Quantity.VOLUME,
}
_RESOLUTIONS = {"15min": pd.Timedelta(minutes=15), "1h": pd.Timedelta(hours=1),
                "1d": pd.Timedelta(days=1)}


class _Locator:
    """Finds the line of the n-th ``[[table]]`` entry and of a key inside it."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def entry_line(self, table: str, index: int) -> int | None:
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
        seen = -1
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                seen += 1
                if seen == index:
                    return number
        return None

    def key_line(self, table: str, index: int, key: str) -> int | None:
        start = self.entry_line(table, index)
        if start is None:
            return None
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start, len(self.lines)):
            line = self.lines[number]
            if line.lstrip().startswith("["):
                break
            if pattern.match(line):
                return number + 1
        return start


class _Reader:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.locator = _Locator(text)

    def fail(self, message: str, table: str, index: int, entry: Mapping[str, Any],
             key: str | None = None) -> ParkModelError:
        line = (self.locator.key_line(table, index, key) if key
                else self.locator.entry_line(table, index))
        ident = entry.get("id")
        where = f"{table}[{index}]" + (f" (id {ident!r})" if ident else "")
        if line:
            where = f"line {line}, {where}"
        return ParkModelError(message, path=self.path, location=where, field=key)

    def check_keys(self, table: str, index: int, entry: Mapping[str, Any],
                   allowed: set[str]) -> None:
        for key in entry:
            if key not in allowed:
                raise self.fail(
                    f"unknown key {key!r}; allowed: {', '.join(sorted(allowed))}",
                    table, index, entry, key,
                )
        if not isinstance(entry.get("id"), str) or not entry["id"]:
            raise self.fail("missing or empty 'id'", table, index, entry, "id")

    def enum(self, cls: type[Any], table: str, index: int, entry: Mapping[str, Any],
             key: str, default: Any = None) -> Any:
        raw = entry.get(key, default)
        if raw is None:
            raise self.fail(f"missing {key!r}", table, index, entry, key)
        try:
            return cls(raw)
        except ValueError:
            allowed = ", ".join(v.value for v in cls)
            raise self.fail(f"unknown {key} {raw!r}; expected one of: {allowed}",
                            table, index, entry, key) from None

    def number(self, table: str, index: int, entry: Mapping[str, Any], key: str,
               *, positive: bool = True) -> float | None:
        raw = entry.get(key)
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise self.fail(f"{key} must be a number, got {raw!r}", table, index, entry, key)
        if positive and not raw > 0:
            raise self.fail(f"{key} must be > 0, got {raw!r}", table, index, entry, key)
        return float(raw)


def read_park(path: str | Path) -> Park:
    """Read and validate a park description file.

    Parameters
    ----------
    path : str or pathlib.Path
        A TOML file as described in ``docs/park-file.md``.

    Returns
    -------
    Park
        The validated park model.

    Raises
    ------
    ParkModelError
        Syntax errors, unknown keys, unknown medium/kind/direction, duplicate
        ids, references to missing buildings, enterprises or meters, a cycle in
        ``submeter_of``, a sub-meter of another medium, a virtual meter that
        refers to a missing meter. The message names the file, line, entry and key.
        A unit that is unknown or does not match the medium and quantity is a
        ``ParkModelError`` too, with the unit's problem in the message.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ParkModelError(f"cannot read park file: {err.strerror}", path=str(path)) from err
    return parse_park(text, source=str(path))


def parse_park(text: str, *, source: str = "<park>") -> Park:
    """Parse and validate park-description TOML text; see :func:`read_park`.

    Examples
    --------
    >>> park = parse_park('''
    ... [park]
    ... id = "p"
    ... name = "Demo"
    ... timezone = "Asia/Shanghai"
    ... [[meters]]
    ... id = "main"
    ... medium = "electricity"
    ... unit = "kWh"
    ... kind = "total_increasing"
    ... ''')
    >>> park.meters[0].quantity.value, park.meters[0].canonical_unit
    ('energy', 'kWh')
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ParkModelError(f"not valid TOML: {err}", path=source) from err
    reader = _Reader(source, text)
    for key in doc:
        if key not in _TOP_KEYS:
            raise ParkModelError(
                f"unknown top-level table {key!r}; allowed: {', '.join(sorted(_TOP_KEYS))}",
                path=source, location=key,
            )
    for key in ("enterprises", "buildings", "meters", "virtual_meters"):
        value = doc.get(key, [])
        if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
            raise ParkModelError(f"{key!r} must be an array of tables: write [[{key}]] "
                                 "before each entry", path=source, location=key)
    park_table = doc.get("park")
    if not isinstance(park_table, dict):
        raise ParkModelError("missing [park] table", path=source, location="park")
    for key in park_table:
        if key not in _PARK_KEYS:
            raise ParkModelError(f"unknown key {key!r}", path=source, location="park", field=key)
    for key in ("id", "name", "timezone"):
        if not isinstance(park_table.get(key), str) or not park_table[key]:
            raise ParkModelError(f"missing {key!r}", path=source, location="park", field=key)
    _check_timezone(park_table["timezone"], source)
    for key, bound in (("latitude", 90.0), ("longitude", 180.0)):
        value = park_table.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not -bound <= value <= bound):
            raise ParkModelError(f"{key} must be a number within ±{bound:g} degrees, "
                                 f"got {value!r}", path=source, location="park", field=key)

    ids: dict[str, str] = {}

    def register(table: str, index: int, entry: Mapping[str, Any], namespace: str) -> str:
        ident = str(entry["id"])
        key = f"{namespace}:{ident}"
        if key in ids:
            raise reader.fail(f"duplicate id {ident!r} (first in {ids[key]})",
                              table, index, entry, "id")
        ids[key] = f"{table}[{index}]"
        return ident

    enterprises = []
    for i, entry in enumerate(doc.get("enterprises", [])):
        reader.check_keys("enterprises", i, entry, _ENTERPRISE_KEYS)
        enterprises.append(Enterprise(register("enterprises", i, entry, "enterprise"),
                                      str(entry.get("name", entry["id"])),
                                      str(entry.get("industry", ""))))
    enterprise_ids = {e.enterprise_id for e in enterprises}

    buildings = []
    for i, entry in enumerate(doc.get("buildings", [])):
        reader.check_keys("buildings", i, entry, _BUILDING_KEYS)
        ent = entry.get("enterprise")
        if ent is not None and ent not in enterprise_ids:
            raise reader.fail(f"unknown enterprise {ent!r}", "buildings", i, entry, "enterprise")
        buildings.append(Building(
            register("buildings", i, entry, "building"), str(entry.get("name", entry["id"])),
            ent, reader.number("buildings", i, entry, "floor_area_m2"),
            str(entry.get("type", "")), *_green_building_keys(reader, i, entry),
        ))
    building_ids = {b.building_id: b for b in buildings}

    meters = [_read_meter(reader, i, entry, enterprise_ids, building_ids, register)
              for i, entry in enumerate(doc.get("meters", []))]
    by_id = {m.meter_id: (i, m) for i, m in enumerate(meters)}
    for i, meter in enumerate(meters):
        entry = doc["meters"][i]
        if meter.submeter_of is None:
            continue
        if meter.submeter_of not in by_id:
            raise reader.fail(f"submeter_of refers to unknown meter {meter.submeter_of!r}",
                              "meters", i, entry, "submeter_of")
        parent = by_id[meter.submeter_of][1]
        if parent.medium != meter.medium:
            raise reader.fail(
                f"sub-meter of medium {meter.medium.value!r} under parent "
                f"{parent.meter_id!r} of medium {parent.medium.value!r}",
                "meters", i, entry, "submeter_of",
            )
    _check_cycles(reader, meters, doc.get("meters", []))

    virtual: list[VirtualMeter] = []
    for i, entry in enumerate(doc.get("virtual_meters", [])):
        reader.check_keys("virtual_meters", i, entry, _VIRTUAL_KEYS)
        ident = register("virtual_meters", i, entry, "meter")
        medium = reader.enum(Medium, "virtual_meters", i, entry, "medium")
        terms = entry.get("terms")
        if not isinstance(terms, dict) or not terms:
            raise reader.fail("terms must be a table of meter id = coefficient, e.g. "
                              "{ main = 1, sub1 = -1 }", "virtual_meters", i, entry, "terms")
        known = {m.meter_id: m.medium for m in meters} | {v.meter_id: v.medium for v in virtual}
        for ref, coef in terms.items():
            if ref not in known:
                raise reader.fail(f"virtual meter refers to missing meter {ref!r}",
                                  "virtual_meters", i, entry, "terms")
            if known[ref] != medium:
                raise reader.fail(f"term {ref!r} has medium {known[ref].value!r}, "
                                  f"not {medium.value!r}", "virtual_meters", i, entry, "terms")
            if isinstance(coef, bool) or not isinstance(coef, int | float):
                raise reader.fail(f"coefficient of {ref!r} must be a number",
                                  "virtual_meters", i, entry, "terms")
        for key, known_ids in (("building", building_ids), ("enterprise", enterprise_ids)):
            ref = entry.get(key)
            if ref is not None and ref not in known_ids:
                raise reader.fail(f"unknown {key} {ref!r}", "virtual_meters", i, entry, key)
        virtual.append(VirtualMeter(ident, medium, {k: float(v) for k, v in terms.items()},
                                    str(entry.get("name", ident)), entry.get("building"),
                                    entry.get("enterprise")))
    settings = doc.get("settings", {})
    return Park(
        park_id=park_table["id"], name=park_table["name"], timezone=park_table["timezone"],
        latitude=park_table.get("latitude"), longitude=park_table.get("longitude"),
        enterprises=tuple(enterprises), buildings=tuple(buildings), meters=tuple(meters),
        virtual_meters=tuple(virtual), source=source, settings=dict(settings),
        source_text=text,
    )


def _green_building_keys(reader: _Reader, i: int, entry: Mapping[str, Any]
                         ) -> tuple[int | None, str, float | None, str, bool]:
    """The optional green-building registry keys of a ``[[buildings]]`` entry, checked."""
    table = "buildings"
    star = entry.get("green_star")
    if star is not None and (isinstance(star, bool) or star not in (0, 1, 2, 3)):
        raise reader.fail(f"green_star must be 0, 1, 2 or 3 (GB/T 50378 stars), got {star!r}",
                          table, i, entry, "green_star")
    target = str(entry.get("energy_target", ""))
    if target and target not in _ENERGY_TARGETS:
        raise reader.fail(f"unknown energy_target {target!r}; expected one of: "
                          f"{', '.join(_ENERGY_TARGETS)}", table, i, entry, "energy_target")
    baseline = reader.number(table, i, entry, "baseline_eui_kwh_per_m2")
    kind = str(entry.get("baseline_kind", ""))
    if kind and kind not in _BASELINE_KINDS:
        raise reader.fail(f"unknown baseline_kind {kind!r}; expected one of: "
                          f"{', '.join(_BASELINE_KINDS)}", table, i, entry, "baseline_kind")
    if baseline is not None and not kind:
        raise reader.fail("baseline_eui_kwh_per_m2 needs baseline_kind ('reference' or "
                          "'metered')", table, i, entry, "baseline_kind")
    new = entry.get("new_building", False)
    if not isinstance(new, bool):
        raise reader.fail(f"new_building must be true or false, got {new!r}", table, i, entry,
                          "new_building")
    return (None if star is None else int(star)), target, baseline, kind, new


def _check_timezone(zone: str, source: str) -> None:
    """Accept IANA zone names only (``Asia/Shanghai``), not fixed offsets like ``+08:00``."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ParkModelError(f"unknown time zone {zone!r}: use an IANA name such as "
                             "'Asia/Shanghai'", path=source, location="park",
                             field="timezone") from err


def _read_meter(reader: _Reader, i: int, entry: Mapping[str, Any], enterprise_ids: set[str],
                building_ids: Mapping[str, Building], register: Any) -> Meter:
    table = "meters"
    reader.check_keys(table, i, entry, _METER_KEYS)
    ident = register(table, i, entry, "meter")
    medium = reader.enum(Medium, table, i, entry, "medium")
    quantity = reader.enum(Quantity, table, i, entry, "quantity",
                           _DEFAULT_QUANTITY.get(medium, Quantity.ENERGY).value)
    kind = reader.enum(MeterKind, table, i, entry, "kind")
    direction = reader.enum(Direction, table, i, entry, "direction", Direction.IMPORT.value)
    unit = entry.get("unit")
    if not isinstance(unit, str) or not unit:
        raise reader.fail("missing 'unit'", table, i, entry, "unit")
    try:
        check_unit(unit, medium=medium, quantity=quantity)
    except UnitError as err:
        raise reader.fail(str(err), table, i, entry, "unit") from err
    if kind == MeterKind.MEASUREMENT and quantity != Quantity.POWER:
        raise reader.fail("kind 'measurement' needs quantity 'power'", table, i, entry, "kind")
    if kind != MeterKind.MEASUREMENT and quantity == Quantity.POWER:
        raise reader.fail(f"kind {kind.value!r} cannot have quantity 'power'",
                          table, i, entry, "kind")
    building = entry.get("building")
    if building is not None and building not in building_ids:
        raise reader.fail(f"unknown building {building!r}", table, i, entry, "building")
    enterprise = entry.get("enterprise")
    if enterprise is not None and enterprise not in enterprise_ids:
        raise reader.fail(f"unknown enterprise {enterprise!r}", table, i, entry, "enterprise")
    if enterprise is None and building is not None:
        enterprise = building_ids[building].enterprise_id
    resolution = entry.get("resolution")
    if resolution is not None and resolution not in _RESOLUTIONS:
        raise reader.fail(f"resolution must be one of {', '.join(_RESOLUTIONS)}",
                          table, i, entry, "resolution")
    basis = entry.get("calorific_basis", "")
    if basis not in ("", "gross", "net"):
        raise reader.fail("calorific_basis must be 'gross' or 'net'", table, i, entry,
                          "calorific_basis")
    if medium == Medium.NATURAL_GAS and quantity == Quantity.ENERGY and not basis:
        raise reader.fail("natural gas metered as energy needs calorific_basis 'gross' or "
                          "'net' (UK meters report gross CV)", table, i, entry,
                          "calorific_basis")
    zero_policy = entry.get("zero_policy", "measured")
    if zero_policy not in ("measured", "gap", "flag"):
        raise reader.fail("zero_policy must be 'measured', 'gap' or 'flag'", table, i, entry,
                          "zero_policy")
    for key in ("mqtt_topic", "mqtt_format", "mqtt_metric", "modbus_host", "modbus_point"):
        if key in entry and (not isinstance(entry[key], str) or not entry[key]):
            raise reader.fail(f"{key} must be a non-empty string", table, i, entry, key)
    if entry.get("mqtt_format", "sparkplug") not in _MQTT_FORMATS:
        raise reader.fail(f"mqtt_format must be one of {', '.join(_MQTT_FORMATS)}",
                          table, i, entry, "mqtt_format")
    if ("mqtt_format" in entry or "mqtt_metric" in entry) and "mqtt_topic" not in entry:
        raise reader.fail("mqtt_format and mqtt_metric need mqtt_topic", table, i, entry,
                          "mqtt_topic")
    unit_id = entry.get("modbus_unit_id", 1)
    if isinstance(unit_id, bool) or not isinstance(unit_id, int) or not 0 <= unit_id <= 255:
        raise reader.fail("modbus_unit_id must be an integer 0–255", table, i, entry,
                          "modbus_unit_id")
    if ("modbus_host" in entry) != ("modbus_point" in entry):
        raise reader.fail("modbus_host and modbus_point go together", table, i, entry,
                          "modbus_point" if "modbus_host" in entry else "modbus_host")
    pv = _pv_keys(reader, i, entry, medium)
    submeter_of = entry.get("submeter_of")
    if submeter_of == ident:
        raise reader.fail("a meter cannot be its own submeter_of", table, i, entry,
                          "submeter_of")
    return Meter(
        meter_id=ident, medium=medium, quantity=quantity, unit=unit, kind=kind,
        direction=direction, name=str(entry.get("name", ident)), building_id=building,
        enterprise_id=enterprise, submeter_of=submeter_of,
        rated_power_kw=reader.number(table, i, entry, "rated_power_kw"),
        register_max=reader.number(table, i, entry, "register_max"),
        resolution=_RESOLUTIONS[resolution] if resolution else None,
        calorific_basis=basis, zero_policy=zero_policy,
        category=str(entry.get("category", "")), subitem=str(entry.get("subitem", "")),
        mqtt_topic=entry.get("mqtt_topic", ""), mqtt_format=entry.get("mqtt_format", ""),
        mqtt_metric=entry.get("mqtt_metric", ""), modbus_host=entry.get("modbus_host", ""),
        modbus_unit_id=unit_id, modbus_point=entry.get("modbus_point", ""), **pv,
    )


def _pv_keys(reader: _Reader, i: int, entry: Mapping[str, Any], medium: Medium
             ) -> dict[str, float | None]:
    """The optional PV-array keys of a ``[[meters]]`` entry (``medium = "pv"`` only), checked."""
    table = "meters"
    given = [k for k in _PV_KEYS if k in entry]
    if given and medium != Medium.PV:
        raise reader.fail(f"{given[0]} is for PV meters (medium = \"pv\") only", table, i,
                          entry, given[0])
    out = {k: reader.number(table, i, entry, k, positive=k in ("pv_kwp", "pv_inverter_kw"))
           for k in _PV_KEYS}
    tilt, azimuth, loss = out["pv_tilt_deg"], out["pv_azimuth_deg"], out["pv_loss_pct"]
    if tilt is not None and not 0 <= tilt <= 90:
        raise reader.fail(f"pv_tilt_deg must be within 0–90, got {tilt:g}", table, i, entry,
                          "pv_tilt_deg")
    if azimuth is not None and not 0 <= azimuth < 360:
        raise reader.fail(f"pv_azimuth_deg must be within [0, 360), got {azimuth:g}", table, i,
                          entry, "pv_azimuth_deg")
    if loss is not None and not 0 <= loss < 100:
        raise reader.fail(f"pv_loss_pct must be within [0, 100), got {loss:g}", table, i, entry,
                          "pv_loss_pct")
    return out


def _check_cycles(reader: _Reader, meters: list[Meter], entries: list[Any]) -> None:
    parent = {m.meter_id: m.submeter_of for m in meters}
    index = {m.meter_id: i for i, m in enumerate(meters)}
    for start in parent:
        chain = [start]
        node = parent[start]
        while node is not None:
            if node in chain:
                cycle = " → ".join(chain[chain.index(node):] + [node])
                i = index[node]
                raise reader.fail(f"cycle in submeter_of: {cycle}", "meters", i, entries[i],
                                  "submeter_of")
            chain.append(node)
            node = parent.get(node)
