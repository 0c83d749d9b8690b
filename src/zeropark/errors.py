"""Error tree of zeropark.

Exceptions are for contract errors (bad input files, unknown names, a store that
cannot be written). Data-quality findings are never raised: they are
:class:`zeropark.issues.Issue` values.

Each subclass also subclasses the matching built-in error, so callers that
catch ``ValueError`` or ``KeyError`` keep working (the pattern of pint's
``errors.py``).
"""

from __future__ import annotations


class ParkError(Exception):
    """Base class of every error zeropark raises on purpose."""


class InputError(ParkError, ValueError):
    """Bad input in a file: names the file, the place (row, line or key) and the field.

    Parameters
    ----------
    message : str
        What is wrong.
    path : str, optional
        The file (or stream) that holds the bad input.
    location : str, optional
        Row number, line number or dotted key, e.g. ``"row 12"`` or ``"meters.m3.unit"``.
    field : str, optional
        Column or key name.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        location: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.location = location
        self.field = field

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                self.path,
                self.location,
                f"field {self.field!r}" if self.field else None,
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


class ParkModelError(InputError):
    """The park description (TOML) is invalid: unknown medium, cycle, missing meter, ..."""


class UnitError(InputError):
    """A unit is unknown or does not fit the meter's medium and quantity."""


class UnknownFactorError(ParkError, KeyError):
    """No emission or conversion factor matches the query.

    Parameters
    ----------
    factor_id : str
        The identifier or query that found nothing.
    """

    def __init__(self, factor_id: str) -> None:
        super().__init__(factor_id)
        self.factor_id = factor_id

    def __str__(self) -> str:
        return f"no factor {self.factor_id!r} in the factor library"


class StoreError(ParkError, RuntimeError):
    """The store cannot be opened, read or written."""


class DataNotFoundError(ParkError, FileNotFoundError):
    """A data set (e.g. the demo data) is neither in ``ZEROPARK_DATA_DIR`` nor in the cache."""


class SingularTechnosphereError(ParkError, ArithmeticError):
    """The technosphere matrix cannot be solved (singular or badly conditioned).

    Parameters
    ----------
    message : str
        What is wrong.
    activities : tuple of str
        Codes of the activities involved (e.g. empty columns, a dependent loop).
    """

    def __init__(self, message: str, activities: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.activities = activities

    def __str__(self) -> str:
        if not self.activities:
            return self.message
        shown = ", ".join(self.activities[:10])
        more = f" and {len(self.activities) - 10} more" if len(self.activities) > 10 else ""
        return f"{self.message}: {shown}{more}"
