"""Loopback load test of the dashboard endpoints with 2,000 meters × 1 year stored.

Usage::

    .venv/bin/python benchmarks/api.py [--meters 2000] [--requests 600] [--seconds 60]

1. Generates (once; reused) a DuckDB store with a synthetic park of `--meters` meters
   (10 enterprises, 200 buildings; electricity, gas and PV) and one year (2024) of
   15-minute intervals plus their hour/day/month/year rollups, written with SQL
   (2,000 × 35,136 = 70 million intervals). Values are synthetic load shapes, not data.
2. Starts ``zeropark serve`` on 127.0.0.1 (a free port) and signs in.
3. Times the first (cold, uncached) call of each endpoint, then sends at most
   `--requests` requests within `--seconds` from 4 client threads, round-robin over the
   endpoints, and prints p50/p95/max latency and the error count per endpoint.

Only 127.0.0.1 is contacted. Target: p95 < 100 ms for the summary.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

PARK_ID = "bench"
ENDPOINTS = ["summary", "kpis", "flow", "carbon-trend", "enterprise-ranking", "contribution",
             "alarms?limit=20", "daily", "monthly-co2", "top-buildings"]


def park_toml(n_meters: int) -> str:
    lines = ['[park]', f'id = "{PARK_ID}"', 'name = "Benchmark park"',
             'timezone = "Asia/Shanghai"', "", "[settings]",
             'grid_factor = "cn_grid_mee_2023_east"', ""]
    for e in range(10):
        lines += ["[[enterprises]]", f'id = "e{e}"', f'name = "Enterprise {e}"', ""]
    for b in range(200):
        lines += ["[[buildings]]", f'id = "b{b}"', f'name = "Building {b}"',
                  f'enterprise = "e{b % 10}"', f"floor_area_m2 = {1000 + 10 * b}", ""]
    for m in range(n_meters):
        medium = "pv" if m % 50 == 0 else "natural_gas" if m % 10 == 0 else "electricity"
        extra = {"pv": 'direction = "export"\n',
                 "natural_gas": 'calorific_basis = "net"\n'}.get(medium, "")
        lines += ["[[meters]]", f'id = "m{m}"', f'medium = "{medium}"', 'unit = "kWh"',
                  'kind = "total"', f'building = "b{m % 200}"', extra]
    return "\n".join(lines) + "\n"


def build_store(path: Path, n_meters: int) -> None:
    from zeropark.model import parse_park
    from zeropark.store.duckdb import DuckDBStore

    park = parse_park(park_toml(n_meters), source="benchmark")
    with DuckDBStore(path) as store:
        store.save_park(park)
        con = store.con
        t0 = time.perf_counter()
        # 15-min intervals of 2024 in UTC (local Asia/Shanghai = UTC+8, no DST), written
        # straight into the store's data tables (the views `intervals`/`rollups` are
        # read-only), with the meter keys save_park assigned.
        con.execute(f"""
            INSERT INTO interval_data
            SELECT k.meter_key,
                   TIMESTAMP '2023-12-31 16:00:00' + INTERVAL 15 MINUTE * t.range, 900,
                   round(greatest(0, (1 + m.range % 7) * (1.2 + sin(t.range / 96.0 * 6.2832 - 2)
                            + 0.2 * random())), 6), false, NULL
            FROM range({n_meters}) m
            JOIN meter_keys k ON k.park_id = '{PARK_ID}' AND k.meter_id = 'm' || m.range::VARCHAR
            CROSS JOIN range(35136) t
            ORDER BY 1, 2""")
        t1 = time.perf_counter()
        buckets = {"hour": "date_trunc('hour', interval_start)",
                   "day": "date_trunc('day', interval_start + INTERVAL 8 HOUR)",
                   "month": "date_trunc('month', interval_start + INTERVAL 8 HOUR)",
                   "year": "date_trunc('year', interval_start + INTERVAL 8 HOUR)"}
        for period, bucket in buckets.items():
            con.execute(f"""
                INSERT INTO rollup_data
                SELECT meter_key, '{period}', {bucket} AS start, round(sum(energy), 6), 0,
                       count(*), 0
                FROM interval_data GROUP BY meter_key, start ORDER BY meter_key, start""")
        t2 = time.perf_counter()
    print(f"generated {n_meters} meters × 35,136 intervals in {t1 - t0:.0f} s, "
          f"rollups in {t2 - t1:.0f} s → {path} ({path.stat().st_size / 2**30:.2f} GiB)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, token: str) -> tuple[float, int]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as err:
        status = err.code
    except OSError:
        status = 0
    return (time.perf_counter() - t0) * 1000.0, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--store", type=Path,
                        default=Path(os.environ.get("TMPDIR", "/tmp")) / "zeropark-bench"
                        / "api.duckdb")
    args = parser.parse_args()
    store = args.store
    if not store.is_file():
        store.parent.mkdir(parents=True, exist_ok=True)
        build_store(store, args.meters)
    from zeropark.auth import add_user, ensure_auth_schema
    from zeropark.store.duckdb import DuckDBStore

    with DuckDBStore(store) as db:
        ensure_auth_schema(db)
        add_user(db, "bench", "bench-password", role="park-admin", replace=True)
    port = free_port()
    env = {**os.environ, "ZEROPARK_SECRET_KEY": "benchmark-only-key-" + "x" * 32}
    proc = subprocess.Popen([sys.executable, "-m", "zeropark.cli", "serve", "--store",
                             str(store), "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(
                    base + "/api/v1/auth/token", method="POST",
                    data=json.dumps({"username": "bench", "password": "bench-password"}
                                    ).encode(), headers={"Content-Type": "application/json"})
                token = json.load(urllib.request.urlopen(request, timeout=10))["access_token"]
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("server did not start") from None
                time.sleep(0.3)
        urls = {e: f"{base}/api/v1/parks/{PARK_ID}/{e}" for e in ENDPOINTS}
        print(f"\ncold (first, uncached) call per endpoint, {args.meters} meters × 1 year:")
        for name, url in urls.items():
            ms, status = get(url, token)
            print(f"  {name:22s} {ms:8.1f} ms  HTTP {status}")
        results: dict[str, list[tuple[float, int]]] = {e: [] for e in ENDPOINTS}
        lock = threading.Lock()
        counter = iter(range(args.requests))
        stop_at = time.monotonic() + args.seconds

        def worker() -> None:
            while time.monotonic() < stop_at:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                name = ENDPOINTS[i % len(ENDPOINTS)]
                ms, status = get(urls[name], token)
                with lock:
                    results[name].append((ms, status))

        threads = [threading.Thread(target=worker) for _ in range(4)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        total = sum(len(v) for v in results.values())
        print(f"\nwarm load: {total} requests in {wall:.1f} s from 4 threads "
              f"(limits: {args.requests} requests, {args.seconds:.0f} s)")
        print(f"  {'endpoint':22s} {'n':>5s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} "
              f"{'errors':>6s}")
        errors = 0
        for name, rows in results.items():
            if not rows:
                continue
            ms = np.array([r[0] for r in rows])
            bad = sum(1 for r in rows if r[1] != 200)
            errors += bad
            print(f"  {name:22s} {len(rows):5d} {np.percentile(ms, 50):8.1f} "
                  f"{np.percentile(ms, 95):8.1f} {ms.max():8.1f} {bad:6d}")
        summary = np.array([r[0] for r in results["summary"]])
        p95 = float(np.percentile(summary, 95)) if summary.size else float("nan")
        print(f"\nsummary p95 = {p95:.1f} ms (target < 100 ms): "
              f"{'met' if p95 < 100 else 'NOT met'}; errors: {errors}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
