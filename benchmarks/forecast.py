"""Benchmark: day-ahead hourly load forecasts on real data, model vs seasonal naive.

    python benchmarks/forecast.py [--data DIR] [--refit MS] [--oracle-weather] [--json FILE]

Data (offline, see ``../shared/data/README.md``):

- Cambridge estates (Langtry & Choudhary, doi 10.5281/zenodo.10955332, MIT): 29 buildings'
  hourly electricity, Bedford weather. Train 2021, test 2022. Day-ahead: the forecast of each
  local day uses meter data up to the end of the previous day and, by default, weather only up
  to then too (no weather forecast exists for Bedford; ``--oracle-weather`` adds the measured
  weather of the day as a perfect forecast, an upper bound labelled as such).
- OpenSTEF location 307 (OpenSTEF/openstef test data, MPL-2.0): 15-minute MV load with PV
  behind it; its weather columns are *forecasts*, so they are used as known ahead.

Scores are on the hours the data-quality rules (``zeropark.forecast.anomaly``) call valid;
the excluded hours are counted per rule, and the all-hours figures are reported beside them.
Park total = Σ of the 29 building forecasts, scored on hours where every building is valid.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

from zeropark.forecast.anomaly import rule_alarms, valid_mask
from zeropark.forecast.backtest import rolling_origin_backtest, score_backtest
from zeropark.forecast.weather import read_metoffice_archive
from zeropark.model import Meter, MeterKind
from zeropark.units import Medium, Quantity

TZ = "Europe/London"
BUILDINGS = Path("building_data/processed_data")
WEATHER = Path("aux_data/MetOffice Weather Data/processed_data/bedford")


def load_cambridge(root: Path) -> pd.DataFrame:
    """Hourly electricity [kWh] of every building, 2021–2022, UTC hour starts."""
    series = {}
    for folder in sorted((root / BUILDINGS).glob("UCam_Building_b*"),
                         key=lambda p: int(p.name.rsplit("_b", 1)[1])):
        parts = [pd.read_csv(folder / "electricity" / f"{y}.csv") for y in (2021, 2022)]
        raw = pd.concat(parts)
        index = pd.DatetimeIndex(pd.to_datetime(raw["datetime"], utc=True))
        series[folder.name.removeprefix("UCam_Building_")] = pd.Series(
            raw.iloc[:, 1].to_numpy("float64"), index=index)
    frame = pd.DataFrame(series)
    full = pd.date_range("2021-01-01", "2023-01-01", freq="h", tz="UTC", inclusive="left")
    return frame[~frame.index.duplicated()].reindex(full)


def _row(name: str, score: dict, extra: dict | None = None) -> dict:
    return {"series": name, "cv_rmse": score["model"]["cv_rmse"],
            "nmbe": score["model"]["nmbe"], "mape": score["model"]["mape"],
            "naive_cv_rmse": score["seasonal_naive"]["cv_rmse"],
            "naive_nmbe": score["seasonal_naive"]["nmbe"], "coverage_80": score["coverage"],
            "n_hours": score["n"], **(extra or {})}


def cambridge(root: Path, *, refit: str, oracle: bool) -> dict:
    """Backtest every building and the park total; return rows and summaries."""
    loads = load_cambridge(root)
    weather, _ = read_metoffice_archive(root / WEATHER, (2021, 2022))
    rows, frames, valid_all, excluded_total = [], {}, [], {}
    for b in loads.columns:
        y = loads[b]
        meter = Meter(f"{b}-elec", Medium.ELECTRICITY, Quantity.ENERGY, "kWh", MeterKind.TOTAL,
                      zero_policy="gap")
        valid, excluded = valid_mask(y, rule_alarms(y, meter, timezone=TZ))
        test = pd.DatetimeIndex(y.index) >= pd.Timestamp("2022-01-01", tz=TZ)
        for code, n in valid_mask(y[test], rule_alarms(y, meter, timezone=TZ))[1].items():
            excluded_total[code] = excluded_total.get(code, 0) + n
        bt = rolling_origin_backtest(y.where(valid), start="2022-01-01", end="2023-01-01",
                                     timezone=TZ, country="GB", subdiv="ENG", weather=weather,
                                     weather_known_ahead=oracle, refit=refit)
        bt["raw"] = y.reindex(bt.index)
        frames[b] = bt
        valid_all.append(bt["valid"])
        raw_score = score_backtest(bt.assign(measured=bt["raw"]))
        rows.append(_row(b, score_backtest(bt), {
            "all_hours_cv_rmse": raw_score["model"]["cv_rmse"],
            "all_hours_naive_cv_rmse": raw_score["seasonal_naive"]["cv_rmse"],
            "excluded_hours": int((~bt["valid"]).sum()), "excluded_by": excluded}))
        print(f"  {b:>5}: CV(RMSE) {rows[-1]['cv_rmse']:.3f}  naive "
              f"{rows[-1]['naive_cv_rmse']:.3f}", file=sys.stderr)
    every = pd.concat(valid_all, axis=1).all(axis=1)
    park = pd.DataFrame({k: sum(f[k] for f in frames.values())
                         for k in ("measured", "forecast", "lower", "upper", "seasonal_naive",
                                   "raw")})
    park_valid = score_backtest(park, mask=every.to_numpy())
    raw_naive = loads.sum(axis=1, min_count=1).shift(168).reindex(park.index)
    park_raw = score_backtest(park.assign(measured=park["raw"], seasonal_naive=raw_naive))
    rows.append(_row("park_total", park_valid, {
        "all_hours_cv_rmse": park_raw["model"]["cv_rmse"],
        "all_hours_naive_cv_rmse": park_raw["seasonal_naive"]["cv_rmse"],
        "excluded_hours": int((~every).sum()), "excluded_by": {}}))
    table = pd.DataFrame(rows).set_index("series")
    buildings = table.drop(index="park_total")
    return {
        "table": table,
        "summary": {
            "park_total_cv_rmse": float(table.loc["park_total", "cv_rmse"]),
            "park_total_nmbe": float(table.loc["park_total", "nmbe"]),
            "park_total_naive_cv_rmse": float(table.loc["park_total", "naive_cv_rmse"]),
            "park_total_all_hours_cv_rmse": float(table.loc["park_total", "all_hours_cv_rmse"]),
            "building_median_cv_rmse": float(buildings["cv_rmse"].median()),
            "building_median_naive_cv_rmse": float(buildings["naive_cv_rmse"].median()),
            "building_median_all_hours_cv_rmse": float(buildings["all_hours_cv_rmse"].median()),
            "buildings_beating_naive": int((buildings["cv_rmse"] < buildings[
                "naive_cv_rmse"]).sum()),
            "buildings_beating_naive_all_hours": int((buildings["all_hours_cv_rmse"] < buildings[
                "all_hours_naive_cv_rmse"]).sum()),
            "n_buildings": len(buildings),
            "buildings_within_ashrae_g14_hourly": int(((buildings["cv_rmse"] <= 0.30)
                                                       & (buildings["nmbe"].abs() <= 0.10)).sum()),
            "test_hours_excluded_by_rule": excluded_total,
            "park_hours_scored": int(table.loc["park_total", "n_hours"]),
            "weather": "measured weather of the day (oracle)" if oracle
            else "weather up to the previous day only",
            "refit": refit,
        },
    }


def openstef(root: Path) -> dict:
    """Day-ahead 15-minute and hourly backtest of OpenSTEF location 307."""
    parts = [pd.read_csv(root / f"307-{k}-data.csv", index_col=0) for k in ("train", "test")]
    raw = pd.concat(parts)
    raw.index = pd.DatetimeIndex(pd.to_datetime(raw.index, utc=True))
    raw = raw[~raw.index.duplicated()].sort_index()
    grid = pd.date_range(raw.index[0], raw.index[-1], freq="15min")
    raw = raw.reindex(grid)
    energy = raw["load"] * 1000 * 0.25  # MW mean over 15 min → kWh
    weather = pd.DataFrame({"temp_air_c": raw["temp"], "ghi_w_per_m2": raw["radiation"]},
                           index=grid)
    start = pd.Timestamp(parts[1].index[0]).tz_convert(TZ_NL).normalize() + pd.Timedelta(days=1)
    end = pd.Timestamp(parts[1].index[-1]).tz_convert(TZ_NL).normalize()
    out = {}
    for label, y, w in (("15min", energy, weather),
                        ("hourly", energy.resample("h").sum(min_count=4),
                         weather.resample("h").mean())):
        # daily refits: the net load's level moves fast in autumn (PV fades, heating starts)
        bt = rolling_origin_backtest(y, start=start.date(), end=end.date(), timezone=TZ_NL,
                                     country="NL", weather=w, weather_known_ahead=True,
                                     refit="D")
        floor = float(y.abs().quantile(0.25))  # MAPE is meaningless near net-zero load
        score = score_backtest(bt, resolution="hourly", mape_floor=floor)
        out[label] = {"model": score["model"], "seasonal_naive": score["seasonal_naive"],
                      "coverage_80": score["coverage"], "n": score["n"],
                      "test": f"{start.date()} – {end.date()}"}
    return out


TZ_NL = "Europe/Amsterdam"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get(
        "ZEROPARK_DATA_DIR", Path(__file__).resolve().parents[1].parent / "shared" / "data")))
    parser.add_argument("--refit", default="MS", help="pandas frequency of refits")
    parser.add_argument("--oracle-weather", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    t0 = time.perf_counter()
    cam = cambridge(args.data / "cambridge-estates", refit=args.refit,
                    oracle=args.oracle_weather)
    t1 = time.perf_counter()
    ost = openstef(args.data / "openstef-307")
    t2 = time.perf_counter()
    pd.set_option("display.width", 160)
    cols = ["cv_rmse", "nmbe", "naive_cv_rmse", "all_hours_cv_rmse", "all_hours_naive_cv_rmse",
            "coverage_80", "n_hours", "excluded_hours"]
    print(cam["table"][cols].round(4).to_string())
    print(json.dumps(cam["summary"], indent=1))
    print(json.dumps(ost, indent=1, default=float))
    print(f"time: Cambridge {t1 - t0:.0f} s, OpenSTEF {t2 - t1:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "cambridge": {"summary": cam["summary"],
                          "per_series": cam["table"].reset_index().to_dict("records")},
            "openstef_307": ost}, indent=1, default=str))


if __name__ == "__main__":
    main()
