"""Serve the app with uvicorn (``innocredit run`` calls :func:`serve`); SIGTERM/SIGINT drain and stop."""

from __future__ import annotations

import uvicorn

from innocredit.web.app import create_app
from innocredit.web.config import Settings


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None, workers: int = 1) -> None:
    settings = settings or Settings.from_env()
    app = create_app(settings)
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, proxy_headers=False,
                            timeout_graceful_shutdown=10, lifespan="on")
    uvicorn.Server(config).run()
