"""Enterprise GHG inventory: activity records × cited factors → traceable lines.

Every :class:`InventoryLine` keeps the record it came from, each factor used
(id, value, unit, source) and the formula with its numbers, so a verifier can
redo every tonne by hand. The same lines are summed three ways in
:mod:`zeropark.accounting.framings`: the MEE/NDRC guideline report, GHG
Protocol scopes and ISO 14064-1:2018 categories.

Method per source category (one published method each):

- ``combustion``: E = FC · NCV · CC · OF · 44/12 (NDRC industry guidelines,
  e.g. 《工业其他行业企业温室气体排放核算方法与报告指南（试行）》2015, fuel
  combustion formulas); measured NCV/CC/OF on the record override the defaults.
  CO2 only, as in the guidelines.
- ``process`` (carbonate use): E = AD · EF · PUR, EF = 44/M of the carbonate
  (same guideline, 碳酸盐使用过程); CO2 welding shielding gas (``material =
  "shielding_gas"``, 机械设备制造 guideline): E = P · w_CO2.
- ``fugitive``: E = m · GWP (mass of HFC/PFC/SF6 added to make up leaks; GWP100
  of the inventory's chosen IPCC assessment report).
- ``purchased_electricity``: location-based E = AD · EF_grid (MEE/NBS factor of
  the region and year); market-based E = (AD − instruments allocated) · EF_residual
  + instruments · 0 (GHG Protocol Scope 2 Guidance 2015, ch. 6).
- ``purchased_heat``: E = GJ · EF_heat (0.11 t CO2/GJ default).
- ``exported_electricity`` / ``exported_heat``: the same formulas, deducted in
  the MEE framing only (memo items in the GHG Protocol framing).
- ``scope3``: E = activity · EF given on the record (spend- or activity-based).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pint

from zeropark.accounting.activity import ActivityRecord, SourceCategory
from zeropark.accounting.ghg import CO2_PER_C
from zeropark.errors import InputError, UnitError, UnknownFactorError
from zeropark.factors import Factor, FactorChoice
from zeropark.units import ureg

#: GHG Protocol Scope 3 category → ISO 14064-1:2018 indirect category (3 transport,
#: 4 products used by the organization, 5 use of the organization's products,
#: 6 other). A common correspondence, not normative text of either standard.
SCOPE3_TO_ISO = {4: 3, 6: 3, 7: 3, 9: 3, 1: 4, 2: 4, 3: 4, 5: 4, 8: 4,
                 10: 5, 11: 5, 12: 5, 13: 5, 14: 6, 15: 6}

#: ``material`` values of CO2 used as welding shielding gas (机械设备制造 guideline):
#: E = P · w_CO2, P the net gas used [t], w_CO2 its CO2 mass fraction (``purity``; 1 for
#: pure CO2; see :func:`zeropark.factors.process.shielding_gas_co2_mass_fraction`).
SHIELDING_GAS = frozenset({"co2", "shielding_gas", "co2_shielding_gas"})

for _currency in ("CNY", "EUR", "USD"):
    if _currency not in ureg:
        ureg.define(f"{_currency} = [currency_{_currency.lower()}]")


@dataclass(frozen=True, slots=True)
class FactorUse:
    """One factor as used on a line: role, id, value, unit and citation."""

    role: str
    factor_id: str
    value: float
    unit: str
    source: str
    fallback: str = ""

    @classmethod
    def of(cls, role: str, factor: Factor, fallback: str = "") -> FactorUse:
        """Record a library factor."""
        return cls(role, factor.factor_id, factor.value, factor.unit,
                   f"{factor.source}; {factor.table}; {factor.edition}", fallback)


@dataclass(frozen=True, slots=True)
class InventoryLine:
    """One traceable line of an inventory.

    Attributes
    ----------
    line_id : str
        ``<record_id>`` or ``<record_id>#<method>``.
    record_id, enterprise_id : str
    category : SourceCategory
    gas : str
        Gas emitted (``CO2``, ``SF6``, ...).
    gas_t : float
        Mass of that gas. [t]
    co2e_t : float
        CO2-equivalent, ≥ 0 (deductions carry ``sign = -1``). [t CO2e]
    scope : int
        GHG Protocol scope 1, 2 or 3; 0 for memo lines (exports).
    scope2_method : str
        ``location`` or ``market`` for Scope 2 lines, else ``""``.
    scope3_category : int or None
    iso_category : int
        ISO 14064-1:2018 category 1–6 (0 for memo lines).
    mee_sign : int
        +1 counted, −1 deducted, 0 not part of the MEE/NDRC total (Scope 3,
        market-based duplicates).
    activity : float
        Activity data in `activity_unit`.
    factors : tuple of FactorUse
    formula : str
        The formula with its numbers.
    """

    line_id: str
    record_id: str
    enterprise_id: str
    category: SourceCategory
    gas: str
    gas_t: float
    co2e_t: float
    scope: int
    scope2_method: str
    scope3_category: int | None
    iso_category: int
    mee_sign: int
    activity: float
    activity_unit: str
    factors: tuple[FactorUse, ...]
    formula: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        out = {k: getattr(self, k) for k in self.__slots__ if k != "factors"}
        out["category"] = self.category.value
        out["factors"] = [{k: getattr(f, k) for k in f.__slots__} for f in self.factors]
        return out


@dataclass(frozen=True, slots=True)
class Inventory:
    """An enterprise's inventory for a period: its lines and the conventions used."""

    enterprise_id: str
    period: str
    gwp_set: str
    region: str
    data_year: int
    lines: tuple[InventoryLine, ...]
    records: tuple[ActivityRecord, ...]
    notes: tuple[str, ...] = field(default=())


class FactorSource:
    """The factor look-ups the inventory needs, over the shipped (and user) library."""

    def __init__(self, library: Any | None = None) -> None:
        from zeropark.factors.library import FactorLibrary

        self.library = library or FactorLibrary()

    def get(self, factor_id: str) -> Factor:
        """A factor by id (shipped or user)."""
        factor: Factor = self.library.get(factor_id)
        return factor

    def choose(self, kind: str, *, region: str, data_year: int) -> FactorChoice:
        """A factor by kind, region and year, with explicit, recorded fallbacks."""
        choice: FactorChoice = self.library.choose(kind, region=region, data_year=data_year)
        return choice

    def fuel(self, fuel: str) -> tuple[Factor, Factor, Factor]:
        """NDRC default NCV, carbon content and oxidation rate of a fuel."""
        from zeropark.factors.library import fuel_defaults

        return fuel_defaults(fuel)

    def carbonate(self, material: str) -> Factor:
        """CO2 per tonne of a carbonate (44/M)."""
        from zeropark.factors.library import carbonate_factor

        return carbonate_factor(material)

    def gwp(self, gas: str, gwp_set: str) -> Factor:
        """GWP100 of a gas in an IPCC assessment report."""
        from zeropark.factors.gwp import gwp

        return gwp(gas, gwp_set)


def _quantity(value: float, unit: str, record: ActivityRecord, field_name: str
              ) -> pint.Quantity[Any]:
    try:
        quantity: pint.Quantity[Any] = value * ureg(_unit_text(unit))
        return quantity
    except (pint.errors.UndefinedUnitError, AttributeError, TypeError, ValueError,
            AssertionError) as err:
        raise UnitError(f"record {record.record_id!r}: unknown unit {unit!r}",
                        path=record.source or None, field=field_name) from err


def _unit_text(unit: str) -> str:
    return (unit.replace("³", "**3").replace("m3", "m**3").replace("Nm**3", "m**3")
            .replace("tC", "t").replace("tCO2", "t"))


def _to(q: pint.Quantity[Any], target: str, record: ActivityRecord, what: str) -> float:
    try:
        return float(q.to(target).magnitude)
    except pint.errors.DimensionalityError as err:
        raise UnitError(f"record {record.record_id!r}: {what} in {q.units:~} cannot be "
                        f"converted to {target}", path=record.source or None,
                        field="unit") from err


def compute_inventory(records: Sequence[ActivityRecord], *, enterprise_id: str, period: str,
                      region: str, data_year: int, gwp_set: str = "AR5",
                      factors: FactorSource | None = None) -> Inventory:
    """Compute an enterprise's inventory lines from its activity records.

    Parameters
    ----------
    records : sequence of ActivityRecord
        The enterprise's records for the period (others are an error).
    enterprise_id : str
    period : str
        Label, e.g. ``"2025"``.
    region : str
        Default grid region for electricity records without one (``CN``, ``CN-East``, ...).
    data_year : int
        Year of the grid factors to use (fallbacks are recorded on each line).
    gwp_set : str
        IPCC assessment report of the GWP100 values (``SAR``, ``AR4``, ``AR5``, ``AR6``).
    factors : FactorSource, optional
        Factor look-ups (default: the shipped library).

    Returns
    -------
    Inventory

    Raises
    ------
    InputError
        Naming the record: a record of another enterprise, a unit that cannot be
        converted, a missing factor for the region/year, instruments without any
        purchased electricity.
    """
    factors = factors or FactorSource()
    lines: list[InventoryLine] = []
    notes: list[str] = []
    for record in records:
        if record.enterprise_id != enterprise_id:
            raise InputError(f"record {record.record_id!r} belongs to enterprise "
                             f"{record.enterprise_id!r}, not {enterprise_id!r}",
                             path=record.source or None, field="enterprise_id")
    purchased = [r for r in records if r.category == SourceCategory.PURCHASED_ELECTRICITY]
    instruments = [r for r in records if r.category == SourceCategory.ELECTRICITY_INSTRUMENT]
    total_mwh = sum(_to(_quantity(r.quantity, r.unit, r, "unit"), "MWh", r, "electricity")
                    for r in purchased)
    covered_mwh = sum(_to(_quantity(r.quantity, r.unit, r, "unit"), "MWh", r, "instrument")
                      for r in instruments)
    if instruments and total_mwh == 0:
        raise InputError(f"record {instruments[0].record_id!r}: contractual instruments "
                         "but no purchased electricity to apply them to",
                         path=instruments[0].source or None, field="category")
    coverage = min(1.0, covered_mwh / total_mwh) if total_mwh else 0.0
    if covered_mwh > total_mwh > 0:
        notes.append(f"instruments cover {covered_mwh:.3f} MWh but only {total_mwh:.3f} MWh "
                     "was purchased: the excess is not used")
    for record in records:
        try:
            lines.extend(_lines(record, factors, region=record.region or region,
                                data_year=data_year, gwp_set=gwp_set, coverage=coverage))
        except UnknownFactorError as err:
            raise InputError(f"record {record.record_id!r}: {err}",
                             path=record.source or None, field="factor") from err
    return Inventory(enterprise_id, period, gwp_set.upper(), region, data_year, tuple(lines),
                     tuple(records), tuple(notes))


def _lines(record: ActivityRecord, factors: FactorSource, *, region: str, data_year: int,
           gwp_set: str, coverage: float) -> list[InventoryLine]:
    cat = record.category
    if cat == SourceCategory.COMBUSTION:
        return [_combustion(record, factors)]
    if cat == SourceCategory.PROCESS and record.material.lower() in SHIELDING_GAS:
        mass_t = _to(_quantity(record.quantity, record.unit, record, "unit"), "t", record,
                     "shielding gas")
        share = 1.0 if record.purity is None else record.purity
        co2 = mass_t * share
        return [_line(record,
            line_id=record.record_id, gas="CO2", gas_t=co2, co2e_t=co2, scope=1,
            scope2_method="", iso_category=1, mee_sign=1, factors=(),
            formula=f"E = P·w_CO2 = {mass_t:g} t shielding gas × {share:g} (CO2 mass fraction)")]
    if cat == SourceCategory.PROCESS:
        factor = (factors.get(record.factor_id) if record.factor_id
                  else factors.carbonate(record.material))
        mass_t = _to(_quantity(record.quantity, record.unit, record, "unit"), "t", record,
                     "carbonate")
        purity = 1.0 if record.purity is None else record.purity
        co2 = mass_t * factor.value * purity
        return [_line(record,
            line_id=record.record_id, gas="CO2", gas_t=co2, co2e_t=co2, scope=1,
            scope2_method="", iso_category=1, mee_sign=1, factors=(FactorUse.of("EF", factor),),
            formula=f"E = AD·EF·PUR = {mass_t:g} t × {factor.value:g} t CO2/t × {purity:g}")]
    if cat == SourceCategory.FUGITIVE:
        factor = factors.gwp(record.gas, gwp_set)
        mass_t = _to(_quantity(record.quantity, record.unit, record, "unit"), "t", record,
                     "refrigerant")
        co2e = mass_t * factor.value
        return [_line(record,
            line_id=record.record_id, gas=record.gas, gas_t=mass_t, co2e_t=co2e, scope=1,
            scope2_method="", iso_category=1, mee_sign=1,
            factors=(FactorUse.of("GWP100", factor),),
            formula=f"E = m·GWP = {mass_t:g} t {record.gas} × {factor.value:g}")]
    if cat in (SourceCategory.PURCHASED_ELECTRICITY, SourceCategory.EXPORTED_ELECTRICITY):
        return _electricity(record, factors, region=region, data_year=data_year,
                            coverage=coverage)
    if cat in (SourceCategory.PURCHASED_HEAT, SourceCategory.EXPORTED_HEAT):
        factor = (factors.get(record.factor_id) if record.factor_id
                  else factors.get("cn_ndrc_2015_purchased_heat_ef"))
        gj = _to(_quantity(record.quantity, record.unit, record, "unit"), "GJ", record, "heat")
        ef = float(factor.pint_quantity().to("t/GJ").magnitude)
        co2 = gj * ef
        bought = cat == SourceCategory.PURCHASED_HEAT
        formula = f"E = AD·EF = {gj:g} GJ × {ef:g} t CO2/GJ"
        lines = [_line(record, line_id=record.record_id, gas="CO2", gas_t=co2, co2e_t=co2,
                       scope=2 if bought else 0, scope2_method="location" if bought else "",
                       iso_category=2 if bought else 0, mee_sign=1 if bought else -1,
                       factors=(FactorUse.of("EF", factor),), formula=formula)]
        if bought:  # no contractual instruments for heat: market-based equals location-based
            lines.append(_line(record, line_id=f"{record.record_id}#market", gas="CO2",
                               gas_t=co2, co2e_t=co2, scope=2, scope2_method="market",
                               iso_category=0, mee_sign=0,
                               factors=(FactorUse.of("EF", factor),),
                               formula=formula + " (no instrument for heat)"))
        return lines
    if cat == SourceCategory.ELECTRICITY_INSTRUMENT:
        mwh = _to(_quantity(record.quantity, record.unit, record, "unit"), "MWh", record,
                  "instrument")
        return [_line(record,
            line_id=f"{record.record_id}#market", gas="CO2", gas_t=0.0, co2e_t=0.0, scope=2,
            scope2_method="market", iso_category=0, mee_sign=0, factors=(),
            formula=f"E = {mwh:g} MWh × 0 t CO2/MWh ({record.instrument}; criteria: "
                    f"{record.instrument_criteria or 'not recorded'})")]
    # Scope 3
    if record.emission_factor is None and not record.factor_id:
        raise InputError(f"record {record.record_id!r}: a scope3 record needs "
                         "emission_factor or factor_id", path=record.source or None,
                         field="emission_factor")
    if record.factor_id:
        factor = factors.get(record.factor_id)
        ef_q = factor.pint_quantity()
        uses: tuple[FactorUse, ...] = (FactorUse.of("EF", factor),)
    else:
        ef_q = _quantity(float(record.emission_factor or 0.0), record.emission_factor_unit,
                         record, "emission_factor_unit")
        uses = (FactorUse("EF", f"record:{record.record_id}", float(record.emission_factor or 0),
                          record.emission_factor_unit, record.source or "record"),)
    activity = _quantity(record.quantity, record.unit, record, "unit")
    co2e = _to(activity * ef_q, "t", record, "activity × emission factor")
    return [_line(record,
        line_id=record.record_id, gas="CO2e", gas_t=co2e, co2e_t=co2e, scope=3,
        scope2_method="", scope3_category=record.scope3_category,
        iso_category=SCOPE3_TO_ISO[int(record.scope3_category or 1)],
        mee_sign=0, factors=uses,
        formula=f"E = AD·EF = {record.quantity:g} {record.unit} × {ef_q:~g}")]


def _line(record: ActivityRecord, *, line_id: str, gas: str, gas_t: float, co2e_t: float,
          scope: int, scope2_method: str, iso_category: int, mee_sign: int,
          factors: tuple[FactorUse, ...], formula: str,
          scope3_category: int | None = None) -> InventoryLine:
    """An inventory line carrying the record's id, enterprise, category, activity and note."""
    return InventoryLine(
        line_id=line_id, record_id=record.record_id, enterprise_id=record.enterprise_id,
        category=record.category, gas=gas, gas_t=gas_t, co2e_t=co2e_t, scope=scope,
        scope2_method=scope2_method, scope3_category=scope3_category,
        iso_category=iso_category, mee_sign=mee_sign, activity=record.quantity,
        activity_unit=record.unit, factors=factors, formula=formula, note=record.note)


def _combustion(record: ActivityRecord, factors: FactorSource) -> InventoryLine:
    ncv_d, cc_d, of_d = factors.fuel(record.fuel)
    uses: list[FactorUse] = []
    fuel = _quantity(record.quantity, record.unit, record, "unit")
    if fuel.check("[energy]"):
        heat_gj = _to(fuel, "GJ", record, "fuel")
        ncv_text = "metered heat"
    else:
        if record.ncv is not None:
            ncv = _quantity(record.ncv, record.ncv_unit, record, "ncv_unit")
            uses.append(FactorUse("NCV (measured)", f"record:{record.record_id}", record.ncv,
                                  record.ncv_unit, record.source or "record"))
            ncv_text = f"{record.ncv:g} {record.ncv_unit} (measured)"
        else:
            ncv = ncv_d.pint_quantity()
            uses.append(FactorUse.of("NCV", ncv_d))
            ncv_text = f"{ncv_d.value:g} {ncv_d.unit}"
        heat_gj = _to(fuel * ncv, "GJ", record, "fuel × NCV")
    if record.carbon_content is not None:
        cc = record.carbon_content
        uses.append(FactorUse("CC (measured)", f"record:{record.record_id}", cc, "t/GJ",
                              record.source or "record"))
    else:
        cc = float(cc_d.pint_quantity().to("t/GJ").magnitude)
        uses.append(FactorUse.of("CC", cc_d))
    if record.oxidation_rate is not None:
        of = record.oxidation_rate
        uses.append(FactorUse("OF (measured)", f"record:{record.record_id}", of, "",
                              record.source or "record"))
    else:
        of = float(of_d.pint_quantity().to("dimensionless").magnitude)
        uses.append(FactorUse.of("OF", of_d))
    co2 = heat_gj * cc * of * CO2_PER_C
    return _line(record,
        line_id=record.record_id, gas="CO2", gas_t=co2, co2e_t=co2, scope=1, scope2_method="",
        iso_category=1, mee_sign=1, factors=tuple(uses),
        formula=(f"E = FC·NCV·CC·OF·44/12 = {record.quantity:g} {record.unit} × {ncv_text} "
                 f"= {heat_gj:.6g} GJ × {cc:g} t C/GJ × {of:g} × 44/12"),)


def _electricity(record: ActivityRecord, factors: FactorSource, *,
                 region: str, data_year: int, coverage: float) -> list[InventoryLine]:
    mwh = _to(_quantity(record.quantity, record.unit, record, "unit"), "MWh", record,
              "electricity")
    if record.factor_id:
        grid = factors.get(record.factor_id)
        fallback = ""
    else:
        choice = factors.choose("grid_electricity", region=region, data_year=data_year)
        grid, fallback = choice.factor, choice.fallback
    ef = float(grid.pint_quantity().to("t/MWh").magnitude)
    bought = record.category == SourceCategory.PURCHASED_ELECTRICITY
    location = _line(record,
        line_id=f"{record.record_id}#location" if bought else record.record_id,
        gas="CO2", gas_t=mwh * ef, co2e_t=mwh * ef, scope=2 if bought else 0,
        scope2_method="location" if bought else "", iso_category=2 if bought else 0,
        mee_sign=1 if bought else -1, factors=(FactorUse.of("EF_grid", grid, fallback),),
        formula=f"E = AD·EF = {mwh:g} MWh × {ef:g} t CO2/MWh",)
    if not bought:
        return [location]
    residual = factors.choose("grid_electricity_residual_proxy", region=region,
                              data_year=data_year)
    ef_r = float(residual.factor.pint_quantity().to("t/MWh").magnitude)
    uncovered = mwh * (1.0 - coverage)
    market = _line(record,
        line_id=f"{record.record_id}#market", gas="CO2", gas_t=uncovered * ef_r,
        co2e_t=uncovered * ef_r, scope=2, scope2_method="market", iso_category=0, mee_sign=0,
        factors=(FactorUse.of("EF_residual", residual.factor, residual.fallback),),
        formula=(f"E = (AD − instruments)·EF_residual = ({mwh:g} − {mwh * coverage:g}) MWh × "
                 f"{ef_r:g} t CO2/MWh; instruments cover {coverage:.1%} of purchases"),
    )
    return [location, market]
