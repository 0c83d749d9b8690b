"""The operator → importer communication of embedded emissions as an Excel workbook.

Sheet names follow the Commission's "communication template for installations"
(DG TAXUD, transitional period): ``A_InstData``, ``B_EmInst``,
``C_Emissions&Energy``, ``D_Processes``, ``E_PurchPrec``,
``Summary_Communication``. The template's cell layout is not public as a
specification and is not reproduced: each sheet here is a plain table with
bilingual (English / 中文) headings holding the data the template's sheet asks
for (installation and operator data; emission sources; installation emissions
and energy flows; per process attributed emissions, activity levels and SEE;
purchased precursors; the per-good summary the importer copies into its report).
Values only, no formulas; text cells are never formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zeropark.cbam.pipeline import InstallationResult

SHEETS = ("A_InstData", "B_EmInst", "C_Emissions&Energy", "D_Processes", "E_PurchPrec",
          "Summary_Communication")
T_FORMAT = "#,##0.000"
SEE_FORMAT = "0.0000"
_HEAD_FILL = PatternFill("solid", fgColor="1F4E5F")
_HEAD_FONT = Font(bold=True, color="FFFFFF")
_WRAP = Alignment(wrap_text=True, vertical="top")

#: What this workbook approximates relative to the Commission's template.
APPROXIMATIONS = (
    "Sheet names follow the Commission's communication template; cell layout, code lists and "
    "drop-downs of the template are not reproduced (plain tables).",
    "Emissions are calculation-based from the enterprise ledger (MEE/NDRC default NCV, carbon "
    "content and oxidation factors unless measured); monitoring-methodology tiers of "
    "IR 2023/1773 Annex III are not assessed.",
    "Indirect emissions use the grid factor of the zeropark factor library (MEE/NBS) unless "
    "the installation file gives another; IEA defaults of IR 2025/2621 are not shipped.",
    "No carbon price paid in the country of origin is reported (China ETS does not cover "
    "this installation); add it where one is due.",
)


def _put(ws: Worksheet, row: int, col: int, value: Any, fmt: str = "") -> Any:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        cell.alignment = _WRAP
    elif value is not None and fmt:
        cell.number_format = fmt
    return cell


def _table(ws: Worksheet, first_row: int, columns: Sequence[tuple[str, float, str]],
           rows: Sequence[Sequence[Any]]) -> int:
    for j, (heading, width, _) in enumerate(columns, start=1):
        cell = _put(ws, first_row, j, heading)
        cell.font, cell.fill = _HEAD_FONT, _HEAD_FILL
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0,
                                                 width)
    for i, values in enumerate(rows, start=first_row + 1):
        for j, value in enumerate(values, start=1):
            _put(ws, i, j, value, columns[j - 1][2])
    return first_row + len(rows) + 2


def write_communication(result: InstallationResult, path: str | Path) -> Path:
    """Write the communication workbook of an installation result.

    Parameters
    ----------
    result : InstallationResult
    path : str or pathlib.Path
        Target ``.xlsx``.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    wb = Workbook()
    inst = result.installation
    wb.properties.title = f"CBAM communication {inst.installation_id} {result.year}"
    wb.properties.creator = "zeropark"
    ws = wb.active
    ws.title = SHEETS[0]
    _inst_data(ws, result)
    _em_inst(wb.create_sheet(SHEETS[1]), result)
    _emissions_energy(wb.create_sheet(SHEETS[2]), result)
    _processes(wb.create_sheet(SHEETS[3]), result)
    _purchased(wb.create_sheet(SHEETS[4]), result)
    _summary(wb.create_sheet(SHEETS[5]), result)
    wb.save(path)
    return path


def _kv(ws: Worksheet, rows: Sequence[tuple[str, str, Any]], first: int = 1) -> int:
    cols = [("项目", 28, ""), ("Item", 36, ""), ("值 Value", 60, "")]
    return _table(ws, first, cols, [list(r) for r in rows])


def _inst_data(ws: Worksheet, result: InstallationResult) -> None:
    inst, op = result.installation, result.installation.operator
    a = inst.address
    rows = [
        ("报告期", "Reporting period (start, end exclusive)",
         f"{inst.period_start} – {inst.period_end}"),
        ("设施编号", "Installation ID", inst.installation_id),
        ("设施名称", "Installation name", inst.name),
        ("经济活动", "Economic activity", inst.economic_activity),
        ("国家", "Country", a.country), ("省/地区", "Subdivision", a.subdivision),
        ("城市", "City", a.city), ("地址", "Street, number", f"{a.street} {a.number}".strip()),
        ("邮编", "Postcode", a.postcode),
        ("坐标", "Latitude, longitude", f"{inst.latitude}, {inst.longitude}".strip(", ")),
        ("运营者编号", "Operator ID", op.operator_id), ("运营者名称", "Operator name", op.name),
        ("联系人", "Contact", op.contact_name), ("电话", "Phone", op.phone),
        ("邮箱", "Email", op.email),
        ("企业台账", "Enterprise ledger (zeropark enterprise id)", inst.enterprise_id),
    ]
    end = _kv(ws, rows)
    cols = [("工序 Process", 22, ""), ("名称 Name", 40, ""), ("CN 编码 CN codes", 24, ""),
            ("汇总商品类别 Aggregated goods category", 28, ""), ("生产路线 Route", 24, ""),
            ("活动水平 Activity level t", 16, T_FORMAT)]
    rows2 = [[g.process_id, inst.process(g.process_id).name,
              ", ".join(x.cn_display for x in g.goods), g.category, g.route,
              g.activity_level_t] for g in result.goods]
    _table(ws, end, cols, rows2)


def _em_inst(ws: Worksheet, result: InstallationResult) -> None:
    cols = [("行号 Line", 30, ""), ("记录 Record", 26, ""), ("类别 Category", 22, ""),
            ("气体 Gas", 8, ""), ("活动数据 Activity", 14, "General"), ("单位 Unit", 12, ""),
            ("排放 t CO2e", 14, T_FORMAT), ("公式 Formula", 60, ""),
            ("因子 Factors", 60, ""), ("来源 Source", 30, "")]
    records = {r.record_id: r for r in result.inventory.records}
    rows = []
    for line in result.inventory.lines:
        if line.scope not in (0, 1) and line.scope2_method != "location":
            continue
        if line.scope == 3:
            continue
        factors = "; ".join(f"{f.role} {f.value:g} {f.unit} ({f.factor_id})"
                            for f in line.factors)
        record = records.get(line.record_id)
        rows.append([line.line_id, line.record_id, line.category.value, line.gas,
                     line.activity, line.activity_unit, line.co2e_t, line.formula, factors,
                     record.source if record else ""])
    _table(ws, 1, cols, rows)
    ws.freeze_panes = "A2"


def _emissions_energy(ws: Worksheet, result: InstallationResult) -> None:
    p = result.processes
    rows = [
        ("直接排放合计", "Direct emissions attributed to processes [t CO2e]",
         result.total_direct_t),
        ("外购电力", "Electricity consumed [MWh]", sum(x.electricity_mwh for x in p)),
        ("间接排放合计", "Indirect emissions [t CO2]", result.total_indirect_t),
        ("输入热", "Heat imported [TJ]", sum(x.heat_imported_tj for x in p)),
        ("输出热", "Heat exported [TJ]", sum(x.heat_exported_tj for x in p)),
        ("输出热排放", "Emissions of heat exported [t CO2]",
         sum(x.em_heat_exported_t for x in p)),
        ("输出电力", "Electricity exported [MWh]", sum(x.electricity_exported_mwh for x in p)),
        ("电力排放因子来源", "Electricity emission factor source",
         result.installation.ef_electricity_source or
         "zeropark factor library (MEE/NBS grid factor; see B_EmInst)"),
    ]
    _kv(ws, rows)
    for row in range(2, 9):
        ws.cell(row=row, column=3).number_format = T_FORMAT


def _processes(ws: Worksheet, result: InstallationResult) -> None:
    cols = [("工序 Process", 20, ""), ("直接排放 DirEm* t", 14, T_FORMAT),
            ("输入热 Heat imp. TJ", 12, "0.000"), ("输出热 Heat exp. TJ", 12, "0.000"),
            ("输出热排放 Em heat exp. t", 14, T_FORMAT),
            ("输出电 El. exp. MWh", 12, "0.000"), ("归属直接排放 AttrEm dir t", 16, T_FORMAT),
            ("电力 Electricity MWh", 14, T_FORMAT), ("电力因子 EF t/MWh", 12, "0.0000"),
            ("归属间接排放 AttrEm ind t", 16, T_FORMAT), ("活动水平 AL t", 14, T_FORMAT),
            ("前体 Precursors (id: t, origin)", 40, ""),
            ("前体隐含直接 EE prec dir t", 16, T_FORMAT),
            ("前体隐含间接 EE prec ind t", 16, T_FORMAT),
            ("SEE 直接 dir t/t", 12, SEE_FORMAT), ("SEE 间接 ind t/t", 12, SEE_FORMAT),
            ("估算占比 Estimates share", 12, "0.0%")]
    em = {p.process_id: p for p in result.processes}
    rows = []
    for g in result.goods:
        p = em[g.process_id]
        pre = "; ".join(f"{pid}: {m:g} t ({s.origin})" for pid, m, s in g.precursors)
        rows.append([g.process_id, p.direct_t, p.heat_imported_tj, p.heat_exported_tj,
                     p.em_heat_exported_t, p.electricity_exported_mwh, p.attributed_direct_t,
                     p.electricity_mwh, p.ef_electricity_t_per_mwh, p.attributed_indirect_t,
                     g.activity_level_t, pre, g.embedded_precursors_direct_t,
                     g.embedded_precursors_indirect_t, g.see_direct_t_per_t,
                     g.see_indirect_t_per_t, g.estimate_share])
    _table(ws, 1, cols, rows)
    ws.freeze_panes = "B2"


def _purchased(ws: Worksheet, result: InstallationResult) -> None:
    cols = [("前体 Precursor", 16, ""), ("CN", 12, ""), ("原产国 Country", 10, ""),
            ("供应商 Supplier", 30, ""), ("来源 Origin (supplier/default)", 16, ""),
            ("SEE 直接 dir t/t", 12, SEE_FORMAT), ("SEE 间接 ind t/t", 12, SEE_FORMAT),
            ("消耗量 Consumed t", 14, T_FORMAT), ("证据/出处 Evidence / source", 60, "")]
    consumed: dict[str, float] = {}
    for g in result.goods:
        for pid, mass, _ in g.precursors:
            consumed[pid] = consumed.get(pid, 0.0) + mass
    refs = {p.precursor_id: p.supplier_reference for p in
            result.installation.purchased_precursors}
    rows = [[p.precursor_id, p.cn_code, p.country, p.supplier, p.origin,
             p.see_direct_t_per_t, p.see_indirect_t_per_t, consumed.get(p.precursor_id, 0.0),
             (p.default.source if p.default else refs.get(p.precursor_id, ""))]
            for p in result.precursors if p.origin != "own"]
    _table(ws, 1, cols, rows)


def _summary(ws: Worksheet, result: InstallationResult) -> None:
    cols = [("CN", 14, ""), ("商品 Good", 40, ""), ("类别 Category", 24, ""),
            ("路线 Route", 18, ""), ("SEE 直接 dir t CO2e/t", 14, SEE_FORMAT),
            ("SEE 间接 ind t CO2e/t", 14, SEE_FORMAT), ("SEE 合计 total t CO2e/t", 14,
                                                      SEE_FORMAT),
            ("间接是否计入 Indirect counts (definitive)", 14, ""),
            ("估算占比 Share from estimates", 12, "0.0%"), ("使用默认值 Defaults used", 30, ""),
            ("碳价 Carbon price due", 18, "")]
    rows = []
    for g in result.goods:
        defaults = ", ".join(pid for pid, _, s in g.precursors if s.origin == "default")
        for good in g.goods:
            rows.append([good.cn_display, good.description, g.category, g.route,
                         g.see_direct_t_per_t, g.see_indirect_t_per_t, g.see_total_t_per_t,
                         "yes 是" if good.indirect_counts else "no 否 (Annex II)",
                         g.estimate_share, defaults or "none 无", "none 无"])
    end = _table(ws, 1, cols, rows)
    _put(ws, end, 1, "说明 Notes").font = Font(bold=True)
    row = end + 1
    for note in (*APPROXIMATIONS, *result.installation.notes):
        _put(ws, row, 1, note)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=7)
        row += 1
    _put(ws, row + 1, 1, "数据质量 Data-quality findings").font = Font(bold=True)
    row += 2
    for issue in result.issues:
        _put(ws, row, 1, issue.code.value)
        _put(ws, row, 2, issue.message)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=7)
        row += 1
    ws.freeze_panes = "A2"
