"""CBAM certificate cost estimate with the phase-out of EU ETS free allocation.

Certificates to surrender for a good (definitive period, from 2026):

    N = max(0, EE − FAA − CP),   EE = M · SEE,   FAA = M · SEFA,   SEFA = CBAM_y · CSCF_y · BM

with M the imported mass [t], SEE the specific embedded emissions counted for the
good [t CO2e/t] (direct only for goods of Annex II of Reg. (EU) 2023/956),
BM the CBAM benchmark of IR (EU) 2025/2620 [t CO2e/t], CSCF_y the cross-sectoral
correction factor of Art. 10a(5) of Directive 2003/87/EC, CBAM_y the CBAM factor
(below) and CP the emissions for which a carbon price was paid in the country of
origin (Art. 9 of Reg. 2023/956) [t CO2e]. Cost = N · certificate price.

The free-allocation adjustment is required by Art. 31(1) of Reg. (EU) 2023/956;
the CBAM factor is the share of free allocation that remains in a year, set by
Art. 10a(1a) of Directive 2003/87/EC as inserted by Directive (EU) 2023/959.
"""

from __future__ import annotations

from dataclasses import dataclass

from zeropark.errors import InputError

#: CBAM factor CBAM_y: share of EU ETS free allocation remaining for CBAM sectors.
#: Source: Directive 2003/87/EC Art. 10a(1a), inserted by Directive (EU) 2023/959,
#: referenced by Reg. (EU) 2023/956 Art. 31. Cross-checked against opencbam 0.1.0
#: ``engine/constants.py`` (which cites the 32023L0959 text) and a third-party tool
#: description ("CBAM factor 97.5 % in 2026"); the OJ text itself was not seen here.
#: 2034 onwards: 0 (no free allocation). Before 2026: transitional period, no
#: certificates (handled by :func:`cbam_factor`).
CBAM_FACTOR = {2026: 0.975, 2027: 0.95, 2028: 0.90, 2029: 0.775, 2030: 0.515,
               2031: 0.39, 2032: 0.265, 2033: 0.14}


def cbam_factor(year: int) -> float:
    """CBAM factor of a year: share of free allocation still deducted. [-].

    Examples
    --------
    >>> cbam_factor(2026), cbam_factor(2030), cbam_factor(2034)
    (0.975, 0.515, 0.0)
    """
    if year < 2026:
        raise InputError(f"{year} is in the transitional period (to 2025): no CBAM "
                         "certificates are surrendered", field="year")
    return CBAM_FACTOR.get(year, 0.0)


def free_allocation_adjustment(benchmark_t_per_t: float, mass_t: float, *, cbam_factor_y: float,
                               cscf: float = 1.0) -> float:
    """FAA = M · CBAM_y · CSCF_y · BM. [t CO2e].

    Parameters
    ----------
    benchmark_t_per_t : float
        BM (IR 2025/2620, column A for actual data, B for default values). [t CO2e/t]
    mass_t : float
        Imported mass. [t]
    cbam_factor_y : float
        CBAM factor of the year, 0–1. [-]
    cscf : float
        Cross-sectoral correction factor, 0–1 (1 until published). [-]

    Examples
    --------
    >>> round(free_allocation_adjustment(1.364, 100.0, cbam_factor_y=0.975), 6)
    132.99
    """
    return mass_t * cbam_factor_y * cscf * benchmark_t_per_t


def certificates_due(embedded_t: float, free_allocation_t: float,
                     carbon_price_paid_t: float = 0.0) -> float:
    """N = max(0, EE − FAA − CP). [certificates = t CO2e].

    Examples
    --------
    >>> round(certificates_due(254.1, 132.99), 6)
    121.11
    """
    return max(0.0, embedded_t - free_allocation_t - carbon_price_paid_t)


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """An indicative CBAM certificate cost for one good and year.

    Attributes
    ----------
    cn_code : str
    year : int
    mass_t : float
    see_counted_t_per_t : float
        SEE counted: direct (+ indirect outside Annex II). [t CO2e/t]
    embedded_t, free_allocation_t, certificates : float
        [t CO2e]
    cbam_factor, cscf : float
    benchmark_t_per_t : float
    benchmark_column : str
        ``A`` (actual data) or ``B`` (default values) of IR 2025/2620, or ``given``.
    price_eur_per_t : float
        Certificate price (EUA auction average). [EUR/t CO2e]
    cost_eur : float
    notes : tuple of str
        Assumptions (provisional CSCF, benchmark column, ...).
    """

    cn_code: str
    year: int
    mass_t: float
    see_counted_t_per_t: float
    embedded_t: float
    cbam_factor: float
    cscf: float
    benchmark_t_per_t: float
    benchmark_column: str
    free_allocation_t: float
    carbon_price_paid_t: float
    certificates: float
    price_eur_per_t: float
    cost_eur: float
    notes: tuple[str, ...]


def estimate_certificate_cost(cn_code: str, *, mass_t: float, see_direct_t_per_t: float,
                              see_indirect_t_per_t: float = 0.0, year: int,
                              price_eur_per_t: float, benchmark_t_per_t: float | None = None,
                              benchmark_column: str = "B", route: str | None = None,
                              cscf: float | None = None,
                              carbon_price_paid_t: float = 0.0) -> CostEstimate:
    """Indicative certificate cost of importing `mass_t` of a good in `year`.

    Parameters
    ----------
    cn_code : str
    mass_t : float
        Imported mass. [t]
    see_direct_t_per_t, see_indirect_t_per_t : float
        SEE of the good (indirect counts only outside Annex II). [t CO2e/t]
    year : int
        Year of import, ≥ 2026.
    price_eur_per_t : float
        Certificate price, e.g. the EUA price. [EUR/t CO2e]
    benchmark_t_per_t : float, optional
        BM; default: looked up in IR 2025/2620 (opencbam), column `benchmark_column`.
    benchmark_column : str
        ``"A"`` (actual data; process benchmark without precursors) or ``"B"``
        (default values; whole chain). For actual SEE of a complex good the exact
        SEFA adds the precursors' SEFA (IR 2025/2620); column B is used as a
        whole-chain approximation unless a benchmark is given.
    route : str, optional
        Benchmark route marker (``C`` BF/BOF, ``E`` scrap/EAF, ``K`` primary Al, ...).
    cscf : float, optional
        Cross-sectoral correction factor; default 1 (provisional, noted).
    carbon_price_paid_t : float
        Emissions covered by a carbon price paid in the country of origin. [t CO2e]

    Returns
    -------
    CostEstimate

    Raises
    ------
    InputError
        For a year before 2026, a negative mass or price, or no benchmark.

    Examples
    --------
    100 t of bolts (7318 15 88) with SEE 3.449 direct, 2026, EUA 80 EUR/t:

    >>> e = estimate_certificate_cost("73181588", mass_t=100, see_direct_t_per_t=3.449,
    ...                               see_indirect_t_per_t=0.703, year=2026,
    ...                               price_eur_per_t=80)
    >>> round(e.certificates, 3), round(e.cost_eur, 2)
    (211.91, 16952.8)
    """
    from zeropark.cbam.goods import lookup_good

    if mass_t < 0 or price_eur_per_t < 0:
        raise InputError("mass and price must be ≥ 0", field="mass_t")
    factor = cbam_factor(year)
    good = lookup_good(cn_code)
    notes: list[str] = []
    see = see_direct_t_per_t + (see_indirect_t_per_t if good.indirect_counts else 0.0)
    if not good.indirect_counts and see_indirect_t_per_t:
        notes.append("indirect emissions not counted: the good is in Annex II of "
                     "Reg. (EU) 2023/956")
    column = benchmark_column.upper()
    if benchmark_t_per_t is None:
        from opencbam.engine.reference import Route, get_benchmark
        from opencbam.engine.types import DataSource

        source = DataSource.ACTUAL if column == "A" else DataSource.DEFAULT
        try:
            bm = get_benchmark(good.cn_code, data_source=source,
                               route=Route(route) if route else None, year=year)
        except ValueError as err:
            raise InputError(f"benchmark of {good.cn_code}: {err}", field="route") from err
        if bm is None:
            raise InputError(f"no IR 2025/2620 benchmark for {good.cn_code} (column {column}, "
                             f"route {route or '-'})", field="cn_code")
        benchmark = float(bm)
        notes.append(f"benchmark {benchmark} t CO2e/t: IR (EU) 2025/2620 column {column} "
                     "(opencbam benchmarks_2620.json)")
        if column == "B":
            notes.append("column B (whole chain) used as an approximation of the SEFA of "
                         "actual data for a complex good")
    else:
        benchmark, column = benchmark_t_per_t, "given"
    if cscf is None:
        cscf = 1.0
        notes.append("CSCF = 1 assumed (official value not published/loaded)")
    embedded = mass_t * see
    faa = free_allocation_adjustment(benchmark, mass_t, cbam_factor_y=factor, cscf=cscf)
    n = certificates_due(embedded, faa, carbon_price_paid_t)
    return CostEstimate(cn_code=good.cn_code, year=year, mass_t=mass_t,
                        see_counted_t_per_t=see, embedded_t=embedded, cbam_factor=factor,
                        cscf=cscf, benchmark_t_per_t=benchmark, benchmark_column=column,
                        free_allocation_t=faa, carbon_price_paid_t=carbon_price_paid_t,
                        certificates=n, price_eur_per_t=price_eur_per_t,
                        cost_eur=n * price_eur_per_t, notes=tuple(notes))
