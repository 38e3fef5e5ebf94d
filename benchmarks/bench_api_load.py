"""API load: N concurrent clients read enterprise profiles and run evaluations against the app on PostgreSQL.

    .venv/bin/python benchmarks/bench_api_load.py [--duration 60] [--clients 20] [--size 2000] [--workers 2]

The server runs in its own process, started as ``innocredit run --workers N`` starts it
(``innocredit.web.server.serve``), on a fresh PostgreSQL schema, migrated, with the demo users and a demo feature
table of ``--size`` firms. Each client is a closed loop (one request in flight): half the
requests are ``GET /api/v1/enterprises/{uscc}`` (profile), half ``POST /api/v1/evaluations`` (innovation points),
with a bearer token. Prints p50/p95/p99 latency, throughput and errors; writes benchmarks/out/api_load.json.
Target (issue 7): p95 under 50 ms, no errors, 20 clients for 60 s.

The peer, measured in the same run with the same load, is the same app under stock ``uvicorn --workers N``, whose
pre-bound listening socket leaves Nagle's algorithm on (uvicorn issue #3149); ``serve`` turns it off per
connection. It runs for ``--peer-duration`` seconds (20 by default: its latency is steady within seconds);
``--no-peer`` skips it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import write_rows  # noqa: E402

PG_URL = os.environ.get("INNOCREDIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(size: int, tmp: Path) -> tuple[str, str, list[str]]:
    from sqlalchemy import create_engine, text

    from innocredit.storage.base import make_engine
    from innocredit.storage.migrate import upgrade
    from innocredit.synthetic import feature_table
    from innocredit.web.demo import seed_demo_users

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    features = feature_table(size, 7)
    path = tmp / "features.parquet"
    features.write_parquet(path)
    users = seed_demo_users(engine, features["uscc"][0], features["name"][0])
    engine.dispose()
    password = next(p for u, p, _, _ in users if u == "coordinator")
    return schema, url, [str(path), password, *features["uscc"].to_list()]


def _drop(schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


async def _client(base: str, token: str, usccs: list[str], stop_at: float, lat: list[float], errors: list[str],
                  seed: int) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
        i = 0
        while time.perf_counter() < stop_at:
            uscc = rng.choice(usccs)
            t0 = time.perf_counter()
            try:
                if i % 2 == 0:
                    r = await client.get(f"/api/v1/enterprises/{uscc}")
                else:
                    r = await client.post("/api/v1/evaluations", json={"uscc": uscc, "system": "innovation-points"})
                ok = r.status_code == 200
            except httpx.HTTPError as exc:
                ok, r = False, None
                errors.append(type(exc).__name__)
            lat.append(time.perf_counter() - t0)
            if not ok and r is not None:
                errors.append(str(r.status_code))
            i += 1


async def _load(base: str, token: str, usccs: list[str], clients: int, duration: float) -> tuple[list[float], list[str]]:
    lat: list[float] = []
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as warm:  # first use computes the population cache
        await warm.post("/api/v1/evaluations", json={"uscc": usccs[0], "system": "innovation-points"},
                        headers={"Authorization": f"Bearer {token}"})
    stop_at = time.perf_counter() + duration
    await asyncio.gather(*(_client(base, token, usccs, stop_at, lat, errors, i) for i in range(clients)))
    return lat, errors


def _serve_and_load(cmd: list[str], env: dict[str, str], port: int, password: str, usccs: list[str],
                    clients: int, duration: float) -> dict[str, float | int]:
    """Start the server, wait until it is ready, run the load, stop it; latency percentiles, rate, errors, peak."""
    server = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(base + "/api/v1/auth/token", json={"username": "coordinator", "password": password},
                           timeout=10).json()["access_token"]
        peak = [0.0]
        done = threading.Event()

        def sample() -> None:  # the server's resident memory (master + workers), sampled during the load
            proc = psutil.Process(server.pid)
            while not done.is_set():
                try:
                    rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
                    peak[0] = max(peak[0], rss / 2**20)
                except psutil.Error:
                    pass
                done.wait(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.perf_counter()
        lat, errors = asyncio.run(_load(base, token, usccs, clients, duration))
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    ms = np.array(lat) * 1000
    p50, p95, p99 = (float(np.percentile(ms, q)) for q in (50, 95, 99))
    return {"p50": p50, "p95": p95, "p99": p99, "requests": len(lat), "rps": len(lat) / wall,
            "errors": len(errors), "peak_mb": peak[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--size", type=int, default=2000, help="demo enterprises in the feature table")
    ap.add_argument("--workers", type=int, default=2, help="server worker processes")
    ap.add_argument("--peer-duration", type=float, default=20.0,
                    help="seconds of the same load on the stock-uvicorn peer (default 20)")
    ap.add_argument("--no-peer", action="store_true", help="skip the stock-uvicorn peer run")
    ap.add_argument("--quick", action="store_true", help="10 s of load, 5 s on the peer (smoke run)")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.peer_duration = 10.0, 5.0

    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    schema, url, extra = _prepare(args.size, tmp)
    features_path, password, usccs = extra[0], extra[1], extra[2:]
    env = {**os.environ, "INNOCREDIT_DATABASE_URL": url, "INNOCREDIT_FEATURES_PATH": features_path,
           "INNOCREDIT_SECRET_KEY": "bench-" + uuid.uuid4().hex, "INNOCREDIT_LOG_LEVEL": "WARNING"}
    runs: dict[str, dict[str, float | int]] = {}
    try:
        port = _free_port()
        runs["ours"] = _serve_and_load(
            [sys.executable, "-c", f"from innocredit.web.server import serve; serve('127.0.0.1', {port}, "
                                   f"workers={args.workers})"],
            env, port, password, usccs, args.clients, args.duration)
        if not args.no_peer:
            port = _free_port()
            runs["stock uvicorn"] = _serve_and_load(
                [sys.executable, "-m", "uvicorn", "innocredit.web.app:create_app", "--factory", "--host", "127.0.0.1",
                 "--port", str(port), "--workers", str(args.workers), "--no-access-log", "--log-level", "warning"],
                env, port, password, usccs, args.clients, args.peer_duration)
    finally:
        _drop(schema)
    print(f"{'server':>14} {'clients':>8} {'seconds':>8} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} errors")
    for name, r in runs.items():
        secs = args.duration if name == "ours" else args.peer_duration
        print(f"{name:>14} {args.clients:>8} {secs:>8.0f} {r['requests']:>9} {r['rps']:>8.1f} "
              f"{r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} {r['errors']}")
    ours, peer = runs["ours"], runs.get("stock uvicorn")
    met = float(ours["p95"]) < 50.0 and not ours["errors"]
    write_rows("api_load", [{
        "work": f"API load: {args.clients} clients, profile reads + evaluations, PostgreSQL, {args.workers} workers, "
                f"{args.duration:.0f}s (p95 latency; peer: stock uvicorn --workers)",
        "size": args.size, "ours_s": round(float(ours["p95"]) / 1000, 5),
        "peer": "stock uvicorn --workers" if peer else "target p95 < 50 ms",
        "peer_s": round(float(peer["p95"]) / 1000, 5) if peer else 0.05,
        "ratio": round(float(ours["p95"]) / (float(peer["p95"]) if peer else 50.0), 3),
        "ours_peak_mb": round(float(ours["peak_mb"]), 1),
        "peer_peak_mb": round(float(peer["peak_mb"]), 1) if peer else None,
        "target": "p95 < 50 ms and no errors", "met": bool(met),
        "p50_ms": round(float(ours["p50"]), 2), "p99_ms": round(float(ours["p99"]), 2),
        "requests": ours["requests"], "rps": round(float(ours["rps"]), 1), "errors": ours["errors"],
        "peer_rps": round(float(peer["rps"]), 1) if peer else None}])


if __name__ == "__main__":
    main()
