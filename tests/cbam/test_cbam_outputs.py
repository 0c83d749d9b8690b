import json

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from zeropark.cbam.communication import SHEETS, write_communication
from zeropark.cbam.installation import example_path, read_installation
from zeropark.cbam.supplier import supplier_request, supplier_requests
from zeropark.cli import app


def test_communication_workbook(example, tmp_path):
    path = write_communication(example, tmp_path / "c.xlsx")
    wb = load_workbook(path)
    assert tuple(wb.sheetnames) == SHEETS
    summary = wb["Summary_Communication"]
    rows = {r[0]: r for r in summary.iter_rows(min_row=2, values_only=True) if r[0]}
    bolts = example.good("73181588")
    assert rows["7318 15 88"][4] == pytest.approx(bolts.see_direct_t_per_t, rel=1e-12)
    assert rows["7318 15 88"][5] == pytest.approx(bolts.see_indirect_t_per_t, rel=1e-12)
    purchased = [r for r in wb["E_PurchPrec"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert {r[0]: r[4] for r in purchased} == {"wire-rod": "supplier", "bar": "default"}


def test_supplier_request_is_bilingual():
    inst = read_installation(example_path())
    texts = supplier_requests(inst)
    assert list(texts) == ["bar"]  # only the precursor without supplier SEE
    text = texts["bar"]
    assert "SEE" in text and "隐含排放" in text and "7214 99 79" in text
    assert "3.169 t CO2e/t" in text
    assert "wire-rod" not in supplier_requests(inst, only_missing=True)
    assert "Jiangsu Demo Special Steel" in supplier_request(inst, inst.purchased_precursors[0])


def test_cli(tmp_path):
    runner = CliRunner()
    example = str(example_path())
    result = runner.invoke(app, ["cbam", "goods", "73181588", "--country", "CN", "--json"])
    assert result.exit_code == 0, result.output
    assert '"default_marked_up_t_per_t": 7.013' in result.output
    result = runner.invoke(app, ["cbam", "see", example, "--json"])
    assert result.exit_code == 0, result.output
    assert '"cbam_default_used"' in result.output
    result = runner.invoke(app, ["cbam", "cost", "73181588", "--mass", "100", "--year", "2026",
                                 "--price", "80", "--see-direct", "2.541", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["certificates"] == pytest.approx(121.11, rel=1e-12)
    out = tmp_path / "c.xlsx"
    result = runner.invoke(app, ["cbam", "communication", example, "--out", str(out)])
    assert result.exit_code == 0 and out.is_file()
    result = runner.invoke(app, ["cbam", "see", str(tmp_path / "none.toml")])
    assert result.exit_code == 2 and "file not found" in result.output


def test_cli_report(cbam_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("ZEROPARK_DATA_DIR", str(cbam_dir.parent))
    out = tmp_path / "q.xml"
    result = CliRunner().invoke(app, [
        "cbam", "report", str(example_path()), "--line", "73181588:120", "--period", "Q4",
        "--year", "2025", "--declarant-id", "DE123456789012345", "--declarant-name", "Importer",
        "--declarant-country", "DE", "--declarant-city", "Hamburg", "--authority", "DE000001",
        "--signatory", "A. Example", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"<?xml")
