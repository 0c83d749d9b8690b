"""Import an openLCA JSON-LD zip (schema v1 or v2) into a :class:`ProductSystem`.

Entities are parsed with the ``olca-schema`` package (``olca_schema.Process``,
``Flow``, ``FlowProperty``, ``UnitGroup`` ``from_dict``). Zips written by openLCA
1.x (schema v1, e.g. the USLCI ``olca1_5_0`` export) use ``input``,
``quantitativeReference``, ``referenceUnit`` ... and category references; they
are renamed to the v2 keys (``isInput`` ...) and category paths before parsing.

Conventions
-----------
- One activity per process, its reference product = the exchange flagged
  quantitative reference (an output product, or for waste treatment an input
  waste). Activity order: by process name, then id. ``code`` = process ``@id``.
- **A** signs: product outputs +, product inputs −; waste flows the other way
  (waste input = treatment service produced +, waste output = service used −);
  avoided products flip the sign. The reference amount goes on the diagonal as
  given (not normalised to 1).
- **B**: elementary outputs (emissions) +, inputs (resources) −. Only elementary
  flows used by some exchange are indexed; order by name, compartment, id.
- Provider linking for a non-reference product input or waste output: the
  exchange's ``defaultProvider`` if it is in the zip, else the unique process
  whose reference product is the flow; with several, the one in the same
  location, else the first by process order (counted ``ambiguous_providers``).
  Without any producer the exchange is cut off (counted ``unlinked_inputs``).
  Co-product outputs that are not the reference are dropped (counted
  ``dropped_coproducts``): allocation factors are **not applied** and all
  burdens go to the reference product.
- Units: an amount in unit *u* of flow property *p* is converted to the flow's
  reference unit of its reference property by ``amount · cf(u) / cf(p)``, with
  ``cf(u)`` the unit's factor to its unit group's reference unit and ``cf(p)``
  the flow-property factor of the flow (amount of *p* per reference property
  unit). Units from another unit group than the property's raise ``InputError``.
- Formulas and parameters are not evaluated: the stored ``amount`` is used.
- Uncertainty (scaled by the same conversion factor and sign): lognormal
  (``loc`` = ln geomMean, ``scale`` = ln geomSd; geomSd ≤ 1, e.g. the 0 and 1
  that USLCI stores for "no data", means no uncertainty), normal (``loc`` = mean,
  ``scale`` = sd), uniform and triangular (``minimum``/``mode``/``maximum``;
  bounds swapped when the sign is negative). Pedigree-only entries are ignored.
- Characterization: :func:`zeropark.lca.ghg_flows.match_ghg` and
  :func:`~zeropark.lca.ghg_flows.gwp100_factors` build the methods
  ``GWP100`` and ``GWP100_incl_biogenic_CO2``.
"""

from __future__ import annotations

import json
import math
import zipfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import olca_schema as schema

from zeropark.errors import InputError
from zeropark.lca.ghg_flows import METHOD_GWP100, gwp100_factors, match_ghg
from zeropark.lca.matrices import Activity, Exchanges, Flow, ProductSystem, UncertaintyType

_V1_KEYS = {"input": "isInput", "avoidedProduct": "isAvoidedProduct",
            "quantitativeReference": "isQuantitativeReference",
            "referenceUnit": "isRefUnit", "referenceFlowProperty": "isRefFlowProperty",
            "infrastructureFlow": "isInfrastructureFlow",
            "infrastructureProcess": "isInfrastructureProcess"}


@dataclass(frozen=True, slots=True)
class OlcaImportReport:
    """What an import found: counts and the flows and links it could not use.

    Attributes
    ----------
    counts : Mapping[str, int]
        ``processes``, ``flows_in_zip`` (all types), ``elementary_flows`` (indexed),
        ``technosphere_nnz``, ``biosphere_nnz``, ``ghg_flows_matched``,
        ``unlinked_inputs``, ``ambiguous_providers``, ``dropped_coproducts``,
        ``converted_units`` (exchanges not in the reference unit), ``uncertain_exchanges``.
    ghg_flows : tuple of (flow code, name, compartment, gas, biogenic, cf GWP100)
    unlinked : tuple of (process code, flow name)
        Product inputs without a producer in the zip (cut off).
    schema_version : int
    """

    counts: Mapping[str, int]
    ghg_flows: tuple[tuple[str, str, str, str, bool, float], ...] = ()
    unlinked: tuple[tuple[str, str], ...] = ()
    schema_version: int = 2
    notes: tuple[str, ...] = field(default=())


def _upgrade(d: Any, categories: Mapping[str, str]) -> Any:
    """Rename schema-v1 keys to v2 and turn category references into paths."""
    if isinstance(d, list):
        return [_upgrade(x, categories) for x in d]
    if not isinstance(d, dict):
        return d
    out: dict[str, Any] = {}
    for key, value in d.items():
        if key == "category" and isinstance(value, dict):
            out[key] = categories.get(value.get("@id", ""), value.get("name", ""))
            continue
        out[_V1_KEYS.get(str(key), str(key))] = _upgrade(value, categories)
    return out


class _Zip:
    """Raw access to the JSON documents of a JSON-LD zip, by folder."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        names = self.zip.namelist()
        self.version = 1
        if "olca-schema.json" in names:
            self.version = int(json.loads(self.zip.read("olca-schema.json")).get("version", 2))
        self.folders: dict[str, list[str]] = defaultdict(list)
        for name in names:
            parts = name.split("/")
            if len(parts) == 2 and parts[1].endswith(".json"):
                self.folders[parts[0]].append(name)
        self.categories: dict[str, str] = {}
        if self.version < 2:
            raw = {n: json.loads(self.zip.read(n)) for n in self.folders.get("categories", [])}
            by_id = {d["@id"]: d for d in raw.values()}
            for cid in by_id:
                self.categories[cid] = self._path(cid, by_id)

    @staticmethod
    def _path(cid: str, by_id: Mapping[str, Any]) -> str:
        parts: list[str] = []
        seen: set[str] = set()
        while cid in by_id and cid not in seen:
            seen.add(cid)
            parts.append(by_id[cid]["name"])
            cid = (by_id[cid].get("category") or {}).get("@id", "")
        return "/".join(reversed(parts))

    def each(self, folder: str) -> list[dict[str, Any]]:
        docs = []
        for name in sorted(self.folders.get(folder, [])):
            d = json.loads(self.zip.read(name))
            docs.append(_upgrade(d, self.categories) if self.version < 2 else d)
        return docs


def _flow_type(flow: schema.Flow | None) -> str:
    return flow.flow_type.value if flow is not None and flow.flow_type is not None else ""


def read_olca_jsonld(path: str | Path, *, ar: str = "AR6"
                     ) -> tuple[ProductSystem, OlcaImportReport]:
    """Read an openLCA JSON-LD zip into a product system (conventions in the module doc).

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.zip`` export.
    ar : str
        IPCC assessment report of the GWP100 factors.

    Returns
    -------
    (ProductSystem, OlcaImportReport)
        Characterization methods ``"GWP100"`` and ``"GWP100_incl_biogenic_CO2"``.

    Raises
    ------
    InputError
        If the zip has no processes, a process has no quantitative reference, or
        an exchange refers to a unit, flow or flow property missing from the zip.
    """
    path = Path(path)
    try:
        archive = _Zip(path)
    except (OSError, zipfile.BadZipFile) as err:
        raise InputError(f"cannot read the JSON-LD zip ({err})", path=str(path)) from err
    with archive.zip:
        unit_groups = [schema.UnitGroup.from_dict(d) for d in archive.each("unit_groups")]
        properties = [schema.FlowProperty.from_dict(d) for d in archive.each("flow_properties")]
        flows = {f.id: f for f in (schema.Flow.from_dict(d) for d in archive.each("flows"))}
        processes = [schema.Process.from_dict(d) for d in archive.each("processes")]
    if not processes:
        raise InputError("no processes in the zip", path=str(path))

    unit_factor: dict[str, tuple[float, str]] = {}   # unit id → (factor, unit group id)
    ref_unit: dict[str, str] = {}                     # unit group id → reference unit name
    for ug in unit_groups:
        for u in ug.units or []:
            unit_factor[u.id or ""] = (float(u.conversion_factor or 1.0), ug.id or "")
            if u.is_ref_unit:
                ref_unit[ug.id or ""] = u.name or ""
    prop_group = {p.id: (p.unit_group.id if p.unit_group else "") for p in properties}

    def flow_ref_unit(flow: schema.Flow) -> str:
        for fpf in flow.flow_properties or []:
            if fpf.is_ref_flow_property and fpf.flow_property is not None:
                return ref_unit.get(prop_group.get(fpf.flow_property.id, "") or "", "")
        return ""

    def conversion(ex: schema.Exchange, flow: schema.Flow, where: str) -> float:
        pid = ex.flow_property.id if ex.flow_property else None
        fpf = next((f for f in flow.flow_properties or []
                    if f.flow_property is not None and f.flow_property.id == pid), None)
        if fpf is None:
            fpf = next((f for f in flow.flow_properties or [] if f.is_ref_flow_property), None)
        if fpf is None or fpf.flow_property is None:
            raise InputError(f"flow {flow.name!r} has no flow property {pid!r}",
                             path=str(path), location=where, field="flowProperty")
        uid = ex.unit.id if ex.unit else None
        if uid is None:
            return 1.0 / float(fpf.conversion_factor or 1.0)
        if uid not in unit_factor:
            raise InputError(f"unknown unit {ex.unit.name if ex.unit else uid!r}",
                             path=str(path), location=where, field="unit")
        factor, group = unit_factor[uid]
        expected = prop_group.get(fpf.flow_property.id, group)
        if expected and group != expected:
            raise InputError(f"unit {ex.unit.name if ex.unit else uid!r} is not a unit of "
                             f"flow property {fpf.flow_property.name!r}",
                             path=str(path), location=where, field="unit")
        return factor / float(fpf.conversion_factor or 1.0)

    processes.sort(key=lambda p: (p.name or "", p.id or ""))
    col_of = {p.id: j for j, p in enumerate(processes)}
    activities: list[Activity] = []
    producers: dict[str, list[int]] = defaultdict(list)
    for j, p in enumerate(processes):
        refs = [e for e in p.exchanges or [] if e.is_quantitative_reference]
        if len(refs) != 1 or refs[0].flow is None:
            raise InputError(f"process {p.name!r} has {len(refs)} quantitative references",
                             path=str(path), location=f"processes/{p.id}")
        ref_flow = flows.get(refs[0].flow.id)
        producers[refs[0].flow.id or ""].append(j)
        activities.append(Activity(
            code=p.id or "", name=(p.name or "").strip(),
            product=(refs[0].flow.name or "").strip(),
            unit=flow_ref_unit(ref_flow) if ref_flow is not None else "",
            location=(p.location.name or "") if p.location else ""))

    tech: list[tuple[int, int, float, tuple[int, float, float, float, float]]] = []
    bio: list[tuple[str, int, float, tuple[int, float, float, float, float]]] = []
    counts: dict[str, int] = dict.fromkeys(
        ("unlinked_inputs", "ambiguous_providers", "dropped_coproducts", "converted_units",
         "uncertain_exchanges"), 0)
    unlinked: list[tuple[str, str]] = []
    for j, p in enumerate(processes):
        for ex in p.exchanges or []:
            if ex.flow is None:
                continue
            where = f"processes/{p.id}, exchange {ex.internal_id or ex.flow.name}"
            flow = flows.get(ex.flow.id)
            if flow is None:
                raise InputError(f"unknown flow {ex.flow.name!r}", path=str(path),
                                 location=where, field="flow")
            kind = _flow_type(flow)
            factor = conversion(ex, flow, where)
            if not math.isclose(factor, 1.0):
                counts["converted_units"] += 1
            sign = -1.0 if ex.is_input else 1.0
            if kind == "WASTE_FLOW":
                sign = -sign
            if ex.is_avoided_product:
                sign = -sign
            value = sign * float(ex.amount or 0.0) * factor
            unc = _uncertainty(ex.uncertainty, factor, sign, value)
            if unc[0] > UncertaintyType.NONE:
                counts["uncertain_exchanges"] += 1
            if kind == "ELEMENTARY_FLOW":
                bio.append((flow.id or "", j, value, unc))
                continue
            if ex.is_quantitative_reference:
                tech.append((j, j, value, unc))
                continue
            if not ex.is_input and kind == "PRODUCT_FLOW" and not ex.is_avoided_product:
                counts["dropped_coproducts"] += 1
                continue
            row = _provider(ex, j, producers.get(flow.id or "", []), col_of, activities)
            if row is None:
                counts["unlinked_inputs"] += 1
                unlinked.append((p.id or "", (flow.name or "").strip()))
                continue
            if len(producers.get(flow.id or "", [])) > 1 and ex.default_provider is None:
                counts["ambiguous_providers"] += 1
            tech.append((row, j, value, unc))

    used = sorted({fid for fid, *_ in bio},
                  key=lambda f: ((flows[f].name or "").strip(), flows[f].category or "", f))
    flow_row = {fid: i for i, fid in enumerate(used)}
    flow_list: list[Flow] = []
    cf_rows: list[int] = []
    cf_values: dict[str, list[float]] = defaultdict(list)
    ghg: list[tuple[str, str, str, str, bool, float]] = []
    for i, fid in enumerate(used):
        f = flows[fid]
        name, compartment = (f.name or "").strip(), f.category or ""
        match = match_ghg(name, compartment, f.cas or "")
        flow_list.append(Flow(code=fid, name=name, compartment=compartment,
                              unit=flow_ref_unit(f),
                              biogenic=bool(match and match.biogenic)))
        if match is None:
            continue
        factors = gwp100_factors(match, ar)
        cf_rows.append(i)
        for method, cf in factors.items():
            cf_values[method].append(cf)
        ghg.append((fid, name, compartment, match.gas, match.biogenic, factors[METHOD_GWP100]))

    system = ProductSystem(
        activities=tuple(activities), flows=tuple(flow_list),
        technosphere=_exchanges([(r, c, v, u) for r, c, v, u in tech]),
        biosphere=_exchanges([(flow_row[f], c, v, u) for f, c, v, u in bio]),
        characterization={m: Exchanges.certain(cf_rows, np.zeros(len(cf_rows)), v)
                          for m, v in cf_values.items()},
    )
    counts.update({"processes": len(processes), "flows_in_zip": len(flows),
                   "elementary_flows": len(flow_list),
                   "technosphere_nnz": system.technosphere_matrix().nnz,
                   "biosphere_nnz": system.biosphere_matrix().nnz,
                   "ghg_flows_matched": len(ghg)})
    return system, OlcaImportReport(counts=counts, ghg_flows=tuple(ghg),
                                    unlinked=tuple(unlinked), schema_version=archive.version)


def _provider(ex: schema.Exchange, j: int, candidates: list[int], col_of: Mapping[Any, int],
              activities: list[Activity]) -> int | None:
    if ex.default_provider is not None and ex.default_provider.id in col_of:
        return col_of[ex.default_provider.id]
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    here = activities[j].location
    same = [c for c in candidates if activities[c].location == here]
    return (same or candidates)[0]


def _uncertainty(u: schema.Uncertainty | None, factor: float, sign: float, value: float
                 ) -> tuple[int, float, float, float, float]:
    """(type, loc, scale, minimum, maximum) in stats_arrays terms for a signed `value`."""
    nan = math.nan
    if u is None or u.distribution_type is None:
        return (int(UncertaintyType.UNDEFINED), value, nan, nan, nan)
    kind = u.distribution_type.value
    k = factor * sign

    def bounds(a: float | None, b: float | None) -> tuple[float, float]:
        lo, hi = (a or 0.0) * k, (b or 0.0) * k
        return (min(lo, hi), max(lo, hi))

    if kind == "LOG_NORMAL_DISTRIBUTION" and u.geom_sd is not None and u.geom_sd > 1:
        gmean = abs((u.geom_mean or 0.0) * factor) or abs(value)
        if gmean > 0:
            return (int(UncertaintyType.LOGNORMAL), math.log(gmean), math.log(u.geom_sd),
                    nan, nan)
    if kind == "NORMAL_DISTRIBUTION" and u.sd is not None:
        mean = (u.mean if u.mean is not None else value / k if k else 0.0) * k
        return (int(UncertaintyType.NORMAL), mean, abs(u.sd * factor), nan, nan)
    if kind == "UNIFORM_DISTRIBUTION" and u.minimum is not None and u.maximum is not None:
        lo, hi = bounds(u.minimum, u.maximum)
        return (int(UncertaintyType.UNIFORM), value, nan, lo, hi)
    if kind == "TRIANGLE_DISTRIBUTION" and u.minimum is not None and u.maximum is not None:
        lo, hi = bounds(u.minimum, u.maximum)
        mode = (u.mode if u.mode is not None else value / k if k else 0.0) * k
        return (int(UncertaintyType.TRIANGULAR), mode, nan, lo, hi)
    return (int(UncertaintyType.UNDEFINED), value, nan, nan, nan)


def _exchanges(rows: list[tuple[int, int, float, tuple[int, float, float, float, float]]]
               ) -> Exchanges:
    n = len(rows)
    if n == 0:
        return Exchanges.certain([], [], [])
    uncertainty = np.array([u for *_, u in rows], dtype="float64").reshape(n, 5)
    return Exchanges(
        rows=np.array([r[0] for r in rows], dtype="int64"),
        cols=np.array([r[1] for r in rows], dtype="int64"),
        values=np.array([r[2] for r in rows], dtype="float64"),
        uncertainty_type=uncertainty[:, 0].astype("uint8"),
        loc=uncertainty[:, 1].copy(), scale=uncertainty[:, 2].copy(),
        minimum=uncertainty[:, 3].copy(), maximum=uncertainty[:, 4].copy(),
    )
