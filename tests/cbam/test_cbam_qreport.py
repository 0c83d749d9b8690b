"""QReport XML: a generated report validates; invalid ones are rejected with XPaths."""

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from zeropark.cbam.installation import Address
from zeropark.cbam.qreport import (
    NAMESPACE,
    ImportedLine,
    Party,
    ReportHeader,
    build_qreport,
    load_schema,
    schema_dir,
    validate_qreport,
)
from zeropark.errors import InputError


@pytest.fixture(scope="module")
def schema(cbam_dir):
    return load_schema(cbam_dir)


def _header(period="Q4"):
    return ReportHeader("ZP-2025Q4-0001", period, 2025, datetime(2026, 1, 20, 9, 0, 0),
                        Party("DE123456789012345", "Demo Importer GmbH", Address("DE", "Hamburg")),
                        "DE000001", "Hamburg", "A. Example", "Customs manager",
                        importer=Party("DE123456789012345", "Demo Importer GmbH",
                                       Address("DE", "Hamburg")))


def _report(example):
    return build_qreport(_header(), [ImportedLine("73181588", 120.0, example),
                                     ImportedLine("7318 16 99", 40.5, example)])


def test_generated_report_is_valid(example, schema):
    assert validate_qreport(_report(example), schema) == ()


def test_generated_values(example):
    root = ET.fromstring(_report(example))
    ns = {"q": NAMESPACE}
    bolts = example.good("73181588")
    first = root.find("q:ImportedGood", ns)
    assert first.findtext("q:CommodityCode/q:HsCode", namespaces=ns) == "731815"
    assert first.findtext("q:CommodityCode/q:CnCode", namespaces=ns) == "88"
    direct = float(first.findtext("q:GoodsEmissions/q:DirectEmissions/"
                                  "q:SpecificEmbeddedEmissions", namespaces=ns))
    assert direct == pytest.approx(bolts.see_direct_t_per_t, abs=5e-8)  # 7 decimals
    total = float(first.findtext("q:TotalEmissions/q:OverallEmissions", namespaces=ns))
    assert total == pytest.approx(120.0 * bolts.see_total_t_per_t, abs=5e-8)


def test_shared_sample_is_rejected_with_xpaths(cbam_dir, schema):
    findings = validate_qreport(cbam_dir / "Sample_CBAM_Quarterly_Report.xml", schema)
    assert len(findings) == 8  # documented in shared/data/README.md
    paths = {f.path for f in findings}
    assert {"/QReport/ReportId", "/QReport/Year", "/QReport/Signatures", "/QReport",
            "/QReport/ImportedGood/CommodityCode/CnCode"} <= paths
    year = next(f for f in findings if f.path == "/QReport/Year")
    assert "digits" in year.reason


def test_a_broken_generated_report_names_the_failing_path(example, schema):
    text = _report(example).decode().replace("<Year>2025</Year>", "<Year>20250</Year>")
    text = text.replace("<HsCode>731815</HsCode>", "<HsCode>7318</HsCode>", 1)
    paths = [f.path for f in validate_qreport(text, schema)]
    assert "/QReport/Year" in paths
    assert "/QReport/ImportedGood[1]/CommodityCode/HsCode" in paths


def test_not_xml_is_a_finding(schema):
    assert validate_qreport("<QReport", schema)[0].reason == "not well-formed XML"


def test_schema_is_located_in_the_data_dir(cbam_dir):
    assert schema_dir(data_dir=cbam_dir.parent, cache_dir=cbam_dir) == cbam_dir


def test_contract_errors(example):
    with pytest.raises(InputError, match="Q1–Q4"):
        build_qreport(_header("Q5"), [ImportedLine("73181588", 1.0, example)])
    with pytest.raises(InputError, match="not produced"):
        build_qreport(_header(), [ImportedLine("76042100", 1.0, example)])
