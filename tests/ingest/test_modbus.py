"""Modbus TCP polling against pymodbus's simulator device on a loopback port."""

import asyncio
import threading

import pandas as pd
import pytest
from _live_helpers import free_port, wait_port
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType as SimType
from pymodbus.simulator import SimData, SimDevice

from zeropark.errors import InputError
from zeropark.ingest.modbus import (
    decode_registers,
    encode_registers,
    load_register_map,
    run_modbus,
)
from zeropark.model import parse_park

PARK = """
[park]
id = "mb"
name = "Modbus test park"
timezone = "UTC"

[[meters]]
id = "sdm_import"
medium = "electricity"
unit = "kWh"
kind = "total_increasing"
modbus_host = "127.0.0.1:{port}"
modbus_unit_id = 1
modbus_point = "import_energy"

[[meters]]
id = "sdm_power"
medium = "electricity"
quantity = "power"
unit = "kW"
kind = "measurement"
modbus_host = "127.0.0.1:{port}"
modbus_unit_id = 1
modbus_point = "total_power"
"""


class Simulator:
    """A pymodbus simulated SDM630 whose input registers follow `self.values` (by address)."""

    def __init__(self, port):
        self.values = {}
        self.port = port
        self.loop = asyncio.new_event_loop()
        device = SimDevice(id=1, simdata=[SimData(address=0, count=400, values=0,
                                                  datatype=SimType.REGISTERS)],
                           action=self.action)
        self.server = None
        self.thread = threading.Thread(target=self._run, args=(device,), daemon=True)
        self.thread.start()
        wait_port(port)

    async def action(self, function_code, start_address, address, count, current_registers,
                     set_values):
        for addr, word in self.values.items():
            if 0 <= addr - start_address < len(current_registers):
                current_registers[addr - start_address] = word
        return None

    def set_float(self, address, value):
        hi, lo = encode_registers(value, "float32")
        self.values[address], self.values[address + 1] = hi, lo

    def _run(self, device):
        asyncio.set_event_loop(self.loop)

        async def serve():
            self.server = ModbusTcpServer(device, address=("127.0.0.1", self.port))
            await self.server.serve_forever()

        self.loop.run_until_complete(serve())

    def stop(self):
        fut = asyncio.run_coroutine_threadsafe(self.server.shutdown(), self.loop)
        fut.result(5)
        self.thread.join(5)


@pytest.fixture
def simulator():
    sim = Simulator(free_port())
    yield sim
    sim.stop()


def test_decode_word_orders():
    for type_ in ("int16", "uint16", "int32", "uint32", "int64", "uint64", "float32",
                  "float64"):
        for word in ("big", "little"):
            for byte in ("big", "little"):
                value = 1234.0 if type_.startswith(("int", "float")) else 4321.0
                regs = encode_registers(value, type_, word_order=word, byte_order=byte)
                assert decode_registers(regs, type_, word_order=word, byte_order=byte) == value


def test_sdm630_poll_with_meter_reset(simulator, make_store):
    park = parse_park(PARK.format(port=simulator.port))
    rmap = load_register_map("eastron_sdm630")
    imports = [1000.0, 1000.5, 1001.5, 3.0, 4.0]  # the register was reset after the 3rd poll
    t0 = pd.Timestamp("2024-03-01", tz="UTC")
    stamps = [int((t0 + pd.Timedelta(minutes=15 * k)).value // 1_000_000) for k in range(5)]
    with make_store() as store:
        for k, value in enumerate(imports):
            simulator.set_float(0x0048, value)
            simulator.set_float(0x0034, 2000.0)
            stats = run_modbus(store, park, host=f"127.0.0.1:{simulator.port}",
                               register_map=rmap, polls=1, ts_ms=[stamps[k]])
            assert stats.readings == 2 and stats.dead_letters == 0
        iv = store.intervals("mb", ["sdm_import"])
        power = store.intervals("mb", ["sdm_power"])
    assert iv["energy"].tolist() == [0.5, 1.0, 3.0, 1.0]
    assert "counter_reset" in iv["flags"].iloc[2]
    assert power["energy"].tolist() == [0.5, 0.5, 0.5, 0.5]  # 2 kW for 15 min


def test_failed_read_is_a_dead_letter(simulator, make_store):
    text = PARK.format(port=simulator.port).replace("modbus_unit_id = 1\nmodbus_point = "
                                                    "\"total_power\"",
                                                    "modbus_unit_id = 7\nmodbus_point = "
                                                    "\"total_power\"")
    park = parse_park(text)
    with make_store() as store:
        stats = run_modbus(store, park, host=f"127.0.0.1:{simulator.port}",
                           register_map=load_register_map("eastron_sdm630"), polls=1,
                           ts_ms=[0])
        dead = store.dead_letters("mb")
    assert stats.readings == 1 and stats.dead_letters == 1
    assert dead["reason"].iloc[0].startswith("read failed")


def test_unknown_point_is_refused():
    with pytest.raises(InputError, match="no point 'nope'"):
        load_register_map("eastron_sdm630").point("nope")
