"""Shared fixtures: the Cambridge demo park loaded once per test session."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

#: URL of a PostgreSQL database the ``postgres`` tests may create schemas in
#: (``.ci/run`` starts one; locally: ``scripts/start_postgres.sh``).
POSTGRES_URL_ENV = "ZEROPARK_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """The test database URL; skips (fails under CI=true) when it is not set."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{POSTGRES_URL_ENV} is not set under CI (see .ci/run)")
        pytest.skip(f"{POSTGRES_URL_ENV} is not set (scripts/start_postgres.sh prints one)")
    return url


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_backend(request: pytest.FixtureRequest) -> str:
    """Back-end of the parametrised store tests: ``duckdb`` and ``postgres``."""
    return str(request.param)


@pytest.fixture
def make_store(store_backend: str, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Factory opening a store of `store_backend`: ``make_store(name="store")``.

    Calls with the same `name` open the same database again (a DuckDB file under
    `tmp_path`, or one PostgreSQL schema per test and name, dropped afterwards).
    """
    schemas: list[str] = []
    url = postgres_url() if store_backend == "postgres" else ""

    def make(name: str = "store", **kwargs: Any) -> Any:
        if store_backend == "duckdb":
            from zeropark.store import DuckDBStore

            return DuckDBStore(tmp_path / f"{name}.duckdb", **kwargs)
        from zeropark.store.postgres import PostgresStore

        schema = f"t_{abs(hash((str(tmp_path), name))) % 10**12:012d}"
        if schema not in schemas:
            schemas.append(schema)
        return PostgresStore(url, schema=schema, **kwargs)

    yield make
    if schemas:
        from zeropark.store.postgres import drop_schema

        for schema in schemas:
            drop_schema(url, schema)


@pytest.fixture
def store(make_store: Callable[..., Any]) -> Iterator[Any]:
    """A fresh empty store, on DuckDB and on PostgreSQL (marker ``postgres``)."""
    db = make_store()
    yield db
    db.close()


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
