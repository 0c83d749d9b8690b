"""openLCA JSON-LD import: a hand-made v2 zip and the real USLCI v1 export.

Synthetic zip: electricity (reference 1 kWh = 3.6 MJ, the flow's unit) emits
0.5 kg fossil CO2; a second electricity process (other location) emits 0.9 kg.
Widget (1 kg) takes 2 kWh from the first (default provider), emits 100 g CO2
and 1 g biogenic CH4 and 0.2 kg biogenic CO2, and takes 1 screw nobody makes.
GWP100 of 1 kg widget (AR6: CH4 27.9) = 0.1 + 0.001·27.9 + 2·0.5 = 1.1279.
"""

import math
import os
from pathlib import Path

import numpy as np
import olca_schema as o
import pytest
from olca_schema import zipio

from zeropark.lca.contribution import fossil_biogenic
from zeropark.lca.ghg_flows import METHOD_GWP100, METHOD_GWP100_BIOGENIC
from zeropark.lca.io_olca import read_olca_jsonld
from zeropark.lca.matrices import UncertaintyType


def _ref(entity):
    return o.Ref(id=entity.id, name=entity.name)


def write_zip(path: Path) -> Path:
    mass_ug = o.UnitGroup(id="ug-mass", name="Units of mass", units=[
        o.Unit(id="u-kg", name="kg", conversion_factor=1.0, is_ref_unit=True),
        o.Unit(id="u-g", name="g", conversion_factor=0.001)])
    energy_ug = o.UnitGroup(id="ug-energy", name="Units of energy", units=[
        o.Unit(id="u-mj", name="MJ", conversion_factor=1.0, is_ref_unit=True),
        o.Unit(id="u-kwh", name="kWh", conversion_factor=3.6)])
    items_ug = o.UnitGroup(id="ug-items", name="Units of items", units=[
        o.Unit(id="u-item", name="Item(s)", conversion_factor=1.0, is_ref_unit=True)])
    mass = o.FlowProperty(id="fp-mass", name="Mass", unit_group=_ref(mass_ug))
    energy = o.FlowProperty(id="fp-energy", name="Energy", unit_group=_ref(energy_ug))
    items = o.FlowProperty(id="fp-items", name="Number of items", unit_group=_ref(items_ug))

    def flow(fid, name, kind, prop, category=""):
        return o.Flow(id=fid, name=name, flow_type=kind, category=category,
                      flow_properties=[o.FlowPropertyFactor(
                          flow_property=_ref(prop), conversion_factor=1.0,
                          is_ref_flow_property=True)])

    elec = flow("f-elec", "electricity", o.FlowType.PRODUCT_FLOW, energy)
    widget = flow("f-widget", "widget", o.FlowType.PRODUCT_FLOW, mass)
    screw = flow("f-screw", "screw", o.FlowType.PRODUCT_FLOW, items)
    co2 = flow("f-co2", "Carbon dioxide, fossil", o.FlowType.ELEMENTARY_FLOW, mass,
               "Elementary flows/air/unspecified")
    ch4 = flow("f-ch4", "Methane, biogenic", o.FlowType.ELEMENTARY_FLOW, mass,
               "Elementary flows/air/unspecified")
    co2b = flow("f-co2b", "Carbon dioxide, biogenic", o.FlowType.ELEMENTARY_FLOW, mass,
                "Elementary flows/air/unspecified")
    water = flow("f-water", "Water", o.FlowType.ELEMENTARY_FLOW, mass, "Elementary flows/water")

    def ex(f, amount, unit, prop, *, is_input=False, ref=False, provider=None, unc=None):
        return o.Exchange(flow=_ref(f), amount=amount, unit=o.Ref(id=unit),
                          flow_property=_ref(prop), is_input=is_input,
                          is_quantitative_reference=ref, default_provider=provider,
                          uncertainty=unc)

    p_elec = o.Process(id="p-elec", name="electricity, grid A", location=o.Ref(name="A"),
                       exchanges=[ex(elec, 1.0, "u-kwh", energy, ref=True),
                                  ex(co2, 0.5, "u-kg", mass, unc=o.Uncertainty(
                                      distribution_type=o.UncertaintyType.LOG_NORMAL_DISTRIBUTION,
                                      geom_mean=0.5, geom_sd=1.2))])
    p_elec2 = o.Process(id="p-elec2", name="electricity, grid B", location=o.Ref(name="B"),
                        exchanges=[ex(elec, 1.0, "u-kwh", energy, ref=True),
                                   ex(co2, 0.9, "u-kg", mass)])
    p_widget = o.Process(id="p-widget", name="widget", location=o.Ref(name="C"), exchanges=[
        ex(widget, 1.0, "u-kg", mass, ref=True),
        ex(elec, 2.0, "u-kwh", energy, is_input=True, provider=_ref(p_elec),
           unc=o.Uncertainty(distribution_type=o.UncertaintyType.TRIANGLE_DISTRIBUTION,
                             minimum=1.5, mode=2.0, maximum=3.0)),
        ex(screw, 1.0, "u-item", items, is_input=True),
        ex(co2, 100.0, "u-g", mass),
        ex(ch4, 1.0, "u-g", mass),
        ex(co2b, 0.2, "u-kg", mass),
        ex(water, 3.0, "u-kg", mass, is_input=True)])
    target = path / "tiny.zip"
    with zipio.ZipWriter(target) as writer:
        for entity in (mass_ug, energy_ug, items_ug, mass, energy, items, elec, widget, screw,
                       co2, ch4, co2b, water, p_elec, p_elec2, p_widget):
            writer.write(entity)
    return target


@pytest.fixture
def tiny(tmp_path):
    return read_olca_jsonld(write_zip(tmp_path))


def test_tiny_structure(tiny):
    system, report = tiny
    assert report.schema_version == 2
    assert [a.code for a in system.activities] == ["p-elec", "p-elec2", "p-widget"]
    assert system.activities[0].unit == "MJ"
    a = system.technosphere_matrix().toarray()
    # kWh → MJ on the diagonal; 2 kWh input linked to the default provider
    np.testing.assert_allclose(a, [[3.6, 0, -7.2], [0, 3.6, 0], [0, 0, 1.0]], rtol=1e-12)
    b = system.biosphere_matrix().toarray()
    rows = {f.name: i for i, f in enumerate(system.flows)}
    assert b[rows["Carbon dioxide, fossil"]].tolist() == pytest.approx([0.5, 0.9, 0.1],
                                                                       rel=1e-12)
    assert b[rows["Water"], 2] == -3.0  # resource: negative
    assert report.counts["unlinked_inputs"] == 1
    assert report.unlinked == (("p-widget", "screw"),)
    assert report.counts["ambiguous_providers"] == 0
    assert report.counts["ghg_flows_matched"] == 3
    assert system.flows[rows["Methane, biogenic"]].biogenic


def test_tiny_uncertainty(tiny):
    system, _ = tiny
    t = system.technosphere
    k = int(np.flatnonzero((t.rows == 0) & (t.cols == 2))[0])
    assert t.uncertainty_type[k] == UncertaintyType.TRIANGULAR
    # inputs are negative: bounds scaled by 3.6 MJ/kWh and swapped
    assert (t.minimum[k], t.loc[k], t.maximum[k]) == pytest.approx((-10.8, -7.2, -5.4),
                                                                   rel=1e-12)
    bio = system.biosphere
    k = int(np.flatnonzero((bio.cols == 0) & (bio.values > 0))[0])
    assert bio.uncertainty_type[k] == UncertaintyType.LOGNORMAL
    assert bio.loc[k] == pytest.approx(math.log(0.5), rel=1e-12)
    assert bio.scale[k] == pytest.approx(math.log(1.2), rel=1e-12)


def test_tiny_score(tiny, lca_class):
    system, _ = tiny
    lca = lca_class(system, METHOD_GWP100)
    assert lca.score({"p-widget": 1.0}) == pytest.approx(0.1 + 0.001 * 27.9 + 1.0, rel=1e-12)
    incl = lca_class(system, METHOD_GWP100_BIOGENIC)
    assert incl.score({"p-widget": 1.0}) == pytest.approx(1.1279 + 0.2, rel=1e-12)
    split = fossil_biogenic(system, lca.supply({"p-widget": 1.0}), METHOD_GWP100_BIOGENIC)
    assert split.set_index("origin")["score"].to_dict() == pytest.approx(
        {"fossil": 1.1, "biogenic_emissions": 0.0279 + 0.2, "biogenic_removals": 0.0},
        rel=1e-12)


@pytest.fixture(scope="module")
def uslci_zip():
    data_dir = os.environ.get("ZEROPARK_DATA_DIR")
    path = Path(data_dir or "") / "uslci" / "uslci_olca1_5_0_json_ld.zip"
    if not data_dir or not path.is_file():
        pytest.skip("ZEROPARK_DATA_DIR with uslci/ is not set (CI sets it)")
    return path


@pytest.fixture(scope="module")
def uslci(uslci_zip):
    return read_olca_jsonld(uslci_zip)


def test_uslci_counts(uslci):
    system, report = uslci
    # the zip lists 767 entries under processes/: 766 process files and the folder itself
    assert report.schema_version == 1
    assert report.counts["processes"] == system.n_activities == 766
    assert report.counts["flows_in_zip"] == 4601
    assert report.counts["elementary_flows"] == system.n_flows == 2918
    assert report.counts["ghg_flows_matched"] == 56
    assert report.counts["unlinked_inputs"] > 0  # USLCI "CUTOFF" and dummy inputs


def test_uslci_electricity_score(uslci, lca_class):
    system, _ = uslci
    code = next(a.code for a in system.activities
                if a.name == "Electricity, at grid, US, 2000")
    assert system.activities[system.activity_index(code)].unit == "MJ"
    lca = lca_class(system, METHOD_GWP100)
    per_kwh = lca.score({code: 3.6})
    # US grid 2000, cradle to grid: plausible range 0.5–1.0 kg CO2e/kWh (not a point value)
    assert math.isfinite(per_kwh) and 0.5 < per_kwh < 1.0


def test_load_uslci_cache_roundtrip(uslci_zip, uslci, tmp_path):
    from zeropark.lca.background import load_uslci
    from zeropark.settings import Settings

    settings = Settings(data_dir=uslci_zip.parent.parent, cache_dir=tmp_path)
    first = load_uslci(settings)
    assert list((tmp_path / "uslci").glob("*.npz"))
    second = load_uslci(settings)
    assert second.activities == first.activities == uslci[0].activities
    assert second.flows == first.flows
    np.testing.assert_array_equal(second.technosphere.values, uslci[0].technosphere.values)
    np.testing.assert_array_equal(second.characterization_vector("GWP100"),
                                  uslci[0].characterization_vector("GWP100"))
