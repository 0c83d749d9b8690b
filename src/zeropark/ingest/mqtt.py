"""Subscribe to an MQTT broker and ingest meter messages, acknowledging only durable ones.

paho-mqtt 2 with ``manual_ack=True``: a QoS 1 message is PUBACKed only after
:meth:`zeropark.ingest.live.LiveIngest.flush` has committed it. The session is
persistent (MQTT 5 ``clean_start=False`` with a session expiry, fixed client id), so
messages not yet acknowledged when the process dies are delivered again by the broker
after a restart; the store's idempotence on meter + timestamp makes that harmless.

Broker settings that matter (mosquitto): messages queued for a disconnected persistent
session are capped by ``max_queued_messages`` (default 1000, drops beyond it); an MQTT 5
client announces ``Receive Maximum`` (65535 here) for the in-flight window, MQTT 3
clients are capped by ``max_inflight_messages`` (default 20).
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from zeropark.errors import InputError
from zeropark.ingest.live import IngestStats, LiveIngest
from zeropark.ingest.sparkplug_b import DataType, encode_payload
from zeropark.model import Park

#: Session kept by the broker while the ingest is away (7 days). [s]
SESSION_EXPIRY_S = 7 * 24 * 3600
#: In-flight window announced to the broker (MQTT 5 Receive Maximum, its largest value).
RECEIVE_MAXIMUM = 65535
_REBIRTH_EVERY_S = 5.0


def parse_broker(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (port default 1883) → (host, port).

    Examples
    --------
    >>> parse_broker("127.0.0.1:18830"), parse_broker("broker")
    (('127.0.0.1', 18830), ('broker', 1883))
    """
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "1883")
    try:
        return host, int(port)
    except ValueError:
        raise InputError(f"broker must be HOST:PORT, got {text!r}", field="broker") from None


def run_mqtt(
    store: Any, park: Park, *, broker: str, topics: Sequence[str] = (),
    client_id: str = "zeropark-ingest", flush_interval_s: float = 0.2,
    flush_points: int = 5000, derive_interval_s: float = 2.0,
    duration_s: float | None = None, idle_exit_s: float | None = None,
    stop: threading.Event | None = None,
    on_flush: Callable[[IngestStats], None] | None = None,
    on_ready: Callable[[list[str]], None] | None = None,
) -> IngestStats:
    """Ingest from an MQTT broker until stopped.

    Parameters
    ----------
    store : DuckDBStore
        Target store.
    park : Park
        Park with ``mqtt_topic`` meter keys (see ``docs/park-file.md``).
    broker : str
        ``HOST:PORT``.
    topics : sequence of str
        Topic filters to subscribe (QoS 1); default: every mapped topic
        (:meth:`zeropark.ingest.live.Routes.subscriptions`).
    client_id : str
        Fixed client id: the broker keeps the session (and unacknowledged messages)
        under it.
    flush_interval_s : float
        Commit at least this often while messages arrive. [s]
    flush_points : int
        Commit as soon as this many readings are pending.
    derive_interval_s : float
        Re-derive changed meters at most this often. [s]
    duration_s : float, optional
        Stop after this long. [s]
    idle_exit_s : float, optional
        Stop after this long without a message (after connecting). [s]
    stop : threading.Event, optional
        Set it to stop (the CLI sets it on SIGINT/SIGTERM).
    on_flush : callable, optional
        Called with the running stats after each commit.
    on_ready : callable, optional
        Called once with the topic filters after the first subscription was sent.

    Returns
    -------
    IngestStats
    """
    host, port = parse_broker(broker)
    stop = stop or threading.Event()
    inbox: collections.deque[tuple[str, bytes, int, int, int]] = collections.deque()
    connected = threading.Event()
    last_rebirth: dict[tuple[str, str], float] = {}
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=mqtt.MQTTv5, manual_ack=True)
    client.max_inflight_messages_set(RECEIVE_MAXIMUM)
    client.max_queued_messages_set(0)

    def rebirth(group: str, edge: str) -> None:
        key = (group, edge)
        now = time.monotonic()
        if now - last_rebirth.get(key, -1e9) < _REBIRTH_EVERY_S:
            return
        last_rebirth[key] = now
        client.publish(f"spBv1.0/{group}/NCMD/{edge}", encode_payload(
            [{"name": "Node Control/Rebirth", "value": True, "datatype": DataType.BOOLEAN}]),
            qos=0)

    ingest = LiveIngest(store, park, derive_interval_s=derive_interval_s, on_rebirth=rebirth)
    filters = list(topics) or ingest.routes.subscriptions()
    if not filters:
        raise InputError("no topic to subscribe: give --topic or mqtt_topic meter keys",
                         field="topic")

    def on_connect(c: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                   props: Any) -> None:
        if not reason.is_failure:
            c.subscribe([(f, 1) for f in filters])
            connected.set()

    def on_message(c: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        inbox.append((msg.topic, bytes(msg.payload), msg.mid, msg.qos, int(time.time() * 1000)))

    client.on_connect = on_connect
    client.on_message = on_message
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = SESSION_EXPIRY_S
    props.ReceiveMaximum = RECEIVE_MAXIMUM
    client.connect(host, port, keepalive=30, clean_start=False, properties=props)
    client.loop_start()
    started = time.monotonic()
    last_msg = started
    first_pending: float | None = None
    try:
        ingest.derive(force=True)  # meters left pending by an earlier run
        ready = False
        while not stop.is_set():
            if not ready and connected.is_set():
                ready = True
                if on_ready is not None:
                    on_ready(filters)
            now = time.monotonic()
            if duration_s is not None and now - started >= duration_s:
                break
            if idle_exit_s is not None and connected.is_set() and not inbox \
                    and now - last_msg >= idle_exit_s and first_pending is None:
                break
            if not inbox:
                if first_pending is not None and now - first_pending >= flush_interval_s:
                    _commit(ingest, client, on_flush)
                    first_pending = None
                else:
                    ingest.derive()
                    time.sleep(0.005)
                continue
            while inbox and len(ingest.batch) < flush_points:
                topic, payload, mid, qos, received = inbox.popleft()
                ingest.receive(topic, payload, received_ms=received,
                               ack=(mid, qos) if qos else None)
                if first_pending is None:
                    first_pending = time.monotonic()
            last_msg = time.monotonic()
            if len(ingest.batch) >= flush_points or (
                    first_pending is not None
                    and time.monotonic() - first_pending >= flush_interval_s):
                _commit(ingest, client, on_flush)
                first_pending = None
        while inbox:
            topic, payload, mid, qos, received = inbox.popleft()
            ingest.receive(topic, payload, received_ms=received, ack=(mid, qos) if qos else None)
        _commit(ingest, client, on_flush)
        ingest.derive(force=True)
    finally:
        client.disconnect()
        client.loop_stop()
    return ingest.stats


def _commit(ingest: LiveIngest, client: mqtt.Client,
            on_flush: Callable[[IngestStats], None] | None) -> None:
    for mid, qos in ingest.flush():
        client.ack(mid, qos)
    if on_flush is not None:
        on_flush(ingest.stats)
