"""Indicator formulas against hand-computed, cited cases (tests/reference/indicators.csv)."""

import csv
import json
import math
from pathlib import Path

import pytest

from zeropark.indicators import FORMULAS
from zeropark.indicators.buildings import energy_saved_kwh, equivalent_trees
from zeropark.indicators.levers import green_power_needed_kwh

CASES = list(csv.DictReader(open(Path(__file__).parents[1] / "reference" / "indicators.csv",
                                 encoding="utf-8")))
OTHER = {"energy_saved_kwh": energy_saved_kwh, "equivalent_trees": equivalent_trees,
         "green_power_needed_kwh": lambda **kw: green_power_needed_kwh(kw.pop("formula"),
                                                                       **kw)[0]}


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_reference_case(case):
    function = FORMULAS.get(case["function"]) or OTHER[case["function"]]
    got = function(**json.loads(case["inputs"]))
    expected = float(case["expected"])
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=float(case["rtol"]), abs=float(case["atol"]))


def test_reference_cases_cite_sources_and_cover_every_formula():
    assert all(c["source"].strip() and c["note"].strip() for c in CASES)
    assert set(FORMULAS) - {"product_energy_vs_limit"} <= {c["function"] for c in CASES}
