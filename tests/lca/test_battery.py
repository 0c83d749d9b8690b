"""EU Battery Regulation (2023/1542) Art. 7 declaration from a PCF result, by hand."""

import pytest
from tests.lca.pcf_fixture import STAGES, foreground, study

from zeropark.errors import InputError
from zeropark.lca.battery import BatteryData, battery_declaration
from zeropark.lca.foreground import BomLine
from zeropark.lca.matrices import LifeCycleStage
from zeropark.lca.pcf import compute_pcf

#: 50 kWh usable capacity × 1000 full-equivalent cycles = 50 000 kWh over the service life.
ENERGY = 50.0 * 1000


@pytest.fixture(scope="module")
def result():
    return compute_pcf(study(), foreground(), iterations=0)


def test_per_kwh_by_stage(result):
    d = battery_declaration(result, BatteryData(50.0, cycles=1000))
    assert d["total_energy_kwh"] == ENERGY
    values = {s["iso14067_stage"]: s["kgco2e_per_kwh"] for s in d["stages"]}
    for stage in ("raw_material_acquisition", "production", "distribution", "end_of_life"):
        assert values[stage] == pytest.approx(STAGES[stage] / ENERGY, rel=1e-12)
    total = sum(STAGES[s] for s in values)
    assert d["carbon_footprint_kgco2e_per_kwh"] == pytest.approx(total / ENERGY, rel=1e-12)
    assert [s["stage"] for s in d["stages"]] == [
        "raw_material_acquisition_and_preprocessing", "main_product_production",
        "distribution", "end_of_life_and_recycling"]
    assert sum(s["share"] for s in d["stages"]) == pytest.approx(1.0, rel=1e-12)
    assert d["issues"] == []


def test_two_batteries_per_declared_unit_halve_the_value(result):
    one = battery_declaration(result, BatteryData(50.0, cycles=1000))
    two = battery_declaration(result, BatteryData(50.0, cycles=1000,
                                                  batteries_per_declared_unit=2))
    assert two["carbon_footprint_kgco2e_per_kwh"] == pytest.approx(
        one["carbon_footprint_kgco2e_per_kwh"] / 2, rel=1e-12)


def test_use_stage_is_left_out_and_flagged():
    fg = foreground(bom=(BomLine("steel", 1.2, "kg", "steel"),
                         BomLine("spare box", 0.2, "kg", "box", stage=LifeCycleStage.USE)))
    res = compute_pcf(study(), fg, iterations=0)
    d = battery_declaration(res, BatteryData(50.0, cycles=1000))
    assert d["excluded"]["use_kgco2e_per_kwh"] == pytest.approx(
        (0.1 - 0.16) / ENERGY, rel=1e-12)
    assert d["issues"][0]["code"] == "battery_use_stage_excluded"
    declared = sum(s["kgco2e_per_kwh"] for s in d["stages"])
    assert declared == pytest.approx((res.cfp_kgco2e - (0.1 - 0.16)) / ENERGY, rel=1e-12)


def test_total_energy_variants_and_errors():
    assert BatteryData(10.0, cycles_per_year=250, service_life_years=10).total_energy_kwh() \
        == 25_000.0
    assert BatteryData(10.0, energy_throughput_kwh=12_345.0).total_energy_kwh() == 12_345.0
    with pytest.raises(InputError, match="cycles"):
        BatteryData(10.0).total_energy_kwh()
    with pytest.raises(InputError, match="capacity_kwh"):
        BatteryData.from_mapping({"cycles": 100})
    with pytest.raises(InputError, match="unknown"):
        BatteryData.from_mapping({"capacity_kwh": 1.0, "cycle": 100})
