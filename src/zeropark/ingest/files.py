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

The reader is columnar (pyarrow): text columns are dictionary-encoded, so meter
ids, units and timestamp texts are checked and parsed once per *distinct*
value and mapped back to the rows with integer codes; numeric cells are never
turned into text. Unit factors are computed once per (meter, unit) pair.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from zeropark.errors import InputError, UnitError
from zeropark.model import Meter, Park
from zeropark.units import Quantity, conversion_factor

_METER_ALIASES = ("meter_id", "meter")
#: Cell texts that mean "no reading" (compared lower-case): skipped like an empty cell.
_NO_READING = ("", "nan", "na", "n/a", "null", "none", "-")
_TIME_ALIASES = ("timestamp", "ts", "time", "datetime")
_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"
#: Nanoseconds per unit of an Arrow timestamp.
_NS_PER = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_NS_MAX = np.iinfo(np.int64).max
#: The instants a ``datetime64[ns]`` can hold (about 1677-09-21 to 2262-04-11).
_TS_MIN = pd.Timestamp.min.tz_localize("UTC")
_TS_MAX = pd.Timestamp.max.tz_localize("UTC")


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
    r"""Read a CSV or Parquet file of meter readings.

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
        One row per reading, in file order (a wide file meter by meter):
        ``meter_id`` (categorical of str), ``ts`` (``datetime64[ns, UTC]``),
        ``value`` (canonical unit, float64), ``value_raw`` (float64, file unit),
        ``unit_raw`` (categorical of str: the row's unit, else the meter's),
        ``source`` (categorical of str: the path), ``source_row`` (int64:
        1-based line number in a CSV including its header, or 1-based row
        number in a Parquet file). Blank values are skipped (no reading).
    metadata : FileMetadata

    Raises
    ------
    InputError
        Naming the file, row and field: unknown meter, unparsable or missing
        timestamp, non-existent or ambiguous local time, non-numeric value,
        missing columns, unknown unit or a unit of the wrong quantity.

    Examples
    --------
    >>> import tempfile
    >>> from zeropark.model import parse_park
    >>> park = parse_park('[park]\nid = "p"\nname = "P"\ntimezone = "UTC"\n'
    ...                   '[[meters]]\nid = "e1"\nmedium = "electricity"\n'
    ...                   'unit = "kWh"\nkind = "total"\n')
    >>> path = Path(tempfile.mkdtemp()) / "r.csv"
    >>> _ = path.write_text("meter_id,timestamp,value,unit\ne1,2024-01-01 00:00,1500,Wh\n")
    >>> frame, meta = read_meter_file(path, park)
    >>> frame[["meter_id", "value", "unit_raw", "source_row"]].to_dict("records")
    [{'meter_id': 'e1', 'value': 1.5, 'unit_raw': 'Wh', 'source_row': 2}]
    """
    try:
        return _read_meter_file(Path(path), park, tz=tz, layout=layout)
    except (pa.ArrowException, TypeError, OverflowError) as err:
        # Column types or values the readers cannot handle (nested lists, odd offsets):
        # still an error naming the file, not a traceback.
        raise InputError(f"cannot read the readings: {err}", path=str(path)) from err


def _read_meter_file(path: Path, park: Park, *, tz: str | None, layout: str | None
                     ) -> tuple[pd.DataFrame, FileMetadata]:
    path = Path(path)
    source = str(path)
    zone = tz or park.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {zone!r}: use an IANA name such as "
                         "'Asia/Shanghai'", path=source, field="tz") from None
    is_csv = _file_kind(path) == "csv"
    names = _csv_names(path) if is_csv else _parquet_names(path)
    first_row = 2 if is_csv else 1
    columns = {c.strip().lower(): c for c in names}
    meter_col = next((columns[a] for a in _METER_ALIASES if a in columns), None)
    time_col = next((columns[a] for a in _TIME_ALIASES if a in columns), None)
    if time_col is None:
        hint = ("; the header contains ';': zeropark reads comma-separated files"
                if any(";" in c for c in names) else "")
        raise InputError(f"no timestamp column (one of {', '.join(_TIME_ALIASES)}){hint}",
                         path=source, location="header")
    layout = layout or ("long" if meter_col is not None else "wide")
    if layout == "long" and (meter_col is None or "value" not in columns):
        raise InputError("long layout needs columns meter_id, timestamp, value",
                         path=source, location="header")
    if layout not in ("long", "wide"):
        raise InputError(f"unknown layout {layout!r}; expected 'long' or 'wide'", path=source)
    unit_col = columns.get("unit") if layout == "long" else None
    if is_csv:
        table = _read_csv(path, names)
    else:
        text_cols = [c for c in (meter_col, time_col, unit_col) if c is not None]
        table = _read_parquet(path, names, text_cols)

    if meter_col is not None and layout == "long":
        meter_names, meter_codes = _categories(table[meter_col])
        value_cols, table_row = [columns["value"]], None
    else:
        value_cols = [c for c in names if c != time_col]
        meter_names, meter_codes, table_row = _wide_meters(value_cols, table.num_rows)
    meters = park.meters_by_id()
    _check_meters(meter_names, meter_codes, meters, park.park_id, source=source,
                  first_row=first_row, table_row=table_row, field=meter_col)
    value_raw, blank = _values(table, value_cols, source=source, first_row=first_row,
                               is_csv=is_csv, fields=["value"] if layout == "long"
                               else [c.strip() for c in value_cols])
    n_blank = int(blank.sum())
    keep = np.flatnonzero(~blank) if n_blank else None
    rows = _Rows(_take(table_row, keep) if table_row is not None else keep, first_row, source)
    ts_ns = _timestamps(table[time_col], rows.at(time_col), zone)
    meter_codes = _take(meter_codes, keep)
    value_raw = _take(value_raw, keep)
    unit_names, unit_codes, factors = _units(
        meter_names, meter_codes, meters,
        None if unit_col is None else _categories(table[unit_col]), keep, rows.at("unit"))
    frame = pd.DataFrame({
        "meter_id": _categorical(meter_codes, meter_names),
        "ts": pd.Series(rows.take(ts_ns).view("M8[ns]")).dt.tz_localize("UTC"),
        "value": value_raw * factors,
        "value_raw": value_raw,
        "unit_raw": _categorical(unit_codes, unit_names),
        "source": pd.Categorical.from_codes(np.zeros(len(value_raw), np.int8),
                                            categories=pd.Index([source], dtype=str)),
        "source_row": first_row + (np.arange(table.num_rows) if rows.order is None
                                   else rows.order),
    }, copy=False)  # every array above is new: nothing is shared with the Arrow table
    meta = FileMetadata(source, file_sha256(path), layout, table.num_rows, n_blank,
                        tuple(sorted(frame["meter_id"].cat.categories)))
    return frame, meta


def _wide_meters(value_cols: list[str], n_rows: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Meter ids of a wide file's columns; meter code and table row of each cell, by column."""
    codes, uniques = pd.factorize(pd.Series([c.strip() for c in value_cols], dtype=str))
    table_row = np.tile(np.arange(n_rows, dtype=np.int64), len(value_cols))
    return [str(u) for u in uniques], np.repeat(codes.astype(np.int64), n_rows), table_row


def _check_meters(meter_names: list[str], meter_codes: np.ndarray, meters: dict[str, Meter],
                  park_id: str, *, source: str, first_row: int,
                  table_row: np.ndarray | None, field: str | None) -> None:
    """Raise at the first cell (blank or not) whose meter is not in the park."""
    known = np.array([m in meters for m in meter_names] + [False])  # [-1]: no meter id
    if known[:-1].all() and not (meter_codes < 0).any():
        return
    unknown = ~known[meter_codes]
    if unknown.any():
        k = int(np.argmax(unknown))
        code = int(meter_codes[k])
        raise InputError(f"unknown meter {meter_names[code]!r} (not in park {park_id!r})"
                         if code >= 0 else "missing meter id", path=source,
                         location=f"row {first_row + _at(table_row, k)}",
                         field=field or meter_names[code])


def _values(table: pa.Table, value_cols: list[str], *, source: str, first_row: int,
            is_csv: bool, fields: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Values [file unit] and blank mask of every cell of `value_cols`, column by column.

    Raises at the first cell that is neither a number nor blank.
    """
    parts = [_numbers(table[c]) for c in value_cols]
    for j, (_, _, bad) in enumerate(parts):
        if bad is not None and bad.any():
            row = int(np.argmax(bad))
            text = table[value_cols[j]][row].as_py()
            shown = text.lstrip(" ") if is_csv else text  # as pandas' skipinitialspace
            raise InputError(f"value {shown!r} is not a number", path=source,
                             location=f"row {first_row + row}", field=fields[j])
    # np.concatenate copies: the values never share memory with the Arrow table.
    return (np.concatenate([p[0] for p in parts] or [np.empty(0)]),
            np.concatenate([p[1] for p in parts] or [np.empty(0, bool)]))


@dataclass(frozen=True, slots=True)
class _Rows:
    """The table rows that hold readings, in file order (a wide file meter by meter).

    ``order`` is None when every table row holds exactly one reading. Errors name
    the first of these rows at fault, as a person reading the file would meet it.
    """

    order: np.ndarray | None
    first_row: int
    source: str
    field: str = ""

    def at(self, field: str) -> _Rows:
        """The same rows, for errors about column `field`."""
        return _Rows(self.order, self.first_row, self.source, field)

    def take(self, per_row: np.ndarray) -> np.ndarray:
        """Values per table row → values per reading."""
        return _take(per_row, self.order)

    def error(self, fault: np.ndarray, message: str | Callable[[int], str],
              kind: type[InputError] = InputError) -> InputError:
        """Error at the first reading where `fault` (per reading) is true."""
        row = _at(self.order, int(np.argmax(fault)))
        return kind(message(row) if callable(message) else message, path=self.source,
                    location=f"row {self.first_row + row}", field=self.field)


# -- reading -------------------------------------------------------------------------------


def _file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise InputError(f"unsupported file type {suffix!r}; use .csv or .parquet", path=str(path))


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn the readers' exceptions into :class:`InputError` naming the file."""
    source = str(path)
    try:
        yield
    except FileNotFoundError as err:
        raise InputError("file not found", path=source) from err
    except UnicodeDecodeError as err:
        raise InputError("not a UTF-8 text CSV file", path=source) from err
    except pd.errors.EmptyDataError as err:
        raise InputError("the file is empty", path=source) from err
    except pd.errors.ParserError as err:
        raise InputError(f"not a well-formed CSV file ({err})", path=source) from err
    except pa.ArrowInvalid as err:
        text = str(err)
        if text.startswith("Empty CSV file"):
            raise InputError("the file is empty", path=source) from err
        if "invalid UTF8" in text:
            raise InputError("not a UTF-8 text CSV file", path=source) from err
        if "CSV parse error" in text:
            raise InputError(f"not a well-formed CSV file ({text})", path=source) from err
        raise InputError(f"cannot read file: {err}", path=source) from err
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read file: {err}", path=source) from err


def _csv_names(path: Path) -> list[str]:
    """Header of a CSV file, named as pandas names it (leading spaces, blanks, repeats)."""
    with _reading(path), pcsv.open_csv(
        str(path), parse_options=pcsv.ParseOptions(invalid_row_handler=lambda row: "skip"),
    ) as reader:
        raw = reader.schema.names
    names: list[str] = []
    for i, name in enumerate(raw):
        name = name.lstrip(" ") or f"Unnamed: {i}"  # pandas' skipinitialspace
        base, k = name, 0
        while name in names:
            k += 1
            name = f"{base}.{k}"
        names.append(name)
    return names


def _read_csv(path: Path, names: list[str]) -> pa.Table:
    """Every cell as text: an empty cell is ``""``, never missing (as pandas' ``dtype=str``)."""
    short: list[int] = []

    def on_invalid(row: pcsv.InvalidRow) -> str:
        if row.actual_columns < row.expected_columns:
            short.append(row.number or 0)
            return "skip"
        return "error"

    with _reading(path):
        table = pcsv.read_csv(
            str(path), read_options=pcsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pcsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False))
        if short:
            # Rows with missing trailing cells: pandas reads those cells as missing.
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
            table = pa.Table.from_pandas(raw, preserve_index=False).rename_columns(names)
    return table


def _parquet_names(path: Path) -> list[str]:
    """Columns of a Parquet file, without a stored pandas index."""
    with _reading(path):
        schema = pq.read_schema(path)
    index = (schema.pandas_metadata or {}).get("index_columns", [])
    return [n for n in schema.names if n not in index]


def _read_parquet(path: Path, names: list[str], text_cols: list[str]) -> pa.Table:
    """The columns `names`; text columns among `text_cols` read dictionary-encoded."""
    with _reading(path):
        schema = pq.read_schema(path)
        text = [c for c in text_cols if pa.types.is_string(schema.field(c).type)
                or pa.types.is_large_string(schema.field(c).type)]
        return pq.read_table(path, columns=names, read_dictionary=text or None)


# -- columns -------------------------------------------------------------------------------


def _encoded(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Codes into the column's distinct values, shape ``(n_rows,)`` (-1: missing cell)."""
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    array = column.combine_chunks()
    indices = array.indices if array.null_count == 0 else array.indices.fill_null(-1)
    return indices.to_numpy(zero_copy_only=False), array.dictionary


def _texts(dictionary: pa.Array) -> pd.Series:
    """Distinct values as pandas text (numbers as pandas writes them, e.g. ``"101"``)."""
    return pd.Series(dictionary.to_pandas()).astype("string")


def _categories(column: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """Distinct stripped texts of a column and their codes (-1: missing cell)."""
    codes, dictionary = _encoded(column)
    remap, uniques = pd.factorize(_texts(dictionary).str.strip())
    names = [str(u) for u in uniques]
    if len(names) == len(remap) and (remap == np.arange(len(remap))).all():
        return names, codes  # already distinct after stripping
    return names, np.append(remap, -1)[codes]  # [-1] keeps missing cells at -1


def _numbers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Values [file unit], blank mask and (text columns) mask of non-numbers, per cell."""
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = column.cast(pa.float64()).to_numpy()
        return values, np.isnan(values), None
    text = column if pa.types.is_string(kind) or pa.types.is_large_string(kind) \
        else column.cast(pa.string())
    try:
        values = text.cast(pa.float64()).to_numpy()
    except pa.ArrowInvalid:
        return _numbers_from_text(text)
    nan = np.isnan(values)
    if not nan.any():
        return values, nan, None
    # NaN: a missing cell, a "no reading" text such as "nan", or something like "-nan".
    where = np.flatnonzero(nan)
    cells = _texts(text.take(where).combine_chunks())
    is_blank = (cells.isna() | cells.str.strip().str.lower().isin(_NO_READING)).to_numpy(bool)
    blank = np.zeros(len(values), bool)
    blank[where[is_blank]] = True
    return values, blank, nan & ~blank


def _numbers_from_text(text: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`_numbers` for text with blanks or odd spacing: trim, mark blanks, parse."""
    trimmed = pc.utf8_trim_whitespace(text)
    marker = pc.is_in(pc.utf8_lower(trimmed), value_set=pa.array(_NO_READING))
    blank = marker.to_numpy(zero_copy_only=False) | _is_null(text)
    cells = trimmed.filter(pa.array(~blank))
    try:
        numbers = cells.cast(pa.float64()).to_numpy()
    except pa.ArrowInvalid:
        numbers = pd.to_numeric(cells.to_pandas(), errors="coerce").to_numpy(np.float64)
    values = np.full(len(blank), np.nan)
    values[~blank] = numbers
    return values, blank, ~blank & np.isnan(values)


def _categorical(codes: np.ndarray, names: list[str]) -> pd.Categorical[str]:
    """Categorical of the names that occur (unused categories dropped)."""
    used = np.bincount(codes, minlength=len(names)) > 0
    if not used.all():
        codes = (np.cumsum(used) - 1)[codes]
        names = [n for n, u in zip(names, used, strict=True) if u]
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=str),
                                     validate=False)


def _take(values: np.ndarray, index: np.ndarray | None) -> np.ndarray:
    return values if index is None else values[index]


def _at(table_row: np.ndarray | None, k: int) -> int:
    return k if table_row is None else int(table_row[k])


# -- timestamps ----------------------------------------------------------------------------


def _timestamps(column: pa.ChunkedArray, rows: _Rows, zone: str) -> np.ndarray:
    """Instants [ns since 1970-01-01 UTC] per table row, shape ``(n_rows,)``.

    Only the rows in `rows` are checked (a row whose cells are all blank is not read).
    """
    if pa.types.is_timestamp(column.type):
        if column.null_count and (missing := rows.take(_is_null(column))).any():
            raise rows.error(missing, "missing timestamp")
        scale = _NS_PER[column.type.unit]
        ticks = column.to_numpy().view(np.int64)
        if scale > 1 and (out := rows.take(np.abs(ticks) > _NS_MAX // scale)).any():
            raise rows.error(out, "timestamp out of range (years 1677 to 2262)")
        ns = np.asarray(ticks * scale, np.int64)  # a new array, also for scale 1
        if column.type.tz is not None:
            return ns
        codes, uniques = pd.factorize(ns)
        naive = pd.Series(uniques.view("M8[ns]"))
        return _utc(naive, codes, rows, zone)[codes]

    codes, dictionary = _encoded(column)
    used_codes = rows.take(codes)
    if (used_codes < 0).any():
        raise rows.error(used_codes < 0, "missing timestamp")
    text = _texts(dictionary).str.strip()
    used = np.flatnonzero(np.bincount(used_codes, minlength=len(text)))
    text = text.iloc[used]  # index: the codes
    has_offset = text.str.contains(_OFFSET, regex=True).fillna(False).to_numpy(bool)
    if has_offset.any() and not has_offset.all():
        without = np.ones(len(dictionary), bool)
        without[used[has_offset]] = False
        raise rows.error(without[used_codes], "timestamps mix values with and without UTC "
                         "offset")
    with_offset = bool(has_offset.all())
    # Offsets may differ row to row (e.g. across a DST change): parse to UTC directly.
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=with_offset)
    if parsed.isna().any():
        # Odd but valid formats: parse one by one before giving up.
        parsed = pd.Series([_one_time(t, with_offset) for t in text], index=text.index,
                           dtype=object)
    bad = parsed.isna().to_numpy(bool)
    if bad.any():
        fault = np.zeros(len(dictionary), bool)
        fault[used[bad]] = True
        raise rows.error(fault[used_codes], lambda row: (
            f"cannot parse timestamp {text.loc[int(codes[row])]!r}"))
    ns = np.zeros(len(dictionary), np.int64)
    if with_offset:
        ns[used] = _utc_ns(pd.to_datetime(parsed, utc=True), codes, rows)
    else:
        ns[used] = _utc(pd.to_datetime(parsed), codes, rows, zone)
    return np.asarray(ns[codes], np.int64)


def _is_null(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.is_null().to_numpy(zero_copy_only=False), bool)


def _utc(naive: pd.Series, codes: np.ndarray, rows: _Rows, zone: str) -> np.ndarray:
    """Distinct naive local times (index: their codes) → [ns since 1970-01-01 UTC]."""
    local = naive.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    bad = (local.isna() & naive.notna()).to_numpy(bool)
    if bad.any() and (fault := _fault(naive.index[bad], codes, rows)).any():
        raise rows.error(fault, lambda row: (
            f"local time {naive.loc[int(codes[row])]} does not exist or is ambiguous in "
            f"{zone} (daylight-saving change): give timestamps with a UTC offset"))
    return _utc_ns(local.dt.tz_convert("UTC"), codes, rows)


def _utc_ns(utc: pd.Series, codes: np.ndarray, rows: _Rows) -> np.ndarray:
    """Distinct tz-aware instants (index: their codes) → int64 [ns since 1970-01-01 UTC]."""
    out = ((utc < _TS_MIN) | (utc > _TS_MAX)).to_numpy(bool)
    if out.any() and (fault := _fault(utc.index[out], codes, rows)).any():
        raise rows.error(fault, "timestamp out of range (years 1677 to 2262)")
    return np.asarray(utc.dt.tz_convert(None).to_numpy("M8[ns]").view(np.int64), np.int64)


def _fault(bad_codes: pd.Index, codes: np.ndarray, rows: _Rows) -> np.ndarray:
    """Per reading, whether the code of its row is one of `bad_codes`."""
    fault = np.zeros(max(int(codes.max(initial=-1)), int(bad_codes.max())) + 1, bool)
    fault[bad_codes] = True
    return np.asarray(fault[rows.take(codes)], bool)


def _one_time(text: object, utc: bool) -> pd.Timestamp | None:
    try:
        stamp = pd.Timestamp(str(text))
    except (ValueError, TypeError):
        return None
    if utc and stamp.tzinfo is not None:
        return stamp.tz_convert("UTC")
    return None if utc or stamp.tzinfo is not None else stamp


# -- units ---------------------------------------------------------------------------------


def _units(
    meter_names: list[str], meter_codes: np.ndarray, meters: dict[str, Meter],
    given: tuple[list[str], np.ndarray] | None, keep: np.ndarray | None, rows: _Rows,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Unit of each reading (the row's, else the meter's) and its factor to canonical.

    Returns the distinct unit names, each reading's code into them and its factor
    [canonical unit / file unit], all per reading. A factor is computed once per
    (meter, unit) pair that occurs.
    """
    unit_names: list[str] = []
    index: dict[str, int] = {}

    def code(unit: str) -> int:
        if unit not in index:
            index[unit] = len(unit_names)
            unit_names.append(unit)
        return index[unit]

    # Meters of the file that hold no reading may be unknown to the park: code -1.
    configured = np.array([code(meters[m].unit) if m in meters else -1 for m in meter_names]
                          + [-1], np.int64)
    unit_codes = configured[meter_codes]
    if given is None:  # the meter's unit: one pair per meter
        pairs, n_units = meter_codes, 1
        units_of_pair = configured[:-1]
    else:
        names, codes = given
        row_units = np.array([code(u) if u else -1 for u in names] + [-1],
                             np.int64)[_take(codes, keep)]
        unit_codes = np.where(row_units >= 0, row_units, unit_codes)
        n_units = max(len(unit_names), 1)
        pairs = meter_codes.astype(np.int64) * n_units + unit_codes
        units_of_pair = np.tile(np.arange(n_units), len(meter_names))
    factors = np.ones(len(meter_names) * n_units)
    errors: dict[int, UnitError] = {}
    for pair in np.flatnonzero(np.bincount(pairs, minlength=len(factors))):
        meter, unit = meters[meter_names[pair // n_units]], unit_names[units_of_pair[pair]]
        quantity = (Quantity.ENERGY if meter.quantity == Quantity.POWER and unit.endswith("h")
                    else meter.quantity)
        try:
            factors[pair] = conversion_factor(unit, quantity)
        except UnitError as err:
            errors[int(pair)] = err
    if errors:
        fault = np.isin(pairs, list(errors))
        first = int(pairs[np.argmax(fault)])
        cause = errors[first]
        meter_id = meter_names[first // n_units]
        raise rows.error(fault, f"meter {meter_id!r}: {cause.message}", UnitError) from cause
    return unit_names, unit_codes, factors[pairs]
