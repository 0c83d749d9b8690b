"""Product carbon footprint (CFP) studies per ISO 14067:2018: scope in, results out.

:class:`PcfStudy` records the goal and scope a CFP report must state (functional or
declared unit, system boundary, time and geography, cut-off, allocation, data sources
and quality, exclusions, GWP set). :func:`compute_pcf` takes a study and the combined
product system of :func:`zeropark.lca.foreground.build_system` and returns a
:class:`PcfResult` with

- the CFP with biogenic CO2 emissions and removals (method
  :data:`~zeropark.lca.ghg_flows.METHOD_GWP100_BIOGENIC`, the ISO 14067 total) and without
  biogenic CO2 (method :data:`~zeropark.lca.ghg_flows.METHOD_GWP100`; biogenic CH4 keeps its
  GWP), both [kg CO2e per declared unit];
- the CFP by life-cycle stage, by gas, by process (top N + rest) and by flow (top N + rest),
  the fossil/biogenic split (biogenic emissions and removals separately), per stage too;
- the supply-chain tree to a cut-off;
- a Monte Carlo range (2.5/50/97.5 percentiles) of the ISO total.

Every breakdown sums to the CFP; the result checks this and reports a
``pcf_breakdown_mismatch`` issue otherwise. Data-quality findings are issues, never
exceptions (see :mod:`zeropark.issues`).

Stages follow ISO 14067:2018 (raw material acquisition, production, distribution, use,
end of life; clause numbers not verified against the text) with the attribution rule of
:mod:`zeropark.lca.contribution`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from zeropark.issues import Issue, IssueCode, Severity
from zeropark.lca.contribution import (
    TreeNode,
    by_flow,
    by_gas,
    by_process,
    fossil_biogenic,
    stage_supplies,
    supply_chain_tree,
)
from zeropark.lca.foreground import Allocation, ForegroundSystem
from zeropark.lca.ghg_flows import METHOD_GWP100, METHOD_GWP100_BIOGENIC, match_ghg
from zeropark.lca.matrices import FloatArray, LifeCycleStage
from zeropark.lca.montecarlo import monte_carlo
from zeropark.lca.pcf_uncertainty import valid_uncertainty
from zeropark.lca.solve import LCA

__all__ = ["PcfResult", "PcfStudy", "StageRow", "SystemBoundary", "Uncertainty", "compute_pcf"]

#: Relative tolerance of the check that every breakdown adds up to the CFP [-].
BREAKDOWN_RTOL = 1e-9
#: Default cut-off criterion text (ISO 14067:2018 asks the study to state one).
DEFAULT_CUTOFF = ("Mass and energy inputs below 1 % of the product mass or energy and together "
                  "below 5 % may be left out; no such input was left out by the foreground "
                  "model. Background cut-offs are those of the background database.")


class SystemBoundary(StrEnum):
    """ISO 14067 system boundary of a study."""

    CRADLE_TO_GATE = "cradle_to_gate"
    CRADLE_TO_GRAVE = "cradle_to_grave"

    @property
    def stages(self) -> tuple[LifeCycleStage, ...]:
        """Life-cycle stages inside the boundary."""
        if self is SystemBoundary.CRADLE_TO_GATE:
            return (LifeCycleStage.RAW_MATERIAL_ACQUISITION, LifeCycleStage.PRODUCTION)
        return tuple(LifeCycleStage)


@dataclass(frozen=True, slots=True)
class PcfStudy:
    """Goal and scope of a CFP study (ISO 14067:2018; what the report states).

    Attributes
    ----------
    product : str
        Product name.
    declared_unit : str
        Reference unit of the results, e.g. ``"1 frame kit (2.28 kg)"``.
    functional_unit : str
        Quantified performance, when the study is cradle-to-grave; may be empty.
    goal, intended_application, intended_audience : str
    system_boundary : SystemBoundary
    reference_period_start, reference_period_end : datetime.date or None
        Time scope, local dates [start, end).
    geography : str
        Geographical scope, ISO 3166 code or region name (``"CN-JS"``).
    cutoff_criteria : str
    allocation : Allocation or None
        Allocation of the enterprise's energy (from the foreground model).
    data_sources : tuple of str
        Citations of the data used (meters, background database, factors).
    data_quality : tuple of str
        The practitioner's data-quality statements; automatic ones are added by
        :func:`compute_pcf`.
    exclusions : tuple of str
        What was left out and why.
    limitations : tuple of str
    gwp_set : str
        GWP values, e.g. ``"IPCC AR6 GWP100"``.
    method_version : str
        Version of the calculation method (software and importer).
    practitioner, commissioner : str
    """

    product: str
    declared_unit: str
    functional_unit: str = ""
    goal: str = ""
    intended_application: str = ""
    intended_audience: str = ""
    system_boundary: SystemBoundary = SystemBoundary.CRADLE_TO_GATE
    reference_period_start: date | None = None
    reference_period_end: date | None = None
    geography: str = ""
    cutoff_criteria: str = DEFAULT_CUTOFF
    allocation: Allocation | None = None
    data_sources: tuple[str, ...] = ()
    data_quality: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    limitations: tuple[str, ...] = ()
    gwp_set: str = "IPCC AR6 GWP100"
    method_version: str = ""
    practitioner: str = ""
    commissioner: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of the study."""
        a = self.allocation
        return {
            "product": self.product, "declared_unit": self.declared_unit,
            "functional_unit": self.functional_unit, "goal": self.goal,
            "intended_application": self.intended_application,
            "intended_audience": self.intended_audience,
            "system_boundary": self.system_boundary.value,
            "stages_included": [s.value for s in self.system_boundary.stages],
            "reference_period_start": _iso(self.reference_period_start),
            "reference_period_end": _iso(self.reference_period_end),
            "geography": self.geography, "cutoff_criteria": self.cutoff_criteria,
            "allocation": None if a is None else {
                "method": a.method.value, "product_share": a.product_share,
                "basis": dict(a.basis), "basis_unit": a.basis_unit},
            "data_sources": list(self.data_sources), "data_quality": list(self.data_quality),
            "exclusions": list(self.exclusions), "limitations": list(self.limitations),
            "gwp_set": self.gwp_set, "method_version": self.method_version,
            "practitioner": self.practitioner, "commissioner": self.commissioner,
        }


@dataclass(frozen=True, slots=True)
class StageRow:
    """CFP of one life-cycle stage [kg CO2e per declared unit].

    ``cfp_kgco2e = fossil_kgco2e + biogenic_emissions_kgco2e + biogenic_removals_kgco2e``
    (removals ≤ 0); ``cfp_excl_biogenic_co2_kgco2e`` drops biogenic CO2 only.
    """

    stage: str
    cfp_kgco2e: float
    cfp_excl_biogenic_co2_kgco2e: float
    fossil_kgco2e: float
    biogenic_emissions_kgco2e: float
    biogenic_removals_kgco2e: float
    share: float
    in_boundary: bool


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """Monte Carlo range of the CFP (ISO total) [kg CO2e per declared unit].

    Attributes
    ----------
    iterations, seed : int
        Enough to reproduce the run.
    p2_5, p50, p97_5 : float
        Percentiles 2.5, 50 and 97.5 (numpy linear interpolation).
    mean, std : float
    uncertain_exchanges : int
        Exchanges of **A**, **B** and **c** with a distribution (types 2–5).
    fallbacks : int
        Iterations solved by a fresh factorization (see :mod:`zeropark.lca.montecarlo`).
    """

    iterations: int
    seed: int
    p2_5: float
    p50: float
    p97_5: float
    mean: float
    std: float
    uncertain_exchanges: int
    fallbacks: int


@dataclass(frozen=True, slots=True)
class PcfResult:
    """Result of :func:`compute_pcf`; every value is per declared unit.

    DataFrames (columns; scores in kg CO2e, shares of the ISO total):

    - ``by_gas``: ``gas`` (biogenic flows as ``"CO2 (biogenic)"``), ``amount_kg``,
      ``score_kgco2e``, ``share``;
    - ``by_process``: ``activity_code``, ``activity_name``, ``location``, ``stage``,
      ``supply``, ``score_kgco2e``, ``share``; top N, then one ``other`` row;
    - ``by_flow``: ``flow_name``, ``compartment``, ``biogenic``, ``amount``, ``unit``,
      ``factor``, ``score_kgco2e``, ``share``; top N, then one ``other`` row;
    - ``fossil_biogenic``: ``origin`` in (``fossil``, ``biogenic_emissions``,
      ``biogenic_removals``), ``score_kgco2e``, ``share``.
    """

    study: PcfStudy
    product_code: str
    cfp_kgco2e: float
    cfp_excl_biogenic_co2_kgco2e: float
    stages: tuple[StageRow, ...]
    by_gas: pd.DataFrame
    by_process: pd.DataFrame
    by_flow: pd.DataFrame
    fossil_biogenic: pd.DataFrame
    tree: TreeNode
    uncertainty: Uncertainty | None
    per_unit: Mapping[str, float]
    data_quality: tuple[str, ...]
    notes: tuple[str, ...]
    ghg_flows_characterised: int
    issues: tuple[Issue, ...] = field(default=())

    @property
    def cfp_in_boundary_kgco2e(self) -> float:
        """Sum of the stages inside the system boundary [kg CO2e]."""
        return sum(r.cfp_kgco2e for r in self.stages if r.in_boundary)

    def stage(self, name: str | LifeCycleStage) -> StageRow:
        """The row of stage `name` (a :class:`LifeCycleStage` value or ``unassigned``)."""
        key = str(getattr(name, "value", name))
        for row in self.stages:
            if row.stage == key:
                return row
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of the whole result (tree included)."""
        u = self.uncertainty
        return {
            "study": self.study.to_dict(), "product_code": self.product_code,
            "cfp_kgco2e": self.cfp_kgco2e,
            "cfp_excl_biogenic_co2_kgco2e": self.cfp_excl_biogenic_co2_kgco2e,
            "methods": {"cfp_kgco2e": METHOD_GWP100_BIOGENIC,
                        "cfp_excl_biogenic_co2_kgco2e": METHOD_GWP100},
            "by_stage": [_row_dict(r) for r in self.stages],
            "by_gas": _records(self.by_gas), "by_process": _records(self.by_process),
            "by_flow": _records(self.by_flow), "fossil_biogenic": _records(self.fossil_biogenic),
            "supply_chain_tree": _tree_dict(self.tree),
            "uncertainty": None if u is None else {
                "iterations": u.iterations, "seed": u.seed, "p2_5_kgco2e": u.p2_5,
                "p50_kgco2e": u.p50, "p97_5_kgco2e": u.p97_5, "mean_kgco2e": u.mean,
                "std_kgco2e": u.std, "uncertain_exchanges": u.uncertain_exchanges,
                "fallbacks": u.fallbacks},
            "per_unit": dict(self.per_unit), "data_quality": list(self.data_quality),
            "notes": list(self.notes), "ghg_flows_characterised": self.ghg_flows_characterised,
            "issues": [{"code": i.code.value, "severity": i.severity.value,
                        "message": i.message, "subject": i.subject, "data": i.data}
                       for i in self.issues],
        }


def compute_pcf(study: PcfStudy, foreground: ForegroundSystem, *, iterations: int = 200,
                seed: int = 14067, top_n: int = 10, tree_cutoff: float = 0.02,
                tree_depth: int = 4, unlinked: tuple[tuple[str, str], ...] = (),
                processes: int = 1) -> PcfResult:
    """CFP of one declared unit of `foreground` with all breakdowns and a Monte Carlo range.

    Parameters
    ----------
    study : PcfStudy
        Goal and scope.
    foreground : ForegroundSystem
        From :func:`zeropark.lca.foreground.build_system`; its system must carry the methods
        :data:`~zeropark.lca.ghg_flows.METHOD_GWP100` and
        :data:`~zeropark.lca.ghg_flows.METHOD_GWP100_BIOGENIC`.
    iterations : int
        Monte Carlo iterations; 0 skips the uncertainty analysis.
    seed : int
        Root seed of the Monte Carlo run (same seed → same range).
    top_n : int
        Rows of ``by_process`` and ``by_flow`` before the ``other`` row.
    tree_cutoff : float
        Supply-chain tree: relative cut-off, 0–1. [-]
    tree_depth : int
        Supply-chain tree: deepest expanded level.
    unlinked : tuple of (process code, flow name)
        Background product inputs without a provider (``OlcaImportReport.unlinked``); those
        of processes in this supply chain are counted in the data-quality notes.
    processes : int
        Monte Carlo worker processes (the range does not depend on it).

    Returns
    -------
    PcfResult

    Raises
    ------
    SingularTechnosphereError
        If the product system cannot be solved.
    InputError
        If a method is missing.
    """
    system = foreground.system
    demand: dict[int | str, float] = dict(foreground.demand.items())
    lca = LCA(system, METHOD_GWP100_BIOGENIC, solver="superlu")
    s = lca.supply(demand)
    c_bio = system.characterization_vector(METHOD_GWP100_BIOGENIC)
    c_fossil = system.characterization_vector(METHOD_GWP100)
    b = system.biosphere_matrix()
    g = np.asarray(b @ s, dtype="float64")
    total = float(c_bio @ g)
    total_excl = float(c_fossil @ g)
    issues: list[Issue] = []

    stages = _stage_rows(system, s, c_bio, c_fossil, total, study.system_boundary)
    outside = [r for r in stages if not r.in_boundary and abs(r.cfp_kgco2e) > 1e-9 * abs(total)]
    for r in outside:
        issues.append(Issue(IssueCode.PCF_BOUNDARY_MISMATCH, Severity.WARNING,
                            f"stage {r.stage} has {r.cfp_kgco2e:.6g} kg CO2e but is outside the "
                            f"{study.system_boundary.value} boundary; it is shown, not hidden",
                            subject=r.stage, data={"cfp_kgco2e": r.cfp_kgco2e}))
    gases = _gas_names(system)
    gas = by_gas(system, s, c_bio, gases=gases).rename(
        columns={"amount": "amount_kg", "score": "score_kgco2e"})
    proc = by_process(system, s, c_bio).rename(columns={"score": "score_kgco2e"})
    proc = _top(proc[proc["score_kgco2e"] != 0], top_n, "activity_code", "activity_name", total)
    proc = proc[["activity_code", "activity_name", "location", "stage", "supply",
                 "score_kgco2e", "share"]]
    flows = by_flow(system, s, c_bio).rename(columns={"score": "score_kgco2e"})
    flows = _top(flows[flows["score_kgco2e"] != 0], top_n, "flow_code", "flow_name", total)
    flows = flows[["flow_name", "compartment", "biogenic", "amount", "unit", "factor",
                   "score_kgco2e", "share"]]
    split = fossil_biogenic(system, s, c_bio).rename(columns={"score": "score_kgco2e"})
    tree = supply_chain_tree(system, lca, demand, cutoff=tree_cutoff, max_depth=tree_depth)

    for name, value in (("stages", sum(r.cfp_kgco2e for r in stages)),
                        ("gases", float(gas["score_kgco2e"].sum())),
                        ("processes", float(proc["score_kgco2e"].sum())),
                        ("flows", float(flows["score_kgco2e"].sum())),
                        ("fossil_biogenic", float(split["score_kgco2e"].sum())),
                        ("tree", tree.score)):
        if not np.isclose(value, total, rtol=BREAKDOWN_RTOL, atol=1e-12):
            issues.append(Issue(IssueCode.PCF_BREAKDOWN_MISMATCH, Severity.ERROR,
                                f"{name} add up to {value:.12g}, CFP is {total:.12g} kg CO2e",
                                subject=name, data={"sum": value, "cfp": total}))

    uncertainty = None
    if iterations > 0:
        mc_system, invalid = valid_uncertainty(system)
        if invalid:
            issues.append(Issue(IssueCode.PCF_INVALID_UNCERTAINTY, Severity.WARNING,
                                f"{invalid} exchanges have an inconsistent distribution "
                                "(e.g. triangular mode outside [minimum, maximum]) and were "
                                "kept at their value in the Monte Carlo run",
                                subject="uncertainty", data={"count": invalid}))
        mc_lca = lca if mc_system is system else LCA(mc_system, METHOD_GWP100_BIOGENIC,
                                                     solver="superlu", check_condition=False)
        mc = monte_carlo(mc_system, demand, method=METHOD_GWP100_BIOGENIC,
                         iterations=iterations, seed=seed, lca=mc_lca, processes=processes)
        p = mc.percentiles((2.5, 50.0, 97.5))
        n_unc = _uncertain_exchanges(mc_system, METHOD_GWP100_BIOGENIC)
        uncertainty = Uncertainty(iterations, seed, float(p[0]), float(p[1]), float(p[2]),
                                  mc.mean, mc.std if iterations > 1 else 0.0, n_unc,
                                  mc.fallbacks)
        if n_unc == 0:
            issues.append(Issue(IssueCode.PCF_NO_UNCERTAINTY, Severity.INFO,
                                "no exchange has an uncertainty distribution; the Monte Carlo "
                                "range is the deterministic value", subject="uncertainty"))

    quality, more = _data_quality(system, s, c_bio, g, unlinked, foreground)
    issues += more
    n_ghg = int(np.count_nonzero(c_bio))
    return PcfResult(study, foreground.product_code, total, total_excl, stages, gas, proc, flows,
                     split, tree, uncertainty, dict(foreground.per_unit),
                     (*study.data_quality, *quality), foreground.notes, n_ghg, tuple(issues))


def _stage_rows(system: Any, s: FloatArray, c_bio: FloatArray, c_fossil: FloatArray,
                total: float, boundary: SystemBoundary) -> tuple[StageRow, ...]:
    b = system.biosphere_matrix()
    biogenic = np.array([f.biogenic for f in system.flows], dtype=bool)
    inside = {st.value for st in boundary.stages}
    rows = []
    for stage, vec in stage_supplies(system, s).items():
        g = np.asarray(b @ vec, dtype="float64")
        scores = c_bio * g
        bio = scores[biogenic]
        cfp = float(scores.sum())
        rows.append(StageRow(stage, cfp, float(c_fossil @ g), float(scores[~biogenic].sum()),
                             float(bio[bio > 0].sum()), float(bio[bio < 0].sum()),
                             cfp / total if total else float("nan"), stage in inside))
    return tuple(rows)


def _gas_names(system: Any) -> dict[str, str]:
    """Flow code → gas label, biogenic flows as ``"<gas> (biogenic)"``."""
    out = {}
    for f in system.flows:
        match = match_ghg(f.name, f.compartment)
        if match is not None and (f.biogenic or match.biogenic):
            out[f.code] = f"{match.gas} (biogenic)"
    return out


def _top(frame: pd.DataFrame, n: int, code: str, name: str, total: float) -> pd.DataFrame:
    """First `n` rows by |score| and one ``other`` row with the rest (if any)."""
    order = frame["score_kgco2e"].abs().sort_values(ascending=False, kind="stable").index
    frame = frame.loc[order].reset_index(drop=True)
    head, rest = frame.iloc[:n].copy(), frame.iloc[n:]
    if len(rest):
        other = dict.fromkeys(frame.columns)
        other.update({code: "other", name: f"other ({len(rest)} rows)",
                      "score_kgco2e": float(rest["score_kgco2e"].sum())})
        head = pd.concat([head, pd.DataFrame([other])], ignore_index=True)
    head["share"] = head["score_kgco2e"] / total if total else np.nan
    return head


def _uncertain_exchanges(system: Any, method: str) -> int:
    cf = system.characterization[method]
    return int(sum(int((ex.uncertainty_type > 1).sum())
                   for ex in (system.technosphere, system.biosphere, cf)))


def _data_quality(system: Any, s: FloatArray, c: FloatArray, g: FloatArray,
                  unlinked: tuple[tuple[str, str], ...], fg: ForegroundSystem
                  ) -> tuple[tuple[str, ...], list[Issue]]:
    """Automatic data-quality statements and issues about the product system."""
    notes, issues = [], []
    active = np.flatnonzero(np.abs(s) > 0)
    n_ghg = int(np.count_nonzero(c))
    contributing = int(np.count_nonzero(c * g))
    notes.append(f"{n_ghg} elementary flows carry a GWP factor; {contributing} of them occur in "
                 f"this product's inventory. Gases without a factor are not counted.")
    background = [system.activities[i] for i in active if not
                  system.activities[i].code.startswith("fg:")]
    locations = sorted({a.location for a in background if a.location})
    notes.append(f"{len(background)} background processes are in the supply chain"
                 + (f" (locations: {', '.join(locations)})" if locations else "") + ".")
    if any(loc in ("US", "RNA") for loc in locations):
        issues.append(Issue(IssueCode.PCF_PROXY_DATA, Severity.WARNING,
                            "background processes represent North America (USLCI, US "
                            "technology of about 2000-2015) and stand in for the product's "
                            "real supply chain", subject="background",
                            data={"locations": locations}))
    if unlinked:
        codes = {system.activities[i].code for i in active}
        hits = [(p, f) for p, f in unlinked if p in codes]
        if hits:
            flows = sorted({f for _, f in hits})
            notes.append(f"{len(hits)} product inputs of {len({p for p, _ in hits})} background "
                         "processes in the supply chain have no provider in the background "
                         f"database and are cut off (e.g. {'; '.join(flows[:4])}).")
            issues.append(Issue(IssueCode.PCF_UNLINKED_INPUTS, Severity.WARNING,
                                f"{len(hits)} background inputs in the supply chain are cut off "
                                "(no provider)", subject="background",
                                data={"count": len(hits), "flows": flows[:20]}))
    return tuple(notes), issues


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _clean(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _row_dict(row: StageRow) -> dict[str, Any]:
    return {k: _clean(getattr(row, k)) for k in StageRow.__dataclass_fields__}


def _tree_dict(node: TreeNode) -> dict[str, Any]:
    return {"code": node.code, "name": node.name, "amount": _clean(node.amount),
            "unit": node.unit, "score_kgco2e": _clean(node.score),
            "direct_score_kgco2e": _clean(node.direct_score), "share": _clean(node.share),
            "children": [_tree_dict(c) for c in node.children]}
