"""The core indicator on the Cambridge demo park under both electricity conventions.

Needs ZEROPARK_DATA_DIR (CI sets it). Expected values are built by hand from the
park summary's per-medium energy (kWh) and CO2, with the GB/T 2589-2020 coefficients.
"""

from dataclasses import replace

import pytest

from zeropark.accounting.energy import TceMethod
from zeropark.accounting.options import options_for
from zeropark.accounting.report import park_summary
from zeropark.indicators.evaluate import evaluate
from zeropark.indicators.manual import ManualInputs
from zeropark.store import DuckDBStore

#: Stated supply coal rate for 等价值 in this test (illustrative, about China's coal-fired
#: supply coal rate; a report states its own).
SUPPLY_RATE = 0.300


@pytest.fixture(scope="module")
def demo(demo_store):
    path, park, _ = demo_store
    with DuckDBStore(path, read_only=True) as store:
        options = options_for(park)
        equivalent = replace(options, tce_method=TceMethod.EQUIVALENT,
                             supply_coal_rate_kgce_per_kwh=SUPPLY_RATE)
        summary = park_summary(store, park, year=2022, options=options)
        ids = ["cn_zcp_co2_per_energy", "cn_js_terminal_electrification"]
        cal = {r.spec.indicator_id: r for r in evaluate(
            store, park, year=2022, options=options, manual_inputs=ManualInputs(),
            indicator_ids=ids)}
        eq = {r.spec.indicator_id: r for r in evaluate(
            store, park, year=2022, options=equivalent, manual_inputs=ManualInputs(),
            indicator_ids=ids)}
    return summary, cal, eq


def test_core_indicator_flips_with_the_electricity_convention(demo):
    summary, cal, eq = demo
    media = {m["medium"]: m for m in summary["media"]}
    elec_kwh = media["electricity"]["energy_kwh"]
    gas_tce = media["natural_gas"]["tce"]
    co2 = summary["totals"]["co2e_t"]
    calorific = co2 / (elec_kwh * 0.1229 / 1000 + gas_tce)
    equivalent = co2 / (elec_kwh * SUPPLY_RATE / 1000 + gas_tce)
    core_cal, core_eq = cal["cn_zcp_co2_per_energy"], eq["cn_zcp_co2_per_energy"]
    # summary values are rounded to 4 decimals: relative tolerance 1e-6
    assert core_cal.value == pytest.approx(calorific, rel=1e-6)
    assert core_eq.value == pytest.approx(equivalent, rel=1e-6)
    assert core_cal.conventions["tce_method"] == "calorific"
    assert core_eq.conventions["electricity_kgce_per_kwh"] == SUPPLY_RATE
    # All-electric the ratio would be 0.300 / 0.1229 = 2.44; with the estate's gas it is less.
    ratio = core_cal.value / core_eq.value
    assert 2.0 < ratio < SUPPLY_RATE / 0.1229
    # The demo park (about 3 500 tce a year) is below the first size tier: no threshold,
    # an illustrative gap to 0.20 t/tce, and a trend against 2021.
    assert core_cal.status == "no_target"
    assert core_cal.illustrative["target"] == 0.20
    assert core_cal.trend["previous_year"] == 2021 and core_cal.trend["previous_value"]
    assert len(core_cal.monthly) == 12


def test_terminal_electrification_depends_on_the_convention(demo):
    _, cal, eq = demo
    assert (eq["cn_js_terminal_electrification"].value
            > cal["cn_js_terminal_electrification"].value)
