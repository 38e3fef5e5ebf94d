"""The server entry point: TCP_NODELAY on every connection, and several worker processes sharing one secret."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time

import httpx
import uvicorn
from uvicorn.server import ServerState

from innocredit.web.config import Settings
from innocredit.web.server import NoDelayH11Protocol, settings_env


async def _accepted_nodelay(protocol_factory) -> int:  # type: ignore[no-untyped-def]
    """Accept one connection on a listener created the way uvicorn's multiprocess supervisor creates it (protocol
    left at 0) and return TCP_NODELAY of the accepted socket as the protocol saw it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    assert listener.proto == 0
    seen: list[int] = []
    made = asyncio.Event()

    def factory() -> asyncio.Protocol:
        proto = protocol_factory()
        original = proto.connection_made

        def connection_made(transport: asyncio.BaseTransport) -> None:
            original(transport)
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            made.set()

        proto.connection_made = connection_made
        return proto

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, sock=listener)
    _, writer = await asyncio.open_connection(*listener.getsockname())
    await asyncio.wait_for(made.wait(), 5)
    writer.close()
    server.close()
    return seen[0]


def _protocol_factory(cls):  # type: ignore[no-untyped-def]
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]  # never called: no request is sent
        raise AssertionError("no request expected")

    config = uvicorn.Config(app, lifespan="off", log_config=None)
    config.load()
    state = ServerState()
    return lambda: cls(config=config, server_state=state, app_state={})


def test_listener_without_protocol_leaves_nagle_on_for_stock_h11() -> None:
    """The premise: on such a listener asyncio does not set TCP_NODELAY itself (uvicorn issue #3149)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    assert asyncio.run(_accepted_nodelay(_protocol_factory(H11Protocol))) == 0


def test_nodelay_protocol_turns_nagle_off() -> None:
    assert asyncio.run(_accepted_nodelay(_protocol_factory(NoDelayH11Protocol))) != 0


def test_settings_env_round_trips_through_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    original = Settings(database_url="sqlite:///x.db", secret_key="k" * 40, lpr=Decimal("0.031"), sla_days=4,
                        features_path="/data/f.parquet", log_level="WARNING", migrate_on_start=True,
                        cookie_secure=False)
    for key in list(os.environ):
        if key.startswith("INNOCREDIT_"):
            monkeypatch.delenv(key)
    for key, value in settings_env(original).items():
        monkeypatch.setenv(key, value)
    assert Settings.from_env() == original


def test_two_workers_serve_keep_alive_requests_without_delayed_ack_stalls(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``serve(workers=2)`` on a fresh SQLite database (migrated on start): every request answers, and sequential
    requests on one keep-alive connection do not wait for the client's delayed ACK (~40 ms each with Nagle on)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "INNOCREDIT_LOG_LEVEL": "WARNING"}
    code = ("from innocredit.web.config import Settings; from innocredit.web.server import serve; "
            f"serve('127.0.0.1', {port}, Settings(database_url='sqlite:///{tmp_path / 'w.db'}', "
            "migrate_on_start=True), workers=2)")
    server = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            assert server.poll() is None, "server exited"
            time.sleep(0.2)
        timings = []
        with httpx.Client(base_url=base) as client:
            for _ in range(30):
                t0 = time.perf_counter()
                r = client.get("/healthz")
                timings.append(time.perf_counter() - t0)
                assert r.json() == {"status": "ok"}
        assert statistics.median(timings) < 0.030, timings
    finally:
        server.terminate()
        assert server.wait(timeout=30) is not None
