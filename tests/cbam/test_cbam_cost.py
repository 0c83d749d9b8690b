import pytest

from zeropark.cbam.cost import (
    CBAM_FACTOR,
    cbam_factor,
    certificates_due,
    estimate_certificate_cost,
    free_allocation_adjustment,
)
from zeropark.errors import InputError


def test_cbam_factor_schedule():
    # Dir. 2003/87/EC Art. 10a(1a) as inserted by Dir. (EU) 2023/959 (Reg. 2023/956 Art. 31)
    assert [cbam_factor(y) for y in range(2026, 2035)] == [
        0.975, 0.95, 0.90, 0.775, 0.515, 0.39, 0.265, 0.14, 0.0]
    with pytest.raises(InputError, match="transitional"):
        cbam_factor(2025)


def test_schedule_agrees_with_opencbam():
    from opencbam.engine.constants import cbam_factor as oc

    for year in range(2026, 2036):
        assert float(oc(year)) == CBAM_FACTOR.get(year, 0.0)


def test_certificates_by_hand():
    # 100 t, SEE 2.541 direct (Annex II good), benchmark 1.364 (column B), 2026:
    # EE = 254.1; FAA = 100 · 0.975 · 1 · 1.364 = 132.99; N = 121.11; at 80 EUR/t = 9688.80
    e = estimate_certificate_cost("7207 11 11", mass_t=100, see_direct_t_per_t=2.541,
                                  year=2026, price_eur_per_t=80)
    assert e.benchmark_t_per_t == pytest.approx(1.364, rel=1e-12)
    assert e.free_allocation_t == pytest.approx(132.99, rel=1e-12)
    assert e.certificates == pytest.approx(121.11, rel=1e-12)
    assert e.cost_eur == pytest.approx(9688.8, rel=1e-12)
    assert any("CSCF" in n for n in e.notes)


def test_indirect_counts_only_outside_annex_ii():
    # cement clinker (not Annex II): 1 t, SEE 0.8 dir + 0.05 ind, benchmark given 0.7, 2030:
    # N = 0.85 − 0.515·0.7 = 0.4895
    e = estimate_certificate_cost("2523 10 00", mass_t=1, see_direct_t_per_t=0.8,
                                  see_indirect_t_per_t=0.05, year=2030, price_eur_per_t=100,
                                  benchmark_t_per_t=0.7)
    assert e.certificates == pytest.approx(0.85 - 0.515 * 0.7, rel=1e-12)
    assert certificates_due(1.0, 2.0) == 0.0
    assert free_allocation_adjustment(1.0, 10.0, cbam_factor_y=0.5, cscf=0.9) == pytest.approx(
        4.5, rel=1e-12)
