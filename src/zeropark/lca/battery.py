"""Battery carbon-footprint declaration, Regulation (EU) 2023/1542 Article 7 and Annex II.

The declared value is the life-cycle carbon footprint per functional unit, **1 kWh of the
total energy provided by the battery over its service life** [kg CO2e/kWh], split by the
four life-cycle stages the Regulation names (raw material acquisition and pre-processing;
main product production; distribution; end of life and recycling). Mapping from the ISO
14067 stages of a :class:`~zeropark.lca.pcf.PcfResult`:

========================================  =====================================
Regulation stage                          ISO 14067 stage (zeropark)
========================================  =====================================
raw_material_acquisition_and_preprocessing  raw_material_acquisition
main_product_production                   production
distribution                              distribution
end_of_life_and_recycling                 end_of_life
(not declared)                            use
========================================  =====================================

Total energy over the service life: ``E_total = capacity_kwh × full-equivalent cycles``
(given directly as ``cycles``, or as ``cycles_per_year × service_life_years`` as in the
Commission's draft delegated act for EV batteries), or ``energy_throughput_kwh`` when the
manufacturer declares it.

Verification status (what could be checked here): the four stage names and the functional
unit "total energy provided over the service life, kWh" were checked against secondary
summaries of Annex II and of the April 2024 draft delegated act, not the Official Journal
text. That the **use stage is excluded** is as commonly summarised (energy losses in use
are outside the manufacturer's influence); it was *not* verified against Annex II itself.
The delegated act on the calculation method (Art. 7(1)) and the implementing act on the
declaration format were drafts when this was written; their rules (e.g. the electricity
modelling rules, cut-off, recycling formula) are not implemented. The output is a
pre-declaration, not a declaration of conformity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from zeropark.errors import InputError
from zeropark.issues import Issue, IssueCode, Severity
from zeropark.lca.pcf import PcfResult

__all__ = ["BATTERY_STAGES", "BatteryData", "battery_declaration"]

#: Regulation (EU) 2023/1542 stage → zeropark ISO 14067 stage, in the Regulation's order.
BATTERY_STAGES: Final = (
    ("raw_material_acquisition_and_preprocessing", "raw_material_acquisition",
     "原材料获取和预处理", "Raw material acquisition and pre-processing"),
    ("main_product_production", "production", "主要产品生产", "Main product production"),
    ("distribution", "distribution", "分销", "Distribution"),
    ("end_of_life_and_recycling", "end_of_life", "寿命终止和回收", "End of life and recycling"),
)
REGULATION: Final = ("Regulation (EU) 2023/1542 of 12 July 2023 concerning batteries and waste "
                     "batteries, Article 7 and Annex II (OJ L 191, 28.7.2023)")


@dataclass(frozen=True, slots=True)
class BatteryData:
    """Battery model data needed for the functional unit.

    Attributes
    ----------
    capacity_kwh : float
        Usable energy capacity at the beginning of life. [kWh]
    cycles : float or None
        Full-equivalent charge–discharge cycles over the service life. [-]
    cycles_per_year, service_life_years : float or None
        Alternative to `cycles` (their product). [1/a], [a]
    energy_throughput_kwh : float or None
        Total energy provided over the service life, if declared directly. [kWh]
    batteries_per_declared_unit : float
        Batteries in one declared unit of the PCF study (usually 1). [-]
    model, manufacturer, plant, category, chemistry : str
        Identification (Art. 7(1) asks per battery model and manufacturing plant).
    """

    capacity_kwh: float
    cycles: float | None = None
    cycles_per_year: float | None = None
    service_life_years: float | None = None
    energy_throughput_kwh: float | None = None
    batteries_per_declared_unit: float = 1.0
    model: str = ""
    manufacturer: str = ""
    plant: str = ""
    category: str = ""
    chemistry: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> BatteryData:
        """From the ``[battery]`` table of a model file (keys = attribute names)."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise InputError(f"unknown [battery] key(s) {sorted(unknown)}", field="battery")
        if "capacity_kwh" not in data:
            raise InputError("[battery] capacity_kwh is required", field="battery.capacity_kwh")
        return cls(**dict(data))

    def total_energy_kwh(self) -> float:
        """Total energy provided over the service life, per battery [kWh].

        Examples
        --------
        >>> BatteryData(50.0, cycles_per_year=60, service_life_years=8).total_energy_kwh()
        24000.0
        """
        if self.energy_throughput_kwh is not None:
            value = float(self.energy_throughput_kwh)
        elif self.cycles is not None:
            value = self.capacity_kwh * self.cycles
        elif self.cycles_per_year is not None and self.service_life_years is not None:
            value = self.capacity_kwh * self.cycles_per_year * self.service_life_years
        else:
            raise InputError("[battery] needs energy_throughput_kwh, cycles, or "
                             "cycles_per_year and service_life_years", field="battery.cycles")
        if not (value > 0 and self.capacity_kwh > 0):
            raise InputError("battery capacity and total energy must be positive",
                             field="battery.capacity_kwh")
        return value


def battery_declaration(result: PcfResult, battery: BatteryData) -> dict[str, Any]:
    """Carbon footprint per kWh of lifetime energy, by the Regulation's stages.

    Parameters
    ----------
    result : PcfResult
        CFP of one declared unit holding ``battery.batteries_per_declared_unit`` batteries.
    battery : BatteryData

    Returns
    -------
    dict
        ``carbon_footprint_kgco2e_per_kwh``, ``stages`` (key, labels, kg CO2e/kWh, share),
        ``excluded`` (use stage value), ``functional_unit``, ``total_energy_kwh``,
        ``cfp_per_battery_kgco2e``, ``regulation``, ``verification_notes`` and ``issues``.
        Values use the ISO total (biogenic CO2 included).

    Examples
    --------
    With a CFP of 6000 kg CO2e per battery of 50 kWh × 1000 cycles: 0.12 kg CO2e/kWh.
    """
    n = float(battery.batteries_per_declared_unit)
    if not n > 0:
        raise InputError("batteries_per_declared_unit must be positive", field="battery")
    energy = battery.total_energy_kwh()
    rows = {r.stage: r for r in result.stages}
    stages: list[dict[str, Any]] = []
    total = 0.0
    for key, iso, zh, en in BATTERY_STAGES:
        value = rows[iso].cfp_kgco2e / n / energy if iso in rows else 0.0
        total += value
        stages.append({"stage": key, "iso14067_stage": iso, "label_zh": zh, "label_en": en,
                       "kgco2e_per_kwh": value})
    for s in stages:
        s["share"] = s["kgco2e_per_kwh"] / total if total else None
    use = rows["use"].cfp_kgco2e / n / energy if "use" in rows else 0.0
    issues: list[Issue] = []
    if use:
        issues.append(Issue(IssueCode.BATTERY_USE_STAGE_EXCLUDED, Severity.WARNING,
                            f"the use stage has {use:.6g} kg CO2e/kWh in the PCF result; it is "
                            "not part of the declared value", subject="use",
                            data={"kgco2e_per_kwh": use}))
    if "unassigned" in rows and rows["unassigned"].cfp_kgco2e:
        issues.append(Issue(IssueCode.PCF_BOUNDARY_MISMATCH, Severity.WARNING,
                            "part of the CFP is not assigned to a life-cycle stage and is not "
                            "declared", subject="unassigned"))
    return {
        "regulation": REGULATION,
        "functional_unit": "1 kWh of the total energy provided by the battery over its "
                           "service life",
        "battery": {k: getattr(battery, k) for k in battery.__dataclass_fields__},
        "total_energy_kwh": energy,
        "cfp_per_battery_kgco2e": sum(rows[iso].cfp_kgco2e for _, iso, _, _ in BATTERY_STAGES
                                      if iso in rows) / n,
        "carbon_footprint_kgco2e_per_kwh": total,
        "stages": stages,
        "excluded": {"use_kgco2e_per_kwh": use},
        "product": result.study.product, "declared_unit": result.study.declared_unit,
        "gwp_set": result.study.gwp_set,
        "verification_notes": [
            "Stage names and functional unit checked against secondary summaries of Annex II "
            "and of the April 2024 draft delegated act, not the Official Journal text.",
            "Use-stage exclusion as commonly summarised; not verified against Annex II.",
            "Delegated act (calculation method) and implementing act (declaration format) "
            "rules are not implemented; performance class not assigned. Not a declaration "
            "of conformity.",
        ],
        "issues": [{"code": i.code.value, "severity": i.severity.value, "message": i.message}
                   for i in issues],
    }
