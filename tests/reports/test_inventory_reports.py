"""Inventory report writers: json, xlsx, html, pdf from a hand-made inventory.

The inventory below is built by hand (not by ``compute_inventory``), one line per
source category or more; the expected totals come from
:mod:`zeropark.accounting.framings`, which the writers only lay out.
"""

import json
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from zeropark.accounting.activity import ActivityRecord, SourceCategory
from zeropark.accounting.framings import ghg_protocol, iso14064, mee_report, reconcile
from zeropark.accounting.inventory import FactorUse, Inventory, InventoryLine
from zeropark.errors import InputError
from zeropark.reports import inventory as reports
from zeropark.reports.inventory import fmt_t, write_inventory

ENT = "ent-steel"
C = SourceCategory
GRID = FactorUse("EF_grid", "cn_mee_2022_grid_CN", 0.5703, "tCO2/MWh",
                 "MEE 2024 announcement; table 1; 2022 data", "no 2025 factor for CN: used 2022")
RESIDUAL = FactorUse("EF_residual", "cn_residual_proxy_2022", 0.5942, "tCO2/MWh",
                     "proxy: national average excluding green power; note 3; 2022", "")
HEAT = FactorUse("EF", "cn_ndrc_2015_purchased_heat_ef", 0.11, "tCO2/GJ",
                 "NDRC 2015 guideline; appendix 2; 2015", "")


def _record(record_id, category, quantity, unit, **kw):
    return ActivityRecord(record_id, ENT, date(2025, 1, 1), date(2026, 1, 1), category,
                          quantity, unit, source=f"invoices.xlsx row {len(record_id)}", **kw)


def _line(record, line_id, co2e_t, *, scope, method="", iso, sign, factors, formula,
          gas="CO2", gas_t=None, s3=None):
    return InventoryLine(line_id=line_id, record_id=record.record_id, enterprise_id=ENT,
                         category=record.category, gas=gas,
                         gas_t=co2e_t if gas_t is None else gas_t, co2e_t=co2e_t, scope=scope,
                         scope2_method=method, scope3_category=s3, iso_category=iso,
                         mee_sign=sign, activity=record.quantity, activity_unit=record.unit,
                         factors=factors, formula=formula, note=record.note)


@pytest.fixture
def inventory():
    gas = _record("gas-2025", C.COMBUSTION, 100.0, "1e4*m**3", fuel="natural_gas", ncv=389.31,
                  ncv_unit="GJ/1e4*m**3", note="=SUM(A1:A9) is text, not a formula")
    lime = _record("caco3-2025", C.PROCESS, 50.0, "t", material="CaCO3", purity=0.95)
    hfc = _record("hfc-topup", C.FUGITIVE, 12.0, "kg", gas="HFC-134a")
    elec = _record("elec-2025", C.PURCHASED_ELECTRICITY, 1000.0, "MWh", region="CN")
    gec = _record("gec-2025", C.ELECTRICITY_INSTRUMENT, 200.0, "MWh", instrument="gec",
                  instrument_criteria="GEC ids 2025-0001..0200, retired 2026-01-15")
    heat = _record("steam-2025", C.PURCHASED_HEAT, 500.0, "GJ")
    export = _record("pv-export", C.EXPORTED_ELECTRICITY, 50.0, "MWh")
    steel = _record("spend-steel", C.SCOPE3, 120000.0, "CNY", scope3_category=1,
                    emission_factor=0.35, emission_factor_unit="kg/CNY")
    travel = _record("travel-2025", C.SCOPE3, 20000.0, "km", scope3_category=6,
                     factor_id="defra_2024_flight_domestic")
    comb = 100.0 * 389.31 * 0.01532 * 0.99 * 44 / 12
    lines = (
        _line(gas, "gas-2025", comb, scope=1, iso=1, sign=1, factors=(
            FactorUse("NCV (measured)", "record:gas-2025", 389.31, "GJ/1e4*m**3",
                      "lab report 2025-03"),
            FactorUse("CC", "cn_ndrc_2015_natural_gas_cc", 0.01532, "tC/GJ",
                      "NDRC 2015 guideline; table 2.1; 2015"),
            FactorUse("OF", "cn_ndrc_2015_natural_gas_of", 0.99, "1",
                      "NDRC 2015 guideline; table 2.1; 2015")),
            formula="E = FC·NCV·CC·OF·44/12 = 100 1e4*m**3 × 389.31 GJ/(10⁴ m³) "
                    "= 38931 GJ × 0.01532 t C/GJ × 0.99 × 44/12"),
        _line(lime, "caco3-2025", 50 * 0.43971 * 0.95, scope=1, iso=1, sign=1,
              factors=(FactorUse("EF", "carbonate_CaCO3", 0.43971, "tCO2/t",
                                 "44/100.0869 (molar masses)"),),
              formula="E = AD·EF·PUR = 50 t × 0.43971 t CO2/t × 0.95"),
        _line(hfc, "hfc-topup", 0.012 * 1300, scope=1, iso=1, sign=1, gas="HFC-134a",
              gas_t=0.012, factors=(FactorUse("GWP100", "gwp_ar5_HFC-134a", 1300, "1",
                                              "IPCC AR5 WG1 table 8.A.1"),),
              formula="E = m·GWP = 0.012 t HFC-134a × 1300"),
        _line(elec, "elec-2025#location", 1000 * 0.5703, scope=2, method="location", iso=2,
              sign=1, factors=(GRID,), formula="E = AD·EF = 1000 MWh × 0.5703 t CO2/MWh"),
        _line(elec, "elec-2025#market", 800 * 0.5942, scope=2, method="market", iso=0,
              sign=0, factors=(RESIDUAL,),
              formula="E = (AD − instruments)·EF_residual = (1000 − 200) MWh × 0.5942 "
                      "t CO2/MWh; instruments cover 20.0% of purchases"),
        _line(gec, "gec-2025#market", 0.0, scope=2, method="market", iso=0, sign=0,
              factors=(), formula="E = 200 MWh × 0 t CO2/MWh (gec; criteria: GEC ids)"),
        _line(heat, "steam-2025", 500 * 0.11, scope=2, method="location", iso=2, sign=1,
              factors=(HEAT,), formula="E = AD·EF = 500 GJ × 0.11 t CO2/GJ"),
        _line(heat, "steam-2025#market", 500 * 0.11, scope=2, method="market", iso=0, sign=0,
              factors=(HEAT,), formula="E = AD·EF = 500 GJ × 0.11 t CO2/GJ (no instrument)"),
        _line(export, "pv-export", 50 * 0.5703, scope=0, iso=0, sign=-1, factors=(GRID,),
              formula="E = AD·EF = 50 MWh × 0.5703 t CO2/MWh"),
        _line(steel, "spend-steel", 42.0, scope=3, iso=4, sign=0, s3=1, gas="CO2e",
              factors=(FactorUse("EF", "record:spend-steel", 0.35, "kg/CNY", "supplier"),),
              formula="E = AD·EF = 120000 CNY × 0.35 kg/CNY"),
        _line(travel, "travel-2025", 20000 * 0.000246, scope=3, iso=3, sign=0, s3=6,
              gas="CO2e", factors=(FactorUse("EF", "defra_2024_flight_domestic", 0.246,
                                             "kg/km", "DESNZ/DEFRA 2024; flights; 2024"),),
              formula="E = AD·EF = 20000 km × 0.246 kg/km"),
    )
    records = (gas, lime, hfc, elec, gec, heat, export, steel, travel)
    return Inventory(ENT, "2025", "AR5", "CN", 2025, lines, records,
                     ("grid factor for 2025 not published: 2022 factor used",))


def _framing_totals(inv):
    """Summary key → value, from the framings (the source of truth)."""
    mee, ghg, iso = mee_report(inv), ghg_protocol(inv), iso14064(inv)
    out = {f"mee.{i['item']}": i["co2e_t"] for i in mee["items"]}
    out["mee.total"] = mee["total_co2e_t"]
    for key in ("scope1", "scope2_location", "scope2_market", "scope3", "total_location",
                "total_market", "memo_exported"):
        out[f"ghg.{key}"] = ghg[f"{key}_co2e_t"]
    for cat, value in ghg["scope3_by_category"].items():
        out[f"ghg.scope3_{cat}"] = value
    for c in iso["categories"]:
        out[f"iso.cat{c['category']}"] = c["co2e_t"]
    out["iso.total"] = iso["total_co2e_t"]
    return out


def test_json_is_the_inventory_document(inventory, tmp_path):
    path = write_inventory(inventory, tmp_path / "inv.json", fmt="json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["mee"]["total_co2e_t"] == mee_report(inventory)["total_co2e_t"]
    assert [x["line_id"] for x in doc["lines"]] == [x.line_id for x in inventory.lines]
    assert "化石燃料燃烧排放" in path.read_text(encoding="utf-8")  # ensure_ascii=False


def test_xlsx_sheets_totals_lines_and_values_only(inventory, tmp_path):
    path = write_inventory(inventory, tmp_path / "inv.xlsx", fmt="xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary 汇总", "Reconciliation 核对", "Lines 明细",
                             "Activity 活动数据", "Factors 因子"]
    assert all(len(name) <= 31 for name in wb.sheetnames)
    for ws in wb.worksheets:
        assert ws.freeze_panes is not None
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)

    summary = wb["Summary 汇总"]
    header = next(r for r in summary.iter_rows(values_only=True) if r[0] == "框架 Framing")
    key_col, value_col = header.index("键 Key"), header.index("排放量 t CO2e")
    found = {r[key_col]: r[value_col] for r in summary.iter_rows(values_only=True)
             if isinstance(r[key_col], str) and "." in r[key_col]}
    expected = _framing_totals(inventory)
    for key, value in expected.items():
        # openpyxl stores floats as "%.16g" (16 significant digits, Excel shows 15), so a
        # written value equals the framing's to 1e-15 relative: not rounded, not recomputed.
        assert found[key] == pytest.approx(value, rel=1e-15, abs=0), key
    assert found["ghg.scope3_cat02"] is None  # no records in category 2: not reported
    assert "ghg.scope3_cat15" in found

    lines = wb["Lines 明细"]
    head = [c.value for c in lines[1]]
    id_col, fid_col = head.index("行号 Line ID"), head.index("因子编号 Factor ID")
    t_col = head.index("排放量 t CO2e")
    factor_ids: dict[str, set] = {}
    co2e: dict[str, float] = {}
    for row in lines.iter_rows(min_row=2, values_only=True):
        factor_ids.setdefault(row[id_col], set()).add(row[fid_col])
        if row[t_col] is not None:
            co2e[row[id_col]] = row[t_col]
    for line in inventory.lines:
        assert {f.factor_id for f in line.factors} <= factor_ids[line.line_id]
        assert co2e[line.line_id] == pytest.approx(line.co2e_t, rel=1e-15, abs=0)
    assert lines.cell(row=2, column=t_col + 1).number_format == "#,##0.000"

    activity = wb["Activity 活动数据"]
    assert activity.max_row == 1 + len(inventory.records)
    head = [c.value for c in activity[1]]
    notes = [r[head.index("备注 Note")] for r in activity.iter_rows(values_only=True)]
    assert "=SUM(A1:A9) is text, not a formula" in notes
    factors = {r[0] for r in wb["Factors 因子"].iter_rows(min_row=2, values_only=True)}
    assert {"cn_mee_2022_grid_CN", "record:gas-2025", "defra_2024_flight_domestic"} <= factors

    rec = wb["Reconciliation 核对"]
    rows = list(rec.iter_rows(values_only=True))
    identities = reconcile(inventory)["identities"]
    for key, (left, right) in identities.items():
        row = next(r for r in rows if r[1] == key)
        assert row[2] == pytest.approx(left, rel=1e-15, abs=0)
        assert row[3] == pytest.approx(right, rel=1e-15, abs=0)
        assert row[5] == "一致 holds"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.links += [v or "" for k, v in attrs if k in ("src", "href")]

    def handle_data(self, data):
        self.text.append(data)


def test_html_self_contained_with_totals(inventory, tmp_path):
    path = write_inventory(inventory, tmp_path / "inv.html", fmt="html")
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    text = " ".join(" ".join(page.text).split())
    assert "化石燃料燃烧排放" in text and "汇总 Summary" in text
    for value in _framing_totals(inventory).values():
        assert fmt_t(value) in text
    for line in inventory.lines:
        assert line.line_id in text
    assert all(link.startswith("#") for link in page.links), page.links
    assert not {"script", "link", "img"} & page.tags
    assert "http" not in "".join(page.links)
    assert "&lt;" not in text  # nothing double-escaped


def test_html_escapes_record_text(inventory, tmp_path):
    evil = replace(inventory.records[0], note="<script>alert(1)</script>")
    inv = Inventory(ENT, "2025", "AR5", "CN", 2025, inventory.lines,
                    (evil, *inventory.records[1:]))
    html = write_inventory(inv, tmp_path / "inv.html", fmt="html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_pdf_has_totals_and_line_ids(inventory, tmp_path):
    path = write_inventory(inventory, tmp_path / "inv.pdf", fmt="pdf")
    assert path.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True, text=True).stdout
    assert fmt_t(mee_report(inventory)["total_co2e_t"]) in text
    assert fmt_t(ghg_protocol(inventory)["scope2_market_co2e_t"]) in text
    for line in inventory.lines:
        assert line.line_id in text
    assert "cn_mee_2022_grid_CN" in text


def test_unknown_format_raises_and_writes_nothing(inventory, tmp_path):
    with pytest.raises(InputError, match="unknown format"):
        write_inventory(inventory, tmp_path / "inv.docx", fmt="docx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["json", "xlsx", "html", "pdf"])
def test_failure_mid_write_leaves_no_partial_file(inventory, tmp_path, monkeypatch, fmt):
    target = tmp_path / f"inv.{fmt}"
    target.write_bytes(b"previous report")
    real = reports._writers()[fmt]

    def half_then_fail(report, path):
        real(report, path)  # the whole file is in the temporary path...
        raise RuntimeError("disk full")  # ...then the writer fails

    monkeypatch.setattr(reports, "_writers", lambda: {fmt: half_then_fail})
    with pytest.raises(RuntimeError, match="disk full"):
        write_inventory(inventory, target, fmt=fmt)
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    assert target.read_bytes() == b"previous report"


def test_missing_folder_is_an_input_error(inventory, tmp_path):
    with pytest.raises(InputError, match="cannot write"):
        write_inventory(inventory, tmp_path / "no" / "inv.json", fmt="json")


def test_str_path_and_return_value(inventory, tmp_path):
    out = write_inventory(inventory, str(tmp_path / "inv.xlsx"), fmt="xlsx")
    assert out == Path(tmp_path / "inv.xlsx") and out.is_file()
