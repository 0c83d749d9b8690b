"""Product model files (TOML) for ``zeropark pcf run``: study, BOM, energy, PACT, battery.

The format is documented in ``docs/pcf.md``; ``examples/pcf/demo_product.toml`` is a
complete example. :func:`read_pcf_model` parses a file into a :class:`PcfModelFile`
without touching any database; :meth:`PcfModelFile.product_model` then links every line
to a background activity, by code or by exact name (case and blanks ignored), and
:meth:`PcfModelFile.study` builds the :class:`~zeropark.lca.pcf.PcfStudy`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from zeropark.errors import InputError
from zeropark.lca.foreground import (
    DEFAULT_GRID_FACTOR,
    Allocation,
    BomLine,
    EndOfLifeLine,
    EnergyUse,
    ProductModel,
    TransportLine,
)
from zeropark.lca.matrices import LifeCycleStage, ProductSystem
from zeropark.lca.pcf import PcfStudy, SystemBoundary

__all__ = ["EnergySpec", "PcfModelFile", "read_pcf_model", "resolve_activity"]


@dataclass(frozen=True, slots=True)
class EnergySpec:
    """Where the enterprise's energy comes from: the park's meters or entered numbers.

    ``enterprise`` set → metered (needs ``--park``/``--store``); otherwise ``entered``.
    Period is local dates [start, end).
    """

    enterprise: str | None
    period_start: date | None
    period_end: date | None
    entered: EnergyUse | None
    grid_factor: str = DEFAULT_GRID_FACTOR
    electricity_activity: str | None = None
    natural_gas_activity: str | None = None


@dataclass(frozen=True, slots=True)
class PcfModelFile:
    """A parsed product model file (activity references not yet resolved)."""

    path: Path
    raw_study: Mapping[str, Any]
    product_name: str
    declared_unit: str
    production_volume: float
    allocation: Allocation
    energy: EnergySpec
    bom: tuple[Mapping[str, Any], ...]
    transport: tuple[Mapping[str, Any], ...]
    end_of_life: tuple[Mapping[str, Any], ...]
    background: str = "uslci"
    pact: Mapping[str, Any] = field(default_factory=dict)
    battery: Mapping[str, Any] = field(default_factory=dict)
    uncertainty: Mapping[str, float] = field(default_factory=dict)
    """Stage value → geometric SD of the foreground inputs; ``emission_factors`` → GSD of
    the foreground elementary flows (see :mod:`zeropark.lca.pcf_uncertainty`)."""

    def product_model(self, background: ProductSystem, energy: EnergyUse | None
                      ) -> ProductModel:
        """The :class:`ProductModel` with lines linked to `background` activity codes.

        Parameters
        ----------
        background : ProductSystem
        energy : EnergyUse or None
            Metered energy (from the store); ``None`` uses the file's entered numbers.

        Raises
        ------
        InputError
            Unknown or ambiguous activity reference (close names are suggested).
        """
        def code(ref: str, where: str) -> str:
            return resolve_activity(background, ref, path=self.path, location=where)

        bom = tuple(BomLine(str(x["material"]), float(x["amount"]), str(x["unit"]),
                            code(str(x["activity"]), f"bom[{i}]"),
                            _stage(x, LifeCycleStage.RAW_MATERIAL_ACQUISITION, self.path))
                    for i, x in enumerate(self.bom))
        transport = tuple(TransportLine(str(x["description"]), float(x["mass_t"]),
                                        float(x["distance_km"]),
                                        code(str(x["activity"]), f"transport[{i}]"),
                                        _stage(x, LifeCycleStage.DISTRIBUTION, self.path))
                          for i, x in enumerate(self.transport))
        eol = tuple(EndOfLifeLine(str(x["waste"]), float(x["amount"]), str(x["unit"]),
                                  code(str(x["activity"]), f"end_of_life[{i}]"),
                                  _stage(x, LifeCycleStage.END_OF_LIFE, self.path))
                    for i, x in enumerate(self.end_of_life))
        e = self.energy
        return ProductModel(
            self.product_name, self.declared_unit, self.production_volume, self.allocation,
            bom, transport, eol, energy if energy is not None else e.entered,
            functional_unit=str(self.raw_study.get("functional_unit", "")),
            electricity_activity=None if e.electricity_activity is None
            else code(e.electricity_activity, "energy.electricity_activity"),
            grid_factor_id=e.grid_factor,
            natural_gas_activity=None if e.natural_gas_activity is None
            else code(e.natural_gas_activity, "energy.natural_gas_activity"))

    def study(self, *, data_sources: tuple[str, ...] = (), method_version: str = ""
              ) -> PcfStudy:
        """The study of the file; `data_sources` are appended to the file's own."""
        s = self.raw_study
        boundary = str(s.get("system_boundary", "cradle_to_gate"))
        try:
            system_boundary = SystemBoundary(boundary)
        except ValueError:
            raise InputError(f"system_boundary {boundary!r}: use cradle_to_gate or "
                             "cradle_to_grave", path=str(self.path),
                             field="study.system_boundary") from None
        start = s.get("reference_period_start", self.energy.period_start)
        end = s.get("reference_period_end", self.energy.period_end)
        kw: dict[str, Any] = {}
        if "cutoff_criteria" in s:
            kw["cutoff_criteria"] = str(s["cutoff_criteria"])
        return PcfStudy(
            product=str(s.get("product", self.product_name)),
            declared_unit=self.declared_unit,
            functional_unit=str(s.get("functional_unit", "")), goal=str(s.get("goal", "")),
            intended_application=str(s.get("intended_application", "")),
            intended_audience=str(s.get("intended_audience", "")),
            system_boundary=system_boundary, reference_period_start=start,
            reference_period_end=end, geography=str(s.get("geography", "")),
            allocation=self.allocation,
            data_sources=(*_strings(s, "data_sources"), *data_sources),
            data_quality=_strings(s, "data_quality"), exclusions=_strings(s, "exclusions"),
            limitations=_strings(s, "limitations"), gwp_set=str(s.get("gwp_set",
                                                                      "IPCC AR6 GWP100")),
            method_version=method_version, practitioner=str(s.get("practitioner", "")),
            commissioner=str(s.get("commissioner", "")), **kw)


def read_pcf_model(path: str | Path) -> PcfModelFile:
    """Parse a product model file (format in ``docs/pcf.md``).

    Raises
    ------
    InputError
        Unreadable TOML, a missing table or key, or a bad value (file and key named).
    """
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"cannot read product model: {err}", path=str(path)) from err

    def need(table: str, key: str) -> Any:
        try:
            return doc[table][key]
        except KeyError:
            raise InputError(f"missing [{table}] {key}", path=str(path),
                             field=f"{table}.{key}") from None

    study = doc.get("study", {})
    product = str(study.get("product") or need("product", "name"))
    declared_unit = str(study.get("declared_unit") or need("product", "declared_unit"))
    volume = float(need("production", "volume"))
    a = doc.get("allocation", {})
    try:
        if "product_share" in a:
            allocation = Allocation(a.get("method", "production_volume"),
                                    float(a["product_share"]), {}, str(a.get("basis_unit", "")))
        else:
            allocation = Allocation.from_basis(str(need("allocation", "method")),
                                               str(need("allocation", "product")),
                                               dict(need("allocation", "basis")),
                                               str(a.get("basis_unit", "")))
    except (ValueError, KeyError) as err:
        raise InputError(f"[allocation]: {err}", path=str(path), field="allocation") from err
    e = doc.get("energy", {})
    entered = None
    if any(k in e for k in ("electricity_kwh", "natural_gas_m3", "natural_gas_gj")):
        entered = EnergyUse(float(e.get("electricity_kwh", 0.0)),
                            float(e.get("natural_gas_m3", 0.0)),
                            float(e.get("natural_gas_gj", 0.0)), e.get("period_start"),
                            e.get("period_end"), "entered in " + path.name)
    energy = EnergySpec(e.get("enterprise"), e.get("period_start"), e.get("period_end"),
                        entered, str(e.get("grid_factor", DEFAULT_GRID_FACTOR)),
                        e.get("electricity_activity"), e.get("natural_gas_activity"))
    if energy.enterprise and (energy.period_start is None or energy.period_end is None):
        raise InputError("[energy] enterprise needs period_start and period_end",
                         path=str(path), field="energy.period_start")
    for table, keys in (("bom", ("material", "amount", "unit", "activity")),
                        ("transport", ("description", "mass_t", "distance_km", "activity")),
                        ("end_of_life", ("waste", "amount", "unit", "activity"))):
        for i, line in enumerate(doc.get(table, [])):
            missing = [k for k in keys if k not in line]
            if missing:
                raise InputError(f"[[{table}]] line {i + 1} misses {', '.join(missing)}",
                                 path=str(path), location=f"{table}[{i}]", field=missing[0])
    return PcfModelFile(path, study, product, declared_unit, volume, allocation, energy,
                        tuple(doc.get("bom", [])), tuple(doc.get("transport", [])),
                        tuple(doc.get("end_of_life", [])),
                        str(doc.get("background", {}).get("database", "uslci")),
                        doc.get("pact", {}), doc.get("battery", {}),
                        {str(k): float(v) for k, v in doc.get("uncertainty", {}).items()})


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def resolve_activity(background: ProductSystem, ref: str, *, path: Path | None = None,
                     location: str = "") -> str:
    """Code of the background activity `ref` (an activity code, or its exact name).

    Raises
    ------
    InputError
        No activity, or several with that name; up to five close names are suggested.

    Examples
    --------
    >>> from zeropark.lca.matrices import Activity, Exchanges, Flow
    >>> bg = ProductSystem((Activity("a1", "Steel, billets, at plant"),), (Flow("f", "CO2"),),
    ...                    Exchanges.certain([0], [0], [1.0]), Exchanges.certain([0], [0], [1.0]))
    >>> resolve_activity(bg, "steel,  billets, at plant")
    'a1'
    """
    codes = [a.code for a in background.activities]
    if ref in codes:
        return ref
    key = _norm(ref)
    hits = [a.code for a in background.activities if _norm(a.name) == key]
    where = {"path": str(path) if path else None, "location": location or None,
             "field": "activity"}
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise InputError(f"activity name {ref!r} is ambiguous ({len(hits)} activities); use "
                         f"one of the codes {', '.join(hits[:5])}", **where)
    names = [a.name for a in background.activities]
    close = difflib.get_close_matches(ref, names, n=5, cutoff=0.5)
    hint = f"; close names: {'; '.join(close)}" if close else ""
    raise InputError(f"no background activity with code or name {ref!r}{hint}", **where)


def _stage(line: Mapping[str, Any], default: LifeCycleStage, path: Path) -> LifeCycleStage:
    value = line.get("stage", default.value)
    try:
        return LifeCycleStage(value)
    except ValueError:
        raise InputError(f"unknown stage {value!r}; use "
                         f"{', '.join(s.value for s in LifeCycleStage)}", path=str(path),
                         field="stage") from None


def _strings(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, ())
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)
