"""PDF layout of an inventory report (reportlab platypus, A4).

Summary and reconciliation are set on portrait pages, the wide tables (lines,
activity records, factors) on landscape pages; every table repeats its header
row after a page break. Chinese is set in reportlab's built-in CID font
``STSong-Light`` (no font file is embedded or downloaded; readers supply the
Adobe-GB1 glyphs), everything else in Helvetica.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    LongTable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)

from zeropark.reports.inventory import (
    FIELD_LABELS,
    SCOPE2_EXPLANATION,
    InventoryReport,
    category_label,
    fmt_number,
    fmt_t,
    line_tags,
    record_details,
)

CJK_FONT = "STSong-Light"
MARGIN = 15 * mm
INK = colors.HexColor("#1F2A30")
ACCENT = colors.HexColor("#1F4E5F")
MUTED = colors.HexColor("#5F6B70")
ZEBRA = colors.HexColor("#F3F7F8")
RULE = colors.HexColor("#B8C4C8")
# Characters Helvetica (WinAnsi) lacks and that read well as plain ASCII.
_PLAIN = str.maketrans({"\u2212": "-", "\u2082": "2", "\u2080": "0", "\u2009": " "})
_SUPER = {"\u2070": "0", "\u2074": "4", "\u2075": "5", "\u2076": "6", "\u2077": "7",
          "\u2078": "8", "\u2079": "9", "\u207b": "-"}

_BASE = ParagraphStyle("base", fontName="Helvetica", fontSize=8.5, leading=11, textColor=INK)
_CELL = ParagraphStyle("cell", _BASE, fontSize=7.2, leading=8.8)
_NUM = ParagraphStyle("num", _CELL, alignment=TA_RIGHT)
_SMALL = ParagraphStyle("small", _CELL, fontSize=6.2, leading=7.6, textColor=MUTED)
_HEAD = ParagraphStyle("head", _CELL, fontName="Helvetica-Bold", textColor=colors.white)
_HEAD_NUM = ParagraphStyle("headnum", _HEAD, alignment=TA_RIGHT)
_HEAD_BOLD = ParagraphStyle("bold", _CELL, fontName="Helvetica-Bold")
_NUM_BOLD = ParagraphStyle("numbold", _NUM, fontName="Helvetica-Bold")
_SUB = ParagraphStyle("sub", _CELL, leftIndent=8)
_FALLBACK = ParagraphStyle("fallback", _SMALL, textColor=colors.HexColor("#8A4B00"))
_MEMO = ParagraphStyle("memo", _CELL, fontName="Helvetica-Oblique", textColor=MUTED)
_H1 = ParagraphStyle("h1", _BASE, fontName="Helvetica-Bold", fontSize=20, leading=26,
                     textColor=ACCENT, spaceAfter=4)
_H2 = ParagraphStyle("h2", _BASE, fontName="Helvetica-Bold", fontSize=13, leading=17,
                     textColor=ACCENT, spaceBefore=10, spaceAfter=5)
_H3 = ParagraphStyle("h3", _BASE, fontName="Helvetica-Bold", fontSize=9.5, leading=13,
                     spaceBefore=8, spaceAfter=3)


def write_pdf(report: InventoryReport, path: Path) -> None:
    """Write the report as an A4 PDF to `path`."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    inv = report.inventory
    running = f"温室气体排放清单 GHG inventory · {inv.enterprise_id} · {inv.period}"

    def decorate(canvas: Canvas, doc: BaseDocTemplate) -> None:
        width, height = doc.pageTemplate.pagesize
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, height - MARGIN + 3 * mm, width - MARGIN, height - MARGIN + 3 * mm)
        _draw(canvas, running, MARGIN, height - MARGIN + 4.5 * mm, width - 2 * MARGIN)
        _draw(canvas, f"zeropark · {report.generated} · 第 {doc.page} 页 Page {doc.page}",
              MARGIN, MARGIN - 9 * mm, width - 2 * MARGIN)
        canvas.restoreState()

    templates = [PageTemplate(id=name, pagesize=size, onPage=decorate,
                              frames=[Frame(MARGIN, MARGIN, size[0] - 2 * MARGIN,
                                            size[1] - 2 * MARGIN, id=name, leftPadding=0,
                                            rightPadding=0, topPadding=0, bottomPadding=0)])
                 for name, size in (("portrait", A4), ("landscape", landscape(A4)))]
    doc = BaseDocTemplate(str(path), pagesize=A4, pageTemplates=templates,
                          title=f"GHG inventory {inv.enterprise_id} {inv.period}",
                          author="zeropark", subject="温室气体排放清单 GHG inventory",
                          leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=MARGIN)
    doc.build([*_cover(report), *_summary(report), *_reconciliation(report),
               NextPageTemplate("landscape"), PageBreak(), *_lines(report),
               *_activity(report), *_factors(report)])


def markup(text: str) -> str:
    """Paragraph markup of plain text: escaped, CJK runs in ``STSong-Light``.

    Examples
    --------
    >>> markup("排放 <total> 10⁴ m³")
    '<font name="STSong-Light">排放</font> &lt;total&gt; 10<super>4</super> m³'
    """
    out = []
    for kind, run in groupby(str(text).translate(_PLAIN), key=_script):
        chunk = "".join(run)
        if kind == "super":
            out.append(f"<super>{''.join(_SUPER[c] for c in chunk)}</super>")
        elif kind == "cjk":
            out.append(f'<font name="{CJK_FONT}">{escape(chunk)}</font>')
        else:
            out.append(escape(chunk))
    return "".join(out)


def _script(char: str) -> str:
    if char in _SUPER:
        return "super"
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return "cjk"
    return "latin"


def _draw(canvas: Canvas, text: str, x: float, y: float, width: float) -> None:
    para = Paragraph(markup(text), _SMALL)
    para.wrap(width, 20)
    para.drawOn(canvas, x, y)


def _p(text: Any, style: ParagraphStyle = _CELL) -> Paragraph:
    return Paragraph(markup(str(text)), style)


def _table(header: list[str], rows: list[list[Any]], widths_mm: list[float], *,
           numeric: tuple[int, ...] = (), styles: list[str] | None = None) -> LongTable:
    """A table with a repeated header; `numeric` columns are right-aligned."""
    data: list[list[Any]] = [[_p(h, _HEAD_NUM if j in numeric else _HEAD)
                              for j, h in enumerate(header)]]
    for row in rows:
        data.append([cell if isinstance(cell, Flowable | list) else
                     _p(cell, _NUM if j in numeric else _CELL) for j, cell in enumerate(row)])
    table = LongTable(data, colWidths=[w * mm for w in widths_mm], repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for i, style in enumerate(styles or [], start=1):
        if style == "total":
            commands += [("BACKGROUND", (0, i), (-1, i), colors.HexColor("#E4ECEF")),
                         ("LINEABOVE", (0, i), (-1, i), 0.8, ACCENT)]
    table.setStyle(TableStyle(commands))
    return table


def _cover(report: InventoryReport) -> list[Flowable]:
    inv = report.inventory
    story: list[Flowable] = [
        _p("温室气体排放清单 GHG Inventory Report", _H1),
        _p(f"{inv.enterprise_id} · {inv.period}", ParagraphStyle("sub", _BASE, fontSize=11,
                                                                 textColor=MUTED)),
        Spacer(1, 5 * mm),
    ]
    rows = [[f"{zh} {en}", value] for zh, en, value in report.meta]
    rows.append(["生成 Generated", report.generated])
    rows += [["说明 Note", note] for note in inv.notes]
    table = _table(["项目 Item", "内容 Value"], rows, [62, 118])
    story.append(table)
    return story


def _summary(report: InventoryReport) -> list[Flowable]:
    story: list[Flowable] = [_p("1 汇总 Summary", _H2)]
    for section in report.summary:
        rows, styles = [], []
        for r in section.rows:
            label_en = r.label_en + (" (not in the totals)" if r.kind == "memo" else "")
            style = {"sub": _SUB, "memo": _MEMO}.get(r.kind, _CELL)
            cells: list[Any] = [_p(r.label_zh, style), _p(label_en, style), fmt_t(r.co2e_t)]
            if r.kind == "total":
                cells = [_p(r.label_zh, _HEAD_BOLD), _p(label_en, _HEAD_BOLD),
                         _p(fmt_t(r.co2e_t), _NUM_BOLD)]
            rows.append(cells)
            styles.append(r.kind)
        story.append(KeepTogether([
            _p(f"{section.title_zh} {section.title_en}", _H3),
            _table(["项目", "Item", "排放量 t CO2e"], rows, [70, 80, 30], numeric=(2,),
                   styles=styles)]))
    story.append(_p("— : 无活动数据 no activity records in this category.", _SMALL))
    return story



def _reconciliation(report: InventoryReport) -> list[Flowable]:
    story: list[Flowable] = [_p("2 核对 Reconciliation", _H2),
                             _p("框架间恒等式 Identities between the framings", _H3)]
    rows = [[[_p(i.label_zh), _p(i.key, _SMALL)], fmt_t(i.left), fmt_t(i.right),
             fmt_t(i.difference), "一致 holds" if i.holds else "不一致 DOES NOT HOLD"]
            for i in report.identities]
    story.append(_table(["恒等式 Identity", "左 Left t CO2e", "右 Right t CO2e",
                         "差额 Difference", "校验 Check"], rows, [84, 24, 24, 24, 24],
                        numeric=(1, 2, 3)))
    story += [_p("范围二 基于位置 vs 基于市场（逐条记录） Scope 2 location- vs market-based, "
                 "per record", _H3), _p(SCOPE2_EXPLANATION, _CELL), Spacer(1, 2 * mm)]
    rows = [[s.record_id, fmt_t(s.location_co2e_t), fmt_t(s.market_co2e_t),
             fmt_t(s.difference_co2e_t),
             [_p(f"基于位置 Location: {s.location_formula or '—'}"),
              _p(f"基于市场 Market: {s.market_formula or '—'}")]] for s in report.scope2]
    story.append(_table(["记录 Record", "基于位置 Location t CO2e", "基于市场 Market t CO2e",
                         "差额 Market − location", "公式 Formulas"], rows,
                        [32, 22, 22, 22, 82], numeric=(1, 2, 3)))
    return story


def _lines(report: InventoryReport) -> list[Flowable]:
    rows = []
    for line in report.inventory.lines:
        factors: list[Flowable] = []
        for use in line.factors:
            factors.append(_p(f"{use.role}: {use.factor_id} = {fmt_number(use.value)} "
                              f"{use.unit}"))
            factors.append(_p(use.source, _SMALL))
            if use.fallback:
                factors.append(_p(f"替代 Fallback: {use.fallback}", _FALLBACK))
        rows.append([[_p(line.line_id, _HEAD_BOLD), _p(f"record {line.record_id}", _SMALL)],
                     category_label(line.category), line.gas, fmt_number(line.gas_t),
                     fmt_t(line.co2e_t), line_tags(line),
                     f"{fmt_number(line.activity)} {line.activity_unit}",
                     [_p(line.formula), *([_p(line.note, _SMALL)] if line.note else [])],
                     factors or "—"])
    return [_p("3 明细 Inventory lines", _H2),
            _table(["行号 / 记录 Line / record", "类别 Category", "气体 Gas", "气体质量 Gas t",
                    "排放量 t CO2e", "归属 Scope · ISO · MEE", "活动数据 Activity",
                    "公式 Formula", "因子 Factors (role: id = value unit; source)"], rows,
                   [40, 24, 12, 19, 18, 28, 20, 48, 58], numeric=(3, 4))]


def _activity(report: InventoryReport) -> list[Flowable]:
    rows = []
    for r in report.inventory.records:
        details = [_p(f"{' '.join(FIELD_LABELS.get(k, (k, '')))}: {v}".replace(" :", ":"))
                   for k, v in record_details(r)]
        rows.append([r.record_id, category_label(r.category),
                     f"{r.period_start.isoformat()} – {r.period_end.isoformat()}",
                     fmt_number(r.quantity), r.unit, details or "—", r.source or "—",
                     r.note or ""])
    return [_p("4 活动数据 Activity records", _H2),
            _table(["记录编号 Record ID", "类别 Category", "期间 Period [start, end)",
                    "数量 Quantity", "单位 Unit", "其他字段 Other fields",
                    "数据来源 Source", "备注 Note"], rows,
                   [36, 28, 26, 18, 14, 60, 50, 35], numeric=(3,))]


def _factors(report: InventoryReport) -> list[Flowable]:
    rows = [[f.factor_id, f.roles, fmt_number(f.value), f.unit, f.source, f.fallback or "",
             ", ".join(f.line_ids)] for f in report.factors]
    return [_p("5 因子 Factors used", _H2),
            _table(["因子编号 Factor ID", "用途 Role", "数值 Value", "单位 Unit",
                    "来源与出处 Source (citation)", "替代说明 Fallback", "使用行 Lines"], rows,
                   [50, 24, 18, 22, 78, 40, 35], numeric=(2,))]
