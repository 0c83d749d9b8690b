"""Crash test: kill -9 the MQTT ingest mid-stream, restart it, lose and double count nothing.

The ingest runs as a subprocess (`zeropark ingest mqtt`) with a fixed client id and a
persistent MQTT 5 session. A publisher sends a QoS 1 stream of register readings; every
message it publishes is acknowledged by the broker (``wait_for_publish``). The ingest is
killed with SIGKILL while the stream is flowing and restarted; the broker re-delivers
what the dead process had not acknowledged and what arrived while it was down.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt
import pandas as pd
import pytest
from _live_helpers import run_broker
from paho.mqtt.enums import CallbackAPIVersion

from zeropark.store import DuckDBStore


@pytest.fixture
def broker(tmp_path):
    yield from run_broker(tmp_path)


N_METERS = 10
N_STEPS = 200  # readings per meter, 15 min apart
STEP_KWH = 0.25  # meter k adds (k + 1) * 0.25 kWh per interval: exact in binary

PARK = """
[park]
id = "crash"
name = "Crash test park"
timezone = "UTC"
""" + "".join(f"""
[[meters]]
id = "c{k}"
medium = "electricity"
unit = "kWh"
kind = "total_increasing"
mqtt_topic = "zp/crash"
""" for k in range(N_METERS))

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def ingest_cmd(broker, park_file, store, *extra):
    return [sys.executable, "-c", "from zeropark.cli import app; app()", "ingest", "mqtt",
            "--broker", broker, "--park", str(park_file), "--store", str(store),
            "--client-id", "zp-crash", "--flush-ms", "50", "--derive-every", "0.3", *extra]


def messages():
    for i in range(N_STEPS):
        ts = int((T0 + pd.Timedelta(minutes=15 * i)).value // 1_000_000)
        for k in range(N_METERS):
            yield json.dumps({"meter_id": f"c{k}", "ts": ts,
                              "value": 1000.0 + i * (k + 1) * STEP_KWH}).encode()


def publish_stream(broker, acked, done):
    host, port = broker.split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="crash-publisher",
                         protocol=mqtt.MQTTv5)
    client.connect(host, int(port))
    client.loop_start()
    try:
        for n, payload in enumerate(messages()):
            info = client.publish("zp/crash", payload, qos=1)
            info.wait_for_publish(10)
            if info.is_published():
                acked.append(payload)
            if n % 100 == 99:
                time.sleep(0.02)  # a steady stream, ~1.5 s in all
    finally:
        client.disconnect()
        client.loop_stop()
        done.set()


def test_kill_9_mid_stream_loses_and_double_counts_nothing(broker, tmp_path):
    park_file = tmp_path / "park.toml"
    park_file.write_text(PARK)
    store = tmp_path / "crash.duckdb"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # 1. create the persistent session (subscription) and exit
    subprocess.run(ingest_cmd(broker, park_file, store, "--idle-exit", "0.3"), check=True,
                   env=env, capture_output=True, timeout=60)
    # 2. the ingest runs; the stream starts; kill -9 mid-stream
    proc = subprocess.Popen(ingest_cmd(broker, park_file, store), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    acked, done = [], threading.Event()
    publisher = threading.Thread(target=publish_stream, args=(broker, acked, done))
    assert b"subscribed to" in proc.stderr.readline()  # connected, session resumed
    publisher.start()
    while len(acked) < N_METERS * N_STEPS // 3:
        time.sleep(0.01)
    time.sleep(0.3)  # several commits of 50 ms
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    mid_stream = not done.is_set()
    publisher.join(60)
    assert mid_stream, "the stream ended before the kill"
    with DuckDBStore(store, read_only=True) as db:
        before = db.query("SELECT meter_id, ts, value FROM readings")
    assert 0 < len(before) < N_METERS * N_STEPS
    # 3. restart after the stream ended (queued at the broker meanwhile); drain until idle
    assert len(acked) == N_METERS * N_STEPS
    subprocess.run(ingest_cmd(broker, park_file, store, "--idle-exit", "1.0"), check=True,
                   env=env, capture_output=True, timeout=120)
    with DuckDBStore(store, read_only=True) as db:
        after = db.query("SELECT meter_id, ts, value FROM readings")
        intervals = db.intervals("crash")
        pending = db.pending_meters("crash")
    # every reading committed before the crash is still there, and every published one
    key = ["meter_id", "ts", "value"]
    assert len(before.merge(after, on=key)) == len(before)
    assert len(after) == N_METERS * N_STEPS
    assert not after.duplicated(["meter_id", "ts"]).any()
    assert not pending
    # no interval double counted: exact energies and totals
    for k in range(N_METERS):
        iv = intervals[intervals["meter_id"] == f"c{k}"]
        assert len(iv) == N_STEPS - 1
        assert (iv["energy"] == (k + 1) * STEP_KWH).all()
        assert iv["energy"].sum() == pytest.approx((N_STEPS - 1) * (k + 1) * STEP_KWH,
                                                   rel=1e-12)
