"""Alarms: data-quality and performance findings with a span, de-duplicated and acknowledgeable.

An :class:`Alarm` is an :class:`~zeropark.issues.Issue` that an energy manager acts on: it has
an affected meter, a UTC span ``[start, end)``, a severity and an explanation, and it stays
until someone acknowledges it. Detection is pure (:mod:`zeropark.forecast.anomaly`,
:mod:`zeropark.forecast.pv`); :class:`AlarmLog` keeps alarms in the store's DuckDB file in a
table ``alarms`` and merges a new finding into the stored alarm it continues, so running
detection again never duplicates an alarm and never loses an acknowledgement.

Functions for the API (plain, no FastAPI): :func:`list_alarms`, :func:`acknowledge_alarm`,
:func:`record_alarms`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import pandas as pd

from zeropark.errors import ParkError
from zeropark.issues import Issue, IssueCode, Severity

_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2, Severity.DISQUALIFYING: 3}


class AlarmNotFoundError(ParkError, KeyError):
    """No alarm with this id in the park."""

    def __init__(self, park_id: str, alarm_id: str) -> None:
        super().__init__(park_id, alarm_id)
        self.park_id, self.alarm_id = park_id, alarm_id

    def __str__(self) -> str:
        return f"no alarm {self.alarm_id!r} in park {self.park_id!r}"


def _utc(ts: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(ts)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm on one meter over ``[start, end)``.

    Parameters
    ----------
    code : IssueCode
        What was found (translated in ``locales/*.json``).
    severity : Severity
    meter_id : str
        Affected meter (or ``"park"`` / a building id for aggregates).
    start, end : pandas.Timestamp
        UTC span, end exclusive.
    message : str
        English explanation with the numbers that triggered it.
    data : dict
        Machine-readable details (thresholds, values, counts).
    """

    code: IssueCode
    severity: Severity
    meter_id: str
    start: pd.Timestamp
    end: pd.Timestamp
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def alarm_id(self) -> str:
        """Stable id: hash of code, meter and start (12 hex digits)."""
        key = f"{self.code}|{self.meter_id}|{_utc(self.start).isoformat()}"
        return hashlib.sha1(key.encode()).hexdigest()[:12]

    def as_issue(self) -> Issue:
        """The same finding as an :class:`~zeropark.issues.Issue` (for result ``issues``)."""
        return Issue(self.code, self.severity, self.message, self.meter_id,
                     _utc(self.start).isoformat(), _utc(self.end).isoformat(), dict(self.data))


def make_alarm(code: IssueCode, severity: Severity, meter_id: str, start: Any, end: Any,
               message: str, **data: Any) -> Alarm:
    """Build an :class:`Alarm` with UTC stamps."""
    return Alarm(code, severity, meter_id, _utc(start), _utc(end), message, data)


def dedupe_alarms(alarms: Iterable[Alarm], *, merge_gap: pd.Timedelta | None = None
                  ) -> list[Alarm]:
    """Merge alarms of the same meter and code that overlap or lie within `merge_gap`.

    The merged alarm spans both, takes the higher severity and the first message; numeric
    ``data["n"]`` counts add up. Output sorted by meter, code and start.

    Examples
    --------
    >>> a = make_alarm(IssueCode.SPIKE, Severity.WARNING, "m", "2024-01-01 00:00",
    ...                "2024-01-01 02:00", "spike", n=2)
    >>> b = make_alarm(IssueCode.SPIKE, Severity.ERROR, "m", "2024-01-01 01:00",
    ...                "2024-01-01 03:00", "spike", n=2)
    >>> [(x.severity.value, x.end.hour, x.data["n"]) for x in dedupe_alarms([a, b])]
    [('error', 3, 4)]
    """
    gap = pd.Timedelta(0) if merge_gap is None else merge_gap
    ordered = sorted(alarms, key=lambda a: (a.meter_id, str(a.code), a.start))
    out: list[Alarm] = []
    for alarm in ordered:
        last = out[-1] if out else None
        if (last is not None and last.meter_id == alarm.meter_id and last.code == alarm.code
                and alarm.start <= last.end + gap):
            severity = max(last.severity, alarm.severity, key=lambda s: _RANK[s])
            data = dict(last.data)
            if isinstance(data.get("n"), int | float) and isinstance(alarm.data.get("n"),
                                                                     int | float):
                data["n"] = data["n"] + alarm.data["n"]
            out[-1] = replace(last, end=max(last.end, alarm.end), severity=severity, data=data)
        else:
            out.append(alarm)
    return out


class AlarmStore(Protocol):
    """Where alarms live; implemented by :class:`AlarmLog` (DuckDB) and :class:`MemoryAlarmLog`."""

    def record(self, park_id: str, alarms: Sequence[Alarm]) -> int:
        """Insert new alarms, extend the stored ones they continue; return how many are new."""
        ...

    def list(self, park_id: str, *, acknowledged: bool | None = None,
             meter_id: str | None = None) -> pd.DataFrame:
        """Stored alarms, newest start first."""
        ...

    def acknowledge(self, park_id: str, alarm_id: str, *, by: str, note: str = "") -> None:
        """Mark one alarm acknowledged; raises :class:`AlarmNotFoundError`."""
        ...


#: Columns of the ``alarms`` table and of :meth:`AlarmStore.list` frames.
ALARM_COLUMNS = ("alarm_id", "code", "severity", "meter_id", "start_ts", "end_ts", "message",
                 "data_json", "first_seen", "last_seen", "acknowledged_at", "acknowledged_by",
                 "ack_note")

_DDL = """
CREATE TABLE IF NOT EXISTS alarms (
    park_id VARCHAR NOT NULL, alarm_id VARCHAR NOT NULL, code VARCHAR NOT NULL,
    severity VARCHAR NOT NULL, meter_id VARCHAR NOT NULL, start_ts TIMESTAMP NOT NULL,
    end_ts TIMESTAMP NOT NULL, message VARCHAR, data_json VARCHAR,
    first_seen TIMESTAMP NOT NULL, last_seen TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP, acknowledged_by VARCHAR, ack_note VARCHAR,
    PRIMARY KEY (park_id, alarm_id));
"""


_TIME_COLUMNS = ("start_ts", "end_ts", "first_seen", "last_seen", "acknowledged_at")


def _naive_us(ts: Any) -> pd.Timestamp:
    return _utc(ts).tz_localize(None).as_unit("us")


def _as_us(rows: pd.DataFrame) -> pd.DataFrame:
    for c in _TIME_COLUMNS:
        rows[c] = pd.to_datetime(rows[c]).astype("datetime64[us]")
    return rows


def _now() -> pd.Timestamp:
    return _naive_us(pd.Timestamp.now("UTC").floor("us"))


def _merge_into(rows: pd.DataFrame, alarms: Sequence[Alarm], now: pd.Timestamp
                ) -> tuple[pd.DataFrame, int]:
    """Pure merge of new alarms into stored rows (the logic shared by both logs)."""
    rows = _as_us(rows.copy().reset_index(drop=True))
    new_rows = []
    for alarm in dedupe_alarms(alarms):
        start, end = _naive_us(alarm.start), _naive_us(alarm.end)
        hit = rows[(rows["meter_id"] == alarm.meter_id) & (rows["code"] == str(alarm.code))
                   & (rows["start_ts"] <= end) & (rows["end_ts"] >= start)]
        if len(hit):
            k = hit.index[0]
            rows.loc[k, "end_ts"] = max(rows.loc[k, "end_ts"], end)
            if _RANK[alarm.severity] > _RANK[Severity(rows.loc[k, "severity"])]:
                rows.loc[k, "severity"] = str(alarm.severity)
            rows.loc[k, "last_seen"] = now
            continue
        new_rows.append({"alarm_id": alarm.alarm_id, "code": str(alarm.code),
                         "severity": str(alarm.severity), "meter_id": alarm.meter_id,
                         "start_ts": start, "end_ts": end, "message": alarm.message,
                         "data_json": json.dumps(alarm.data, default=str), "first_seen": now,
                         "last_seen": now, "acknowledged_at": pd.NaT, "acknowledged_by": None,
                         "ack_note": None})
    if new_rows:
        fresh = _as_us(pd.DataFrame(new_rows, columns=list(ALARM_COLUMNS)))
        rows = pd.concat([rows, fresh], ignore_index=True) if len(rows) else fresh
    return rows, len(new_rows)


def _empty() -> pd.DataFrame:
    return _as_us(pd.DataFrame({c: pd.Series(dtype="object") for c in ALARM_COLUMNS}))


def _filter(rows: pd.DataFrame, acknowledged: bool | None, meter_id: str | None
            ) -> pd.DataFrame:
    if acknowledged is not None:
        rows = rows[rows["acknowledged_at"].notna() == acknowledged]
    if meter_id is not None:
        rows = rows[rows["meter_id"] == meter_id]
    return rows.sort_values(["start_ts", "alarm_id"], ascending=[False, True]).reset_index(
        drop=True)


class MemoryAlarmLog:
    """In-memory :class:`AlarmStore` (tests, API fakes)."""

    def __init__(self) -> None:
        self._rows: dict[str, pd.DataFrame] = {}

    def _get(self, park_id: str) -> pd.DataFrame:
        return self._rows.get(park_id, _empty())

    def record(self, park_id: str, alarms: Sequence[Alarm]) -> int:
        """See :meth:`AlarmStore.record`."""
        self._rows[park_id], n = _merge_into(self._get(park_id), alarms, _now())
        return n

    def list(self, park_id: str, *, acknowledged: bool | None = None,
             meter_id: str | None = None) -> pd.DataFrame:
        """See :meth:`AlarmStore.list`."""
        return _filter(self._get(park_id), acknowledged, meter_id)

    def acknowledge(self, park_id: str, alarm_id: str, *, by: str, note: str = "") -> None:
        """See :meth:`AlarmStore.acknowledge`."""
        rows = self._get(park_id)
        hit = rows.index[rows["alarm_id"] == alarm_id]
        if not len(hit):
            raise AlarmNotFoundError(park_id, alarm_id)
        rows.loc[hit, "acknowledged_at"] = _now()
        rows.loc[hit, "acknowledged_by"] = by
        rows.loc[hit, "ack_note"] = note
        self._rows[park_id] = rows


class AlarmLog:
    """:class:`AlarmStore` in the DuckDB file of a :class:`~zeropark.store.DuckDBStore`.

    The ``alarms`` table is created on first use; stamps are naive UTC like the other tables.
    """

    def __init__(self, store: Any) -> None:
        self.store = store
        if not getattr(store, "read_only", False):
            try:
                with store.transaction():
                    store.con.execute(_DDL)
            except Exception:  # noqa: BLE001 - a read-only connection cannot create tables
                pass

    def _rows(self, park_id: str) -> pd.DataFrame:
        cols = ", ".join(ALARM_COLUMNS)
        try:
            frame = self.store.query(f"SELECT {cols} FROM alarms WHERE park_id = ?", [park_id])
        except Exception:  # noqa: BLE001 - table missing in a read-only store: no alarms
            return _empty()
        return frame if len(frame) else _empty()

    def record(self, park_id: str, alarms: Sequence[Alarm]) -> int:
        """See :meth:`AlarmStore.record` (one transaction)."""
        with self.store.transaction():
            rows, n = _merge_into(self._rows(park_id), alarms, _now())
            self.store.con.execute("DELETE FROM alarms WHERE park_id = ?", [park_id])
            if len(rows):
                frame = rows.assign(park_id=park_id)
                self.store.con.register("alarm_rows", frame)
                try:
                    self.store.con.execute(
                        f"INSERT INTO alarms (park_id, {', '.join(ALARM_COLUMNS)}) "
                        f"SELECT park_id, {', '.join(ALARM_COLUMNS)} FROM alarm_rows")
                finally:
                    self.store.con.unregister("alarm_rows")
        return n

    def list(self, park_id: str, *, acknowledged: bool | None = None,
             meter_id: str | None = None) -> pd.DataFrame:
        """See :meth:`AlarmStore.list`."""
        return _filter(self._rows(park_id), acknowledged, meter_id)

    def acknowledge(self, park_id: str, alarm_id: str, *, by: str, note: str = "") -> None:
        """See :meth:`AlarmStore.acknowledge`."""
        with self.store.transaction():
            found = self.store.query("SELECT 1 FROM alarms WHERE park_id = ? AND alarm_id = ?",
                                     [park_id, alarm_id])
            if found.empty:
                raise AlarmNotFoundError(park_id, alarm_id)
            self.store.con.execute(
                "UPDATE alarms SET acknowledged_at = now()::TIMESTAMP, acknowledged_by = ?, "
                "ack_note = ? WHERE park_id = ? AND alarm_id = ?", [by, note, park_id, alarm_id])


def record_alarms(log: AlarmStore, park_id: str, alarms: Sequence[Alarm]) -> int:
    """Store alarms (de-duplicated against the log); return how many are new."""
    return log.record(park_id, alarms)


def list_alarms(log: AlarmStore, park_id: str, *, acknowledged: bool | None = None,
                meter_id: str | None = None) -> list[dict[str, Any]]:
    """Stored alarms as JSON-ready dicts (ISO-8601 UTC stamps), newest first.

    Examples
    --------
    >>> log = MemoryAlarmLog()
    >>> _ = log.record("p", [make_alarm(IssueCode.SPIKE, Severity.ERROR, "m",
    ...                                 "2024-01-01", "2024-01-01 01:00", "spike")])
    >>> [(a["code"], a["acknowledged"]) for a in list_alarms(log, "p")]
    [('spike', False)]
    """
    out = []
    for row in log.list(park_id, acknowledged=acknowledged, meter_id=meter_id).to_dict("records"):
        item = {k: row[k] for k in ("alarm_id", "code", "severity", "meter_id", "message")}
        for k in ("start_ts", "end_ts", "first_seen", "last_seen", "acknowledged_at"):
            value = row[k]
            item[k] = None if pd.isna(value) else pd.Timestamp(value).tz_localize(
                "UTC").isoformat()
        item["data"] = json.loads(row["data_json"]) if row["data_json"] else {}
        item["acknowledged"] = item["acknowledged_at"] is not None
        item["acknowledged_by"] = row["acknowledged_by"] if item["acknowledged"] else None
        item["ack_note"] = row["ack_note"] if item["acknowledged"] else None
        out.append(item)
    return out


def acknowledge_alarm(log: AlarmStore, park_id: str, alarm_id: str, *, by: str,
                      note: str = "") -> None:
    """Acknowledge one alarm; raises :class:`AlarmNotFoundError` (→ HTTP 404) if unknown."""
    log.acknowledge(park_id, alarm_id, by=by, note=note)
