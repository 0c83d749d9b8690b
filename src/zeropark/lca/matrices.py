"""Product systems as sparse matrices (the data model of the LCA engine).

A :class:`ProductSystem` holds

- the technosphere matrix **A** (``n_activities × n_activities``; one reference
  product per activity, so rows are products and columns activities), with
  *signed* values: production positive (usually 1 on the diagonal), inputs
  negative, co-products and avoided burdens with the sign they have;
- the biosphere matrix **B** (``n_flows × n_activities``): elementary flows per
  unit of activity, emissions positive, uptakes (e.g. CO2 in air) negative;
- characterization vectors **C** per impact method (``n_flows``): e.g. GWP100
  [kg CO2e per kg of flow].

Exchanges are COO triplets with uncertainty columns in the ``stats_arrays``
convention used by Brightway's ``bw_processing``: ``uncertainty_type`` 0/1 none,
2 lognormal (``loc`` = ln|amount|, ``scale`` = σ), 3 normal (``loc`` = mean,
``scale`` = σ), 4 uniform (``minimum``, ``maximum``), 5 triangular (``minimum``,
``loc`` = mode, ``maximum``). Duplicate (row, col) triplets are summed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from zeropark.errors import InputError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class UncertaintyType(IntEnum):
    """``stats_arrays`` uncertainty type codes."""

    UNDEFINED = 0
    NONE = 1
    LOGNORMAL = 2
    NORMAL = 3
    UNIFORM = 4
    TRIANGULAR = 5


class LifeCycleStage(StrEnum):
    """ISO 14067:2018 life-cycle stages used for contribution analysis."""

    RAW_MATERIAL_ACQUISITION = "raw_material_acquisition"
    PRODUCTION = "production"
    DISTRIBUTION = "distribution"
    USE = "use"
    END_OF_LIFE = "end_of_life"


@dataclass(frozen=True, slots=True)
class Activity:
    """An activity (process) and its reference product.

    ``stage`` is the ISO 14067 life-cycle stage it belongs to in the product
    system under study; background activities inherit the stage of the
    foreground activity that pulls them in when left ``None``.
    """

    code: str
    name: str
    product: str = ""
    unit: str = ""
    location: str = ""
    stage: LifeCycleStage | None = None


@dataclass(frozen=True, slots=True)
class Flow:
    """An elementary flow; ``biogenic`` marks biogenic carbon (ISO 14067 split)."""

    code: str
    name: str
    compartment: str = ""
    unit: str = "kg"
    biogenic: bool = False


@dataclass(frozen=True, slots=True)
class Exchanges:
    """COO triplets with ``stats_arrays`` uncertainty, all arrays of shape ``(nnz,)``."""

    rows: IntArray
    cols: IntArray
    values: FloatArray
    uncertainty_type: npt.NDArray[np.uint8]
    loc: FloatArray
    scale: FloatArray
    minimum: FloatArray
    maximum: FloatArray
    negative: npt.NDArray[np.bool_] | None = None
    """Lognormal sign (``stats_arrays`` ``negative``): True where the sampled matrix value is
    negative. ``None``: the sign of ``values``. Ignored by other distributions."""

    @classmethod
    def certain(cls, rows: npt.ArrayLike, cols: npt.ArrayLike,
                values: npt.ArrayLike) -> Exchanges:
        """Triplets without uncertainty."""
        v = np.asarray(values, dtype="float64")
        nan = np.full(v.shape, np.nan)
        return cls(np.asarray(rows, dtype="int64"), np.asarray(cols, dtype="int64"), v,
                   np.zeros(v.shape, dtype="uint8"), v.copy(), nan, nan.copy(), nan.copy())

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def matrix(self, shape: tuple[int, int], values: FloatArray | None = None) -> sp.csc_matrix:
        """CSC matrix of `shape` from the triplets (duplicates summed); `values` replaces them."""
        data = self.values if values is None else values
        return sp.csc_matrix((data, (self.rows, self.cols)), shape=shape)


@dataclass(frozen=True, slots=True)
class ProductSystem:
    """Activities, flows, technosphere/biosphere exchanges and characterization factors.

    Parameters
    ----------
    activities : tuple of Activity
        Matrix order of the technosphere's rows (products) and columns.
    flows : tuple of Flow
        Matrix order of the biosphere's rows.
    technosphere : Exchanges
        Signed values of **A**, shape ``(n_activities, n_activities)``.
    biosphere : Exchanges
        Values of **B**, shape ``(n_flows, n_activities)``.
    characterization : Mapping[str, Exchanges]
        Method name → CF triplets with ``rows`` = flow index and ``cols`` = 0,
        shape ``(n_flows, 1)``; e.g. ``{"GWP100": ...}`` [kg CO2e/unit of flow].
    """

    activities: tuple[Activity, ...]
    flows: tuple[Flow, ...]
    technosphere: Exchanges
    biosphere: Exchanges
    characterization: Mapping[str, Exchanges] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n, f = len(self.activities), len(self.flows)
        for name, ex, shape in (("technosphere", self.technosphere, (n, n)),
                                ("biosphere", self.biosphere, (f, n))):
            if len(ex) and (ex.rows.min() < 0 or ex.rows.max() >= shape[0]
                            or ex.cols.min() < 0 or ex.cols.max() >= shape[1]):
                raise InputError(f"{name} index outside the matrix shape {shape}", field=name)
        for method, cf in self.characterization.items():
            if len(cf) and (cf.rows.min() < 0 or cf.rows.max() >= f):
                raise InputError(f"characterization {method!r} refers to a flow index "
                                 f"outside 0..{f - 1}", field="characterization")

    @property
    def n_activities(self) -> int:
        """Number of activities (= products)."""
        return len(self.activities)

    @property
    def n_flows(self) -> int:
        """Number of elementary flows."""
        return len(self.flows)

    def technosphere_matrix(self) -> sp.csc_matrix:
        """**A**, ``(n_activities, n_activities)``, CSC."""
        return self.technosphere.matrix((self.n_activities, self.n_activities))

    def biosphere_matrix(self) -> sp.csc_matrix:
        """**B**, ``(n_flows, n_activities)``, CSC."""
        return self.biosphere.matrix((self.n_flows, self.n_activities))

    def characterization_vector(self, method: str) -> FloatArray:
        """**c** of a method, ``(n_flows,)``.

        Raises
        ------
        InputError
            For an unknown method.
        """
        try:
            cf = self.characterization[method]
        except KeyError:
            known = ", ".join(self.characterization) or "none"
            raise InputError(f"unknown impact method {method!r}; known: {known}",
                             field="method") from None
        vector = np.zeros(self.n_flows)
        np.add.at(vector, cf.rows, cf.values)
        return vector

    def activity_index(self, code: str) -> int:
        """Matrix index of the activity `code`; raises ``InputError`` if unknown."""
        for i, activity in enumerate(self.activities):
            if activity.code == code:
                return i
        raise InputError(f"unknown activity {code!r}", field="activity")
