"""CBAM goods: the CN-code catalogue, aggregated goods categories and production routes.

The catalogue is the data of the PyPI package ``opencbam`` (Apache-2.0), which
transcribes the Commission's code list "CL CBAMGoods" of the EU CBAM report
structure (version 23.00): the goods of Annex I to Regulation (EU) 2023/956 with
their aggregated goods category. zeropark depends on the package and reads its
data through its API; it does not copy the files.

Annex II of Regulation (EU) 2023/956 lists the goods for which only direct
emissions count in the definitive period (iron and steel except some
ferro-alloys and scrap, aluminium, hydrogen); ``indirect_counts`` says whether a
good's indirect emissions count (opencbam ``indirect_counts_for_cn``).

Production routes: ``ROUTES`` lists, per aggregated goods category, the relevant
production routes named in Implementing Regulation (EU) 2023/1773, Annex II,
section 3 (transitional period), and ``BENCHMARK_ROUTES`` the route markers of the
benchmark table of Implementing Regulation (EU) 2025/2620 (definitive period).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zeropark.errors import InputError

#: Legal sources of the catalogue (cited on every output that uses it).
SOURCES = (
    "Regulation (EU) 2023/956 (CBAM), Annex I (goods and greenhouse gases) and Annex II "
    "(goods for which only direct emissions count)",
    "Commission Implementing Regulation (EU) 2023/1773, Annex II (aggregated goods "
    "categories and production routes, transitional period)",
    "EU CBAM report structure ver. 23.00, code list 'CL CBAMGoods', as transcribed in "
    "opencbam (Apache-2.0) cbam_goods_cn.json",
)

#: Relevant production routes per aggregated goods category, IR (EU) 2023/1773 Annex II,
#: section 3 (transitional period). Transcribed from memory of the annex and the
#: Commission's guidance for installation operators (2023); not verified against the
#: OJ text. Categories without an entry have no route distinction ("all processes").
ROUTES: dict[str, tuple[str, ...]] = {
    "Cement clinker": ("grey clinker", "white clinker"),
    "Pig Iron": ("blast furnace", "smelting reduction"),
    "Direct reduced iron": ("direct reduction",),
    "Crude steel": ("basic oxygen steelmaking", "electric arc furnace"),
    "Unwrought aluminium": ("primary (electrolytic) smelting", "secondary (recycling)"),
    "Hydrogen": ("steam reforming and partial oxidation", "electrolysis of water"),
    "Ammonia": ("Haber-Bosch with steam reforming", "Haber-Bosch with gasification"),
}

#: Route markers of the benchmark table, IR (EU) 2025/2620 section 5.3, as used by
#: opencbam (``opencbam.engine.reference.Route``).
BENCHMARK_ROUTES: dict[str, str] = {
    "A": "grey clinker", "B": "white clinker",
    "C": "carbon steel, blast furnace / basic oxygen furnace",
    "D": "carbon steel, direct reduced iron / electric arc furnace",
    "E": "carbon steel, scrap / electric arc furnace",
    "F": "low-alloy steel, BF/BOF", "G": "low-alloy steel, DRI/EAF",
    "H": "low-alloy steel, scrap/EAF", "J": "high-alloy steel, EAF",
    "K": "primary aluminium", "L": "secondary aluminium",
}


@dataclass(frozen=True, slots=True)
class CbamGood:
    """One CBAM good of the catalogue (an 8-digit CN code of Annex I).

    Attributes
    ----------
    cn_code : str
        8 digits, e.g. ``"73181588"``.
    cn_display : str
        Spaced form, ``"7318 15 88"``.
    sector : str
        ``cement``, ``iron_steel``, ``aluminium``, ``fertilisers``, ``hydrogen``,
        ``electricity``.
    category : str
        Aggregated goods category (``"Iron or steel products"``, ``"Crude steel"``, ...).
    ghg : str
        Greenhouse gases of Annex I for the good.
    description : str
        CN description.
    indirect_counts : bool
        Whether indirect emissions count in the definitive period (not in Annex II).
    routes : tuple of str
        Relevant production routes of the category (``ROUTES``).
    """

    cn_code: str
    cn_display: str
    sector: str
    category: str
    ghg: str
    description: str
    indirect_counts: bool
    routes: tuple[str, ...]

    @property
    def hs_code(self) -> str:
        """The 6-digit HS sub-heading (first six digits of the CN code)."""
        return self.cn_code[:6]

    @property
    def is_simple(self) -> bool:
        """Whether the good is usually *simple* (no relevant precursors).

        Only a rule of thumb: whether a good is complex depends on the
        installation (IR 2023/1773 Annex II defines relevant precursors per
        category); the installation model decides.
        """
        return self.category in {"Calcinated Clay", "Cement clinker", "Sintered Ore",
                                 "Ammonia", "Nitric Acid", "Hydrogen", "Electricity"}


def _digits(cn_code: str) -> str:
    return "".join(c for c in str(cn_code) if c.isdigit())


def _from_opencbam(good: Any) -> CbamGood:
    from opencbam.engine.reference import indirect_counts_for_cn

    cn = str(good.cn)
    category = str(good.category)
    return CbamGood(cn_code=cn, cn_display=str(good.display),
                    sector=str(good.sector), category=category,
                    ghg=str(good.ghg), description=str(good.description),
                    indirect_counts=bool(indirect_counts_for_cn(cn)),
                    routes=ROUTES.get(category, ()))


def lookup_good(cn_code: str) -> CbamGood:
    """The CBAM good of an 8-digit CN code.

    Parameters
    ----------
    cn_code : str
        CN code with or without spaces or dots (``"7318 15 88"``, ``"73181588"``).

    Returns
    -------
    CbamGood

    Raises
    ------
    InputError
        If the code is not an 8-digit CN code of a good covered by Annex I (a
        shorter heading is answered with the number of covered goods under it).

    Examples
    --------
    >>> good = lookup_good("7318 15 88")
    >>> good.category, good.indirect_counts
    ('Iron or steel products', False)
    """
    from opencbam import lookup_good as _lookup
    from opencbam import search_goods as _search

    digits = _digits(cn_code)
    good = _lookup(digits) if len(digits) >= 8 else None
    if good is None:
        under = _search(digits, limit=1000) if len(digits) >= 4 else []
        hint = (f"; {len(under)} covered goods start with {digits!r}, give 8 digits"
                if under else "")
        raise InputError(f"{cn_code!r} is not an 8-digit CN code of a CBAM good "
                         f"(Reg. (EU) 2023/956 Annex I){hint}", field="cn_code")
    return _from_opencbam(good)


def search_goods(query: str, *, limit: int = 50) -> tuple[CbamGood, ...]:
    """CBAM goods whose CN code starts with `query` (digits) or whose text contains it.

    Examples
    --------
    >>> [g.cn_code for g in search_goods("731815")][:2]
    ['73181520', '73181535']
    """
    from opencbam import search_goods as _search

    return tuple(_from_opencbam(g) for g in _search(query, limit=limit))


def is_cbam_good(cn_code: str) -> bool:
    """Whether a CN code (or heading) is covered by Annex I of Reg. (EU) 2023/956.

    Examples
    --------
    >>> is_cbam_good("7318"), is_cbam_good("8407 32 90")
    (True, False)
    """
    from opencbam import is_covered_cn

    return bool(is_covered_cn(_digits(cn_code)))
