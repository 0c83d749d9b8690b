"""Demo park from the University of Cambridge estates building energy archive.

Source: M. Langtry and R. Choudhary, *Cambridge University Estates building
energy usage archive*, version 2.1, 2024, doi:10.5281/zenodo.10955332 (MIT),
repository EECi/Cambridge-Estates-Building-Energy-Archive at commit 97b8a6b.
Hourly electricity and gas (kWh) of 29 anonymised buildings, 2021–2022,
timestamps in UTC; floor areas (GIA); GB grid hourly carbon intensity (National
Grid ESO). A university estate stands in for an industrial park: one owner
(one enterprise), 29 buildings, two meters each.

Reading conventions (documented in the README):

- each hourly value is the energy of the hour *starting* at its timestamp
  (the upstream hourly aggregation of half-hourly data labels hours by start);
- upstream replaced missing readings with 0. Electricity meters use
  ``zero_policy = "gap"`` (an occupied building's whole-building meter never
  reads exactly 0.0 kWh in an hour: every zero is missing data, filled from the
  meter's own profile and flagged estimated); gas meters use
  ``zero_policy = "flag"`` (heating may be off: zeros stay measured, runs of
  24 h or more are flagged ``zero_run_undecided``);
- gas kWh are on gross calorific value (UK metering practice).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from zeropark.demo.datasets import locate_dataset, manifest
from zeropark.errors import InputError
from zeropark.ingest.files import FileMetadata, file_sha256
from zeropark.ingest.load import IngestReport, ingest_files
from zeropark.model import Park, parse_park
from zeropark.settings import Settings
from zeropark.store.base import TimeseriesStore

PARK_ID = "cambridge-estate"
YEARS = (2021, 2022)
_BUILDINGS = Path("building_data/processed_data")
_GRID = Path("aux_data/NationalGridESO Carbon Intensity Data/processed_data")
_MEDIA = {"electricity": ("elec", "electricity", "gap", ""),
          "gas": ("gas", "natural_gas", "flag", 'calorific_basis = "gross"\n')}
SOURCES = (
    "Building meters: Langtry & Choudhary, Cambridge University Estates building energy "
    "usage archive v2.1, doi 10.5281/zenodo.10955332 (MIT)",
    "GB grid carbon intensity: National Grid ESO historic generation mix, via the same archive",
)


def data_root(settings: Settings | None = None) -> Path:
    """Folder of the Cambridge data (local copy under ZEROPARK_DATA_DIR, or downloaded)."""
    settings = settings or Settings()
    return locate_dataset(manifest("cambridge"), data_dir=settings.data_dir,
                          cache_dir=settings.cache_dir)


def park_toml(root: Path) -> str:
    """Park description (TOML) of the demo estate built from the archive's folders.

    Parameters
    ----------
    root : pathlib.Path
        Data-set folder (see :func:`data_root`).

    Returns
    -------
    str
        TOML text for :func:`zeropark.model.parse_park`.
    """
    areas = pd.read_csv(root / _BUILDINGS / "building_floor_roof_areas.csv")
    area = dict(zip(areas["Building ID"].astype(str), areas["GIA (m2)"], strict=True))
    buildings = sorted((p.name.removeprefix("UCam_Building_") for p in
                        (root / _BUILDINGS).glob("UCam_Building_b*")),
                       key=lambda b: int(b[1:]))
    out = [
        "# Demo park generated from the Cambridge University Estates archive",
        "# (doi 10.5281/zenodo.10955332, MIT). A university estate stands in for a park.",
        "[park]", f'id = "{PARK_ID}"', 'name = "University of Cambridge estate (demo)"',
        'timezone = "Europe/London"', "latitude = 52.205", "longitude = 0.119", "",
        "[[enterprises]]", 'id = "ucam"', 'name = "University of Cambridge Estates"',
        'industry = "education"', "",
        "[settings]",
        "# Location-based electricity: the GB grid's hourly carbon intensity (the real grid",
        "# of these buildings). Override with a factor-library id, e.g. cn_grid_mee_2023_east.",
        "grid_intensity_files = [" + ", ".join(
            f'"{(root / _GRID / f"{y}.csv").as_posix()}"' for y in YEARS) + "]",
        'grid_intensity_name = "GB grid hourly carbon intensity (National Grid ESO)"',
        f'grid_intensity_source = "{SOURCES[1]}"',
        'tce_method = "calorific"', "",
    ]
    for b in buildings:
        out += ["[[buildings]]", f'id = "{b}"', f'name = "Building {b}"',
                'enterprise = "ucam"', f"floor_area_m2 = {float(area[b])}", ""]
        for folder, (suffix, medium, policy, extra) in _MEDIA.items():
            if (root / _BUILDINGS / f"UCam_Building_{b}" / folder).is_dir():
                out += ["[[meters]]", f'id = "{b}-{suffix}"', f'medium = "{medium}"',
                        'unit = "kWh"', 'kind = "total"', f'building = "{b}"',
                        'resolution = "1h"', f'zero_policy = "{policy}"', extra]
    return "\n".join(out) + "\n"


def read_archive_csv(path: Path, meter_id: str) -> tuple[pd.DataFrame, FileMetadata]:
    """One archive CSV (``datetime,<load> [kWh]``, UTC) as reader frame for ingest.

    Raises
    ------
    InputError
        If the file lacks the two columns or holds a non-numeric value.
    """
    raw = pd.read_csv(path)
    if raw.shape[1] != 2 or raw.columns[0] != "datetime":
        raise InputError("expected columns 'datetime' and one load column", path=str(path),
                         location="header")
    values = pd.to_numeric(raw.iloc[:, 1], errors="coerce")
    if values.isna().any():
        row = int(values.isna().to_numpy().argmax()) + 2
        raise InputError("not a number", path=str(path), location=f"row {row}",
                         field=str(raw.columns[1]))
    frame = pd.DataFrame({
        "meter_id": meter_id,
        "ts": pd.to_datetime(raw["datetime"], format="%Y-%m-%d %H:%M:%S", utc=True),
        "value": values.astype("float64"), "value_raw": values.astype("float64"),
        "unit_raw": "kWh", "source": str(path), "source_row": range(2, len(raw) + 2),
    })
    meta = FileMetadata(str(path), file_sha256(path), "archive", len(raw), 0, (meter_id,))
    return frame, meta


def archive_files(root: Path, park: Park) -> list[tuple[Path, str]]:
    """(file, meter id) of every archive CSV for the park's meters and :data:`YEARS`."""
    out = []
    for meter in park.meters:
        building, suffix = meter.meter_id.split("-")
        folder = next(k for k, v in _MEDIA.items() if v[0] == suffix)
        for year in YEARS:
            path = root / _BUILDINGS / f"UCam_Building_{building}" / folder / f"{year}.csv"
            if path.is_file():
                out.append((path, meter.meter_id))
    return out


def load_demo(store: TimeseriesStore, root: Path, *, park_file: Path | None = None,
              progress: Callable[[int], None] | None = None) -> tuple[Park, IngestReport]:
    """Build the demo park and load its meter files into `store` (idempotent).

    Parameters
    ----------
    store : TimeseriesStore
    root : pathlib.Path
        Data-set folder.
    park_file : pathlib.Path, optional
        Where to write the generated park description (for users to read).
    progress : callable, optional
        Called with 1 per file.

    Returns
    -------
    park : Park
    report : IngestReport
    """
    text = park_toml(root)
    source = "<cambridge demo park>"
    if park_file is not None:
        park_file.parent.mkdir(parents=True, exist_ok=True)
        park_file.write_text(text, encoding="utf-8")
        source = str(park_file)
    park = parse_park(text, source=source)
    files = archive_files(root, park)
    meter_of = dict(files)
    report = ingest_files(store, park, [p for p, _ in files],
                          reader=lambda p: read_archive_csv(p, meter_of[p]), progress=progress)
    return park, report


def grid_intensity(root: Path) -> pd.Series:
    """GB grid hourly carbon intensity for :data:`YEARS`.

    Returns
    -------
    pandas.Series
        kg CO2/kWh on a tz-aware UTC DatetimeIndex of hour starts. [kg CO2/kWh]
    """
    parts = []
    for year in YEARS:
        raw = pd.read_csv(root / _GRID / f"{year}.csv")
        parts.append(pd.Series(
            pd.to_numeric(raw.iloc[:, 1], errors="raise").to_numpy(dtype="float64"),
            index=pd.to_datetime(raw["datetime"], format="%Y-%m-%d %H:%M:%S", utc=True)))
    series = pd.concat(parts)
    return series[~series.index.duplicated()].sort_index()
