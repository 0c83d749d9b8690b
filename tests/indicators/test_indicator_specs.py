"""Indicator definitions (YAML) and the building-registry keys of the park file."""

import pytest

from zeropark.errors import InputError, ParkModelError
from zeropark.indicators import FORMULAS, all_specs, indicator_sets
from zeropark.indicators.specs import parse_indicator_set
from zeropark.model import parse_park


def test_every_indicator_has_a_formula_source_and_verified_status():
    specs = all_specs()
    assert {s.set_id for s in indicator_sets()} == {
        "cn_ndrc_2025_zero_carbon_park", "cn_js_2024_zero_carbon_industrial_park",
        "cn_green_building"}
    for spec in specs:
        assert spec.formula in FORMULAS
        assert spec.source["document"] and spec.source["clause"]
        assert spec.target is not None and spec.target.verification_note
    national = [s for s in specs if s.set_id == "cn_ndrc_2025_zero_carbon_park"]
    assert [s.role for s in national].count("core") == 1 and len(national) == 6
    core = next(s for s in national if s.role == "core")
    assert core.target.for_size(500_000) == 0.20 and core.target.for_size(2_000_000) == 0.30
    assert core.target.for_size(3_500) is None  # no tier reproduced for small parks
    gb = [s for s in specs if s.set_id == "cn_green_building"]
    assert {s.target.verification for s in gb} == {"unverified"}


def test_bad_definition_is_rejected():
    text = ("set: {id: x, name_zh: x, name_en: x, source: x}\nindicators:\n"
            "  - {id: a, name_zh: a, name_en: a, formula: nope, unit: '-', direction: '>=',"
            " source: {document: d, clause: c}}\n")
    with pytest.raises(InputError, match="unknown formula"):
        parse_indicator_set(text, source="x.yaml")


BASE = '[park]\nid = "p"\nname = "P"\ntimezone = "Asia/Shanghai"\n[[buildings]]\nid = "b"\n'


def test_building_registry_keys():
    park = parse_park(BASE + 'floor_area_m2 = 100\ngreen_star = 3\nenergy_target = "zero"\n'
                      'baseline_eui_kwh_per_m2 = 90\nbaseline_kind = "reference"\n'
                      'new_building = true\n')
    b = park.buildings[0]
    assert (b.green_star, b.energy_target, b.baseline_eui_kwh_per_m2, b.baseline_kind,
            b.new_building) == (3, "zero", 90.0, "reference", True)
    assert parse_park(BASE).buildings[0].green_star is None


@pytest.mark.parametrize(("extra", "field"), [
    ("green_star = 4\n", "green_star"),
    ('energy_target = "passive"\n', "energy_target"),
    ("baseline_eui_kwh_per_m2 = 90\n", "baseline_kind"),
    ('new_building = "yes"\n', "new_building"),
])
def test_bad_building_registry_keys(extra, field):
    with pytest.raises(ParkModelError) as err:
        parse_park(BASE + extra)
    assert err.value.field == field
