"""Green-building savings, the social-contribution card and the full indicator report.

:func:`indicators_report` is the one call for the CLI and the API: JSON-ready,
every number with the arithmetic that produced it.
"""

from __future__ import annotations

from typing import Any

from zeropark.accounting.options import AccountOptions, options_for
from zeropark.indicators.buildings import energy_saved_kwh, headline, trees_entry
from zeropark.indicators.evaluate import _tce_per_kwh, evaluate, indicator_options_for
from zeropark.indicators.manual import ManualInputs
from zeropark.indicators.totals import group_meters, subset, totals_from, year_frame
from zeropark.model import Park
from zeropark.store.duckdb import DuckDBStore


def green_buildings(store: DuckDBStore, park: Park, *, year: int, options: AccountOptions,
                    frame: Any = None) -> dict[str, Any]:
    """Energy saved, tce and CO2 avoided and trees of the registered green buildings.

    A building counts when it has a star rating (``green_star`` ≥ 1) or an
    ``energy_target``, a ``baseline_eui_kwh_per_m2`` and a ``floor_area_m2``, and
    interval data in the year. Saved tce and CO2 use the building's own metered
    intensities (tce/kWh and t CO2/kWh of its use in the year).

    Returns
    -------
    dict
        ``buildings`` (per building: area, baseline and metered use, saving,
        saving rate, tce, CO2, arithmetic), ``skipped`` (id and reason),
        ``totals``, ``trees`` and ``headline``.
    """
    frame = year_frame(store, park, year, options) if frame is None else frame
    tree = indicator_options_for(park).tree
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for b in park.buildings:
        if not (b.green_star or b.energy_target):
            continue
        if not (b.baseline_eui_kwh_per_m2 and b.floor_area_m2):
            skipped.append({"building_id": b.building_id, "reason": "needs "
                            "baseline_eui_kwh_per_m2, baseline_kind and floor_area_m2"})
            continue
        t = totals_from(subset(frame, group_meters(park, "building")[b.building_id]))
        if t.n_intervals == 0 or t.energy_kwh <= 0:
            skipped.append({"building_id": b.building_id,
                            "reason": f"no interval data in {year}"})
            continue
        baseline = b.baseline_eui_kwh_per_m2 * b.floor_area_m2
        saved = float(energy_saved_kwh(b.floor_area_m2, b.baseline_eui_kwh_per_m2,
                                       t.energy_kwh))
        tce_per_kwh, co2_per_kwh = t.energy_tce / t.energy_kwh, t.co2_t / t.energy_kwh
        rows.append({
            "building_id": b.building_id, "name": b.name, "green_star": b.green_star,
            "energy_target": b.energy_target, "floor_area_m2": b.floor_area_m2,
            "baseline_kind": b.baseline_kind,
            "baseline_eui_kwh_per_m2": b.baseline_eui_kwh_per_m2,
            "eui_kwh_per_m2": round(t.energy_kwh / b.floor_area_m2, 3),
            "baseline_kwh": round(baseline, 3), "energy_kwh": round(t.energy_kwh, 3),
            "saved_kwh": round(saved, 3), "saving_rate": round(saved / baseline, 6),
            "saved_tce": round(saved * tce_per_kwh, 6),
            "co2_avoided_t": round(saved * co2_per_kwh, 6),
            "arithmetic": [
                f"{b.floor_area_m2:,.0f} m² × {b.baseline_eui_kwh_per_m2:g} kWh/m² − "
                f"{t.energy_kwh:,.0f} kWh metered = {saved:,.0f} kWh saved",
                f"{saved:,.0f} kWh × {tce_per_kwh * 1000:.6f} kgce/kWh (own mix) = "
                f"{saved * tce_per_kwh:,.3f} tce",
                f"{saved:,.0f} kWh × {co2_per_kwh * 1000:.6f} kg CO2/kWh (own mix) = "
                f"{saved * co2_per_kwh:,.3f} t CO2"],
        })
    area = sum(r["floor_area_m2"] for r in rows)
    saved_total = sum(r["saved_kwh"] for r in rows)
    co2_total = sum(r["co2_avoided_t"] for r in rows)
    trees = trees_entry(co2_total, tree)
    return {"year": year, "buildings": rows, "skipped": skipped,
            "totals": {"floor_area_m2": area, "saved_kwh": round(saved_total, 3),
                       "saved_tce": round(sum(r["saved_tce"] for r in rows), 6),
                       "co2_avoided_t": round(co2_total, 6)},
            "trees": trees,
            "headline": headline(area, saved_total, co2_total, trees) if rows else
            "no green building with a baseline and data in the year"}


def social_contribution(store: DuckDBStore, park: Park, *, year: int,
                        options: AccountOptions, frame: Any = None,
                        buildings: dict[str, Any] | None = None) -> dict[str, Any]:
    """社会贡献 card: tce saved, t CO2 avoided and trees, from PV and green buildings.

    PV generation displaces grid electricity: tce = kWh × the electricity coal
    coefficient of the report's tce method, CO2 = kWh × the grid factor. Green
    buildings add their savings (:func:`green_buildings`); a building's metered use
    includes its PV, so the two do not overlap.
    """
    frame = year_frame(store, park, year, options) if frame is None else frame
    buildings = buildings or green_buildings(store, park, year=year, options=options,
                                             frame=frame)
    t = totals_from(subset(frame, group_meters(park, "park")[park.park_id]))
    tce_per_kwh, ef = _tce_per_kwh(options), options.electricity.value / 1000.0
    pv_tce, pv_co2 = t.pv_kwh * tce_per_kwh, t.pv_kwh * ef
    tce = pv_tce + buildings["totals"]["saved_tce"]
    co2 = pv_co2 + buildings["totals"]["co2_avoided_t"]
    return {
        "year": year, "tce_saved": round(tce, 3), "co2_avoided_t": round(co2, 3),
        "trees": trees_entry(co2, indicator_options_for(park).tree),
        "tce_method": options.tce_method.value,
        "parts": {"pv": {"pv_kwh": round(t.pv_kwh, 3), "tce": round(pv_tce, 3),
                         "co2_t": round(pv_co2, 3)},
                  "green_buildings": buildings["totals"]},
        "arithmetic": [
            f"PV {t.pv_kwh:,.0f} kWh × {tce_per_kwh * 1000:g} kgce/kWh "
            f"({options.tce_method.value}) = {pv_tce:,.3f} tce",
            f"PV {t.pv_kwh:,.0f} kWh × {ef * 1000:g} kg CO2/kWh "
            f"({options.electricity.factor_id}) = {pv_co2:,.3f} t CO2",
            f"green buildings: {buildings['totals']['saved_tce']:,.3f} tce, "
            f"{buildings['totals']['co2_avoided_t']:,.3f} t CO2",
            f"total {tce:,.3f} tce, {co2:,.3f} t CO2"],
    }


def indicators_report(store: DuckDBStore, park: Park, *, year: int, level: str = "park",
                      options: AccountOptions | None = None,
                      manual_inputs: ManualInputs | None = None,
                      scope2: str | None = None) -> dict[str, Any]:
    """All indicators, green buildings and the social-contribution card, JSON-ready.

    Parameters
    ----------
    store : DuckDBStore
    park : Park
    year : int
        Local calendar year.
    level : {"park", "enterprise", "building"}
    options : AccountOptions, optional
        Default :func:`zeropark.accounting.options.options_for` ``(park)``.
    manual_inputs : ManualInputs, optional
        Default: the inputs imported into the store.
    scope2 : {"location", "market"}, optional
        Overrides ``settings.scope2``.

    Returns
    -------
    dict
        ``park_id``, ``year``, ``level``, ``conventions``, ``indicators`` (list of
        :meth:`IndicatorResult.to_dict`), ``green_buildings`` and
        ``social_contribution`` (park level only, else None).
    """
    options = options or options_for(park)
    results = evaluate(store, park, year=year, level=level, options=options,
                       manual_inputs=manual_inputs, scope2=scope2)
    out: dict[str, Any] = {
        "park_id": park.park_id, "name": park.name, "year": year, "level": level,
        "conventions": {"tce_method": options.tce_method.value,
                        "supply_coal_rate_kgce_per_kwh": options.supply_coal_rate_kgce_per_kwh,
                        "scope2": indicator_options_for(park, scope2=scope2).scope2,
                        "grid_factor": options.electricity.as_dict()},
        "indicators": [r.to_dict() for r in results],
        "green_buildings": None, "social_contribution": None,
    }
    if level == "park":
        frame = year_frame(store, park, year, options)
        gb = green_buildings(store, park, year=year, options=options, frame=frame)
        out["green_buildings"] = gb
        out["social_contribution"] = social_contribution(store, park, year=year,
                                                         options=options, frame=frame,
                                                         buildings=gb)
    return out
