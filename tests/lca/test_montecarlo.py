"""Monte Carlo: analytic means, exact per-draw scores, reproducibility, signs.

Tolerance of the mean tests: 4 standard errors of the mean (SE = σ_true / √N) with a fixed
seed; a correct sampler fails with probability 6e-5 per assertion for a random seed, and not
at all for the fixed one. Analytic moments: lognormal mean exp(μ + σ²/2), variance
(exp(σ²) - 1)·exp(2μ + σ²); uniform (a+b)/2, (b-a)²/12; triangular (a+m+b)/3,
(a² + b² + m² - ab - am - bm)/18 (Johnson, Kotz & Balakrishnan, Continuous Univariate
Distributions, 2nd ed., 1994/1995).
"""

import math

import numpy as np
import pytest

from zeropark.lca.matrices import Activity, Exchanges, Flow, ProductSystem
from zeropark.lca.montecarlo import MonteCarloResult, monte_carlo
from zeropark.lca.solve import LCA

N = 4000
NAN = np.nan


def exchanges(rows, cols, values, kind, loc, scale=NAN, minimum=NAN, maximum=NAN,
              negative=None):
    size = len(values)

    def full(x):
        return np.broadcast_to(np.asarray(x, dtype=float), (size,)).copy()

    return Exchanges(np.asarray(rows, dtype="int64"), np.asarray(cols, dtype="int64"),
                     full(values), np.asarray(np.broadcast_to(kind, (size,)), dtype="uint8"),
                     full(loc), full(scale), full(minimum), full(maximum),
                     None if negative is None else np.asarray(negative, dtype=bool))


def one_activity(bio, cf=1.0):
    """One activity, one flow with exchange `bio`; score = bio · cf."""
    return ProductSystem(
        activities=(Activity("a", "a"),), flows=(Flow("co2", "CO2"),),
        technosphere=Exchanges.certain([0], [0], [1.0]), biosphere=bio,
        characterization={"GWP100": Exchanges.certain([0], [0], [cf])})


def assert_mean(result, mean, sd):
    se = sd / math.sqrt(result.iterations)
    assert abs(result.mean - mean) < 4 * se, (result.mean, mean, se)


def test_lognormal_biosphere_mean():
    mu, sigma = math.log(2.0), 0.3
    system = one_activity(exchanges([0], [0], [2.0], 2, [mu], [sigma]))
    result = monte_carlo(system, {"a": 1.0}, iterations=N, seed=11)
    mean = math.exp(mu + sigma**2 / 2)
    sd = math.sqrt((math.exp(sigma**2) - 1) * math.exp(2 * mu + sigma**2))
    assert_mean(result, mean, sd)
    assert result.std == pytest.approx(sd, rel=0.05)  # SE of σ̂ ≈ σ·√((κ-1)/4N) ≈ 1.5 %
    assert result.scores.shape == (N,) and np.all(result.scores > 0)
    p = result.percentiles((2.5, 50, 97.5))
    assert p[0] < p[1] < p[2]
    assert p[1] == pytest.approx(2.0, rel=0.03)  # median exp(μ) = 2


def test_normal_uniform_triangular_means():
    normal = one_activity(exchanges([0], [0], [5.0], 3, [5.0], [0.5]))
    assert_mean(monte_carlo(normal, {0: 1.0}, iterations=N, seed=1), 5.0, 0.5)
    uniform = one_activity(exchanges([0], [0], [2.0], 4, [2.0], minimum=[1.0], maximum=[3.0]))
    assert_mean(monte_carlo(uniform, {0: 1.0}, iterations=N, seed=2), 2.0, 2.0 / math.sqrt(12))
    a, m, b = 1.0, 1.5, 4.0
    tri = one_activity(exchanges([0], [0], [m], 5, [m], minimum=[a], maximum=[b]))
    sd = math.sqrt((a * a + b * b + m * m - a * b - a * m - b * m) / 18)
    result = monte_carlo(tri, {0: 1.0}, iterations=N, seed=3)
    assert_mean(result, (a + m + b) / 3, sd)
    assert result.scores.min() >= a and result.scores.max() <= b


def test_uncertain_characterization_factor():
    system = ProductSystem(
        activities=(Activity("a", "a"),), flows=(Flow("ch4", "CH4"),),
        technosphere=Exchanges.certain([0], [0], [1.0]),
        biosphere=Exchanges.certain([0], [0], [2.0]),
        characterization={"GWP100": exchanges([0], [0], [29.8], 3, [29.8], [3.0])})
    assert_mean(monte_carlo(system, {0: 1.0}, iterations=N, seed=5), 2 * 29.8, 2 * 3.0)


def test_lognormal_keeps_the_sign():
    mu, sigma = math.log(2.0), 0.4
    # uptake of -2 kg (sign from the value) and an explicit `negative` flag on a +2 value
    for value, negative in ((-2.0, None), (2.0, [True])):
        system = one_activity(exchanges([0], [0], [value], 2, [mu], [sigma], negative=negative))
        result = monte_carlo(system, {0: 1.0}, iterations=500, seed=9)
        assert np.all(result.scores < 0)
        assert_mean(result, -math.exp(mu + sigma**2 / 2),
                    math.sqrt((math.exp(sigma**2) - 1) * math.exp(2 * mu + sigma**2)))


def chain_with_uncertain_input():
    # steel (p0) needs x kWh from power (p1), x ~ LN(ln 2, 0.2); steel 1.5, power 0.5 kg CO2
    tech = exchanges([0, 1, 1], [0, 0, 1], [1.0, -2.0, 1.0], [0, 2, 0],
                     [1.0, math.log(2.0), 1.0], [NAN, 0.2, NAN])
    bio = Exchanges.certain([0, 0], [0, 1], [1.5, 0.5])
    return ProductSystem(
        activities=(Activity("steel", "steel"), Activity("power", "power")),
        flows=(Flow("co2", "CO2"),), technosphere=tech, biosphere=bio,
        characterization={"GWP100": Exchanges.certain([0], [0], [1.0])})


def test_technosphere_uncertainty_mean():
    # h = 1.5 + 0.5·x → E[h] = 1.5 + 0.5·exp(ln 2 + 0.02), sd = 0.5·sd(x)
    result = monte_carlo(chain_with_uncertain_input(), {"steel": 1.0}, iterations=N, seed=4)
    sd_x = math.sqrt((math.exp(0.04) - 1) * math.exp(2 * math.log(2) + 0.04))
    assert_mean(result, 1.5 + 0.5 * math.exp(math.log(2) + 0.02), 0.5 * sd_x)
    assert result.fallbacks == 0


def draws(seed, iterations, size):
    """The standard normal draws of iteration i (first draws of its own stream)."""
    return np.array([
        np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(i,))))
        .standard_normal(size) for i in range(iterations)])


def test_preconditioned_refinement_and_fallback_give_exact_scores():
    # loop A = [[1, -0.5], [-x, 1]] with x ~ LN(0, 1): far draws make ρ(I - A⁻¹A_s) ≥ 1,
    # so some iterations must fall back to a fresh factorization.
    # s = A_s⁻¹ e0 = [1, x] / (1 - 0.5x); h = (s0 + 2 s1) = (1 + 2x) / (1 - 0.5x)
    tech = exchanges([0, 0, 1, 1], [0, 1, 0, 1], [1.0, -0.5, -1.0, 1.0], [0, 0, 2, 0],
                     [1.0, -0.5, 0.0, 1.0], [NAN, NAN, 1.0, NAN])
    system = ProductSystem(
        activities=(Activity("p0", "p0"), Activity("p1", "p1")), flows=(Flow("f", "f"),),
        technosphere=tech, biosphere=Exchanges.certain([0, 0], [0, 1], [1.0, 2.0]),
        characterization={"GWP100": Exchanges.certain([0], [0], [1.0])})
    result = monte_carlo(system, {0: 1.0}, iterations=200, seed=21, rtol=1e-13)
    x = np.exp(draws(21, 200, 1)[:, 0])  # matrix value -exp(0 + 1·z): sign kept, so x = exp(z)
    expected = (1 + 2 * x) / (1 - 0.5 * x)
    np.testing.assert_allclose(result.scores, expected, rtol=1e-9)
    assert 0 < result.fallbacks < 200
    assert result.refinements.shape == (200,)


def test_reproducible_and_independent_of_processes():
    system = chain_with_uncertain_input()
    one = monte_carlo(system, {0: 1.0}, iterations=101, seed=123)
    again = monte_carlo(system, {0: 1.0}, iterations=101, seed=123)
    two = monte_carlo(system, {0: 1.0}, iterations=101, seed=123, processes=2)
    np.testing.assert_array_equal(one.scores, again.scores)
    np.testing.assert_array_equal(one.scores, two.scores)
    other = monte_carlo(system, {0: 1.0}, iterations=101, seed=124)
    assert not np.array_equal(one.scores, other.scores)
    assert (one.seed, one.iterations, one.method) == (123, 101, "GWP100")


def test_reuses_an_existing_lca():
    system = chain_with_uncertain_input()
    lca = LCA(system, solver="superlu")
    result = monte_carlo(system, {0: 1.0}, iterations=50, seed=1, lca=lca)
    np.testing.assert_array_equal(
        result.scores, monte_carlo(system, {0: 1.0}, iterations=50, seed=1).scores)


def test_result_statistics():
    result = MonteCarloResult(scores=np.array([1.0, 2.0, 3.0, 4.0]), seed=0, iterations=4,
                              method="GWP100")
    assert result.mean == 2.5
    assert result.std == pytest.approx(math.sqrt(5 / 3), rel=1e-12)
    np.testing.assert_allclose(result.percentiles((0, 50, 100)), [1.0, 2.5, 4.0], rtol=1e-12)
