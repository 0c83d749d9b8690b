"""Park model: park (site) → enterprise/building → meter tree per medium."""

from zeropark.model.park import (
    Building,
    Direction,
    Enterprise,
    Meter,
    MeterKind,
    Park,
    VirtualMeter,
)
from zeropark.model.toml import parse_park, read_park

__all__ = [
    "Building",
    "Direction",
    "Enterprise",
    "Meter",
    "MeterKind",
    "Park",
    "VirtualMeter",
    "parse_park",
    "read_park",
]
