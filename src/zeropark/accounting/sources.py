"""Activity records from the park's meters, so the same ledger feeds every report.

For one enterprise and local period, each meter the enterprise counts (see
:func:`zeropark.accounting.accounts.counted_meters`) becomes one record:
electricity import → ``purchased_electricity`` [kWh]; electricity export →
``exported_electricity``; natural gas → ``combustion`` (volume in m³ with the
default NCV, or metered energy in GJ on net calorific value); heat import →
``purchased_heat`` [GJ]. PV generation and chilled water give no record.
Estimated (gap-filled) energy is included and its share noted on the record.
"""

from __future__ import annotations

from datetime import date

from zeropark.accounting.accounts import counted_meters, local_bounds
from zeropark.accounting.activity import ActivityRecord, SourceCategory
from zeropark.factors import get_factor
from zeropark.model import Direction, Meter, Park
from zeropark.store.duckdb import DuckDBStore
from zeropark.units import Medium, Quantity


def meter_activity(store: DuckDBStore, park: Park, enterprise_id: str, *, start: date,
                   end: date) -> tuple[ActivityRecord, ...]:
    """Activity records of an enterprise's meters over local dates [start, end).

    Parameters
    ----------
    store : DuckDBStore
    park : Park
    enterprise_id : str
    start, end : datetime.date

    Returns
    -------
    tuple of ActivityRecord
        Record ids ``meter:<meter_id>:<start>:<end>``; ``source`` names the store
        and meter; ``note`` gives the estimated share.
    """
    meters = counted_meters(park, enterprise_id=enterprise_id)
    lo, hi = local_bounds(park, start, end)
    frame = store.intervals(park.park_id, [m.meter_id for m in meters], lo, hi)
    records = []
    for meter in meters:
        part = frame[frame["meter_id"] == meter.meter_id]
        if part.empty:
            continue
        total = float(part["energy"].fillna(0.0).sum())
        estimated = float(part.loc[part["estimated"].astype(bool), "energy"].fillna(0.0).sum())
        category, quantity, unit, fuel, note = _classify(meter, total)
        if category is None:
            continue
        share = f"{estimated / total:.2%}" if total else "0%"
        records.append(ActivityRecord(
            record_id=f"meter:{meter.meter_id}:{start}:{end}", enterprise_id=enterprise_id,
            period_start=start, period_end=end, category=category, quantity=quantity,
            unit=unit, fuel=fuel, source=f"{store.path}#meter {meter.meter_id}",
            note=f"metered; estimated (gap-filled) share {share}" + (f"; {note}" if note
                                                                      else "")))
    return tuple(records)


def _classify(meter: Meter, total: float
              ) -> tuple[SourceCategory | None, float, str, str, str]:
    if meter.medium == Medium.ELECTRICITY:
        category = (SourceCategory.EXPORTED_ELECTRICITY if meter.direction == Direction.EXPORT
                    else SourceCategory.PURCHASED_ELECTRICITY)
        return category, total, "kWh", "", ""
    if meter.medium == Medium.NATURAL_GAS:
        if meter.quantity == Quantity.VOLUME:
            return SourceCategory.COMBUSTION, total, "m**3", "natural_gas", ""
        if meter.calorific_basis == "gross":
            ratio = get_factor("ipcc2006_natural_gas_ncv_gcv_ratio").value
            return (SourceCategory.COMBUSTION, total * 0.0036 * ratio, "GJ", "natural_gas",
                    f"gross-CV kWh × {ratio} (NCV/GCV) × 0.0036 GJ/kWh")
        return SourceCategory.COMBUSTION, total * 0.0036, "GJ", "natural_gas", "NCV kWh"
    if meter.medium == Medium.HEAT and meter.direction != Direction.EXPORT:
        return SourceCategory.PURCHASED_HEAT, total * 0.0036, "GJ", "", ""
    if meter.medium == Medium.HEAT:
        return SourceCategory.EXPORTED_HEAT, total * 0.0036, "GJ", "", ""
    return None, 0.0, "", "", ""
