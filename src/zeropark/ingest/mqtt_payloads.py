"""Parse MQTT messages of energy meters: pure functions from (topic, payload bytes) to samples.

Four formats (conventions in ``docs/ingest-live.md``):

``sparkplug``
    Sparkplug B 1.0, ``spBv1.0/<group>/<type>/<edge>[/<device>]`` with type NBIRTH, NDATA,
    NDEATH, DBIRTH, DDATA or DDEATH; protobuf :mod:`zeropark.ingest.sparkplug_b`.
    :func:`parse_sparkplug` decodes one message; sequence, session and alias state live
    in :class:`SparkplugSessions`.
``tasmota``
    ``tele/<topic>/SENSOR`` JSON with an ``ENERGY`` object (``Total`` [kWh], ``Power`` [W],
    ``Time`` in the device's local time) and ``tele/<topic>/LWT`` ``Online``/``Offline``.
``shelly``
    Shelly Gen2+ ``<prefix>/status/<component>`` (no timestamp: the receipt time is used)
    and ``<prefix>/events/rpc`` ``NotifyStatus`` (``params.ts`` [s]). EMData totals are in
    **Wh**, EM powers in W (Shelly Gen2 API, ``EMData`` and ``EM`` component status).
``json``
    zeropark's plain form: one object ``{"meter_id", "ts", "value", "unit"}`` or
    ``{"readings": [ ... ]}``; ``meter_id`` and ``unit`` may be left out (see the docs).

Every parser returns :class:`Sample` values whose ``topic`` is the *canonical* topic the
park file maps (``mqtt_topic``): the data topic for Sparkplug (births map to it), the
``SENSOR`` topic for Tasmota, ``<prefix>/status/<component>`` for Shelly. Malformed input
raises :class:`PayloadError`; the ingest loop turns it into a dead letter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from google.protobuf.message import DecodeError

from zeropark.errors import InputError
from zeropark.ingest.sparkplug_b import Payload, metric_value


class PayloadError(InputError):
    """A message cannot be parsed (malformed JSON or protobuf, unexpected topic or shape)."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One value from a message.

    Parameters
    ----------
    topic : str
        Canonical topic (what a meter's ``mqtt_topic`` names).
    key : str
        Which value of the message: Sparkplug metric name, Tasmota ``ENERGY`` field,
        Shelly status field, JSON ``meter_id`` (``""`` when absent).
    ts_ms : int or None
        Time of the value. [ms since the epoch, UTC]; None = use the receipt time.
    value : float
        The value in `unit`.
    unit : str or None
        Unit stated by the format (Tasmota ``kWh``/``W``, Shelly ``Wh``/``W``, JSON
        ``unit``); None = the meter's configured ``unit``.
    """

    topic: str
    key: str
    ts_ms: int | None
    value: float
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Availability:
    """A device went online or offline (Tasmota LWT, Sparkplug birth/death)."""

    topic: str
    online: bool


@dataclass(frozen=True, slots=True)
class SparkplugMessage:
    """One decoded Sparkplug B message.

    ``metrics`` holds ``(name, alias, ts_ms, value)`` per metric; ``name`` is ``""``
    when only the alias was sent, ``value`` None for null or non-numeric metrics.
    ``bd_seq`` is the ``bdSeq`` metric of an NBIRTH/NDEATH, else None.
    """

    group: str
    message_type: str
    edge_node: str
    device: str
    seq: int | None
    timestamp_ms: int | None
    metrics: tuple[tuple[str, int | None, int | None, float | None], ...]
    bd_seq: int | None = None

    @property
    def node_key(self) -> str:
        """``<group>/<edge>``: the unit of seq and bdSeq."""
        return f"{self.group}/{self.edge_node}"

    @property
    def data_topic(self) -> str:
        """The DDATA (device) or NDATA (node) topic that births and deaths map to."""
        if self.device:
            return f"spBv1.0/{self.group}/DDATA/{self.edge_node}/{self.device}"
        return f"spBv1.0/{self.group}/NDATA/{self.edge_node}"


SPARKPLUG_TYPES = ("NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH", "NCMD", "DCMD")


def parse_sparkplug(topic: str, payload: bytes) -> SparkplugMessage:
    """Decode a Sparkplug B message.

    Parameters
    ----------
    topic : str
        ``spBv1.0/<group>/<type>/<edge>[/<device>]``.
    payload : bytes
        Protobuf ``Payload``.

    Returns
    -------
    SparkplugMessage

    Raises
    ------
    PayloadError
        Wrong namespace or message type, or a payload that is not a Sparkplug protobuf.

    Examples
    --------
    >>> from zeropark.ingest.sparkplug_b import encode_payload
    >>> msg = parse_sparkplug("spBv1.0/plant/DDATA/gw1/em1",
    ...                       encode_payload([{"name": "E", "value": 2.0, "timestamp": 0}], seq=7))
    >>> msg.message_type, msg.seq, msg.metrics
    ('DDATA', 7, (('E', None, 0, 2.0),))
    """
    parts = topic.split("/")
    if len(parts) not in (4, 5) or parts[0] != "spBv1.0" or parts[2] not in SPARKPLUG_TYPES:
        raise PayloadError(f"not a Sparkplug B topic: {topic!r}", path=topic)
    try:
        p = Payload.FromString(payload)
    except (DecodeError, ValueError) as err:
        raise PayloadError(f"malformed Sparkplug B protobuf: {err}", path=topic) from err
    metrics = []
    bd_seq = None
    for m in p.metrics:
        value = metric_value(m)
        if m.name == "bdSeq":
            bd_seq = None if value is None else int(value)
            continue
        metrics.append((m.name, m.alias if m.HasField("alias") else None,
                        m.timestamp if m.HasField("timestamp") else None, value))
    return SparkplugMessage(
        group=parts[1], message_type=parts[2], edge_node=parts[3],
        device=parts[4] if len(parts) == 5 else "",
        seq=p.seq if p.HasField("seq") else None,
        timestamp_ms=p.timestamp if p.HasField("timestamp") else None,
        metrics=tuple(metrics), bd_seq=bd_seq,
    )


@dataclass
class SparkplugSessions:
    """Sequence, session and alias state of Sparkplug edge nodes (host-application side).

    ``seq`` runs 0–255 per edge node over all its messages and wraps; NBIRTH starts it at
    0 and carries ``bdSeq``, which the node's NDEATH must repeat (Sparkplug 3.0.0 §5.7,
    §5.9). Aliases declared in births are remembered per node/device.
    """

    last_seq: dict[str, int] = field(default_factory=dict)
    bd_seq: dict[str, int] = field(default_factory=dict)
    aliases: dict[str, dict[int, str]] = field(default_factory=dict)

    def observe(self, msg: SparkplugMessage
                ) -> tuple[list[Sample], list[tuple[str, dict[str, Any]]], list[Availability]]:
        """Update the state with one message; return samples, stream events and availability.

        Events are ``(code, data)`` with code ``seq_gap``, ``seq_duplicate``,
        ``unknown_session`` (data before any NBIRTH), ``stale_death`` (an NDEATH whose
        bdSeq is not the current session's), ``rebirth`` and ``unknown_alias``. A message
        with ``seq_duplicate`` still yields its samples: storing is idempotent.
        """
        node = msg.node_key
        events: list[tuple[str, dict[str, Any]]] = []
        avail: list[Availability] = []
        kind = msg.message_type
        if kind in ("NCMD", "DCMD"):
            return [], events, avail
        if kind == "NDEATH":
            current = self.bd_seq.get(node)
            if current is not None and msg.bd_seq is not None and msg.bd_seq != current:
                events.append(("stale_death", {"bd_seq": msg.bd_seq, "current": current}))
            else:
                self.last_seq.pop(node, None)
                avail.append(Availability(msg.data_topic, False))
            return [], events, avail
        if kind == "NBIRTH":
            if node in self.bd_seq:
                events.append(("rebirth", {"bd_seq": msg.bd_seq, "previous": self.bd_seq[node]}))
            if msg.bd_seq is not None:
                self.bd_seq[node] = msg.bd_seq
            self.aliases = {k: v for k, v in self.aliases.items()
                            if not k.startswith(node + "/") and k != node}
            avail.append(Availability(msg.data_topic, True))
        elif msg.seq is not None:
            last = self.last_seq.get(node)
            if last is None:
                events.append(("unknown_session", {"seq": msg.seq}))
            elif msg.seq == last:
                events.append(("seq_duplicate", {"seq": msg.seq}))
            elif msg.seq != (last + 1) % 256:
                events.append(("seq_gap", {"expected": (last + 1) % 256, "seq": msg.seq,
                                           "missing": (msg.seq - last - 1) % 256}))
        if msg.seq is not None:
            self.last_seq[node] = msg.seq
        entity = f"{node}/{msg.device}" if msg.device else node
        if kind == "DBIRTH":
            avail.append(Availability(msg.data_topic, True))
        if kind == "DDEATH":
            avail.append(Availability(msg.data_topic, False))
            return [], events, avail
        table = self.aliases.setdefault(entity, {})
        samples = []
        for name, alias, ts_ms, value in msg.metrics:
            if kind in ("NBIRTH", "DBIRTH") and name and alias is not None:
                table[alias] = name
            if not name and alias is not None:
                name = table.get(alias, "")
                if not name:
                    events.append(("unknown_alias", {"alias": alias}))
                    continue
            if value is None:
                continue
            samples.append(Sample(msg.data_topic, name, ts_ms if ts_ms is not None
                                  else msg.timestamp_ms, value))
        return samples, events, avail


def _json(topic: str, payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PayloadError(f"malformed JSON: {err}", path=topic) from err


def _ts_ms(raw: Any, *, tz: str, topic: str) -> int:
    """Epoch ms from a number (s if < 1e11, else ms) or an ISO text (naive = `tz`)."""
    if isinstance(raw, bool):
        raise PayloadError(f"bad timestamp {raw!r}", path=topic)
    if isinstance(raw, int | float):
        return int(round(raw * 1000)) if abs(raw) < 1e11 else int(raw)
    if not isinstance(raw, str):
        raise PayloadError(f"bad timestamp {raw!r}", path=topic)
    try:
        stamp = pd.Timestamp(raw)
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(tz, ambiguous="raise", nonexistent="raise")
    except (ValueError, TypeError) as err:
        raise PayloadError(f"bad timestamp {raw!r}: {err}", path=topic) from err
    return int(stamp.value // 1_000_000)


def _number(value: Any, what: str, topic: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{what} is not a number: {value!r}", path=topic)
    return float(value)


#: Units of Tasmota ``ENERGY`` fields (Tasmota docs, "Energy monitoring": Total, Yesterday,
#: Today in kWh; Power in W).
TASMOTA_UNITS = {"Total": "kWh", "Yesterday": "kWh", "Today": "kWh", "Power": "W"}


def parse_tasmota(topic: str, payload: bytes, *, tz: str = "UTC"
                  ) -> tuple[list[Sample], list[Availability]]:
    """Parse a Tasmota ``tele/<topic>/SENSOR`` or ``tele/<topic>/LWT`` message.

    Parameters
    ----------
    topic : str
        The MQTT topic.
    payload : bytes
        SENSOR: JSON with ``Time`` (device local time, ISO) and ``ENERGY``; LWT: ``Online``
        or ``Offline``.
    tz : str
        IANA zone of the device clock (Tasmota's ``Time`` has no offset).

    Returns
    -------
    samples : list of Sample
        One per numeric field of :data:`TASMOTA_UNITS` present in ``ENERGY``.
    availability : list of Availability

    Raises
    ------
    PayloadError
        Malformed JSON, no ``ENERGY`` object or ``Time``, non-numeric fields.

    Examples
    --------
    >>> s, _ = parse_tasmota("tele/plug1/SENSOR",
    ...     b'{"Time":"2024-01-01T08:00:00","ENERGY":{"Total":1.5,"Power":20}}', tz="Asia/Shanghai")
    >>> [(x.key, x.ts_ms, x.value, x.unit) for x in s]
    [('Total', 1704067200000, 1.5, 'kWh'), ('Power', 1704067200000, 20.0, 'W')]
    """
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != "tele":
        raise PayloadError(f"not a Tasmota tele/ topic: {topic!r}", path=topic)
    base = "/".join(parts[:-1])
    if parts[-1] == "LWT":
        text = payload.decode("utf-8", "replace").strip()
        if text not in ("Online", "Offline"):
            raise PayloadError(f"LWT payload must be Online or Offline, got {text!r}", path=topic)
        return [], [Availability(f"{base}/SENSOR", text == "Online")]
    if parts[-1] != "SENSOR":
        raise PayloadError(f"unsupported Tasmota topic {topic!r} (SENSOR, LWT)", path=topic)
    doc = _json(topic, payload)
    energy = doc.get("ENERGY") if isinstance(doc, dict) else None
    if not isinstance(energy, dict):
        raise PayloadError("no ENERGY object in SENSOR message", path=topic)
    if "Time" not in doc:
        raise PayloadError("no Time in SENSOR message", path=topic)
    ts = _ts_ms(doc["Time"], tz=tz, topic=topic)
    samples = [Sample(topic, key, ts, _number(energy[key], f"ENERGY.{key}", topic), unit)
               for key, unit in TASMOTA_UNITS.items() if key in energy]
    return samples, []


#: Units of Shelly Gen2 status fields: EMData/EM1Data energies in Wh, EM/EM1 powers in W
#: (Shelly Gen2 API docs, components EMData, EM1Data, EM, EM1: "status").
def _shelly_unit(key: str) -> str | None:
    if key.endswith("_energy") or key in ("total_act", "total_act_ret"):
        return "Wh"
    if key.endswith("_power"):
        return "W"
    return None


def parse_shelly(topic: str, payload: bytes, *, received_ms: int | None = None
                 ) -> list[Sample]:
    """Parse a Shelly Gen2+ status or ``NotifyStatus`` message.

    Parameters
    ----------
    topic : str
        ``<prefix>/status/<component>`` (e.g. ``emdata:0``, ``em:0``) or
        ``<prefix>/events/rpc``.
    payload : bytes
        JSON component status, or an RPC notification ``{"method": "NotifyStatus",
        "params": {"ts": <s>, "<component>": {...}}}``.
    received_ms : int, optional
        Receipt time for status messages (which carry none). [ms since the epoch, UTC]

    Returns
    -------
    list of Sample
        One per numeric energy (Wh) or power (W) field, on topic
        ``<prefix>/status/<component>``. Other notifications give no samples.

    Raises
    ------
    PayloadError
        Malformed JSON or an unexpected shape.

    Examples
    --------
    >>> s = parse_shelly("pro3em/events/rpc", b'{"method":"NotifyStatus","params":'
    ...                  b'{"ts":1704067200.0,"emdata:0":{"id":0,"total_act":1500.0}}}')
    >>> [(x.topic, x.key, x.ts_ms, x.value, x.unit) for x in s]
    [('pro3em/status/emdata:0', 'total_act', 1704067200000, 1500.0, 'Wh')]
    """
    doc = _json(topic, payload)
    if not isinstance(doc, dict):
        raise PayloadError("Shelly payload must be a JSON object", path=topic)
    parts = topic.split("/")
    if len(parts) >= 3 and parts[-2] == "status":
        return _shelly_fields(topic, doc, received_ms)
    if len(parts) >= 3 and parts[-2:] == ["events", "rpc"]:
        if doc.get("method") not in ("NotifyStatus", "NotifyFullStatus"):
            return []
        params = doc.get("params")
        if not isinstance(params, dict) or "ts" not in params:
            raise PayloadError("NotifyStatus without params.ts", path=topic)
        ts = _ts_ms(params["ts"], tz="UTC", topic=topic)
        prefix = "/".join(parts[:-2])
        out: list[Sample] = []
        for comp, status in params.items():
            if comp != "ts" and isinstance(status, dict):
                out.extend(_shelly_fields(f"{prefix}/status/{comp}", status, ts))
        return out
    raise PayloadError(f"unsupported Shelly topic {topic!r} (<prefix>/status/<component>, "
                       "<prefix>/events/rpc)", path=topic)


def _shelly_fields(topic: str, status: dict[str, Any], ts: int | None) -> list[Sample]:
    return [Sample(topic, key, ts, float(value), _shelly_unit(key))
            for key, value in status.items()
            if _shelly_unit(key) and isinstance(value, int | float)
            and not isinstance(value, bool)]


def parse_json(topic: str, payload: bytes, *, tz: str = "UTC") -> list[Sample]:
    """Parse zeropark's plain JSON form.

    Parameters
    ----------
    topic : str
        The MQTT topic.
    payload : bytes
        ``{"meter_id": "m1", "ts": "2024-01-01T00:15:00Z", "value": 12.5, "unit": "kWh"}``,
        or ``{"readings": [<such objects>]}``, or a JSON array of them. ``ts`` is ISO 8601
        (naive = `tz`) or a number of seconds (or milliseconds when ≥ 10¹¹) since the
        epoch; ``meter_id`` may be left out when the topic names one meter; ``unit``
        defaults to the meter's ``unit``.
    tz : str
        Zone of naive ISO timestamps (the park's).

    Returns
    -------
    list of Sample
        ``key`` = ``meter_id`` (``""`` when absent).

    Raises
    ------
    PayloadError
        Malformed JSON, a missing ``ts`` or ``value``, a non-numeric value.

    Examples
    --------
    >>> s = parse_json("zp/readings", b'{"meter_id":"m1","ts":1704067200,"value":3}')
    >>> [(x.key, x.ts_ms, x.value, x.unit) for x in s]
    [('m1', 1704067200000, 3.0, None)]
    """
    doc = _json(topic, payload)
    rows = doc.get("readings") if isinstance(doc, dict) and "readings" in doc else doc
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list):
        raise PayloadError("expected an object, a list or {\"readings\": [...]}", path=topic)
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or "ts" not in row or "value" not in row:
            raise PayloadError(f"reading {i} needs 'ts' and 'value'", path=topic)
        unit = row.get("unit")
        if unit is not None and not isinstance(unit, str):
            raise PayloadError(f"reading {i}: unit must be text", path=topic)
        out.append(Sample(topic, str(row.get("meter_id", "")),
                          _ts_ms(row["ts"], tz=tz, topic=topic),
                          _number(row["value"], f"reading {i} value", topic), unit))
    return out


def detect_format(topic: str) -> str:
    """Payload format from the topic shape: sparkplug, tasmota, shelly or json.

    Examples
    --------
    >>> [detect_format(t) for t in ("spBv1.0/g/DDATA/e/d", "tele/plug/SENSOR",
    ...                             "shelly/status/emdata:0", "site/meters")]
    ['sparkplug', 'tasmota', 'shelly', 'json']
    """
    parts = topic.split("/")
    if parts[0] == "spBv1.0":
        return "sparkplug"
    if parts[0] == "tele" and parts[-1] in ("SENSOR", "LWT"):
        return "tasmota"
    if (len(parts) >= 3 and parts[-2] == "status" and ":" in parts[-1]) or \
            parts[-2:] == ["events", "rpc"]:
        return "shelly"
    return "json"
