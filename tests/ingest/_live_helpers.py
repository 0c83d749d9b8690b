"""Real components for the live-ingest tests: loopback ports and a mosquitto broker.

Imported by the test modules (not a conftest.py: several test folders have no
__init__.py, so a second ``conftest`` module name would collide under --doctest-modules).
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).exists()), None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("mosquitto is missing in CI: .ci/run must install it")
        pytest.skip("mosquitto not installed (apt-get install mosquitto)")
    return found


def run_broker(tmp_path):
    """A fresh mosquitto on 127.0.0.1:<free port>; yields "127.0.0.1:PORT" (a fixture body)."""
    binary = mosquitto_binary()
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "persistence false\n"
        # Queue everything for an offline persistent session (default 1000, then drops).
        "max_queued_messages 0\n"
        "max_inflight_messages 0\n"
    )
    log = open(tmp_path / "mosquitto.log", "wb")
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
