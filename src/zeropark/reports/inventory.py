"""Inventory reports (温室气体排放清单报告) in JSON, Excel, HTML and PDF.

:func:`write_inventory` is the entry point. :func:`build_report` turns an
:class:`~zeropark.accounting.inventory.Inventory` into one format-neutral
:class:`InventoryReport` (cover data, the three framings' totals, the
reconciliation, the factors used); the writers lay it out:

1. Summary 汇总: enterprise, period, GWP set, grid region and data year, notes;
   MEE/NDRC items and total, GHG Protocol scopes (Scope 3 by category 01–15),
   ISO 14064-1:2018 categories 1–6.
2. Reconciliation 核对: the identities of
   :func:`~zeropark.accounting.framings.reconcile` and Scope 2 location- vs
   market-based per record, with both formulas.
3. Lines 明细: every line with its record, scope/category tags, formula and factors.
4. Activity 活动数据: every field of every activity record.
5. Factors 因子: each factor used once, with its full citation and fallback.

All numbers come from :mod:`zeropark.accounting.framings`; the writers only
lay them out, so the four formats always agree.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from zeropark import __version__
from zeropark.accounting.activity import FIELDS, ActivityRecord, SourceCategory
from zeropark.accounting.framings import (
    ghg_protocol,
    inventory_document,
    iso14064,
    mee_report,
    reconcile,
)
from zeropark.accounting.inventory import Inventory, InventoryLine
from zeropark.errors import InputError

FORMATS = ("json", "xlsx", "html", "pdf")

#: Source categories: Chinese (MEE/NDRC guideline terms) and English labels.
CATEGORY_LABELS = {
    SourceCategory.COMBUSTION: ("化石燃料燃烧", "Fuel combustion"),
    SourceCategory.PROCESS: ("工业生产过程", "Industrial process"),
    SourceCategory.FUGITIVE: ("含氟气体逸散", "Fugitive F-gases"),
    SourceCategory.PURCHASED_ELECTRICITY: ("购入电力", "Purchased electricity"),
    SourceCategory.PURCHASED_HEAT: ("购入热力", "Purchased heat"),
    SourceCategory.EXPORTED_ELECTRICITY: ("输出电力", "Exported electricity"),
    SourceCategory.EXPORTED_HEAT: ("输出热力", "Exported heat"),
    SourceCategory.ELECTRICITY_INSTRUMENT: ("绿证/绿电", "Electricity instrument"),
    SourceCategory.SCOPE3: ("其他间接排放", "Scope 3"),
}
#: English names of the MEE/NDRC report items (keys of ``mee_report``).
MEE_ITEM_EN = {
    "combustion": "Fuel combustion",
    "process": "Industrial processes",
    "fugitive": "Fugitive fluorinated gases",
    "net_purchased_electricity": "Net purchased electricity",
    "net_purchased_heat": "Net purchased heat",
}
#: GHG Protocol Corporate Value Chain (Scope 3) Standard, 2011, table 5.3: the 15 categories.
SCOPE3_CATEGORIES = {
    1: ("外购商品和服务", "Purchased goods and services"),
    2: ("资本货物", "Capital goods"),
    3: ("燃料和能源相关活动", "Fuel- and energy-related activities"),
    4: ("上游运输和配送", "Upstream transportation and distribution"),
    5: ("运营中产生的废弃物", "Waste generated in operations"),
    6: ("商务差旅", "Business travel"),
    7: ("员工通勤", "Employee commuting"),
    8: ("上游租赁资产", "Upstream leased assets"),
    9: ("下游运输和配送", "Downstream transportation and distribution"),
    10: ("售出产品的加工", "Processing of sold products"),
    11: ("售出产品的使用", "Use of sold products"),
    12: ("售出产品的报废处理", "End-of-life treatment of sold products"),
    13: ("下游租赁资产", "Downstream leased assets"),
    14: ("特许经营", "Franchises"),
    15: ("投资", "Investments"),
}
#: ISO 14064-1:2018 clause 5.2.4 categories, Chinese (GB/T 32150 style wording).
ISO_CATEGORIES_ZH = {
    1: "直接温室气体排放和清除",
    2: "输入能源的间接温室气体排放",
    3: "运输产生的间接温室气体排放",
    4: "组织使用的产品产生的间接温室气体排放",
    5: "与使用组织产品相关的间接温室气体排放",
    6: "其他来源的间接温室气体排放",
}
#: Chinese wording of the identities checked by ``reconcile``.
IDENTITIES_ZH = {
    "mee_total = scope1 + scope2_location - exported":
        "MEE/NDRC 总量 = 范围一 + 范围二(基于位置) − 输出",
    "iso_total = scope1 + scope2_location + scope3":
        "ISO 14064-1 总量 = 范围一 + 范围二(基于位置) + 范围三",
    "iso_cat1 + iso_cat2 = scope1 + scope2_location":
        "ISO 类别1 + 类别2 = 范围一 + 范围二(基于位置)",
    "scope2_market - scope2_location = sum of record differences":
        "范围二 基于市场 − 基于位置 = 各记录差额之和",
}
#: Activity-record fields: Chinese and English column headings.
FIELD_LABELS = {
    "record_id": ("记录编号", "Record ID"), "enterprise_id": ("企业", "Enterprise"),
    "period_start": ("起始日期", "Period start"), "period_end": ("截止日期", "Period end"),
    "category": ("排放源类别", "Category"), "quantity": ("数量", "Quantity"),
    "unit": ("单位", "Unit"), "fuel": ("燃料", "Fuel"), "ncv": ("低位发热量", "NCV"),
    "ncv_unit": ("低位发热量单位", "NCV unit"),
    "carbon_content": ("单位热值含碳量 [tC/GJ]", "Carbon content"),
    "oxidation_rate": ("碳氧化率", "Oxidation rate"), "material": ("原料", "Material"),
    "purity": ("纯度", "Purity"), "gas": ("气体", "Gas"),
    "scope3_category": ("范围三类别", "Scope 3 category"),
    "emission_factor": ("排放因子", "Emission factor"),
    "emission_factor_unit": ("排放因子单位", "EF unit"), "factor_id": ("因子编号", "Factor ID"),
    "instrument": ("绿证/绿电", "Instrument"),
    "instrument_criteria": ("质量准则", "Instrument criteria"),
    "region": ("电网区域", "Grid region"), "source": ("数据来源", "Source"),
    "note": ("备注", "Note"),
}
SCOPE2_EXPLANATION = (
    "基于位置法采用所在区域电网平均排放因子；基于市场法对绿证/绿电覆盖的电量按 0 计，"
    "其余电量采用剩余组合（代理）因子。 Location-based Scope 2 uses the average grid factor "
    "of the region and year; market-based Scope 2 counts electricity covered by contractual "
    "instruments (GEC, green-power contracts) at 0 t CO2/MWh and the rest at the residual-mix "
    "(proxy) factor (GHG Protocol Scope 2 Guidance, 2015, ch. 6). Heat has no instruments: "
    "its market-based line equals the location-based one."
)


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One total of a framing: machine key, labels and value [t CO2e] (None = not reported)."""

    key: str
    label_zh: str
    label_en: str
    co2e_t: float | None
    kind: str = ""  # "" item, "sub" sub-item, "total", "memo"


@dataclass(frozen=True, slots=True)
class SummarySection:
    """The totals of one framing (MEE/NDRC, GHG Protocol or ISO 14064-1)."""

    framing: str
    title_zh: str
    title_en: str
    rows: tuple[SummaryRow, ...]


@dataclass(frozen=True, slots=True)
class IdentityRow:
    """One identity of ``reconcile``: left, right and left − right [t CO2e]."""

    key: str
    label_zh: str
    left: float
    right: float
    difference: float
    holds: bool


@dataclass(frozen=True, slots=True)
class Scope2Row:
    """Scope 2 of one record, location- vs market-based [t CO2e], with both formulas."""

    record_id: str
    location_co2e_t: float
    market_co2e_t: float
    difference_co2e_t: float
    location_formula: str
    market_formula: str


@dataclass(frozen=True, slots=True)
class FactorRow:
    """A factor used by the inventory, once, with the roles and lines that use it."""

    factor_id: str
    roles: str
    value: float
    unit: str
    source: str
    fallback: str
    line_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InventoryReport:
    """Everything the writers lay out, computed once from an inventory."""

    inventory: Inventory
    meta: tuple[tuple[str, str, str], ...]
    summary: tuple[SummarySection, ...]
    identities: tuple[IdentityRow, ...]
    scope2: tuple[Scope2Row, ...]
    factors: tuple[FactorRow, ...]
    generated: str


def write_inventory(inventory: Inventory, path: str | Path, *, fmt: str) -> Path:
    """Write an inventory report, atomically.

    Parameters
    ----------
    inventory : Inventory
        The computed inventory.
    path : str or pathlib.Path
        Target file; replaced if it exists.
    fmt : str
        ``json``, ``xlsx``, ``html`` or ``pdf``.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        For an unknown `fmt` or a folder that cannot be written. On any error no
        partial file is left (the report goes to a temporary file in the same
        folder, moved into place with :func:`os.replace`), and an existing
        target is left as it was.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}", field="format")
    target = Path(path)
    report = build_report(inventory)
    tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as err:
        raise InputError(f"cannot write the report: {err.strerror}", path=str(target)) from err
    try:
        _writers()[fmt](report, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _writers() -> dict[str, Callable[[InventoryReport, Path], None]]:
    from zeropark.reports.inventory_pdf import write_pdf
    from zeropark.reports.inventory_xlsx import write_xlsx

    return {"json": write_json, "xlsx": write_xlsx, "html": write_html, "pdf": write_pdf}


def write_json(report: InventoryReport, path: Path) -> None:
    """Write :func:`~zeropark.accounting.framings.inventory_document` as UTF-8 JSON."""
    text = json.dumps(inventory_document(report.inventory), ensure_ascii=False, indent=1,
                      default=str)
    path.write_text(text + "\n", encoding="utf-8")


def write_html(report: InventoryReport, path: Path) -> None:
    """Write one self-contained, printable HTML page (``templates/inventory.html``)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("zeropark.reports", "templates"),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(t=fmt_t, num=fmt_number)
    page = env.get_template("inventory.html").render(
        r=report, inv=report.inventory, category=category_label, tags=line_tags,
        record_details=record_details, field_labels=FIELD_LABELS,
        explanation=SCOPE2_EXPLANATION)
    path.write_text(page, encoding="utf-8")


def build_report(inventory: Inventory) -> InventoryReport:
    """Compute the report contents (framings, reconciliation, factors) of an inventory."""
    inv = inventory
    meta = (
        ("企业", "Enterprise", inv.enterprise_id),
        ("报告期", "Reporting period", inv.period),
        ("全球变暖潜势", "GWP set (100-year)", f"IPCC {inv.gwp_set}"),
        ("电网区域", "Grid region", inv.region),
        ("电网因子数据年份", "Grid factor data year", str(inv.data_year)),
        ("活动数据记录 / 清单行", "Activity records / lines",
         f"{len(inv.records)} / {len(inv.lines)}"),
    )
    rec = reconcile(inv)
    identities = []
    for key, (left, right) in rec["identities"].items():
        diff = float(left) - float(right)
        holds = abs(diff) <= 1e-9 * max(1.0, abs(float(left)), abs(float(right)))
        identities.append(IdentityRow(key, IDENTITIES_ZH.get(key, ""), float(left),
                                      float(right), diff, holds))
    location_formula = {x.record_id: x.formula for x in inv.lines
                        if x.scope == 2 and x.scope2_method == "location"}
    scope2 = tuple(Scope2Row(r["record_id"], r["location_co2e_t"], r["market_co2e_t"],
                             r["difference_co2e_t"], location_formula.get(r["record_id"], ""),
                             r["explanation"]) for r in rec["scope2_by_record"])
    return InventoryReport(inv, meta, _summary(inv), tuple(identities), scope2,
                           _factor_rows(inv.lines),
                           f"{date.today().isoformat()}, zeropark {__version__}")


def _summary(inv: Inventory) -> tuple[SummarySection, ...]:
    mee = mee_report(inv)
    mee_rows = [SummaryRow(f"mee.{i['item']}", i["name_zh"], MEE_ITEM_EN.get(i["item"], i["item"]),
                           i["co2e_t"]) for i in mee["items"]]
    mee_rows.append(SummaryRow("mee.total", "排放总量", "Total", mee["total_co2e_t"], "total"))
    ghg = ghg_protocol(inv)
    by_cat = ghg["scope3_by_category"]
    ghg_rows = [
        SummaryRow("ghg.scope1", "范围一 直接排放", "Scope 1 (direct)", ghg["scope1_co2e_t"]),
        SummaryRow("ghg.scope2_location", "范围二 基于位置", "Scope 2 location-based",
                   ghg["scope2_location_co2e_t"]),
        SummaryRow("ghg.scope2_market", "范围二 基于市场", "Scope 2 market-based",
                   ghg["scope2_market_co2e_t"]),
        SummaryRow("ghg.scope3", "范围三 其他间接排放", "Scope 3 (other indirect)",
                   ghg["scope3_co2e_t"]),
    ]
    ghg_rows += [SummaryRow(f"ghg.scope3_cat{c:02d}", f"{c:02d} {zh}", f"{c:02d} {en}",
                            by_cat.get(f"cat{c:02d}"), "sub")
                 for c, (zh, en) in SCOPE3_CATEGORIES.items()]
    ghg_rows += [
        SummaryRow("ghg.total_location", "合计（范围二基于位置）", "Total, Scope 2 location-based",
                   ghg["total_location_co2e_t"], "total"),
        SummaryRow("ghg.total_market", "合计（范围二基于市场）", "Total, Scope 2 market-based",
                   ghg["total_market_co2e_t"], "total"),
        SummaryRow("ghg.memo_exported", "备忘项：输出电力/热力（未扣减）",
                   "Memo: exported energy (not deducted)", ghg["memo_exported_co2e_t"], "memo"),
    ]
    iso = iso14064(inv)
    iso_rows = [SummaryRow(f"iso.cat{c['category']}", f"类别{c['category']} "
                           f"{ISO_CATEGORIES_ZH.get(c['category'], '')}",
                           f"Category {c['category']}: {c['name']}", c["co2e_t"])
                for c in iso["categories"]]
    iso_rows.append(SummaryRow("iso.total", "排放总量", "Total", iso["total_co2e_t"], "total"))
    return (
        SummarySection("MEE/NDRC", "生态环境部/发改委核算指南", "MEE/NDRC guideline report",
                       tuple(mee_rows)),
        SummarySection("GHG Protocol", "温室气体核算体系", "GHG Protocol", tuple(ghg_rows)),
        SummarySection("ISO 14064-1", "ISO 14064-1:2018 类别", "ISO 14064-1:2018 categories",
                       tuple(iso_rows)),
    )


def _factor_rows(lines: tuple[InventoryLine, ...]) -> tuple[FactorRow, ...]:
    """The factors of the lines, once each: by id, and by id and role for on-record values."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        for use in line.factors:
            key = (use.factor_id, use.role if use.factor_id.startswith("record:") else "")
            row = rows.setdefault(key, {"use": use, "roles": [], "fallbacks": [], "lines": []})
            for name, value in (("roles", use.role), ("fallbacks", use.fallback),
                                ("lines", line.line_id)):
                if value and value not in row[name]:
                    row[name].append(value)
    return tuple(FactorRow(r["use"].factor_id, ", ".join(r["roles"]), r["use"].value,
                           r["use"].unit, r["use"].source, "; ".join(r["fallbacks"]),
                           tuple(r["lines"])) for r in rows.values())


def category_label(category: SourceCategory | str) -> str:
    """Bilingual label of a source category.

    Examples
    --------
    >>> category_label(SourceCategory.COMBUSTION)
    '化石燃料燃烧 Fuel combustion'
    """
    labels: dict[str, tuple[str, str]] = {str(k): v for k, v in CATEGORY_LABELS.items()}
    zh, en = labels.get(str(category), ("", str(category)))
    return f"{zh} {en}".strip()


def line_tags(line: InventoryLine) -> str:
    """Scope and category tags of a line, e.g. ``"Scope 2 market · ISO — · MEE 0"``."""
    scope = f"Scope {line.scope}" if line.scope else "Memo"
    if line.scope2_method:
        scope += f" {line.scope2_method}"
    if line.scope3_category:
        scope += f" cat {line.scope3_category:02d}"
    iso = f"ISO {line.iso_category}" if line.iso_category else "ISO —"
    mee = f"MEE {line.mee_sign:+d}" if line.mee_sign else "MEE 0"
    return f"{scope} · {iso} · {mee}"


def record_details(record: ActivityRecord) -> list[tuple[str, str]]:
    """Fields of a record beyond id, category, period, quantity, unit, source and note."""
    shown = {"record_id", "category", "period_start", "period_end", "quantity", "unit",
             "source", "note"}
    out = []
    for name in FIELDS:
        value = getattr(record, name)
        if name in shown or value is None or value == "":
            continue
        out.append((name, fmt_number(value) if isinstance(value, float) else str(value)))
    return out


def fmt_t(value: float | None) -> str:
    """Tonnes CO2e with thousands separators and 3 decimals; ``—`` for None.

    Examples
    --------
    >>> fmt_t(12345.6789), fmt_t(-1e-13), fmt_t(None)
    ('12,345.679', '0.000', '—')
    """
    if value is None:
        return "—"
    text = f"{value:,.3f}"
    return "0.000" if text == "-0.000" else text


def fmt_number(value: float | int | None) -> str:
    """A number without spurious digits; ``—`` for None.

    Examples
    --------
    >>> fmt_number(1000.0), fmt_number(389.31), fmt_number(0.0005), fmt_number(3)
    ('1,000', '389.31', '0.0005', '3')
    """
    if value is None:
        return "—"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    if abs(value) >= 1:
        return f"{value:,.6f}".rstrip("0").rstrip(".")
    return f"{value:.6g}"


__all__ = ["FORMATS", "InventoryReport", "build_report", "write_inventory"]
