"""Excel (xlsx) layout of an inventory report: five sheets of values, no formulas.

Sheets: "Summary 汇总", "Reconciliation 核对", "Lines 明细", "Activity 活动数据",
"Factors 因子". Numbers are numeric cells (t CO2e as ``#,##0.000``), header rows
are frozen and filtered. In "Lines 明细" a line with several factors takes one
row per factor; its quantities stand on the first row only, so a column sum
never counts a line twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zeropark.accounting.activity import FIELDS
from zeropark.reports.inventory import (
    FIELD_LABELS,
    SCOPE2_EXPLANATION,
    InventoryReport,
    category_label,
)

SHEETS = ("Summary 汇总", "Reconciliation 核对", "Lines 明细", "Activity 活动数据", "Factors 因子")
T_FORMAT = "#,##0.000"  # t CO2e
MASS_FORMAT = "#,##0.000###"  # gas mass, t: 3 to 6 decimals
_HEAD_FILL = PatternFill("solid", fgColor="1F4E5F")
_SECTION_FILL = PatternFill("solid", fgColor="DCE8EC")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_HEAD_FONT = Font(bold=True, color="FFFFFF")
_THIN = Border(bottom=Side(style="thin", color="A6A6A6"))
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")

# (heading, width [characters], number format or "" for text; "wrap" wraps text)
Column = tuple[str, float, str]


def write_xlsx(report: InventoryReport, path: Path) -> None:
    """Write the report as an Excel workbook (values only) to `path`."""
    wb = Workbook()
    inv = report.inventory
    wb.properties.title = f"GHG inventory {inv.enterprise_id} {inv.period}"
    wb.properties.creator = "zeropark"
    _summary(wb.active, report)
    _reconciliation(wb.create_sheet(SHEETS[1]), report)
    _lines(wb.create_sheet(SHEETS[2]), report)
    _activity(wb.create_sheet(SHEETS[3]), report)
    _factors(wb.create_sheet(SHEETS[4]), report)
    wb.save(path)


def _put(ws: Worksheet, row: int, col: int, value: Any, fmt: str = "") -> Any:
    """One cell; text is kept as text (never a formula), numbers get `fmt`."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # a text starting with "=" must not become a formula
        cell.alignment = _WRAP if fmt == "wrap" else _TOP
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
        cell.alignment = _TOP
    elif value is not None:
        cell.number_format = fmt if fmt and fmt != "wrap" else "General"
        cell.alignment = _TOP
    return cell


def _table(ws: Worksheet, first_row: int, columns: Sequence[Column],
           rows: Sequence[Sequence[Any]], *, styles: Sequence[str] = ()) -> int:
    """Header row + rows from `first_row`; returns the next free row."""
    for j, (heading, width, _) in enumerate(columns, start=1):
        cell = _put(ws, first_row, j, heading, "wrap")
        cell.font, cell.fill = _HEAD_FONT, _HEAD_FILL
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, width)
    ws.row_dimensions[first_row].height = 30
    for i, values in enumerate(rows, start=first_row + 1):
        style = styles[i - first_row - 1] if styles else ""
        for j, value in enumerate(values, start=1):
            cell = _put(ws, i, j, value, columns[j - 1][2])
            if style == "total":
                cell.font, cell.fill = Font(bold=True), _TOTAL_FILL
            elif style == "memo":
                cell.font = Font(italic=True, color="595959")
            cell.border = _THIN
    return first_row + len(rows) + 1


def _summary(ws: Worksheet, report: InventoryReport) -> None:
    inv = report.inventory
    ws.title = SHEETS[0]
    _put(ws, 1, 1, "温室气体排放清单 GHG inventory").font = Font(bold=True, size=14)
    _put(ws, 2, 1, f"{inv.enterprise_id} · {inv.period}").font = Font(size=11, color="595959")
    row = 4
    for zh, en, value in (*report.meta, ("生成", "Generated", report.generated)):
        _put(ws, row, 1, zh).font = Font(bold=True)
        _put(ws, row, 2, en)
        _put(ws, row, 3, value)
        row += 1
    for note in inv.notes:
        _put(ws, row, 1, "说明").font = Font(bold=True)
        _put(ws, row, 2, "Note")
        _put(ws, row, 3, note, "wrap")
        row += 1
    columns: list[Column] = [("框架 Framing", 16, ""), ("项目", 40, "wrap"),
                             ("Item", 46, "wrap"), ("排放量 t CO2e", 16, T_FORMAT),
                             ("键 Key", 24, ""), ("备注 Note", 30, "wrap")]
    rows: list[list[Any]] = []
    styles: list[str] = []
    for section in report.summary:
        rows.append([section.framing, section.title_zh, section.title_en, None, "", ""])
        styles.append("section")
        for r in section.rows:
            note = {"memo": "不计入合计 not in the totals"}.get(r.kind, "")
            if r.co2e_t is None:
                note = "无活动数据 no activity records"
            label_zh = f"    {r.label_zh}" if r.kind == "sub" else r.label_zh
            rows.append([section.framing, label_zh, r.label_en, r.co2e_t, r.key, note])
            styles.append(r.kind)
    header_row = row + 1
    _table(ws, header_row, columns, rows, styles=styles)
    for i, style in enumerate(styles, start=header_row + 1):
        if style == "section":
            for j in range(1, len(columns) + 1):
                ws.cell(row=i, column=j).fill = _SECTION_FILL
                ws.cell(row=i, column=j).font = Font(bold=True)
    ws.freeze_panes = "A3"


def _reconciliation(ws: Worksheet, report: InventoryReport) -> None:
    columns: list[Column] = [("恒等式 Identity (中文)", 46, "wrap"), ("Identity", 46, "wrap"),
                             ("左 Left t CO2e", 16, T_FORMAT), ("右 Right t CO2e", 16, T_FORMAT),
                             ("差额 Difference t CO2e", 16, T_FORMAT),
                             ("校验 Check", 50, "wrap")]
    rows = [[i.label_zh, i.key, i.left, i.right, i.difference,
             "一致 holds" if i.holds else "不一致 DOES NOT HOLD"] for i in report.identities]
    row = _table(ws, 1, columns, rows) + 1
    title = _put(ws, row, 1, "范围二 基于位置 vs 基于市场（逐条记录） "
                 "Scope 2 location- vs market-based, per record")
    title.font = Font(bold=True, size=12)
    _put(ws, row + 1, 1, SCOPE2_EXPLANATION, "wrap")
    ws.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=6)
    ws.row_dimensions[row + 1].height = 60
    columns = [("记录编号 Record ID", 46, "wrap"),
               ("基于市场公式 Market-based formula", 46, "wrap"),
               ("基于位置 Location t CO2e", 16, T_FORMAT),
               ("基于市场 Market t CO2e", 16, T_FORMAT),
               ("差额 Market − location t CO2e", 16, T_FORMAT),
               ("基于位置公式 Location-based formula", 50, "wrap")]
    rows = [[s.record_id, s.market_formula, s.location_co2e_t, s.market_co2e_t,
             s.difference_co2e_t, s.location_formula] for s in report.scope2]
    _table(ws, row + 3, columns, rows)
    ws.freeze_panes = "A2"


def _lines(ws: Worksheet, report: InventoryReport) -> None:
    columns: list[Column] = [
        ("行号 Line ID", 30, ""), ("记录编号 Record ID", 26, ""),
        ("排放源类别 Category", 26, "wrap"), ("气体 Gas", 10, ""),
        ("气体质量 Gas t", 14, MASS_FORMAT), ("排放量 t CO2e", 14, T_FORMAT),
        ("范围 Scope (0 = memo)", 9, "0"), ("范围二方法 Scope 2 method", 12, ""),
        ("范围三类别 Scope 3 category", 11, "0"), ("ISO 类别 ISO category", 9, "0"),
        ("MEE 符号 MEE sign", 9, "+0;-0;0"), ("活动数据 Activity", 14, "General"),
        ("单位 Unit", 10, ""), ("公式 Formula", 60, "wrap"), ("因子角色 Factor role", 14, ""),
        ("因子编号 Factor ID", 34, ""), ("因子值 Factor value", 12, "General"),
        ("因子单位 Factor unit", 14, ""), ("因子来源 Factor source", 50, "wrap"),
        ("替代说明 Fallback", 30, "wrap"), ("备注 Note", 24, "wrap"),
    ]
    rows: list[list[Any]] = []
    for line in report.inventory.lines:
        head = [line.line_id, line.record_id, category_label(line.category), line.gas,
                line.gas_t, line.co2e_t, line.scope, line.scope2_method, line.scope3_category,
                line.iso_category, line.mee_sign, line.activity, line.activity_unit,
                line.formula]
        blank = [line.line_id, line.record_id] + [None] * (len(head) - 2)
        uses = line.factors or (None,)
        for k, use in enumerate(uses):
            factor = ([use.role, use.factor_id, use.value, use.unit, use.source, use.fallback]
                      if use else [None] * 6)
            rows.append((head if k == 0 else blank) + factor + [line.note if k == 0 else None])
    end = _table(ws, 1, columns, rows)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(end - 1, 1)}"


def _activity(ws: Worksheet, report: InventoryReport) -> None:
    columns: list[Column] = []
    for name in FIELDS:
        zh, en = FIELD_LABELS.get(name, (name, ""))
        wide = name in ("source", "note", "instrument_criteria")
        columns.append((f"{zh} {en}".strip(), 30 if wide else max(12, len(en) + 2),
                        "wrap" if wide else "General"))
    rows = [[_cell_value(getattr(r, name)) for name in FIELDS] for r in report.inventory.records]
    end = _table(ws, 1, columns, rows)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(end - 1, 1)}"


def _factors(ws: Worksheet, report: InventoryReport) -> None:
    columns: list[Column] = [("因子编号 Factor ID", 36, ""), ("用途 Role", 18, ""),
                             ("数值 Value", 12, "General"), ("单位 Unit", 14, ""),
                             ("来源与出处 Source (citation)", 70, "wrap"),
                             ("替代说明 Fallback", 40, "wrap"),
                             ("使用行 Used by lines", 40, "wrap")]
    rows = [[f.factor_id, f.roles, f.value, f.unit, f.source, f.fallback, ", ".join(f.line_ids)]
            for f in report.factors]
    end = _table(ws, 1, columns, rows)
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(end - 1, 1)}"


def _cell_value(value: Any) -> Any:
    if value is None or isinstance(value, int | float | date):
        return value
    return str(value)

