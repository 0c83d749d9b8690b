"""Find a data set under ``ZEROPARK_DATA_DIR`` or download it, pinned and checksummed.

A data set is described by a manifest shipped with the package (repository,
commit, base URL, and the SHA-256 and size of every file). zeropark never
ships the data itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from zeropark.errors import DataNotFoundError


def manifest(name: str) -> dict[str, Any]:
    """The packaged manifest of data set `name` (e.g. ``"cambridge"``)."""
    text = resources.files("zeropark.demo").joinpath(f"manifest_{name}.json").read_text()
    doc: dict[str, Any] = json.loads(text)
    return doc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def locate_dataset(doc: dict[str, Any], *, data_dir: Path | None, cache_dir: Path,
                   fetch: Callable[[str, Path], None] | None = None) -> Path:
    """Folder holding data set `doc` in its upstream layout.

    Parameters
    ----------
    doc : dict
        A manifest (see :func:`manifest`). A file entry may carry its own ``url``
        (when the upstream files sit at other paths or commits than the local layout).
    data_dir : pathlib.Path or None
        A folder with one sub-folder per data set (``ZEROPARK_DATA_DIR``); when it
        holds ``doc["dataset"]`` with every manifest file, that copy is used as is.
    cache_dir : pathlib.Path
        Download cache; files go to ``<cache_dir>/<dataset>/<commit>/``.
    fetch : callable, optional
        ``fetch(url, target)`` downloads one file; default ``urllib``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataNotFoundError
        If the local copy lacks files and a download fails or a downloaded
        file's checksum or size does not match the manifest (the bad file is
        not kept).
    """
    if data_dir is not None:
        local = Path(data_dir) / str(doc["dataset"])
        missing = [f["path"] for f in doc["files"] if not (local / f["path"]).is_file()]
        if not missing:
            return local
        if local.exists():
            raise DataNotFoundError(
                f"{local} lacks {len(missing)} file(s) of {doc['dataset']}, "
                f"e.g. {missing[0]!r}")
    target = Path(cache_dir) / str(doc["dataset"]) / str(doc["commit"])
    fetch = fetch or _urllib_fetch
    for entry in doc["files"]:
        path = target / entry["path"]
        if path.is_file() and path.stat().st_size == entry["size"]:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        url = entry.get("url") or doc["base_url"] + urllib.parse.quote(entry["path"])
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp_path = Path(tmp.name)
        try:
            fetch(url, tmp_path)
            digest = _sha256(tmp_path)
            if digest != entry["sha256"] or tmp_path.stat().st_size != entry["size"]:
                raise DataNotFoundError(
                    f"checksum mismatch for {url}: got sha256 {digest}, "
                    f"expected {entry['sha256']}")
            os.replace(tmp_path, path)
        except DataNotFoundError:
            tmp_path.unlink(missing_ok=True)
            raise
        except OSError as err:
            tmp_path.unlink(missing_ok=True)
            raise DataNotFoundError(
                f"cannot download {url} ({err}); set ZEROPARK_DATA_DIR to a folder that "
                f"holds {doc['dataset']}/") from err
    return target


def _urllib_fetch(url: str, target: Path) -> None:
    with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
        while block := response.read(1 << 20):
            out.write(block)
