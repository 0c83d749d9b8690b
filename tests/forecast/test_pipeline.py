"""Pipelines on the Cambridge demo store: alarms recorded once, acknowledged; a forecast."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from zeropark.forecast.alarms import AlarmLog, acknowledge_alarm, list_alarms
from zeropark.forecast.metrics import cv_rmse
from zeropark.forecast.pipeline import detect_alarms, forecast_group, meter_series
from zeropark.store import DuckDBStore


@pytest.fixture()
def demo_copy(demo_store, tmp_path):
    source, park, _ = demo_store
    path = tmp_path / "demo.duckdb"
    shutil.copy(source, path)
    return path, park, source.parent / "park.toml"


def test_detect_record_and_acknowledge_on_the_demo(demo_copy) -> None:
    path, park, park_file = demo_copy
    with DuckDBStore(path) as db:
        alarms = detect_alarms(db, park, start=None, end=None)
        codes = {a.code.value for a in alarms}
        assert "stuck_value" in codes  # the archive has frozen stretches (b53, b47 …)
        log = AlarmLog(db)
        rows = list_alarms(log, park.park_id)
        assert len(rows) == len(alarms)
        detect_alarms(db, park)  # again: nothing new
        assert len(list_alarms(log, park.park_id)) == len(rows)
        acknowledge_alarm(log, park.park_id, rows[0]["alarm_id"], by="tester", note="seen")
        assert len(list_alarms(log, park.park_id, acknowledged=False)) == len(rows) - 1
    from zeropark.cli import app

    result = CliRunner().invoke(app, ["forecast", "alarms", "--park", str(park_file),
                                      "--store", str(path), "--open", "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == len(rows) - 1


def test_building_forecast_from_the_store(demo_store) -> None:
    path, park, _ = demo_store
    with DuckDBStore(path, read_only=True) as db:
        out = forecast_group(db, park, "2022-03-15", building_id="b61", country="GB",
                             subdiv="ENG")
        actual = meter_series(db, park, ["b61-elec"], start=out.index[0],
                              end=out.index[-1] + (out.index[1] - out.index[0]))["b61-elec"]
    assert len(out) == 24
    assert cv_rmse(actual.to_numpy(), out["forecast"].to_numpy()) <= 0.15
