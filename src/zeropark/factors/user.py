"""Import a user's own factors from CSV or Excel (.xlsx).

The file has the columns of the shipped ``factors/data/*.csv`` (the fields of
:class:`~zeropark.factors.library.Factor`, any order) and is validated the
same way. Errors name the file, the row as the user sees it in Excel or a
text editor (the header is row 1, the first factor row 2) and the field.

User factors add to the shipped library; an identifier that is already
shipped is refused ("user factors never overwrite shipped ones"). Pass the
result to :class:`zeropark.factors.catalog.FactorLibrary`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from zeropark.errors import InputError
from zeropark.factors.library import _FIELDS, Factor, _parse_row, all_factors

__all__ = ["load_user_factors"]


def _cell_text(value: object, field: str) -> str:
    """Excel cell → the text a CSV would hold (years as integers, no ``2023.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and field == "data_year" and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    # utf-8-sig: Excel's "CSV UTF-8" export starts with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from enumerate(csv.reader(handle), start=1)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises zipfile/KeyError/InvalidFileException
        raise InputError(f"not a readable .xlsx workbook ({err})", path=str(path)) from err
    try:
        sheet = book.worksheets[0]
        header: list[str] = []
        for rownum, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if rownum == 1:
                header = [_cell_text(v, "").strip() for v in values]
                yield rownum, header
                continue
            cells = [
                _cell_text(v, header[i] if i < len(header) else "") for i, v in enumerate(values)
            ]
            yield rownum, cells
    finally:
        book.close()


def load_user_factors(path: str | Path) -> tuple[Factor, ...]:
    r"""Read and validate a user factor file (``.csv`` UTF-8 or ``.xlsx``, first sheet).

    Parameters
    ----------
    path : str or pathlib.Path
        File whose first row is the header: exactly the :class:`Factor` field
        names, any order. Blank rows are skipped.

    Returns
    -------
    tuple of Factor
        The factors in file order.

    Raises
    ------
    zeropark.errors.InputError
        Naming the file, the row (``"row 3"`` = third line of the file,
        header = row 1) and the field, if the header is wrong, a value does not
        parse (number, unit, gas, year), a provenance field is empty, an id is
        repeated, or an id is already shipped (user factors never overwrite
        shipped ones). Also for an unsupported file type.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zeropark.factors.library import _FIELDS
    >>> row = dict(factor_id="site_boiler_gas_ef", kind="fuel_ef", value="2.1",
    ...            unit="kg/m**3", gas="CO2", region="CN-JS", data_year="2024",
    ...            source="supplier lab report 2024-031", table="p. 2", edition="2024",
    ...            licence="own data", notes="not verified: supplier value", fuel="natural_gas")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp) / "mine.csv"
    ...     _ = p.write_text(",".join(_FIELDS) + "\n" + ",".join(row[k] for k in _FIELDS) + "\n")
    ...     [f.factor_id for f in load_user_factors(p)]
    ['site_boiler_gas_ef']
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix == ".xlsx":
        rows = _xlsx_rows(path)
    else:
        raise InputError(
            f"unsupported file type {suffix or '(none)'!r}; use .csv (UTF-8) or .xlsx",
            path=str(path),
        )
    shipped = {f.factor_id for f in all_factors()}
    seen: dict[str, int] = {}
    out: list[Factor] = []
    header: list[str] = []
    for rownum, cells in rows:
        if rownum == 1:
            header = [c.strip() for c in cells]
            missing = sorted(set(_FIELDS) - set(header))
            extra = sorted({h for h in header if h} - set(_FIELDS))
            if missing or extra:
                raise InputError(
                    f"header must hold the Factor fields; missing {missing}, unexpected {extra}",
                    path=str(path),
                    location="row 1 (header)",
                )
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            raise InputError(
                f"expected {len(header)} columns, as in the header",
                path=str(path),
                location=f"row {rownum}",
            )
        record = dict.fromkeys(_FIELDS, "")
        record.update({h: c for h, c in zip(header, cells, strict=False) if h})
        factor = _parse_row(record, path=path, rownum=rownum)
        problem = None
        if factor.factor_id in shipped:
            problem = "is a shipped factor id; user factors never overwrite shipped ones"
        elif factor.factor_id in seen:
            problem = f"is repeated (first in row {seen[factor.factor_id]})"
        if problem:
            raise InputError(
                f"factor_id {factor.factor_id!r} {problem}",
                path=str(path),
                location=f"row {rownum}",
                field="factor_id",
            )
        seen[factor.factor_id] = rownum
        out.append(factor)
    if not header:
        raise InputError("file is empty; expected a header row", path=str(path))
    return tuple(out)
