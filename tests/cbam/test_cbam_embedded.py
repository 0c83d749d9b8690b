"""Worked SEE examples, computed by hand, per IR (EU) 2023/1773 Annex III.

F.1: AttrEm_Dir = DirEm* + Em_H,imp − Em_H,exp + WG_corr,imp − WG_corr,exp − Em_el,exp;
     AttrEm_Indir = E_el · EF_el.
F.2: simple goods SEE = AttrEm / AL.  G: complex goods SEE = (AttrEm + Σ M_i·SEE_i) / AL.
"""

import numpy as np
import pytest

from zeropark.cbam.embedded import (
    attributed_direct_emissions,
    embedded_precursor_emissions,
    estimate_share,
    heat_emission_factor_from_fuel,
    indirect_emissions,
    see_complex,
    see_simple,
)
from zeropark.errors import InputError


def test_simple_good():
    # Clinker-like simple good: 800 t CO2 direct, no heat flows, 1000 t produced,
    # 500 MWh at 0.5 t/MWh. By hand: SEE_dir = 800/1000 = 0.8; SEE_ind = 250/1000 = 0.25.
    attr_dir = attributed_direct_emissions(800.0)
    attr_ind = indirect_emissions(500.0, 0.5)
    assert attr_dir == pytest.approx(800.0, rel=1e-12)
    assert attr_ind == pytest.approx(250.0, rel=1e-12)
    assert see_simple(attr_dir, 1000.0) == pytest.approx(0.8, rel=1e-12)
    assert see_simple(attr_ind, 1000.0) == pytest.approx(0.25, rel=1e-12)


def test_complex_good_with_two_precursors():
    # Bolts: own AttrEm_dir 30 t, AttrEm_ind 10 t, 100 t produced; precursors
    # 80 t wire (SEE 2.0 dir / 0.3 ind) and 25 t bar (SEE 1.6 / 0.2).
    # By hand: EE_dir = 80·2.0 + 25·1.6 = 200; SEE_dir = (30 + 200)/100 = 2.3.
    #          EE_ind = 80·0.3 + 25·0.2 = 29;  SEE_ind = (10 + 29)/100 = 0.39.
    assert embedded_precursor_emissions([80.0, 25.0], [2.0, 1.6]) == pytest.approx(200.0,
                                                                                 rel=1e-12)
    dir_ = see_complex(30.0, 100.0, precursor_mass_t=[80.0, 25.0],
                       precursor_see_t_per_t=[2.0, 1.6])
    ind = see_complex(10.0, 100.0, precursor_mass_t=[80.0, 25.0],
                      precursor_see_t_per_t=[0.3, 0.2])
    assert dir_ == pytest.approx(2.3, rel=1e-12)
    assert ind == pytest.approx(0.39, rel=1e-12)


def test_heat_export_is_deducted():
    # 100 t CO2 burnt; 0.2 TJ of heat exported, EF_H = 56.1/0.9 = 62.333… t/TJ.
    # By hand: Em_H,exp = 0.2 · 62.333… = 12.4667; AttrEm = 87.5333; AL 50 t → SEE 1.750667.
    ef = heat_emission_factor_from_fuel(56.1, 0.9)
    assert ef == pytest.approx(62.333333333333, rel=1e-12)
    attr = attributed_direct_emissions(100.0, heat_exported_tj=0.2,
                                       ef_heat_exported_t_per_tj=ef)
    assert attr == pytest.approx(100.0 - 0.2 * 56.1 / 0.9, rel=1e-12)
    assert see_simple(attr, 50.0) == pytest.approx((100.0 - 12.466666666667) / 50.0, rel=1e-12)


def test_heat_import_and_electricity_export():
    # 40 t + 1 TJ imported at 70 t/TJ − 20 MWh exported at 0.8 t/MWh = 40 + 70 − 16 = 94.
    attr = attributed_direct_emissions(40.0, heat_imported_tj=1.0, ef_heat_imported_t_per_tj=70,
                                       electricity_exported_mwh=20.0,
                                       ef_electricity_exported_t_per_mwh=0.8)
    assert attr == pytest.approx(94.0, rel=1e-12)


def test_arrays_broadcast():
    out = see_simple(np.array([10.0, 20.0]), np.array([5.0, 4.0]))
    np.testing.assert_allclose(out, [2.0, 5.0], rtol=1e-12)


def test_bad_inputs_are_contract_errors():
    with pytest.raises(InputError, match="activity level"):
        see_simple(1.0, 0.0)
    with pytest.raises(InputError, match="shape"):
        embedded_precursor_emissions([1.0, 2.0], [1.0])
    with pytest.raises(InputError, match="efficiency"):
        heat_emission_factor_from_fuel(56.1, 1.5)
    assert estimate_share(1.0, 0.0) == 0.0
