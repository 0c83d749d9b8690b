"""Calendar features for load models: local time, weekends, public holidays, 调休 workdays.

China moves weekend days around public holidays every year (调休, tiaoxiu): the State
Council's annual notice makes some Saturdays or Sundays working days (make-up workdays,
补班 buban) and some weekdays days off. A load model that only knows the weekday is wrong on
those days, so :func:`day_types` uses the ``holidays`` package, whose China calendar carries
both the days off (including substituted ones) and ``weekend_workdays``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import IntEnum
from functools import lru_cache

import numpy as np
import pandas as pd


class DayType(IntEnum):
    """Kind of local calendar day for load models."""

    WORKDAY = 0
    WEEKEND = 1
    HOLIDAY = 2
    #: A Saturday or Sunday made a working day (调休 补班).
    MAKEUP_WORKDAY = 3


@lru_cache(maxsize=64)
def _calendar(country: str, subdiv: str | None, years: tuple[int, ...]
              ) -> tuple[frozenset[date], frozenset[date]]:
    import holidays

    cal = holidays.country_holidays(country, subdiv=subdiv, years=list(years))
    extra = frozenset(getattr(cal, "weekend_workdays", ()) or ())
    return frozenset(cal.keys()), extra


def holiday_calendar(country: str, years: Iterable[int], *, subdiv: str | None = None
                     ) -> tuple[frozenset[date], frozenset[date]]:
    """Public holidays and make-up workdays of a country.

    Parameters
    ----------
    country : str
        ISO 3166-1 alpha-2 code, e.g. ``"CN"``, ``"GB"``.
    years : iterable of int
    subdiv : str, optional
        Subdivision, e.g. ``"ENG"`` for England.

    Returns
    -------
    holidays : frozenset of datetime.date
        Days off: public holidays and days off substituted for them.
    makeup_workdays : frozenset of datetime.date
        Weekend days that are working days (China 调休); empty for most countries.

    Examples
    --------
    >>> off, work = holiday_calendar("CN", [2024])
    >>> date(2024, 2, 15) in off, date(2024, 2, 4) in work
    (True, True)
    """
    return _calendar(country, subdiv, tuple(sorted(set(years))))


def day_types(index: pd.DatetimeIndex, *, timezone: str, country: str,
              subdiv: str | None = None) -> np.ndarray:
    """:class:`DayType` of the local day each stamp falls in.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        tz-aware stamps, shape ``(n,)``.
    timezone : str
        IANA zone of the site.
    country, subdiv : str
        Holiday calendar (see :func:`holiday_calendar`).

    Returns
    -------
    numpy.ndarray of int
        Shape ``(n,)``, values of :class:`DayType`.

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2024-02-04 02:00", "2024-02-12 02:00", "2024-02-17 02:00"],
    ...                        tz="UTC")
    >>> [DayType(v).name for v in day_types(idx, timezone="Asia/Shanghai", country="CN")]
    ['MAKEUP_WORKDAY', 'HOLIDAY', 'WEEKEND']
    """
    local = index.tz_convert(timezone)
    days = local.normalize().tz_localize(None)
    unique = pd.DatetimeIndex(days.unique())
    off, work = holiday_calendar(country, set(unique.year.tolist()), subdiv=subdiv)
    kinds = np.where(unique.day_of_week >= 5, DayType.WEEKEND, DayType.WORKDAY)
    as_dates = [d.date() for d in unique]
    kinds = np.where([d in off for d in as_dates], DayType.HOLIDAY, kinds)
    kinds = np.where([d in work for d in as_dates], DayType.MAKEUP_WORKDAY, kinds)
    lookup = pd.Series(kinds.astype("int64"), index=unique)
    return lookup.reindex(days).to_numpy()


def calendar_features(index: pd.DatetimeIndex, *, timezone: str, country: str,
                      subdiv: str | None = None) -> pd.DataFrame:
    """Local calendar features of each stamp.

    Returns
    -------
    pandas.DataFrame
        On `index`: ``hour`` (local hour + minute/60), ``dow`` (0 = Monday), ``doy`` (day of
        year), ``day_type`` (:class:`DayType`), ``working`` (1 on workdays and make-up
        workdays), ``working_dow`` (``dow``, but 6 on holidays and 0 on make-up workdays,
        so holidays look like Sundays and make-up workdays like Mondays).

    Examples
    --------
    >>> idx = pd.date_range("2024-10-07", periods=2, freq="D", tz="Asia/Shanghai")
    >>> calendar_features(idx, timezone="Asia/Shanghai", country="CN")["working"].tolist()
    [0, 1]
    """
    local = index.tz_convert(timezone)
    kinds = day_types(index, timezone=timezone, country=country, subdiv=subdiv)
    working = np.isin(kinds, (DayType.WORKDAY, DayType.MAKEUP_WORKDAY)).astype("int64")
    dow = np.asarray(local.day_of_week, dtype="int64")
    working_dow = np.where(kinds == DayType.HOLIDAY, 6,
                           np.where(kinds == DayType.MAKEUP_WORKDAY, 0, dow))
    return pd.DataFrame({
        "hour": np.asarray(local.hour + local.minute / 60.0, dtype="float64"),
        "dow": dow, "doy": np.asarray(local.day_of_year, dtype="int64"),
        "day_type": kinds, "working": working, "working_dow": working_dow,
    }, index=index)
