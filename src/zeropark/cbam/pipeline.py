"""SEE of an installation's goods from the enterprise GHG ledger and the park's meters.

:func:`compute_installation` takes the installation model and the enterprise's
:class:`~zeropark.accounting.inventory.Inventory` (activity records × cited
factors, including the records derived from the park's meters, see
:func:`zeropark.accounting.ledger.enterprise_records`), assigns inventory lines
to production processes, and computes per process (IR (EU) 2023/1773 Annex III):

- attributed direct emissions (scope-1 CO2 lines, heat imported/exported,
  electricity exported) — :func:`~zeropark.cbam.embedded.attributed_direct_emissions`;
- attributed indirect emissions (metered electricity MWh × emission factor) —
  :func:`~zeropark.cbam.embedded.indirect_emissions`;
- SEE direct and indirect of the goods, simple or complex, with precursors from
  own processes (their SEE), suppliers (communicated SEE) or default values
  (IR 2025/2621, flagged).

Data quality is returned as :class:`~zeropark.issues.Issue` values: every default
used, emissions not attributed to any process, gases outside Annex I, and the
share of embedded emissions resting on estimates (defaults and gap-filled meter
energy) against the 20 % limit for complex goods (IR 2023/1773 Art. 5).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from zeropark.accounting.activity import ActivityRecord, SourceCategory
from zeropark.accounting.inventory import Inventory, InventoryLine, compute_inventory
from zeropark.cbam.defaults import DefaultValue, default_value
from zeropark.cbam.embedded import (
    attributed_direct_emissions,
    embedded_precursor_emissions,
    estimate_share,
    indirect_emissions,
)
from zeropark.cbam.goods import CbamGood, lookup_good
from zeropark.cbam.installation import Installation, Process
from zeropark.errors import InputError
from zeropark.issues import Issue, IssueCode, Severity
from zeropark.units import ureg

#: Limit on the share of estimates in the SEE of complex goods, IR (EU) 2023/1773 Art. 5
#: (from 1 July 2024; as summarised in project notes, not checked against the OJ text).
ESTIMATE_LIMIT = 0.20
_ESTIMATED = re.compile(r"estimated \(gap-filled\) share ([0-9.]+)%")
_CBAM_GASES = {"CO2"}


@dataclass(frozen=True, slots=True)
class LineUse:
    """One inventory line (or a share of it) used by a process."""

    line_id: str
    record_id: str
    role: str  # direct | electricity | heat_imported | heat_exported | electricity_exported
    share: float
    quantity: float  # t CO2 (direct), MWh (electricity), TJ (heat)
    unit: str
    co2_t: float  # the line's CO2 × share, as in the ledger
    estimated_fraction: float


@dataclass(frozen=True, slots=True)
class ProcessEmissions:
    """Attributed emissions of one production process (all [t CO2e] unless named)."""

    process_id: str
    direct_t: float
    heat_imported_tj: float
    em_heat_imported_t: float
    heat_exported_tj: float
    em_heat_exported_t: float
    electricity_exported_mwh: float
    em_electricity_exported_t: float
    attributed_direct_t: float
    electricity_mwh: float
    ef_electricity_t_per_mwh: float
    attributed_indirect_t: float
    estimated_t: float
    lines: tuple[LineUse, ...]


@dataclass(frozen=True, slots=True)
class PrecursorSee:
    """The SEE used for a precursor, and where it came from."""

    precursor_id: str
    cn_code: str
    origin: str  # own | supplier | default
    see_direct_t_per_t: float
    see_indirect_t_per_t: float
    estimated_see_t_per_t: float
    country: str = ""
    supplier: str = ""
    default: DefaultValue | None = None


@dataclass(frozen=True, slots=True)
class GoodsResult:
    """SEE of the goods of one process (one aggregated goods category)."""

    process_id: str
    goods: tuple[CbamGood, ...]
    category: str
    route: str
    activity_level_t: float
    attributed_direct_t: float
    attributed_indirect_t: float
    precursors: tuple[tuple[str, float, PrecursorSee], ...]  # (id, mass t, SEE used)
    embedded_precursors_direct_t: float
    embedded_precursors_indirect_t: float
    see_direct_t_per_t: float
    see_indirect_t_per_t: float
    estimate_share: float

    @property
    def see_total_t_per_t(self) -> float:
        """SEE direct + indirect. [t CO2e/t]."""
        return self.see_direct_t_per_t + self.see_indirect_t_per_t

    @property
    def is_complex(self) -> bool:
        """Whether the goods have relevant precursors in this installation."""
        return bool(self.precursors)


@dataclass(frozen=True, slots=True)
class InstallationResult:
    """Everything the communication, the report and the cost estimate need."""

    installation: Installation
    inventory: Inventory
    year: int
    processes: tuple[ProcessEmissions, ...]
    goods: tuple[GoodsResult, ...]
    precursors: tuple[PrecursorSee, ...]
    issues: tuple[Issue, ...] = field(default=())

    @property
    def defaults_used(self) -> tuple[PrecursorSee, ...]:
        """Precursors whose SEE is a default value."""
        return tuple(p for p in self.precursors if p.origin == "default")

    @property
    def total_direct_t(self) -> float:
        """Installation direct emissions attributed to processes (Σ DirEm*). [t CO2e]."""
        return sum(p.direct_t for p in self.processes)

    @property
    def total_indirect_t(self) -> float:
        """Installation indirect emissions (Σ electricity × EF). [t CO2]."""
        return sum(p.attributed_indirect_t for p in self.processes)

    def good(self, cn_code: str) -> GoodsResult:
        """The result holding a CN code."""
        digits = "".join(c for c in cn_code if c.isdigit())
        for g in self.goods:
            if any(x.cn_code == digits for x in g.goods):
                return g
        raise InputError(f"CN {cn_code} is not produced by installation "
                         f"{self.installation.installation_id!r}", field="cn_code")


def installation_inventory(installation: Installation, records: Sequence[ActivityRecord], *,
                           gwp_set: str = "AR5") -> Inventory:
    """The enterprise inventory of the installation's reporting period.

    Uses the installation's grid region and grid data year (default: the year of
    ``period_start``; the factor library records any fallback year on the lines).
    """
    year = installation.grid_data_year or installation.period_start.year
    return compute_inventory(records, enterprise_id=installation.enterprise_id,
                             period=f"{installation.period_start}/{installation.period_end}",
                             region=installation.grid_region, data_year=year, gwp_set=gwp_set)


def _estimated_fraction(record: ActivityRecord | None) -> float:
    if record is None:
        return 0.0
    match = _ESTIMATED.search(record.note or "")
    return float(match.group(1)) / 100.0 if match else 0.0


def _to(record: ActivityRecord, target: str) -> float:
    unit = record.unit.replace("m3", "m**3")
    return float((record.quantity * ureg(unit)).to(target).magnitude)


def _role(line: InventoryLine) -> str | None:
    cat = line.category
    if line.scope == 1:
        return "direct"
    if cat == SourceCategory.PURCHASED_ELECTRICITY and line.scope2_method == "location":
        return "electricity"
    if cat == SourceCategory.PURCHASED_HEAT and line.scope2_method == "location":
        return "heat_imported"
    if cat == SourceCategory.EXPORTED_HEAT:
        return "heat_exported"
    if cat == SourceCategory.EXPORTED_ELECTRICITY:
        return "electricity_exported"
    return None


def _assign(installation: Installation, inventory: Inventory
            ) -> tuple[dict[str, list[LineUse]], list[Issue]]:
    records = {r.record_id: r for r in inventory.records}
    uses: dict[str, list[LineUse]] = {p.process_id: [] for p in installation.processes}
    issues: list[Issue] = []
    for line in inventory.lines:
        role = _role(line)
        if role is None:
            continue
        if role == "direct" and line.gas not in _CBAM_GASES:
            issues.append(Issue(IssueCode.CBAM_EXCLUDED_GAS, Severity.INFO,
                                f"line {line.line_id}: {line.co2e_t:.3f} t CO2e of {line.gas} "
                                "is not an Annex I gas of these goods (Reg. (EU) 2023/956 "
                                "Annex I) and is left out", subject=line.line_id,
                                data={"co2e_t": line.co2e_t, "gas": line.gas}))
            continue
        record = records.get(line.record_id)
        total_share = 0.0
        for proc in installation.processes:
            share = sum(s.share for s in proc.sources
                        if fnmatch.fnmatchcase(line.record_id, s.pattern))
            if share <= 0:
                continue
            total_share += share
            if role == "direct":
                quantity, unit = line.co2e_t * share, "t"
            elif role in ("electricity", "electricity_exported"):
                quantity = _to(record, "MWh") * share if record else 0.0
                unit = "MWh"
            else:
                quantity = _to(record, "TJ") * share if record else 0.0
                unit = "TJ"
            uses[proc.process_id].append(LineUse(
                line.line_id, line.record_id, role, share, quantity, unit,
                line.co2e_t * share, _estimated_fraction(record)))
        if total_share > 1.0 + 1e-9:
            raise InputError(f"record {line.record_id!r} is assigned {total_share:.3f} times "
                             "(shares over processes add up to more than 1)",
                             path=installation.source or None, field="sources")
        if role in ("direct", "electricity") and total_share < 1.0 - 1e-9:
            missing = (1.0 - total_share) * line.co2e_t
            issues.append(Issue(IssueCode.CBAM_UNATTRIBUTED, Severity.WARNING,
                                f"{1 - total_share:.1%} of line {line.line_id} ({missing:.3f} t "
                                "CO2) is not attributed to any production process",
                                subject=line.line_id,
                                data={"unattributed_co2_t": missing, "role": role}))
    return uses, issues


def _process_emissions(installation: Installation, proc: Process, uses: list[LineUse],
                       issues: list[Issue]) -> ProcessEmissions:
    def total(role: str) -> float:
        return sum(u.quantity for u in uses if u.role == role)

    direct = total("direct")
    heat_in, heat_out = total("heat_imported"), total("heat_exported")
    el, el_out = total("electricity"), total("electricity_exported")
    ef_in = proc.ef_heat_imported_t_per_tj
    if heat_in and ef_in is None:  # the ledger's heat factor, flagged
        ledger_t = sum(u.co2_t for u in uses if u.role == "heat_imported")
        ef_in = ledger_t / heat_in
        issues.append(Issue(IssueCode.CBAM_DEFAULT_USED, Severity.WARNING,
                            f"process {proc.process_id}: imported heat uses the ledger's factor "
                            f"{ef_in:.1f} t CO2/TJ (not the heat supplier's data)",
                            subject=proc.process_id, data={"ef_t_per_tj": ef_in}))
    if heat_out and proc.ef_heat_exported_t_per_tj is None:
        raise InputError(f"process {proc.process_id!r} exports heat: give "
                         "ef_heat_exported_t_per_tj (IR 2023/1773 Annex III, heat flows)",
                         path=installation.source or None, field="ef_heat_exported_t_per_tj")
    if el_out and proc.ef_electricity_exported_t_per_mwh is None:
        raise InputError(f"process {proc.process_id!r} exports electricity: give "
                         "ef_electricity_exported_t_per_mwh", path=installation.source or None,
                         field="ef_electricity_exported_t_per_mwh")
    ef_out = proc.ef_heat_exported_t_per_tj or 0.0
    ef_el_out = proc.ef_electricity_exported_t_per_mwh or 0.0
    attributed = float(attributed_direct_emissions(
        direct, heat_imported_tj=heat_in, ef_heat_imported_t_per_tj=ef_in or 0.0,
        heat_exported_tj=heat_out, ef_heat_exported_t_per_tj=ef_out,
        electricity_exported_mwh=el_out, ef_electricity_exported_t_per_mwh=ef_el_out))
    if installation.ef_electricity_t_per_mwh is not None:
        ef_el = installation.ef_electricity_t_per_mwh
    else:
        ledger_el = sum(u.co2_t for u in uses if u.role == "electricity")
        ef_el = ledger_el / el if el else 0.0
    indirect = float(indirect_emissions(el, ef_el))
    estimated = sum(u.estimated_fraction * u.quantity for u in uses if u.role == "direct")
    estimated += sum(u.estimated_fraction * u.quantity * ef_el for u in uses
                     if u.role == "electricity")
    return ProcessEmissions(
        process_id=proc.process_id, direct_t=direct, heat_imported_tj=heat_in,
        em_heat_imported_t=heat_in * (ef_in or 0.0), heat_exported_tj=heat_out,
        em_heat_exported_t=heat_out * ef_out, electricity_exported_mwh=el_out,
        em_electricity_exported_t=el_out * ef_el_out, attributed_direct_t=attributed,
        electricity_mwh=el, ef_electricity_t_per_mwh=ef_el, attributed_indirect_t=indirect,
        estimated_t=estimated, lines=tuple(uses))


def _order(installation: Installation) -> list[Process]:
    own = {p.process_id for p in installation.processes}
    done: list[Process] = []
    state: dict[str, int] = {}

    def visit(proc: Process, chain: tuple[str, ...]) -> None:
        if state.get(proc.process_id) == 2:
            return
        if state.get(proc.process_id) == 1:
            raise InputError("precursor cycle: " + " → ".join((*chain, proc.process_id)),
                             path=installation.source or None, field="precursors")
        state[proc.process_id] = 1
        for use in proc.precursors:
            if use.precursor in own:
                visit(installation.process(use.precursor), (*chain, proc.process_id))
        state[proc.process_id] = 2
        done.append(proc)

    for proc in installation.processes:
        visit(proc, ())
    return done


def _purchased_see(installation: Installation, year: int, issues: list[Issue]
                   ) -> dict[str, PrecursorSee]:
    out: dict[str, PrecursorSee] = {}
    for pre in installation.purchased_precursors:
        if pre.see_direct_t_per_t is not None:
            indirect = pre.see_indirect_t_per_t or 0.0
            out[pre.precursor_id] = PrecursorSee(
                pre.precursor_id, pre.cn_code, "supplier", pre.see_direct_t_per_t, indirect,
                0.0, pre.country, pre.supplier)
            continue
        value = default_value(pre.cn_code, pre.country, year=year)
        marked = installation.precursor_default_markup and value.marked_up_t_per_t is not None
        base_direct = value.direct_t_per_t if value.direct_t_per_t is not None else 0.0
        if marked and value.marked_up_t_per_t is not None and value.total_t_per_t:
            factor = value.marked_up_t_per_t / value.total_t_per_t
        else:
            factor = 1.0
        direct = base_direct * factor
        indirect = (value.indirect_t_per_t or 0.0) * factor
        if value.indirect_t_per_t is None:
            issues.append(Issue(IssueCode.CBAM_DEFAULT_INDIRECT_MISSING, Severity.WARNING,
                                f"precursor {pre.precursor_id} (CN {pre.cn_code}): the default "
                                "table gives no indirect value ('NA'); 0 used — ask the "
                                "supplier for its indirect SEE", subject=pre.precursor_id))
        issues.append(Issue(IssueCode.CBAM_DEFAULT_USED, Severity.WARNING,
                            f"precursor {pre.precursor_id} (CN {pre.cn_code}, {value.country}): "
                            f"default value {direct:.3f} t CO2e/t "
                            + (f"incl. {year} mark-up " if factor != 1.0 else "")
                            + ("(Other countries fallback) " if value.fallback else "")
                            + "used instead of supplier data", subject=pre.precursor_id,
                            data={"cn_code": pre.cn_code, "direct_t_per_t": direct,
                                  "fallback": value.fallback, "year": year}))
        out[pre.precursor_id] = PrecursorSee(pre.precursor_id, pre.cn_code, "default", direct,
                                             indirect, direct + indirect, pre.country,
                                             pre.supplier, value)
    return out


def compute_installation(installation: Installation, inventory: Inventory, *,
                         year: int | None = None) -> InstallationResult:
    """SEE direct and indirect of every good of an installation.

    Parameters
    ----------
    installation : Installation
    inventory : Inventory
        The enterprise's inventory for the reporting period (same enterprise),
        e.g. from :func:`installation_inventory`.
    year : int, optional
        Year whose default values and mark-ups apply to defaulted precursors
        (default: the year of ``period_start``).

    Returns
    -------
    InstallationResult

    Raises
    ------
    InputError
        For an inventory of another enterprise, a good that is not a CBAM good,
        goods of two categories in one process, a record assigned more than once,
        a precursor cycle, exports without their emission factor.

    Notes
    -----
    Per process p, with AL_p its activity level [t]:
    SEE_p,dir = (AttrEm_p,dir + Σ_i M_i·SEE_i,dir) / AL_p and
    SEE_p,ind = (AttrEm_p,ind + Σ_i M_i·SEE_i,ind) / AL_p
    (IR (EU) 2023/1773 Annex III, sections F and G); precursors of own processes
    use those processes' SEE, computed first (topological order).
    """
    if inventory.enterprise_id != installation.enterprise_id:
        raise InputError(f"inventory of {inventory.enterprise_id!r}, installation of "
                         f"{installation.enterprise_id!r}", field="enterprise_id")
    year = year or installation.period_start.year
    issues: list[Issue] = []
    uses, assign_issues = _assign(installation, inventory)
    issues.extend(assign_issues)
    see: dict[str, PrecursorSee] = _purchased_see(installation, year, issues)
    emissions: dict[str, ProcessEmissions] = {}
    results: list[GoodsResult] = []
    for proc in _order(installation):
        goods = tuple(lookup_good(cn) for cn in proc.cn_codes)
        categories = {g.category for g in goods}
        if len(categories) > 1:
            raise InputError(f"process {proc.process_id!r} makes goods of several aggregated "
                             f"categories {sorted(categories)}; split it",
                             path=installation.source or None, field="cn_codes")
        em = _process_emissions(installation, proc, uses[proc.process_id], issues)
        emissions[proc.process_id] = em
        used = [(u.precursor, u.mass_t, see[u.precursor]) for u in proc.precursors]
        masses = [m for _, m, _ in used]
        ee_dir = embedded_precursor_emissions(masses, [s.see_direct_t_per_t for *_, s in used])
        ee_ind = embedded_precursor_emissions(masses, [s.see_indirect_t_per_t for *_, s in used])
        ee_est = embedded_precursor_emissions(masses, [s.estimated_see_t_per_t
                                                       for *_, s in used])
        level = proc.activity_level_t
        see_dir = (em.attributed_direct_t + ee_dir) / level
        see_ind = (em.attributed_indirect_t + ee_ind) / level
        est_see = (em.estimated_t + ee_est) / level
        share = estimate_share(est_see, see_dir + see_ind)
        cn = goods[0].cn_code
        see[proc.process_id] = PrecursorSee(proc.process_id, cn, "own", see_dir, see_ind,
                                            est_see, installation.address.country,
                                            installation.name)
        result = GoodsResult(
            process_id=proc.process_id, goods=goods, category=goods[0].category,
            route=proc.route, activity_level_t=level,
            attributed_direct_t=em.attributed_direct_t,
            attributed_indirect_t=em.attributed_indirect_t, precursors=tuple(used),
            embedded_precursors_direct_t=ee_dir, embedded_precursors_indirect_t=ee_ind,
            see_direct_t_per_t=see_dir, see_indirect_t_per_t=see_ind, estimate_share=share)
        if result.is_complex and share > ESTIMATE_LIMIT:
            issues.append(Issue(IssueCode.CBAM_ESTIMATE_SHARE_HIGH, Severity.ERROR,
                                f"process {proc.process_id}: {share:.1%} of the SEE rests on "
                                f"estimates (defaults, gap-filled data); the limit for complex "
                                f"goods is {ESTIMATE_LIMIT:.0%} (IR 2023/1773 Art. 5)",
                                subject=proc.process_id, data={"estimate_share": share}))
        results.append(result)
    order = {p.process_id: i for i, p in enumerate(installation.processes)}
    results.sort(key=lambda r: order[r.process_id])
    return InstallationResult(
        installation=installation, inventory=inventory, year=year,
        processes=tuple(emissions[p.process_id] for p in installation.processes),
        goods=tuple(results), precursors=tuple(see.values()), issues=tuple(issues))


def result_document(result: InstallationResult) -> dict[str, Any]:
    """JSON-ready summary of an installation result (for the CLI and an API route)."""
    inst = result.installation
    return {
        "installation_id": inst.installation_id, "name": inst.name,
        "enterprise_id": inst.enterprise_id, "year": result.year,
        "period": [str(inst.period_start), str(inst.period_end)],
        "total_direct_t": result.total_direct_t, "total_indirect_t": result.total_indirect_t,
        "processes": [{
            "process_id": p.process_id, "direct_t": p.direct_t,
            "heat_imported_tj": p.heat_imported_tj, "em_heat_imported_t": p.em_heat_imported_t,
            "heat_exported_tj": p.heat_exported_tj, "em_heat_exported_t": p.em_heat_exported_t,
            "electricity_exported_mwh": p.electricity_exported_mwh,
            "attributed_direct_t": p.attributed_direct_t, "electricity_mwh": p.electricity_mwh,
            "ef_electricity_t_per_mwh": p.ef_electricity_t_per_mwh,
            "attributed_indirect_t": p.attributed_indirect_t,
            "lines": [{"line_id": u.line_id, "role": u.role, "share": u.share,
                       "quantity": u.quantity, "unit": u.unit} for u in p.lines],
        } for p in result.processes],
        "goods": [{
            "process_id": g.process_id, "cn_codes": [x.cn_code for x in g.goods],
            "category": g.category, "activity_level_t": g.activity_level_t,
            "see_direct_t_per_t": g.see_direct_t_per_t,
            "see_indirect_t_per_t": g.see_indirect_t_per_t,
            "see_total_t_per_t": g.see_total_t_per_t, "estimate_share": g.estimate_share,
            "precursors": [{"precursor": pid, "mass_t": m, "origin": s.origin,
                            "see_direct_t_per_t": s.see_direct_t_per_t,
                            "see_indirect_t_per_t": s.see_indirect_t_per_t}
                           for pid, m, s in g.precursors],
        } for g in result.goods],
        "defaults_used": [{"precursor": p.precursor_id, "cn_code": p.cn_code,
                           "country": p.country, "see_direct_t_per_t": p.see_direct_t_per_t,
                           "source": p.default.source if p.default else ""}
                          for p in result.defaults_used],
        "issues": [{"code": i.code.value, "severity": i.severity.value, "message": i.message,
                    "subject": i.subject} for i in result.issues],
    }
