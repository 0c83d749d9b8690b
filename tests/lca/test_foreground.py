"""Foreground model of a gear on a five-activity background, checked by hand.

Background [kg CO2 per unit]: steel 2/kg, truck 0.1/t·km, landfill 0.02/kg,
US electricity 0.2/MJ, natural-gas supply 0.3/m³. The enterprise used
10 000 kWh and 100 m³ of gas for 1 000 gears; by mass the gear takes 40 of
100 t, so one gear gets 4 kWh and 0.04 m³ = 0.04 · 389.31/10⁴ GJ of gas.
"""

from datetime import date

import pytest

from zeropark.accounting.activity import ActivityRecord, SourceCategory
from zeropark.errors import InputError, UnitError
from zeropark.lca.contribution import by_process, by_stage
from zeropark.lca.foreground import (
    CO2_FLOW_CODE,
    Allocation,
    BomLine,
    EndOfLifeLine,
    EnergyUse,
    ProductModel,
    TransportLine,
    build_system,
    energy_from_store,
)
from zeropark.lca.ghg_flows import METHOD_GWP100, METHOD_GWP100_BIOGENIC
from zeropark.lca.matrices import Activity, Exchanges, Flow, ProductSystem

#: MEE/NBS 2023 national grid factor [kg CO2/kWh] (factor cn_grid_mee_2023_national).
GRID_2023 = 0.5306
#: NDRC 2015 defaults: NCV 389.31 GJ/10⁴ m³, CC 0.0153 t C/GJ, OF 0.99.
GAS_GJ = 0.04 * 389.31 / 1e4
GAS_CO2 = GAS_GJ * 0.0153 * 1000 * 0.99 * 44 / 12


def background() -> ProductSystem:
    acts = (Activity("steel", "steel", unit="kg"), Activity("truck", "truck", unit="t*km"),
            Activity("landfill", "landfill", unit="kg"),
            Activity("elec_us", "electricity, US", unit="MJ"),
            Activity("gas", "natural gas supply", unit="m3"))
    n = len(acts)
    return ProductSystem(
        acts, (Flow("co2", "Carbon dioxide, fossil", "air"),),
        Exchanges.certain(range(n), range(n), [1.0] * n),
        Exchanges.certain([0] * n, range(n), [2.0, 0.1, 0.02, 0.2, 0.3]),
        {m: Exchanges.certain([0], [0], [1.0]) for m in (METHOD_GWP100, METHOD_GWP100_BIOGENIC)})


def model(**kw) -> ProductModel:
    base = {
        "product_name": "Gear G-12", "declared_unit": "1 gear (1 kg)",
        "production_volume": 1000.0,
        "allocation": Allocation.from_basis("mass", "gear", {"gear": 40.0, "shaft": 60.0}, "t"),
        "bom": (BomLine("steel bar", 1.2, "kg", "steel"),),
        "transport": (TransportLine("to customer", 0.0012, 500.0, "truck"),),
        "end_of_life": (EndOfLifeLine("scrap to landfill", 1.0, "kg", "landfill"),),
        "energy": EnergyUse(electricity_kwh=10_000.0, natural_gas_m3=100.0)}
    base.update(kw)
    return ProductModel(**base)


def test_china_grid_default(lca_class):
    fg = build_system(model(), background())
    assert fg.per_unit["electricity_kwh"] == pytest.approx(4.0, rel=1e-12)
    assert fg.per_unit["natural_gas_gj"] == pytest.approx(GAS_GJ, rel=1e-12)
    assert fg.per_unit["direct_co2_kg"] == pytest.approx(GAS_CO2, rel=1e-12)
    system = fg.system
    assert system.flows[-1].code == CO2_FLOW_CODE
    assert any(a.code == "fg:cn_grid:cn_grid_mee_2023_national" for a in system.activities)
    lca = lca_class(system)
    total = 1.2 * 2 + 0.6 * 0.1 + 0.02 + 4 * GRID_2023 + GAS_CO2
    assert lca.score(fg.demand) == pytest.approx(total, rel=1e-12)
    stages = by_stage(system, lca.supply(fg.demand)).set_index("stage")["score"]
    assert stages["raw_material_acquisition"] == pytest.approx(2.4, rel=1e-12)
    assert stages["production"] == pytest.approx(4 * GRID_2023 + GAS_CO2, rel=1e-12)
    assert stages["distribution"] == pytest.approx(0.06, rel=1e-12)
    assert stages["end_of_life"] == pytest.approx(0.02, rel=1e-12)
    assert stages.sum() == pytest.approx(total, rel=1e-12)
    assert any("cn_grid_mee_2023_national" in n for n in fg.notes)
    assert any("mass" in n and "0.4" in n for n in fg.notes)


def test_background_electricity_and_gas_supply(lca_class):
    fg = build_system(model(electricity_activity="elec_us", natural_gas_activity="gas"),
                      background())
    lca = lca_class(fg.system)
    # 4 kWh = 14.4 MJ of US electricity; 0.04 m³ gas supply
    total = 2.4 + 0.06 + 0.02 + 14.4 * 0.2 + GAS_CO2 + 0.04 * 0.3
    assert lca.score(fg.demand) == pytest.approx(total, rel=1e-12)
    assert any("kWh" in n and "MJ" in n for n in fg.notes)
    top = by_process(fg.system, lca.supply(fg.demand))
    assert top.loc[0, "activity_code"] == "elec_us"


def test_no_energy_adds_no_flow(lca_class):
    fg = build_system(model(energy=None), background())
    assert fg.system.n_flows == 1
    assert lca_class(fg.system).score(fg.demand) == pytest.approx(2.48, rel=1e-12)


def test_unit_and_code_errors():
    with pytest.raises(UnitError):
        build_system(model(bom=(BomLine("steel", 1.0, "MJ", "steel"),)), background())
    with pytest.raises(InputError, match="unknown background activity"):
        build_system(model(bom=(BomLine("x", 1.0, "kg", "nope"),)), background())
    with pytest.raises(InputError):
        Allocation.from_basis("mass", "gear", {"shaft": 1.0})


def test_energy_from_records():
    kw = {"enterprise_id": "e1", "period_start": date(2022, 1, 1),
          "period_end": date(2022, 2, 1)}
    records = (
        ActivityRecord("r1", category=SourceCategory.PURCHASED_ELECTRICITY, quantity=500.0,
                       unit="kWh", source="m1", **kw),
        ActivityRecord("r2", category=SourceCategory.COMBUSTION, quantity=20.0, unit="m**3",
                       fuel="natural_gas", source="m2", **kw),
        ActivityRecord("r3", category=SourceCategory.COMBUSTION, quantity=1.5, unit="GJ",
                       fuel="natural_gas", source="m3", **kw),
        ActivityRecord("r4", category=SourceCategory.EXPORTED_ELECTRICITY, quantity=50.0,
                       unit="kWh", source="m4", **kw))
    e = EnergyUse.from_records(records)
    assert (e.electricity_kwh, e.natural_gas_m3, e.natural_gas_gj) == (500.0, 20.0, 1.5)
    assert e.natural_gas_total_gj == pytest.approx(1.5 + 20 * 389.31 / 1e4, rel=1e-12)
    assert e.period_start == date(2022, 1, 1) and "m4" not in e.source


def test_energy_from_demo_store(demo_store):
    from zeropark.accounting.sources import meter_activity
    from zeropark.store import DuckDBStore

    path, park, _ = demo_store
    enterprise = park.enterprises[0].enterprise_id
    with DuckDBStore(path, read_only=True) as store:
        e = energy_from_store(store, park, enterprise, start=date(2022, 3, 1),
                              end=date(2022, 4, 1))
        records = meter_activity(store, park, enterprise, start=date(2022, 3, 1),
                                 end=date(2022, 4, 1))
    expected = sum(r.quantity for r in records
                   if r.category == SourceCategory.PURCHASED_ELECTRICITY)
    assert e.electricity_kwh == pytest.approx(expected, rel=1e-12)
    assert e.electricity_kwh > 0
    assert e.period_start == date(2022, 3, 1)
