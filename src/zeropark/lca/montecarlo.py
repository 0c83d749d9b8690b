"""Monte Carlo uncertainty propagation of an LCA score (fixed pattern, preconditioned solves).

Each iteration samples every uncertain exchange of **A**, **B** and **c** (``stats_arrays``
types 2-5; types 0/1 keep their value) and computes ``h = c_s · B_s · A_s⁻¹ f``. Speed comes
from four choices:

1. The sparsity pattern never changes: triplets are mapped once to CSC positions (duplicates
   summed with ``np.bincount``), so an iteration only refills ``data`` arrays.
2. ``A_s s = f`` is solved by iterative refinement preconditioned with the static LU factors of
   the deterministic **A** (``s_{k+1} = s_k + LU⁻¹ (f − A_s s_k)``, started from ``A⁻¹ f``),
   which converges when ``ρ(I − A⁻¹ A_s) < 1``: a handful of solves instead of a factorization.
   When it does not reach ``rtol`` in ``max_refinements`` steps (or diverges), the iteration
   falls back to a fresh SuperLU factorization of ``A_sᵀ`` with the static column ordering;
   fallbacks are counted in the result.
3. Only biosphere rows with a characterization factor are sampled: other flows cannot change
   the score (same distribution of scores, far fewer random numbers).
4. Each iteration *i* draws from its own ``Generator(PCG64(SeedSequence(seed).spawn(...)[i]))``,
   so results are bit-identical for any ``processes`` and chunking.

Lognormal samples keep the sign of the exchange (``negative`` flag, else the sign of the
value). Bounds (``minimum``/``maximum``) of normal and lognormal distributions are ignored.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from zeropark.errors import InputError
from zeropark.lca.matrices import Exchanges, FloatArray, IntArray, ProductSystem
from zeropark.lca.solve import LCA, Demand, _SuperLU, factorize

__all__ = ["MonteCarloResult", "monte_carlo"]


@dataclass(frozen=True, slots=True)
class MonteCarloResult:
    """Scores of a Monte Carlo run, one per iteration.

    Attributes
    ----------
    scores : FloatArray
        ``(iterations,)`` [unit of the method, e.g. kg CO2e per functional unit].
    seed, iterations, method
        The run's inputs, enough to reproduce it.
    fallbacks : int
        Iterations whose preconditioned refinement did not converge and that used a fresh
        factorization.
    refinements : IntArray
        ``(iterations,)`` preconditioned solves per iteration (0 for a fallback).
    """

    scores: FloatArray
    seed: int
    iterations: int
    method: str
    fallbacks: int = 0
    refinements: IntArray = field(default_factory=lambda: np.zeros(0, dtype="int64"))

    def percentiles(self, q: tuple[float, ...] = (2.5, 50.0, 97.5)) -> FloatArray:
        """Percentiles `q` [%] of the scores, ``(len(q),)`` (numpy's linear interpolation)."""
        out: FloatArray = np.percentile(self.scores, q)
        return out

    @property
    def mean(self) -> float:
        """Sample mean of the scores."""
        return float(self.scores.mean())

    @property
    def std(self) -> float:
        """Sample standard deviation of the scores (``ddof=1``)."""
        return float(self.scores.std(ddof=1))


class _Sampler:
    """Samples one Exchanges table into the ``data`` of a fixed CSC pattern."""

    def __init__(self, ex: Exchanges, shape: tuple[int, int], keep: IntArray | None = None,
                 row_map: IntArray | None = None) -> None:
        sel = np.arange(len(ex)) if keep is None else keep
        rows = ex.rows[sel] if row_map is None else row_map[ex.rows[sel]]
        cols = ex.cols[sel]
        key = cols * shape[0] + rows
        unique, self.position = np.unique(key, return_inverse=True)  # CSC order: col-major
        self.nnz = unique.size
        self.indices = (unique % shape[0]).astype("int32")
        self.indptr = np.searchsorted(unique // shape[0], np.arange(shape[1] + 1)).astype("int32")
        self.shape = shape
        self.values = ex.values[sel].astype("float64")
        kind = ex.uncertainty_type[sel]
        loc, scale = ex.loc[sel], ex.scale[sel]
        lo, hi = ex.minimum[sel], ex.maximum[sel]
        self.lognormal = np.flatnonzero(kind == 2)
        self.normal = np.flatnonzero(kind == 3)
        self.uniform = np.flatnonzero(kind == 4)
        self.triangular = np.flatnonzero(kind == 5)
        if np.any(kind > 5):
            raise InputError(f"uncertainty types {sorted(set(kind[kind > 5].tolist()))} are not "
                             "supported (0-5)", field="uncertainty_type")
        negative = (self.values < 0) if ex.negative is None else ex.negative[sel]
        self.ln_sign = np.where(negative[self.lognormal], -1.0, 1.0)
        self.ln_loc, self.ln_scale = loc[self.lognormal], scale[self.lognormal]
        self.n_loc, self.n_scale = loc[self.normal], scale[self.normal]
        self.u_lo, self.u_hi = lo[self.uniform], hi[self.uniform]
        self.t_lo, self.t_mode, self.t_hi = (lo[self.triangular], loc[self.triangular],
                                             hi[self.triangular])

    def sample(self, rng: np.random.Generator) -> FloatArray:
        """CSC ``data`` of one sample (draw order: lognormal, normal, uniform, triangular)."""
        v = self.values.copy()
        if self.lognormal.size:
            z = rng.standard_normal(self.lognormal.size)
            v[self.lognormal] = self.ln_sign * np.exp(self.ln_loc + self.ln_scale * z)
        if self.normal.size:
            v[self.normal] = self.n_loc + self.n_scale * rng.standard_normal(self.normal.size)
        if self.uniform.size:
            v[self.uniform] = rng.uniform(self.u_lo, self.u_hi)
        if self.triangular.size:
            v[self.triangular] = rng.triangular(self.t_lo, self.t_mode, self.t_hi)
        out: FloatArray = np.bincount(self.position, weights=v, minlength=self.nnz).astype(
            "float64", copy=False)
        return out

    def matrix(self, data: FloatArray) -> sp.csc_matrix:
        """CSC matrix of the pattern with `data` (no copy of the pattern)."""
        return sp.csc_matrix((data, self.indices, self.indptr), shape=self.shape, copy=False)


class _Engine:
    """Everything an iteration needs: samplers, static factors, demand, tolerances."""

    def __init__(self, lca: LCA, demand: FloatArray, rtol: float, max_refinements: int) -> None:
        system = lca.system
        n, n_flows = system.n_activities, system.n_flows
        self.lca, self.f, self.rtol, self.max_refinements = lca, demand, rtol, max_refinements
        self.tech = _Sampler(system.technosphere, (n, n))
        method = lca.method
        assert method is not None
        cf = system.characterization[method]
        self.flows = np.unique(cf.rows)  # flows with a CF: the only ones that move the score
        row_map = np.full(n_flows, -1, dtype="int64")
        row_map[self.flows] = np.arange(self.flows.size)
        bio = system.biosphere
        self.bio = _Sampler(bio, (self.flows.size, n), keep=np.flatnonzero(row_map[bio.rows] >= 0),
                            row_map=row_map)
        self.cf = _Sampler(cf, (self.flows.size, 1), row_map=row_map)
        self.f_norm = float(np.abs(demand).sum())
        # SuperLU factors of A (fork-safe, deterministic) are the preconditioner
        factors = lca.factors if lca.backend == "superlu" else factorize(lca.technosphere,
                                                                          solver="superlu")
        assert isinstance(factors, _SuperLU)
        self.factors = factors
        self.perm_c: IntArray = np.argsort(factors.lu.perm_c)
        self.s0 = factors.solve(demand, "N")  # A⁻¹ f, the start of every refinement

    def run(self, seed: int, start: int, stop: int) -> tuple[FloatArray, IntArray]:
        """Scores and refinement counts (-1 = fallback) of iterations ``start..stop-1``."""
        scores = np.empty(stop - start)
        steps = np.empty(stop - start, dtype="int64")
        for k, i in enumerate(range(start, stop)):
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(i,))))
            a_s = self.tech.matrix(self.tech.sample(rng))
            b_s = self.bio.matrix(self.bio.sample(rng))
            c_s = self.cf.sample(rng)  # (n_cf_flows,) as the data of a 1-column CSC
            c_vec = self.cf.matrix(c_s).toarray().ravel()
            s, steps[k] = self._solve(a_s)
            scores[k] = float(c_vec @ (b_s @ s))
        return scores, steps

    def _solve(self, a_s: sp.csc_matrix) -> tuple[FloatArray, int]:
        s = self.s0.copy()
        tol = self.rtol * self.f_norm
        previous = np.inf
        for step in range(1, self.max_refinements + 1):
            r = self.f - a_s @ s
            norm = float(np.abs(r).sum())
            if norm <= tol:
                return s, step - 1
            if not norm < previous or not np.isfinite(norm):  # diverging: stop early
                break
            previous = norm
            s += self.factors.solve(r, "N")
        return self._fresh_solve(a_s), -1

    def _fresh_solve(self, a_s: sp.csc_matrix) -> FloatArray:
        """Fresh SuperLU factors of ``A_sᵀ Q`` with the static column order ``q``.

        ``M = A_sᵀ Q`` ⇒ ``Mᵀ = Qᵀ A_s``, so ``A_s s = f`` is ``Mᵀ s = f[q]``.
        """
        q = self.perm_c
        lu = spla.splu(a_s.T.tocsc()[:, q], permc_spec="NATURAL")
        out: FloatArray = lu.solve(self.f[q], trans="T")
        return out


_WORKER: _Engine | None = None  # the engine inherited by forked worker processes


def _run_chunk(seed: int, start: int, stop: int) -> tuple[FloatArray, IntArray]:
    assert _WORKER is not None
    return _WORKER.run(seed, start, stop)


def monte_carlo(system: ProductSystem, demand: Demand, *, method: str = "GWP100",
                iterations: int, seed: int, processes: int = 1, lca: LCA | None = None,
                rtol: float = 1e-9, max_refinements: int = 30) -> MonteCarloResult:
    """Monte Carlo distribution of the score of `demand` under the exchanges' uncertainty.

    Parameters
    ----------
    system : ProductSystem
        The product system with ``stats_arrays`` uncertainty columns.
    demand : Mapping or array-like
        Functional unit: ``{activity index or code: amount}`` or ``(n_activities,)``
        [unit of product].
    method : str
        Impact method in ``system.characterization``.
    iterations : int
        Number of samples.
    seed : int
        Root seed; iteration *i* uses the *i*-th child of ``SeedSequence(seed)``.
    processes : int
        Worker processes (``fork`` start method; elsewhere the run stays in-process). The
        scores do not depend on it.
    lca : LCA, optional
        An :class:`LCA` of the same `system` and `method`. With the SuperLU back-end its
        factors are the preconditioner (saves one factorization); other back-ends are
        refactorized once with SuperLU, which is deterministic and safe to fork.
    rtol : float
        Refinement stops when ``‖f − A_s s‖₁ ≤ rtol · ‖f‖₁``.
    max_refinements : int
        Preconditioned solves per iteration before falling back to a fresh factorization.

    Returns
    -------
    MonteCarloResult
        ``scores`` ``(iterations,)`` [unit of the method], fallbacks and refinement counts.

    Raises
    ------
    SingularTechnosphereError
        If the deterministic technosphere is singular (from :class:`LCA`).

    Examples
    --------
    >>> from zeropark.lca.matrices import Activity, Exchanges, Flow, ProductSystem
    >>> bio = Exchanges(np.array([0]), np.array([0]), np.array([1.0]), np.array([3], "uint8"),
    ...                 np.array([1.0]), np.array([0.1]), np.array([np.nan]), np.array([np.nan]))
    >>> system = ProductSystem((Activity("a", "a"),), (Flow("co2", "CO2"),),
    ...     Exchanges.certain([0], [0], [1.0]), bio, {"GWP100": Exchanges.certain([0], [0], [1.0])})
    >>> result = monte_carlo(system, {"a": 1.0}, iterations=1000, seed=42)
    >>> abs(result.mean - 1.0) < 4 * 0.1 / 1000 ** 0.5
    True
    """
    global _WORKER
    if iterations < 1:
        raise InputError(f"iterations must be >= 1, got {iterations}", field="iterations")
    if lca is None:
        lca = LCA(system, method, solver="superlu")
    elif lca.system is not system or lca.method != method:
        raise InputError("`lca` was built for another system or method", field="lca")
    engine = _Engine(lca, lca.demand_vector(demand), rtol, max_refinements)
    processes = max(1, min(processes, iterations))
    if processes == 1 or "fork" not in multiprocessing.get_all_start_methods():
        scores, steps = engine.run(seed, 0, iterations)
    else:
        bounds = np.linspace(0, iterations, 4 * processes + 1).astype(int)  # chunked seeds
        chunks = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
        _WORKER = engine
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(processes, mp_context=context) as pool:
                parts = list(pool.map(_run_chunk, [seed] * len(chunks), *zip(*chunks, strict=True)))
        finally:
            _WORKER = None
        scores = np.concatenate([p[0] for p in parts])
        steps = np.concatenate([p[1] for p in parts])
    fallbacks = int((steps < 0).sum())
    return MonteCarloResult(scores=scores, seed=seed, iterations=iterations, method=method,
                            fallbacks=fallbacks, refinements=np.where(steps < 0, 0, steps))
