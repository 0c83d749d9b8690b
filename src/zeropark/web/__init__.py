"""Static dashboard of zeropark: one HTML page drawn with ECharts in the browser.

The page lives in ``static/`` (``index.html``, ``app.js``, ``i18n.js``,
``style.css``) and reads only the JSON of ``/api/v1``. ECharts is never loaded
from a CDN: the API server serves the file that :func:`echarts_js_path` finds at
``/vendor/echarts.min.js``, so the dashboard works offline.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["STATIC_DIR", "echarts_js_path"]

STATIC_DIR: Path = Path(__file__).resolve().parent / "static"
"""Folder of the dashboard's static files, served at ``/static/``."""

_ECHARTS_ENV = "ZEROPARK_ECHARTS_JS"
_ECHARTS_IN_NODE_MODULES = Path("node_modules", "echarts", "dist", "echarts.min.js")


def echarts_js_path() -> Path:
    """Find the ``echarts.min.js`` file that the dashboard loads.

    The candidates are tried in this order and the first that names an existing
    file wins:

    1. the path in the environment variable ``ZEROPARK_ECHARTS_JS``, if set;
    2. ``<repo root>/node_modules/echarts/dist/echarts.min.js``, installed by
       ``npm ci`` from the pinned ``package-lock.json`` (repo root = three folders
       above this file: ``src/zeropark/web`` → ``.``);
    3. ``static/vendor/echarts.min.js`` beside this file, where a wheel build
       copies it.

    Returns
    -------
    pathlib.Path
        Absolute path of an existing ``echarts.min.js``.

    Raises
    ------
    FileNotFoundError
        If no candidate exists (the message lists the places tried and says to
        run ``make demo`` or ``npm ci``), or if ``ZEROPARK_ECHARTS_JS`` is set
        but names no file: an explicit setting is never skipped silently.

    Examples
    --------
    >>> import os
    >>> os.environ["ZEROPARK_ECHARTS_JS"] = __file__
    >>> echarts_js_path().name
    '__init__.py'
    >>> del os.environ["ZEROPARK_ECHARTS_JS"]
    """
    override = os.environ.get(_ECHARTS_ENV)
    if override:
        path = Path(override).expanduser().resolve()
        if path.is_file():
            return path
        raise FileNotFoundError(f"{_ECHARTS_ENV}={override!r} names no file")

    here = Path(__file__).resolve().parent
    repo_root = here.parents[2]
    candidates = (
        repo_root / _ECHARTS_IN_NODE_MODULES,
        here / "static" / "vendor" / "echarts.min.js",
    )
    for path in candidates:
        if path.is_file():
            return path
    tried = ", ".join(str(path) for path in candidates)
    raise FileNotFoundError(
        f"echarts.min.js not found (tried {tried}); run `make demo` or `npm ci` at the repo "
        f"root, or set {_ECHARTS_ENV} to the file"
    )
