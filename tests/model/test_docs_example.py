"""docs/park-file.md and docs/glossary.md stay in step with the code they describe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zeropark.accounting.options import options_for
from zeropark.issues import IssueCode
from zeropark.model import Direction, MeterKind, parse_park
from zeropark.model import toml as park_toml
from zeropark.units import Medium, Quantity

DOC = Path(__file__).resolve().parents[2] / "docs" / "park-file.md"
GLOSSARY = DOC.parent / "glossary.md"


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _example() -> str:
    blocks = re.findall(r"^```toml\n(.*?)^```", _doc(), flags=re.DOTALL | re.MULTILINE)
    complete = [b for b in blocks if "[park]" in b]
    assert len(complete) == 1, "docs/park-file.md needs exactly one complete ```toml example"
    return complete[0]


def _keys_of_section(heading: str) -> set[str]:
    """First-column keys of the table under a ``## heading`` of the doc."""
    text = _doc().split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_0-9]+)` \|", text, flags=re.MULTILINE))


def test_example_parses() -> None:
    park = parse_park(_example(), source="docs/park-file.md")
    assert park.park_id == "cz-wujin"
    assert park.timezone == "Asia/Shanghai"
    assert [e.enterprise_id for e in park.enterprises] == ["hengli", "lvyuan"]
    assert [b.building_id for b in park.buildings] == ["b1", "b2", "b3"]
    assert [m.meter_id for m in park.root_meters(Medium.ELECTRICITY)] == ["grid_import"]
    subs = [m.meter_id for m in park.meters if m.submeter_of == "grid_import"]
    assert subs == ["b1_elec", "b2_elec"]
    pv = park.meter("b1_pv")
    assert (pv.medium, pv.direction) == (Medium.PV, Direction.EXPORT)
    gas = park.meter("b2_gas")
    assert (gas.medium, gas.quantity, gas.canonical_unit) == (
        Medium.NATURAL_GAS, Quantity.VOLUME, "m³")
    heat = park.meter("b3_heat")
    assert (heat.medium, heat.kind, heat.canonical_unit) == (Medium.HEAT, MeterKind.TOTAL, "kWh")
    assert [(v.meter_id, dict(v.terms)) for v in park.virtual_meters] == [
        ("unmetered", {"grid_import": 1.0, "b1_elec": -1.0, "b2_elec": -1.0})]


def test_example_settings_are_valid_account_options() -> None:
    options = options_for(parse_park(_example()))
    assert options.tce_method.value == "calorific"
    assert options.electricity.factor_id == "cn_grid_mee_2023_east"
    assert options.electricity.value == pytest.approx(0.55, rel=1e-12)


@pytest.mark.parametrize(("heading", "keys"), [
    ("`[park]`", park_toml._PARK_KEYS),
    ("`[[enterprises]]`", park_toml._ENTERPRISE_KEYS),
    ("`[[buildings]]`", park_toml._BUILDING_KEYS),
    ("`[[meters]]`", park_toml._METER_KEYS),
    ("`[[virtual_meters]]`", park_toml._VIRTUAL_KEYS),
])
def test_doc_lists_exactly_the_reader_keys(heading: str, keys: set[str]) -> None:
    assert _keys_of_section(heading) == keys


def test_doc_lists_the_top_level_tables() -> None:
    listed = set(re.findall(r"^\| `\[{1,2}([a-z_]+)\]{1,2}` \|", _doc(), flags=re.MULTILINE))
    assert listed == park_toml._TOP_KEYS


def test_doc_lists_the_settings_keys() -> None:
    assert _keys_of_section("`[settings]`") == {
        "tce_method", "supply_coal_rate_kgce_per_kwh", "grid_factor", "grid_intensity_files",
        "grid_intensity_name", "grid_intensity_source",
        # read by the indicators (zeropark.indicators.evaluate.indicator_options_for)
        "scope2", "natural_gas_is_clean", "grid_non_fossil_share", "grid_non_fossil_source",
        "pv_yield_kwh_per_kwp_a", "pv_yield_source", "tree_absorption_kgco2_per_tree_a",
        "tree_absorption_source",
    }


def test_glossary_names_every_issue_code_medium_and_kind() -> None:
    names = set(re.findall(r"^\| `([a-z_0-9]+)`", GLOSSARY.read_text(encoding="utf-8"),
                           flags=re.MULTILINE))
    for vocabulary in (IssueCode, Medium, Quantity, MeterKind, Direction):
        missing = {v.value for v in vocabulary} - names
        assert not missing, f"docs/glossary.md lacks {vocabulary.__name__}: {sorted(missing)}"
