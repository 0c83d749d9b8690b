"""Weather tables per site: from EPW/TMY/CSV files or an API adapter.

A *weather table* is a DataFrame on a tz-aware UTC DatetimeIndex of hour (or 15 min)
**starts**, each row the mean over its interval, with unit-suffixed columns (any subset):

=========================  =========  ==============================================
column                     unit       meaning (pvlib name)
=========================  =========  ==============================================
``temp_air_c``             °C         dry-bulb air temperature (``temp_air``)
``ghi_w_per_m2``           W/m²       global horizontal irradiance (``ghi``)
``dni_w_per_m2``           W/m²       direct normal irradiance (``dni``)
``dhi_w_per_m2``           W/m²       diffuse horizontal irradiance (``dhi``)
``wind_speed_m_per_s``     m/s        wind speed at 10 m (``wind_speed``)
``relative_humidity_pct``  %          relative humidity (``relative_humidity``)
=========================  =========  ==============================================

File readers follow pvlib: ``read_*`` returns ``(frame, metadata)``. Network sources sit
behind :class:`WeatherSource` (a Protocol) so tests use a fake and never the network.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from zeropark.errors import InputError

#: Weather-table column → pvlib ModelChain weather column.
PVLIB_NAMES: dict[str, str] = {
    "temp_air_c": "temp_air", "ghi_w_per_m2": "ghi", "dni_w_per_m2": "dni",
    "dhi_w_per_m2": "dhi", "wind_speed_m_per_s": "wind_speed",
    "relative_humidity_pct": "relative_humidity",
}
COLUMNS = tuple(PVLIB_NAMES)


def to_pvlib(weather: pd.DataFrame) -> pd.DataFrame:
    """Rename a weather table to pvlib's column names (``ghi``, ``temp_air`` …).

    Examples
    --------
    >>> w = pd.DataFrame({"ghi_w_per_m2": [500.0], "temp_air_c": [20.0]})
    >>> list(to_pvlib(w).columns)
    ['ghi', 'temp_air']
    """
    return weather.rename(columns=PVLIB_NAMES)[[PVLIB_NAMES[c] for c in weather.columns
                                                 if c in PVLIB_NAMES]]


def from_pvlib(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep pvlib-named weather columns and give them the unit-suffixed names."""
    back = {v: k for k, v in PVLIB_NAMES.items()}
    return frame[[c for c in frame.columns if c in back]].rename(columns=back)


def _shift_to_starts(frame: pd.DataFrame, step: pd.Timedelta) -> pd.DataFrame:
    """Relabel end-stamped interval means (TMY, EPW) by their interval starts, in UTC."""
    out = frame.copy()
    out.index = pd.DatetimeIndex(frame.index).tz_convert("UTC") - step
    return out


def read_tmy3(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Weather table from a TMY3 file (NREL), read with :func:`pvlib.iotools.read_tmy3`.

    TMY3 values are means over the hour *ending* at the stamp (local standard time); they
    are relabelled to hour starts in UTC. The TMY "year" mixes months of several years.

    Returns
    -------
    frame : pandas.DataFrame
        Weather table (see module doc), 8,760 rows.
    metadata : dict
        Station metadata (``latitude``, ``longitude``, ``altitude`` [m], ``Name``…).

    Examples
    --------
    >>> import pvlib, os
    >>> w, meta = read_tmy3(os.path.join(pvlib.__path__[0], "data", "723170TYA.CSV"))
    >>> len(w), round(meta["latitude"], 2), w.index[0].isoformat()
    (8760, 36.1, '1988-01-01T05:00:00+00:00')
    """
    from pvlib.iotools import read_tmy3 as _read

    data, meta = _read(str(path), map_variables=True)
    return _shift_to_starts(from_pvlib(data), pd.Timedelta(hours=1)), dict(meta)


def read_epw(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Weather table from an EnergyPlus weather file, read with :func:`pvlib.iotools.read_epw`.

    EPW values are means over the hour ending at the stamp; relabelled to hour starts (UTC).
    Returns ``(frame, metadata)`` like :func:`read_tmy3`.
    """
    from pvlib.iotools import read_epw as _read

    data, meta = _read(str(path))
    return _shift_to_starts(from_pvlib(data), pd.Timedelta(hours=1)), dict(meta)


def read_weather_csv(path: str | Path, *, columns: Mapping[str, str], time_column: str,
                     timezone: str = "UTC", label: str = "start",
                     step: pd.Timedelta | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Weather table from any CSV with a time column.

    Parameters
    ----------
    path : str or pathlib.Path
    columns : mapping
        CSV column → weather-table column (one of :data:`COLUMNS`), values already in the
        table's units.
    time_column : str
        Column of timestamps (naive ones are in `timezone`).
    timezone : str
        IANA zone of naive timestamps.
    label : {"start", "end"}
        Whether a stamp is the start or the end of the interval its values average.
    step : pandas.Timedelta, optional
        Interval length; default the median spacing.

    Raises
    ------
    InputError
        Unknown target column, missing CSV column or non-numeric values.
    """
    for target in columns.values():
        if target not in COLUMNS:
            raise InputError(f"unknown weather column {target!r}; expected one of "
                             f"{', '.join(COLUMNS)}", path=str(path), field=target)
    raw = pd.read_csv(path)
    missing = [c for c in [time_column, *columns] if c not in raw.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", path=str(path),
                         location="header")
    index = pd.DatetimeIndex(pd.to_datetime(raw[time_column]))
    index = (index.tz_localize(timezone) if index.tz is None else index).tz_convert("UTC")
    frame = raw[list(columns)].rename(columns=dict(columns)).apply(pd.to_numeric,
                                                                   errors="coerce")
    frame.index = index
    if label == "end":
        spacing = step or pd.Timedelta(int(np.median(np.diff(index.as_unit("ns").asi8))),
                                       unit="ns")
        frame = _shift_to_starts(frame, spacing)
    return frame.sort_index(), {"source": str(path)}


#: Met Office MIDAS station Bedford (id 3560) as processed in the Cambridge estates archive.
BEDFORD_LOCATION = {"latitude": 52.227, "longitude": -0.465, "altitude": 85.0,
                    "name": "Bedford (Met Office MIDAS 3560)"}


def read_metoffice_archive(folder: str | Path, years: Sequence[int]
                           ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Bedford hourly weather of the Cambridge estates archive (one CSV per year).

    Columns ``air_temperature [degC]``, ``rltv_hum [%]``, ``glbl_irad_amt [W/m2]``, UTC
    stamps. Met Office MIDAS hourly global irradiation is the amount over the hour
    *ending* at the stamp: it is relabelled to hour starts; temperature and humidity are
    spot values at the stamp and are kept at it (half an hour off the hour's mean, which
    is below the resolution of a building's thermal response). DNI and DHI are not
    measured: see :func:`complete_irradiance`.

    Source: Langtry & Choudhary, Cambridge University Estates building energy usage
    archive v2.1, doi 10.5281/zenodo.10955332 (MIT), folder
    ``aux_data/MetOffice Weather Data/processed_data/bedford``.

    Returns
    -------
    frame : pandas.DataFrame
        ``temp_air_c``, ``relative_humidity_pct``, ``ghi_w_per_m2``.
    metadata : dict
        :data:`BEDFORD_LOCATION` and the files read.
    """
    folder = Path(folder)
    parts = []
    for year in years:
        path = folder / f"{year}.csv"
        if not path.is_file():
            raise InputError("weather file not found", path=str(path))
        raw = pd.read_csv(path)
        index = pd.DatetimeIndex(pd.to_datetime(raw["datetime"], format="%Y-%m-%d %H:%M:%S",
                                                utc=True))
        parts.append(pd.DataFrame({
            "temp_air_c": raw["air_temperature [degC]"].to_numpy("float64"),
            "relative_humidity_pct": raw["rltv_hum [%]"].to_numpy("float64"),
            "ghi_w_per_m2": raw["glbl_irad_amt [W/m2]"].to_numpy("float64"),
        }, index=index))
    frame = pd.concat(parts)
    frame = frame[~frame.index.duplicated()].sort_index()
    ghi = frame["ghi_w_per_m2"].shift(-1, freq="h").reindex(frame.index)
    frame["ghi_w_per_m2"] = ghi
    return frame, {**BEDFORD_LOCATION, "files": [str(folder / f"{y}.csv") for y in years]}


def complete_irradiance(weather: pd.DataFrame, *, latitude: float,
                        longitude: float) -> pd.DataFrame:
    """Add DNI and DHI decomposed from GHI (Erbs model) where they are missing.

    Parameters
    ----------
    weather : pandas.DataFrame
        Weather table with ``ghi_w_per_m2`` [W/m²] on hour starts.
    latitude, longitude : float
        Site. [degrees]

    Returns
    -------
    pandas.DataFrame
        A copy with ``dni_w_per_m2`` and ``dhi_w_per_m2`` [W/m²]; existing values are kept.

    Notes
    -----
    Erbs, Klein & Duffie (1982), Solar Energy 28(4):293-302, via
    :func:`pvlib.irradiance.erbs`; the sun position is taken at the middle of each interval.
    """
    import pvlib

    out = weather.copy()
    index = pd.DatetimeIndex(out.index)
    step = pd.Timedelta(hours=1)
    if len(index) > 1:
        step = pd.Timedelta(int(np.median(np.diff(index.as_unit("ns").asi8))), unit="ns")
    mid = index + step / 2
    solpos = pvlib.solarposition.get_solarposition(mid, latitude, longitude)
    ghi = out["ghi_w_per_m2"].clip(lower=0).to_numpy("float64")
    parts = pvlib.irradiance.erbs(ghi, solpos["zenith"].to_numpy(), mid.day_of_year)
    for col, key in (("dni_w_per_m2", "dni"), ("dhi_w_per_m2", "dhi")):
        new = np.asarray(parts[key], dtype="float64")
        out[col] = out[col].fillna(pd.Series(new, index=out.index)) if col in out else new
    return out


class WeatherSource(Protocol):
    """Anything that returns a weather table for a site and a UTC period (API adapters)."""

    def get_weather(self, latitude: float, longitude: float, start: pd.Timestamp,
                    end: pd.Timestamp) -> tuple[pd.DataFrame, dict[str, Any]]:
        """Weather table for [start, end) and metadata naming the source."""
        ...


@dataclass(frozen=True, slots=True)
class FileWeatherSource:
    """A weather table read once from a file, served for any period it covers."""

    weather: pd.DataFrame
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def get_weather(self, latitude: float, longitude: float, start: pd.Timestamp,
                    end: pd.Timestamp) -> tuple[pd.DataFrame, dict[str, Any]]:
        """Rows in [start, end); the site is the file's (latitude/longitude are ignored)."""
        index = pd.DatetimeIndex(self.weather.index)
        sel = (index >= pd.Timestamp(start)) & (index < pd.Timestamp(end))
        return self.weather.loc[sel], dict(self.metadata)


#: Open-Meteo hourly variable → weather-table column (https://open-meteo.com/en/docs).
OPEN_METEO_VARIABLES = {
    "temperature_2m": "temp_air_c", "shortwave_radiation": "ghi_w_per_m2",
    "direct_normal_irradiance": "dni_w_per_m2", "diffuse_radiation": "dhi_w_per_m2",
    "wind_speed_10m": "wind_speed_m_per_s", "relative_humidity_2m": "relative_humidity_pct",
}


def _fetch_json(url: str) -> Any:  # pragma: no cover - network
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


@dataclass(frozen=True, slots=True)
class OpenMeteoSource:
    """Adapter for the Open-Meteo forecast/archive API (hourly, UTC, wind in m/s).

    Open-Meteo radiation values are means over the *preceding* hour: they are relabelled
    to hour starts. `fetch` is injectable (tests pass a fake; no network in tests).
    """

    base_url: str = "https://api.open-meteo.com/v1/forecast"
    fetch: Callable[[str], Any] = _fetch_json

    def url(self, latitude: float, longitude: float, start: pd.Timestamp,
            end: pd.Timestamp) -> str:
        """Request URL for the site and the UTC dates covering [start, end)."""
        last = (pd.Timestamp(end) - pd.Timedelta(seconds=1)).strftime("%Y-%m-%d")
        return (f"{self.base_url}?latitude={latitude}&longitude={longitude}"
                f"&hourly={','.join(OPEN_METEO_VARIABLES)}&wind_speed_unit=ms&timezone=UTC"
                f"&start_date={pd.Timestamp(start).strftime('%Y-%m-%d')}&end_date={last}")

    def get_weather(self, latitude: float, longitude: float, start: pd.Timestamp,
                    end: pd.Timestamp) -> tuple[pd.DataFrame, dict[str, Any]]:
        """Weather table for [start, end) (see :class:`WeatherSource`)."""
        url = self.url(latitude, longitude, start, end)
        hourly = self.fetch(url)["hourly"]
        index = pd.DatetimeIndex(pd.to_datetime(hourly["time"])).tz_localize("UTC")
        frame = pd.DataFrame({col: pd.to_numeric(pd.Series(hourly[var]), errors="coerce")
                              .to_numpy("float64")
                              for var, col in OPEN_METEO_VARIABLES.items() if var in hourly},
                             index=index)
        frame = _shift_to_starts(frame, pd.Timedelta(hours=1))
        sel = (frame.index >= pd.Timestamp(start)) & (frame.index < pd.Timestamp(end))
        return frame.loc[sel], {"source": "Open-Meteo", "url": url}
