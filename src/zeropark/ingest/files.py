"""Read meter readings from CSV and Parquet files.

Two layouts are accepted:

long
    one row per reading with columns ``meter_id``, ``timestamp``, ``value`` and
    optionally ``unit`` (aliases: ``meter``; ``ts``, ``time``, ``datetime``).
wide
    a timestamp column and one column per meter id.

Values are converted from the row's ``unit`` (or the meter's configured unit)
to the canonical unit with pint. Timestamps with an offset are taken as
given; naive timestamps are interpreted in a stated zone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from zeropark.errors import InputError, UnitError
from zeropark.model import Park
from zeropark.units import Quantity, conversion_factor

_METER_ALIASES = ("meter_id", "meter")
#: Cell texts that mean "no reading" (compared lower-case): skipped like an empty cell.
_NO_READING = ("", "nan", "na", "n/a", "null", "none", "-")
_TIME_ALIASES = ("timestamp", "ts", "time", "datetime")


@dataclass(frozen=True, slots=True)
class FileMetadata:
    """What :func:`read_meter_file` found in a file."""

    path: str
    sha256: str
    layout: str
    n_rows: int
    n_blank: int
    meter_ids: tuple[str, ...]


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes (re-loading the same file is a no-op).

    Raises
    ------
    InputError
        If the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as err:
        raise InputError(f"cannot read file: {err.strerror}", path=str(path)) from err
    return digest.hexdigest()


def read_meter_file(
    path: str | Path, park: Park, *, tz: str | None = None, layout: str | None = None
) -> tuple[pd.DataFrame, FileMetadata]:
    """Read a CSV or Parquet file of meter readings.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv`` (UTF-8, comma separated) or ``.parquet`` file.
    park : Park
        Park whose meters the file refers to (ids and units).
    tz : str, optional
        IANA zone for naive timestamps; default the park's zone. Timestamps
        that carry an offset ignore it.
    layout : {"long", "wide"}, optional
        Default: ``long`` when the file has a meter column, else ``wide``.

    Returns
    -------
    frame : pandas.DataFrame
        One row per reading: ``meter_id``, ``ts`` (tz-aware UTC), ``value``
        (canonical unit), ``value_raw``, ``unit_raw``, ``source``, ``source_row``
        (1-based line number in a CSV including its header, or 1-based row
        number in a Parquet file). Blank values are skipped (no reading).
    metadata : FileMetadata

    Raises
    ------
    InputError
        Naming the file, row and field: unknown meter, unparsable or missing
        timestamp, non-existent or ambiguous local time, non-numeric value,
        missing columns, unknown unit or a unit of the wrong quantity.
    """
    path = Path(path)
    source = str(path)
    zone = tz or park.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {zone!r}: use an IANA name such as "
                         "'Asia/Shanghai'", path=source, field="tz") from None
    raw = _read_table(path)
    first_row = 2 if path.suffix.lower() == ".csv" else 1
    columns = {c.strip().lower(): c for c in raw.columns}
    meter_col = next((columns[a] for a in _METER_ALIASES if a in columns), None)
    time_col = next((columns[a] for a in _TIME_ALIASES if a in columns), None)
    if time_col is None:
        hint = ("; the header contains ';': zeropark reads comma-separated files"
                if any(";" in str(c) for c in raw.columns) else "")
        raise InputError(f"no timestamp column (one of {', '.join(_TIME_ALIASES)}){hint}",
                         path=source, location="header")
    layout = layout or ("long" if meter_col is not None else "wide")
    raw = raw.assign(source_row=np.arange(first_row, first_row + len(raw)))
    if layout == "long":
        if meter_col is None or "value" not in columns:
            raise InputError("long layout needs columns meter_id, timestamp, value",
                             path=source, location="header")
        unit_col = columns.get("unit")
        long = pd.DataFrame({
            "meter_id": raw[meter_col].astype("string").str.strip(),
            "ts_raw": raw[time_col],
            "value_raw": raw[columns["value"]],
            "unit_raw": (raw[unit_col].astype("string").str.strip().replace("", pd.NA)
                         if unit_col else pd.NA),
            "source_row": raw["source_row"],
        })
    elif layout == "wide":
        value_cols = [c for c in raw.columns if c not in (time_col, "source_row")]
        long = raw.melt(id_vars=[time_col, "source_row"], value_vars=value_cols,
                        var_name="meter_id", value_name="value_raw")
        long = long.rename(columns={time_col: "ts_raw"}).assign(unit_raw=pd.NA)
        long["meter_id"] = long["meter_id"].astype("string").str.strip()
    else:
        raise InputError(f"unknown layout {layout!r}; expected 'long' or 'wide'", path=source)

    meters = park.meters_by_id()
    unknown = ~long["meter_id"].isin(list(meters))
    if unknown.any():
        row = long.loc[unknown].iloc[0]
        raise InputError(f"unknown meter {row['meter_id']!r} (not in park {park.park_id!r})",
                         path=source, location=f"row {row['source_row']}",
                         field=meter_col or str(row["meter_id"]))

    text = long["value_raw"].astype("string").str.strip().str.lower()
    blank = long["value_raw"].isna() | text.isin(list(_NO_READING)).fillna(False)
    n_blank = int(blank.sum())
    long = long.loc[~blank].reset_index(drop=True)
    values = pd.to_numeric(long["value_raw"], errors="coerce")
    bad = values.isna()
    if bad.any():
        row = long.loc[bad].iloc[0]
        raise InputError(f"value {row['value_raw']!r} is not a number", path=source,
                         location=f"row {row['source_row']}",
                         field="value" if layout == "long" else str(row["meter_id"]))
    long["value_raw"] = values.astype("float64")
    long["ts"] = _parse_times(long["ts_raw"], long["source_row"], zone, source, time_col)

    # Units: the row's unit, else the meter's configured unit.
    configured = long["meter_id"].map({k: m.unit for k, m in meters.items()})
    long["unit_raw"] = long["unit_raw"].fillna(configured).astype("string")
    factors = np.empty(len(long))
    for (meter_id, unit), index in long.groupby(["meter_id", "unit_raw"]).groups.items():
        meter = meters[str(meter_id)]
        quantity = Quantity.ENERGY if meter.quantity == Quantity.POWER and unit.endswith(
            "h") else meter.quantity
        try:
            factors[long.index.get_indexer(index)] = conversion_factor(str(unit), quantity)
        except UnitError as err:
            first = long.loc[index[0], "source_row"]
            raise UnitError(f"meter {meter_id!r}: {err.message}", path=source,
                            location=f"row {first}", field="unit") from err
    long["value"] = long["value_raw"].to_numpy() * factors
    long["source"] = source
    frame = long[["meter_id", "ts", "value", "value_raw", "unit_raw", "source",
                  "source_row"]].reset_index(drop=True)
    frame["meter_id"] = frame["meter_id"].astype(str)
    frame["unit_raw"] = frame["unit_raw"].astype(str)
    meta = FileMetadata(source, file_sha256(path), layout, len(raw), n_blank,
                        tuple(sorted(frame["meter_id"].unique())))
    return frame, meta


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except FileNotFoundError as err:
        raise InputError("file not found", path=str(path)) from err
    except UnicodeDecodeError as err:
        raise InputError("not a UTF-8 text CSV file", path=str(path)) from err
    except pd.errors.EmptyDataError as err:
        raise InputError("the file is empty", path=str(path)) from err
    except pd.errors.ParserError as err:
        raise InputError(f"not a well-formed CSV file ({err})", path=str(path)) from err
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read file: {err}", path=str(path)) from err
    raise InputError(f"unsupported file type {suffix!r}; use .csv or .parquet", path=str(path))


def _parse_times(raw: pd.Series, rows: pd.Series, zone: str, source: str,
                 field: str) -> pd.Series:
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        return _localize(raw, rows, zone, source, field)
    text = raw.astype("string").str.strip()
    has_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).fillna(False)
    if has_offset.any() and not has_offset.all():
        i = has_offset[~has_offset].index[0]
        raise InputError("timestamps mix values with and without UTC offset", path=source,
                         location=f"row {rows[i]}", field=field)
    with_offset = bool(has_offset.all())
    # Offsets may differ row to row (e.g. across a DST change): parse to UTC directly.
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=with_offset)
    if parsed.isna().any():
        # Odd but valid formats: parse row by row before giving up.
        parsed = pd.Series([_one_time(t, with_offset) for t in text], index=text.index,
                           dtype=object)
    bad = parsed.isna()
    if bad.any():
        i = bad[bad].index[0]
        raise InputError(f"cannot parse timestamp {text[i]!r}", path=source,
                         location=f"row {rows[i]}", field=field)
    if with_offset:
        return pd.to_datetime(parsed, utc=True).astype("datetime64[ns, UTC]")
    return _localize(pd.to_datetime(parsed), rows, zone, source, field)


def _one_time(text: object, utc: bool) -> pd.Timestamp | None:
    try:
        stamp = pd.Timestamp(str(text))
    except (ValueError, TypeError):
        return None
    if utc and stamp.tzinfo is not None:
        return stamp.tz_convert("UTC")
    return None if utc or stamp.tzinfo is not None else stamp


def _localize(naive: pd.Series, rows: pd.Series, zone: str, source: str,
              field: str) -> pd.Series:
    local = naive.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    bad = local.isna() & naive.notna()
    if bad.any():
        i = bad[bad].index[0]
        raise InputError(
            f"local time {naive[i]} does not exist or is ambiguous in {zone} "
            "(daylight-saving change): give timestamps with a UTC offset",
            path=source, location=f"row {rows[i]}", field=field,
        )
    return local.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
