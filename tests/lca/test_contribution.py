"""Contribution analysis on a hand-checkable five-activity system.

Product P (production) takes 2 kg steel, 10 kWh electricity and 5 t·km truck
(distribution); steel takes 3 kWh/kg; the truck 0.1 kg diesel per t·km; diesel
0.5 kWh/kg. Supply for one P: steel 2, truck 5, diesel 0.5, electricity
10 + 6 + 0.25 = 16.25 kWh. Direct kg CO2e (CO2 CF 1, biogenic CH4 CF 30):
P 1, steel 2·(2 + 0.01·30) = 4.6, electricity 16.25·0.5 = 8.125,
truck 0.5, diesel 0.15; total 14.375.
"""

import numpy as np
import pytest

from zeropark.lca.contribution import (
    UNASSIGNED,
    by_flow,
    by_gas,
    by_process,
    by_stage,
    direct_scores,
    fossil_biogenic,
    supply_chain_tree,
)
from zeropark.lca.ghg_flows import METHOD_GWP100, METHOD_GWP100_BIOGENIC
from zeropark.lca.matrices import Activity, Exchanges, Flow, LifeCycleStage, ProductSystem

TOTAL = 14.375


def make_system() -> ProductSystem:
    acts = (Activity("P", "product", stage=LifeCycleStage.PRODUCTION),
            Activity("steel", "steel"), Activity("elec", "electricity", unit="kWh"),
            Activity("truck", "truck", stage=LifeCycleStage.DISTRIBUTION),
            Activity("diesel", "diesel"))
    flows = (Flow("co2", "Carbon dioxide, fossil", "air"),
             Flow("ch4b", "Methane, biogenic", "air", biogenic=True),
             Flow("co2b", "Carbon dioxide, biogenic", "air", biogenic=True),
             Flow("co2air", "Carbon dioxide, in air", "resource/in air", biogenic=True),
             Flow("water", "Water", "water"))
    tech = Exchanges.certain([0, 1, 2, 3, 4, 1, 2, 3, 2, 4, 2],
                             [0, 1, 2, 3, 4, 0, 0, 0, 1, 3, 4],
                             [1, 1, 1, 1, 1, -2, -10, -5, -3, -0.1, -0.5])
    bio = Exchanges.certain([0, 2, 3, 0, 1, 0, 0, 0, 4],
                            [0, 0, 0, 1, 1, 2, 3, 4, 2],
                            [1, 0.4, -0.4, 2, 0.01, 0.5, 0.1, 0.3, 7.0])
    cf = {METHOD_GWP100: Exchanges.certain([0, 1], [0, 0], [1.0, 30.0]),
          METHOD_GWP100_BIOGENIC: Exchanges.certain([0, 1, 2, 3], [0, 0, 0, 0],
                                                    [1.0, 30.0, 1.0, 1.0])}
    return ProductSystem(acts, flows, tech, bio, cf)


@pytest.fixture
def system():
    return make_system()


@pytest.fixture
def supply(system, lca_class):
    return lca_class(system).supply({"P": 1.0})


def test_supply_and_direct_scores(system, supply):
    assert supply == pytest.approx([1, 2, 16.25, 5, 0.5], rel=1e-12)
    assert direct_scores(system, supply) == pytest.approx([1, 4.6, 8.125, 0.5, 0.15],
                                                          rel=1e-12)


def test_by_process(system, supply):
    frame = by_process(system, supply)
    assert frame["score"].sum() == pytest.approx(TOTAL, rel=1e-12)
    assert frame["share"].sum() == pytest.approx(1.0, rel=1e-12)
    assert frame["activity_code"].tolist() == ["elec", "steel", "P", "truck", "diesel"]
    assert frame.loc[0, "score"] == pytest.approx(8.125, rel=1e-12)


def test_by_flow(system, supply):
    frame = by_flow(system, supply)
    assert frame["score"].sum() == pytest.approx(TOTAL, rel=1e-12)
    assert set(frame["flow_code"]) == {"co2", "ch4b"}
    ch4 = frame.set_index("flow_code").loc["ch4b"]
    assert ch4["amount"] == pytest.approx(0.02, rel=1e-12)
    assert ch4["score"] == pytest.approx(0.6, rel=1e-12)
    assert bool(ch4["biogenic"])


def test_by_stage_first_tagged_ancestor(system, supply):
    frame = by_stage(system, supply).set_index("stage")
    # production: P 1 + steel 4.6 + electricity for P 5 + for steel 3
    assert frame.loc["production", "score"] == pytest.approx(13.6, rel=1e-12)
    # distribution: truck 0.5 + diesel 0.15 + electricity for diesel 0.125
    assert frame.loc["distribution", "score"] == pytest.approx(0.775, rel=1e-12)
    assert frame.loc["use", "score"] == 0.0
    assert UNASSIGNED not in frame.index
    assert frame["score"].sum() == pytest.approx(TOTAL, rel=1e-12)


def test_by_stage_demand_on_untagged_is_unassigned(system, lca_class):
    supply = lca_class(system).supply({"steel": 1.0})
    frame = by_stage(system, supply).set_index("stage")
    assert frame.loc[UNASSIGNED, "score"] == pytest.approx(2.3 + 1.5, rel=1e-12)
    assert frame["score"].sum() == pytest.approx(3.8, rel=1e-12)


def test_fossil_biogenic_split(system, supply):
    fossil = fossil_biogenic(system, supply, METHOD_GWP100).set_index("origin")["score"]
    assert fossil.to_dict() == pytest.approx(
        {"fossil": 13.775, "biogenic_emissions": 0.6, "biogenic_removals": 0.0}, rel=1e-12)
    incl = fossil_biogenic(system, supply, METHOD_GWP100_BIOGENIC).set_index("origin")["score"]
    assert incl.to_dict() == pytest.approx(
        {"fossil": 13.775, "biogenic_emissions": 1.0, "biogenic_removals": -0.4}, rel=1e-12)
    assert incl.sum() == pytest.approx(TOTAL, rel=1e-12)


def test_by_gas(system, supply):
    frame = by_gas(system, supply).set_index("gas")
    assert frame.loc["CO2", "score"] == pytest.approx(13.775, rel=1e-12)
    assert frame.loc["CH4", "amount"] == pytest.approx(0.02, rel=1e-12)
    assert frame["score"].sum() == pytest.approx(TOTAL, rel=1e-12)


def _check_sums(node):
    if node.children:
        total = node.direct_score + sum(c.score for c in node.children)
        assert total == pytest.approx(node.score, rel=1e-12)
        for child in node.children:
            _check_sums(child)


def test_supply_chain_tree(system, lca_class):
    tree = supply_chain_tree(system, lca_class(system), {"P": 1.0}, cutoff=0.0)
    assert tree.score == pytest.approx(TOTAL, rel=1e-12)
    assert tree.direct_score == pytest.approx(1.0, rel=1e-12)
    kids = {c.code: c for c in tree.children}
    assert kids["steel"].score == pytest.approx(7.6, rel=1e-12)
    assert kids["elec"].score == pytest.approx(5.0, rel=1e-12)
    assert kids["truck"].score == pytest.approx(0.775, rel=1e-12)
    assert kids["truck"].children[0].code == "diesel"
    _check_sums(tree)


def test_supply_chain_tree_cutoff_other(system, lca_class):
    tree = supply_chain_tree(system, lca_class(system), {"P": 1.0}, cutoff=0.06)
    codes = [c.code for c in tree.children]
    assert codes == ["steel", "elec", "other"]
    assert tree.children[-1].score == pytest.approx(0.775, rel=1e-12)
    _check_sums(tree)


def test_supply_chain_tree_loop_depth_limit(lca_class):
    acts = (Activity("a", "a"), Activity("b", "b"))
    tech = Exchanges.certain([0, 1, 1, 0], [0, 1, 0, 1], [1.0, 1.0, -0.5, -0.5])
    bio = Exchanges.certain([0, 0], [0, 1], [1.0, 1.0])
    s = ProductSystem(acts, (Flow("co2", "CO2"),), tech, bio,
                      {"GWP100": Exchanges.certain([0], [0], [1.0])})
    tree = supply_chain_tree(s, lca_class(s), {"a": 1.0}, cutoff=0.0, max_depth=5)
    # score of 1 a = 1 / (1 - 0.5) = 2 (direct 1, then b 0.5, a 0.25, ...)
    assert tree.score == pytest.approx(2.0, rel=1e-12)
    depth, node = 0, tree
    while node.children:
        node, depth = node.children[0], depth + 1
    assert depth == 5
    _check_sums(tree)


def test_rejects_wrong_shapes(system):
    with pytest.raises(ValueError, match="supply has shape"):
        by_process(system, np.ones(3))
