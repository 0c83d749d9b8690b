"""Frozen park-model objects aligned with Project Haystack and Brick.

A :class:`Park` is the site; enterprises and buildings sit in it; meters hang
off buildings (or enterprises) and form one tree per medium through
``submeter_of`` (Haystack ``submeterOf``, Brick ``isSubMeterOf``). A meter with
no parent is a root (Haystack ``siteMeter`` at its level). Virtual meters
(Brick ``isVirtualMeter``) are signed sums of other meters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from zeropark.units import CANONICAL_UNIT, Medium, Quantity


class MeterKind(StrEnum):
    """How a meter point reports (Home Assistant ``state_class``, Haystack ``hisMode``).

    ``total_increasing`` is a cumulative register (Haystack ``hisTotalized``),
    ``total`` is energy per interval (Haystack ``hisMode: consumption``),
    ``measurement`` is an instantaneous value such as power [kW].
    """

    TOTAL_INCREASING = "total_increasing"
    TOTAL = "total"
    MEASUREMENT = "measurement"


class Direction(StrEnum):
    """Flow direction in load convention (Haystack ``import``/``export``/``net``).

    ``net`` = import − export. A PV generation meter is ``export`` from the array.
    """

    IMPORT = "import"
    EXPORT = "export"
    NET = "net"


@dataclass(frozen=True, slots=True)
class Enterprise:
    """An enterprise (tenant company) in the park."""

    enterprise_id: str
    name: str
    industry: str = ""


@dataclass(frozen=True, slots=True)
class Building:
    """A building; ``floor_area_m2`` is gross internal (floor) area [m²].

    The green-building registry fields are optional (used by the indicators):
    ``green_star`` is the certified star rating under GB/T 50378 (0 = none, 1–3);
    ``energy_target`` is the GB/T 51350 class the building is designed to
    (``ultra_low``, ``nearly_zero``, ``zero`` or ``""``); ``baseline_eui_kwh_per_m2``
    is the baseline energy use intensity [kWh/(m²·a)], of kind ``baseline_kind``
    (``reference``: reference-building design value; ``metered``: pre-retrofit
    metered use); ``new_building`` marks buildings counted as new construction.
    """

    building_id: str
    name: str
    enterprise_id: str | None = None
    floor_area_m2: float | None = None
    building_type: str = ""
    green_star: int | None = None
    energy_target: str = ""
    baseline_eui_kwh_per_m2: float | None = None
    baseline_kind: str = ""
    new_building: bool = False


@dataclass(frozen=True, slots=True)
class Meter:
    """A physical meter point.

    Parameters
    ----------
    meter_id : str
        Unique id in the park.
    medium : Medium
        What flows through it.
    quantity : Quantity
        What it measures; values are stored in ``CANONICAL_UNIT[quantity]``.
    unit : str
        Unit of the incoming values (converted on ingest with pint).
    kind : MeterKind
        Register, interval energy or instantaneous measurement.
    direction : Direction
        Load convention; ``export`` energy is subtracted from a site's use.
    building_id, enterprise_id : str or None
        Where it sits; at least one is set, or the meter belongs to the park.
    submeter_of : str or None
        Parent meter id (Haystack ``submeterOf``); ``None`` for a root meter.
    rated_power_kw : float or None
        Rated power, for spike and rollover plausibility. [kW] (for a volume
        meter: maximum flow [m³/h]).
    register_max : float or None
        Largest value the register holds before it rolls over to 0, in the
        meter's incoming unit (e.g. 99 999 999 or 2**32 − 1).
    resolution : pandas.Timedelta or None
        Interval grid for this meter's energy (15 min or coarser; ``None`` =
        inferred from the readings: 15 min, or the native spacing if coarser).
    calorific_basis : {"gross", "net", ""}
        For natural gas metered as energy: whether the kWh are on gross (GCV)
        or net (NCV) calorific value. UK gas bills and meters report GCV.
    zero_policy : {"measured", "gap", "flag"}
        How runs of exact zeros in interval data are read: ``gap`` (upstream
        replaced missing readings with 0), ``flag`` (kept, long runs flagged
        undecided), ``measured`` (kept as real).
    category, subitem : str
        Chinese sub-metering 分类/分项 (fenlei/fenxiang) labels, free text.
    mqtt_topic, mqtt_format, mqtt_metric : str
        Live MQTT source: canonical topic, payload format (``sparkplug``, ``tasmota``,
        ``shelly``, ``json``; ``""`` = from the topic) and the value in the message
        (``""`` = the format's default); see ``docs/ingest-live.md``.
    modbus_host, modbus_unit_id, modbus_point : str, int, str
        Live Modbus TCP source: ``host:port``, unit (slave) id and point name of the
        register map.
    pv_kwp, pv_inverter_kw : float or None
        PV array (``medium = "pv"`` only): DC nameplate at STC [kWp] (default
        ``rated_power_kw``) and inverter AC rating [kW] (default ``pv_kwp``).
    pv_tilt_deg, pv_azimuth_deg : float or None
        Array tilt from horizontal [degrees] and azimuth, clockwise from north
        (180 = south) [degrees]; both needed for expected-PV models.
    pv_loss_pct : float or None
        System losses (soiling, wiring, mismatch…) [%], default 14 (PVWatts v5).
    """

    meter_id: str
    medium: Medium
    quantity: Quantity
    unit: str
    kind: MeterKind
    direction: Direction = Direction.IMPORT
    name: str = ""
    building_id: str | None = None
    enterprise_id: str | None = None
    submeter_of: str | None = None
    rated_power_kw: float | None = None
    register_max: float | None = None
    resolution: pd.Timedelta | None = None
    calorific_basis: str = ""
    zero_policy: str = "measured"
    category: str = ""
    subitem: str = ""
    mqtt_topic: str = ""
    mqtt_format: str = ""
    mqtt_metric: str = ""
    modbus_host: str = ""
    modbus_unit_id: int = 1
    modbus_point: str = ""
    pv_kwp: float | None = None
    pv_inverter_kw: float | None = None
    pv_tilt_deg: float | None = None
    pv_azimuth_deg: float | None = None
    pv_loss_pct: float | None = None

    @property
    def canonical_unit(self) -> str:
        """Unit of the stored values, e.g. ``"kWh"``."""
        energy_like = self.quantity in (Quantity.ENERGY, Quantity.POWER)
        return CANONICAL_UNIT[Quantity.ENERGY if energy_like else self.quantity]

    @property
    def is_virtual(self) -> bool:
        """Always ``False``: physical meter (Brick ``isVirtualMeter``)."""
        return False


@dataclass(frozen=True, slots=True)
class VirtualMeter:
    """A meter computed as a signed sum of other meters (Brick ``isVirtualMeter``).

    Parameters
    ----------
    meter_id : str
        Unique id in the park (shared namespace with physical meters).
    medium : Medium
        Medium; all terms must have it.
    terms : Mapping[str, float]
        Meter id → coefficient, e.g. ``{"main": 1.0, "sub1": -1.0}`` for
        *unmetered = main − sub1*.
    """

    meter_id: str
    medium: Medium
    terms: Mapping[str, float]
    name: str = ""
    building_id: str | None = None
    enterprise_id: str | None = None

    @property
    def is_virtual(self) -> bool:
        """Always ``True`` (Brick ``isVirtualMeter``)."""
        return True


@dataclass(frozen=True, slots=True)
class Park:
    """The park (Haystack ``site``): its calendar, members and meters.

    Parameters
    ----------
    park_id : str
        Stable id, used as the store's partition key.
    name : str
        Display name.
    timezone : str
        IANA zone of the park's local calendar (days, months, years), e.g.
        ``"Asia/Shanghai"``.
    latitude, longitude : float or None
        Location. [degrees]
    enterprises, buildings, meters, virtual_meters : tuple
        Members, in file order.
    source : str
        Path of the park file (or a label).
    settings : Mapping
        The file's ``[settings]`` table (report conventions, factor choices).
    source_text : str
        The TOML text the park was parsed from, kept so a store can rebuild it.
    """

    park_id: str
    name: str
    timezone: str
    latitude: float | None = None
    longitude: float | None = None
    enterprises: tuple[Enterprise, ...] = ()
    buildings: tuple[Building, ...] = ()
    meters: tuple[Meter, ...] = ()
    virtual_meters: tuple[VirtualMeter, ...] = ()
    source: str = ""
    settings: Mapping[str, object] = field(default_factory=dict)
    source_text: str = field(default="", repr=False)

    def meter(self, meter_id: str) -> Meter:
        """Return the physical meter `meter_id`; raises ``KeyError`` if absent."""
        for m in self.meters:
            if m.meter_id == meter_id:
                return m
        raise KeyError(meter_id)

    def meters_by_id(self) -> dict[str, Meter]:
        """All physical meters keyed by id."""
        return {m.meter_id: m for m in self.meters}

    def derivation_signatures(self) -> dict[str, str]:
        r"""Per physical meter, the settings its interval derivation depends on, as text.

        Two park versions give a meter the same signature exactly when its stored
        intervals and rollups stay valid: the park's zone (local days), and the meter's
        kind, unit, quantity, resolution, rated power, register maximum and zero policy.

        Examples
        --------
        >>> from zeropark.model import parse_park
        >>> text = '[park]\nid = "p"\nname = "P"\ntimezone = "UTC"\n[[meters]]\nid = "m"\n'
        >>> text += 'medium = "electricity"\nunit = "kWh"\nkind = "total_increasing"\n'
        >>> a = parse_park(text).derivation_signatures()
        >>> b = parse_park(text + "rated_power_kw = 100\n").derivation_signatures()
        >>> a["m"] == b["m"]
        False
        """
        return {m.meter_id: repr((self.timezone, m.kind.value, m.unit, m.quantity.value,
                                  None if m.resolution is None else int(m.resolution.value),
                                  m.rated_power_kw, m.register_max, m.zero_policy))
                for m in self.meters}

    def building(self, building_id: str) -> Building:
        """Return building `building_id`; raises ``KeyError`` if absent."""
        for b in self.buildings:
            if b.building_id == building_id:
                return b
        raise KeyError(building_id)

    def root_meters(self, medium: Medium | None = None) -> tuple[Meter, ...]:
        """Meters with no parent (Brick: no ``isSubMeterOf``), optionally of one medium.

        Summing roots counts each unit of energy once.
        """
        return tuple(
            m
            for m in self.meters
            if m.submeter_of is None and (medium is None or m.medium == medium)
        )
