"""PCF study/result layer on the hand-checkable bracket system (tests/lca/pcf_fixture.py)."""

import json
from dataclasses import replace

import numpy as np
import pytest
from tests.lca.pcf_fixture import (
    BIO_EMISSIONS,
    BIO_REMOVALS,
    CFP,
    CFP_EXCL,
    FOSSIL,
    STAGES,
    foreground,
    study,
)

from zeropark.errors import InputError
from zeropark.issues import IssueCode
from zeropark.lca.pcf import SystemBoundary, compute_pcf
from zeropark.lca.pcf_uncertainty import foreground_uncertainty, valid_uncertainty

GSD = {"raw_material_acquisition": 1.1, "production": 1.05, "distribution": 1.3,
       "end_of_life": 1.3}


@pytest.fixture(scope="module")
def result():
    return compute_pcf(study(), foreground(), iterations=0)


def test_cfp_and_stages_by_hand(result):
    assert result.cfp_kgco2e == pytest.approx(CFP, rel=1e-12)
    assert result.cfp_excl_biogenic_co2_kgco2e == pytest.approx(CFP_EXCL, rel=1e-12)
    for stage, value in STAGES.items():
        assert result.stage(stage).cfp_kgco2e == pytest.approx(value, rel=1e-12, abs=1e-15)
    raw = result.stage("raw_material_acquisition")
    assert (raw.fossil_kgco2e, raw.biogenic_emissions_kgco2e, raw.biogenic_removals_kgco2e) == (
        pytest.approx(2.4, rel=1e-12), pytest.approx(0.1, rel=1e-12),
        pytest.approx(-0.16, rel=1e-12))
    assert raw.cfp_excl_biogenic_co2_kgco2e == pytest.approx(2.4, rel=1e-12)
    assert all(r.in_boundary for r in result.stages)


def test_every_breakdown_adds_up_to_the_cfp(result):
    assert sum(r.cfp_kgco2e for r in result.stages) == pytest.approx(CFP, rel=1e-12)
    assert result.by_gas["score_kgco2e"].sum() == pytest.approx(CFP, rel=1e-12)
    assert result.by_process["score_kgco2e"].sum() == pytest.approx(CFP, rel=1e-12)
    assert result.by_flow["score_kgco2e"].sum() == pytest.approx(CFP, rel=1e-12)
    assert result.fossil_biogenic["score_kgco2e"].sum() == pytest.approx(CFP, rel=1e-12)
    assert result.tree.score == pytest.approx(CFP, rel=1e-12)
    assert not [i for i in result.issues if i.code == IssueCode.PCF_BREAKDOWN_MISMATCH]


def test_fossil_biogenic_split_and_gases(result):
    split = result.fossil_biogenic.set_index("origin")["score_kgco2e"]
    assert split["fossil"] == pytest.approx(FOSSIL, rel=1e-12)
    assert split["biogenic_emissions"] == pytest.approx(BIO_EMISSIONS, rel=1e-12)
    assert split["biogenic_removals"] == pytest.approx(BIO_REMOVALS, rel=1e-12)
    gas = result.by_gas.set_index("gas")
    assert gas.loc["CO2 (biogenic)", "score_kgco2e"] == pytest.approx(0.1 - 0.16, rel=1e-12)
    assert gas.loc["CH4", "amount_kg"] == pytest.approx(0.001, rel=1e-12)
    assert gas.loc["CO2", "score_kgco2e"] == pytest.approx(2.4 + 2.1224 + 0.06, rel=1e-12)


def test_top_n_groups_the_rest(result):
    small = compute_pcf(study(), foreground(), iterations=0, top_n=2)
    assert len(small.by_process) == 3 and small.by_process["activity_code"].iloc[-1] == "other"
    assert small.by_process["score_kgco2e"].sum() == pytest.approx(CFP, rel=1e-12)
    assert small.by_process["share"].sum() == pytest.approx(1.0, rel=1e-12)


def test_data_quality_notes_and_proxy_issue(result):
    codes = {i.code for i in result.issues}
    assert IssueCode.PCF_PROXY_DATA in codes  # steel is RNA, box US
    assert any("carry a GWP factor" in n for n in result.data_quality)
    assert result.ghg_flows_characterised == 5  # + the foreground CO2 flow of the grid
    unlinked = compute_pcf(study(), foreground(), iterations=0,
                           unlinked=(("steel", "CUTOFF coke"), ("nowhere", "x")))
    hit = [i for i in unlinked.issues if i.code == IssueCode.PCF_UNLINKED_INPUTS]
    assert hit and hit[0].data["count"] == 1


def test_cradle_to_gate_flags_downstream_stages():
    res = compute_pcf(study(SystemBoundary.CRADLE_TO_GATE), foreground(), iterations=0)
    flagged = {i.subject for i in res.issues if i.code == IssueCode.PCF_BOUNDARY_MISMATCH}
    assert flagged == {"distribution", "end_of_life"}
    assert not res.stage("distribution").in_boundary
    assert res.cfp_in_boundary_kgco2e == pytest.approx(2.34 + 2.1224, rel=1e-12)


def test_monte_carlo_range_ordered_and_reproducible():
    fg = foreground_uncertainty(foreground(), GSD, emission_factor_gsd=1.1)
    a = compute_pcf(study(), fg, iterations=300, seed=7)
    b = compute_pcf(study(), fg, iterations=300, seed=7)
    c = compute_pcf(study(), fg, iterations=300, seed=8)
    u = a.uncertainty
    assert u.p2_5 < u.p50 < u.p97_5
    assert (u.p2_5, u.p50, u.p97_5) == (b.uncertainty.p2_5, b.uncertainty.p50,
                                         b.uncertainty.p97_5)
    assert u.p50 != c.uncertainty.p50
    # lognormal GSDs of 1.05-1.3 around a median equal to the deterministic value
    assert u.p50 == pytest.approx(CFP, rel=0.03)
    assert u.uncertain_exchanges == 6  # steel, box, grid kWh, truck, landfill, grid CO2
    assert a.cfp_kgco2e == pytest.approx(CFP, rel=1e-12)  # deterministic value unchanged


def test_foreground_uncertainty_rejects_bad_gsd():
    with pytest.raises(InputError, match=">= 1"):
        foreground_uncertainty(foreground(), {"production": 0.9})
    with pytest.raises(InputError, match="unknown stage"):
        foreground_uncertainty(foreground(), {"assembly": 1.1})


def test_inconsistent_distribution_is_switched_off_and_reported():
    fg = foreground()
    t = fg.system.technosphere
    kind = t.uncertainty_type.copy()
    lo, mode, hi = t.minimum.copy(), t.loc.copy(), t.maximum.copy()
    i = int(np.flatnonzero((t.rows == 0) & (t.cols != 0))[0])  # the steel input
    kind[i], lo[i], mode[i], hi[i] = 5, -2.6, -1.2, -1.25  # mode > maximum (as in USLCI)
    bad = replace(fg, system=replace(fg.system, technosphere=replace(
        t, uncertainty_type=kind, minimum=lo, loc=mode, maximum=hi)))
    fixed, n = valid_uncertainty(bad.system)
    assert n == 1 and fixed.technosphere.uncertainty_type[i] == 0
    res = compute_pcf(study(), bad, iterations=20, seed=1)
    assert any(x.code == IssueCode.PCF_INVALID_UNCERTAINTY for x in res.issues)
    assert res.uncertainty.p50 == pytest.approx(CFP, rel=1e-12)


def test_to_dict_is_json(result):
    doc = json.loads(json.dumps(result.to_dict()))
    assert doc["cfp_kgco2e"] == pytest.approx(CFP, rel=1e-12)
    assert doc["study"]["system_boundary"] == "cradle_to_grave"
    assert doc["study"]["allocation"]["method"] == "mass"
    assert [r["stage"] for r in doc["by_stage"]][:2] == ["raw_material_acquisition",
                                                        "production"]
    assert doc["supply_chain_tree"]["children"]


def test_model_file_parses_and_resolves_names(tmp_path):
    from tests.lca.pcf_fixture import background

    from zeropark.lca.pcf_file import read_pcf_model, resolve_activity

    path = tmp_path / "m.toml"
    path.write_text('''
[study]
product = "Bracket B-1"
declared_unit = "1 bracket"
system_boundary = "cradle_to_grave"
exclusions = "Capital goods."
[production]
volume = 1000
[allocation]
method = "mass"
product = "bracket"
basis = { bracket = 40.0, rest = 60.0 }
[energy]
electricity_kwh = 10000
[[bom]]
material = "steel"
amount = 1.2
unit = "kg"
activity = "STEEL"
[[bom]]
material = "box"
amount = 0.2
unit = "kg"
activity = "box"
[[transport]]
description = "out"
mass_t = 0.0012
distance_km = 500
activity = "truck"
[[end_of_life]]
waste = "landfill"
amount = 1
unit = "kg"
activity = "landfill"
''', encoding="utf-8")
    mf = read_pcf_model(path)
    res = compute_pcf(mf.study(), __import__("zeropark.lca.foreground", fromlist=["x"])
                      .build_system(mf.product_model(background(), None), background()),
                      iterations=0)
    assert res.cfp_kgco2e == pytest.approx(CFP, rel=1e-12)
    assert mf.study().exclusions == ("Capital goods.",)
    with pytest.raises(InputError, match="close names: steel"):
        resolve_activity(background(), "steal")
    bad = path.read_text(encoding="utf-8").replace('material = "box"\n', "")
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError, match="misses material"):
        read_pcf_model(path)


@pytest.mark.demo
def test_demo_product_end_to_end(demo_store):
    """The shipped demo product on USLCI and the demo park's meters (needs the data)."""
    from pathlib import Path

    from zeropark.cli_pcf import run_model

    path, park, _ = demo_store
    park_file = path.parent / "park.toml"
    model = Path(__file__).parents[2] / "examples" / "pcf" / "demo_product.toml"
    mf, res = run_model(model, park=park_file, store=path, iterations=40, seed=3)
    assert res.study.system_boundary == SystemBoundary.CRADLE_TO_GRAVE
    assert sum(r.cfp_kgco2e for r in res.stages) == pytest.approx(res.cfp_kgco2e, rel=1e-9)
    assert res.stage("raw_material_acquisition").share > 0.5  # aluminium dominates
    assert res.per_unit["electricity_kwh"] > 0
    assert res.uncertainty.p2_5 < res.uncertainty.p50 < res.uncertainty.p97_5
    assert not [i for i in res.issues if i.code == IssueCode.PCF_BREAKDOWN_MISMATCH]


@pytest.mark.demo
def test_cli_pact_and_html(demo_store, tmp_path):
    """``zeropark pcf run`` on the demo product writes a valid PACT document and a report."""
    from pathlib import Path

    from typer.testing import CliRunner

    from zeropark.cli import app
    from zeropark.lca.pact import validate_pact

    path, _, _ = demo_store
    model = Path(__file__).parents[2] / "examples" / "pcf" / "demo_product.toml"
    for fmt in ("pact", "html"):
        out = tmp_path / f"demo.{fmt}"
        run = CliRunner().invoke(app, ["pcf", "run", str(model), "--park",
                                       str(path.parent / "park.toml"), "--store", str(path),
                                       "--iterations", "20", "--format", fmt, "--out",
                                       str(out)])
        assert run.exit_code == 0, run.output
    doc = json.loads((tmp_path / "demo.pact").read_text(encoding="utf-8"))
    assert validate_pact(doc) == []
    assert doc["pcf"]["declaredUnit"] == "kilogram"
    assert "<svg" in (tmp_path / "demo.html").read_text(encoding="utf-8")
    missing = CliRunner().invoke(app, ["pcf", "run", str(model), "--out",
                                       str(tmp_path / "x.html")])
    assert missing.exit_code == 2 and "--park" in missing.output
