"""Background databases for product carbon footprints: the US LCI database (USLCI).

:func:`load_uslci` finds the openLCA JSON-LD export of USLCI under
``ZEROPARK_DATA_DIR/uslci/`` or downloads it (pinned commit, SHA-256 checked,
manifest ``zeropark/demo/manifest_uslci.json``), imports it with
:func:`zeropark.lca.io_olca.read_olca_jsonld` and caches the result as ``.npz``
named after the zip's SHA-256 and :data:`IMPORT_VERSION`: next to the zip when
it was downloaded into ``cache_dir``, else under ``<cache_dir>/uslci/`` (a
``ZEROPARK_DATA_DIR`` copy is never written to). The second call reads the
cache (well under a second).

USLCI is a US database: its electricity, fuels and transport represent US
conditions around 2000–2015. Reports must say so when it stands in for Chinese
data (ISO 14067:2018 data-quality requirements on geographical coverage;
clause number not verified against the text).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Final

import numpy as np

from zeropark.demo.datasets import locate_dataset, manifest
from zeropark.lca.io_olca import read_olca_jsonld
from zeropark.lca.matrices import Activity, Exchanges, Flow, LifeCycleStage, ProductSystem
from zeropark.settings import Settings

#: File name of the JSON-LD export inside the data-set folder.
USLCI_ZIP: Final = "uslci_olca1_5_0_json_ld.zip"
#: Bump when the importer changes what it produces, so old caches are not reused.
IMPORT_VERSION: Final = 1
#: Licence statement to print with any result that uses USLCI.
USLCI_LICENCE: Final = (
    "USLCI is a U.S. government work (National Renewable Energy Laboratory and the "
    "Federal LCA Commons), in the public domain in the United States; the distribution "
    "repository FLCAC-admin/uslci-content is MIT-licensed."
)
#: Citation of the data as used (pinned upstream commit).
USLCI_CITATION: Final = (
    "U.S. Life Cycle Inventory Database (USLCI), National Renewable Energy Laboratory / "
    "Federal LCA Commons; openLCA 1.5 JSON-LD export uslci_olca1_5_0_json_ld.zip from "
    "github.com/FLCAC-admin/uslci-content, commit 91824482b335d7db1b232d18dcc259301c4e42c9, "
    "folder downloads/."
)

_EXCHANGE_FIELDS = ("rows", "cols", "values", "uncertainty_type", "loc", "scale",
                    "minimum", "maximum")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def uslci_zip(settings: Settings | None = None) -> Path:
    """Path of the USLCI JSON-LD zip (local copy under ZEROPARK_DATA_DIR, or downloaded)."""
    settings = settings or Settings()
    root = locate_dataset(manifest("uslci"), data_dir=settings.data_dir,
                          cache_dir=settings.cache_dir)
    return root / USLCI_ZIP


def load_uslci(settings: Settings | None = None) -> ProductSystem:
    """USLCI as a product system, from the ``.npz`` cache when there is one.

    Parameters
    ----------
    settings : Settings, optional
        ``data_dir`` and ``cache_dir``; default from the environment.

    Returns
    -------
    ProductSystem
        766 activities, methods ``GWP100`` and ``GWP100_incl_biogenic_CO2``
        (AR6), see :mod:`zeropark.lca.io_olca`.

    Raises
    ------
    zeropark.errors.DataNotFoundError
        If the zip is neither local nor downloadable.
    """
    settings = settings or Settings()
    path = uslci_zip(settings)
    key = f"{_sha256(path)[:16]}-v{IMPORT_VERSION}"
    cache_root = Path(settings.cache_dir).resolve()
    downloaded = path.resolve().is_relative_to(cache_root)
    folder = path.parent if downloaded else cache_root / "uslci"
    cache = folder / f"{path.stem}.{key}.npz"
    if cache.is_file():
        try:
            return load_system(cache)
        except (OSError, ValueError, KeyError):
            cache.unlink(missing_ok=True)
    system, _ = read_olca_jsonld(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        save_system(cache, system)
    except OSError:
        pass  # a cache we cannot write only costs time
    return system


def save_system(path: str | Path, system: ProductSystem) -> None:
    """Write a product system to a compressed ``.npz`` (no pickles).

    Examples
    --------
    >>> import tempfile
    >>> s = ProductSystem((Activity("a", "A"),), (Flow("co2", "CO2"),),
    ...                   Exchanges.certain([0], [0], [1.0]), Exchanges.certain([0], [0], [2.0]))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_system(Path(d) / "s.npz", s)
    ...     load_system(Path(d) / "s.npz").activities[0].name
    'A'
    """
    arrays: dict[str, np.ndarray] = {
        "activities": np.array(json.dumps([[a.code, a.name, a.product, a.unit, a.location,
                                            a.stage.value if a.stage else ""]
                                           for a in system.activities])),
        "flows": np.array(json.dumps([[f.code, f.name, f.compartment, f.unit, f.biogenic]
                                      for f in system.flows])),
        "methods": np.array(json.dumps(list(system.characterization))),
    }
    parts = {"technosphere": system.technosphere, "biosphere": system.biosphere,
             **{f"cf{i}": ex for i, ex in enumerate(system.characterization.values())}}
    for prefix, ex in parts.items():
        for name in _EXCHANGE_FIELDS:
            arrays[f"{prefix}.{name}"] = getattr(ex, name)
    tmp = Path(path).with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, path)


def load_system(path: str | Path) -> ProductSystem:
    """Read a product system written by :func:`save_system`."""
    with np.load(path, allow_pickle=False) as data:
        def exchanges(prefix: str) -> Exchanges:
            return Exchanges(*(data[f"{prefix}.{name}"] for name in _EXCHANGE_FIELDS))

        activities = tuple(Activity(c, n, p, u, loc, LifeCycleStage(s) if s else None)
                           for c, n, p, u, loc, s in json.loads(str(data["activities"])))
        flows = tuple(Flow(c, n, comp, u, bool(b))
                      for c, n, comp, u, b in json.loads(str(data["flows"])))
        methods = json.loads(str(data["methods"]))
        return ProductSystem(activities, flows, exchanges("technosphere"), exchanges("biosphere"),
                             {m: exchanges(f"cf{i}") for i, m in enumerate(methods)})
