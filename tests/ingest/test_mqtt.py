"""Live MQTT ingest through a real mosquitto broker, one test per payload format.

Expected interval energies are worked out by hand from the published registers (15-min
readings; the counter rules are those of docs/counters.md: a drop is a reset whose new
count started at 0, a missing reading spreads the delta linearly over the gap).
"""

import json
import threading
import time

import paho.mqtt.client as mqtt
import pandas as pd
import pytest
from _live_helpers import run_broker
from paho.mqtt.enums import CallbackAPIVersion

from zeropark.ingest.mqtt import run_mqtt
from zeropark.ingest.sparkplug_b import DataType, Payload, encode_payload
from zeropark.model import parse_park
from zeropark.store import DuckDBStore


@pytest.fixture
def broker(tmp_path):
    yield from run_broker(tmp_path)


PARK = """
[park]
id = "live"
name = "Live ingest test park"
timezone = "Asia/Shanghai"

[[meters]]
id = "spb_main"
medium = "electricity"
unit = "kWh"
kind = "total_increasing"
mqtt_topic = "spBv1.0/plant/DDATA/gw1/em1"
mqtt_metric = "Energy/Import"

[[meters]]
id = "tas_plug"
medium = "electricity"
unit = "kWh"
kind = "total_increasing"
mqtt_topic = "tele/plug1/SENSOR"

[[meters]]
id = "shelly_3em"
medium = "electricity"
unit = "kWh"
kind = "total_increasing"
mqtt_topic = "pro3em/status/emdata:0"

[[meters]]
id = "m1"
medium = "electricity"
unit = "kWh"
kind = "total_increasing"
mqtt_topic = "zp/readings"

[[meters]]
id = "m2"
medium = "electricity"
unit = "kWh"
kind = "total_increasing"
mqtt_topic = "zp/readings"
"""

T0 = pd.Timestamp("2024-01-01 00:00", tz="UTC")


def t(k: int) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=15 * k)


def ms(k: int) -> int:
    return int(t(k).value // 1_000_000)


def publish(broker: str, messages) -> None:
    host, port = broker.split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-publisher",
                         protocol=mqtt.MQTTv5)
    client.connect(host, int(port))
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(10)
            assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.fixture
def park():
    return parse_park(PARK)


def drain(broker, park, path, **kw):
    """Run the ingest until 0.5 s without messages (the session keeps what arrives between)."""
    with DuckDBStore(path) as store:
        return run_mqtt(store, park, broker=broker, client_id="zp-test", idle_exit_s=0.5,
                        flush_interval_s=0.05, derive_interval_s=0.0, **kw)


def energies(path, meter_id):
    with DuckDBStore(path, read_only=True) as store:
        iv = store.intervals("live", [meter_id])
    return iv.set_index("interval_start")[["energy", "estimated", "flags"]]


def test_json_reset_duplicates_and_late_reading(broker, park, tmp_path):
    path = tmp_path / "s.duckdb"
    drain(broker, park, path)  # creates the persistent session and its subscriptions
    values = {0: 100.0, 1: 101.0, 2: 103.0, 3: 106.0, 4: 2.0, 5: 4.0, 6: 5.0}
    early = [("zp/readings", json.dumps({"meter_id": "m1", "ts": t(k).isoformat(),
                                          "value": v}).encode())
             for k, v in values.items() if k != 2]
    batch = json.dumps({"readings": [{"meter_id": "m2", "ts": ms(k) / 1000, "value": 10.0 * k,
                                      "unit": "kWh"} for k in range(4)]}).encode()
    publish(broker, early + [early[1], early[1]] + [("zp/readings", batch)] * 2)
    stats = drain(broker, park, path)
    assert stats.messages == 10 and stats.dead_letters == 0
    before = energies(path, "m1")
    assert before.loc[t(1), "estimated"]  # t2 missing: 101 → 106 spread over two intervals
    assert before.loc[t(1), "energy"] == pytest.approx(2.5, rel=1e-12)

    publish(broker, [early[0][:1] + (json.dumps({"meter_id": "m1", "ts": t(2).isoformat(),
                                                  "value": 103.0}).encode(),)])
    drain(broker, park, path)
    after = energies(path, "m1")
    assert after["energy"].tolist() == [1.0, 2.0, 3.0, 2.0, 2.0, 1.0]
    assert not after["estimated"].any()
    assert "counter_reset" in after.loc[t(3), "flags"]
    assert energies(path, "m2")["energy"].tolist() == [10.0, 10.0, 10.0]
    with DuckDBStore(path, read_only=True) as store:
        assert len(store.readings("live", "m1")) == 7  # duplicates stored once
        codes = set(store.quality_issues("live")["code"])
    assert "counter_reset" in codes


def test_sparkplug_rebirth_with_seq_gap(broker, park, tmp_path):
    path = tmp_path / "s.duckdb"
    drain(broker, park, path)
    host, port = broker.split(":")
    commands = []
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-listener")
    listener.on_message = lambda c, u, m: commands.append(Payload.FromString(m.payload))
    listener.connect(host, int(port))
    listener.subscribe("spBv1.0/plant/NCMD/gw1", qos=1)
    listener.loop_start()

    node, dev = "spBv1.0/plant/{}/gw1", "spBv1.0/plant/{}/gw1/em1"
    bd = {"name": "bdSeq", "value": 0, "datatype": DataType.UINT64}
    energy = {"name": "Energy/Import", "alias": 1}
    msgs = [
        (node.format("NBIRTH"), encode_payload([bd], seq=0)),
        (dev.format("DBIRTH"), encode_payload([{**energy, "value": 1000.0, "timestamp": ms(0)}],
                                              seq=1)),
        (dev.format("DDATA"), encode_payload([{"alias": 1, "value": 1001.5, "timestamp": ms(1)}],
                                             seq=2)),
        (dev.format("DDATA"), encode_payload([{"alias": 1, "value": 1003.0, "timestamp": ms(2)}],
                                             seq=3)),
        # seq 4 (the reading at t3) is lost: gap, the host asks for a rebirth
        (dev.format("DDATA"), encode_payload([{"alias": 1, "value": 1006.0, "timestamp": ms(4)}],
                                             seq=5)),
        (node.format("NDEATH"), encode_payload([bd])),
        (node.format("NBIRTH"), encode_payload([{**bd, "value": 1}], seq=0)),
        (dev.format("DBIRTH"), encode_payload([{**energy, "value": 1007.0, "timestamp": ms(5)}],
                                              seq=1)),
        (dev.format("DDATA"), encode_payload([{"alias": 1, "value": 1008.5, "timestamp": ms(6)}],
                                             seq=2)),
    ]
    publish(broker, msgs + [msgs[-1]])  # the last one twice: a duplicate
    stats = drain(broker, park, path)
    listener.loop_stop()
    listener.disconnect()
    assert stats.dead_letters == 0
    iv = energies(path, "spb_main")
    assert iv["energy"].tolist() == [1.5, 1.5, 1.5, 1.5, 1.0, 1.5]
    assert iv["estimated"].tolist() == [False, False, True, True, False, False]
    assert "gap_estimated" in iv.loc[t(2), "flags"]
    assert stats.events["seq_gap"] == 1 and stats.events["rebirth"] == 1
    assert stats.events["seq_duplicate"] == 1 and stats.events["offline"] == 1
    with DuckDBStore(path, read_only=True) as store:
        events = store.stream_events("live")
    gap = json.loads(events.query("event == 'seq_gap'")["data_json"].iloc[0])
    assert gap == {"expected": 4, "seq": 5, "missing": 1}
    deadline = time.monotonic() + 5
    while not commands and time.monotonic() < deadline:
        time.sleep(0.05)
    assert commands and commands[0].metrics[0].name == "Node Control/Rebirth"


def test_tasmota_with_reset_and_lwt(broker, park, tmp_path):
    path = tmp_path / "s.duckdb"
    drain(broker, park, path)
    totals = [10.0, 10.25, 10.5, 0.1, 0.35]  # the plug was reset after t2
    local = [(t(k).tz_convert("Asia/Shanghai").tz_localize(None)).isoformat() for k in range(5)]
    msgs = [("tele/plug1/LWT", b"Online")] + [
        ("tele/plug1/SENSOR", json.dumps({"Time": local[k], "ENERGY": {
            "TotalStartTime": "2023-12-01T00:00:00", "Total": v, "Yesterday": 0.0,
            "Today": 0.0, "Power": 1000}}).encode()) for k, v in enumerate(totals)
    ] + [("tele/plug1/LWT", b"Offline")]
    publish(broker, msgs)
    stats = drain(broker, park, path)
    iv = energies(path, "tas_plug")
    assert iv["energy"].tolist() == pytest.approx([0.25, 0.25, 0.1, 0.25], rel=1e-12)
    assert "counter_reset" in iv.loc[t(2), "flags"]
    assert stats.events == {"online": 1, "offline": 1}


def test_shelly_emdata_wh(broker, park, tmp_path):
    path = tmp_path / "s.duckdb"
    drain(broker, park, path)
    totals_wh = [5000.0, 5250.0, 5600.0, 5600.0, 6000.0]

    def note(k, wh):
        return ("pro3em/events/rpc", json.dumps({
            "src": "shellypro3em-0cb815fcaff4", "dst": "pro3em/events", "method": "NotifyStatus",
            "params": {"ts": ms(k) / 1000, "emdata:0": {"id": 0, "total_act": wh,
                                                        "total_act_ret": 0.0},
                       "em:0": {"id": 0, "total_act_power": 1400.0}}}).encode())

    msgs = [note(k, v) for k, v in enumerate(totals_wh)]
    publish(broker, msgs + [msgs[2]])
    drain(broker, park, path)
    iv = energies(path, "shelly_3em")
    assert iv["energy"].tolist() == pytest.approx([0.25, 0.35, 0.0, 0.4], rel=1e-12)


def test_bad_messages_go_to_dead_letters(broker, park, tmp_path):
    path = tmp_path / "s.duckdb"
    drain(broker, park, path, topics=["zp/#", "spBv1.0/#", "tele/#"])
    good = [("zp/readings", json.dumps({"meter_id": "m2", "ts": ms(k), "value": float(k)})
             .encode()) for k in range(3)]
    bad = [
        ("zp/readings", b"{not json"),
        ("spBv1.0/plant/DDATA/gw1/em1", b"\xff\xff\xff"),
        ("zp/readings", json.dumps({"meter_id": "nope", "ts": ms(0), "value": 1}).encode()),
        ("zp/readings", json.dumps({"meter_id": "m2", "ts": ms(0), "value": 1,
                                    "unit": "m3"}).encode()),
        ("tele/other/SENSOR", b'{"Time":"2024-01-01T08:00:00","ENERGY":{"Total":1}}'),
        ("zp/readings", json.dumps({"meter_id": "m2", "ts": "yesterday", "value": 1}).encode()),
    ]
    publish(broker, [good[0], *bad[:3], good[1], *bad[3:], good[2]])
    stats = drain(broker, park, path, topics=["zp/#", "spBv1.0/#", "tele/#"])
    assert stats.dead_letters == len(bad)
    with DuckDBStore(path, read_only=True) as store:
        dead = store.dead_letters("live")
        assert len(store.readings("live", "m2")) == 3
    reasons = dead["reason"].tolist()
    assert reasons[0].startswith("malformed JSON")
    assert reasons[1].startswith("malformed Sparkplug B protobuf")
    assert "meter_id 'nope'" in reasons[2]
    assert reasons[3].startswith("wrong unit")
    assert reasons[4].startswith("unknown topic")
    assert reasons[5].startswith("bad timestamp")
    assert bytes(dead["payload"].iloc[0]) == b"{not json"
    assert energies(path, "m2")["energy"].tolist() == [1.0, 1.0]


def test_acks_only_after_commit(broker, park, tmp_path, monkeypatch):
    """A message is PUBACKed only after the transaction holding it has committed."""
    from zeropark.ingest import live
    from zeropark.ingest import mqtt as zmqtt

    order = []
    real_flush = live.LiveIngest.flush

    def flush(self):
        acks = real_flush(self)
        order.append(("commit", len(acks)))
        return acks

    real_ack = mqtt.Client.ack

    def ack(self, mid, qos):
        order.append(("ack", mid))
        return real_ack(self, mid, qos)

    monkeypatch.setattr(live.LiveIngest, "flush", flush)
    monkeypatch.setattr(zmqtt.mqtt.Client, "ack", ack)
    path = tmp_path / "s.duckdb"
    drain(broker, park, path)
    publish(broker, [("zp/readings", json.dumps({"meter_id": "m1", "ts": ms(k), "value": k})
                      .encode()) for k in range(5)])
    drain(broker, park, path)
    acks = [i for i, (what, _) in enumerate(order) if what == "ack"]
    assert len(acks) == 5
    commits = [i for i, (what, n) in enumerate(order) if what == "commit" and n]
    assert commits and all(any(c < a for c in commits) for a in acks)
    assert threading.active_count() < 50
