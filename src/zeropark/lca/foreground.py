"""The manufacturer's foreground model of a product and its link to a background database.

A :class:`ProductModel` states, per declared unit, the bill of materials, the
transport and the end of life, each line pointing at a background activity, and
for the reporting period the enterprise's metered energy and production volume
with the :class:`Allocation` that gives the product its share of that energy.
:func:`build_system` appends the foreground to the background product system.

Structure added to the background (codes prefixed ``fg:``)::

    fg:<slug>                       product, 1 declared unit, stage production
    ├── fg:<slug>:<stage>           one sub-activity per stage with lines, tagged
    │   └── background activities   (BOM, transport, end of life, gas supply)
    └── electricity                 a background activity, or fg:cn_grid:<factor_id>

Electricity (documented choice)
-------------------------------
If ``electricity_activity`` names a background activity, the product's kWh link
to it and its upstream is the background's (for USLCI: a US grid, which the
report must flag). Otherwise, and this is the default because the shipped
background has no Chinese grid, a foreground activity
``fg:cn_grid:<factor_id>`` (1 kWh) is added whose only exchange is the CO2 of
the MEE grid factor [kg CO2/kWh] (default ``cn_grid_mee_2023_national``; the MEE
factor is CO2 only, so CH4/N2O and upstream fuel chains of power are not
included). Either way electricity is one linked activity and shows as one row in
contribution analysis.

Natural gas burnt on site: direct CO2 = GJ (NCV) × carbon content × oxidation
rate × 44/12 with the NDRC 2015 defaults (factor ids below), booked on the
foreground flow ``Carbon dioxide, fossil`` (code :data:`CO2_FLOW_CODE`, CF 1 in
every method of the background). Its upstream supply links to
``natural_gas_activity`` [m³] when given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final

import numpy as np
import pint

from zeropark.accounting.activity import ActivityRecord, SourceCategory
from zeropark.accounting.ghg import CO2_PER_C
from zeropark.errors import InputError, UnitError
from zeropark.factors import get_factor
from zeropark.lca.matrices import Activity, Exchanges, Flow, LifeCycleStage, ProductSystem
from zeropark.units import ureg

#: Code of the foreground fossil-CO2-to-air flow (grid electricity, gas combustion).
CO2_FLOW_CODE: Final = "zeropark:co2_fossil_air"
#: Default grid factor: MEE/NBS national average 2023 [kg CO2/kWh].
DEFAULT_GRID_FACTOR: Final = "cn_grid_mee_2023_national"
#: Natural gas NCV, carbon content and oxidation rate (NDRC 2015 guideline defaults).
GAS_NCV_FACTOR: Final = "cn_ndrc_2015_natural_gas_ncv"
GAS_CARBON_CONTENT_FACTOR: Final = "cn_ndrc_2015_natural_gas_carbon_content"
GAS_OXIDATION_FACTOR: Final = "cn_ndrc_2015_natural_gas_oxidation_rate"

Stage = LifeCycleStage


class AllocationMethod(StrEnum):
    """Basis for the product's share of the enterprise's energy (ISO 14067:2018 allocation)."""

    PRODUCTION_VOLUME = "production_volume"
    MASS = "mass"
    ECONOMIC = "economic"


@dataclass(frozen=True, slots=True)
class Allocation:
    """Share of the enterprise's metered energy that belongs to the product.

    Attributes
    ----------
    method : AllocationMethod
    product_share : float
        0–1. [-]
    basis : Mapping[str, float]
        Product → basis value in the period (units, t, or CNY), for the report.
    basis_unit : str
        Unit of the basis values (``"t"``, ``"CNY"``, ``"unit"``).
    """

    method: AllocationMethod
    product_share: float
    basis: Mapping[str, float] = field(default_factory=dict)
    basis_unit: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.product_share <= 1.0:
            raise InputError(f"product_share must be within [0, 1], got {self.product_share}",
                             field="product_share")

    @classmethod
    def from_basis(cls, method: AllocationMethod | str, product: str,
                   basis: Mapping[str, float], basis_unit: str = "") -> Allocation:
        """Share = basis of `product` / Σ basis of all products.

        Examples
        --------
        >>> a = Allocation.from_basis("mass", "gear", {"gear": 30.0, "shaft": 70.0}, "t")
        >>> a.product_share
        0.3
        """
        total = float(sum(basis.values()))
        if product not in basis or total <= 0 or any(v < 0 for v in basis.values()):
            raise InputError(f"allocation basis must hold {product!r} and positive values",
                             field="basis")
        return cls(AllocationMethod(method), float(basis[product]) / total,
                   MappingProxyType(dict(basis)), basis_unit)


@dataclass(frozen=True, slots=True)
class BomLine:
    """A material per declared unit [`unit` = the background activity's unit]."""

    material: str
    amount: float
    unit: str
    activity_code: str
    stage: LifeCycleStage = LifeCycleStage.RAW_MATERIAL_ACQUISITION


@dataclass(frozen=True, slots=True)
class TransportLine:
    """Transport per declared unit: `mass_t` [t] over `distance_km` [km] → t·km."""

    description: str
    mass_t: float
    distance_km: float
    activity_code: str
    stage: LifeCycleStage = LifeCycleStage.DISTRIBUTION

    @property
    def amount(self) -> float:
        """Transport work [t·km]."""
        return self.mass_t * self.distance_km


@dataclass(frozen=True, slots=True)
class EndOfLifeLine:
    """A waste treatment per declared unit [`unit` = the background activity's unit]."""

    waste: str
    amount: float
    unit: str
    activity_code: str
    stage: LifeCycleStage = LifeCycleStage.END_OF_LIFE


@dataclass(frozen=True, slots=True)
class EnergyUse:
    """The enterprise's energy in the period, before allocation.

    Attributes
    ----------
    electricity_kwh : float
        Purchased electricity. [kWh]
    natural_gas_m3 : float
        Natural gas metered by volume. [m³]
    natural_gas_gj : float
        Natural gas metered as energy, net calorific value. [GJ]
    period_start, period_end : datetime.date or None
        Local period [start, end).
    source : str
        Where the numbers come from (store and meters, or "entered").
    """

    electricity_kwh: float = 0.0
    natural_gas_m3: float = 0.0
    natural_gas_gj: float = 0.0
    period_start: date | None = None
    period_end: date | None = None
    source: str = "entered"

    @property
    def natural_gas_total_gj(self) -> float:
        """All natural gas on NCV [GJ], m³ converted with the NDRC default NCV."""
        ncv = float(get_factor(GAS_NCV_FACTOR).pint_quantity().to("GJ/m**3").magnitude)
        return self.natural_gas_gj + self.natural_gas_m3 * ncv

    @classmethod
    def from_records(cls, records: Iterable[ActivityRecord]) -> EnergyUse:
        """Sum meter records (:func:`zeropark.accounting.sources.meter_activity`).

        Purchased electricity [kWh] and natural-gas combustion [m³ or GJ] are
        used; exported electricity and heat records are ignored (PCF counts the
        energy the product uses).
        """
        kwh = m3 = gj = 0.0
        start: date | None = None
        end: date | None = None
        sources = []
        for r in records:
            if r.category == SourceCategory.PURCHASED_ELECTRICITY and r.unit == "kWh":
                kwh += r.quantity
            elif r.category == SourceCategory.COMBUSTION and r.fuel == "natural_gas":
                if r.unit == "m**3":
                    m3 += r.quantity
                elif r.unit == "GJ":
                    gj += r.quantity
                else:
                    raise UnitError(f"natural gas record {r.record_id} in {r.unit!r}",
                                    field="unit")
            else:
                continue
            start = r.period_start if start is None else min(start, r.period_start)
            end = r.period_end if end is None else max(end, r.period_end)
            sources.append(r.source)
        return cls(kwh, m3, gj, start, end, "; ".join(sources) or "no metered records")


def energy_from_store(store: object, park: object, enterprise_id: str, *, start: date,
                      end: date) -> EnergyUse:
    """The enterprise's metered energy over local [start, end) from the park store.

    Parameters
    ----------
    store : zeropark.store.duckdb.DuckDBStore
    park : zeropark.model.Park
    enterprise_id : str
    start, end : datetime.date
    """
    from zeropark.accounting.sources import meter_activity

    return EnergyUse.from_records(meter_activity(store, park, enterprise_id,  # type: ignore[arg-type]
                                                 start=start, end=end))


@dataclass(frozen=True, slots=True)
class ProductModel:
    """What a manufacturer models for one product (amounts per declared unit).

    Attributes
    ----------
    product_name : str
    declared_unit : str
        E.g. ``"1 t of ductile iron casting"`` (ISO 14067 declared unit).
    production_volume : float
        Declared units produced in the energy period. [declared units]
    allocation : Allocation
    bom, transport, end_of_life : tuples of lines
        Per declared unit, linked to background activities.
    energy : EnergyUse or None
        The enterprise's metered energy in the period (before allocation).
    functional_unit : str
        Optional ISO 14067 functional unit text.
    electricity_activity : str or None
        Background electricity activity; None = China grid factor (module doc).
    grid_factor_id : str
        Factor-library id of the grid factor [kg CO2/kWh].
    natural_gas_activity : str or None
        Background natural-gas supply activity, amount in m³.
    """

    product_name: str
    declared_unit: str
    production_volume: float
    allocation: Allocation
    bom: tuple[BomLine, ...] = ()
    transport: tuple[TransportLine, ...] = ()
    end_of_life: tuple[EndOfLifeLine, ...] = ()
    energy: EnergyUse | None = None
    functional_unit: str = ""
    electricity_activity: str | None = None
    grid_factor_id: str = DEFAULT_GRID_FACTOR
    natural_gas_activity: str | None = None

    def __post_init__(self) -> None:
        if not self.production_volume > 0:
            raise InputError("production_volume must be positive", field="production_volume")

    def per_unit_energy(self) -> dict[str, float]:
        """Allocated energy per declared unit.

        Returns
        -------
        dict
            ``electricity_kwh`` [kWh], ``natural_gas_gj`` [GJ, NCV] and
            ``natural_gas_m3_equivalent`` [m³ at the default NCV].
        """
        e = self.energy or EnergyUse()
        k = self.allocation.product_share / self.production_volume
        ncv = float(get_factor(GAS_NCV_FACTOR).pint_quantity().to("GJ/m**3").magnitude)
        gj = e.natural_gas_total_gj * k
        return {"electricity_kwh": e.electricity_kwh * k, "natural_gas_gj": gj,
                "natural_gas_m3_equivalent": gj / ncv}


@dataclass(frozen=True, slots=True)
class ForegroundSystem:
    """The combined system, its demand (one declared unit) and what was assumed."""

    system: ProductSystem
    demand: Mapping[str, float]
    product_code: str
    per_unit: Mapping[str, float]
    notes: tuple[str, ...]


def gas_co2_kg_per_gj() -> float:
    """Direct CO2 of natural gas per GJ (NCV) [kg CO2/GJ], NDRC 2015 defaults.

    Examples
    --------
    >>> round(gas_co2_kg_per_gj(), 3)  # 0.0153 t C/GJ · 0.99 · 44/12 · 1000
    55.539
    """
    cc = float(get_factor(GAS_CARBON_CONTENT_FACTOR).pint_quantity().to("kg/GJ").magnitude)
    return cc * get_factor(GAS_OXIDATION_FACTOR).value * CO2_PER_C


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "product"


def _unit_key(unit: str) -> str:
    text = unit.lower().replace("³", "3").replace("²", "2").replace("**", "")
    return re.sub(r"[\s*·.]", "", text)


#: Spellings of database units that pint does not parse → pint expressions.
_PINT_UNITS: Final = MappingProxyType({"m3": "m**3", "m2": "m**2", "tkm": "t*km",
                                       "kgkm": "kg*km", "l": "L", "kwh": "kWh", "mwh": "MWh",
                                       "mj": "MJ", "gj": "GJ"})


def unit_factor(unit_from: str, unit_to: str) -> float:
    """Factor turning an amount in `unit_from` into `unit_to` (pint, no guesses).

    Raises
    ------
    UnitError
        If either unit is unknown or the dimensions differ.

    Examples
    --------
    >>> round(unit_factor("kWh", "MJ"), 12)
    3.6
    >>> unit_factor("t*km", "tkm")
    1.0
    """
    if _unit_key(unit_from) == _unit_key(unit_to):
        return 1.0
    try:
        q = ureg.Quantity(1.0, _PINT_UNITS.get(_unit_key(unit_from), unit_from))
        return float(q.to(_PINT_UNITS.get(_unit_key(unit_to), unit_to)).magnitude)
    except (pint.errors.UndefinedUnitError, pint.errors.DimensionalityError,
            AttributeError, ValueError) as err:
        raise UnitError(f"cannot convert {unit_from!r} to {unit_to!r} ({err})",
                        field="unit") from err


def build_system(model: ProductModel, background: ProductSystem) -> ForegroundSystem:
    """Append the foreground of `model` to `background`; demand = one declared unit.

    Parameters
    ----------
    model : ProductModel
    background : ProductSystem

    Returns
    -------
    ForegroundSystem
        ``demand = {product_code: 1.0}``; ``per_unit`` gives the allocated
        ``electricity_kwh``, ``natural_gas_gj`` and ``direct_co2_kg``.

    Raises
    ------
    InputError
        If a line names an unknown background activity.
    UnitError
        If a line's unit cannot be converted (pint) to its background activity's
        unit; conversions made (e.g. kWh → MJ for USLCI electricity) are in ``notes``.
    """
    n0, f0 = background.n_activities, background.n_flows
    index = {a.code: i for i, a in enumerate(background.activities)}
    slug = _slug(model.product_name)
    product_code = f"fg:{slug}"
    activities = [Activity(product_code, model.product_name, model.product_name,
                           model.declared_unit, stage=LifeCycleStage.PRODUCTION)]
    tech: list[tuple[int, int, float]] = [(n0, n0, 1.0)]
    bio: list[tuple[int, int, float]] = []
    notes: list[str] = []
    stage_col: dict[LifeCycleStage, int] = {}

    def column(stage: LifeCycleStage) -> int:
        if stage not in stage_col:
            j = n0 + len(activities)
            activities.append(Activity(f"{product_code}:{stage.value}",
                                       f"{model.product_name}, {stage.value.replace('_', ' ')}",
                                       model.product_name, model.declared_unit, stage=stage))
            tech.extend([(j, j, 1.0), (j, n0, -1.0)])
            stage_col[stage] = j
        return stage_col[stage]

    def link(code: str, amount: float, unit: str, stage: LifeCycleStage, what: str) -> None:
        if code not in index:
            raise InputError(f"{what}: unknown background activity {code!r}",
                             field="activity_code")
        bg_unit = background.activities[index[code]].unit
        k = unit_factor(unit, bg_unit) if unit and bg_unit else 1.0
        if k != 1.0:
            notes.append(f"{what}: {amount:g} {unit} = {amount * k:g} {bg_unit} "
                         f"(unit of {code!r})")
        tech.append((index[code], column(stage), -float(amount) * k))

    for line in model.bom:
        link(line.activity_code, line.amount, line.unit, line.stage, f"BOM {line.material}")
    for t in model.transport:
        link(t.activity_code, t.amount, "t*km", t.stage, f"transport {t.description}")
    for w in model.end_of_life:
        link(w.activity_code, w.amount, w.unit, w.stage, f"end of life {w.waste}")

    energy = model.per_unit_energy()
    direct_co2 = 0.0
    has_co2_flow = model.energy is not None and (
        energy["natural_gas_gj"] > 0
        or (energy["electricity_kwh"] > 0 and model.electricity_activity is None))
    co2_row = f0
    if energy["electricity_kwh"] > 0:
        prod = column(LifeCycleStage.PRODUCTION)
        if model.electricity_activity is not None:
            link(model.electricity_activity, energy["electricity_kwh"], "kWh",
                 LifeCycleStage.PRODUCTION, "electricity")
            notes.append(f"electricity linked to background activity "
                         f"{model.electricity_activity!r}")
        else:
            factor = get_factor(model.grid_factor_id)
            ef = float(factor.pint_quantity().to("kg/kWh").magnitude)
            j = n0 + len(activities)
            activities.append(Activity(f"fg:cn_grid:{factor.factor_id}",
                                       f"electricity, grid, {factor.region} ({factor.factor_id})",
                                       "electricity", "kWh", factor.region))
            tech.extend([(j, j, 1.0), (j, prod, -energy["electricity_kwh"])])
            bio.append((co2_row, j, ef))
            notes.append(f"electricity characterised with grid factor {factor.factor_id} "
                         f"= {ef} kg CO2/kWh ({factor.source}; {factor.table})")
    if energy["natural_gas_gj"] > 0:
        prod = column(LifeCycleStage.PRODUCTION)
        direct_co2 = energy["natural_gas_gj"] * gas_co2_kg_per_gj()
        bio.append((co2_row, prod, direct_co2))
        notes.append(f"natural gas: {energy['natural_gas_gj']:.6g} GJ/unit × "
                     f"{gas_co2_kg_per_gj():.6g} kg CO2/GJ ({GAS_CARBON_CONTENT_FACTOR}, "
                     f"{GAS_OXIDATION_FACTOR})")
        if model.natural_gas_activity is not None:
            link(model.natural_gas_activity, energy["natural_gas_m3_equivalent"], "m3",
                 LifeCycleStage.PRODUCTION, "natural gas supply")
    a = model.allocation
    notes.append(f"energy allocated by {a.method.value}: product share {a.product_share:.6g}"
                 f" of the enterprise's energy over {model.production_volume:g} declared units")

    flows = background.flows
    cf = dict(background.characterization)
    if has_co2_flow:
        flows = (*flows, Flow(CO2_FLOW_CODE, "Carbon dioxide, fossil", "air", "kg", False))
        cf = {m: _append(ex, [co2_row], [0], [1.0]) for m, ex in cf.items()}
    r, c, v = (np.array(x, dtype="float64") for x in zip(*tech, strict=True))
    system = ProductSystem(
        activities=(*background.activities, *activities), flows=flows,
        technosphere=_append(background.technosphere, r, c, v),
        biosphere=_append(background.biosphere, *([list(x) for x in zip(*bio, strict=True)]
                                                  if bio else ([], [], []))),
        characterization=cf)
    per_unit = {"electricity_kwh": energy["electricity_kwh"],
                "natural_gas_gj": energy["natural_gas_gj"], "direct_co2_kg": direct_co2}
    return ForegroundSystem(system, {product_code: 1.0}, product_code, per_unit, tuple(notes))


def _append(ex: Exchanges, rows: Iterable[float], cols: Iterable[float],
            values: Iterable[float]) -> Exchanges:
    """Exchanges `ex` followed by certain triplets."""
    new = Exchanges.certain(np.asarray(list(rows), dtype="int64"),
                            np.asarray(list(cols), dtype="int64"), list(values))
    return Exchanges(*(np.concatenate([getattr(ex, f), getattr(new, f)]).astype(
        getattr(ex, f).dtype if len(ex) else getattr(new, f).dtype)
        for f in ("rows", "cols", "values", "uncertainty_type", "loc", "scale",
                  "minimum", "maximum")))
