"""Seeded multi-park readings for the scale tests and ``benchmarks/scale.py``.

Not measured data: a city of parks whose meters follow a daily load shape with noise, so
the Spark jobs and both stores can be compared on the same rows. Most meters are clean
(regular 15-minute or hourly rows, positive values, registers that only count up), which
the Spark jobs derive in vectorised SQL; a few are made dirty on purpose (a register
reset, a missing hour, a zero interval on an electricity ``gap`` meter, a power meter)
so the fallback path of :mod:`zeropark.lake.spark_jobs` is exercised too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from zeropark.model import Park, parse_park

#: Zones of the generated parks (whole-hour offsets, see ``accounting.totals``).
ZONES = ("Asia/Shanghai", "Europe/London")

_PARK = """\
[park]
id = "{park_id}"
name = "Synthetic park {k}"
timezone = "{tz}"

[settings]
grid_factor = "cn_grid_mee_2023_east"

[[buildings]]
id = "b1"
{meters}
"""
_METER = """
[[meters]]
id = "{id}"
medium = "{medium}"
unit = "{unit}"
kind = "{kind}"
building = "b1"
{extra}"""


@dataclass(frozen=True, slots=True)
class City:
    """Generated parks and their readings.

    Attributes
    ----------
    parks : tuple of Park
    readings : dict of str to pandas.DataFrame
        Per park id, the columns ``insert_readings`` takes: ``meter_id``, ``ts``
        (tz-aware UTC), ``value``, ``value_raw``, ``unit_raw``, ``source``, ``source_row``.
    """

    parks: tuple[Park, ...]
    readings: dict[str, pd.DataFrame]

    @property
    def n_readings(self) -> int:
        """Rows over all parks."""
        return sum(len(f) for f in self.readings.values())


def make_city(n_parks: int = 3, meters_per_park: int = 6, *, days: int = 10,
              start: str = "2024-01-25", seed: int = 7, dirty: bool = True) -> City:
    """Generate `n_parks` parks with `meters_per_park` meters of `days` days each.

    Parameters
    ----------
    n_parks, meters_per_park : int
        Size of the city; meter kinds cycle through interval electricity (15 min),
        registers (15 min), hourly gas volume and hourly electricity.
    days : int
        Length of the data from local midnight `start`. [d]
    start : str
        First local day.
    seed : int
        Seed of the noise.
    dirty : bool
        Add the dirty meters described in the module doc to the first park.

    Returns
    -------
    City

    Examples
    --------
    >>> city = make_city(2, 4, days=1, dirty=False)
    >>> [p.park_id for p in city.parks], city.n_readings
    (['park00', 'park01'], 482)
    """
    rng = np.random.default_rng(seed)
    parks, frames = [], {}
    for k in range(n_parks):
        tz = ZONES[k % len(ZONES)]
        park_id = f"park{k:02d}"
        specs: list[tuple[str, str, str, str, str, str]] = []
        for j in range(meters_per_park):
            kind = ("elec15", "reg15", "gas1h", "elec1h")[j % 4]
            specs.append({
                "elec15": (f"e{j:03d}", "electricity", "kWh", "total", "", "15min"),
                "reg15": (f"r{j:03d}", "electricity", "kWh", "total_increasing", "", "15min"),
                "gas1h": (f"g{j:03d}", "natural_gas", "m3", "total",
                          'quantity = "volume"\n', "1h"),
                "elec1h": (f"h{j:03d}", "electricity", "kWh", "total", "", "1h"),
            }[kind])
        if dirty and k == 0:
            specs += [("xreset", "electricity", "kWh", "total_increasing", "", "15min"),
                      ("xgap", "electricity", "kWh", "total", 'zero_policy = "gap"\n', "1h"),
                      ("xpower", "electricity", "kW", "measurement",
                       'quantity = "power"\n', "15min")]
        text = _PARK.format(park_id=park_id, k=k, tz=tz, meters="".join(
            _METER.format(id=i, medium=m, unit=u, kind=kd, extra=x)
            for i, m, u, kd, x, _ in specs))
        park = parse_park(text, source=f"synthetic#{park_id}")
        parts = []
        t0 = pd.Timestamp(start, tz=tz).tz_convert("UTC")
        for meter_id, _medium, _unit, kind, _extra, step in specs:
            periods = days * (96 if step == "15min" else 24)
            ts = pd.date_range(t0, periods=periods + (1 if kind == "total_increasing" else 0),
                               freq=step)
            hours = ts.tz_convert(tz).hour.to_numpy() + ts.tz_convert(tz).minute / 60
            shape = 1.0 + 0.6 * np.sin((hours - 6) / 24 * 2 * np.pi)
            scale = 0.25 if step == "15min" else 1.0
            energy = np.round(scale * 10 * shape * rng.uniform(0.8, 1.2, len(ts)), 3)
            if kind == "total_increasing":
                value = 1000.0 + np.concatenate(([0.0], np.cumsum(energy[1:])))
                if meter_id == "xreset":
                    value[len(value) // 2:] -= value[len(value) // 2] - 5.0  # reset to ~5
            elif kind == "measurement":
                value = np.round(40 * shape, 3)
            else:
                value = energy
            frame = pd.DataFrame({"meter_id": meter_id, "ts": ts, "value": value})
            if meter_id == "xgap":
                frame.loc[30, "value"] = 0.0  # a zero on a gap meter
                frame = frame.drop(index=range(50, 53))  # three missing hours
            parts.append(frame)
        frame = pd.concat(parts, ignore_index=True)
        frame["value_raw"] = frame["value"]
        frame["unit_raw"] = ""
        frame["source"] = f"synthetic/{park_id}.csv"
        frame["source_row"] = np.arange(2, len(frame) + 2, dtype="int64")
        parks.append(park)
        frames[park_id] = frame
    return City(tuple(parks), frames)


def load_city(store: object, city: City) -> None:
    """Insert a city's readings into `store` and derive them (one transaction per park)."""
    from zeropark.ingest.derive import rederive

    for park in city.parks:
        with store.transaction():  # type: ignore[attr-defined]
            store.save_park(park)  # type: ignore[attr-defined]
            new = store.insert_readings(park.park_id,  # type: ignore[attr-defined]
                                        city.readings[park.park_id])
            rederive(store, park, sorted(new["meter_id"].unique()))  # type: ignore[arg-type]
