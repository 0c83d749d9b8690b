"""A factor library of shipped plus user factors, with explicit, recorded fallbacks.

:class:`FactorLibrary` holds the package factors (:func:`all_factors`) and the
factors a user imports (:func:`zeropark.factors.user.load_user_factors`).
User factors add to the shipped ones and never replace them: an identifier
that is already shipped is refused.

Fallback order of :meth:`FactorLibrary.choose` (each step tried only if the
previous one found nothing; every step taken is written to
:attr:`FactorChoice.fallback`, a later data year is never used):

1. the region asked, the data year asked (exact; ``fallback == ""``);
2. the region asked, the latest earlier data year;
3. the region asked, a year-independent factor (``data_year`` empty);
4. the parent region (:data:`REGION_PARENTS`: CN-JS → CN-East → CN), steps 1–3
   there, then its parent, and so on.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from types import MappingProxyType
from typing import Final

from zeropark.errors import InputError, UnknownFactorError
from zeropark.factors.library import Factor, FactorChoice, all_factors

__all__ = ["FUEL_KEYS", "REGION_PARENTS", "FactorLibrary", "fuel_defaults", "region_chain"]

#: Region → the region it belongs to: Jiangsu is in the 华东 (East China) grid
#: region, which is in China. Used only by the fallback of :meth:`FactorLibrary.choose`.
REGION_PARENTS: Final = MappingProxyType(
    {
        "CN-JS": "CN-East",
        "CN-SH": "CN-East",
        "CN-ZJ": "CN-East",
        "CN-AH": "CN-East",
        "CN-FJ": "CN-East",
        "CN-East": "CN",
    }
)

#: Fuels with a complete default set (NCV, carbon content, oxidation rate) shipped.
FUEL_KEYS: Final = (
    "natural_gas",
    "diesel",
    "gasoline",
    "lpg",
    "bituminous_coal",
    "anthracite",
    "coke",
    "fuel_oil",
)


def region_chain(region: str) -> tuple[str, ...]:
    """Return the region followed by its parents, nearest first.

    Examples
    --------
    >>> region_chain("CN-JS")
    ('CN-JS', 'CN-East', 'CN')
    >>> region_chain("global")
    ('global',)
    """
    chain = [region]
    while chain[-1] in REGION_PARENTS and len(chain) < 10:
        chain.append(REGION_PARENTS[chain[-1]])
    return tuple(chain)


def _describe(kind: str, version: str | None, fuel: str | None) -> str:
    extra = "".join(
        f" {name}={value}" for name, value in (("fuel", fuel), ("version", version)) if value
    )
    return f"{kind}{extra}"


class FactorLibrary:
    """Shipped factors plus user factors, queried with recorded fallbacks.

    Parameters
    ----------
    user : iterable of Factor, optional
        Extra factors, e.g. from :func:`zeropark.factors.user.load_user_factors`.
    shipped : iterable of Factor, optional
        The base set; defaults to the package factors (:func:`all_factors`).

    Raises
    ------
    zeropark.errors.InputError
        If a user ``factor_id`` is already shipped or repeated.

    Examples
    --------
    >>> lib = FactorLibrary()
    >>> lib.get("cn_grid_mee_2023_east").value
    0.55
    >>> choice = lib.choose("grid_electricity", region="CN-JS", data_year=2023)
    >>> choice.factor.factor_id
    'cn_grid_mee_2022_jiangsu'
    """

    def __init__(self, user: Iterable[Factor] = (), *, shipped: Iterable[Factor] | None = None):
        base = tuple(all_factors() if shipped is None else shipped)
        by_id = {f.factor_id: f for f in base}
        extra: list[Factor] = []
        for factor in user:
            if factor.factor_id in by_id:
                where = "a user" if factor.factor_id in self._ids(extra) else "a shipped"
                raise InputError(
                    f"factor_id {factor.factor_id!r} is already {where} factor; user factors "
                    "never overwrite shipped ones and ids are unique, choose another id",
                    field="factor_id",
                )
            by_id[factor.factor_id] = factor
            extra.append(factor)
        self.factors: tuple[Factor, ...] = base + tuple(extra)
        self.user_ids: frozenset[str] = frozenset(f.factor_id for f in extra)
        self._by_id = by_id

    @staticmethod
    def _ids(factors: Iterable[Factor]) -> set[str]:
        return {f.factor_id for f in factors}

    def __repr__(self) -> str:
        return f"FactorLibrary({len(self.factors)} factors, {len(self.user_ids)} user)"

    def get(self, factor_id: str) -> Factor:
        """Return the factor with this identifier (shipped or user).

        Raises
        ------
        zeropark.errors.UnknownFactorError
            If no factor has the identifier.
        """
        try:
            return self._by_id[factor_id]
        except KeyError:
            raise UnknownFactorError(factor_id) from None

    def find(
        self,
        kind: str,
        *,
        region: str | None = None,
        data_year: int | None = None,
        version: str | None = None,
        fuel: str | None = None,
    ) -> tuple[Factor, ...]:
        """Return the factors matching every filter given; empty if none.

        Parameters
        ----------
        kind : str
            Factor kind, e.g. ``"grid_electricity"``.
        region, fuel : str, optional
            Exact region code / fuel (or material) key.
        data_year : int, optional
            Exact data year.
        version : str, optional
            Edition: matches when the factor's ``edition`` equals it or starts
            with it (``"2015"`` matches ``"2015 (试行)"``).

        Returns
        -------
        tuple of Factor
            Shipped factors first, then user factors, each in file order.
        """
        return tuple(
            f
            for f in self.factors
            if f.kind == kind
            and (region is None or f.region == region)
            and (data_year is None or f.data_year == data_year)
            and (fuel is None or f.fuel == fuel)
            and (version is None or f.edition == version or f.edition.startswith(version))
        )

    def choose(
        self,
        kind: str,
        *,
        region: str,
        data_year: int,
        version: str | None = None,
        fuel: str | None = None,
    ) -> FactorChoice:
        """Pick one factor, falling back in the documented order (see module notes).

        Parameters
        ----------
        kind : str
            Factor kind.
        region : str
            Region of the activity, e.g. ``"CN-JS"``.
        data_year : int
            Year of the activity.
        version, fuel : str, optional
            Filters as in :meth:`find`; never relaxed by the fallback.

        Returns
        -------
        FactorChoice
            ``fallback`` is ``""`` for an exact match, otherwise every step
            taken, separated by ``"; "``.

        Raises
        ------
        zeropark.errors.UnknownFactorError
            If no step finds a factor (a later year is never used).

        Examples
        --------
        >>> lib = FactorLibrary()
        >>> c = lib.choose("grid_electricity_residual_proxy", region="CN", data_year=2024)
        >>> c.factor.factor_id
        'cn_grid_mee_2023_residual_proxy'
        >>> print(c.fallback)  # doctest: +NORMALIZE_WHITESPACE
        no grid_electricity_residual_proxy factor for region CN and data year 2024;
        used data year 2023 of region CN, the latest earlier year published
        """
        what = _describe(kind, version, fuel)
        requested = f"{what} region={region} data_year={data_year}"
        steps: list[str] = []
        for position, place in enumerate(region_chain(region)):
            rows = self.find(kind, region=place, version=version, fuel=fuel)
            via = "" if position == 0 else f" (parent region of {region})"
            exact = [f for f in rows if f.data_year == data_year]
            if exact:
                if position:
                    steps.append(f"used region {place}{via}, data year {data_year}")
                return FactorChoice(exact[-1], requested, "; ".join(steps))
            steps.append(f"no {what} factor for region {place} and data year {data_year}")
            earlier = [f for f in rows if f.data_year is not None and f.data_year < data_year]
            if earlier:
                best = max(earlier, key=lambda f: f.data_year or 0)
                steps.append(
                    f"used data year {best.data_year} of region {place}{via}, "
                    "the latest earlier year published"
                )
                return FactorChoice(best, requested, "; ".join(steps))
            timeless = [f for f in rows if f.data_year is None]
            if timeless:
                steps.append(f"used the year-independent default of region {place}{via}")
                return FactorChoice(timeless[-1], requested, "; ".join(steps))
            steps[-1] += " or any earlier year"
        raise UnknownFactorError(f"{requested} ({'; '.join(steps)})")

    def fuel_defaults(self, fuel: str) -> tuple[Factor, Factor, Factor]:
        """Return the (NCV, carbon content, oxidation rate) defaults of a fuel.

        Raises
        ------
        zeropark.errors.UnknownFactorError
            If one of the three is missing; the message lists the known fuels.
        """
        found = []
        for kind in ("fuel_ncv", "fuel_carbon_content", "fuel_oxidation_rate"):
            rows = self.find(kind, fuel=fuel)
            if not rows:
                known = sorted({f.fuel for f in self.factors if f.kind == "fuel_ncv" and f.fuel})
                raise UnknownFactorError(f"{kind} fuel={fuel!r} (known fuels: {', '.join(known)})")
            found.append(rows[0])
        return found[0], found[1], found[2]


def fuel_defaults(fuel: str) -> tuple[Factor, Factor, Factor]:
    """Return the shipped (NCV, carbon content, oxidation rate) of a fuel.

    Parameters
    ----------
    fuel : str
        A key of :data:`FUEL_KEYS`, e.g. ``"natural_gas"``.

    Returns
    -------
    tuple of Factor
        NCV [GJ/t or GJ/10⁴ Nm³], carbon content [t C/GJ], oxidation rate [-].

    Raises
    ------
    zeropark.errors.UnknownFactorError
        If the fuel has no complete set; the message lists the known fuels.

    Examples
    --------
    >>> ncv, cc, of = fuel_defaults("diesel")
    >>> ncv.value, cc.value, of.value
    (42.652, 0.0202, 0.98)
    """
    return _shipped_library().fuel_defaults(fuel)


@cache
def _shipped_library() -> FactorLibrary:
    return FactorLibrary()
