"""ISO 14067 PCF report: HTML with an SVG boundary diagram, PDF rendered to PNG, JSON."""

import json
import shutil
import subprocess

import pytest
from tests.lca.pcf_fixture import foreground, study

from zeropark.errors import InputError
from zeropark.lca.battery import BatteryData, battery_declaration
from zeropark.lca.pcf import SystemBoundary, compute_pcf
from zeropark.lca.pcf_uncertainty import foreground_uncertainty
from zeropark.reports.pcf import build_pcf_report, diagram, write_pcf_report


@pytest.fixture(scope="module")
def report():
    fg = foreground_uncertainty(foreground(), {"production": 1.1, "raw_material_acquisition": 1.1})
    res = compute_pcf(study(), fg, iterations=50, seed=1)
    return build_pcf_report(res, battery=battery_declaration(res, BatteryData(50.0,
                                                                              cycles=1000)))


def test_html_has_every_iso14067_section(report, tmp_path):
    path = write_pcf_report(report, tmp_path / "r.html", fmt="html")
    html = path.read_text(encoding="utf-8")
    for heading in ("目标与范围", "Functional and declared unit", "系统边界", "<svg",
                    "数据来源与质量", "分配", "By life-cycle stage", "By greenhouse gas",
                    "不确定性", "化石源与生物源", "Biogenic removals", "供应链",
                    "排除项与局限性", "Capital goods.", "电池碳足迹声明", "kg CO2e/kWh"):
        assert heading in html, heading
    assert "4.5522" in html  # the CFP by hand (pcf_fixture)


def test_boundary_diagram_marks_excluded_stages():
    res = compute_pcf(study(SystemBoundary.CRADLE_TO_GATE), foreground(), iterations=0)
    d = diagram(res)
    inside = {b.key for b in d.boxes if b.kind == "stage" and b.included}
    assert inside == {"raw_material_acquisition", "production"}
    out = [b for b in d.boxes if b.kind == "stage" and not b.included]
    assert {b.key for b in out} == {"distribution", "use", "end_of_life"}
    assert all("excluded" in b.value for b in out)
    # the boundary frame holds the two included boxes and not the third
    fx, _, fw, _ = d.frame
    third = next(b for b in d.boxes if b.key == "distribution")
    assert fx + fw < third.x


def test_pdf_page_one_renders(report, tmp_path):
    path = write_pcf_report(report, tmp_path / "r.pdf", fmt="pdf")
    assert path.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(path), str(tmp_path / "page1")], check=True)
    png = (tmp_path / "page1.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000  # not a blank page
    text = subprocess.run(["pdftotext", "-l", "1", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Product Carbon Footprint Report" in text and "System boundary" in text


def test_json_and_atomic_write(report, tmp_path):
    doc = json.loads(write_pcf_report(report, tmp_path / "r.json", fmt="json").read_text())
    assert doc["battery_declaration"]["total_energy_kwh"] == 50_000.0
    assert doc["uncertainty"]["iterations"] == 50
    with pytest.raises(InputError, match="unknown format"):
        write_pcf_report(report, tmp_path / "r.xlsx", fmt="xlsx")
    with pytest.raises(InputError, match="cannot write"):
        write_pcf_report(report, tmp_path / "missing" / "r.html", fmt="html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
