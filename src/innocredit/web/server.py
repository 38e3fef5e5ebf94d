"""Serve the app with uvicorn (``innocredit run`` calls :func:`serve`); SIGTERM/SIGINT drain and stop.

With several worker processes uvicorn binds the listening socket itself and hands it to the workers; that socket
reports protocol 0, so asyncio leaves Nagle's algorithm on for the accepted connections and every keep-alive
response after the first waits for the client's delayed ACK (about 40 ms on Linux; uvicorn issue #3149).
:class:`NoDelayH11Protocol` sets ``TCP_NODELAY`` on each connection itself, whatever the listener reports.
"""

from __future__ import annotations

import asyncio
import os
import socket

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from innocredit.web.app import create_app
from innocredit.web.config import Settings


def set_nodelay(transport: asyncio.BaseTransport) -> bool:
    """Turn Nagle's algorithm off on a TCP transport's socket; ``False`` when it is not a TCP socket."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
        return False
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return True


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with ``TCP_NODELAY`` on every connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None, workers: int = 1) -> None:
    """Serve until SIGTERM/SIGINT. ``workers > 1`` starts that many processes on one socket; each builds the app
    from the environment, so the settings given here are passed down through it (the secret key included:
    sessions and CSRF tokens signed by one worker must verify in another). With several workers the migrations
    (``migrate_on_start``) run once in this process before the workers start."""
    settings = settings or Settings.from_env()
    # timeout_worker_healthcheck: the supervisor kills a worker that does not answer its ping within this many
    # seconds; importing the app (polars, scikit-learn, LightGBM) on a loaded machine takes longer than uvicorn's
    # default 5 s, and the killed workers were restarted over and over before the server answered
    common = dict(host=host, port=port, log_config=None, access_log=False, proxy_headers=False,
                  timeout_graceful_shutdown=10, lifespan="on", http=NoDelayH11Protocol, timeout_worker_healthcheck=30)
    if workers <= 1:
        uvicorn.Server(uvicorn.Config(create_app(settings), **common)).run()  # type: ignore[arg-type]
        return
    if settings.migrate_on_start:
        # once, here, before the workers start: workers migrating one database at the same time race (on SQLite,
        # whose DDL is not transactional under pysqlite, a lost race leaves tables without their alembic version)
        from innocredit.services.database import make_engine, migrate

        engine = make_engine(settings.database_url)
        try:
            migrate(engine)
        finally:
            engine.dispose()
        settings = settings.model_copy(update={"migrate_on_start": False})
    os.environ.update(settings_env(settings))
    uvicorn.run("innocredit.web.app:create_app", factory=True, workers=workers, **common)  # type: ignore[arg-type]


def settings_env(settings: Settings) -> dict[str, str]:
    """The ``INNOCREDIT_*`` variables that make ``Settings.from_env()`` in a worker equal ``settings``."""
    return settings.env()
