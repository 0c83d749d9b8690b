"""Read the engine-neutral ``system.npz`` of the synthetic LCA benchmark into a ProductSystem.

The file is written by ``make_system.py`` of the shared benchmark folder
(``bench/lca/make_system.py``; its docstring lists the arrays). Indices are 0-based matrix
indices; technosphere values are signed (``tech_value``); uncertainty follows ``stats_arrays``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zeropark.errors import InputError
from zeropark.lca.matrices import Activity, Exchanges, Flow, ProductSystem

__all__ = ["system_from_npz"]

_REQUIRED = ("n_activities", "n_flows", "activity_ids", "flow_ids", "tech_row", "tech_col",
             "tech_value", "tech_unc", "bio_row", "bio_col", "bio_value", "bio_unc",
             "cf_row", "cf_value")


def _exchanges(rows: np.ndarray, cols: np.ndarray, values: np.ndarray,
               unc: np.ndarray) -> Exchanges:
    """Triplets with the float64 uncertainty columns of a ``stats_arrays`` structured array."""
    kind = unc["uncertainty_type"].astype("uint8")
    loc = unc["loc"].astype("float64")
    certain = kind <= 1
    loc[certain] = values[certain]  # float32 `loc` of certain exchanges would lose digits
    lognormal = kind == 2
    loc[lognormal] = np.log(np.abs(values[lognormal]))  # ln|amount| in float64
    return Exchanges(
        rows=rows.astype("int64"), cols=cols.astype("int64"), values=values.astype("float64"),
        uncertainty_type=kind, loc=loc, scale=unc["scale"].astype("float64"),
        minimum=unc["minimum"].astype("float64"), maximum=unc["maximum"].astype("float64"),
        negative=values < 0)


def system_from_npz(path: str | Path, *, method: str = "GWP100") -> ProductSystem:
    """Load a ``system.npz`` benchmark file as a :class:`ProductSystem`.

    Activity and flow codes are the datapackage ids as strings (``activity_ids[j]``,
    ``flow_ids[k]``), so results can be matched with a bw2calc run on the same system.
    The characterization factors ``cf_value`` [kg CO2e/kg, IPCC AR6 GWP100 per the
    generator] become the method `method`.

    Parameters
    ----------
    path : str or Path
        The ``system.npz`` file.
    method : str
        Name under which the characterization factors are stored.

    Returns
    -------
    ProductSystem
        ``n_activities`` activities, ``n_flows`` flows, one method.

    Raises
    ------
    InputError
        If an array is missing.

    Examples
    --------
    >>> system_from_npz("missing.npz")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    InputError: missing.npz: no such file
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    with np.load(path, allow_pickle=False) as npz:
        missing = [k for k in _REQUIRED if k not in npz.files]
        if missing:
            raise InputError(f"arrays missing: {', '.join(missing)}", path=str(path))
        d = {k: npz[k] for k in npz.files}
    cf_names = d.get("cf_name")
    activities = tuple(Activity(code=str(i), name=f"activity {i}") for i in d["activity_ids"])
    flow_name = {int(r): str(n) for r, n in zip(d["cf_row"], cf_names, strict=True)} \
        if cf_names is not None else {}
    flows = tuple(Flow(code=str(fid), name=flow_name.get(k, f"flow {fid}"))
                  for k, fid in enumerate(d["flow_ids"]))
    tech = _exchanges(d["tech_row"], d["tech_col"], d["tech_value"], d["tech_unc"])
    bio = _exchanges(d["bio_row"], d["bio_col"], d["bio_value"], d["bio_unc"])
    cf = Exchanges.certain(d["cf_row"], np.zeros_like(d["cf_row"]), d["cf_value"])
    return ProductSystem(activities=activities, flows=flows, technosphere=tech, biosphere=bio,
                         characterization={method: cf})
