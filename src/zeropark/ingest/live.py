"""Live ingest core shared by MQTT and Modbus: route samples to meters, commit in batches.

Delivery contract (at-least-once, end to end): a message is acknowledged to its source
only after :meth:`LiveIngest.flush` has committed its readings (or its dead letter) to
the store. Re-delivered messages are harmless because the store keeps one value per
meter and timestamp (:meth:`DuckDBStore.insert_readings`). Meters whose readings changed
are marked ``derive_pending`` in the same transaction and re-derived (intervals, rollups,
quality issues; :func:`zeropark.ingest.derive.rederive`) by :meth:`LiveIngest.derive`,
so a crash between the two loses nothing: the next run derives the pending meters first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from zeropark.errors import UnitError
from zeropark.ingest.derive import rederive
from zeropark.ingest.mqtt_payloads import (
    Availability,
    PayloadError,
    Sample,
    SparkplugSessions,
    detect_format,
    parse_json,
    parse_shelly,
    parse_sparkplug,
    parse_tasmota,
)
from zeropark.model import Meter, MeterKind, Park
from zeropark.units import conversion_factor

_SHELLY_DEFAULT = {"emdata": "total_act", "em1data": "total_act_energy",
                   "em": "total_act_power", "em1": "act_power"}


def default_metric(meter: Meter, fmt: str) -> str:
    """The value of a message a meter reads when ``mqtt_metric`` is not set.

    Sparkplug and JSON: the meter id. Tasmota: ``Total`` (``Power`` for a
    ``measurement`` meter). Shelly: by component, ``emdata`` → ``total_act``,
    ``em1data`` → ``total_act_energy``, ``em`` → ``total_act_power``, ``em1`` →
    ``act_power``.
    """
    if fmt == "tasmota":
        return "Power" if meter.kind == MeterKind.MEASUREMENT else "Total"
    if fmt == "shelly":
        component = meter.mqtt_topic.rsplit("/", 1)[-1].split(":")[0]
        return _SHELLY_DEFAULT.get(component, "total_act")
    return meter.meter_id


def source_of(topic: str, fmt: str) -> str:
    """The device a topic belongs to (the JSON topic itself for ``json``).

    Sparkplug ``spBv1.0/<group>/<edge>``, Tasmota ``tele/<topic>``, Shelly ``<prefix>``.

    Examples
    --------
    >>> source_of("spBv1.0/g/DBIRTH/e/d", "sparkplug"), source_of("sh/status/em:0", "shelly")
    ('spBv1.0/g/e', 'sh')
    """
    parts = topic.split("/")
    if fmt == "sparkplug" and len(parts) >= 4:
        return f"spBv1.0/{parts[1]}/{parts[3]}"
    if fmt == "tasmota":
        return "/".join(parts[:-1])
    if fmt == "shelly" and len(parts) >= 3:
        return "/".join(parts[:-2])
    return topic


@dataclass(frozen=True, slots=True)
class Routes:
    """Topic and key → meter, built from the park file's ``mqtt_*`` meter keys."""

    by_key: dict[tuple[str, str], Meter]
    formats: dict[str, str]
    sources: frozenset[str] = frozenset()

    @classmethod
    def from_park(cls, park: Park) -> Routes:
        """Routes of every meter with an ``mqtt_topic``."""
        by_key: dict[tuple[str, str], Meter] = {}
        formats: dict[str, str] = {}
        per_topic: dict[str, list[Meter]] = {}
        for m in park.meters:
            if not m.mqtt_topic:
                continue
            fmt = m.mqtt_format or detect_format(m.mqtt_topic)
            formats[m.mqtt_topic] = fmt
            by_key[(m.mqtt_topic, m.mqtt_metric or default_metric(m, fmt))] = m
            per_topic.setdefault(m.mqtt_topic, []).append(m)
        for topic, meters in per_topic.items():
            if formats[topic] == "json" and len(meters) == 1:
                by_key[(topic, "")] = meters[0]
        sources = frozenset(source_of(t, f) for t, f in formats.items() if f != "json")
        return cls(by_key, formats, sources)

    def subscriptions(self) -> list[str]:
        """Topic filters covering every mapped topic and its companions (births, LWT)."""
        out: set[str] = set()
        for topic, fmt in self.formats.items():
            parts = topic.split("/")
            if fmt == "sparkplug":
                out.add(f"spBv1.0/{parts[1]}/+/{parts[3]}/#")
            elif fmt == "tasmota":
                base = "/".join(parts[:-1])
                out.update((f"{base}/SENSOR", f"{base}/LWT"))
            elif fmt == "shelly":
                out.update((topic, f"{source_of(topic, fmt)}/events/rpc"))
            else:
                out.add(topic)
        return sorted(out)


@dataclass
class Batch:
    """Rows, dead letters and events received since the last commit."""

    meter_id: list[str] = field(default_factory=list)
    ts_ms: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    value_raw: list[float] = field(default_factory=list)
    unit_raw: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    dead: list[tuple[int, str, bytes, str]] = field(default_factory=list)
    events: list[tuple[int, str, str, str]] = field(default_factory=list)
    acks: list[Any] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.meter_id)

    def readings_frame(self, first_row: int) -> pd.DataFrame:
        """The rows as an ``insert_readings`` frame; exact repeats in the batch dropped."""
        frame = pd.DataFrame({
            "meter_id": self.meter_id,
            "ts": pd.to_datetime(np.asarray(self.ts_ms, dtype="int64"), unit="ms", utc=True),
            "value": np.asarray(self.value, dtype="float64"),
            "value_raw": np.asarray(self.value_raw, dtype="float64"),
            "unit_raw": self.unit_raw,
            "source": self.source,
            "source_row": np.arange(first_row, first_row + len(self.meter_id), dtype="int64"),
        })
        return frame.drop_duplicates(["meter_id", "ts", "value"], keep="last")


@dataclass
class IngestStats:
    """Counters of a live ingest run."""

    messages: int = 0
    readings: int = 0
    new_readings: int = 0
    dead_letters: int = 0
    commits: int = 0
    derived_meters: int = 0
    events: dict[str, int] = field(default_factory=dict)


class LiveIngest:
    """Route messages to meters and commit them to a store in batches.

    Parameters
    ----------
    store : TimeseriesStore
        A store with the live-ingest tables (:class:`~zeropark.store.DuckDBStore`).
    park : Park
        Park whose meters' ``mqtt_*`` keys give the routes (saved to the store).
    derive_interval_s : float
        Re-derive pending meters at most this often. [s]
    on_rebirth : callable, optional
        Called with ``(group, edge_node)`` when a Sparkplug node needs a rebirth
        (sequence gap, data of an unknown session, unknown alias).
    """

    def __init__(self, store: Any, park: Park, *, derive_interval_s: float = 2.0,
                 on_rebirth: Callable[[str, str], None] | None = None) -> None:
        self.store = store
        self.park = park
        self.routes = Routes.from_park(park)
        self.sessions = SparkplugSessions()
        self.batch = Batch()
        self.stats = IngestStats()
        self.derive_interval_s = derive_interval_s
        self.on_rebirth = on_rebirth
        self._factor: dict[tuple[str, str], float] = {}
        self._row = int(time.time() * 1000) * 1000
        self._last_derive = 0.0
        store.save_park(park)

    # -- receiving ---------------------------------------------------------------------
    def receive(self, topic: str, payload: bytes, *, received_ms: int | None = None,
                ack: Any = None) -> None:
        """Parse one message into the batch (never raises for bad data).

        Parameters
        ----------
        topic : str
            MQTT topic.
        payload : bytes
            Message body.
        received_ms : int, optional
            Receipt time (default now). [ms since the epoch, UTC]
        ack : object, optional
            Token handed back by :meth:`flush` once the message is durable.
        """
        now = int(time.time() * 1000) if received_ms is None else received_ms
        self.stats.messages += 1
        if ack is not None:
            self.batch.acks.append(ack)
        fmt = self.routes.formats.get(topic) or detect_format(topic)
        try:
            if fmt == "sparkplug":
                samples = self._sparkplug(topic, payload, now)
            elif fmt == "tasmota":
                samples, avail = parse_tasmota(topic, payload, tz=self.park.timezone)
                self._availability(avail, now)
            elif fmt == "shelly":
                samples = parse_shelly(topic, payload, received_ms=now)
            else:
                samples = parse_json(topic, payload, tz=self.park.timezone)
        except PayloadError as err:
            self._dead(now, topic, payload, err.message)
            return
        self._add(samples, topic, payload, now)

    def _sparkplug(self, topic: str, payload: bytes, now: int) -> list[Sample]:
        msg = parse_sparkplug(topic, payload)
        samples, events, avail = self.sessions.observe(msg)
        rebirth = False
        for code, data in events:
            self._event(now, topic, code, data)
            rebirth |= code in ("seq_gap", "unknown_session", "unknown_alias")
        if rebirth and self.on_rebirth is not None:
            self.on_rebirth(msg.group, msg.edge_node)
        self._availability(avail, now)
        return samples

    def _availability(self, avail: Sequence[Availability], now: int) -> None:
        for a in avail:
            self._event(now, a.topic, "online" if a.online else "offline", {})

    def _event(self, now: int, source: str, code: str, data: dict[str, Any]) -> None:
        self.batch.events.append((now, source, code, json.dumps(data)))
        self.stats.events[code] = self.stats.events.get(code, 0) + 1

    def _dead(self, now: int, source: str, payload: bytes, reason: str) -> None:
        self.batch.dead.append((now, source, bytes(payload), reason))
        self.stats.dead_letters += 1

    def _add(self, samples: Sequence[Sample], topic: str, payload: bytes, now: int,
             *, route: Meter | None = None) -> None:
        routes = self.routes.by_key
        b = self.batch
        unknown: list[str] = []
        bad_units: list[str] = []
        n_before = len(b)
        fmt = "direct" if route else (self.routes.formats.get(topic) or detect_format(topic))
        if fmt not in ("json", "direct") and source_of(topic, fmt) not in self.routes.sources:
            self._dead(now, topic, payload, "unknown topic: no meter has this device's "
                       "mqtt_topic")
            return
        for s in samples:
            meter = route or routes.get((s.topic, s.key))
            if meter is None:
                if fmt == "json":  # other formats: values no meter reads are ignored
                    unknown.append(f"{s.topic} meter_id {s.key!r}" if s.key else s.topic)
                continue
            unit = s.unit or meter.unit
            factor = self._factor.get((meter.meter_id, unit))
            if factor is None:
                try:
                    factor = conversion_factor(unit, meter.quantity)
                except UnitError as err:
                    bad_units.append(f"{meter.meter_id}: {err.message}")
                    continue
                self._factor[(meter.meter_id, unit)] = factor
            b.meter_id.append(meter.meter_id)
            b.ts_ms.append(now if s.ts_ms is None else s.ts_ms)
            b.value.append(s.value * factor)
            b.value_raw.append(s.value)
            b.unit_raw.append(unit)
            b.source.append(topic)
        if unknown:
            shown = ", ".join(sorted(set(unknown))[:5])
            self._dead(now, topic, payload, f"unknown topic or meter: {shown}")
        if bad_units:
            self._dead(now, topic, payload, "wrong unit: " + "; ".join(bad_units))
        self.stats.readings += len(b) - n_before

    def add_value(self, meter: Meter, ts_ms: int, value: float, unit: str, source: str,
                  *, received_ms: int | None = None) -> None:
        """Add one reading that needs no parsing (Modbus); a wrong unit is a dead letter.

        Parameters
        ----------
        meter : Meter
            Target meter.
        ts_ms : int
            Reading time. [ms since the epoch, UTC]
        value : float
            Value in `unit`.
        unit : str
            Unit of `value` (converted to the meter's canonical unit).
        source : str
            Where it came from, e.g. ``modbus://host:502/1/import_energy``.
        """
        self.stats.messages += 1
        self._add([Sample(source, meter.meter_id, ts_ms, value, unit)], source,
                  repr(value).encode(), ts_ms if received_ms is None else received_ms,
                  route=meter)

    def dead_letter(self, source: str, payload: bytes, reason: str,
                    *, received_ms: int | None = None) -> None:
        """Record a message or read that could not be ingested."""
        now = int(time.time() * 1000) if received_ms is None else received_ms
        self._dead(now, source, payload, reason)

    # -- committing ----------------------------------------------------------------------
    def flush(self) -> list[Any]:
        """Commit the batch (readings, dead letters, events, pending marks) in one transaction.

        Returns
        -------
        list
            The ``ack`` tokens of the committed messages: acknowledge them now.
        """
        b, self.batch = self.batch, Batch()
        if not len(b) and not b.dead and not b.events:
            return b.acks
        store = self.store
        pid = self.park.park_id
        with store.transaction():
            if len(b):
                frame = b.readings_frame(self._row)
                self._row += len(b)
                new = store.insert_readings(pid, frame)
                self.stats.new_readings += len(new)
                if not new.empty:
                    store.mark_pending(pid, sorted(new["meter_id"].unique()))
            if b.dead:
                store.insert_dead_letters(pid, pd.DataFrame(
                    b.dead, columns=["received_at", "source", "payload", "reason"]
                ).assign(received_at=lambda f: pd.to_datetime(f["received_at"], unit="ms",
                                                              utc=True)))
            if b.events:
                store.insert_stream_events(pid, pd.DataFrame(
                    b.events, columns=["received_at", "source", "event", "data_json"]
                ).assign(received_at=lambda f: pd.to_datetime(f["received_at"], unit="ms",
                                                              utc=True)))
        self.stats.commits += 1
        return b.acks

    def derive(self, *, force: bool = False) -> int:
        """Re-derive the pending meters if the derive interval has passed (or `force`).

        Returns
        -------
        int
            Meters re-derived.
        """
        now = time.monotonic()
        if not force and now - self._last_derive < self.derive_interval_s:
            return 0
        self._last_derive = now
        pid = self.park.park_id
        pending = self.store.pending_meters(pid)
        known = self.park.meters_by_id()
        pending = [m for m in pending if m in known]
        if not pending:
            return 0
        with self.store.transaction():
            rederive(self.store, self.park, pending)
            self.store.clear_pending(pid, pending)
        self.stats.derived_meters += len(pending)
        return len(pending)

