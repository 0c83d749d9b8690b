"""Shared fixtures: the Cambridge demo park loaded once per test session."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def cambridge_root() -> Path:
    """The Cambridge archive folder under ZEROPARK_DATA_DIR (CI sets it to ../shared/data)."""
    data_dir = os.environ.get("ZEROPARK_DATA_DIR")
    if not data_dir or not (Path(data_dir) / "cambridge-estates").is_dir():
        pytest.skip("ZEROPARK_DATA_DIR with cambridge-estates/ is not set (CI sets it)")
    return Path(data_dir) / "cambridge-estates"


@pytest.fixture(scope="session")
def demo_store(cambridge_root, tmp_path_factory):
    """A DuckDB store with the demo park loaded: (store path, park, ingest report)."""
    from zeropark.demo.cambridge import load_demo
    from zeropark.store import DuckDBStore

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with DuckDBStore(path) as store:
        park, report = load_demo(store, cambridge_root, park_file=path.parent / "park.toml")
    return path, park, report


@pytest.fixture(scope="session")
def example():
    """CBAM: the demo installation's result (src/zeropark/cbam/examples/changzhou_fasteners)."""
    from zeropark.accounting.activity import read_activity_file
    from zeropark.cbam.installation import example_path, read_installation
    from zeropark.cbam.pipeline import compute_installation, installation_inventory

    inst = read_installation(example_path())
    inv = installation_inventory(inst, read_activity_file(inst.activity_file))
    return compute_installation(inst, inv)


@pytest.fixture(scope="session")
def cbam_dir() -> Path:
    """CBAM: ZEROPARK_DATA_DIR/cbam with the QReport XSD (CI sets ZEROPARK_DATA_DIR)."""
    data_dir = os.environ.get("ZEROPARK_DATA_DIR")
    if not data_dir or not (Path(data_dir) / "cbam" / "QReport_17.03.xsd").is_file():
        pytest.skip("ZEROPARK_DATA_DIR with cbam/ is not set (CI sets it)")
    return Path(data_dir) / "cbam"
