"""Indicator pipeline: every packaged indicator for a park, its enterprises or buildings.

:func:`evaluate` reads the year's interval accounts (and the previous year's for
the trend), the hand-entered inputs and the building registry, and returns one
:class:`IndicatorResult` per indicator and subject: value, target, status
(``met``, ``not_met``, ``no_data``, ``no_target``), monthly values, the trend on
the previous year, the conventions used and "what would it take".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from zeropark.accounting.energy import TceMethod, coal_equivalent
from zeropark.accounting.options import AccountOptions, options_for
from zeropark.errors import InputError
from zeropark.indicators.buildings import TreeFactor, tree_factor_from
from zeropark.indicators.levers import PvYield, green_power_needed_kwh, what_it_takes
from zeropark.indicators.manual import MANUAL_FIELDS, ManualInputs, load_manual_inputs
from zeropark.indicators.specs import FORMULAS, IndicatorSpec, all_specs
from zeropark.indicators.totals import (
    Totals,
    group_meters,
    monthly_totals,
    subset,
    totals_from,
    year_frame,
)
from zeropark.model import Park
from zeropark.store.duckdb import DuckDBStore
from zeropark.units import Medium

#: Quantities the meters give (everything else is entered by hand or from the registry).
METER_QUANTITIES = frozenset({"co2_t", "energy_tce", "electricity_tce", "clean_energy_tce",
                              "non_fossil_tce", "renewable_kwh", "electricity_kwh",
                              "energy_kwh"})


@dataclass(frozen=True, slots=True)
class IndicatorOptions:
    """Indicator conventions from the park's ``[settings]`` (see docs/park-file.md).

    Attributes
    ----------
    scope2 : {"location", "market"}
        ``market``: certified green power (``gec_mwh``) is zero-carbon in CO2.
    natural_gas_is_clean : bool
        Whether natural gas counts as clean energy (national-statistics sense).
    grid_non_fossil_share : float or None
        Non-fossil fraction of ordinary grid power counted as non-fossil, with source. [-]
    pv_yield : PvYield or None
        Stated specific PV yield; None = measure it on the PV meters.
    tree : TreeFactor or None
        Tree absorption (no default).
    """

    scope2: str = "location"
    natural_gas_is_clean: bool = True
    grid_non_fossil_share: float | None = None
    grid_non_fossil_source: str = ""
    pv_yield: PvYield | None = None
    tree: TreeFactor | None = None


def indicator_options_for(park: Park, *, scope2: str | None = None) -> IndicatorOptions:
    """Indicator conventions from ``park.settings``, `scope2` overriding.

    Raises
    ------
    InputError
        For an unknown scope2, a share outside 0–1 or a yield ≤ 0, or either without
        its ``*_source`` key.
    """
    s: Mapping[str, object] = park.settings
    basis = str(scope2 or s.get("scope2", "location"))
    if basis not in ("location", "market"):
        raise InputError(f"scope2 must be 'location' or 'market', got {basis!r}", field="scope2")
    share = s.get("grid_non_fossil_share")
    share_source = str(s.get("grid_non_fossil_source", "")).strip()
    if share is not None and (not isinstance(share, int | float) or not 0 <= share <= 1
                              or not share_source):
        raise InputError("grid_non_fossil_share must be a number 0–1 with "
                         "grid_non_fossil_source", field="grid_non_fossil_share")
    yield_value = s.get("pv_yield_kwh_per_kwp_a")
    yield_source = str(s.get("pv_yield_source", "")).strip()
    if yield_value is not None and (not isinstance(yield_value, int | float)
                                    or yield_value <= 0 or not yield_source):
        raise InputError("pv_yield_kwh_per_kwp_a must be a number > 0 with pv_yield_source",
                         field="pv_yield_kwh_per_kwp_a")
    return IndicatorOptions(
        scope2=basis, natural_gas_is_clean=bool(s.get("natural_gas_is_clean", True)),
        grid_non_fossil_share=None if share is None else float(share),
        grid_non_fossil_source=share_source,
        pv_yield=None if yield_value is None else PvYield(float(yield_value), yield_source),
        tree=tree_factor_from(s))


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator for one subject and year (see :meth:`to_dict` for the JSON shape)."""

    spec: IndicatorSpec
    level: str
    subject: str
    year: int
    value: float | None
    target: float | None
    status: str
    reason: str
    inputs: Mapping[str, float | None]
    conventions: Mapping[str, Any]
    assumptions: tuple[str, ...] = ()
    monthly: tuple[tuple[int, float | None], ...] | None = None
    monthly_basis: str = ""
    trend: Mapping[str, Any] | None = None
    what_it_takes: Mapping[str, Any] | None = None
    input_sources: Mapping[str, str] = field(default_factory=dict)
    illustrative: Mapping[str, Any] | None = None
    missing_inputs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the definition's names, unit, source and verification."""
        spec = self.spec
        return {
            "indicator_id": spec.indicator_id, "set_id": spec.set_id, "name_zh": spec.name_zh,
            "name_en": spec.name_en, "role": spec.role, "level": self.level,
            "subject": self.subject, "year": self.year,
            "value": None if self.value is None else round(self.value, 6),
            "unit": spec.unit, "direction": spec.direction, "target": self.target,
            "target_verification": spec.target.verification if spec.target else None,
            "target_note": spec.target.verification_note if spec.target else "",
            "status": self.status, "reason": self.reason,
            "missing_inputs": list(self.missing_inputs),
            "inputs": {k: (None if v is None else round(v, 6)) for k, v in self.inputs.items()},
            "input_sources": dict(self.input_sources),
            "conventions": dict(self.conventions), "assumptions": list(self.assumptions),
            "monthly": None if self.monthly is None else [
                {"month": m, "value": None if v is None else round(v, 6)}
                for m, v in self.monthly],
            "monthly_basis": self.monthly_basis,
            "trend": None if self.trend is None else dict(self.trend),
            "what_it_takes": None if self.what_it_takes is None else dict(self.what_it_takes),
            "illustrative": None if self.illustrative is None else dict(self.illustrative),
            "source": dict(spec.source),
        }


@dataclass(frozen=True, slots=True)
class _Context:
    park: Park
    options: AccountOptions
    iopts: IndicatorOptions
    manual: ManualInputs


def _tce_per_kwh(options: AccountOptions) -> float:
    return coal_equivalent(Medium.ELECTRICITY, tce_method=options.tce_method,
                           supply_coal_rate_kgce_per_kwh=options.supply_coal_rate_kgce_per_kwh
                           ).kgce_per_kwh / 1000.0


def _quantities(t: Totals | None, ctx: _Context, options: AccountOptions, *, level: str,
                subject: str, year: int, manual: bool = True
                ) -> tuple[dict[str, float | None], dict[str, str], list[str]]:
    """Input quantities of a subject-year, the reason each missing one is missing, notes."""
    q: dict[str, float | None] = {}
    missing: dict[str, str] = {}
    notes: list[str] = []
    if manual:
        for name, (unit, description) in MANUAL_FIELDS.items():
            q[name] = ctx.manual.get(year, level, subject, name)
            if q[name] is None:
                missing[name] = (f"{name} [{unit}] ({description}) for {level} {subject!r} "
                                 f"{year}, entered with `zeropark indicators import-manual`")
    gec_mwh = q.get("gec_mwh")
    if gec_mwh is None:
        gec_kwh = 0.0
        if manual:
            notes.append(f"no gec_mwh entered for {level} {subject!r} {year}: green "
                         "certificates counted as 0")
    else:
        gec_kwh = gec_mwh * 1000.0
    q["gec_kwh"] = gec_kwh
    if t is None or t.n_intervals == 0:
        for name in METER_QUANTITIES:
            q[name] = None
            missing[name] = f"{name}: no interval data for {level} {subject!r} in {year}"
    else:
        tce_e = _tce_per_kwh(options)
        ef = ctx.options.electricity.value / 1000.0
        gec_used = min(gec_kwh, max(t.grid_kwh, 0.0))
        if gec_used < gec_kwh:
            notes.append(f"certificates capped at the grid electricity bought "
                         f"({t.grid_kwh / 1000:,.3f} MWh)")
        green_tce = t.pv_tce + gec_used * tce_e
        co2 = t.co2_t - (gec_used * ef if ctx.iopts.scope2 == "market" else 0.0)
        non_fossil = green_tce
        if ctx.iopts.grid_non_fossil_share is not None:
            non_fossil += (ctx.iopts.grid_non_fossil_share * (t.grid_kwh - gec_used) * tce_e)
        q.update(co2_t=co2, energy_tce=t.energy_tce, electricity_tce=t.electricity_tce,
                 clean_energy_tce=green_tce + (t.gas_tce if ctx.iopts.natural_gas_is_clean
                                               else 0.0),
                 non_fossil_tce=non_fossil, renewable_kwh=t.pv_kwh,
                 electricity_kwh=t.electricity_kwh, energy_kwh=t.energy_kwh)
    _registry_quantities(ctx.park, level, subject, q, missing)
    return q, missing, notes


def _registry_quantities(park: Park, level: str, subject: str, q: dict[str, float | None],
                         missing: dict[str, str]) -> None:
    """Building-registry quantities: green/new floor area (park), baseline use (building)."""
    if level == "park":
        new = [b for b in park.buildings if b.new_building and b.floor_area_m2]
        if new:
            q["new_building_area_m2"] = sum(b.floor_area_m2 or 0.0 for b in new)
            q["green_building_area_m2"] = sum(b.floor_area_m2 or 0.0 for b in new
                                              if (b.green_star or 0) >= 2)
        else:
            for name in ("new_building_area_m2", "green_building_area_m2"):
                q[name] = None
                missing[name] = (f"{name}: buildings marked new_building = true with "
                                 "floor_area_m2 and green_star in the park file")
    if level == "building":
        b = park.building(subject)
        if b.baseline_eui_kwh_per_m2 and b.floor_area_m2:
            q["baseline_kwh"] = b.baseline_eui_kwh_per_m2 * b.floor_area_m2
        else:
            q["baseline_kwh"] = None
            missing["baseline_kwh"] = ("baseline_kwh: baseline_eui_kwh_per_m2 and "
                                       "floor_area_m2 of the building in the park file")


def _compute(spec: IndicatorSpec, q: Mapping[str, float | None],
             missing: Mapping[str, str]) -> tuple[float | None, list[str]]:
    """Value of a spec from quantities, or None and the missing inputs."""
    required, optional = spec.inputs()
    lacking = [n for n in required if q.get(n) is None]
    if lacking:
        return None, lacking
    kwargs = {n: q[n] for n in required}
    kwargs.update({n: q[n] for n in optional if q.get(n) is not None})
    value = float(FORMULAS[spec.formula](**kwargs))
    return (None, []) if math.isnan(value) else (value, [])


def _status(spec: IndicatorSpec, value: float | None, target: float | None) -> str:
    if value is None:
        return "no_data"
    if target is None:
        return "no_target"
    met = value <= target if spec.direction == "<=" else value >= target
    return "met" if met else "not_met"


def evaluate(store: DuckDBStore, park: Park, *, year: int, level: str = "park",
             options: AccountOptions | None = None, manual_inputs: ManualInputs | None = None,
             scope2: str | None = None, indicator_ids: Sequence[str] | None = None
             ) -> list[IndicatorResult]:
    """Evaluate the packaged indicators for one local calendar year.

    Parameters
    ----------
    store : DuckDBStore
    park : Park
    year : int
        Local calendar year (park time zone).
    level : {"park", "enterprise", "building"}
        Subjects: the park, each enterprise, or each building. Only indicators that
        list the level are evaluated; building classes (GB/T 51350) only for buildings
        registered with the matching ``energy_target``.
    options : AccountOptions, optional
        tce method and factors; default :func:`options_for` ``(park)``. Indicators whose
        source pins the method (Jiangsu 当量值) use it whatever `options` say.
    manual_inputs : ManualInputs, optional
        Hand-entered inputs; default those imported into the store.
    scope2 : {"location", "market"}, optional
        Overrides ``settings.scope2``.
    indicator_ids : sequence of str, optional
        Restrict to these indicators.

    Returns
    -------
    list of IndicatorResult
        One per indicator and subject, in definition order.

    Raises
    ------
    InputError
        For an unknown level or bad indicator settings.
    """
    if level not in ("park", "enterprise", "building"):
        raise InputError(f"unknown level {level!r}; use park, enterprise or building",
                         field="level")
    options = options or options_for(park)
    ctx = _Context(park, options, indicator_options_for(park, scope2=scope2),
                   manual_inputs if manual_inputs is not None
                   else load_manual_inputs(store, park))
    specs = [s for s in all_specs() if level in s.levels
             and (indicator_ids is None or s.indicator_id in indicator_ids)]
    frames: dict[tuple[int, str], Any] = {}

    def frame(y: int, opts: AccountOptions) -> Any:
        key = (y, opts.tce_method.value)
        if key not in frames:
            frames[key] = year_frame(store, park, y, opts)
        return frames[key]

    park_meters = group_meters(park, "park")[park.park_id]
    park_totals = totals_from(subset(frame(year, options), park_meters))
    pv_yield = ctx.iopts.pv_yield or _measured_pv_yield(park, park_totals)
    groups = group_meters(park, level)
    results = []
    for spec in specs:
        opts = options
        if spec.pinned_tce_method and spec.pinned_tce_method != options.tce_method.value:
            opts = replace(options, tce_method=TceMethod(spec.pinned_tce_method))
        target = spec.target.for_size(park_totals.energy_tce) if spec.target else None
        for subject, meters in groups.items():
            if spec.applies_to_energy_target and (
                    park.building(subject).energy_target not in spec.applies_to_energy_target):
                continue
            results.append(_one(spec, ctx, opts, subject=subject, level=level, year=year,
                                meters=meters, frame=frame, target=target, pv_yield=pv_yield,
                                park_energy_tce=park_totals.energy_tce))
    return results


def _one(spec: IndicatorSpec, ctx: _Context, opts: AccountOptions, *, subject: str,
         level: str, year: int, meters: Any, frame: Any, target: float | None,
         pv_yield: PvYield | None, park_energy_tce: float) -> IndicatorResult:
    now = totals_from(subset(frame(year, opts), meters))
    q, missing, notes = _quantities(now, ctx, opts, level=level, subject=subject, year=year)
    value, lacking = _compute(spec, q, missing)
    status = _status(spec, value, target)
    reason = ("not computable: needs " + "; ".join(missing.get(n, n) for n in lacking)
              if lacking else "")
    if value is None and not lacking:
        reason = ("not computable: a zero denominator ("
                  + ", ".join(spec.inputs()[0][1:] or spec.inputs()[0]) + " = 0)")
    if status == "no_target" and spec.target is not None and spec.target.tiers:
        reason = (f"no threshold for a park using {park_energy_tce:,.1f} tce a year: the "
                  "source's tiers start at "
                  f"{min(t.min_energy_tce for t in spec.target.tiers):,.0f} tce")
    required, optional = spec.inputs()
    used = {n: q.get(n) for n in (*required, *optional)}
    conventions = _conventions(spec, ctx, opts)
    relevant_notes = tuple(notes) if conventions["gec_counted"] else ()
    monthly, basis = _monthly(spec, ctx, opts, frame(year, opts), meters, level, subject, year)
    return IndicatorResult(
        spec=spec, level=level, subject=subject, year=year, value=value, target=target,
        status=status, reason=reason, inputs=used,
        conventions=conventions, assumptions=relevant_notes,
        monthly=monthly, monthly_basis=basis,
        trend=_trend(spec, ctx, opts, frame, meters, level, subject, year, value),
        what_it_takes=_lever(spec, value, target, status, q, now, ctx, opts, pv_yield),
        illustrative=_illustrative(spec, value, status, q, now, ctx, opts, pv_yield),
        missing_inputs=tuple(lacking),
        input_sources={n: ctx.manual.source(year, level, subject, n) for n in used
                       if n in MANUAL_FIELDS and ctx.manual.source(year, level, subject, n)})


def _conventions(spec: IndicatorSpec, ctx: _Context, opts: AccountOptions) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tce_method": opts.tce_method.value,
        "tce_method_pinned_by_source": spec.pinned_tce_method is not None,
        "electricity_kgce_per_kwh": round(_tce_per_kwh(opts) * 1000, 6),
        "scope2": ctx.iopts.scope2,
        "grid_factor": ctx.options.electricity.factor_id,
        "grid_factor_kg_per_kwh": round(ctx.options.electricity.value, 6),
    }
    if spec.formula in ("clean_energy_share",):
        out["natural_gas_is_clean"] = ctx.iopts.natural_gas_is_clean
    if spec.formula == "non_fossil_share":
        out["grid_non_fossil_share"] = ctx.iopts.grid_non_fossil_share
        out["grid_non_fossil_source"] = ctx.iopts.grid_non_fossil_source
    gec_counts = ("gec_kwh" in spec.inputs()[1]
                  or spec.formula in ("clean_energy_share", "non_fossil_share")
                  or (spec.formula in ("co2_per_energy", "unit_value_added_co2")
                      and ctx.iopts.scope2 == "market"))
    out["gec_counted"] = gec_counts
    out["definition"] = dict(spec.conventions)
    return out


def _monthly(spec: IndicatorSpec, ctx: _Context, opts: AccountOptions, frame: Any,
             meters: Any, level: str, subject: str, year: int
             ) -> tuple[tuple[tuple[int, float | None], ...] | None, str]:
    required, _ = spec.inputs()
    if not set(required) <= METER_QUANTITIES:
        return None, "annual only: needs yearly inputs"
    out = []
    for month, t in sorted(monthly_totals(subset(frame, meters)).items()):
        q, missing, _ = _quantities(t, ctx, opts, level=level, subject=subject, year=year,
                                    manual=False)
        value, _ = _compute(spec, q, missing)
        out.append((month, value))
    return tuple(out), "meters only (annual certificates and inputs are not split by month)"


def _trend(spec: IndicatorSpec, ctx: _Context, opts: AccountOptions, frame: Any, meters: Any,
           level: str, subject: str, year: int, value: float | None) -> dict[str, Any]:
    before = totals_from(subset(frame(year - 1, opts), meters))
    q, missing, _ = _quantities(before if before.n_intervals else None, ctx, opts,
                                level=level, subject=subject, year=year - 1)
    previous, _ = _compute(spec, q, missing)
    out: dict[str, Any] = {"previous_year": year - 1,
                           "previous_value": None if previous is None else round(previous, 6)}
    if previous is not None and value is not None:
        change = value - previous
        out.update(change=round(change, 6),
                   improving=change < 0 if spec.direction == "<=" else change > 0)
    return out


def _lever(spec: IndicatorSpec, value: float | None, target: float | None, status: str,
           q: Mapping[str, float | None], t: Totals, ctx: _Context, opts: AccountOptions,
           pv_yield: PvYield | None) -> dict[str, Any] | None:
    if value is None or target is None or status != "not_met":
        return None
    gec = q.get("gec_kwh") or 0.0
    needed = green_power_needed_kwh(
        spec.formula, target=target, co2_t=q.get("co2_t") or 0.0,
        energy_tce=q.get("energy_tce") or 0.0,
        clean_tce=(q.get("clean_energy_tce") if spec.formula == "clean_energy_share"
                   else q.get("non_fossil_tce")) or 0.0,
        renewable_kwh=t.pv_kwh + gec, electricity_kwh=t.electricity_kwh,
        ef_t_per_kwh=ctx.options.electricity.value / 1000.0, tce_per_kwh=_tce_per_kwh(opts))
    if needed is None:
        return None
    return what_it_takes(needed, grid_available_kwh=max(t.grid_kwh - gec, 0.0),
                         pv_yield=pv_yield, scope2=ctx.iopts.scope2)


def _illustrative(spec: IndicatorSpec, value: float | None, status: str,
                  q: Mapping[str, float | None], t: Totals, ctx: _Context,
                  opts: AccountOptions, pv_yield: PvYield | None) -> dict[str, Any] | None:
    """For a park below the source's smallest size tier: the gap to that tier, labelled."""
    if status != "no_target" or value is None or spec.target is None or not spec.target.tiers:
        return None
    tier = min(spec.target.tiers, key=lambda x: x.min_energy_tce)
    met = value <= tier.value if spec.direction == "<=" else value >= tier.value
    lever = None if met else _lever(spec, value, tier.value, "not_met", q, t, ctx, opts,
                                    pv_yield)
    return {"note": f"illustrative only: compared with the smallest tier's threshold "
                    f"({tier.value:g} {spec.unit}, parks of {tier.min_energy_tce:,.0f}"
                    + (f"–{tier.max_energy_tce:,.0f}" if tier.max_energy_tce else "+")
                    + " tce a year); no threshold applies to this park's size",
            "target": tier.value, "would_meet": met, "what_it_takes": lever}


def _measured_pv_yield(park: Park, t: Totals) -> PvYield | None:
    """Specific yield of the park's PV in the year: Σ kWh ÷ Σ rated kW, if all are rated."""
    pv = [m for m in park.meters if m.medium == Medium.PV]
    if not pv or any(m.rated_power_kw is None for m in pv) or t.pv_kwh <= 0:
        return None
    rated = sum(m.rated_power_kw or 0.0 for m in pv)
    return PvYield(t.pv_kwh / rated, f"measured on the park's PV meters: {t.pv_kwh:,.0f} kWh "
                   f"÷ {rated:,.0f} kW rated (rated power taken as kWp)")
