"""Matrix LCA engine: hand-checkable systems, singular systems, reuse of the factors.

Expected values are worked out by hand in the comments (2x2 and 3x3 inverses), never by the
engine. Exact arithmetic: rel=1e-12.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from zeropark.errors import InputError, SingularTechnosphereError
from zeropark.lca.matrices import Activity, Exchanges, Flow, ProductSystem
from zeropark.lca.solve import LCA, condition_1, factorize

REL = 1e-12


def make_system(a, b, c, codes=None):
    """ProductSystem from dense A (n×n), B (f×n) and c (f,)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    codes = codes or [f"p{i}" for i in range(a.shape[0])]
    ar, ac = np.nonzero(a)
    br, bc = np.nonzero(b)
    return ProductSystem(
        activities=tuple(Activity(code, code) for code in codes),
        flows=tuple(Flow(f"f{k}", f"flow {k}") for k in range(b.shape[0])),
        technosphere=Exchanges.certain(ar, ac, a[ar, ac]),
        biosphere=Exchanges.certain(br, bc, b[br, bc]),
        characterization={"GWP100": Exchanges.certain(np.arange(len(c)), np.zeros(len(c)), c)},
    )


def test_two_activity_chain():
    # steel (p0) needs 2 kWh of power (p1); steel emits 1.5 kg CO2, power 0.5 kg CO2/kWh
    system = make_system([[1, 0], [-2, 1]], [[1.5, 0.5]], [1.0], codes=["steel", "power"])
    lca = LCA(system, solver="superlu")
    np.testing.assert_allclose(lca.supply({"steel": 1.0}), [1.0, 2.0], rtol=REL)
    np.testing.assert_allclose(lca.inventory(lca.supply({0: 1.0})), [2.5], rtol=REL)
    assert lca.score({"steel": 1.0}) == pytest.approx(1.5 + 2 * 0.5, rel=REL)
    assert lca.score({"power": 3.0}) == pytest.approx(1.5, rel=REL)


def test_loop_exact_inverse():
    # A = [[1, -0.5], [-0.2, 1]], det = 0.9, A⁻¹ = [[1, 0.5], [0.2, 1]] / 0.9
    system = make_system([[1, -0.5], [-0.2, 1]], [[1.0, 2.0]], [1.0])
    lca = LCA(system, solver="superlu")
    np.testing.assert_allclose(lca.supply({0: 1.0}), [1 / 0.9, 0.2 / 0.9], rtol=REL)
    np.testing.assert_allclose(lca.supply({1: 1.0}), [0.5 / 0.9, 1 / 0.9], rtol=REL)
    assert lca.score({0: 1.0}) == pytest.approx((1 + 2 * 0.2) / 0.9, rel=REL)
    # adjoint: λ = A⁻ᵀ Bᵀ c = [(1 + 0.4), (0.5 + 2)] / 0.9
    np.testing.assert_allclose(lca.all_scores(), [1.4 / 0.9, 2.5 / 0.9], rtol=REL)


def test_co_product_avoided_burden_lowers_the_score():
    # incineration (p0) treats 1 unit of waste and co-produces 0.5 kWh (+0.5 in row p1) that
    # displaces grid power (p1, 0.8 kg CO2/kWh); incineration emits 1.0 kg CO2
    # s = A⁻¹ e0 = [1, -0.5] → h = 1.0 - 0.5·0.8 = 0.6
    system = make_system([[1, 0], [0.5, 1]], [[1.0, 0.8]], [1.0])
    lca = LCA(system, solver="superlu")
    np.testing.assert_allclose(lca.supply({0: 1.0}), [1.0, -0.5], rtol=REL)
    assert lca.score({0: 1.0}) == pytest.approx(0.6, rel=REL)
    assert lca.score({0: 1.0}) < 1.0


def test_substitution_with_upstream_and_uptake():
    # p0 makes X and 0.3 of co-product Y (substitution: +0.3 in row p1); the marginal Y
    # producer p1 needs 0.2 Z from p2. Flows: f0 CO2 fossil (CF 1), f1 CO2 in air (CF -1).
    # s0 = 1; 0.3 + s1 = 0 → s1 = -0.3; -0.2 s1 + s2 = 0 → s2 = -0.06
    # g = B s: f0 = 2 - 0.3·1 - 0.06·5 = 1.4; f1 = 0.5 (uptake by p0, 0.5 kg)
    # h = 1.4 - 0.5 = 0.9
    a = [[1, 0, 0], [0.3, 1, 0], [0, -0.2, 1]]
    b = [[2.0, 1.0, 5.0], [0.5, 0.0, 0.0]]
    lca = LCA(make_system(a, b, [1.0, -1.0]), solver="superlu")
    s = lca.supply({0: 1.0})
    np.testing.assert_allclose(s, [1.0, -0.3, -0.06], rtol=REL)
    np.testing.assert_allclose(lca.inventory(s), [1.4, 0.5], rtol=REL)
    assert lca.score({0: 1.0}) == pytest.approx(0.9, rel=REL)
    ci = lca.characterized_inventory(s)
    assert ci.shape == (2, 3)
    assert isinstance(ci, sp.csc_matrix)
    np.testing.assert_allclose(ci.toarray(), [[2.0, -0.3, -0.3], [-0.5, 0.0, 0.0]], rtol=REL)
    assert ci.sum() == pytest.approx(0.9, rel=REL)


def test_production_amount_not_one():
    # p0 produces 2 units per run and needs 1 unit of p1; per unit of product p0: 0.5 run
    # → emissions 0.5·4 + 0.5·1·3 = 3.5
    system = make_system([[2, 0], [-1, 1]], [[4.0, 3.0]], [1.0])
    lca = LCA(system, solver="superlu")
    assert lca.score({0: 1.0}) == pytest.approx(3.5, rel=REL)
    np.testing.assert_allclose(lca.all_scores(), [3.5, 3.0], rtol=REL)


def random_system(n=30, seed=7):
    """Seeded, column diagonally dominant system with loops and co-products."""
    rng = np.random.default_rng(seed)
    a = np.where(rng.random((n, n)) < 0.15, -rng.random((n, n)), 0.0)
    np.fill_diagonal(a, 0.0)
    a[3, 5] = 0.2  # a co-product
    a /= np.maximum(np.abs(a).sum(axis=0), 1e-12) / rng.uniform(0.1, 0.8, n)
    np.fill_diagonal(a, rng.uniform(0.5, 2.0, n))
    b = np.where(rng.random((4, n)) < 0.5, rng.lognormal(0, 1, (4, n)), 0.0)
    return make_system(a, b, [1.0, 29.8, 273.0, -1.0])


def test_all_scores_equals_unit_demands():
    lca = LCA(random_system(), solver="superlu")
    n = lca.system.n_activities
    expected = [lca.score({j: 1.0}) for j in range(n)]
    np.testing.assert_allclose(lca.all_scores(), expected, rtol=REL)


def test_supply_with_2d_demand_solves_all_columns():
    lca = LCA(random_system(), solver="superlu")
    n = lca.system.n_activities
    demands = np.random.default_rng(1).random((n, 5))
    supplies = lca.supply(demands)
    assert supplies.shape == (n, 5)
    for k in range(5):
        np.testing.assert_allclose(supplies[:, k], lca.supply(demands[:, k]), rtol=REL)
    np.testing.assert_allclose(lca.technosphere @ supplies, demands, rtol=0, atol=1e-13)


def test_matrices_and_demand_validation():
    system = make_system([[1, 0], [-2, 1]], [[1.5, 0.5]], [2.0], codes=["steel", "power"])
    lca = LCA(system, solver="superlu")
    assert lca.technosphere.shape == (2, 2) and isinstance(lca.technosphere, sp.csc_matrix)
    assert lca.biosphere.shape == (1, 2)
    np.testing.assert_array_equal(lca.characterization.toarray(), [[2.0]])
    with pytest.raises(InputError, match="unknown activity"):
        lca.supply({"gold": 1.0})
    with pytest.raises(InputError, match="shape"):
        lca.supply(np.ones(3))
    with pytest.raises(InputError, match="no impact method"):
        LCA(system, None, solver="superlu").all_scores()


def test_empty_column_is_singular_and_named():
    # p1 has no exchange at all in its column: an activity without a reference product
    system = make_system([[1, 0, 0], [-1, 0, 0], [0, 0, 1]], [[1, 1, 1]], [1.0],
                         codes=["kiln", "ghost", "lime"])
    with pytest.raises(SingularTechnosphereError) as info:
        LCA(system, solver="superlu")
    assert info.value.activities == ("ghost",)
    assert isinstance(info.value, ArithmeticError)


def test_two_identical_columns_are_named():
    # p0 and p1 have the same column; p2 is fine and must not be named
    a = [[1, 1, 0], [-1, -1, 0], [0, -0.5, 1]]
    system = make_system(a, [[1, 1, 1]], [1.0], codes=["twin_a", "twin_b", "ok"])
    with pytest.raises(SingularTechnosphereError) as info:
        LCA(system, solver="superlu")
    assert info.value.activities == ("twin_a", "twin_b")
    assert "twin_a, twin_b" in str(info.value)


def test_badly_conditioned_system_is_refused():
    # det = 1e-14 → cond₁ ≈ 4e14 > 1e12; p2 is well separated
    a = [[1, -1, 0], [-1, 1 + 1e-14, 0], [0, -0.3, 1]]
    system = make_system(a, [[1, 1, 1]], [1.0], codes=["x", "y", "z"])
    with pytest.raises(SingularTechnosphereError, match="badly conditioned") as info:
        LCA(system, solver="superlu")
    assert info.value.activities == ("x", "y")
    # accepted when the check is off (the caller takes the risk)
    LCA(system, solver="superlu", check_condition=False)


def test_condition_estimate_of_a_known_matrix():
    # A = [[1, -0.5], [0, 1]]: ‖A‖₁ = 1.5, A⁻¹ = [[1, 0.5], [0, 1]], ‖A⁻¹‖₁ = 1.5
    a = sp.csc_matrix([[1.0, -0.5], [0.0, 1.0]])
    lu = factorize(a, solver="superlu")
    assert condition_1(a, lu) == pytest.approx(2.25, rel=REL)
    assert condition_1(a, lu, equilibrate=False) == pytest.approx(2.25, rel=REL)


def test_unit_changes_do_not_trip_the_condition_check():
    # the chain of test_two_activity_chain with power in GJ-scale units: row and column of p1
    # scaled by 1e-9 (A, B) → raw cond₁ ≈ 2e18, equilibrated cond₁ ≈ 3; same score 2.5
    a = sp.csc_matrix([[1.0, 0.0], [-2e-9, 1e-18]])
    lu = factorize(a, solver="superlu")
    assert condition_1(a, lu, equilibrate=False) > 1e12
    assert condition_1(a, lu) < 10
    system = make_system(a.toarray(), [[1.5, 0.5e-9]], [1.0])
    assert LCA(system, solver="superlu").score({0: 1.0}) == pytest.approx(2.5, rel=REL)


def test_pardiso_backend_agrees_with_superlu():
    pytest.importorskip("pypardiso")
    system = random_system()
    ref = LCA(system, solver="superlu")
    lca = LCA(system, solver="pardiso")
    assert lca.backend == "pardiso"
    np.testing.assert_allclose(lca.all_scores(), ref.all_scores(), rtol=1e-10)
    np.testing.assert_allclose(lca.supply({2: 1.0}), ref.supply({2: 1.0}), rtol=1e-10)


def test_pardiso_backend_refuses_a_singular_system():
    pytest.importorskip("pypardiso")
    a = [[1, 1, 0], [-1, -1, 0], [0, -0.5, 1]]
    system = make_system(a, [[1, 1, 1]], [1.0], codes=["twin_a", "twin_b", "ok"])
    with pytest.raises(SingularTechnosphereError) as info:
        LCA(system, solver="pardiso")
    assert info.value.activities == ("twin_a", "twin_b")
