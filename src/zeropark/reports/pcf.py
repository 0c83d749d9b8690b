"""ISO 14067 product carbon-footprint report (产品碳足迹报告) in JSON, HTML and PDF.

:func:`write_pcf_report` is the entry point; :func:`build_pcf_report` collects what the
writers lay out from a :class:`~zeropark.lca.pcf.PcfResult`:

1. Goal and scope 目标与范围 (product, goal, application, audience, time and geography);
2. functional / declared unit 功能单位/声明单位;
3. system boundary 系统边界: a drawn diagram (SVG in HTML, reportlab drawing in PDF) of the
   five ISO 14067 stages, the boundary, the metered energy and background inputs, and what
   is excluded;
4. data sources and quality 数据来源与质量 (with the data-quality issues);
5. allocation 分配;
6. results by stage and gas 按阶段和气体的结果, top processes and flows;
7. uncertainty 不确定性 (Monte Carlo range);
8. fossil/biogenic split 化石/生物源;
9. supply-chain tree 供应链;
10. exclusions and limitations 排除项与局限性;
11. optional EU Battery Regulation declaration 电池碳足迹声明.

The HTML is one self-contained page (``templates/pcf.html``); the PDF is A4 portrait
(:mod:`zeropark.reports.pcf_pdf`). Files are written atomically.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from zeropark import __version__
from zeropark.errors import InputError
from zeropark.lca.contribution import TreeNode
from zeropark.lca.matrices import LifeCycleStage
from zeropark.lca.pcf import PcfResult
from zeropark.locales import issue_label
from zeropark.reports.inventory import fmt_number

__all__ = ["FORMATS", "STAGE_LABELS", "PcfReport", "build_pcf_report", "diagram",
           "write_pcf_report"]

FORMATS = ("json", "html", "pdf")
#: ISO 14067 life-cycle stages: Chinese and English labels.
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "raw_material_acquisition": ("原材料获取", "Raw material acquisition"),
    "production": ("生产", "Production"),
    "distribution": ("分销", "Distribution"),
    "use": ("使用", "Use"),
    "end_of_life": ("寿命终止", "End of life"),
    "unassigned": ("未分配", "Unassigned"),
}
BOUNDARY_LABELS = {"cradle_to_gate": ("从摇篮到大门", "Cradle to gate"),
                   "cradle_to_grave": ("从摇篮到坟墓", "Cradle to grave")}
ORIGIN_LABELS = {"fossil": ("化石源排放", "Fossil emissions"),
                 "biogenic_emissions": ("生物源排放", "Biogenic emissions"),
                 "biogenic_removals": ("生物源清除", "Biogenic removals")}
ALLOCATION_LABELS = {"production_volume": ("按产量", "by production volume"),
                     "mass": ("按质量", "by mass"), "economic": ("按经济价值", "by economic value")}


@dataclass(frozen=True, slots=True)
class Box:
    """A box of the system-boundary diagram, in diagram units (origin top left)."""

    key: str
    x: float
    y: float
    w: float
    h: float
    label_zh: str
    label_en: str
    value: str
    included: bool
    kind: str = "stage"  # "stage" | "input"


@dataclass(frozen=True, slots=True)
class Diagram:
    """Geometry of the system-boundary diagram: boxes, arrows and the boundary frame."""

    width: float
    height: float
    boxes: tuple[Box, ...]
    arrows: tuple[tuple[float, float, float, float], ...]
    frame: tuple[float, float, float, float]
    excluded: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PcfReport:
    """Everything the writers lay out, computed once from a result."""

    result: PcfResult
    meta: tuple[tuple[str, str, str], ...]
    diagram: Diagram
    generated: str
    sources: tuple[str, ...]
    battery: Mapping[str, Any] | None = None
    pact: Mapping[str, Any] | None = None


def diagram(result: PcfResult) -> Diagram:
    """Boxes and arrows of the system-boundary diagram (stages left to right).

    Inside the boundary: solid boxes with the stage's CFP; outside: dashed, grey, marked
    "excluded". The metered energy feeds production; background datasets feed raw
    materials. Units are abstract (760 × 250); the writers scale them.
    """
    rows = {r.stage: r for r in result.stages}
    inside = {s.value for s in result.study.system_boundary.stages}
    w, h, gap, x0, y0 = 128.0, 62.0, 30.0, 14.0, 118.0
    boxes, arrows = [], []
    for i, stage in enumerate(LifeCycleStage):
        zh, en = STAGE_LABELS[stage.value]
        row = rows.get(stage.value)
        value = f"{row.cfp_kgco2e:,.3f} kg CO2e" if row is not None else "—"
        included = stage.value in inside
        boxes.append(Box(stage.value, x0 + i * (w + gap), y0, w, h, zh, en,
                         value if included else "不包括 excluded", included))
        if i:
            arrows.append((x0 + i * (w + gap) - gap + 3, y0 + h / 2, x0 + i * (w + gap) - 3,
                           y0 + h / 2))
    energy = result.per_unit.get("electricity_kwh", 0.0)
    gas = result.per_unit.get("natural_gas_gj", 0.0)
    boxes.append(Box("energy", x0 + (w + gap), 12.0, w, 54.0, "企业计量能源",
                     "Metered energy", f"{energy:.3g} kWh · {gas * 1000:.3g} MJ gas", True,
                     "input"))
    boxes.append(Box("background", x0, 12.0, w, 54.0, "背景数据库", "Background data",
                     "USLCI unit processes", True, "input"))
    arrows.append((x0 + (w + gap) + w / 2, 66.0 + 3, x0 + (w + gap) + w / 2, y0 - 3))
    arrows.append((x0 + w / 2, 66.0 + 3, x0 + w / 2, y0 - 3))
    last = max(i for i, s in enumerate(LifeCycleStage) if s.value in inside)
    frame = (x0 - 8, y0 - 22, (last + 1) * (w + gap) - gap + 16, h + 40)
    return Diagram(x0 * 2 + 5 * w + 4 * gap, 250.0, tuple(boxes), tuple(arrows), frame,
                   result.study.exclusions)


def build_pcf_report(result: PcfResult, *, sources: tuple[str, ...] = (),
                     battery: Mapping[str, Any] | None = None,
                     pact: Mapping[str, Any] | None = None) -> PcfReport:
    """Collect the report contents of `result` (see the module doc for the sections)."""
    s = result.study
    period = (f"{s.reference_period_start} – {s.reference_period_end} (end exclusive)"
              if s.reference_period_start else "—")
    zh_b, en_b = BOUNDARY_LABELS[s.system_boundary.value]
    meta = (
        ("产品", "Product", s.product),
        ("声明单位", "Declared unit", s.declared_unit),
        ("功能单位", "Functional unit", s.functional_unit or "—"),
        ("研究目的", "Goal", s.goal or "—"),
        ("预期用途", "Intended application", s.intended_application or "—"),
        ("目标受众", "Intended audience", s.intended_audience or "—"),
        ("系统边界", "System boundary", f"{zh_b} {en_b}"),
        ("时间范围", "Time scope", period),
        ("地理范围", "Geographical scope", s.geography or "—"),
        ("取舍准则", "Cut-off criteria", s.cutoff_criteria),
        ("全球变暖潜势", "GWP set", s.gwp_set),
        ("委托方 / 编制方", "Commissioner / practitioner",
         f"{s.commissioner or '—'} / {s.practitioner or '—'}"),
    )
    return PcfReport(result, meta, diagram(result),
                     f"{date.today().isoformat()}, zeropark {__version__}",
                     (*s.data_sources, *sources), battery, pact)


def write_pcf_report(report: PcfReport, path: str | Path, *, fmt: str) -> Path:
    """Write the report as ``json``, ``html`` or ``pdf``, atomically.

    Raises
    ------
    InputError
        Unknown `fmt` or a folder that cannot be written; no partial file is left and an
        existing target is unchanged.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}", field="format")
    writers: dict[str, Callable[[PcfReport, Path], None]] = {
        "json": write_json, "html": write_html, "pdf": _pdf_writer()}
    return write_atomic(Path(path), lambda tmp: writers[fmt](report, tmp))


def write_atomic(target: Path, write: Callable[[Path], None]) -> Path:
    """Run `write` on a temporary file next to `target`, then move it into place."""
    tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as err:
        raise InputError(f"cannot write the report: {err.strerror}", path=str(target)) from err
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _pdf_writer() -> Callable[[PcfReport, Path], None]:
    from zeropark.reports.pcf_pdf import write_pdf

    return write_pdf


def write_json(report: PcfReport, path: Path) -> None:
    """The result (and battery declaration, if any) as UTF-8 JSON."""
    doc = report.result.to_dict()
    if report.battery is not None:
        doc["battery_declaration"] = dict(report.battery)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_html(report: PcfReport, path: Path) -> None:
    """One self-contained, printable HTML page (``templates/pcf.html``)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("zeropark.reports", "templates"),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=fmt_number, kg=fmt_kg, pct=fmt_pct)
    page = env.get_template("pcf.html").render(
        r=report, res=report.result, study=report.result.study, stage_labels=STAGE_LABELS,
        origin_labels=ORIGIN_LABELS, allocation_labels=ALLOCATION_LABELS,
        issue_label=issue_label, tree_rows=tree_rows(report.result.tree))
    path.write_text(page, encoding="utf-8")


def tree_rows(node: TreeNode, depth: int = 0) -> list[tuple[int, TreeNode]]:
    """The supply-chain tree flattened depth-first as ``(depth, node)``."""
    out = [(depth, node)]
    for child in node.children:
        out += tree_rows(child, depth + 1)
    return out


def fmt_kg(value: float | None) -> str:
    """Kg CO2e with 4 significant decimals; ``—`` for None or NaN.

    Examples
    --------
    >>> fmt_kg(18.23444), fmt_kg(-0.00001), fmt_kg(None)
    ('18.2344', '-0.0000', '—')
    """
    if value is None or value != value:
        return "—"
    return f"{value:,.4f}"


def fmt_pct(value: float | None) -> str:
    """A share as a percentage with one decimal; ``—`` for None or NaN.

    Examples
    --------
    >>> fmt_pct(0.8391), fmt_pct(None)
    ('83.9 %', '—')
    """
    if value is None or value != value:
        return "—"
    return f"{100 * value:.1f} %"
