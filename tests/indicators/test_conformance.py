"""Conformance checklist: platform checks, self-assessment, evidence, readiness score."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zeropark.accounting.ledger import import_activity
from zeropark.cli import app
from zeropark.errors import InputError
from zeropark.indicators.conformance import (
    CheckResult,
    EvidenceStore,
    Requirement,
    SelfAssessment,
    Status,
    assess,
    combine,
    load_requirements,
    read_self_assessment,
)
from zeropark.ingest.load import ingest_file
from zeropark.model import parse_park
from zeropark.store import DuckDBStore

FIXTURE = Path(__file__).parents[1] / "fixtures" / "activity_ent_a_2025.csv"
PARK = """
[park]
id = "cz"
name = "Changzhou test park"
timezone = "Asia/Shanghai"
[settings]
grid_region = "CN-East"
[[enterprises]]
id = "ent-a"
[[meters]]
id = "a-grid"
medium = "electricity"
unit = "kWh"
kind = "total"
enterprise = "ent-a"
resolution = "1h"
"""


def test_shipped_requirements_are_valid():
    reqs = load_requirements()
    standards = {r.standard for r in reqs}
    assert standards == {"ISO 50001:2018", "ISO 14064-1:2018"}
    assert len({r.requirement_id for r in reqs}) == len(reqs)
    assert all(r.weight > 0 and r.title_zh for r in reqs)


def test_combine_rules():
    req = Requirement("r", "S", "1", "t", "t", 1.0, ("x",))
    ok, bad = CheckResult("x", True, "fine"), CheckResult("x", False, "missing data")
    assert combine(req, SelfAssessment("r", Status.MET), (ok,), set()).status == Status.MET
    result = combine(req, SelfAssessment("r", Status.MET), (bad,), set())
    assert result.status == Status.PARTIAL
    assert result.reasons == ("platform check x: missing data",)
    assert combine(req, None, (ok,), set()).status == Status.PARTIAL
    assert combine(req, None, (bad,), set()).status == Status.NOT_MET
    cited = SelfAssessment("r", Status.MET, ("policy.pdf",))
    assert combine(req, cited, (ok,), set()).status == Status.PARTIAL
    assert combine(req, cited, (ok,), {"policy.pdf"}).status == Status.MET
    manual = Requirement("m", "S", "2", "t", "t", 1.0, ())
    assert combine(manual, SelfAssessment("m", Status.MET), (), set()).status == Status.PARTIAL


@pytest.fixture()
def park_store(tmp_path):
    park = parse_park(PARK, source="park.toml")
    store = DuckDBStore(tmp_path / "s.duckdb")
    csv = tmp_path / "m.csv"
    csv.write_text("timestamp,a-grid\n2025-03-01 00:00,400\n2025-03-01 01:00,600\n",
                   encoding="utf-8")
    ingest_file(store, park, csv)
    import_activity(store, park, FIXTURE)
    yield store, park
    store.close()


def test_assessment_score_and_gaps(park_store, tmp_path):
    store, park = park_store
    evidence = EvidenceStore(tmp_path / "evidence")
    policy = tmp_path / "energy-policy.pdf"
    policy.write_bytes(b"%PDF-1.4 policy")
    evidence.add(policy, enterprise_id="ent-a", requirement_id="iso50001-5.2")
    answers = {
        "iso50001-5.2": SelfAssessment("iso50001-5.2", Status.MET, ("energy-policy.pdf",)),
        "iso50001-9.2": SelfAssessment("iso50001-9.2", Status.NOT_APPLICABLE),
        "iso50001-6.5": SelfAssessment("iso50001-6.5", Status.MET),
    }
    result = assess(store, park, "ent-a", year=2025, self_assessment=answers,
                    evidence=evidence, standards=("ISO 50001:2018",))
    status = {r.requirement.requirement_id: r.status for r in result.results}
    assert status["iso50001-5.2"] == Status.MET            # evidence stored
    assert status["iso50001-9.2"] == Status.NOT_APPLICABLE
    assert status["iso50001-6.5"] == Status.PARTIAL        # no 2024 data: baseline check fails
    assert status["iso50001-6.3"] == Status.PARTIAL        # platform evidence only (2025 data)
    assert status["iso50001-5.3"] == Status.NOT_MET        # nothing said, no platform check
    # weights: 4.3 (1, partial), 5.2 (1, met), 5.3 (1, not met), 6.3 (2, partial),
    # 6.4 (2, partial), 6.5 (2, partial), 6.6 (2, partial), 9.1 (2, partial),
    # 10.2 (1, not met: needs two years); 9.2 excluded as not applicable.
    score = 0.5 + 1 + 0 + 1 + 1 + 1 + 1 + 1 + 0
    assert result.readiness == pytest.approx(100 * score / 14, rel=1e-12)
    assert result.gaps()[0].requirement.weight == 2


def test_iso14064_checks_use_the_inventory(park_store):
    store, park = park_store
    result = assess(store, park, "ent-a", year=2025, standards=("ISO 14064-1:2018",))
    checks = {c.check: c for r in result.results for c in r.checks}
    assert checks["inventory_computed"].passed
    assert checks["factors_cited"].passed
    assert checks["activity_records_evidenced"].passed


def test_self_assessment_errors_name_row_and_field(tmp_path):
    bad = tmp_path / "self.csv"
    bad.write_text("requirement_id,status\niso50001-5.2,met\niso50001-5.3,done\n",
                   encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_self_assessment(bad, load_requirements())
    assert str(err.value) == (f"{bad}, row 3, field 'status': unknown status 'done'; use one "
                              "of: met, partial, not_met, not_applicable")
    bad.write_text("requirement_id,status\nnope,met\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2, field 'requirement_id'"):
        read_self_assessment(bad, load_requirements())


def test_cli_assess_json(park_store, tmp_path):
    store, park = park_store
    store.close()
    park_file = tmp_path / "park.toml"
    park_file.write_text(PARK, encoding="utf-8")
    result = CliRunner().invoke(app, ["conformance", "assess", "ent-a", "--park",
                                      str(park_file), "--year", "2025", "--store",
                                      str(tmp_path / "s.duckdb"), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert 0 < doc["readiness"] < 100 and doc["gaps"]
