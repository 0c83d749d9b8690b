"""One ledger, three framings: MEE/NDRC guideline tables, GHG Protocol scopes, ISO 14064-1.

All three sum the same :class:`~zeropark.accounting.inventory.InventoryLine` values;
:func:`reconcile` shows how their totals relate, line by line.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from zeropark.accounting.activity import SourceCategory
from zeropark.accounting.inventory import Inventory, InventoryLine

#: MEE/NDRC report items (Chinese terms of the guideline report tables).
MEE_ITEMS = {
    SourceCategory.COMBUSTION: ("combustion", "化石燃料燃烧排放"),
    SourceCategory.PROCESS: ("process", "工业生产过程排放"),
    SourceCategory.FUGITIVE: ("fugitive", "含氟气体逸散排放"),
    SourceCategory.PURCHASED_ELECTRICITY: ("net_purchased_electricity", "净购入电力排放"),
    SourceCategory.EXPORTED_ELECTRICITY: ("net_purchased_electricity", "净购入电力排放"),
    SourceCategory.PURCHASED_HEAT: ("net_purchased_heat", "净购入热力排放"),
    SourceCategory.EXPORTED_HEAT: ("net_purchased_heat", "净购入热力排放"),
}
ISO_CATEGORIES = {
    1: "Direct GHG emissions and removals",
    2: "Indirect GHG emissions from imported energy",
    3: "Indirect GHG emissions from transportation",
    4: "Indirect GHG emissions from products used by the organization",
    5: "Indirect GHG emissions associated with the use of products from the organization",
    6: "Indirect GHG emissions from other sources",
}


def _sum(lines: list[InventoryLine]) -> float:
    return float(sum(line.co2e_t for line in lines))


def mee_report(inventory: Inventory) -> dict[str, Any]:
    """Totals by the MEE/NDRC guideline report items.

    E = E_combustion + E_process + E_fugitive + E_electricity(net) + E_heat(net), with
    net = purchased − exported (location-based grid factor). Scope 3 and
    market-based lines are not part of it.

    Returns
    -------
    dict
        ``items``: per item ``{"item", "name_zh", "co2e_t", "lines": [line ids]}``;
        ``total_co2e_t``.
    """
    items: dict[str, dict[str, Any]] = {}
    for line in inventory.lines:
        if line.mee_sign == 0:
            continue
        key, name = MEE_ITEMS[line.category]
        item = items.setdefault(key, {"item": key, "name_zh": name, "co2e_t": 0.0,
                                      "lines": []})
        item["co2e_t"] += line.mee_sign * line.co2e_t
        item["lines"].append(line.line_id)
    total = sum(i["co2e_t"] for i in items.values())
    return {"items": list(items.values()), "total_co2e_t": total}


def ghg_protocol(inventory: Inventory) -> dict[str, Any]:
    """Totals by GHG Protocol scope: 1, 2 location-based, 2 market-based, 3 by category.

    Returns
    -------
    dict
        ``scope1_co2e_t``, ``scope2_location_co2e_t``, ``scope2_market_co2e_t``,
        ``scope3_co2e_t``, ``scope3_by_category`` (``"cat01"``…), ``memo_exported_co2e_t``
        (exports: not deducted in this framing), ``total_location_co2e_t``,
        ``total_market_co2e_t`` (scope 1 + 2 + 3).
    """
    s1 = [x for x in inventory.lines if x.scope == 1]
    s2l = [x for x in inventory.lines if x.scope == 2 and x.scope2_method == "location"]
    s2m = [x for x in inventory.lines if x.scope == 2 and x.scope2_method == "market"]
    s3 = [x for x in inventory.lines if x.scope == 3]
    memo = [x for x in inventory.lines if x.scope == 0]
    by_cat: dict[str, float] = defaultdict(float)
    for line in s3:
        by_cat[f"cat{int(line.scope3_category or 0):02d}"] += line.co2e_t
    return {
        "scope1_co2e_t": _sum(s1), "scope2_location_co2e_t": _sum(s2l),
        "scope2_market_co2e_t": _sum(s2m), "scope3_co2e_t": _sum(s3),
        "scope3_by_category": dict(sorted(by_cat.items())),
        "memo_exported_co2e_t": _sum(memo),
        "total_location_co2e_t": _sum(s1) + _sum(s2l) + _sum(s3),
        "total_market_co2e_t": _sum(s1) + _sum(s2m) + _sum(s3),
    }


def iso14064(inventory: Inventory) -> dict[str, Any]:
    """Totals by ISO 14064-1:2018 categories 1–6 (category 2 location-based).

    Returns
    -------
    dict
        ``categories``: ``[{"category", "name", "co2e_t"}]`` for 1–6; ``total_co2e_t``.
    """
    totals = dict.fromkeys(ISO_CATEGORIES, 0.0)
    for line in inventory.lines:
        if line.iso_category:
            totals[line.iso_category] += line.co2e_t
    return {"categories": [{"category": c, "name": ISO_CATEGORIES[c], "co2e_t": v}
                           for c, v in totals.items()],
            "total_co2e_t": sum(totals.values())}


def reconcile(inventory: Inventory) -> dict[str, Any]:
    """How the three framings' totals relate, and Scope 2 location vs market per record.

    Identities (exact on the same lines):
    MEE total = Scope 1 + Scope 2 (location) − exported;
    ISO 14064-1 total = Scope 1 + Scope 2 (location) + Scope 3 = GHG Protocol total
    (location-based); Scope 2 market − location = Σ per-record differences.

    Returns
    -------
    dict
        ``identities`` (name → (left, right)), ``scope2_by_record`` (record id →
        location, market, difference, and the market formula).
    """
    ghg = ghg_protocol(inventory)
    mee = mee_report(inventory)
    iso = iso14064(inventory)
    by_record: dict[str, dict[str, Any]] = {}
    for line in inventory.lines:
        if line.scope != 2:
            continue
        row = by_record.setdefault(line.record_id, {"record_id": line.record_id,
                                                    "location_co2e_t": 0.0,
                                                    "market_co2e_t": 0.0, "explanation": ""})
        row[f"{line.scope2_method}_co2e_t"] += line.co2e_t
        if line.scope2_method == "market":
            row["explanation"] = line.formula
    for row in by_record.values():
        row["difference_co2e_t"] = row["market_co2e_t"] - row["location_co2e_t"]
    s1, s2l = ghg["scope1_co2e_t"], ghg["scope2_location_co2e_t"]
    return {
        "identities": {
            "mee_total = scope1 + scope2_location - exported": (
                mee["total_co2e_t"], s1 + s2l - ghg["memo_exported_co2e_t"]),
            "iso_total = scope1 + scope2_location + scope3": (
                iso["total_co2e_t"], s1 + s2l + ghg["scope3_co2e_t"]),
            "iso_cat1 + iso_cat2 = scope1 + scope2_location": (
                iso["categories"][0]["co2e_t"] + iso["categories"][1]["co2e_t"], s1 + s2l),
            "scope2_market - scope2_location = sum of record differences": (
                ghg["scope2_market_co2e_t"] - s2l,
                sum(r["difference_co2e_t"] for r in by_record.values())),
        },
        "scope2_by_record": list(by_record.values()),
    }


def inventory_document(inventory: Inventory) -> dict[str, Any]:
    """The whole inventory as one JSON-ready document (lines, framings, reconciliation)."""
    return {
        "enterprise_id": inventory.enterprise_id, "period": inventory.period,
        "gwp_set": inventory.gwp_set, "region": inventory.region,
        "data_year": inventory.data_year, "notes": list(inventory.notes),
        "mee": mee_report(inventory), "ghg_protocol": ghg_protocol(inventory),
        "iso14064_1": iso14064(inventory), "reconciliation": reconcile(inventory),
        "lines": [line.as_dict() for line in inventory.lines],
    }
