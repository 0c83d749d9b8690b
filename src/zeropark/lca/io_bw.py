"""Import a Brightway ``bw_processing`` datapackage into a :class:`ProductSystem`.

Supported: persistent **vector** resources (``indices``, ``data``, optional
``flip`` and ``distributions``) of the matrices ``technosphere_matrix``,
``biosphere_matrix`` and ``characterization_matrix``. Array and interface
resources (scenario arrays, proxies) are not read.

Conventions
-----------
- Brightway stores technosphere inputs as positive numbers with ``flip=True``;
  flipped values are negated here (**A** is signed, inputs negative).
  Flipped uncertainty follows: normal ``loc``, uniform/triangular bounds and
  mode are negated (bounds swapped); lognormal ``loc`` stays ln|amount|.
- Activity order: sorted technosphere column ids. A row id that is also a column
  id is that activity's product (Brightway 2 style). A row id that is not (a
  separate product node, Brightway 2.5 style) is mapped to the one column
  where it has a positive, unflipped entry; zero or several such columns raise
  ``InputError``.
- Flow order: sorted ids of biosphere rows and characterization rows. The
  characterization diagonal (row = col = flow id) becomes the method `method`.
- Codes are the integer ids as text unless metadata are passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import bw_processing as bwp
import numpy as np
from fsspec.implementations.zip import ZipFileSystem

from zeropark.errors import InputError
from zeropark.lca.matrices import Activity, Exchanges, Flow, ProductSystem, UncertaintyType

_MATRICES = ("technosphere_matrix", "biosphere_matrix", "characterization_matrix")


def _load(source: str | Path | bwp.DatapackageBase) -> bwp.DatapackageBase:
    if isinstance(source, bwp.DatapackageBase):
        return source
    path = Path(source)
    if path.suffix == ".zip":
        return bwp.load_datapackage(ZipFileSystem(str(path)))
    return bwp.load_datapackage(bwp.generic_directory_filesystem(dirpath=path))


def _vectors(dp: bwp.DatapackageBase, matrix: str) -> list[dict[str, Any]]:
    """Concatenated groups of `matrix`: dicts with rows, cols, data, flip, distributions."""
    out = []
    for group in sorted({r["group"] for r in dp.resources
                         if r.get("matrix") == matrix and r.get("category") == "vector"}):
        kinds = {r["kind"]: dp.get_resource(r["name"])[0] for r in dp.resources
                 if r["group"] == group and r.get("category") == "vector"}
        if "indices" not in kinds or "data" not in kinds:
            continue
        idx = np.asarray(kinds["indices"])
        data = np.asarray(kinds["data"], dtype="float64")
        flip = np.asarray(kinds.get("flip", np.zeros(len(data), dtype=bool)), dtype=bool)
        out.append({"rows": idx["row"].astype("int64"), "cols": idx["col"].astype("int64"),
                    "data": data, "flip": flip, "dist": kinds.get("distributions")})
    return out


def _exchanges(parts: list[dict[str, Any]], row_map: Mapping[int, int],
               col_map: Mapping[int, int]) -> Exchanges:
    if not parts:
        return Exchanges.certain([], [], [])
    rows = np.concatenate([p["rows"] for p in parts])
    cols = np.concatenate([p["cols"] for p in parts])
    data = np.concatenate([p["data"] for p in parts])
    flip = np.concatenate([p["flip"] for p in parts])
    sign = np.where(flip, -1.0, 1.0)
    n = data.size
    utype = np.zeros(n, dtype="uint8")
    loc, scale = sign * data, np.full(n, np.nan)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    offset = 0
    for p in parts:
        d, k = p["dist"], p["data"].size
        if d is not None:
            sl = slice(offset, offset + k)
            utype[sl] = d["uncertainty_type"]
            loc[sl], scale[sl] = d["loc"], d["scale"]
            lo[sl], hi[sl] = d["minimum"], d["maximum"]
        offset += k
    flipped = sign < 0
    neg = flipped & (utype != UncertaintyType.LOGNORMAL)
    loc[neg] = -loc[neg]
    lo[flipped], hi[flipped] = -hi[flipped], -lo[flipped]
    none = utype <= UncertaintyType.NONE
    loc[none] = (sign * data)[none]
    return Exchanges(
        rows=np.array([row_map[int(r)] for r in rows], dtype="int64"),
        cols=np.array([col_map[int(c)] for c in cols], dtype="int64"),
        values=sign * data, uncertainty_type=utype, loc=loc, scale=scale,
        minimum=lo, maximum=hi)


def read_bw_datapackage(source: str | Path | bwp.DatapackageBase, *, method: str = "GWP100",
                        activities: Mapping[int, Activity] | None = None,
                        flows: Mapping[int, Flow] | None = None) -> ProductSystem:
    """Read a ``bw_processing`` datapackage (conventions in the module doc).

    Parameters
    ----------
    source : str, pathlib.Path or bw_processing.DatapackageBase
        A ``.zip`` datapackage, a directory, or a loaded datapackage.
    method : str
        Name given to the characterization vector.
    activities, flows : Mapping, optional
        Id → metadata; ids without an entry get ``Activity(str(id), str(id))``.

    Returns
    -------
    ProductSystem

    Raises
    ------
    InputError
        Without a technosphere, or when a product row cannot be paired with an activity.

    Examples
    --------
    >>> import bw_processing as bwp, numpy as np
    >>> dp = bwp.create_datapackage()
    >>> dp.add_persistent_vector(matrix="technosphere_matrix",
    ...     indices_array=np.array([(1, 1), (2, 2), (2, 1)], dtype=bwp.INDICES_DTYPE),
    ...     data_array=np.array([1.0, 1.0, 0.5]), flip_array=np.array([False, False, True]))
    >>> read_bw_datapackage(dp).technosphere_matrix().toarray().tolist()
    [[1.0, 0.0], [-0.5, 1.0]]
    """
    dp = _load(source)
    tech = _vectors(dp, "technosphere_matrix")
    if not tech:
        raise InputError("the datapackage has no technosphere_matrix vectors",
                         field="technosphere_matrix")
    bio = _vectors(dp, "biosphere_matrix")
    cfs = _vectors(dp, "characterization_matrix")
    col_ids = sorted({int(c) for p in tech for c in p["cols"]})
    col_map = {c: j for j, c in enumerate(col_ids)}
    row_map = dict(col_map)
    for p in tech:
        for r, c, v, f in zip(p["rows"], p["cols"], p["data"], p["flip"], strict=True):
            r = int(r)
            if r in col_map:
                continue
            if v > 0 and not f:
                if r in row_map and row_map[r] != col_map[int(c)]:
                    raise InputError(f"product {r} is produced by several activities",
                                     field="technosphere_matrix")
                row_map[r] = col_map[int(c)]
    orphans = {int(r) for p in tech for r in p["rows"]} - set(row_map)
    if orphans:
        raise InputError(f"products without a producing activity: {sorted(orphans)[:10]}",
                         field="technosphere_matrix")
    flow_ids = sorted({int(r) for p in bio + cfs for r in p["rows"]})
    flow_map = {f: i for i, f in enumerate(flow_ids)}
    activities = activities or {}
    flows = flows or {}
    characterization = {}
    if cfs:
        cf = _exchanges(cfs, flow_map, {int(c): 0 for p in cfs for c in p["cols"]})
        characterization[method] = cf
    return ProductSystem(
        activities=tuple(activities.get(c, Activity(str(c), str(c))) for c in col_ids),
        flows=tuple(flows.get(f, Flow(str(f), str(f))) for f in flow_ids),
        technosphere=_exchanges(tech, row_map, col_map),
        biosphere=_exchanges(bio, flow_map, col_map),
        characterization=characterization)
