"""Uncertainty of a PCF product system: foreground distributions and consistency checks.

:func:`foreground_uncertainty` gives the foreground exchanges that
:func:`zeropark.lca.foreground.build_system` creates without uncertainty a lognormal
distribution with a geometric standard deviation per life-cycle stage (the
practitioner's estimate, stated in the model file and the report). :func:`valid_uncertainty`
switches off distributions that cannot be sampled (background data errors) so that one bad
exchange does not stop the Monte Carlo run; :func:`zeropark.lca.pcf.compute_pcf` reports
how many.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from zeropark.errors import InputError
from zeropark.lca.foreground import ForegroundSystem
from zeropark.lca.matrices import Exchanges, ProductSystem, UncertaintyType

__all__ = ["foreground_uncertainty", "valid_uncertainty"]


def foreground_uncertainty(fg: ForegroundSystem, gsd_by_stage: Mapping[str, float], *,
                           emission_factor_gsd: float | None = None) -> ForegroundSystem:
    """`fg` with lognormal uncertainty on its foreground exchanges.

    Parameters
    ----------
    fg : ForegroundSystem
    gsd_by_stage : Mapping[str, float]
        Life-cycle stage value → geometric standard deviation (≥ 1) of the inputs of that
        stage's foreground activity (BOM, transport, energy, waste lines). [-]
    emission_factor_gsd : float, optional
        GSD of the foreground elementary flows (grid factor CO2, natural-gas CO2). [-]

    Returns
    -------
    ForegroundSystem
        Same demand and notes; lognormal ``loc = ln|value|``, ``scale = ln gsd``; the
        diagonal (reference products) stays certain.

    Raises
    ------
    InputError
        A GSD below 1 or an unknown stage.

    Examples
    --------
    >>> import math
    >>> from zeropark.lca.matrices import Activity, Flow, LifeCycleStage
    >>> from zeropark.lca.foreground import ForegroundSystem
    >>> s = ProductSystem((Activity("steel", "steel"),
    ...                    Activity("fg:x", "x", stage=LifeCycleStage.PRODUCTION)),
    ...                   (Flow("co2", "CO2"),), Exchanges.certain([0, 1, 0], [0, 1, 1],
    ...                   [1.0, 1.0, -2.0]), Exchanges.certain([0], [0], [1.0]))
    >>> out = foreground_uncertainty(ForegroundSystem(s, {"fg:x": 1.0}, "fg:root", {}, ()),
    ...                              {"production": 1.1})
    >>> t = out.system.technosphere
    >>> t.uncertainty_type.tolist(), round(float(t.scale[2]), 4)
    ([0, 0, 2], 0.0953)
    """
    system = fg.system
    stage_of = {}
    for j, a in enumerate(system.activities):
        if a.code.startswith("fg:") and a.code != fg.product_code:  # root: structural links
            stage_of[j] = a.stage.value if a.stage is not None else ""
    for stage, gsd in gsd_by_stage.items():
        if not gsd >= 1.0:
            raise InputError(f"geometric standard deviation of {stage!r} must be >= 1, got "
                             f"{gsd}", field="uncertainty")
    known = {"raw_material_acquisition", "production", "distribution", "use", "end_of_life"}
    unknown = set(gsd_by_stage) - known
    if unknown:
        raise InputError(f"unknown stage(s) {sorted(unknown)} in [uncertainty]",
                         field="uncertainty")

    def apply(ex: Exchanges, gsd_of: np.ndarray) -> Exchanges:
        use = (gsd_of > 1.0) & (ex.values != 0)
        if not use.any():
            return ex
        kind = np.where(use, int(UncertaintyType.LOGNORMAL), ex.uncertainty_type).astype(
            ex.uncertainty_type.dtype)
        with np.errstate(divide="ignore"):
            loc = np.where(use, np.log(np.abs(ex.values)), ex.loc)
            scale = np.where(use, np.log(np.where(use, gsd_of, 1.0)), ex.scale)
        negative = ex.values < 0 if ex.negative is None else ex.negative
        return replace(ex, uncertainty_type=kind, loc=loc, scale=scale, negative=negative)

    t = system.technosphere
    gsd_t = np.array([gsd_by_stage.get(stage_of.get(int(c), "\0"), 1.0)
                      if int(c) in stage_of and r != c else 1.0
                      for r, c in zip(t.rows, t.cols, strict=True)])
    b = system.biosphere
    gsd_b = np.array([emission_factor_gsd if (emission_factor_gsd and int(c) in stage_of)
                      else 1.0 for c in b.cols])
    new = replace(system, technosphere=apply(t, gsd_t), biosphere=apply(b, gsd_b))
    return replace(fg, system=new)


def valid_uncertainty(system: ProductSystem) -> tuple[ProductSystem, int]:
    """`system` with inconsistent distributions set to "no uncertainty", and their count.

    Inconsistent: lognormal or normal with a negative or non-finite ``scale``; uniform or
    triangular whose ``minimum``/``maximum`` are not finite, not ordered, or do not hold the
    exchange's value; triangular whose mode (``loc``) lies outside the range. USLCI has a few
    (e.g. triangular ``minimum`` -2.6, ``loc`` -2.4, ``maximum`` -2.5).
    """
    def fix(ex: Exchanges) -> tuple[Exchanges, int]:
        t, v = ex.uncertainty_type, ex.values
        lo, hi, loc, sc = ex.minimum, ex.maximum, ex.loc, ex.scale
        with np.errstate(invalid="ignore"):
            bad_scale = ((t == 2) | (t == 3)) & ~(np.isfinite(sc) & (sc >= 0))
            ranged = (t == 4) | (t == 5)
            bad_range = ranged & ~(np.isfinite(lo) & np.isfinite(hi) & (lo < hi)
                                   & (lo <= v) & (v <= hi))
            bad_mode = (t == 5) & ~((lo <= loc) & (loc <= hi))
        bad = bad_scale | bad_range | bad_mode
        if not bad.any():
            return ex, 0
        kind = np.where(bad, 0, t).astype(t.dtype)
        return replace(ex, uncertainty_type=kind), int(bad.sum())

    tech, n1 = fix(system.technosphere)
    bio, n2 = fix(system.biosphere)
    cfs, n3 = {}, 0
    for method, ex in system.characterization.items():
        cfs[method], k = fix(ex)
        n3 += k
    if n1 + n2 + n3 == 0:
        return system, 0
    return replace(system, technosphere=tech, biosphere=bio, characterization=cfs), n1 + n2 + n3


