"""Green trade: EU CBAM embedded emissions, reports and supplier data exchange.

Layers (house style): pure functions of the methodology in
:mod:`~zeropark.cbam.embedded` and :mod:`~zeropark.cbam.cost`; the catalogue and
default values (from the ``opencbam`` package) in :mod:`~zeropark.cbam.goods` and
:mod:`~zeropark.cbam.defaults`; the installation model in
:mod:`~zeropark.cbam.installation`; the pipeline from the enterprise ledger in
:mod:`~zeropark.cbam.pipeline`; outputs in :mod:`~zeropark.cbam.communication`
(xlsx), :mod:`~zeropark.cbam.qreport` (XML + XSD validation) and
:mod:`~zeropark.cbam.supplier` (bilingual supplier requests).

Legal basis: Regulation (EU) 2023/956 (Annex I goods, Annex II direct-only goods,
Art. 31 free-allocation adjustment); Implementing Regulation (EU) 2023/1773
(transitional reporting, Annex III methodology); IR (EU) 2025/2621 (default
values); IR (EU) 2025/2620 (benchmarks).
"""

from zeropark.cbam.cost import cbam_factor, estimate_certificate_cost
from zeropark.cbam.defaults import DefaultValue, default_value
from zeropark.cbam.embedded import (
    attributed_direct_emissions,
    embedded_precursor_emissions,
    indirect_emissions,
    see_complex,
    see_simple,
)
from zeropark.cbam.goods import CbamGood, is_cbam_good, lookup_good, search_goods
from zeropark.cbam.installation import Installation, read_installation
from zeropark.cbam.pipeline import (
    InstallationResult,
    compute_installation,
    installation_inventory,
    result_document,
)

__all__ = [
    "CbamGood",
    "DefaultValue",
    "Installation",
    "InstallationResult",
    "attributed_direct_emissions",
    "cbam_factor",
    "compute_installation",
    "default_value",
    "embedded_precursor_emissions",
    "estimate_certificate_cost",
    "indirect_emissions",
    "installation_inventory",
    "is_cbam_good",
    "lookup_good",
    "read_installation",
    "result_document",
    "search_goods",
    "see_complex",
    "see_simple",
]
