"""Contribution analysis of an LCA result: by process, flow, stage, gas, carbon origin, tree.

Pure functions over a :class:`~zeropark.lca.matrices.ProductSystem`, a supply
vector **s** ``(n_activities,)`` [activity runs] and a characterization vector
**c** ``(n_flows,)`` [kg CO2e per unit of flow] (or a method name of the
system). With **h** = cᵀB ``(n_activities,)`` the direct score of activity *j*
is hⱼ·sⱼ and the total score is h·s; every breakdown here sums to that total.

Stage rule (:func:`by_stage`)
-----------------------------
ISO 14067:2018 asks for the CFP by life-cycle stage (clause not verified). An
activity with its own ``stage`` counts its direct score to that stage. An
activity without a stage counts to the stage of its **first stage-tagged
ancestor**: the nearest stage-tagged activity that pulls it in through a chain
of untagged activities. Formally, with *t* the tagged and *u* the untagged
activities, ``A_uu s_u + A_ut s_t = f_u`` gives the exact decomposition

    s_u = Σ_k A_uu⁻¹ (−A_{u,T_k} s_{T_k}) + A_uu⁻¹ f_u,

one term per stage *k* (the inputs the stage's tagged activities take from
untagged ones) and a rest for demand placed directly on untagged activities,
reported as ``unassigned``. Background reached only through a tagged activity
belongs to that activity's stage; a tagged activity deep in the chain starts a
new attribution for its own upstream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from zeropark.errors import InputError, SingularTechnosphereError
from zeropark.lca.ghg_flows import match_ghg
from zeropark.lca.matrices import FloatArray, LifeCycleStage, ProductSystem

Characterization = FloatArray | str
#: Label of the stage row for demand placed directly on untagged activities.
UNASSIGNED = "unassigned"


class UnitScores(Protocol):
    """Anything with ``all_scores()`` (e.g. :class:`zeropark.lca.solve.LCA`)."""

    def all_scores(self) -> npt.NDArray[np.float64]:
        """Score of one unit of each product, ``(n_activities,)``."""
        ...


def _c(system: ProductSystem, characterization: Characterization) -> FloatArray:
    if isinstance(characterization, str):
        return system.characterization_vector(characterization)
    c = np.asarray(characterization, dtype="float64")
    if c.shape != (system.n_flows,):
        raise InputError(f"characterization has shape {c.shape}, expected "
                         f"({system.n_flows},)", field="characterization")
    return c


def _s(system: ProductSystem, supply: npt.ArrayLike) -> FloatArray:
    s = np.asarray(supply, dtype="float64")
    if s.shape != (system.n_activities,):
        raise InputError(f"supply has shape {s.shape}, expected ({system.n_activities},)",
                         field="supply")
    return s


def _share(score: FloatArray | pd.Series, total: float) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(score, dtype="float64") / total if total != 0 else (
            np.full(np.shape(score), np.nan))


def direct_scores(system: ProductSystem, supply: npt.ArrayLike,
                  characterization: Characterization = "GWP100") -> FloatArray:
    """Direct score of each activity, hⱼ·sⱼ with h = cᵀB.

    Returns
    -------
    numpy.ndarray
        ``(n_activities,)`` [kg CO2e for a GWP method].

    Examples
    --------
    >>> from zeropark.lca.matrices import Activity, Exchanges, Flow
    >>> s = ProductSystem((Activity("a", "A"),), (Flow("co2", "CO2"),),
    ...                   Exchanges.certain([0], [0], [1.0]), Exchanges.certain([0], [0], [2.0]),
    ...                   {"GWP100": Exchanges.certain([0], [0], [1.0])})
    >>> direct_scores(s, [3.0]).tolist()
    [6.0]
    """
    h = system.biosphere_matrix().T @ _c(system, characterization)
    return np.asarray(h * _s(system, supply), dtype="float64")


def by_process(system: ProductSystem, supply: npt.ArrayLike,
               characterization: Characterization = "GWP100") -> pd.DataFrame:
    """Direct score per activity, largest first.

    Returns
    -------
    pandas.DataFrame
        One row per activity: ``activity_code``, ``activity_name``, ``product``,
        ``location``, ``stage`` (value or None), ``supply`` [activity runs],
        ``score`` [kg CO2e], ``share`` [-] of the total.
    """
    s = _s(system, supply)
    scores = direct_scores(system, s, characterization)
    total = float(scores.sum())
    frame = pd.DataFrame({
        "activity_code": [a.code for a in system.activities],
        "activity_name": [a.name for a in system.activities],
        "product": [a.product for a in system.activities],
        "location": [a.location for a in system.activities],
        "stage": [a.stage.value if a.stage else None for a in system.activities],
        "supply": s, "score": scores, "share": _share(scores, total)})
    return frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def flow_scores(system: ProductSystem, supply: npt.ArrayLike,
                characterization: Characterization = "GWP100"
                ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Inventory g = Bs, factors c and scores cᵢ·gᵢ, each ``(n_flows,)``."""
    c = _c(system, characterization)
    g = np.asarray(system.biosphere_matrix() @ _s(system, supply), dtype="float64")
    return g, c, c * g


def by_flow(system: ProductSystem, supply: npt.ArrayLike,
            characterization: Characterization = "GWP100") -> pd.DataFrame:
    """Score per characterised elementary flow, largest first.

    Returns
    -------
    pandas.DataFrame
        One row per flow with a non-zero factor: ``flow_code``, ``flow_name``,
        ``compartment``, ``unit``, ``biogenic``, ``amount`` [flow unit; emissions +,
        uptakes −], ``factor`` [kg CO2e/unit], ``score``, ``share``.
    """
    g, c, scores = flow_scores(system, supply, characterization)
    keep = np.flatnonzero(c)
    flows = [system.flows[i] for i in keep]
    total = float(scores.sum())
    frame = pd.DataFrame({
        "flow_code": [f.code for f in flows], "flow_name": [f.name for f in flows],
        "compartment": [f.compartment for f in flows], "unit": [f.unit for f in flows],
        "biogenic": [f.biogenic for f in flows], "amount": g[keep], "factor": c[keep],
        "score": scores[keep], "share": _share(scores[keep], total)})
    return frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def by_stage(system: ProductSystem, supply: npt.ArrayLike,
             characterization: Characterization = "GWP100") -> pd.DataFrame:
    """Score per ISO 14067 life-cycle stage (attribution rule in the module doc).

    Returns
    -------
    pandas.DataFrame
        Rows in the order of :class:`LifeCycleStage` (all five, zero when
        absent), then ``unassigned`` when demand sits directly on untagged
        activities; columns ``stage``, ``score`` [kg CO2e], ``share`` [-].

    Raises
    ------
    SingularTechnosphereError
        If the technosphere of the untagged activities cannot be factorised.
    """
    s = _s(system, supply)
    h = system.biosphere_matrix().T @ _c(system, characterization)
    direct = h * s
    stages = [a.stage for a in system.activities]
    untagged = np.array([st is None for st in stages])
    u_idx = np.flatnonzero(untagged)
    a_mat = system.technosphere_matrix().tocsc()
    scores: dict[str, float] = {}
    attributed = np.zeros(u_idx.size)
    solve = _factorise(a_mat[u_idx][:, u_idx], system, u_idx) if u_idx.size else None
    for stage in LifeCycleStage:
        tagged = np.array([st == stage for st in stages])
        score = float(direct[tagged].sum())
        if solve is not None and tagged.any():
            rhs = -(a_mat[u_idx][:, np.flatnonzero(tagged)] @ s[tagged])
            if np.any(rhs):
                x = solve(np.asarray(rhs, dtype="float64"))
                attributed += x
                score += float(h[u_idx] @ x)
        scores[stage.value] = score
    if u_idx.size:
        demand_u = np.asarray(a_mat[u_idx] @ s, dtype="float64")
        rest = s[u_idx] - attributed
        scale = max(float(np.abs(a_mat @ s).max(initial=0.0)), 1e-300)
        if np.abs(demand_u).max(initial=0.0) > 1e-9 * scale:  # not solver noise
            scores[UNASSIGNED] = float(h[u_idx] @ rest)
    total = float(direct.sum())
    frame = pd.DataFrame({"stage": list(scores), "score": list(scores.values())})
    frame["share"] = _share(frame["score"], total)
    return frame


def stage_supplies(system: ProductSystem, supply: npt.ArrayLike) -> dict[str, FloatArray]:
    """Supply vector of each ISO 14067 stage (attribution rule in the module doc).

    The part of **s** that :func:`by_stage` attributes to each stage, so that any
    flow-level breakdown (fossil/biogenic, gas) can be taken per stage:
    ``c · B · s_k`` is the ``by_stage`` score of stage *k* and the vectors sum to **s**.

    Returns
    -------
    dict
        Stage value (order of :class:`LifeCycleStage`, all five) → ``(n_activities,)``
        [activity runs]; plus ``unassigned`` when demand sits on untagged activities.

    Examples
    --------
    >>> from zeropark.lca.matrices import Activity, Exchanges, Flow
    >>> s = ProductSystem((Activity("p", "P", stage=LifeCycleStage.PRODUCTION),
    ...                    Activity("e", "E")), (Flow("co2", "CO2"),),
    ...                   Exchanges.certain([0, 1, 1], [0, 0, 1], [1.0, -2.0, 1.0]),
    ...                   Exchanges.certain([0], [1], [1.0]))
    >>> stage_supplies(s, [1.0, 2.0])["production"].tolist()
    [1.0, 2.0]
    """
    s = _s(system, supply)
    stages = [a.stage for a in system.activities]
    u_idx = np.flatnonzero(np.array([st is None for st in stages], dtype=bool))
    a_mat = system.technosphere_matrix().tocsc()
    solve = _factorise(a_mat[u_idx][:, u_idx], system, u_idx) if u_idx.size else None
    out: dict[str, FloatArray] = {}
    attributed = np.zeros(u_idx.size)
    for stage in LifeCycleStage:
        tagged = np.array([st == stage for st in stages], dtype=bool)
        vec = np.where(tagged, s, 0.0)
        if solve is not None and tagged.any():
            rhs = -(a_mat[u_idx][:, np.flatnonzero(tagged)] @ s[tagged])
            if np.any(rhs):
                x = solve(np.asarray(rhs, dtype="float64"))
                attributed += x
                vec[u_idx] += x
        out[stage.value] = vec
    if u_idx.size:
        demand_u = np.asarray(a_mat[u_idx] @ s, dtype="float64")
        scale = max(float(np.abs(a_mat @ s).max(initial=0.0)), 1e-300)
        if np.abs(demand_u).max(initial=0.0) > 1e-9 * scale:
            rest = np.zeros(system.n_activities)
            rest[u_idx] = s[u_idx] - attributed
            out[UNASSIGNED] = rest
    return out


def _factorise(matrix: sp.csc_matrix, system: ProductSystem, idx: npt.NDArray[np.int64]
               ) -> Callable[[FloatArray], FloatArray]:
    try:
        lu = spla.splu(sp.csc_matrix(matrix))
    except RuntimeError as err:
        raise SingularTechnosphereError(
            "technosphere of the untagged activities is singular",
            tuple(system.activities[i].code for i in idx[:10])) from err
    solve: Callable[[FloatArray], FloatArray] = lu.solve
    return solve


def fossil_biogenic(system: ProductSystem, supply: npt.ArrayLike,
                    characterization: Characterization = "GWP100") -> pd.DataFrame:
    """Split of the score into fossil, biogenic emissions and biogenic removals.

    A flow is biogenic when ``Flow.biogenic`` is set; its positive scores are
    emissions, its negative scores removals (ISO 14067:2018 asks to
    document both). With the ``GWP100`` method biogenic CO2 has CF 0, so only
    biogenic CH4 shows; use ``GWP100_incl_biogenic_CO2`` for CO2 emissions and
    removals. Land-use-change CO2 counts as fossil.

    Returns
    -------
    pandas.DataFrame
        Rows ``fossil``, ``biogenic_emissions``, ``biogenic_removals``; columns
        ``origin``, ``score`` [kg CO2e], ``share`` [-].
    """
    _, _, scores = flow_scores(system, supply, characterization)
    biogenic = np.array([f.biogenic for f in system.flows], dtype=bool)
    bio = scores[biogenic]
    values = [float(scores[~biogenic].sum()), float(bio[bio > 0].sum()),
              float(bio[bio < 0].sum())]
    frame = pd.DataFrame({"origin": ["fossil", "biogenic_emissions", "biogenic_removals"],
                          "score": values})
    frame["share"] = _share(frame["score"], float(scores.sum()))
    return frame


def by_gas(system: ProductSystem, supply: npt.ArrayLike,
           characterization: Characterization = "GWP100",
           gases: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Score and mass per greenhouse gas.

    Parameters
    ----------
    gases : Mapping[str, str], optional
        Flow code → gas name; flows not in it are recognised with
        :func:`zeropark.lca.ghg_flows.match_ghg`, else grouped as ``other``.

    Returns
    -------
    pandas.DataFrame
        One row per gas with a non-zero factor on some flow, largest score first:
        ``gas``, ``amount`` [kg of gas for mass flows], ``score`` [kg CO2e], ``share``.
    """
    g, c, scores = flow_scores(system, supply, characterization)
    gases = gases or {}
    rows: dict[str, list[float]] = {}
    for i in np.flatnonzero(c):
        flow = system.flows[i]
        gas = gases.get(flow.code)
        if gas is None:
            match = match_ghg(flow.name, flow.compartment)
            gas = match.gas if match else "other"
        acc = rows.setdefault(gas, [0.0, 0.0])
        acc[0] += float(g[i])
        acc[1] += float(scores[i])
    frame = pd.DataFrame({"gas": list(rows), "amount": [v[0] for v in rows.values()],
                          "score": [v[1] for v in rows.values()]})
    frame["share"] = _share(frame["score"], float(scores.sum()))
    return frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


@dataclass(frozen=True, slots=True)
class TreeNode:
    """One product in the supply-chain tree.

    Attributes
    ----------
    code, name : str
        Activity code and name; ``"other"`` for children below the cutoff,
        ``"demand"`` for a root over several demanded products.
    amount : float
        Product amount [activity unit]; NaN for ``other`` and ``demand``.
    unit : str
    score : float
        Cumulative score of `amount` (the activity and all its upstream) [kg CO2e].
    direct_score : float
        Score of the activity's own elementary flows for `amount`.
    share : float
        ``score`` / score of the root [-].
    children : tuple of TreeNode
        Inputs; empty at the depth limit. ``score = direct_score + Σ children``
        when expanded.
    """

    code: str
    name: str
    amount: float
    unit: str
    score: float
    direct_score: float
    share: float
    children: tuple[TreeNode, ...] = ()


def supply_chain_tree(system: ProductSystem, lca: UnitScores,
                      demand: Mapping[int | str, float], *, cutoff: float = 0.01,
                      max_depth: int = 6) -> TreeNode:
    """Supply chain of `demand` as a tree of cumulative scores.

    Node *j* with product amount *a* runs activity *j* ``x = a / A_jj`` times;
    its children are its other technosphere entries, amount ``−A_ij·x``, each
    scored ``amount · uᵢ`` with **u** = ``lca.all_scores()``. The direct score is
    ``hⱼ·x`` with **h** = uᵀA, so a node's score equals its direct score plus its
    children. Children with ``|score| < cutoff · |root score|`` are summed into
    one ``other`` node; nodes at `max_depth` are not expanded, which also ends
    loops.

    Parameters
    ----------
    system : ProductSystem
    lca : UnitScores
        Gives ``all_scores()``, e.g. :class:`zeropark.lca.solve.LCA`.
    demand : Mapping
        Activity index or code → product amount [activity unit].
    cutoff : float
        Relative threshold, 0–1. [-]
    max_depth : int
        Depth of the deepest expanded node (root = 0).

    Returns
    -------
    TreeNode
    """
    a_mat = system.technosphere_matrix().tocsc()
    u = np.asarray(lca.all_scores(), dtype="float64")
    h = np.asarray(a_mat.T @ u, dtype="float64")
    items = [(j if isinstance(j, int | np.integer) else system.activity_index(str(j)), float(v))
             for j, v in demand.items()]
    total = float(sum(v * u[j] for j, v in items))
    limit = abs(total) * cutoff

    def node(j: int, amount: float, depth: int) -> TreeNode:
        act = system.activities[j]
        score = amount * u[j]
        share = score / total if total else np.nan
        diag = a_mat[j, j]
        if depth >= max_depth or diag == 0:
            return TreeNode(act.code, act.name, amount, act.unit, score,
                            h[j] * amount / diag if diag else 0.0, share)
        x = amount / diag
        col = a_mat.getcol(j)
        kids: list[TreeNode] = []
        other, n_other = 0.0, 0
        for i, value in zip(col.indices, col.data, strict=True):
            if i == j or value == 0:
                continue
            child_amount = -value * x
            child_score = child_amount * u[i]
            if abs(child_score) >= limit and child_score != 0:
                kids.append(node(int(i), child_amount, depth + 1))
            else:
                other += child_score
                n_other += 1
        kids.sort(key=lambda k: -abs(k.score))
        if n_other:
            kids.append(TreeNode("other", f"other ({n_other} inputs below cutoff)", np.nan, "",
                                 other, 0.0, other / total if total else np.nan))
        return TreeNode(act.code, act.name, amount, act.unit, score, h[j] * x, share,
                        tuple(kids))

    if len(items) == 1:
        return node(items[0][0], items[0][1], 0)
    children = tuple(node(j, v, 1) for j, v in items)
    return TreeNode("demand", "demand", np.nan, "", total, 0.0, 1.0 if total else np.nan,
                    children)
