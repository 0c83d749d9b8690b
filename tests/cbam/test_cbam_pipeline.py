"""The demo installation (src/zeropark/cbam/examples/changzhou_fasteners.toml), by hand.

Ledger factors (NDRC 2015 defaults, verified in tests/accounting): natural gas
389.31 GJ/10⁴ Nm³ · 0.0153 t C/GJ · 0.99 · 44/12; grid CN-East 2023 0.5500 t/MWh.
"""

from datetime import date

import pytest

from zeropark.accounting.activity import ActivityRecord, SourceCategory
from zeropark.cbam.installation import (
    Address,
    Installation,
    Operator,
    PrecursorUse,
    Process,
    SourceShare,
)
from zeropark.cbam.pipeline import compute_installation, installation_inventory
from zeropark.errors import InputError
from zeropark.issues import IssueCode

GAS_T_PER_1E4M3 = 389.31 * 0.0153 * 0.99 * 44 / 12
EF_EAST_2023 = 0.55


def test_wire_drawing_simple_step_with_supplier_precursor(example):
    g = example.good("72171010")
    # AttrEm_dir = 45 · gas factor; SEE_dir = (AttrEm + 10300 · 2.05) / 10000 (Annex III G)
    assert g.attributed_direct_t == pytest.approx(45 * GAS_T_PER_1E4M3, rel=1e-12)
    assert g.see_direct_t_per_t == pytest.approx((45 * GAS_T_PER_1E4M3 + 10300 * 2.05) / 10000,
                                                 rel=1e-12)
    # SEE_ind = (1800 MWh · 0.55 + 10300 · 0.30) / 10000
    assert g.see_indirect_t_per_t == pytest.approx((1800 * EF_EAST_2023 + 10300 * 0.3) / 10000,
                                                   rel=1e-12)


def test_bolts_heat_export_deducted(example):
    proc = next(p for p in example.processes if p.process_id == "bolts")
    diesel = next(x for x in example.inventory.lines if x.record_id == "diesel-forklift-2025")
    # Em_H,exp = 1500 GJ = 1.5 TJ · 62.3 t/TJ = 93.45 t (Annex III F.1)
    assert proc.em_heat_exported_t == pytest.approx(93.45, rel=1e-12)
    expected = 120 * GAS_T_PER_1E4M3 + 0.6 * diesel.co2e_t - 93.45
    assert proc.attributed_direct_t == pytest.approx(expected, rel=1e-12)
    wire = example.good("72171010")
    bolts = example.good("73181588")
    assert bolts.see_direct_t_per_t == pytest.approx(
        (expected + 6300 * wire.see_direct_t_per_t) / 6000, rel=1e-12)


def test_nuts_two_precursors_own_and_default(example):
    wire, nuts = example.good("72171010"), example.good("73181699")
    diesel = next(x for x in example.inventory.lines if x.record_id == "diesel-forklift-2025")
    # bar: IR 2025/2621 default for China 7214 99 (3.169 t/t, no mark-up in 2025)
    ee = 3700 * wire.see_direct_t_per_t + 150 * 3.169
    assert nuts.see_direct_t_per_t == pytest.approx((0.4 * diesel.co2e_t + ee) / 3600,
                                                    rel=1e-12)
    # estimates: only the default precursor → 150·3.169 / 3600 over the total SEE
    assert nuts.estimate_share == pytest.approx(150 * 3.169 / 3600 / nuts.see_total_t_per_t,
                                                rel=1e-12)
    codes = {i.code for i in example.issues}
    assert {IssueCode.CBAM_DEFAULT_USED, IssueCode.CBAM_EXCLUDED_GAS,
            IssueCode.CBAM_DEFAULT_INDIRECT_MISSING} <= codes
    assert [p.precursor_id for p in example.defaults_used] == ["bar"]


def _installation(processes, **kw):
    addr = Address("CN", "Changzhou")
    return Installation("T1", "Test", "e1", addr, Operator("OP", "Op", addr),
                        date(2025, 1, 1), date(2026, 1, 1), tuple(processes), **kw)


def _record(rid, category, quantity, unit, **kw):
    return ActivityRecord(rid, "e1", date(2025, 1, 1), date(2026, 1, 1), category, quantity,
                          unit, **kw)


def test_meter_records_estimated_share_and_unattributed():
    records = [
        _record("gas-1", SourceCategory.COMBUSTION, 10, "1e4*m**3", fuel="natural_gas"),
        _record("meter:m1:2025-01-01:2026-01-01", SourceCategory.PURCHASED_ELECTRICITY,
                100000, "kWh", note="metered; estimated (gap-filled) share 10.00%"),
    ]
    proc = Process("p", "p", ("73181588",), 100.0,
                   sources=(SourceShare("gas-1", 0.5), SourceShare("meter:m1:*")))
    inst = _installation([proc], grid_region="CN-East", grid_data_year=2023)
    result = compute_installation(inst, installation_inventory(inst, records))
    em = result.processes[0]
    assert em.electricity_mwh == pytest.approx(100.0, rel=1e-12)
    assert em.estimated_t == pytest.approx(0.1 * 100 * EF_EAST_2023, rel=1e-12)
    unattributed = [i for i in result.issues if i.code == IssueCode.CBAM_UNATTRIBUTED]
    assert unattributed[0].data["unattributed_co2_t"] == pytest.approx(5 * GAS_T_PER_1E4M3,
                                                                       rel=1e-12)


def test_contract_errors():
    records = [_record("gas-1", SourceCategory.COMBUSTION, 10, "1e4*m**3", fuel="natural_gas")]
    twice = [Process("a", "a", ("73181588",), 1.0, sources=(SourceShare("gas-*", 0.7),)),
             Process("b", "b", ("73181699",), 1.0, sources=(SourceShare("gas-1", 0.7),))]
    inst = _installation(twice)
    with pytest.raises(InputError, match="more than 1"):
        compute_installation(inst, installation_inventory(inst, records))
    cycle = [Process("a", "a", ("73181588",), 1.0, precursors=(PrecursorUse("b", 1.0),)),
             Process("b", "b", ("72171010",), 1.0, precursors=(PrecursorUse("a", 1.0),))]
    inst = _installation(cycle)
    with pytest.raises(InputError, match="cycle"):
        compute_installation(inst, installation_inventory(inst, records))
    mixed = [Process("a", "a", ("73181588", "76042100"), 1.0)]
    inst = _installation(mixed)
    with pytest.raises(InputError, match="several aggregated"):
        compute_installation(inst, installation_inventory(inst, records))
