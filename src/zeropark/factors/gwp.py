"""100-year global warming potentials (GWP100) of the IPCC assessment reports.

The numbers are read at run time from the ``globalwarmingpotentials`` package
(openclimatedata, CC0-1.0); nothing is retyped here. Refrigerant blends are
computed from their mass composition, GWP_blend = Σ wᵢ · GWPᵢ.

Conventions
-----------
- A GWP is dimensionless: t CO2e per t of the gas (CO2 is 1 by definition).
- ``ar`` names the assessment report: ``SAR`` (1995), ``TAR`` (2001), ``AR4``
  (2007), ``AR5`` (2013), ``AR6`` (2021). The carbon-market and MEE guidelines
  name the report they use; pass that one.
- AR6 CH4 is the Table 7.SM.7 value (27.9), which leaves out the chemical
  effects and the CO2 from fossil methane oxidation; AR6 Table 7.15 gives 29.8
  (fossil) and 27.0 (non-fossil). Only the package value is shipped.
"""

from __future__ import annotations

import re
from importlib import metadata
from types import MappingProxyType
from typing import Final

import globalwarmingpotentials

from zeropark.errors import UnknownFactorError
from zeropark.factors.library import Factor

__all__ = ["ASSESSMENT_REPORTS", "BLEND_COMPOSITIONS", "GWP_GASES", "gwp", "normalise_ar"]

#: Report code → (package column, report, table of the GWP100 values, year).
ASSESSMENT_REPORTS: Final = MappingProxyType(
    {
        "SAR": (
            "SARGWP100",
            "IPCC Second Assessment Report (SAR), Climate Change 1995, WG I",
            "Ch. 2, Table 2.9 (GWP100; table number not verified)",
            "1995",
        ),
        "TAR": (
            "TARGWP100",
            "IPCC Third Assessment Report (TAR), Climate Change 2001, WG I",
            "Ch. 6, Table 6.7 (GWP100)",
            "2001",
        ),
        "AR4": (
            "AR4GWP100",
            "IPCC Fourth Assessment Report (AR4), Climate Change 2007, WG I",
            "Ch. 2, Table 2.14 (GWP100)",
            "2007",
        ),
        "AR5": (
            "AR5GWP100",
            "IPCC Fifth Assessment Report (AR5), Climate Change 2013, WG I",
            "Ch. 8, Table 8.A.1 (GWP100, without climate-carbon feedback)",
            "2013",
        ),
        "AR6": (
            "AR6GWP100",
            "IPCC Sixth Assessment Report (AR6), Climate Change 2021, WG I",
            "Ch. 7 Supplementary Material, Table 7.SM.7 (GWP100)",
            "2021",
        ),
    }
)

#: Where the package took each column from (its README and CSV header).
_PACKAGE_ORIGIN: Final = MappingProxyType(
    {
        "SAR": "GHG Protocol 'Global Warming Potential Values' (Feb 2016) compilation",
        "TAR": "TAR WG I full report, p. 388, Table 6.7",
        "AR4": "GHG Protocol 'Global Warming Potential Values' (Feb 2016) compilation",
        "AR5": "GHG Protocol 'Global Warming Potential Values' (Feb 2016) compilation",
        "AR6": "AR6 WG I Ch. 7 SM Table 7.SM.7 via github.com/chrisroadmap/ar6",
    }
)

#: Canonical gas name → key in the package tables (``None``: CO2, the reference gas).
_SPECIES: Final = MappingProxyType(
    {
        "CO2": None,
        "CH4": "CH4",
        "N2O": "N2O",
        "SF6": "SF6",
        "NF3": "NF3",
        "HFC-23": "HFC23",
        "HFC-32": "HFC32",
        "HFC-125": "HFC125",
        "HFC-134a": "HFC134a",
        "HFC-143a": "HFC143a",
        "HFC-152a": "HFC152a",
        "HFC-227ea": "HFC227ea",
        "HFC-245fa": "HFC245fa",
        "CF4": "CF4",
        "C2F6": "C2F6",
    }
)

#: Refrigerant blend → mass fractions of its components (sum 1). Nominal
#: compositions of ASHRAE Standard 34 / ISO 817 (R-410A R-32/125 50/50; R-407C
#: R-32/125/134a 23/25/52; R-404A R-125/143a/134a 44/52/4; R-507A R-125/143a
#: 50/50 % by mass). Not verified against the standards' text (paywalled): the
#: compositions agree across independent public reproductions, and the AR4
#: results reproduce the blend GWPs of EU Regulation 517/2014 Annex IV.
BLEND_COMPOSITIONS: Final = MappingProxyType(
    {
        "R-410A": MappingProxyType({"HFC-32": 0.50, "HFC-125": 0.50}),
        "R-407C": MappingProxyType({"HFC-32": 0.23, "HFC-125": 0.25, "HFC-134a": 0.52}),
        "R-404A": MappingProxyType({"HFC-125": 0.44, "HFC-143a": 0.52, "HFC-134a": 0.04}),
        "R-507A": MappingProxyType({"HFC-125": 0.50, "HFC-143a": 0.50}),
    }
)

#: Every gas name :func:`gwp` accepts, in canonical spelling.
GWP_GASES: Final = tuple(_SPECIES) + tuple(BLEND_COMPOSITIONS)


def _squash(text: str) -> str:
    return re.sub(r"[\s_\-]", "", text).upper()


# Lookup: squashed spelling → canonical name. HFCs also answer to their
# refrigerant numbers (R-134a = HFC-134a), PFCs to PFC-14 / PFC-116.
_ALIASES: Final = MappingProxyType(
    {
        **{_squash(name): name for name in GWP_GASES},
        **{_squash("R" + name[3:]): name for name in _SPECIES if name.startswith("HFC-")},
        "PFC14": "CF4",
        "R14": "CF4",
        "PFC116": "C2F6",
        "R116": "C2F6",
        "R744": "CO2",
    }
)


def normalise_ar(ar: str) -> str:
    """Return the canonical assessment-report code (``"SAR"`` … ``"AR6"``).

    Parameters
    ----------
    ar : str
        ``"AR5"``, ``"ar5"``, ``"gwp_ar5"``, ``"GWP100_AR5"`` (case and a
        ``gwp``/``gwp100`` prefix are ignored).

    Returns
    -------
    str
        One of ``SAR``, ``TAR``, ``AR4``, ``AR5``, ``AR6``.

    Raises
    ------
    zeropark.errors.UnknownFactorError
        If the text names no supported report.

    Examples
    --------
    >>> normalise_ar("gwp_ar6"), normalise_ar("sar")
    ('AR6', 'SAR')
    """
    code = re.sub(r"^GWP(?:100)?", "", _squash(ar))
    if code not in ASSESSMENT_REPORTS:
        raise UnknownFactorError(
            f"gwp100 ar={ar!r} (known reports: {', '.join(ASSESSMENT_REPORTS)})"
        )
    return code


def _table_value(species: str | None, ar: str, *, asked: str) -> float:
    if species is None:
        return 1.0
    column = ASSESSMENT_REPORTS[ar][0]
    table: dict[str, float] = globalwarmingpotentials.data[column]
    if species not in table:
        raise UnknownFactorError(f"gwp100 gas={asked!r} ar={ar!r} ({ar} gives no GWP100 for it)")
    return float(table[species])


def _package() -> tuple[str, str]:
    version = str(globalwarmingpotentials.__version__)
    try:
        licence = metadata.metadata("globalwarmingpotentials")["License-Expression"] or "CC0-1.0"
    except (metadata.PackageNotFoundError, KeyError):
        licence = "CC0-1.0"
    return version, licence


def gwp(gas: str, ar: str) -> Factor:
    """GWP100 of a greenhouse gas or refrigerant blend in one IPCC report.

    Parameters
    ----------
    gas : str
        Gas name, see :data:`GWP_GASES`; case, spaces, ``-`` and ``_`` are
        ignored and HFCs answer to their refrigerant numbers (``"R-134a"``).
    ar : str
        Assessment report, see :func:`normalise_ar`.

    Returns
    -------
    Factor
        ``kind="gwp100"``, ``unit="dimensionless"`` [t CO2e / t gas],
        ``gas`` = canonical gas name, ``region="global"``, ``data_year=None``;
        the source names the report and the ``globalwarmingpotentials``
        package version and licence.

    Raises
    ------
    zeropark.errors.UnknownFactorError
        If the gas or the report is unknown, or the report gives no value for
        the gas (e.g. NF3 and HFC-245fa in the SAR).

    Notes
    -----
    Blend GWP = Σ wᵢ · GWPᵢ with wᵢ the mass fractions of
    :data:`BLEND_COMPOSITIONS` (GHG Protocol and EU Regulation 517/2014
    Annex IV compute blends the same way).

    Examples
    --------
    >>> gwp("CH4", "AR5").value
    28.0
    >>> gwp("r-410a", "gwp_ar5").value  # 0.5 · 677 + 0.5 · 3170
    1923.5
    >>> gwp("HFC-134a", "AR6").factor_id
    'ipcc_ar6_gwp100_hfc_134a'
    """
    report = normalise_ar(ar)
    try:
        name = _ALIASES[_squash(gas)]
    except KeyError:
        raise UnknownFactorError(
            f"gwp100 gas={gas!r} (known gases: {', '.join(GWP_GASES)})"
        ) from None
    _, title, table, year = ASSESSMENT_REPORTS[report]
    version, licence = _package()
    origin = _PACKAGE_ORIGIN[report]
    if name in BLEND_COMPOSITIONS:
        parts = BLEND_COMPOSITIONS[name]
        values = {c: _table_value(_SPECIES[c], report, asked=f"{gas} ({c})") for c in parts}
        value = sum(w * values[c] for c, w in parts.items())
        terms = " + ".join(f"{w:g}·{values[c]:g} ({c})" for c, w in parts.items())
        notes = (
            f"Blend GWP computed as Σ mass fraction × component GWP100 = {terms}. "
            "Composition (% by mass) is the nominal one of ASHRAE Standard 34 / ISO 817; "
            "not verified against the standards' text, it agrees with independent public "
            f"reproductions. Component values verified against the package data ({origin})."
        )
        table = f"{table}, components {', '.join(parts)}"
    elif name == "CO2":
        value = 1.0
        notes = "CO2 is the reference gas: GWP = 1 by definition (verified: definition)."
    else:
        value = _table_value(_SPECIES[name], report, asked=gas)
        notes = f"Read from the package at run time (verified against package data; {origin})."
        if report == "AR6" and name == "CH4":
            notes += (
                " Table 7.SM.7 value; AR6 Table 7.15 gives 29.8 (fossil) and 27.0 "
                "(non-fossil), which include chemical effects."
            )
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return Factor(
        factor_id=f"ipcc_{report.lower()}_gwp100_{slug}",
        kind="gwp100",
        value=value,
        unit="dimensionless",
        gas=name,
        region="global",
        data_year=None,
        source=f"{title}; values via Python package globalwarmingpotentials {version} "
        f"(openclimatedata, {licence})",
        table=table,
        edition=year,
        licence=f"{licence} (globalwarmingpotentials data); IPCC values cited as facts",
        notes=notes,
    )
