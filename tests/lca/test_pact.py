"""PACT v2.2.0 ProductFootprint export, checked against a JSON Schema subset of the spec."""

import json
from datetime import UTC, date, datetime

import pytest
from tests.lca.pcf_fixture import foreground, study

from zeropark.errors import InputError
from zeropark.lca.pact import PACT_SPEC_VERSION, pact_footprint, validate_pact
from zeropark.lca.pcf import compute_pcf

CONFIG = {
    "company_name": "Demo Brackets Co.",
    "company_ids": ["urn:pathfinder:company:customcode:vendor-assigned:DB-1"],
    "product_ids": ["urn:pathfinder:product:customcode:vendor-assigned:B-1"],
    "product_category_cpc": "42999", "product_name_company": "Bracket B-1",
    "declared_unit": "kilogram", "unitary_product_amount": 2.0,
    "fossil_carbon_content_kgc": 0.0, "biogenic_carbon_content_kgc": 0.06,
    "packaging_emissions_included": True, "geography_country": "CN",
}
#: Cradle-to-gate by hand (pcf_fixture): raw 2.34 + production 2.1224 incl. biogenic CO2;
#: 2.4 + 2.1224 without; per kg with 2 kg of product per declared unit.
INCL, EXCL = (2.34 + 2.1224) / 2, (2.4 + 2.1224) / 2


@pytest.fixture(scope="module")
def doc():
    res = compute_pcf(study(), foreground(), iterations=0)
    return pact_footprint(res, CONFIG, created=datetime(2024, 8, 1, tzinfo=UTC))


def test_valid_against_the_schema_subset(doc):
    assert validate_pact(doc) == []
    assert doc["specVersion"] == PACT_SPEC_VERSION == "2.2.0"
    json.dumps(doc)


def test_values_are_cradle_to_gate_per_declared_unit(doc):
    pcf = doc["pcf"]
    assert float(pcf["pCfIncludingBiogenic"]) == pytest.approx(INCL, abs=5e-7)
    assert float(pcf["pCfExcludingBiogenic"]) == pytest.approx(EXCL, abs=5e-7)
    assert float(pcf["fossilGhgEmissions"]) == pytest.approx(EXCL, abs=5e-7)
    assert pcf["unitaryProductAmount"] == "2"
    assert float(pcf["biogenicCarbonContent"]) == pytest.approx(0.03, abs=5e-7)
    assert float(pcf["biogenicCarbonWithdrawal"]) == pytest.approx(-0.03 * 44 / 12, abs=5e-7)
    assert isinstance(pcf["pCfExcludingBiogenic"], str)  # Decimal = JSON string
    assert isinstance(pcf["primaryDataShare"], float)  # Percent = JSON number
    assert pcf["primaryDataShare"] == pytest.approx(100 * 2.1224 / (2.34 + 2.1224), abs=1e-4)
    assert pcf["referencePeriodStart"] == "2024-01-01T00:00:00Z"
    assert pcf["characterizationFactors"] == "AR6"
    assert "distribution" in doc["comment"] and "end_of_life" in doc["comment"]
    assert doc["created"] == "2024-08-01T00:00:00Z"


def test_invalid_documents_name_the_failing_path(doc):
    bad = json.loads(json.dumps(doc))
    bad["pcf"]["declaredUnit"] = "piece"
    bad["pcf"]["pCfExcludingBiogenic"] = "-1.5"
    bad["pcf"]["geographyRegionOrSubregion"] = "Eastern Asia"
    bad["companyIds"] = ["DB-1"]
    del bad["productCategoryCpc"]
    problems = "\n".join(validate_pact(bad))
    for path in ("$.pcf.declaredUnit", "$.pcf.pCfExcludingBiogenic", "$.companyIds[0]",
                 "'productCategoryCpc' is a required property", "only one geography"):
        assert path in problems


def test_reference_period_from_2025_needs_the_starred_properties(doc):
    late = json.loads(json.dumps(doc))
    late["pcf"]["referencePeriodStart"] = "2025-01-01T00:00:00Z"
    late["pcf"]["referencePeriodEnd"] = "2026-01-01T00:00:00Z"
    problems = validate_pact(late)
    assert any("dLucGhgEmissions" in p and "dqi" in p for p in problems)


def test_config_errors():
    res = compute_pcf(study(), foreground(), iterations=0)
    with pytest.raises(InputError, match="declared_unit"):
        pact_footprint(res, {**CONFIG, "declared_unit": "piece"})
    with pytest.raises(InputError, match="company_ids"):
        pact_footprint(res, {k: v for k, v in CONFIG.items() if k != "company_ids"})
    undated = compute_pcf(study(reference_period_start=None), foreground(), iterations=0)
    with pytest.raises(InputError, match="reference_period"):
        pact_footprint(undated, CONFIG)
    assert date(2024, 1, 1)  # the fixture's period
