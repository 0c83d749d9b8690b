"""PostgreSQL server mode: URL selection, monthly partitions, migrations, concurrent writers.

The shared store behaviour runs on both back-ends in ``test_ingest_store.py``; these cases
are what only a server has. Expected values are counted by hand from the files written.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from zeropark.ingest.load import ingest_file
from zeropark.model import parse_park
from zeropark.store import DuckDBStore, open_store

PARK = """\
[park]
id = "p"
name = "Server park"
timezone = "Asia/Shanghai"
{meters}
"""
METER = """
[[meters]]
id = "{id}"
medium = "electricity"
unit = "kWh"
kind = "total"
"""


@pytest.fixture
def store_backend() -> str:
    """Only PostgreSQL here (overrides the parametrised conftest fixture)."""
    return "postgres"


def _park_text(meter_ids: list[str]) -> str:
    return PARK.format(meters="".join(METER.format(id=m) for m in meter_ids))


def _csv(path: Path, meter_id: str, start: str, hours: int, value: float) -> Path:
    stamps = pd.date_range(start, periods=hours, freq="h")
    path.write_text("meter_id,timestamp,value\n"
                    + "".join(f"{meter_id},{t:%Y-%m-%d %H:%M},{value}\n" for t in stamps),
                    encoding="utf-8")
    return path


def test_store_url_selects_the_back_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEROPARK_STORE_URL", f"duckdb:///{tmp_path}/via-url.duckdb")
    with open_store() as db:
        assert isinstance(db, DuckDBStore)
        assert db.path == f"{tmp_path}/via-url.duckdb"
    monkeypatch.delenv("ZEROPARK_STORE_URL")
    monkeypatch.setenv("ZEROPARK_STORE_PATH", str(tmp_path / "via-path.duckdb"))
    with open_store() as db:
        assert db.path == str((tmp_path / "via-path.duckdb").absolute())


@pytest.mark.postgres
def test_store_url_opens_postgres(make_store, monkeypatch: pytest.MonkeyPatch) -> None:
    from zeropark.store.postgres import PostgresStore

    with make_store() as first:
        locator = first.locator
    monkeypatch.setenv("ZEROPARK_STORE_URL", locator)
    with open_store() as db:
        assert isinstance(db, PostgresStore)
        assert db.locator == locator
        assert "zeropark@" in db.path and ":zeropark@" not in db.path  # password redacted


@pytest.mark.postgres
def test_readings_and_intervals_are_partitioned_by_month(make_store, tmp_path: Path) -> None:
    park = parse_park(_park_text(["m1"]), source="park.toml")
    with make_store() as db:
        # local 2024-01-31 20:00 … 2024-02-01 03:00 = UTC 12:00 … 19:00 on 31 Jan; then March
        ingest_file(db, park, _csv(tmp_path / "a.csv", "m1", "2024-01-31 20:00", 8, 1.0))
        ingest_file(db, park, _csv(tmp_path / "b.csv", "m1", "2024-03-01 09:00", 2, 1.0))
        assert db.partitions("readings") == ["readings_p202401", "readings_p202403"]
        # February has no readings, but its intervals are estimated (gap fill).
        assert db.partitions("intervals") == ["intervals_p202401", "intervals_p202402",
                                              "intervals_p202403"]
        counts = db.query("SELECT tableoid::regclass::text AS part, count(*) AS n "
                          "FROM readings GROUP BY 1 ORDER BY 1")
        assert counts.values.tolist() == [["readings_p202401", 8], ["readings_p202403", 2]]
        # A UTC month boundary: local 2024-03-01 07:00 is UTC 2024-02-29 23:00.
        ingest_file(db, park, _csv(tmp_path / "c.csv", "m1", "2024-03-01 07:00", 1, 1.0))
        assert "readings_p202402" in db.partitions("readings")
        iv = db.intervals("p", ["m1"])
        assert iv.loc[~iv["estimated"].astype(bool), "energy"].sum() == 11.0


@pytest.mark.postgres
def test_migrations_are_versioned(make_store) -> None:
    from zeropark.store.migrations import current

    with make_store() as db:
        assert current(db.url, schema=db.schema) == "0002"
        tables = set(db.query("SELECT table_name FROM information_schema.tables "
                              "WHERE table_schema = ?", [db.schema])["table_name"])
    assert {"readings", "intervals", "rollups", "users", "audit_log", "indicator_inputs",
            "derive_state", "alembic_version"} <= tables


_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from zeropark.ingest.load import ingest_file
    from zeropark.model import parse_park
    from zeropark.store.postgres import PostgresStore

    locator, park_file, *files = sys.argv[1:]
    park = parse_park(Path(park_file).read_text(encoding="utf-8"), source="park.toml")
    with PostgresStore(locator) as db:
        for path in files:
            ingest_file(db, park, path)
""")


@pytest.mark.postgres
def test_two_processes_ingest_at_the_same_time(make_store, tmp_path: Path) -> None:
    """Two writer processes, one shared meter with identical readings, new months for both."""
    meters = ["shared", "a", "b"]
    park_file = tmp_path / "park.toml"
    park_file.write_text(_park_text(meters), encoding="utf-8")
    with make_store() as db:  # migrate once; the writers open the same schema
        locator = db.locator
    files = {w: [] for w in "ab"}
    for w, value in (("a", 2.0), ("b", 3.0)):
        for month in ("2024-01-10", "2024-02-10", "2024-03-10"):
            files[w].append(_csv(tmp_path / f"{w}-{month}.csv", w, month, 48, value))
        # both writers also send the same 48 hourly readings of the shared meter
        files[w].append(_csv(tmp_path / f"{w}-shared.csv", "shared", "2024-04-01", 48, 1.0))
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, locator, str(park_file),
                               *map(str, files[w])], stderr=subprocess.PIPE, text=True)
             for w in "ab"]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    with make_store() as db:
        n = db.query("SELECT meter_id, count(*) AS n FROM readings GROUP BY 1 ORDER BY 1")
        assert n.values.tolist() == [["a", 144], ["b", 144], ["shared", 48]]
        month = db.rollups("p", "month")
        month["measured"] = month["energy"] - month["estimated_energy"]
        measured = month.pivot(index="period_start", columns="meter_id", values="measured")
        assert measured["a"].dropna().tolist() == [96.0, 96.0, 96.0]  # 48 h × 2 kWh
        assert measured["b"].dropna().tolist() == [144.0, 144.0, 144.0]  # 48 h × 3 kWh
        assert db.rollups("p", "day")["meter_id"].value_counts()["shared"] == 2
        assert set(db.partitions("readings")) == {f"readings_p2024{m:02d}" for m in (1, 2, 3, 4)}
