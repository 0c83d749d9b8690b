"""Greenhouse-gas elementary flows: name/CAS matching and GWP100 characterization.

Databases name their elementary flows in their own way (openLCA/ecoinvent style
``"Methane, fossil"``, ``"Dinitrogen monoxide"``; NETL style ``"Carbon dioxide
[Inorganic emissions to air]"``). :func:`match_ghg` maps a flow to a gas of
:mod:`zeropark.factors.gwp` by its normalised name (:data:`GHG_FLOW_NAMES`),
else by CAS number (:data:`GHG_CAS`), and :func:`gwp100_factors` turns the
matches into characterization factors.

Rules (documented choices)
--------------------------
- Names are compared after stripping, lower-casing, collapsing blanks and
  dropping a trailing ``[...]`` annotation.
- Compartment: a flow whose compartment path has a segment starting with
  ``water``, ``soil`` or ``ground`` is never a GHG emission; a ``resource``
  compartment only matches CO2 uptake (``"Carbon dioxide, in air"`` or plain
  ``"Carbon dioxide"``), flagged biogenic. Every other compartment (``air/...``,
  ``Emission to air``, or none) counts as an emission to air.
- Biogenic: names with ``biogenic`` or ``non-fossil`` and CO2 uptake from air
  are biogenic. ``"Carbon dioxide, land transformation"`` (direct land-use
  change) counts as fossil-like CO2, CF 1, not biogenic (ISO 14067 asks for
  dLUC emissions to be reported separately; :func:`by_flow` shows the flow by
  name).
- Two GWP100 methods are built:

  * :data:`METHOD_GWP100` — the fossil total: biogenic CO2 (emission and uptake)
    has CF 0; biogenic CH4 keeps its GWP (its warming is not offset by uptake);
  * :data:`METHOD_GWP100_BIOGENIC` — the same plus biogenic CO2 emissions with CF 1
    and uptakes with CF 1 on their negative (resource) amounts, i.e. ISO 14067's
    total with biogenic emissions and removals.

- Gases :func:`zeropark.factors.gwp.gwp` does not cover (CFCs, HCFCs, halons,
  HFC-143, CO, unspecified "HFCs"/"PFCs" groups) get no factor; they are listed
  as unmatched by the importers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from zeropark.factors.gwp import gwp

#: Name of the fossil GWP100 method (biogenic CO2 CF = 0).
METHOD_GWP100: Final = "GWP100"
#: Name of the GWP100 method that also counts biogenic CO2 emissions and removals.
METHOD_GWP100_BIOGENIC: Final = "GWP100_incl_biogenic_CO2"

#: Normalised flow name → (gas of :func:`zeropark.factors.gwp.gwp`, biogenic).
GHG_FLOW_NAMES: Final = MappingProxyType({
    "carbon dioxide": ("CO2", False),
    "carbon dioxide, fossil": ("CO2", False),
    "carbon dioxide, land transformation": ("CO2", False),
    "carbon dioxide, biogenic": ("CO2", True),
    "carbon dioxide, non-fossil": ("CO2", True),
    "carbon dioxide, in air": ("CO2", True),
    "carbon dioxide, from soil or biomass stock": ("CO2", False),
    "methane": ("CH4", False),
    "methane, fossil": ("CH4", False),
    "methane, biogenic": ("CH4", True),
    "methane, non-fossil": ("CH4", True),
    "methane, from soil or biomass stock": ("CH4", False),
    "dinitrogen monoxide": ("N2O", False),
    "nitrous oxide": ("N2O", False),
    "nitrous oxide (laughing gas)": ("N2O", False),
    "sulfur hexafluoride": ("SF6", False),
    "sulphur hexafluoride": ("SF6", False),
    "nitrogen trifluoride": ("NF3", False),
    "methane, trifluoro-, hfc-23": ("HFC-23", False),
    "methane, difluoro-, hfc-32": ("HFC-32", False),
    "ethane, pentafluoro-, hfc-125": ("HFC-125", False),
    "ethane, 1,1,1,2-tetrafluoro-, hfc-134a": ("HFC-134a", False),
    "ethane, 1,1,1-trifluoro-, hfc-143a": ("HFC-143a", False),
    "ethane, 1,1-difluoro-, hfc-152a": ("HFC-152a", False),
    "propane, 1,1,1,2,3,3,3-heptafluoro-, hfc-227ea": ("HFC-227ea", False),
    "1,1,1,3,3-pentafluoropropane, hfc-245fa": ("HFC-245fa", False),
    "methane, tetrafluoro-, cfc-14": ("CF4", False),
    "methane, tetrafluoro-, fc-14": ("CF4", False),
    "methane, tetrafluoro-, r-14": ("CF4", False),
    "ethane, hexafluoro-, hfc-116": ("C2F6", False),
    "ethane, hexafluoro-, fc-116": ("C2F6", False),
})

#: CAS number (no leading zeros) → gas; used when the name is not in the table.
GHG_CAS: Final = MappingProxyType({
    "124-38-9": "CO2", "74-82-8": "CH4", "10024-97-2": "N2O", "2551-62-4": "SF6",
    "7783-54-2": "NF3", "75-46-7": "HFC-23", "75-10-5": "HFC-32", "354-33-6": "HFC-125",
    "811-97-2": "HFC-134a", "420-46-2": "HFC-143a", "75-37-6": "HFC-152a",
    "431-89-0": "HFC-227ea", "460-73-1": "HFC-245fa", "75-73-0": "CF4", "76-16-4": "C2F6",
})

_NOT_AIR = ("water", "soil", "ground")


@dataclass(frozen=True, slots=True)
class GhgMatch:
    """A flow recognised as a greenhouse gas.

    ``uptake`` marks CO2 taken from air (a resource flow, negative in **B**).
    """

    gas: str
    biogenic: bool
    uptake: bool = False


def normalise_flow_name(name: str) -> str:
    """Lower-case name without a trailing ``[...]`` note and with single blanks.

    Examples
    --------
    >>> normalise_flow_name("Carbon dioxide [Inorganic emissions to air] ")
    'carbon dioxide'
    """
    text = re.sub(r"\s*\[[^\]]*\]\s*$", "", name.strip())
    return re.sub(r"\s+", " ", text).strip().lower()


def _normalise_cas(cas: str) -> str:
    parts = cas.strip().split("-")
    if parts:
        parts[0] = parts[0].lstrip("0")
    return "-".join(parts)


def match_ghg(name: str, compartment: str = "", cas: str = "") -> GhgMatch | None:
    """Recognise a greenhouse-gas elementary flow (rules in the module doc).

    Parameters
    ----------
    name : str
        Flow name.
    compartment : str
        Category path, segments separated by ``/`` (``"air/unspecified"``).
    cas : str
        CAS number, leading zeros allowed (``"000074-82-8"``).

    Returns
    -------
    GhgMatch or None

    Examples
    --------
    >>> match_ghg("Methane, biogenic", "air/unspecified")
    GhgMatch(gas='CH4', biogenic=True, uptake=False)
    >>> match_ghg("Carbon dioxide, in air", "resource/in air")
    GhgMatch(gas='CO2', biogenic=True, uptake=True)
    >>> match_ghg("Methane, dichloro-, HCC-30", "air") is None
    True
    """
    segments = [s.strip().lower() for s in compartment.split("/") if s.strip()]
    if any(s.startswith(_NOT_AIR) for s in segments):
        return None
    key = normalise_flow_name(name)
    resource = any(s.startswith("resource") for s in segments)
    if resource:
        if key in ("carbon dioxide, in air", "carbon dioxide"):
            return GhgMatch("CO2", True, uptake=True)
        return None
    if key in GHG_FLOW_NAMES:
        gas, biogenic = GHG_FLOW_NAMES[key]
        return GhgMatch(gas, biogenic, uptake=key == "carbon dioxide, in air")
    gas_by_cas = GHG_CAS.get(_normalise_cas(cas)) if cas else None
    if gas_by_cas is not None:
        return GhgMatch(gas_by_cas, "biogenic" in key or "non-fossil" in key)
    return None


def gwp100_factors(match: GhgMatch, ar: str = "AR6") -> dict[str, float]:
    """Characterization factors of a matched flow in both GWP100 methods.

    Parameters
    ----------
    match : GhgMatch
    ar : str
        IPCC assessment report of the GWP100 values, see :func:`zeropark.factors.gwp.gwp`.

    Returns
    -------
    dict
        ``{METHOD_GWP100: cf, METHOD_GWP100_BIOGENIC: cf}`` [kg CO2e/kg of flow].

    Examples
    --------
    >>> gwp100_factors(GhgMatch("CO2", True))
    {'GWP100': 0.0, 'GWP100_incl_biogenic_CO2': 1.0}
    >>> gwp100_factors(GhgMatch("N2O", False), "AR5")["GWP100"]
    265.0
    """
    value = gwp(match.gas, ar).value
    fossil_total = 0.0 if (match.gas == "CO2" and match.biogenic) else value
    return {METHOD_GWP100: fossil_total, METHOD_GWP100_BIOGENIC: value}
