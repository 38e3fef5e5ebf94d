"""Model artefacts: a versioned directory ``<root>/<model_id>/v<version>/`` with ``model.joblib`` and the
model card ``card.json``. This module is the risk area's one file-system adapter (joblib + JSON)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import joblib

MODEL_FILE = "model.joblib"
CARD_FILE = "card.json"
MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def models_root(root: str | Path | None = None) -> Path:
    """Where artefacts live: the argument, else ``INNOCREDIT_MODEL_DIR``, else ``./models``."""
    return Path(root or os.environ.get("INNOCREDIT_MODEL_DIR") or "models")


def next_version(root: Path, model_id: str) -> int:
    d = root / model_id
    versions = [int(p.name[1:]) for p in d.glob("v*") if p.name[1:].isdigit()] if d.exists() else []
    return max(versions, default=0) + 1


def save_model(model: Any, card: dict[str, Any], root: str | Path | None = None) -> Path:
    """Write the artefact and card under ``root/<model_id>/v<version>``; returns that directory.

    ``model.model_id_`` must be set; the version is the next free one (``model.model_version_`` is set).
    """
    model_id = getattr(model, "model_id_", None)
    if not model_id or not MODEL_ID.match(model_id):
        raise ValueError(f"model id {model_id!r} must be 1-64 letters, digits, '_', '.', '-'")
    base = models_root(root)
    version = next_version(base, model_id)
    model.model_version_ = version
    out = base / model_id / f"v{version}"
    out.mkdir(parents=True, exist_ok=False)
    card = {**card, "model_id": model_id, "model_version": version, "artefact": str(out / MODEL_FILE)}
    joblib.dump(model, out / MODEL_FILE)
    (out / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return out


def resolve(path_or_id: str | Path, root: str | Path | None = None) -> Path:
    """The artefact directory of a path (directory or model.joblib) or an id (``id``, ``id@3`` or ``id:v3``)."""
    p = Path(path_or_id)
    if p.is_file():
        return p.parent
    if p.is_dir() and (p / MODEL_FILE).exists():
        return p
    text = str(path_or_id)
    m = re.match(r"^(?P<id>[^@:]+)(?:[@:]v?(?P<v>\d+))?$", text)
    if not m:
        raise FileNotFoundError(f"no model artefact at {text!r}")
    base = models_root(root) / m["id"]
    if p.is_dir() and not (p / MODEL_FILE).exists() and any(p.glob("v*")):
        base = p
    if m["v"]:
        d = base / f"v{m['v']}"
    else:
        versions = sorted(int(x.name[1:]) for x in base.glob("v*") if x.name[1:].isdigit()) if base.exists() else []
        if not versions:
            raise FileNotFoundError(f"no model {text!r} under {models_root(root)}")
        d = base / f"v{versions[-1]}"
    if not (d / MODEL_FILE).exists():
        raise FileNotFoundError(f"no model artefact at {d}")
    return d


def load_model(path_or_id: str | Path, root: str | Path | None = None) -> Any:
    """Load a model by artefact path or by id (latest version unless ``id@N``)."""
    d = resolve(path_or_id, root)
    model = joblib.load(d / MODEL_FILE)
    return model


def load_card(path_or_id: str | Path, root: str | Path | None = None) -> dict[str, Any]:
    d = resolve(path_or_id, root)
    return json.loads((d / CARD_FILE).read_text(encoding="utf-8"))
