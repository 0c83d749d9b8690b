"""Indicator definitions as data: ``indicators/data/*.yaml`` → frozen specs, and the registry.

One YAML file per indicator set (national 零碳园区 "1+5", the Jiangsu guide, green
buildings). Each indicator names a formula id; :data:`FORMULAS` maps the id to one
pure function of :mod:`zeropark.indicators.kpi`, whose parameter names are the
quantities it needs (``co2_t``, ``energy_tce``, ``value_added_10k_cny`` ...). A
target carries its source and a verification status (``verified``, ``reproduced``,
``unverified``), which every result repeats.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from zeropark.errors import InputError
from zeropark.indicators import kpi

#: Formula id → pure KPI function (see :mod:`zeropark.indicators.kpi`).
FORMULAS: dict[str, Callable[..., Any]] = {
    "co2_per_energy": kpi.co2_per_energy,
    "clean_energy_share": kpi.clean_energy_share,
    "renewable_electricity_share": kpi.renewable_electricity_share,
    "non_fossil_share": kpi.non_fossil_share,
    "terminal_electrification_rate": kpi.terminal_electrification_rate,
    "unit_value_added_energy": kpi.unit_value_added_energy,
    "unit_value_added_co2": kpi.unit_value_added_co2,
    "green_building_share": kpi.green_building_share,
    "solid_waste_utilisation_rate": kpi.solid_waste_utilisation_rate,
    "waste_heat_utilisation_rate": kpi.waste_heat_utilisation_rate,
    "water_reuse_rate": kpi.water_reuse_rate,
    "product_energy_vs_limit": kpi.product_energy_vs_limit,
    "energy_saving_rate": kpi.energy_saving_rate,
}

LEVELS = ("park", "enterprise", "building")
VERIFICATION = ("verified", "reproduced", "unverified")


def formula_inputs(formula: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Required and optional (keyword-only with default) quantity names of a formula.

    Examples
    --------
    >>> formula_inputs("renewable_electricity_share")
    (('renewable_kwh', 'electricity_kwh'), ('gec_kwh',))
    """
    params = inspect.signature(FORMULAS[formula]).parameters.values()
    required = tuple(p.name for p in params if p.default is inspect.Parameter.empty)
    optional = tuple(p.name for p in params if p.default is not inspect.Parameter.empty)
    return required, optional


@dataclass(frozen=True, slots=True)
class Tier:
    """A threshold that applies to parks within an annual energy-use range [tce]."""

    value: float
    min_energy_tce: float = 0.0
    max_energy_tce: float | None = None

    def applies(self, energy_tce: float) -> bool:
        """True when `energy_tce` [tce/a] lies in [min, max)."""
        upper = self.max_energy_tce if self.max_energy_tce is not None else float("inf")
        return self.min_energy_tce <= energy_tce < upper


@dataclass(frozen=True, slots=True)
class Target:
    """Target of an indicator: one value or size tiers, with its verification status."""

    value: float | None
    tiers: tuple[Tier, ...]
    verification: str
    verification_note: str

    def for_size(self, park_energy_tce: float | None) -> float | None:
        """Threshold for a park of the given annual energy use (None = no tier applies)."""
        if not self.tiers:
            return self.value
        if park_energy_tce is None:
            return None
        for tier in self.tiers:
            if tier.applies(park_energy_tce):
                return tier.value
        return None


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """One indicator definition (a YAML entry).

    Attributes
    ----------
    indicator_id, name_zh, name_en : str
    set_id : str
        The set (file) it belongs to.
    role : str
        ``core``, ``guiding``, ``reference`` or ``building_class``.
    formula : str
        Key of :data:`FORMULAS`.
    unit : str
        Unit of the value (``-`` = fraction 0–1).
    direction : {"<=", ">="}
        Met when value ≤ target or value ≥ target.
    levels : tuple of str
        Where it is evaluated: ``park``, ``enterprise``, ``building``.
    target : Target or None
    source : Mapping
        ``document`` and ``clause``.
    conventions : Mapping
        Conventions it depends on; ``tce_method: calorific`` pins the method.
    notes : str
    applies_to_energy_target : tuple of str
        For building classes: the registry ``energy_target`` values it applies to.
    exclude_inputs : tuple of str
        Optional formula inputs not passed (e.g. certificates for on-site shares).
    """

    indicator_id: str
    set_id: str
    name_zh: str
    name_en: str
    role: str
    formula: str
    unit: str
    direction: str
    levels: tuple[str, ...]
    target: Target | None
    source: Mapping[str, str]
    conventions: Mapping[str, str]
    notes: str = ""
    applies_to_energy_target: tuple[str, ...] = ()
    exclude_inputs: tuple[str, ...] = ()

    @property
    def pinned_tce_method(self) -> str | None:
        """``calorific``/``equivalent`` when the source fixes the method, else None."""
        method = str(self.conventions.get("tce_method", ""))
        return method if method in ("calorific", "equivalent") else None

    def inputs(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Required and optional input quantities (optional minus ``exclude_inputs``)."""
        required, optional = formula_inputs(self.formula)
        return required, tuple(o for o in optional if o not in self.exclude_inputs)


@dataclass(frozen=True, slots=True)
class IndicatorSet:
    """A set of indicators from one source document (one YAML file)."""

    set_id: str
    name_zh: str
    name_en: str
    source: str
    edition: str
    notes: str
    indicators: tuple[IndicatorSpec, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)


def _need(entry: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in entry or entry[key] in (None, ""):
        raise InputError(f"missing {key!r}", path=where, field=key)
    return entry[key]


def _target(raw: Mapping[str, Any] | None, where: str) -> Target | None:
    if raw is None:
        return None
    verification = str(_need(raw, "verification", where))
    if verification not in VERIFICATION:
        raise InputError(f"verification must be one of {', '.join(VERIFICATION)}",
                         path=where, field="verification")
    tiers = tuple(Tier(float(t["value"]), float(t.get("min_energy_tce", 0.0)),
                       None if t.get("max_energy_tce") is None else float(t["max_energy_tce"]))
                  for t in raw.get("tiers", []))
    value = raw.get("value")
    if value is None and not tiers:
        raise InputError("target needs 'value' or 'tiers'", path=where, field="target")
    return Target(None if value is None else float(value), tiers, verification,
                  str(raw.get("verification_note", "")).strip())


def parse_indicator_set(text: str, *, source: str = "<yaml>") -> IndicatorSet:
    """Parse and validate one indicator-set YAML document.

    Raises
    ------
    InputError
        Missing keys, an unknown formula, level or direction, a target without
        verification status; the message names the file and the indicator.
    """
    doc = yaml.safe_load(text)
    head = _need(doc, "set", source)
    specs = []
    for i, entry in enumerate(doc.get("indicators", [])):
        where = f"{source}, indicators[{i}] ({entry.get('id', '?')})"
        formula = str(_need(entry, "formula", where))
        if formula not in FORMULAS:
            raise InputError(f"unknown formula {formula!r}", path=where, field="formula")
        direction = str(_need(entry, "direction", where))
        if direction not in ("<=", ">="):
            raise InputError("direction must be '<=' or '>='", path=where, field="direction")
        levels = tuple(entry.get("levels", ["park"]))
        if not set(levels) <= set(LEVELS):
            raise InputError(f"levels must be among {', '.join(LEVELS)}", path=where,
                             field="levels")
        specs.append(IndicatorSpec(
            indicator_id=str(_need(entry, "id", where)), set_id=str(head["id"]),
            name_zh=str(_need(entry, "name_zh", where)),
            name_en=str(_need(entry, "name_en", where)), role=str(entry.get("role", "")),
            formula=formula, unit=str(_need(entry, "unit", where)), direction=direction,
            levels=levels, target=_target(entry.get("target"), where),
            source=dict(_need(entry, "source", where)),
            conventions={str(k): str(v) for k, v in (entry.get("conventions") or {}).items()},
            notes=str(entry.get("notes", "")).strip(),
            applies_to_energy_target=tuple(entry.get("applies_to_energy_target", ())),
            exclude_inputs=tuple(entry.get("exclude_inputs", ())),
        ))
    extra = {k: v for k, v in head.items()
             if k not in ("id", "name_zh", "name_en", "source", "edition", "notes")}
    return IndicatorSet(str(head["id"]), str(head["name_zh"]), str(head["name_en"]),
                        str(head["source"]), str(head.get("edition", "")),
                        str(head.get("notes", "")).strip(), tuple(specs), extra)


@cache
def indicator_sets() -> tuple[IndicatorSet, ...]:
    """All packaged indicator sets (``indicators/data/*.yaml``), in file-name order.

    Examples
    --------
    >>> [s.set_id for s in indicator_sets()][:1]
    ['cn_ndrc_2025_zero_carbon_park']
    """
    folder = resources.files("zeropark.indicators") / "data"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")),
                   key=lambda f: f.name)
    return tuple(parse_indicator_set(f.read_text(encoding="utf-8"), source=f.name)
                 for f in files)


def all_specs() -> tuple[IndicatorSpec, ...]:
    """Every packaged indicator, set by set."""
    return tuple(spec for s in indicator_sets() for spec in s.indicators)


def get_spec(indicator_id: str) -> IndicatorSpec:
    """The packaged indicator `indicator_id`; ``InputError`` if unknown."""
    for spec in all_specs():
        if spec.indicator_id == indicator_id:
            return spec
    raise InputError(f"unknown indicator {indicator_id!r}", field="indicator_id")
