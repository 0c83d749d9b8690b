"""Tests of the park description reader (model/toml.py) and the park objects (model/park.py)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pandas as pd
import pytest

from zeropark.errors import InputError, ParkModelError
from zeropark.model import (
    Building,
    Direction,
    Enterprise,
    Meter,
    MeterKind,
    VirtualMeter,
    parse_park,
    read_park,
)
from zeropark.units import Medium, Quantity

# Four lines; the first entry after it starts on line 5.
HEAD = '[park]\nid = "p"\nname = "P"\ntimezone = "Asia/Shanghai"\n'

VALID = """\
[park]
id = "wujin"
name = "Wujin Green Park"
timezone = "Asia/Shanghai"
latitude = 31.7
longitude = 119.95

[settings]
grid_factor = "cn_grid_mee_2023_east"
tce_method = "calorific"

[[enterprises]]
id = "e1"
name = "Acme Motors"
industry = "C38"

[[enterprises]]
id = "e2"

[[buildings]]
id = "b1"
name = "Plant 1"
enterprise = "e1"
floor_area_m2 = 12000
type = "factory"

[[buildings]]
id = "b2"
floor_area_m2 = 3500.5

[[meters]]
id = "grid"
name = "Grid import"
medium = "electricity"
unit = "MWh"
kind = "total_increasing"
register_max = 99999999
rated_power_kw = 5000
resolution = "15min"
category = "electricity"
subitem = "total"

[[meters]]
id = "b1_elec"
medium = "electricity"
unit = "kWh"
kind = "total"
building = "b1"
submeter_of = "grid"
zero_policy = "gap"

[[meters]]
id = "b1_line"
medium = "electricity"
unit = "Wh"
kind = "total"
building = "b1"
submeter_of = "b1_elec"

[[meters]]
id = "b2_power"
medium = "electricity"
quantity = "power"
unit = "kW"
kind = "measurement"
direction = "net"
building = "b2"
submeter_of = "grid"

[[meters]]
id = "pv"
medium = "pv"
unit = "kWh"
kind = "total"
direction = "export"
building = "b1"

[[meters]]
id = "gas"
medium = "natural_gas"
quantity = "volume"
unit = "m3"
kind = "total_increasing"
enterprise = "e2"

[[meters]]
id = "gas_kwh"
medium = "natural_gas"
unit = "kWh"
kind = "total"
calorific_basis = "gross"
zero_policy = "flag"
building = "b2"

[[meters]]
id = "heat"
medium = "heat"
unit = "GJ"
kind = "total_increasing"
building = "b2"
resolution = "1h"

[[meters]]
id = "chw"
medium = "chilled_water"
unit = "kWh"
kind = "total"
building = "b2"

[[meters]]
id = "water"
medium = "water"
unit = "m³"
kind = "total_increasing"
building = "b1"
resolution = "1d"

[[virtual_meters]]
id = "b1_rest"
name = "Plant 1 unmetered"
medium = "electricity"
terms = { b1_elec = 1, b1_line = -1 }
building = "b1"
"""


def _meter(medium: str, *, ident: str = "m", unit: str = "kWh", kind: str = "total",
           extra: str = "") -> str:
    """One [[meters]] entry: header, id, medium, unit, kind, then `extra` lines."""
    return (f'[[meters]]\nid = "{ident}"\nmedium = "{medium}"\nunit = "{unit}"\n'
            f'kind = "{kind}"\n{extra}')


def _error(text: str, source: str = "park.toml") -> str:
    with pytest.raises(ParkModelError) as info:
        parse_park(text, source=source)
    return str(info.value)


# -- a valid park --------------------------------------------------------------------------


@pytest.fixture
def park_file(tmp_path: Path) -> Path:
    path = tmp_path / "wujin.toml"
    path.write_text(VALID, encoding="utf-8")
    return path


def test_read_park_header_settings_and_source(park_file: Path) -> None:
    park = read_park(park_file)
    assert park.park_id == "wujin"
    assert park.name == "Wujin Green Park"
    assert park.timezone == "Asia/Shanghai"
    assert park.latitude == 31.7
    assert park.longitude == 119.95
    assert park.settings == {"grid_factor": "cn_grid_mee_2023_east", "tce_method": "calorific"}
    assert park.source == str(park_file)
    assert park.source_text == VALID


def test_read_park_enterprises_and_buildings(park_file: Path) -> None:
    park = read_park(park_file)
    assert park.enterprises == (
        Enterprise("e1", "Acme Motors", "C38"),
        Enterprise("e2", "e2", ""),  # name defaults to the id
    )
    assert park.buildings == (
        Building("b1", "Plant 1", "e1", 12000.0, "factory"),
        Building("b2", "b2", None, 3500.5, ""),
    )
    assert park.building("b2").floor_area_m2 == 3500.5
    with pytest.raises(KeyError):
        park.building("b9")


def test_read_park_meters_of_every_medium(park_file: Path) -> None:
    park = read_park(park_file)
    assert [m.meter_id for m in park.meters] == [
        "grid", "b1_elec", "b1_line", "b2_power", "pv", "gas", "gas_kwh", "heat", "chw", "water",
    ]
    assert {m.medium for m in park.meters} == set(Medium)
    assert park.meter("grid") == Meter(
        meter_id="grid", medium=Medium.ELECTRICITY, quantity=Quantity.ENERGY, unit="MWh",
        kind=MeterKind.TOTAL_INCREASING, direction=Direction.IMPORT, name="Grid import",
        building_id=None, enterprise_id=None, submeter_of=None, rated_power_kw=5000.0,
        register_max=99999999.0, resolution=pd.Timedelta(minutes=15), calorific_basis="",
        zero_policy="measured", category="electricity", subitem="total",
    )
    # The enterprise of a meter defaults to its building's enterprise.
    assert park.meter("b1_elec") == Meter(
        meter_id="b1_elec", medium=Medium.ELECTRICITY, quantity=Quantity.ENERGY, unit="kWh",
        kind=MeterKind.TOTAL, name="b1_elec", building_id="b1", enterprise_id="e1",
        submeter_of="grid", zero_policy="gap",
    )
    assert park.meter("b1_line").submeter_of == "b1_elec"
    assert park.meter("b2_power") == Meter(
        meter_id="b2_power", medium=Medium.ELECTRICITY, quantity=Quantity.POWER, unit="kW",
        kind=MeterKind.MEASUREMENT, direction=Direction.NET, name="b2_power",
        building_id="b2", enterprise_id=None, submeter_of="grid",
    )
    assert park.meter("pv") == Meter(
        meter_id="pv", medium=Medium.PV, quantity=Quantity.ENERGY, unit="kWh",
        kind=MeterKind.TOTAL, direction=Direction.EXPORT, name="pv", building_id="b1",
        enterprise_id="e1",
    )
    assert park.meter("gas") == Meter(
        meter_id="gas", medium=Medium.NATURAL_GAS, quantity=Quantity.VOLUME, unit="m3",
        kind=MeterKind.TOTAL_INCREASING, name="gas", building_id=None, enterprise_id="e2",
    )
    assert park.meter("gas_kwh") == Meter(
        meter_id="gas_kwh", medium=Medium.NATURAL_GAS, quantity=Quantity.ENERGY, unit="kWh",
        kind=MeterKind.TOTAL, name="gas_kwh", building_id="b2", calorific_basis="gross",
        zero_policy="flag",
    )
    assert park.meter("heat") == Meter(
        meter_id="heat", medium=Medium.HEAT, quantity=Quantity.ENERGY, unit="GJ",
        kind=MeterKind.TOTAL_INCREASING, name="heat", building_id="b2",
        resolution=pd.Timedelta(hours=1),
    )
    assert park.meter("chw").medium == Medium.CHILLED_WATER
    # Water defaults to quantity volume.
    assert park.meter("water") == Meter(
        meter_id="water", medium=Medium.WATER, quantity=Quantity.VOLUME, unit="m³",
        kind=MeterKind.TOTAL_INCREASING, name="water", building_id="b1", enterprise_id="e1",
        resolution=pd.Timedelta(days=1),
    )
    with pytest.raises(KeyError):
        park.meter("b1_rest")  # virtual meters are not physical meters


def test_canonical_units(park_file: Path) -> None:
    park = read_park(park_file)
    units = {m.meter_id: m.canonical_unit for m in park.meters}
    assert units == {
        "grid": "kWh", "b1_elec": "kWh", "b1_line": "kWh",
        "b2_power": "kWh",  # power samples become interval energy
        "pv": "kWh", "gas": "m³", "gas_kwh": "kWh", "heat": "kWh", "chw": "kWh", "water": "m³",
    }


def test_root_meters(park_file: Path) -> None:
    park = read_park(park_file)
    assert [m.meter_id for m in park.root_meters()] == [
        "grid", "pv", "gas", "gas_kwh", "heat", "chw", "water",
    ]
    assert [m.meter_id for m in park.root_meters(Medium.ELECTRICITY)] == ["grid"]
    assert [m.meter_id for m in park.root_meters(Medium.NATURAL_GAS)] == ["gas", "gas_kwh"]
    assert park.root_meters(Medium.PV) == (park.meter("pv"),)


def test_virtual_meter(park_file: Path) -> None:
    park = read_park(park_file)
    assert park.virtual_meters == (
        VirtualMeter("b1_rest", Medium.ELECTRICITY, {"b1_elec": 1.0, "b1_line": -1.0},
                     "Plant 1 unmetered", "b1", None),
    )
    assert park.virtual_meters[0].is_virtual is True
    assert park.meter("grid").is_virtual is False
    assert set(park.meters_by_id()) == {m.meter_id for m in park.meters}


def test_park_objects_are_frozen(park_file: Path) -> None:
    park = read_park(park_file)
    with pytest.raises(FrozenInstanceError):
        park.meters[0].unit = "kWh"  # type: ignore[misc]


def test_minimal_park_defaults() -> None:
    park = parse_park(HEAD)
    assert (park.latitude, park.longitude) == (None, None)
    assert (park.enterprises, park.buildings, park.meters, park.virtual_meters) == ((), (), (), ())
    assert park.settings == {}
    assert park.source == "<park>"


def test_read_park_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ParkModelError) as info:
        read_park(path)
    assert str(info.value) == f"{path}: cannot read park file: No such file or directory"


# -- error class ----------------------------------------------------------------------------


def test_park_model_error_is_a_value_error() -> None:
    assert issubclass(ParkModelError, ValueError)
    assert issubclass(ParkModelError, InputError)
    with pytest.raises(ValueError):
        parse_park(HEAD + _meter("steam"))


def test_error_fields(tmp_path: Path) -> None:
    path = tmp_path / "park.toml"
    path.write_text(HEAD + _meter("steam"), encoding="utf-8")
    with pytest.raises(ParkModelError) as info:
        read_park(path)
    err = info.value
    assert err.path == str(path)
    assert err.location == "line 7, meters[0] (id 'm')"
    assert err.field == "medium"
    assert str(err).startswith(f"{path}, line 7, meters[0] (id 'm'), field 'medium': ")


# -- validation errors: exact text with file, line, entry and key ----------------------------

ALLOWED_METER_KEYS = (
    "building, calorific_basis, category, direction, enterprise, id, kind, medium, "
    "modbus_host, modbus_point, modbus_unit_id, mqtt_format, mqtt_metric, mqtt_topic, name, "
    "pv_azimuth_deg, pv_inverter_kw, pv_kwp, pv_loss_pct, pv_tilt_deg, "
    "quantity, rated_power_kw, register_max, resolution, subitem, submeter_of, unit, zero_policy"
)


def test_unknown_medium() -> None:
    assert _error(HEAD + _meter("steam")) == (
        "park.toml, line 7, meters[0] (id 'm'), field 'medium': unknown medium 'steam'; "
        "expected one of: electricity, natural_gas, heat, chilled_water, water, pv"
    )


def test_unknown_kind() -> None:
    assert _error(HEAD + _meter("electricity", kind="cumulative")) == (
        "park.toml, line 9, meters[0] (id 'm'), field 'kind': unknown kind 'cumulative'; "
        "expected one of: total_increasing, total, measurement"
    )


def test_unknown_key_typo() -> None:
    text = HEAD + _meter("electricity", extra='submeterof = "x"\n')
    assert _error(text) == (
        "park.toml, line 10, meters[0] (id 'm'), field 'submeterof': unknown key 'submeterof'; "
        f"allowed: {ALLOWED_METER_KEYS}"
    )


def test_unknown_key_in_park_table() -> None:
    assert _error(HEAD + 'time_zone = "UTC"\n') == (
        "park.toml, park, field 'time_zone': unknown key 'time_zone'"
    )


def test_unknown_top_level_table() -> None:
    assert _error(HEAD + "[[meter]]\nid = \"m\"\n") == (
        "park.toml, meter: unknown top-level table 'meter'; allowed: buildings, enterprises, "
        "meters, park, settings, virtual_meters"
    )


def test_duplicate_id() -> None:
    text = HEAD + _meter("electricity") + "\n" + _meter("electricity")
    # The second entry starts on line 11 (5 lines + blank line); its id is on line 12.
    assert _error(text) == (
        "park.toml, line 12, meters[1] (id 'm'), field 'id': duplicate id 'm' (first in meters[0])"
    )


def test_cycle_in_submeter_of_shows_chain() -> None:
    text = HEAD + "".join(
        _meter("electricity", ident=a, extra=f'submeter_of = "{b}"\n')
        for a, b in (("a", "b"), ("b", "c"), ("c", "a"))
    )
    assert _error(text) == (
        "park.toml, line 10, meters[0] (id 'a'), field 'submeter_of': "
        "cycle in submeter_of: a → b → c → a"
    )


def test_cycle_is_reported_at_a_meter_in_the_cycle() -> None:
    # x → b → c → b: reported at b (in the cycle), not at x (which only leads into it).
    text = HEAD + "".join(
        _meter("electricity", ident=a, extra=f'submeter_of = "{b}"\n')
        for a, b in (("x", "b"), ("b", "c"), ("c", "b"))
    )
    # meters[1] (b) starts on line 11; its submeter_of is on line 16.
    assert _error(text) == (
        "park.toml, line 16, meters[1] (id 'b'), field 'submeter_of': "
        "cycle in submeter_of: b → c → b"
    )


def test_self_parent() -> None:
    text = HEAD + _meter("electricity", ident="a", extra='submeter_of = "a"\n')
    assert _error(text) == (
        "park.toml, line 10, meters[0] (id 'a'), field 'submeter_of': "
        "a meter cannot be its own submeter_of"
    )


def test_submeter_of_unknown_meter() -> None:
    text = HEAD + _meter("electricity", extra='submeter_of = "ghost"\n')
    assert _error(text) == (
        "park.toml, line 10, meters[0] (id 'm'), field 'submeter_of': "
        "submeter_of refers to unknown meter 'ghost'"
    )


def test_submeter_of_another_medium() -> None:
    text = (HEAD + _meter("electricity", ident="main")
            + _meter("water", ident="w", unit="m3", extra='submeter_of = "main"\n'))
    assert _error(text) == (
        "park.toml, line 15, meters[1] (id 'w'), field 'submeter_of': "
        "sub-meter of medium 'water' under parent 'main' of medium 'electricity'"
    )


def test_virtual_meter_refers_to_missing_meter() -> None:
    text = (HEAD + _meter("electricity", ident="main")
            + '[[virtual_meters]]\nid = "v"\nmedium = "electricity"\n'
            "terms = { main = 1, ghost = -1 }\n")
    assert _error(text) == (
        "park.toml, line 13, virtual_meters[0] (id 'v'), field 'terms': "
        "virtual meter refers to missing meter 'ghost'"
    )


def test_virtual_meter_term_of_another_medium() -> None:
    text = (HEAD + _meter("electricity", ident="main") + _meter("water", ident="w", unit="m3")
            + '[[virtual_meters]]\nid = "v"\nmedium = "electricity"\n'
            "terms = { main = 1, w = -1 }\n")
    assert _error(text) == (
        "park.toml, line 18, virtual_meters[0] (id 'v'), field 'terms': "
        "term 'w' has medium 'water', not 'electricity'"
    )


def test_virtual_meter_without_terms() -> None:
    text = HEAD + '[[virtual_meters]]\nid = "v"\nmedium = "electricity"\n'
    assert _error(text) == (
        "park.toml, line 5, virtual_meters[0] (id 'v'), field 'terms': terms must be a table "
        "of meter id = coefficient, e.g. { main = 1, sub1 = -1 }"
    )


def test_virtual_meter_unknown_building() -> None:
    text = (HEAD + _meter("electricity", ident="main")
            + '[[virtual_meters]]\nid = "v"\nmedium = "electricity"\nterms = { main = 1 }\n'
            'building = "b9"\n')
    assert _error(text) == (
        "park.toml, line 14, virtual_meters[0] (id 'v'), field 'building': unknown building 'b9'"
    )


def test_water_in_kwh() -> None:
    assert _error(HEAD + _meter("water", ident="w")) == (
        "park.toml, line 8, meters[0] (id 'w'), field 'unit': "
        "unit 'kWh' is not a unit of volume (expected something like 'm³')"
    )


def test_water_metered_as_energy() -> None:
    text = HEAD + _meter("water", ident="w", extra='quantity = "energy"\n')
    assert _error(text) == (
        "park.toml, line 8, meters[0] (id 'w'), field 'unit': "
        "medium 'water' is not metered as 'energy'"
    )


def test_electricity_in_m3() -> None:
    assert _error(HEAD + _meter("electricity", ident="e", unit="m3")) == (
        "park.toml, line 8, meters[0] (id 'e'), field 'unit': "
        "unit 'm3' is not a unit of energy (expected something like 'kWh')"
    )


def test_electricity_energy_in_kw() -> None:
    assert _error(HEAD + _meter("electricity", ident="e", unit="kW")) == (
        "park.toml, line 8, meters[0] (id 'e'), field 'unit': "
        "unit 'kW' is not a unit of energy (expected something like 'kWh')"
    )


def test_unknown_unit() -> None:
    assert _error(HEAD + _meter("electricity", ident="e", unit="kWhh")) == (
        "park.toml, line 8, meters[0] (id 'e'), field 'unit': unknown unit 'kWhh'"
    )


def test_missing_unit() -> None:
    text = HEAD + '[[meters]]\nid = "e"\nmedium = "electricity"\nkind = "total"\n'
    # No unit line: the location falls back to the entry's header line.
    assert _error(text) == "park.toml, line 5, meters[0] (id 'e'), field 'unit': missing 'unit'"


def test_natural_gas_in_kwh_needs_calorific_basis() -> None:
    assert _error(HEAD + _meter("natural_gas", ident="g")) == (
        "park.toml, line 5, meters[0] (id 'g'), field 'calorific_basis': natural gas metered "
        "as energy needs calorific_basis 'gross' or 'net' (UK meters report gross CV)"
    )


def test_measurement_needs_power() -> None:
    assert _error(HEAD + _meter("electricity", kind="measurement")) == (
        "park.toml, line 9, meters[0] (id 'm'), field 'kind': "
        "kind 'measurement' needs quantity 'power'"
    )


def test_unknown_building_reference() -> None:
    text = HEAD + _meter("electricity", ident="e", extra='building = "b9"\n')
    assert _error(text) == (
        "park.toml, line 10, meters[0] (id 'e'), field 'building': unknown building 'b9'"
    )


def test_unknown_enterprise_of_building() -> None:
    text = HEAD + '[[buildings]]\nid = "b1"\nenterprise = "e9"\n'
    assert _error(text) == (
        "park.toml, line 7, buildings[0] (id 'b1'), field 'enterprise': unknown enterprise 'e9'"
    )


def test_bad_resolution() -> None:
    text = HEAD + _meter("electricity", extra='resolution = "5min"\n')
    assert _error(text) == (
        "park.toml, line 10, meters[0] (id 'm'), field 'resolution': "
        "resolution must be one of 15min, 1h, 1d"
    )


def test_non_positive_floor_area() -> None:
    text = HEAD + '[[buildings]]\nid = "b1"\nfloor_area_m2 = 0\n'
    assert _error(text) == (
        "park.toml, line 7, buildings[0] (id 'b1'), field 'floor_area_m2': "
        "floor_area_m2 must be > 0, got 0"
    )


def test_bad_time_zone() -> None:
    text = HEAD.replace("Asia/Shanghai", "Asia/Shanghia")
    assert _error(text) == ("park.toml, park, field 'timezone': unknown time zone "
                            "'Asia/Shanghia': use an IANA name such as 'Asia/Shanghai'")


def test_fixed_offset_is_not_a_time_zone() -> None:
    text = HEAD.replace("Asia/Shanghai", "+08:00")
    assert "unknown time zone '+08:00'" in _error(text)


def test_invalid_toml_syntax() -> None:
    assert _error(HEAD + "[[meters]\n") == (
        "park.toml: not valid TOML: Expected ']]' at the end of an array declaration "
        "(at line 5, column 9)"
    )


def test_missing_park_table() -> None:
    assert _error(_meter("electricity")) == "park.toml, park: missing [park] table"


def test_missing_park_name() -> None:
    assert _error('[park]\nid = "p"\ntimezone = "UTC"\n') == (
        "park.toml, park, field 'name': missing 'name'"
    )


def test_meters_as_single_table() -> None:
    # [meters] instead of [[meters]]: a common typo, a ParkModelError (not an AttributeError).
    text = HEAD + '[meters]\nid = "m"\nmedium = "electricity"\nunit = "kWh"\nkind = "total"\n'
    assert _error(text) == (
        "park.toml, meters: 'meters' must be an array of tables: write [[meters]] before each "
        "entry"
    )


def test_virtual_meter_unknown_enterprise() -> None:
    text = (HEAD + _meter("electricity", ident="main")
            + '[[virtual_meters]]\nid = "v"\nmedium = "electricity"\nterms = { main = 1 }\n'
            'enterprise = "e9"\n')
    assert _error(text) == (
        "park.toml, line 14, virtual_meters[0] (id 'v'), field 'enterprise': "
        "unknown enterprise 'e9'"
    )


@pytest.mark.parametrize(("line", "message"), [
    ('latitude = "north"', "latitude must be a number within ±90 degrees, got 'north'"),
    ("latitude = 91.5", "latitude must be a number within ±90 degrees, got 91.5"),
    ("longitude = -180.5", "longitude must be a number within ±180 degrees, got -180.5"),
    ("longitude = true", "longitude must be a number within ±180 degrees, got True"),
])
def test_latitude_and_longitude_are_checked(line: str, message: str) -> None:
    field = line.split(" ", 1)[0]
    assert _error(HEAD + line + "\n") == f"park.toml, park, field '{field}': {message}"


def test_live_ingest_keys() -> None:
    park = parse_park(HEAD + _meter("electricity", extra=(
        'mqtt_topic = "tele/plug/SENSOR"\nmodbus_host = "10.0.0.5"\n'
        'modbus_point = "import_energy"\nmodbus_unit_id = 3\n')))
    meter = park.meters[0]
    assert (meter.mqtt_topic, meter.mqtt_format, meter.modbus_host, meter.modbus_unit_id,
            meter.modbus_point) == ("tele/plug/SENSOR", "", "10.0.0.5", 3, "import_energy")


@pytest.mark.parametrize(("extra", "message"), [
    ('mqtt_format = "opcua"\nmqtt_topic = "x"\n', "mqtt_format must be one of"),
    ('mqtt_metric = "Total"\n', "mqtt_format and mqtt_metric need mqtt_topic"),
    ('modbus_host = "h"\n', "modbus_host and modbus_point go together"),
    ('modbus_host = "h"\nmodbus_point = "p"\nmodbus_unit_id = 300\n',
     "modbus_unit_id must be an integer"),
    ('mqtt_topic = ""\n', "mqtt_topic must be a non-empty string"),
])
def test_live_ingest_keys_checked(extra: str, message: str) -> None:
    assert message in _error(HEAD + _meter("electricity", extra=extra))
