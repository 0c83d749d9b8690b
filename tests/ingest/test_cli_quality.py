"""``zeropark quality`` lists findings, dead letters and stream events of a park."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from zeropark.cli import app
from zeropark.store.duckdb import DuckDBStore

PARK = """\
[park]
id = "live"
name = "Live park"
timezone = "Asia/Shanghai"

[[meters]]
id = "m1"
medium = "electricity"
unit = "kWh"
kind = "total"
"""


def test_quality_lists_dead_letters_and_stream_events(tmp_path) -> None:
    (tmp_path / "park.toml").write_text(PARK, encoding="utf-8")
    path = tmp_path / "s.duckdb"
    t0 = pd.Timestamp("2024-05-01 08:00", tz="UTC")
    with DuckDBStore(path) as store:
        store.insert_dead_letters("live", pd.DataFrame({
            "received_at": [t0, t0 + pd.Timedelta(minutes=1)],
            "source": ["tele/plug1/SENSOR", "spBv1.0/g/DDATA/e/d"],
            "payload": [b"{not json", b"\xff\x00\x01"],
            "reason": ["malformed JSON", "malformed Sparkplug B protobuf"]}))
        store.insert_stream_events("live", pd.DataFrame({
            "received_at": [t0 + pd.Timedelta(minutes=2)], "source": ["spBv1.0/g/e"],
            "event": ["seq_gap"], "data_json": [json.dumps({"expected": 4, "got": 6})]}))
    runner = CliRunner()
    args = ["quality", "--park", str(tmp_path / "park.toml"), "--store", str(path)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["issues"] == []
    assert [(d["source"], d["reason"], d["payload"]) for d in doc["dead_letters"]] == [
        ("tele/plug1/SENSOR", "malformed JSON", "{not json"),
        ("spBv1.0/g/DDATA/e/d", "malformed Sparkplug B protobuf", "0xff0001")]
    assert doc["stream_events"] == [{"received_at": "2024-05-01 08:02:00",
                                     "source": "spBv1.0/g/e", "event": "seq_gap",
                                     "data": {"expected": 4, "got": 6}}]
    result = runner.invoke(app, [*args, "--limit", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Dead letters: 2 (latest 1, UTC)" in result.stdout
    assert "malformed Sparkplug B protobuf" in result.stdout
    assert "malformed JSON" not in result.stdout  # only the latest one is listed
    assert "seq_gap" in result.stdout and "Stream events: 1" in result.stdout
