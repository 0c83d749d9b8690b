"""Minimal Sparkplug B protobuf message classes (``org.eclipse.tahu.protobuf.Payload``).

Built at import time from a hand-written descriptor with the ``protobuf`` package, so
no ``protoc`` step and no generated file are needed. Only the fields an ingest reads
are declared (payload ``timestamp``, ``metrics``, ``seq``, ``uuid``, ``body``; metric
``name``, ``alias``, ``timestamp``, ``datatype``, ``is_historical``, ``is_transient``,
``is_null`` and the scalar value fields). Field numbers and types follow
``sparkplug_b.proto`` of Eclipse Tahu (Sparkplug 3.0.0 specification, §6.4 "Payload
definition"); undeclared fields (metadata, properties, data sets, templates) are kept
as unknown fields by the parser and ignored.

Why not a package: the maintained PyPI packages checked (``mqtt-spb-wrapper`` 2.1.2,
``pysparkplug`` 0.6.1) pin paho-mqtt 1.x, which has no manual acknowledgement;
zeropark needs paho-mqtt 2 (``manual_ack=True``) for at-least-once delivery.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_PACKAGE = "org.eclipse.tahu.protobuf"
_F = descriptor_pb2.FieldDescriptorProto


class DataType(IntEnum):
    """Sparkplug B metric data types (specification §6.4.16, Tahu ``DataType``)."""

    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOAT = 9
    DOUBLE = 10
    BOOLEAN = 11
    STRING = 12
    DATETIME = 13
    TEXT = 14


def _field(msg: Any, name: str, number: int, ftype: int, *, repeated: bool = False,
           type_name: str | None = None, oneof: int | None = None) -> None:
    f = msg.field.add(name=name, number=number, type=ftype,
                      label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL)
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof


def _build() -> tuple[type[Any], type[Any]]:
    fdp = descriptor_pb2.FileDescriptorProto(name="zeropark_sparkplug_b.proto",
                                             package=_PACKAGE, syntax="proto2")
    payload = fdp.message_type.add(name="Payload")
    metric = payload.nested_type.add(name="Metric")
    for name, num, ftype in (("name", 1, _F.TYPE_STRING), ("alias", 2, _F.TYPE_UINT64),
                             ("timestamp", 3, _F.TYPE_UINT64), ("datatype", 4, _F.TYPE_UINT32),
                             ("is_historical", 5, _F.TYPE_BOOL),
                             ("is_transient", 6, _F.TYPE_BOOL), ("is_null", 7, _F.TYPE_BOOL)):
        _field(metric, name, num, ftype)
    metric.oneof_decl.add(name="value")
    for name, num, ftype in (("int_value", 10, _F.TYPE_UINT32), ("long_value", 11, _F.TYPE_UINT64),
                             ("float_value", 12, _F.TYPE_FLOAT),
                             ("double_value", 13, _F.TYPE_DOUBLE),
                             ("boolean_value", 14, _F.TYPE_BOOL),
                             ("string_value", 15, _F.TYPE_STRING),
                             ("bytes_value", 16, _F.TYPE_BYTES)):
        _field(metric, name, num, ftype, oneof=0)
    _field(payload, "timestamp", 1, _F.TYPE_UINT64)
    _field(payload, "metrics", 2, _F.TYPE_MESSAGE, repeated=True,
           type_name=f".{_PACKAGE}.Payload.Metric")
    _field(payload, "seq", 3, _F.TYPE_UINT64)
    _field(payload, "uuid", 4, _F.TYPE_STRING)
    _field(payload, "body", 5, _F.TYPE_BYTES)
    payload.extension_range.add(start=6, end=536870912)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    desc = pool.FindMessageTypeByName(f"{_PACKAGE}.Payload")
    cls = message_factory.GetMessageClass(desc)
    return cls, message_factory.GetMessageClass(desc.nested_types_by_name["Metric"])


#: The Sparkplug B ``Payload`` message class (``Payload.FromString(data)``, ``.metrics``).
Payload, Metric = _build()

_SIGNED_BITS = {DataType.INT8: 8, DataType.INT16: 16, DataType.INT32: 32, DataType.INT64: 64}


def metric_value(metric: Any) -> float | None:
    """Numeric value of a decoded metric, or None for null and non-numeric metrics.

    Signed integers arrive as two's complement in the unsigned ``int_value`` /
    ``long_value`` fields (Sparkplug 3.0.0 §6.4.16) and are sign-extended here.

    Examples
    --------
    >>> m = Metric(name="x", datatype=int(DataType.INT16), int_value=65535)
    >>> metric_value(m)
    -1.0
    """
    if metric.is_null:
        return None
    which = metric.WhichOneof("value")
    if which in (None, "string_value", "bytes_value"):
        return None
    raw = getattr(metric, which)
    bits = _SIGNED_BITS.get(DataType(metric.datatype)) if metric.datatype in _DATATYPES else None
    if bits is not None and which in ("int_value", "long_value"):
        raw = int(raw) & ((1 << bits) - 1)
        if raw >= 1 << (bits - 1):
            raw -= 1 << bits
    return float(raw)


_DATATYPES = {int(d) for d in DataType}


def encode_payload(metrics: list[dict[str, Any]], *, seq: int | None = None,
                   timestamp_ms: int | None = None) -> bytes:
    """Serialise a Sparkplug B payload (for publishers, tests and benchmarks).

    Parameters
    ----------
    metrics : list of dict
        Each with ``name`` and/or ``alias``, ``value`` (float, int or bool; None = null),
        optional ``timestamp`` [ms since the epoch, UTC] and ``datatype`` (default
        ``DataType.DOUBLE``).
    seq : int, optional
        Message sequence number, 0–255.
    timestamp_ms : int, optional
        Payload timestamp. [ms since the epoch, UTC]

    Returns
    -------
    bytes

    Examples
    --------
    >>> data = encode_payload([{"name": "E", "value": 1.5}], seq=3)
    >>> p = Payload.FromString(data)
    >>> p.seq, p.metrics[0].name, metric_value(p.metrics[0])
    (3, 'E', 1.5)
    """
    p = Payload()
    if seq is not None:
        p.seq = seq
    if timestamp_ms is not None:
        p.timestamp = timestamp_ms
    for spec in metrics:
        m = p.metrics.add()
        if "name" in spec:
            m.name = spec["name"]
        if "alias" in spec:
            m.alias = spec["alias"]
        if "timestamp" in spec:
            m.timestamp = spec["timestamp"]
        dtype = DataType(spec.get("datatype", DataType.DOUBLE))
        m.datatype = int(dtype)
        value = spec.get("value")
        if value is None:
            m.is_null = True
        elif dtype == DataType.BOOLEAN:
            m.boolean_value = bool(value)
        elif dtype == DataType.FLOAT:
            m.float_value = float(value)
        elif dtype == DataType.DOUBLE:
            m.double_value = float(value)
        elif dtype in (DataType.INT64, DataType.UINT64, DataType.DATETIME):
            m.long_value = int(value) & ((1 << 64) - 1)
        else:
            m.int_value = int(value) & ((1 << 32) - 1)
    return bytes(p.SerializeToString())
