"""Poll Modbus TCP energy meters with register maps kept as data files.

A register map (``maps/*.toml``, or any TOML file of the same shape) names a device's
points: ``address`` (zero-based protocol address), ``type`` (``int16``, ``uint16``,
``int32``, ``uint32``, ``int64``, ``uint64``, ``float32``, ``float64``), ``scale``
(value = raw · scale), ``unit`` and, per device or per point, the register ``function``
(``input`` = code 04, ``holding`` = code 03), ``word_order`` and ``byte_order``. The
park file says which meter reads which point (``modbus_host``, ``modbus_unit_id``,
``modbus_point``). Readings are committed and derived by
:class:`zeropark.ingest.live.LiveIngest`; a failed read is a dead letter, never a stop.
"""

from __future__ import annotations

import struct
import time
import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zeropark.errors import InputError
from zeropark.ingest.live import IngestStats, LiveIngest
from zeropark.model import Meter, Park

RegisterType = Literal["int16", "uint16", "int32", "uint32", "int64", "uint64", "float32",
                       "float64"]
_FORMAT = {"int16": "h", "uint16": "H", "int32": "i", "uint32": "I", "int64": "q",
           "uint64": "Q", "float32": "f", "float64": "d"}
#: Largest register count read in one request (Modbus application protocol V1.1b3, §6.4:
#: 125 registers per read; kept below it).
MAX_SPAN = 120


class Point(BaseModel):
    """One value of a device: where it is, how to decode it, its unit."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    address: int = Field(ge=0, le=65535)
    type: RegisterType = "float32"
    scale: float = 1.0
    unit: str
    function: Literal["input", "holding"] | None = None
    word_order: Literal["big", "little"] | None = None
    byte_order: Literal["big", "little"] | None = None

    @property
    def count(self) -> int:
        """Registers the value occupies."""
        return struct.calcsize(_FORMAT[self.type]) // 2


class Device(BaseModel):
    """Defaults shared by the points of a map."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    function: Literal["input", "holding"] = "holding"
    word_order: Literal["big", "little"] = "big"
    byte_order: Literal["big", "little"] = "big"
    source: str = ""


class RegisterMap(BaseModel):
    """A device's register map (a ``maps/*.toml`` file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    device: Device
    points: tuple[Point, ...]

    @model_validator(mode="after")
    def _unique(self) -> RegisterMap:
        names = [p.name for p in self.points]
        if len(set(names)) != len(names):
            raise ValueError("point names must be unique")
        return self

    def point(self, name: str) -> Point:
        """The point called `name`; raises ``InputError`` if absent."""
        for p in self.points:
            if p.name == name:
                return p
        raise InputError(f"no point {name!r} in register map {self.device.name!r}; "
                         f"points: {', '.join(p.name for p in self.points)}",
                         field="modbus_point")

    def resolved(self, p: Point) -> tuple[str, str, str]:
        """(function, word_order, byte_order) of a point, device defaults filled in."""
        d = self.device
        return (p.function or d.function, p.word_order or d.word_order,
                p.byte_order or d.byte_order)


def load_register_map(name_or_path: str | Path) -> RegisterMap:
    """Read a register map: a TOML file, or the name of a bundled map (``eastron_sdm630``).

    Raises
    ------
    InputError
        Missing file, invalid TOML or a map that does not validate.

    Examples
    --------
    >>> m = load_register_map("eastron_sdm630")
    >>> p = m.point("import_energy")
    >>> hex(p.address), p.type, p.unit, m.resolved(p)
    ('0x48', 'float32', 'kWh', ('input', 'big', 'big'))
    """
    path = Path(name_or_path)
    if not path.is_file():
        bundled = resources.files("zeropark.ingest") / "maps" / f"{name_or_path}.toml"
        if not bundled.is_file():
            raise InputError(f"no register map file or bundled map {str(name_or_path)!r}",
                             field="map")
        text, source = bundled.read_text(encoding="utf-8"), f"maps/{name_or_path}.toml"
    else:
        text, source = path.read_text(encoding="utf-8"), str(path)
    try:
        return RegisterMap.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as err:
        raise InputError(f"invalid register map: {err}", path=source) from err


def decode_registers(registers: Sequence[int], type_: str, *, word_order: str = "big",
                     byte_order: str = "big") -> float:
    """Decode 16-bit registers into a number.

    Parameters
    ----------
    registers : sequence of int
        Register values 0–65535 in address order, as many as the type needs.
    type_ : str
        ``int16``, ``uint16``, ``int32``, ``uint32``, ``int64``, ``uint64``, ``float32``,
        ``float64``.
    word_order : {"big", "little"}
        ``big``: the first register holds the most significant word.
    byte_order : {"big", "little"}
        Byte order inside each register (Modbus sends big-endian; some devices swap).

    Returns
    -------
    float

    Examples
    --------
    >>> decode_registers([0x4479, 0xC000], "float32")  # 999.0 (IEEE 754 0x4479C000)
    999.0
    >>> decode_registers([0xC000, 0x4479], "float32", word_order="little")
    999.0
    >>> decode_registers([0xFFFF], "int16")
    -1.0
    """
    words = list(registers)
    if word_order == "little":
        words.reverse()
    raw = b"".join(struct.pack(">H" if byte_order == "big" else "<H", w) for w in words)
    return float(struct.unpack(">" + _FORMAT[type_], raw)[0])


def encode_registers(value: float, type_: str, *, word_order: str = "big",
                     byte_order: str = "big") -> list[int]:
    """Inverse of :func:`decode_registers` (for simulators and tests).

    Examples
    --------
    >>> [hex(w) for w in encode_registers(999.0, "float32")]
    ['0x4479', '0xc000']
    """
    fmt = _FORMAT[type_]
    raw = struct.pack(">" + fmt, int(value) if fmt not in "fd" else value)
    words = [struct.unpack(">H" if byte_order == "big" else "<H", raw[i:i + 2])[0]
             for i in range(0, len(raw), 2)]
    return words[::-1] if word_order == "little" else words


def _parse_host(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "502")
    return host, int(port)


def poll_once(client: Any, ingest: LiveIngest, meters: Sequence[Meter],
              register_map: RegisterMap, *, host: str, ts_ms: int | None = None) -> int:
    """Read every mapped point of `meters` once and add the readings to ``ingest.batch``.

    Contiguous points of one unit and function are read in one request (at most
    :data:`MAX_SPAN` registers). A failed request is a dead letter for each meter it
    served.

    Parameters
    ----------
    client : pymodbus.client.ModbusTcpClient
        A connected client.
    ingest : LiveIngest
        Receives the readings.
    meters : sequence of Meter
        Meters with ``modbus_point`` set.
    register_map : RegisterMap
        The device's map.
    host : str
        ``host:port`` (for the dead-letter source).
    ts_ms : int, optional
        Time stamped on the readings (default now). [ms since the epoch, UTC]

    Returns
    -------
    int
        Readings added.
    """
    ts = int(time.time() * 1000) if ts_ms is None else ts_ms
    groups: dict[tuple[int, str], list[tuple[Meter, Point]]] = {}
    for m in meters:
        p = register_map.point(m.modbus_point)
        groups.setdefault((m.modbus_unit_id, register_map.resolved(p)[0]), []).append((m, p))
    added = 0
    for (unit_id, function), items in groups.items():
        items.sort(key=lambda mp: mp[1].address)
        chunks: list[list[tuple[Meter, Point]]] = []
        for mp in items:
            if chunks and mp[1].address + mp[1].count - chunks[-1][0][1].address <= MAX_SPAN:
                chunks[-1].append(mp)
            else:
                chunks.append([mp])
        for chunk in chunks:
            start = chunk[0][1].address
            count = max(p.address + p.count for _, p in chunk) - start
            read = (client.read_input_registers if function == "input"
                    else client.read_holding_registers)
            source = f"modbus://{host}/{unit_id}/{function}/{start}"
            try:
                response = read(start, count=count, device_id=unit_id)
                if response.isError():
                    raise OSError(str(response))
                regs = list(response.registers)
            except Exception as err:  # noqa: BLE001 - any failed read is a dead letter
                for m, _ in chunk:
                    ingest.dead_letter(source, m.meter_id.encode(), f"read failed: {err}",
                                       received_ms=ts)
                continue
            for m, p in chunk:
                _, word, byte = register_map.resolved(p)
                off = p.address - start
                value = decode_registers(regs[off:off + p.count], p.type, word_order=word,
                                         byte_order=byte) * p.scale
                ingest.add_value(m, ts, value, p.unit, f"{source}#{p.name}")
                added += 1
    return added


def run_modbus(store: Any, park: Park, *, host: str, register_map: RegisterMap,
               interval_s: float = 60.0, polls: int | None = None,
               ts_ms: Sequence[int] | None = None) -> IngestStats:
    """Poll the park's meters on `host` every `interval_s`, committing after each poll.

    Parameters
    ----------
    store : DuckDBStore
        Target store.
    park : Park
        Park whose meters with ``modbus_host`` = `host` are polled.
    host : str
        ``host[:port]`` (port 502 by default).
    register_map : RegisterMap
        The devices' map.
    interval_s : float
        Poll period; polls are aligned to multiples of it. [s]
    polls : int, optional
        Stop after this many polls (default: run until interrupted).
    ts_ms : sequence of int, optional
        Timestamps to stamp on successive polls instead of the clock (tests). [ms]

    Returns
    -------
    IngestStats

    Raises
    ------
    InputError
        No meter of the park has this ``modbus_host``, or a point is not in the map.
    """
    from pymodbus.client import ModbusTcpClient

    name, port = _parse_host(host)
    key = f"{name}:{port}"
    meters = [m for m in park.meters if m.modbus_host and
              "{}:{}".format(*_parse_host(m.modbus_host)) == key]
    if not meters:
        raise InputError(f"no meter has modbus_host {host!r}", field="host")
    for m in meters:
        register_map.point(m.modbus_point)
    ingest = LiveIngest(store, park, derive_interval_s=0.0)
    client = ModbusTcpClient(name, port=port, timeout=3)
    done = 0
    try:
        while polls is None or done < polls:
            if not client.connected:
                client.connect()  # type: ignore[no-untyped-call]
            stamp = ts_ms[done] if ts_ms is not None else None
            poll_once(client, ingest, meters, register_map, host=key, ts_ms=stamp)
            ingest.flush()
            ingest.derive(force=True)
            done += 1
            if polls is not None and done >= polls:
                break
            if ts_ms is None:
                time.sleep(interval_s - time.time() % interval_s)
    finally:
        client.close()  # type: ignore[no-untyped-call]
    return ingest.stats
