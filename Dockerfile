# syntax=docker/dockerfile:1.7
# innocredit: the web app and API, served by `innocredit run --no-demo` (migrations on start, no default account).
# Build: docker build -t innocredit:1.0 .     Run with PostgreSQL: docker compose up -d   (see docs/deployment.md)
#
# The base image is pinned to an exact Python patch release on Debian 12 (bookworm); pin its digest too when the
# image is built in your registry (FROM python:3.11.11-slim-bookworm@sha256:<digest>). Python packages are the
# versions in requirements.lock (pip -c), nothing newer.

FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/innocredit
COPY pyproject.toml requirements.lock README.md ./
COPY src ./src
# the build backend at fixed versions (no isolated build env fetching the newest), then only the runtime
# dependencies of the package, at the locked versions
RUN /opt/innocredit/bin/pip install setuptools==80.9.0 wheel==0.45.1 \
    && /opt/innocredit/bin/pip install --no-build-isolation --constraint requirements.lock . \
    && /opt/innocredit/bin/pip check

FROM python:3.11.11-slim-bookworm AS runtime
# libgomp1: OpenMP runtime that LightGBM's wheel links against
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 innocredit \
    && useradd --system --uid 10001 --gid innocredit --home-dir /var/lib/innocredit --shell /usr/sbin/nologin innocredit \
    && install -d -o innocredit -g innocredit /var/lib/innocredit /var/lib/innocredit/models
COPY --from=build /opt/innocredit /opt/innocredit
ENV PATH=/opt/innocredit/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    INNOCREDIT_COOKIE_SECURE=true \
    INNOCREDIT_LOG_LEVEL=INFO \
    INNOCREDIT_MODEL_DIR=/var/lib/innocredit/models
WORKDIR /var/lib/innocredit
USER 10001:10001
EXPOSE 8000
# /readyz answers 200 once the database answers and is migrated
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"]
# migrates the database (Alembic, every area's heads), refuses to start without INNOCREDIT_SECRET_KEY, serves
CMD ["innocredit", "run", "--no-demo", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
