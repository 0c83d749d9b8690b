"""A hand-checkable PCF system shared by the PCF, PACT, battery and report tests.

Background [per unit]: steel 2 kg CO2 fossil/kg; cardboard box 0.5 kg biogenic CO2
emitted and 0.8 kg CO2 taken up from air per kg; truck 0.1 kg CO2/t·km; landfill
0.001 kg CH4 fossil/kg. GWP100 (AR6): CO2 1, CH4 fossil 29.8; biogenic CO2 1 in
``GWP100_incl_biogenic_CO2`` and 0 in ``GWP100``.

Per declared unit (1 bracket): 1.2 kg steel and 0.2 kg box (raw material acquisition),
0.0012 t × 500 km by truck (distribution), 1 kg to landfill (end of life), and
10 000 kWh × 0.4 / 1000 = 4 kWh at the MEE 2023 national grid factor 0.5306 kg CO2/kWh
(production). By hand [kg CO2e]:

- raw material: 2.4 fossil + 0.1 biogenic emissions − 0.16 removals = 2.34
- production: 4 × 0.5306 = 2.1224
- distribution: 0.6 × 0.1 = 0.06
- end of life: 0.001 × 29.8 = 0.0298
- CFP = 4.5522; excluding biogenic CO2 = fossil = 4.6122
"""

from zeropark.lca.foreground import (
    Allocation,
    BomLine,
    EndOfLifeLine,
    EnergyUse,
    ProductModel,
    TransportLine,
    build_system,
)
from zeropark.lca.ghg_flows import METHOD_GWP100, METHOD_GWP100_BIOGENIC
from zeropark.lca.matrices import Activity, Exchanges, Flow, ProductSystem
from zeropark.lca.pcf import PcfStudy, SystemBoundary

STAGES = {"raw_material_acquisition": 2.34, "production": 4 * 0.5306, "distribution": 0.06,
          "use": 0.0, "end_of_life": 0.001 * 29.8}
CFP = sum(STAGES.values())
CFP_EXCL = CFP - 0.1 + 0.16
FOSSIL = CFP_EXCL
BIO_EMISSIONS, BIO_REMOVALS = 0.1, -0.16


def background() -> ProductSystem:
    acts = (Activity("steel", "steel", unit="kg", location="RNA"),
            Activity("box", "cardboard box", unit="kg", location="US"),
            Activity("truck", "truck", unit="t*km"), Activity("landfill", "landfill", unit="kg"))
    flows = (Flow("co2", "Carbon dioxide, fossil", "air"),
             Flow("co2b", "Carbon dioxide, biogenic", "air", biogenic=True),
             Flow("co2air", "Carbon dioxide, in air", "resource/in air", biogenic=True),
             Flow("ch4", "Methane, fossil", "air"))
    n = len(acts)
    return ProductSystem(
        acts, flows, Exchanges.certain(range(n), range(n), [1.0] * n),
        Exchanges.certain([0, 1, 2, 0, 3], [0, 1, 1, 2, 3], [2.0, 0.5, -0.8, 0.1, 0.001]),
        {METHOD_GWP100: Exchanges.certain([0, 1, 2, 3], [0] * 4, [1.0, 0.0, 0.0, 29.8]),
         METHOD_GWP100_BIOGENIC: Exchanges.certain([0, 1, 2, 3], [0] * 4,
                                                   [1.0, 1.0, 1.0, 29.8])})


def model(**kw) -> ProductModel:
    base = {
        "product_name": "Bracket B-1", "declared_unit": "1 bracket (1 kg)",
        "production_volume": 1000.0,
        "allocation": Allocation.from_basis("mass", "bracket", {"bracket": 40.0, "rest": 60.0},
                                            "t"),
        "bom": (BomLine("steel", 1.2, "kg", "steel"), BomLine("box", 0.2, "kg", "box")),
        "transport": (TransportLine("to customer", 0.0012, 500.0, "truck"),),
        "end_of_life": (EndOfLifeLine("landfill", 1.0, "kg", "landfill"),),
        "energy": EnergyUse(electricity_kwh=10_000.0)}
    base.update(kw)
    return ProductModel(**base)


def foreground(**kw):
    return build_system(model(**kw), background())


def study(boundary=SystemBoundary.CRADLE_TO_GRAVE, **kw) -> PcfStudy:
    from datetime import date

    base = {"product": "Bracket B-1", "declared_unit": "1 bracket (1 kg)",
            "system_boundary": boundary, "reference_period_start": date(2024, 1, 1),
            "reference_period_end": date(2024, 7, 1), "geography": "CN",
            "exclusions": ("Capital goods.",), "allocation": model().allocation}
    base.update(kw)
    return PcfStudy(**base)
