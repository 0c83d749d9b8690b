"""Browser tests of the dashboard: Debian chromium driven by Playwright against a live server.

The fixture copies the demo store, adds a park-admin, starts ``zeropark serve`` on a free
loopback port and signs in through the login form. Each panel must render from the demo
data and show the API's numbers; the language switch and the drill-down to an enterprise
and a meter are exercised. Screenshots go to ``artifacts/`` (git-ignored); with
``ZEROPARK_UPDATE_DOCS_SCREENSHOT=1`` the overview also refreshes ``docs/dashboard.png``.

Never runs ``playwright install``: it uses ``/usr/bin/chromium`` (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
PASSWORD = "browser-test-pw-1"
PANELS = ["structure", "daily", "co2", "top", "flow", "trend", "ranking", "alarms",
          "contribution", "indicators"]

playwright_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.is_file():
    pytest.skip("Debian chromium is not installed (.ci/run installs it)",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo_store, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """A running ``zeropark serve`` over a copy of the demo store: base URL and admin token."""
    from zeropark.auth import add_user
    from zeropark.store import DuckDBStore

    source, park, _ = demo_store
    folder = tmp_path_factory.mktemp("served")
    store_path = folder / "demo.duckdb"
    shutil.copy(source, store_path)
    with DuckDBStore(store_path) as db:
        from zeropark.auth import ensure_auth_schema

        ensure_auth_schema(db)
        add_user(db, "admin", PASSWORD, role="park-admin", replace=True)
    port = _free_port()
    env = {**os.environ, "ZEROPARK_SECRET_KEY": "browser-test-only-key-" + "x" * 32}
    proc = subprocess.Popen(
        [sys.executable, "-m", "zeropark.cli", "serve", "--store", str(store_path),
         "--port", str(port), "--host", "127.0.0.1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/api/v1/parks", timeout=2)
        except urllib.error.HTTPError as err:
            if err.code == 401:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out = proc.stdout.read().decode() if proc.stdout else ""
            pytest.fail(f"zeropark serve did not start: {out}")
        time.sleep(0.2)
    request = urllib.request.Request(
        base + "/api/v1/auth/token", method="POST",
        data=json.dumps({"username": "admin", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"})
    token = json.load(urllib.request.urlopen(request, timeout=10))["access_token"]
    try:
        yield {"base": base, "token": token, "park_id": park.park_id}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def api(server: dict[str, Any], path: str) -> Any:
    """GET an /api/v1 path as the admin."""
    request = urllib.request.Request(server["base"] + "/api/v1" + path,
                                     headers={"Authorization": f"Bearer {server['token']}"})
    return json.load(urllib.request.urlopen(request, timeout=30))


@pytest.fixture(scope="module")
def page(server) -> Iterator[Any]:
    """A signed-in chromium page on the park overview."""
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1920, "height": 1080},
                                      locale="en-GB")
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.goto(server["base"] + "/", wait_until="domcontentloaded")
        pg.wait_for_selector('[data-panel="login"][data-ready="true"]', timeout=15000)
        pg.screenshot(path=str(ARTIFACTS / "login.png"))
        pg.fill("#login-user", "admin")
        pg.fill("#login-password", PASSWORD)
        pg.click("#login-submit")
        for name in PANELS:
            pg.wait_for_selector(f'[data-panel="{name}"][data-ready="true"]', timeout=30000)
        pg.evaluate("window.zeropark.setLang('en')")
        pg.wait_for_timeout(600)  # let chart animations finish before screenshots
        yield pg
        assert errors == [], errors
        browser.close()


def test_every_panel_renders(page) -> None:
    for name in PANELS:
        panel = page.locator(f'[data-panel="{name}"]')
        assert panel.get_attribute("data-ready") == "true"
        assert panel.get_attribute("data-error") is None
    page.screenshot(path=str(ARTIFACTS / "dashboard-en.png"))
    if os.environ.get("ZEROPARK_UPDATE_DOCS_SCREENSHOT"):
        page.screenshot(path=str(ROOT / "docs" / "dashboard.png"))


def test_kpis_equal_the_api(page, server) -> None:
    p = f"/parks/{server['park_id']}"
    summary = api(server, p + "/summary")
    kpis = api(server, p + "/kpis")

    def shown(name: str) -> float:
        value = page.get_attribute(f'[data-kpi="{name}"] .num', "data-value")
        return float(value)

    assert shown("energy") == pytest.approx(summary["totals"]["energy_kwh"], rel=1e-12)
    assert shown("co2") == pytest.approx(summary["totals"]["co2e_t"], rel=1e-12)
    assert shown("tce") == pytest.approx(summary["totals"]["tce"], rel=1e-12)
    assert shown("load") == pytest.approx(kpis["load_kw"], rel=1e-12)
    assert shown("today") == pytest.approx(kpis["today_kwh"], rel=1e-12)
    assert shown("quality") == sum(summary["quality"].values())
    # the formatted text matches the value too (MWh, no decimals)
    text = page.inner_text('[data-kpi="energy"] .num').replace(",", "")
    assert float(text) == round(summary["totals"]["energy_kwh"] / 1000)


def test_panels_hold_the_api_data(page, server) -> None:
    p = f"/parks/{server['park_id']}"
    data = page.evaluate("window.zeropark.data")
    assert data["flow"] == api(server, p + "/flow")
    assert data["ranking"] == api(server, p + "/enterprise-ranking")
    assert data["trend"] == api(server, p + "/carbon-trend")
    contribution = api(server, p + "/contribution")
    assert data["contribution"] == contribution
    alarms = api(server, p + "/alarms?limit=12&lang=en")
    assert page.get_attribute("#alarms-total", "data-value") == str(alarms["total"])
    assert page.locator("#alarm-list li.alarm").count() == len(alarms["items"])
    # the Sankey drew the API's links
    option = page.evaluate("window.zeropark.charts.flow.getOption().series[0].links.length")
    assert option == len(data["flow"]["links"])
    # the pie's centre shows the summary's tce total
    pie = page.evaluate("window.zeropark.charts.structure.getOption().series[0].data"
                        ".map(d => d.value)")
    summary = api(server, p + "/summary")
    assert sum(pie) == pytest.approx(sum(m["tce"] for m in summary["media"] if m["tce"] > 0),
                                     rel=1e-9)


def test_indicator_panel_shows_the_api_values(page, server) -> None:
    report = api(server, f"/parks/{server['park_id']}/indicators?level=park")
    first = report["indicators"][0]
    row = page.locator('[data-panel="indicators"] tbody tr').first
    assert row.get_attribute("data-indicator") == first["indicator_id"]
    assert float(row.locator(".ind-value").get_attribute("data-value")) == first["value"]
    assert page.locator('[data-panel="indicators"] tbody tr').count() == len(report["indicators"])


def test_language_switch(page) -> None:
    page.click("#lang-toggle")
    page.wait_for_function("window.zeropark.lang === 'zh'")
    assert page.inner_text('[data-panel="flow"] h2 span') == "能流图"
    assert page.inner_text('[data-kpi="load"] .kpi-label') == "实时负荷"
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / "dashboard-zh.png"))
    page.click("#lang-toggle")
    page.wait_for_function("window.zeropark.lang === 'en'")
    assert page.inner_text('[data-panel="flow"] h2 span') == "Energy flow"


def test_drill_down_to_enterprise_and_meter(page, server) -> None:
    p = f"/parks/{server['park_id']}"
    ranking = api(server, p + "/enterprise-ranking")
    enterprise = ranking[0]["enterprise_id"]
    page.evaluate(f"window.location.hash = '#/enterprise/{enterprise}'")
    page.wait_for_selector(f'[data-panel="drill"][data-ready="true"][data-id="{enterprise}"]')
    summary = api(server, f"{p}/enterprises/{enterprise}/summary?period=year")
    shown = float(page.get_attribute("#drill-totals", "data-value"))
    assert shown == pytest.approx(summary["totals"]["energy_kwh"], rel=1e-12)
    page.screenshot(path=str(ARTIFACTS / "enterprise.png"))
    # month picker → daily buckets
    page.select_option("#drill-period", "month")
    page.wait_for_function("document.querySelector('#drill-range').textContent.includes('-01 –')")
    meter = page.locator("#drill-table a").first
    meter_id = meter.inner_text()
    meter.click()
    page.wait_for_selector(f'[data-panel="drill"][data-ready="true"][data-id="{meter_id}"]')
    info = api(server, f"{p}/meters/{meter_id}")
    assert info["meter_id"] == meter_id
    day = info["last_interval"][:10]
    page.select_option("#drill-period", "day")
    page.wait_for_function(f"document.querySelector('#drill-range').textContent.startsWith('{day}')")
    page.wait_for_selector('[data-panel="drill"][data-ready="true"]')
    end = page.evaluate("d => window.zeroparkDrill.periodRange('day', d)[1]", day)
    series = api(server, f"{p}/meters/{meter_id}/series?start={day}&end={end}&interval=15min")
    total = sum(v or 0 for s in series["series"] for v in s["energy_kwh"])
    shown = float(page.get_attribute("#drill-totals", "data-value"))
    assert shown == pytest.approx(total, rel=1e-9)
    page.screenshot(path=str(ARTIFACTS / "meter.png"))
    page.evaluate("window.location.hash = '#/'")
    page.wait_for_selector('#park-view:not([hidden])')
