"""Fixtures for the ingest tests; helpers live in ingest_feedkit.py (made importable here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ingest_feedkit import write_feeds  # noqa: E402


@pytest.fixture
def feed_dir(tmp_path: Path) -> Path:
    return write_feeds(tmp_path / "feeds")
