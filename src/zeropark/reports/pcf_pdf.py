"""PDF layout of the ISO 14067 PCF report (reportlab platypus, A4 portrait).

Page 1 carries the headline figures, goal and scope and the system-boundary diagram
(a reportlab drawing built from :func:`zeropark.reports.pcf.diagram`); results, data
quality, uncertainty, the fossil/biogenic split, the supply-chain tree, exclusions and the
optional battery declaration follow. Fonts, colours and table style are those of the
inventory report (:mod:`zeropark.reports.inventory_pdf`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
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
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from zeropark.locales import issue_label
from zeropark.reports.inventory_pdf import (
    _BASE,
    _CELL,
    _H1,
    _H2,
    _H3,
    _SMALL,
    ACCENT,
    CJK_FONT,
    MARGIN,
    MUTED,
    RULE,
    ZEBRA,
    _draw,
    _p,
    _table,
)
from zeropark.reports.pcf import (
    ALLOCATION_LABELS,
    ORIGIN_LABELS,
    STAGE_LABELS,
    Diagram,
    PcfReport,
    fmt_kg,
    fmt_pct,
    tree_rows,
)

_KPI_V = ParagraphStyle("kpiv", _BASE, fontName="Helvetica-Bold", fontSize=15, leading=19,
                        textColor=ACCENT)
_KPI_L = ParagraphStyle("kpil", _SMALL, fontSize=6.8, leading=8.4)
_WIDTH = A4[0] - 2 * MARGIN


def write_pdf(report: PcfReport, path: Path) -> None:
    """Write the report as an A4 PDF to `path`."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    study = report.result.study
    running = f"产品碳足迹报告 Product carbon footprint · {study.product}"

    def decorate(canvas: Canvas, doc: BaseDocTemplate) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, height - MARGIN + 3 * mm, width - MARGIN, height - MARGIN + 3 * mm)
        _draw(canvas, running, MARGIN, height - MARGIN + 4.5 * mm, _WIDTH)
        _draw(canvas, f"zeropark · {report.generated} · ISO 14067:2018 · 第 {doc.page} 页 "
              f"Page {doc.page}", MARGIN, MARGIN - 9 * mm, _WIDTH)
        canvas.restoreState()

    frame = Frame(MARGIN, MARGIN, _WIDTH, A4[1] - 2 * MARGIN, leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    doc = BaseDocTemplate(str(path), pagesize=A4,
                          pageTemplates=[PageTemplate(id="p", frames=[frame], onPage=decorate)],
                          title=f"Product carbon footprint {study.product}", author="zeropark",
                          subject="产品碳足迹报告 ISO 14067 PCF report")
    doc.build([*_cover(report), *_boundary(report), *_data(report), *_results(report),
               *_uncertainty(report), *_tree(report), *_exclusions(report),
               *_battery(report)])


def _mm(widths: list[float]) -> list[float]:
    """Column widths [mm] scaled to the frame width."""
    total = sum(widths)
    return [w * (_WIDTH / mm) / total for w in widths]


def _cover(report: PcfReport) -> list[Flowable]:
    res, study = report.result, report.result.study
    u = res.uncertainty
    kpis = [
        ("产品碳足迹（含生物源 CO2） CFP incl. biogenic CO2", fmt_kg(res.cfp_kgco2e),
         "kg CO2e per declared unit"),
        ("不含生物源 CO2 Excl. biogenic CO2", fmt_kg(res.cfp_excl_biogenic_co2_kgco2e),
         "kg CO2e, GWP100 with biogenic CO2 factor 0"),
        ("95 % 区间 95 % interval (Monte Carlo)",
         f"{fmt_kg(u.p2_5)} – {fmt_kg(u.p97_5)}" if u else "—",
         f"median {fmt_kg(u.p50)}; {u.iterations} iterations, seed {u.seed}" if u else ""),
    ]
    cells = [[[_p(label, _KPI_L), _p(value, _KPI_V), _p(note, _KPI_L)]
              for label, value, note in kpis]]
    kpi = Table(cells, colWidths=[_WIDTH / 3] * 3)
    kpi.setStyle(TableStyle([("BOX", (0, 0), (0, 0), 0.5, RULE), ("BOX", (1, 0), (1, 0), 0.5, RULE),
                             ("BOX", (2, 0), (2, 0), 0.5, RULE),
                             ("LINEABOVE", (0, 0), (-1, 0), 2.5, ACCENT),
                             ("VALIGN", (0, 0), (-1, -1), "TOP"),
                             ("LEFTPADDING", (0, 0), (-1, -1), 6)]))
    rows = [[f"{zh} {en}", value] for zh, en, value in report.meta]
    return [_p("产品碳足迹报告 Product Carbon Footprint Report", _H1),
            _p(f"{study.product} · ISO 14067:2018", ParagraphStyle(
                "sub", _BASE, fontSize=10.5, textColor=MUTED)),
            Spacer(1, 3 * mm), kpi,
            _p("1 目标与范围 Goal and scope · 2 声明单位 Declared unit", _H2),
            _table(["项目 Item", "内容 Value"], rows, _mm([55, 125]))]


def _drawing(d: Diagram, width: float) -> Drawing:
    """The system-boundary diagram as a reportlab drawing `width` points wide."""
    k = width / d.width
    drawing = Drawing(width, d.height * k)

    def y(v: float) -> float:  # diagram units (top-left origin) → drawing points
        return (d.height - v) * k

    fx, fy, fw, fh = d.frame
    drawing.add(Rect(fx * k, y(fy + fh), fw * k, fh * k, rx=5, ry=5, fillColor=ZEBRA,
                     strokeColor=ACCENT, strokeWidth=1, strokeDashArray=[5, 3]))
    drawing.add(String((fx + fw - 6) * k, y(fy + fh - 6), "系统边界 System boundary",
                       fontName=CJK_FONT, fontSize=7, fillColor=ACCENT, textAnchor="end"))
    for b in d.boxes:
        stage_in = b.included and b.kind == "stage"
        fill = ACCENT if stage_in else (colors.white if b.kind == "input"
                                        else colors.HexColor("#ECEFF0"))
        ink = colors.white if stage_in else (colors.HexColor("#1F2A30") if b.included
                                             else colors.HexColor("#7A8589"))
        drawing.add(Rect(b.x * k, y(b.y + b.h), b.w * k, b.h * k, rx=3, ry=3, fillColor=fill,
                         strokeColor=ACCENT if b.included else colors.HexColor("#9AA5A9"),
                         strokeWidth=1, strokeDashArray=None if b.included else [3, 2]))
        cx = (b.x + b.w / 2) * k
        drawing.add(String(cx, y(b.y + 16), b.label_zh, fontName=CJK_FONT, fontSize=9,
                           fillColor=ink, textAnchor="middle"))
        drawing.add(String(cx, y(b.y + 29), b.label_en, fontName="Helvetica", fontSize=7,
                           fillColor=ink, textAnchor="middle"))
        drawing.add(String(cx, y(b.y + b.h - 8), b.value,
                           fontName=CJK_FONT if not b.included else "Helvetica",
                           fontSize=6.8, fillColor=ink, textAnchor="middle"))
    for x1, y1, x2, y2 in d.arrows:
        drawing.add(Line(x1 * k, y(y1), x2 * k, y(y2), strokeColor=ACCENT, strokeWidth=1.2))
        dx, dy = x2 - x1, y2 - y1
        length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
        ux, uy = dx / length, dy / length
        tip = (x2 * k, y(y2))
        base = ((x2 - 7 * ux) * k, y(y2 - 7 * uy))
        nx, ny = -uy * 3.2 * k, ux * 3.2 * k
        drawing.add(Polygon([tip[0], tip[1], base[0] + nx, base[1] - ny, base[0] - nx,
                             base[1] + ny], fillColor=ACCENT, strokeColor=ACCENT,
                            strokeWidth=0.5))
    return drawing


def _boundary(report: PcfReport) -> list[Flowable]:
    d = report.diagram
    return [KeepTogether([
        _p("3 系统边界 System boundary", _H2), _drawing(d, _WIDTH),
        _p("实线框：边界内阶段及其碳足迹；虚线灰框：边界外（不包括）。Solid boxes: stages "
           "inside the boundary with their CFP [kg CO2e per declared unit]; dashed grey boxes: "
           "outside the boundary.", _SMALL),
        Spacer(1, 1.5 * mm), _p("排除 Excluded", _H3), *_bullets(d.excluded)])]


def _bullets(items: Any) -> list[Flowable]:
    return [_p(f"• {item}", _CELL) for item in items] or [_p("—", _CELL)]


def _data(report: PcfReport) -> list[Flowable]:
    res = report.result
    story: list[Flowable] = [_p("4 数据来源与质量 Data sources and quality", _H2),
                             _p("数据来源 Data sources", _H3), *_bullets(report.sources),
                             _p("数据质量 Data quality", _H3), *_bullets(res.data_quality)]
    if res.issues:
        rows = [[[_p(issue_label(i.code.value, "zh")), _p(i.code.value, _SMALL)],
                 i.severity.value, i.message] for i in res.issues]
        story.append(_table(["问题 Issue", "级别 Severity", "说明 Details"], rows,
                            _mm([45, 18, 117])))
    story += [_p("建模说明 Modelling notes", _H3), *_bullets(res.notes)]
    a = res.study.allocation
    story.append(_p("5 分配 Allocation", _H2))
    if a is None:
        story.append(_p("无分配 No allocation.", _CELL))
    else:
        zh, en = ALLOCATION_LABELS[a.method.value]
        story.append(_p(f"企业能源{zh}分配 Enterprise energy allocated {en}; product share "
                        f"{fmt_pct(a.product_share)}. Per declared unit: "
                        f"{res.per_unit.get('electricity_kwh', 0.0):.4g} kWh electricity, "
                        f"{res.per_unit.get('natural_gas_gj', 0.0):.4g} GJ natural gas (NCV).",
                        _CELL))
        if a.basis:
            story.append(_table(["产品 Product", f"基准 Basis [{a.basis_unit}]"],
                                [[k, f"{v:,.4g}"] for k, v in a.basis.items()], [70, 40],
                                numeric=(1,)))
    return story


def _results(report: PcfReport) -> list[Flowable]:
    res = report.result
    rows, styles = [], []
    for s in res.stages:
        zh, en = STAGE_LABELS[s.stage]
        rows.append([f"{zh} {en}" + ("" if s.in_boundary else " (outside)"), fmt_kg(s.cfp_kgco2e),
                     fmt_kg(s.cfp_excl_biogenic_co2_kgco2e), fmt_kg(s.fossil_kgco2e),
                     fmt_kg(s.biogenic_emissions_kgco2e), fmt_kg(s.biogenic_removals_kgco2e),
                     fmt_pct(s.share)])
        styles.append("")
    rows.append(["合计 Total", fmt_kg(res.cfp_kgco2e), fmt_kg(res.cfp_excl_biogenic_co2_kgco2e),
                 "", "", "", "100.0 %"])
    styles.append("total")
    story: list[Flowable] = [
        _p("6 结果 Results by stage and gas [kg CO2e per declared unit]", _H2),
        _table(["阶段 Stage", "CFP incl. biogenic", "excl. biogenic CO2", "化石 Fossil",
                "生物源排放 Biogenic em.", "生物源清除 Removals", "占比 Share"], rows,
               _mm([46, 22, 22, 20, 22, 22, 16]), numeric=(1, 2, 3, 4, 5, 6), styles=styles)]
    gas = [[str(g["gas"]), f"{float(g['amount_kg']):.4g}", fmt_kg(float(g["score_kgco2e"])),
            fmt_pct(float(g["share"]))] for g in res.by_gas.to_dict("records")
           if g["score_kgco2e"] != 0]
    story += [_p("按温室气体 By greenhouse gas", _H3),
              _table(["气体 Gas", "质量 Mass [kg]", "kg CO2e", "占比 Share"], gas,
                     _mm([60, 40, 40, 30]), numeric=(1, 2, 3))]
    proc = [[str(p["activity_name"]), str(p["location"] or ""), fmt_kg(float(p["score_kgco2e"])),
             fmt_pct(float(p["share"]))] for p in res.by_process.to_dict("records")]
    story += [_p("主要过程 Top processes (direct emissions)", _H3),
              _table(["过程 Process", "地点 Location", "kg CO2e", "占比 Share"], proc,
                     _mm([110, 20, 28, 22]), numeric=(2, 3))]
    origin = [[" ".join(ORIGIN_LABELS[str(o["origin"])]), fmt_kg(float(o["score_kgco2e"])),
               fmt_pct(float(o["share"]))] for o in res.fossil_biogenic.to_dict("records")]
    story += [_p("8 化石源与生物源 Fossil and biogenic split", _H2),
              _table(["来源 Origin", "kg CO2e", "占比 Share"], origin, [80, 35, 30],
                     numeric=(1, 2)),
              _p("Biogenic emissions and removals reported separately (ISO 14067); removals are "
                 "CO2 taken up from air (negative).", _SMALL)]
    return story


def _uncertainty(report: PcfReport) -> list[Flowable]:
    u = report.result.uncertainty
    if u is None:
        return [_p("7 不确定性 Uncertainty", _H2), _p("未计算 Not computed.", _CELL)]
    rows = [["2.5 %", fmt_kg(u.p2_5)], ["中位数 Median", fmt_kg(u.p50)],
            ["97.5 %", fmt_kg(u.p97_5)], ["均值 Mean ± SD", f"{fmt_kg(u.mean)} ± {fmt_kg(u.std)}"],
            ["迭代 / 种子 Iterations / seed", f"{u.iterations} / {u.seed}"],
            ["不确定交换 Uncertain exchanges", str(u.uncertain_exchanges)]]
    return [KeepTogether([_p("7 不确定性 Uncertainty (Monte Carlo)", _H2),
                          _table(["统计量 Statistic", "kg CO2e"], rows, [70, 45], numeric=(1,)),
                          _p("Parameter uncertainty only (background distributions and the "
                             "foreground estimates of the model file).", _SMALL)])]


def _tree(report: PcfReport) -> list[Flowable]:
    rows = []
    for depth, n in tree_rows(report.result.tree):
        amount = f"{n.amount:.4g} {n.unit}" if n.amount == n.amount else ""
        rows.append([_p(("\u2003" * depth) + n.name), amount, fmt_kg(n.score), fmt_pct(n.share)])
    return [_p("9 供应链 Supply-chain tree (cumulative)", _H2),
            _table(["产品 Product", "数量 Amount", "kg CO2e", "占比 Share"], rows,
                   _mm([110, 28, 24, 18]), numeric=(1, 2, 3))]


def _exclusions(report: PcfReport) -> list[Flowable]:
    s = report.result.study
    return [_p("10 排除项与局限性 Exclusions and limitations", _H2),
            _p("排除项 Exclusions", _H3), *_bullets(s.exclusions),
            _p("局限性 Limitations", _H3),
            *_bullets([*s.limitations, "The CFP covers climate change only (ISO 14067)."])]


def _battery(report: PcfReport) -> list[Flowable]:
    b = report.battery
    if b is None:
        return []
    rows = [[f"{s['label_zh']} {s['label_en']}", f"{s['kgco2e_per_kwh']:.5f}",
             fmt_pct(s["share"])] for s in b["stages"]]
    rows.append(["碳足迹 Carbon footprint", f"{b['carbon_footprint_kgco2e_per_kwh']:.5f}", ""])
    return [KeepTogether([
        _p("11 电池碳足迹声明 Battery carbon footprint (EU 2023/1542 Art. 7)", _H2),
        _p(f"功能单位 Functional unit: {b['functional_unit']}; total energy "
           f"{b['total_energy_kwh']:,.0f} kWh per battery.", _CELL),
        _table(["阶段 Stage", "kg CO2e/kWh", "占比 Share"], rows, [95, 35, 25], numeric=(1, 2),
               styles=[""] * (len(rows) - 1) + ["total"]),
        *[_p(n, _SMALL) for n in b["verification_notes"]]])]
