"""Failures answer cleanly (issue 14, items 13 and 14): a 500 carries X-Request-ID and leaves the keep-alive
connection usable; a database outage answers 503 problem+json (API) or the error page (pages), and
``innocredit run`` against an unreachable database prints one line."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import build_env

from innocredit.web.app import create_app
from innocredit.web.config import Settings

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/test"  # nothing listens on port 1


def _add_crashing_routes(app: FastAPI) -> None:
    def boom() -> dict[str, str]:
        raise RuntimeError("a bug in an endpoint")

    app.add_api_route("/api/v1/_boom", boom, methods=["GET"])
    app.add_api_route("/_boom", boom, methods=["GET"], include_in_schema=False)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    built, *_ = build_env(tmp_path_factory.mktemp("failures"), n=40)
    _add_crashing_routes(built)
    return built


def test_a_500_carries_the_request_id_and_problem_details(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/_boom", headers={"X-Request-ID": "trace-500-api"})
        assert r.status_code == 500
        assert r.headers["x-request-id"] == "trace-500-api"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith("/server-error") and "bug" not in r.text  # no exception text leaks
        page = client.get("/_boom", headers={"X-Request-ID": "trace-500-page"})
        assert page.status_code == 500 and page.headers["x-request-id"] == "trace-500-page"
        assert page.headers["content-type"].startswith("text/html")
        # the app still answers
        assert client.get("/healthz").json() == {"status": "ok"}


@pytest.fixture()
def live_server(app: FastAPI) -> Iterator[int]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on", timeout_keep_alive=30)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not (server.started and server.servers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    yield port
    server.should_exit = True
    thread.join(timeout=20)


def test_the_keep_alive_connection_survives_a_500(live_server: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", live_server, timeout=30)
    try:
        for i in range(3):
            conn.request("GET", "/api/v1/_boom", headers={"X-Request-ID": f"boom-{i}"})
            r = conn.getresponse()
            body = r.read()
            assert r.status == 500 and r.getheader("X-Request-ID") == f"boom-{i}", body
            assert r.getheader("Connection") != "close"
            sock = conn.sock
            conn.request("GET", "/healthz")  # the same pooled connection: no ECONNRESET
            ok = conn.getresponse()
            assert ok.status == 200 and ok.read() == b'{"status":"ok"}'
            assert conn.sock is sock  # not silently reconnected
    finally:
        conn.close()


def test_a_database_outage_answers_503(tmp_path: Path) -> None:
    settings = Settings(database_url=UNREACHABLE, secret_key="test-secret-" + "k" * 32, cookie_secure=False)
    app = create_app(settings, loader=lambda: __import__("polars").DataFrame({"uscc": []}),
                     patents_loader=lambda: __import__("polars").DataFrame({"uscc": []}))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/api/v1/auth/token", json={"username": "coordinator", "password": "x" * 12},
                        headers={"X-Request-ID": "db-down-1"})
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["retry-after"] == "30" and r.headers["x-request-id"] == "db-down-1"
        body = r.json()
        assert body["type"].endswith("/unavailable") and body["status"] == 503
        assert "127.0.0.1" not in r.text and "postgres" not in r.text  # nothing about the database's address
        authed = client.get("/api/v1/enterprises", headers={"Authorization": "Bearer abc"})
        assert authed.status_code == 503 and authed.json()["type"].endswith("/unavailable")
        page = client.get("/enterprises", cookies={"ic_session": "abc"})
        assert page.status_code in (503, 303), page.text  # the error page (or the login page) — never a 500
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200


def test_run_against_an_unreachable_database_prints_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "INNOCREDIT_SECRET_KEY": "s" * 48, "COLUMNS": "200"}
    env.pop("INNOCREDIT_DATABASE_URL", None)
    out = subprocess.run([str(Path(sys.executable).with_name("innocredit")), "run", "--no-demo", "--database", UNREACHABLE],
                         capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert out.returncode == 2
    lines = [x for x in (out.stdout + out.stderr).splitlines() if x.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: cannot use the database") and "Connection refused" in lines[0]
    assert "Traceback" not in out.stderr
