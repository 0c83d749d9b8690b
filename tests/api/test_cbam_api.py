"""CBAM routes: goods and defaults, installations kept in the store, SEE and documents.

The park holds the demo installation's enterprise (``wujin-fasteners``) with the
demo activity file imported into the ledger, so the SEE served from the store
must equal the CLI's computation from the activity file (the ``example``
fixture of ``tests/conftest.py``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from zeropark.accounting.ledger import import_activity
from zeropark.api.main import create_app
from zeropark.cbam.communication import SHEETS
from zeropark.cbam.cost import estimate_certificate_cost
from zeropark.cbam.defaults import default_value
from zeropark.cbam.goods import lookup_good, search_goods
from zeropark.cbam.installation import example_path, read_installation
from zeropark.cbam.pipeline import result_document
from zeropark.cbam.qreport import NAMESPACE, load_schema, validate_qreport
from zeropark.cbam.supplier import supplier_requests
from zeropark.model import parse_park
from zeropark.store.duckdb import DuckDBStore

PARK = """
[park]
id = "cz"
name = "Changzhou test park"
timezone = "Asia/Shanghai"

[settings]
grid_region = "CN-East"

[[enterprises]]
id = "wujin-fasteners"

[[enterprises]]
id = "other-co"
"""
ENT = "/api/v1/parks/cz/enterprises/wujin-fasteners"
BASE = ENT + "/cbam/installations"
INST = BASE + "/CN-CZ-WJ-0001"
TOML = {"Content-Type": "application/toml"}
REPORT = {"period": "Q4", "year": 2025,
          "declarant": {"identification_number": "DE123456789012345",
                        "name": "Demo Importer GmbH", "country": "DE", "city": "Hamburg"},
          "competent_authority": "DE000001", "signatory": "A. Example",
          "signatory_position": "Customs manager", "report_id": "ZP-2025Q4-0001",
          "lines": [{"cn_code": "73181588", "net_mass_t": 120},
                    {"cn_code": "7318 16 99", "net_mass_t": 40.5}]}


@pytest.fixture(scope="module")
def api(tmp_path_factory, sign_in) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("cbam-api")
    park = parse_park(PARK, source="park.toml")
    path = folder / "s.duckdb"
    with DuckDBStore(path) as store:
        store.save_park(park)
        import_activity(store, park, example_path().parent /
                        "changzhou_fasteners_activity.csv")
    app = create_app(path)
    with TestClient(app) as client:
        user = sign_in(client, "wujin", role="enterprise-user", park_id="cz",
                       enterprise_id="wujin-fasteners")
        r = client.post(BASE, content=example_path().read_text(encoding="utf-8"),
                        headers={**user, **TOML})
        assert r.status_code == 201, r.text
        yield {"client": client, "app": app, "user": user, "admin": sign_in(client),
               "verifier": sign_in(client, "wujin-verifier", role="verifier", park_id="cz",
                                   enterprise_id="wujin-fasteners",
                                   expires_at=datetime.now(UTC) + timedelta(days=1)),
               "other": sign_in(client, "other", role="enterprise-user", park_id="cz",
                                enterprise_id="other-co")}
    app.state.store.close()


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def test_upload_and_listing(api) -> None:
    client = api["client"]
    listed = client.get(BASE, headers=api["verifier"]).json()
    assert [(r["installation_id"], r["uploaded_by"]) for r in listed] == [
        ("CN-CZ-WJ-0001", "wujin")]
    doc = client.get(INST, headers=api["user"]).json()
    assert doc["toml"] == example_path().read_text(encoding="utf-8")
    assert doc["period"] == ["2025-01-01", "2026-01-01"]


def test_see_equals_the_cli_computation(api, example) -> None:
    r = api["client"].get(INST + "/see", headers=api["verifier"])
    assert r.status_code == 200, r.text
    got, want = r.json(), _json(result_document(example))
    for doc in (got, want):  # the store lists ledger records by id, the file in file order
        for process in doc["processes"]:
            process["lines"].sort(key=lambda line: line["line_id"])
    assert got == want


def test_goods_and_default_values(api) -> None:
    client, headers = api["client"], api["other"]  # any signed-in user
    r = client.get("/api/v1/cbam/goods", params={"q": "731815", "limit": 5}, headers=headers)
    assert [g["cn_code"] for g in r.json()] == [g.cn_code for g in search_goods("731815",
                                                                                limit=5)]
    good = client.get("/api/v1/cbam/goods/73181588", headers=headers).json()
    ref = lookup_good("73181588")
    assert (good["category"], good["indirect_counts"], good["cn_display"]) == (
        ref.category, ref.indirect_counts, ref.cn_display)
    r = client.get("/api/v1/cbam/goods/73181588/default-value",
                   params={"country": "CN", "year": 2027}, headers=headers)
    v = default_value("73181588", "CN", year=2027)
    assert r.json()["marked_up_t_per_t"] == v.marked_up_t_per_t
    assert r.json()["direct_t_per_t"] == v.direct_t_per_t
    r = client.get("/api/v1/cbam/goods/73181588/default-value",
                   params={"country": "Atlantis"}, headers=headers)
    assert r.json()["fallback"] is True  # "Other countries and territories"
    for url, status in (("/api/v1/cbam/goods/99999999", 404), ("/api/v1/cbam/goods/7318", 422),
                        ("/api/v1/cbam/goods/99999999/default-value", 422)):
        r = client.get(url, headers=headers)
        assert r.status_code == status, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"


def test_certificate_costs(api, example) -> None:
    client = api["client"]
    params = {"cn_code": "73181588", "mass_t": 100, "year": 2026, "price_eur_per_t": 80}
    r = client.get("/api/v1/cbam/cost", params=params, headers=api["other"])
    v = default_value("73181588", "CN", year=2026)
    want = estimate_certificate_cost("73181588", mass_t=100, see_direct_t_per_t=float(
        v.marked_up_t_per_t), year=2026, price_eur_per_t=80)
    assert r.json()["cost_eur"] == pytest.approx(want.cost_eur, rel=1e-12)
    r = client.get(INST + "/cost", params=params, headers=api["verifier"])
    assert r.status_code == 200, r.text
    bolts = example.good("73181588")
    want = estimate_certificate_cost("73181588", mass_t=100,
                                     see_direct_t_per_t=bolts.see_direct_t_per_t,
                                     see_indirect_t_per_t=bolts.see_indirect_t_per_t,
                                     year=2026, price_eur_per_t=80)
    assert r.json()["certificates"] == pytest.approx(want.certificates, rel=1e-12)
    assert r.json()["cost_eur"] == pytest.approx(want.cost_eur, rel=1e-12)
    r = client.get("/api/v1/cbam/cost", params={**params, "year": 2025}, headers=api["other"])
    assert r.status_code == 422
    r = client.get(INST + "/cost", params={**params, "cn_code": "72142000"},
                   headers=api["user"])
    assert r.status_code == 422 and "not produced" in r.json()["detail"]


def test_communication_and_supplier_requests(api) -> None:
    client = api["client"]
    r = client.get(INST + "/communication", headers=api["verifier"])
    assert r.status_code == 200
    assert r.headers["content-type"] == ("application/vnd.openxmlformats-officedocument."
                                         "spreadsheetml.sheet")
    assert "CN-CZ-WJ-0001-2025-cbam.xlsx" in r.headers["content-disposition"]
    assert tuple(load_workbook(io.BytesIO(r.content)).sheetnames) == SHEETS
    r = client.get(INST + "/supplier-requests", params={"all": True}, headers=api["user"])
    assert r.json()["requests"] == supplier_requests(read_installation(example_path()),
                                                     only_missing=False)


def test_quarterly_report(api, cbam_dir) -> None:
    client = api["client"]
    r = client.post(INST + "/qreport", json=REPORT, headers=api["user"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/xml"
    assert validate_qreport(r.content, load_schema(cbam_dir)) == ()
    assert f'xmlns="{NAMESPACE}"' in r.text and "<DraftReportId>ZP-2025Q4-0001<" in r.text
    bad = {**REPORT, "declarant": {**REPORT["declarant"],
                                   "identification_number": "DE1234567890123456789"}}
    r = client.post(INST + "/qreport", json=bad, headers=api["user"])
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] == [{"path": "/QReport/Declarant/IdentificationNumber",
                                   "reason": "value length cannot be greater than 17"}]
    r = client.post(INST + "/qreport", json={**REPORT, "lines": [
        {"cn_code": "72142000", "net_mass_t": 1}]}, headers=api["user"])
    assert r.status_code == 422 and "not produced" in r.json()["detail"]
    # verifiers are read-only
    assert client.post(INST + "/qreport", json=REPORT,
                       headers=api["verifier"]).status_code == 403


def test_installation_access_and_bad_files(api) -> None:
    client = api["client"]
    text = example_path().read_text(encoding="utf-8")
    for headers in (api["other"], api["verifier"]):
        assert client.post(BASE, content=text, headers={**headers, **TOML}).status_code == 403
    for url in (BASE, INST, INST + "/see", INST + "/communication"):
        r = client.get(url, headers=api["other"])
        assert r.status_code == 403, url
    other = "/api/v1/parks/cz/enterprises/other-co/cbam/installations"
    r = client.post(other, content=text, headers={**api["admin"], **TOML})
    assert r.status_code == 422 and "enterprise_id" in r.json()["detail"]
    for body, needle in (("[installation\n", "invalid TOML"),
                         ("installation = 3\n", "missing table [installation]"),
                         (text.replace('activity_level_t = 6000.0',
                                       'activity_level_t = "many"'), "not a number"),
                         ("", "empty body")):
        r = client.post(BASE, content=body, headers={**api["user"], **TOML})
        assert r.status_code == 422, body
        assert r.headers["content-type"] == "application/problem+json"
        assert needle in r.json()["detail"]
    assert client.get(BASE + "/nope/see", headers=api["user"]).status_code == 404
    # delete and re-upload (the enterprise's own user may)
    assert client.delete(INST, headers=api["verifier"]).status_code == 403
    assert client.delete(INST, headers=api["user"]).status_code == 204
    assert client.get(INST, headers=api["user"]).status_code == 404
    assert client.post(BASE, content=text, headers={**api["user"], **TOML}).status_code == 201
