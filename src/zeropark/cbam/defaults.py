"""Country-specific CBAM default values with their mark-ups by year (IR (EU) 2025/2621).

The table is the one shipped by the PyPI package ``opencbam`` (Apache-2.0;
``default_values_2621.json``, transcribed from Annex I to Commission
Implementing Regulation (EU) 2025/2621, 11,391 rows). zeropark reads it through
``opencbam.get_default_value`` / ``get_marked_up_default``, which apply the
annex's rule that a country not listed, or a "–" cell, falls back to "Other
countries and territories". The published "including mark-up" columns (2026,
2027, 2028 and onwards) are used as published, not recomputed.

Every value used is returned as a :class:`DefaultValue` that says where it came
from, so the caller can flag it (the SEE pipeline records each default it uses
and the share of embedded emissions that rests on estimates).

Not shipped: the grid emission factors of Annex II/III of IR 2025/2621 (IEA data,
CC BY-NC-SA; opencbam does not bundle them either), and the transitional-period
default values published by DG TAXUD (22 Dec 2023).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from zeropark.errors import InputError

SOURCE = ("Commission Implementing Regulation (EU) 2025/2621, Annex I (default values "
          "by country of origin, with mark-ups), as transcribed in opencbam 0.1.0 "
          "default_values_2621.json (Apache-2.0)")

#: ISO 3166-1 alpha-2 → the country name used in the annex (and opencbam's table).
#: Only the countries most relevant to zeropark's users; full names are accepted too.
ISO_TO_ANNEX_NAME = {
    "CN": "China", "HK": "Hong Kong", "TW": "Taiwan", "IN": "India", "VN": "Vietnam",
    "TR": "Türkiye", "KR": "South Korea", "JP": "Japan", "ID": "Indonesia",
    "MY": "Malaysia", "TH": "Thailand", "RU": "Russia", "UA": "Ukraine", "BR": "Brazil",
    "US": "United States", "GB": "United Kingdom", "AE": "United Arab Emirates",
    "SA": "Saudi Arabia", "EG": "Egypt", "ZA": "South Africa", "KZ": "Kazakhstan",
    "RS": "Serbia", "BA": "Bosnia and Herzegovina", "MK": "North Macedonia",
    "MX": "Mexico", "CA": "Canada", "AU": "Australia", "PK": "Pakistan",
    "BD": "Bangladesh", "PH": "Philippines", "SG": "Singapore", "MA": "Morocco",
    "DZ": "Algeria", "TN": "Tunisia", "BY": "Belarus", "GE": "Georgia",
}


@dataclass(frozen=True, slots=True)
class DefaultValue:
    """A default value of IR 2025/2621 as used for one good.

    Attributes
    ----------
    cn_code : str
        The CN code asked for (8 digits).
    country : str
        The country asked for (annex name).
    year : int
        Year of import (selects the mark-up column).
    direct_t_per_t, indirect_t_per_t, total_t_per_t : float or None
        Base default values (no mark-up); ``None`` where the annex gives "NA"
        (e.g. indirect for goods whose indirect emissions do not count). [t CO2e/t]
    marked_up_t_per_t : float or None
        The published value including the mark-up of `year` (2026, 2027, 2028+);
        ``None`` before 2026 (no mark-up in the transitional period). [t CO2e/t]
    fallback : bool
        True when the country is not listed for this good and the "Other
        countries and territories" row was used.
    route : str
        Benchmark route marker of the row (IR 2025/2620: ``C`` BF/BOF, ``K`` primary
        aluminium, ...), ``""`` if none.
    source : str
        Citation.
    """

    cn_code: str
    country: str
    year: int
    direct_t_per_t: float | None
    indirect_t_per_t: float | None
    total_t_per_t: float | None
    marked_up_t_per_t: float | None
    fallback: bool
    route: str
    source: str = SOURCE

    @property
    def markup_share(self) -> float | None:
        """Mark-up relative to the base total: marked-up / total − 1. [-]."""
        if self.marked_up_t_per_t is None or not self.total_t_per_t:
            return None
        return self.marked_up_t_per_t / self.total_t_per_t - 1.0


def annex_country(country: str) -> str:
    """The annex's name of a country given as ISO alpha-2 code or name.

    Examples
    --------
    >>> annex_country("CN"), annex_country("china")
    ('China', 'china')
    """
    text = country.strip()
    return ISO_TO_ANNEX_NAME.get(text.upper(), text) if len(text) == 2 else text


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def default_value(cn_code: str, country: str, *, year: int,
                  route: str | None = None) -> DefaultValue:
    """Default value of a CBAM good for a country of origin and year of import.

    Parameters
    ----------
    cn_code : str
        CN code (8 digits; spaces allowed). Annex rows are at 4, 6 or 8 digits; the
        most specific heading that covers the code is used.
    country : str
        Country of origin, ISO alpha-2 (``"CN"``) or annex name (``"China"``).
    year : int
        Year of import; selects the mark-up column (2028 for later years).
    route : str, optional
        Route marker for goods with variants (cement clinker ``A`` grey / ``B`` white).

    Returns
    -------
    DefaultValue

    Raises
    ------
    InputError
        If neither the country nor "Other countries and territories" has a value
        for the code (not a good of the annex), or a route is needed.

    Notes
    -----
    Mark-ups of IR 2025/2621: 10 % (2026), 20 % (2027), 30 % (2028 onwards), 1 % for
    fertilisers, as published in the annex's "including mark-up" columns
    (read, not recomputed).

    Examples
    --------
    Hexagon-head bolts ≥ 800 MPa from China, imported in 2026:

    >>> v = default_value("7318 15 88", "CN", year=2026)
    >>> v.direct_t_per_t, v.marked_up_t_per_t, v.fallback
    (6.375, 7.013, False)
    """
    from opencbam import country_is_listed, get_default_value, get_marked_up_default
    from opencbam.engine.defaults import _row

    name = annex_country(country)
    digits = "".join(c for c in cn_code if c.isdigit())
    try:
        total = get_default_value(name, digits, kind="total", route=route)
        direct = get_default_value(name, digits, kind="direct", route=route)
        indirect = get_default_value(name, digits, kind="indirect", route=route)
        marked = get_marked_up_default(name, digits, year, route=route)
        own = _row(name, digits, route) if country_is_listed(name) else None
    except ValueError as err:
        raise InputError(f"default value of {cn_code} for {name}: {err}",
                         field="route") from err
    if total is None and direct is None:
        raise InputError(f"no default value for CN {cn_code} (country {name}) in "
                         "IR (EU) 2025/2621 Annex I", field="cn_code")
    fallback = own is None or own.get("total") == "DASH"
    row_route = ""
    if own is not None and own.get("route"):
        row_route = str(own["route"])
    return DefaultValue(cn_code=digits, country=name, year=year, direct_t_per_t=_f(direct),
                        indirect_t_per_t=_f(indirect), total_t_per_t=_f(total),
                        marked_up_t_per_t=_f(marked), fallback=fallback, route=row_route)
