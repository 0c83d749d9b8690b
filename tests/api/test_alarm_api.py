"""The alarm-log API: detect on a small store with planted spikes, list, acknowledge.

Park "alarms" has enterprises ``ent-a`` and ``ent-b`` with one interval meter each; each
meter (rated 20 kW) has one planted 400-500 kWh hour, so detection finds a ``spike`` alarm
per meter (ingest sets negatives unknown, so a spike is what reaches detection).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from zeropark.api.main import create_app
from zeropark.auth import add_token
from zeropark.ingest.load import ingest_file
from zeropark.model import parse_park
from zeropark.store.duckdb import DuckDBStore

PARK = """\
[park]
id = "alarms"
name = "Alarm park"
timezone = "Asia/Shanghai"

[settings]
grid_factor = "cn_grid_mee_2023_east"

[[enterprises]]
id = "ent-a"
name = "A Co"

[[enterprises]]
id = "ent-b"
name = "B Co"

[[buildings]]
id = "bld-a"
name = "A hall"
enterprise = "ent-a"
floor_area_m2 = 100

[[buildings]]
id = "bld-b"
name = "B hall"
enterprise = "ent-b"
floor_area_m2 = 100

[[meters]]
id = "mtr-a"
medium = "electricity"
unit = "kWh"
kind = "total"
rated_power_kw = 20
building = "bld-a"

[[meters]]
id = "mtr-b"
medium = "electricity"
unit = "kWh"
kind = "total"
rated_power_kw = 20
building = "bld-b"
"""
BASE = "/api/v1/parks/alarms/alarm-log"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("alarm-api")
    park = parse_park(PARK, source="park.toml")
    stamps = pd.date_range("2024-01-01", periods=72, freq="h")
    planted = {("mtr-a", 10): 500.0, ("mtr-b", 20): 400.0}  # one spike each (20 kW rated)
    csv = folder / "r.csv"
    csv.write_text("meter_id,timestamp,value\n" + "".join(
        f"{m},{t:%Y-%m-%d %H:%M},{planted.get((m, i), 5.0 + i % 7)}\n"
        for i, t in enumerate(stamps) for m in ("mtr-a", "mtr-b")), encoding="utf-8")
    path = folder / "s.duckdb"
    with DuckDBStore(path) as store:
        ingest_file(store, park, csv)
    app = create_app(path)
    with TestClient(app) as client:
        yield {"client": client, "app": app}
    app.state.store.close()


@pytest.fixture(scope="module")
def detected(setup, sign_in) -> dict[str, Any]:
    client = setup["client"]
    admin = sign_in(client, "alarm-admin", role="park-admin")
    response = client.post(f"{BASE}/detect", headers=admin)
    assert response.status_code == 200, response.text
    return {"admin": admin, "result": response.json()}


def _ids(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, str]:
    response = client.get(BASE, headers=headers, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {a["meter_id"]: a["alarm_id"] for a in body["items"]
            if a["code"] == "spike"}


def test_detect_finds_the_planted_spikes_once(setup, detected) -> None:
    client, admin, result = setup["client"], detected["admin"], detected["result"]
    assert result["by_code"]["spike"] == 2
    assert result["new"] == result["stored"] == result["found"] >= 2
    again = client.post(f"{BASE}/detect", headers=admin).json()
    assert again["new"] == 0 and again["stored"] == result["stored"]


def test_admin_lists_and_acknowledges(setup, detected, sign_in) -> None:
    client, admin = setup["client"], detected["admin"]
    ids = _ids(client, admin)
    assert set(ids) == {"mtr-a", "mtr-b"}
    assert _ids(client, admin, meter_id="mtr-a") == {"mtr-a": ids["mtr-a"]}
    item = client.get(BASE, headers=admin, params={"meter_id": "mtr-b"}).json()["items"][0]
    assert (item["enterprise_id"], item["building_id"], item["acknowledged"]) == (
        "ent-b", "bld-b", False)
    ack = client.post(f"{BASE}/{ids['mtr-b']}/ack", headers=admin, json={"note": "checked"})
    assert ack.status_code == 200, ack.text
    body = ack.json()
    assert (body["acknowledged"], body["acknowledged_by"], body["ack_note"]) == (
        True, "alarm-admin", "checked")
    # twice: idempotent, the first acknowledgement is kept
    other = sign_in(client, "alarm-admin-2", role="park-admin")
    again = client.post(f"{BASE}/{ids['mtr-b']}/ack", headers=other, json={"note": "again"})
    assert again.status_code == 200
    assert again.json() == body
    assert "mtr-b" in _ids(client, admin, acknowledged="true")
    assert "mtr-b" not in _ids(client, admin, acknowledged="false")


def test_unknown_alarm_is_404_problem(setup, detected) -> None:
    response = setup["client"].post(f"{BASE}/000000000000/ack", headers=detected["admin"],
                                    json={"note": ""})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "000000000000" in response.json()["detail"]


def test_enterprise_user_sees_and_acknowledges_only_its_meters(setup, detected,
                                                               sign_in) -> None:
    client = setup["client"]
    ids = _ids(client, detected["admin"])
    user = sign_in(client, "a-user", role="enterprise-user", park_id="alarms",
                   enterprise_id="ent-a")
    listing = client.get(BASE, headers=user)
    assert listing.status_code == 200
    assert {a["enterprise_id"] for a in listing.json()["items"]} == {"ent-a"}
    assert "mtr-b" not in listing.text
    assert _ids(client, user, meter_id="mtr-b") == {}
    # another enterprise's alarm and an unknown id: both 403 (no probing)
    for alarm_id in (ids["mtr-b"], "000000000000"):
        response = client.post(f"{BASE}/{alarm_id}/ack", headers=user, json={"note": "x"})
        assert response.status_code == 403, response.text
    own = client.post(f"{BASE}/{ids['mtr-a']}/ack", headers=user, json={"note": "ours"})
    assert own.status_code == 200, own.text
    assert (own.json()["acknowledged_by"], own.json()["ack_note"]) == ("a-user", "ours")
    assert client.post(f"{BASE}/detect", headers=user).status_code == 403


def test_verifier_and_gateway(setup, detected, sign_in) -> None:
    client = setup["client"]
    ids = _ids(client, detected["admin"])
    verifier = sign_in(client, "a-verifier", role="verifier", park_id="alarms",
                       enterprise_id="ent-a",
                       expires_at=datetime.now(UTC) + timedelta(days=1))
    assert set(_ids(client, verifier)) == {"mtr-a"}
    gateway = {"Authorization": f"Bearer {add_token(setup['app'].state.store, 'gw-alarms', park_id='alarms')}"}  # noqa: E501
    for headers in (verifier, gateway):
        for url in (f"{BASE}/{ids['mtr-a']}/ack", f"{BASE}/detect"):
            assert client.post(url, headers=headers, json={}).status_code == 403
    assert client.get(BASE, headers=gateway).status_code == 403
    assert client.get(BASE).status_code == 401
