"""Manual-input files: errors name the file, the row and the field."""

import pytest

from zeropark.errors import InputError
from zeropark.indicators.manual import read_manual_inputs
from zeropark.model import parse_park

PARK = parse_park("""
[park]
id = "p"
name = "P"
timezone = "Asia/Shanghai"
[[enterprises]]
id = "e1"
""")
HEADER = "year,level,subject,field,value,unit,source,note\n"


def _read(tmp_path, text, name="in.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_manual_inputs(path, PARK), path


def test_valid_csv_and_toml(tmp_path):
    inputs, _ = _read(tmp_path, HEADER + "2024,enterprise,e1,water_fresh_m3,20,m3,audit,\n")
    assert inputs.get(2024, "enterprise", "e1", "water_fresh_m3") == 20.0
    assert inputs.get(2024, "enterprise", "e1", "water_reused_m3") is None
    toml, _ = _read(tmp_path, '[[inputs]]\nyear = 2024\nlevel = "park"\nsubject = "p"\n'
                    'field = "gec_mwh"\nvalue = 12.5\nunit = "MWh"\n', "in.toml")
    assert toml.get(2024, "park", "p", "gec_mwh") == 12.5


@pytest.mark.parametrize(("row", "field", "message"), [
    ("2024,park,p,water_fresh_m3,20,m³,,", "unit", "must be 'm3'"),
    ("2024,park,p,water_fresh_m3,,m3,,", "value", "finite number"),
    ("2024,park,p,water_fresh_m3,-1,m3,,", "value", "finite number"),
    ("2024,park,p,water_fresh_m3,abc,m3,,", "value", "finite number"),
    ("2024,park,p,fresh_water,20,m3,,", "field", "unknown field"),
    ("2024,building,b9,water_fresh_m3,20,m3,,", "subject", "unknown building"),
    ("2024,site,p,water_fresh_m3,20,m3,,", "level", "unknown level"),
    ("24x,park,p,water_fresh_m3,20,m3,,", "year", "whole number"),
    ("2024,park,p,product_limit_kgce_per_unit,100,kgce/unit,,", "source", "needs a source"),
])
def test_bad_rows_name_file_row_and_field(tmp_path, row, field, message):
    with pytest.raises(InputError) as err:
        _read(tmp_path, HEADER + "2024,park,p,gec_mwh,1,MWh,,\n" + row + "\n")
    assert err.value.field == field
    assert err.value.location == "row 3"
    assert str(tmp_path / "in.csv") in str(err.value) and message in str(err.value)


def test_duplicate_and_missing_column(tmp_path):
    row = "2024,park,p,gec_mwh,1,MWh,,\n"
    with pytest.raises(InputError, match="duplicate gec_mwh"):
        _read(tmp_path, HEADER + row + row)
    with pytest.raises(InputError, match="missing column"):
        _read(tmp_path, "year,level,subject,field,value\n2024,park,p,gec_mwh,1\n")
