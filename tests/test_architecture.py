"""The layers of DESIGN.md, checked on every import of every module (no exemptions):

    domain (core, profile, evaluation, ip, risk, lending, coordination)
        <- services  <- cli / web / batch
    storage is used by services only; ingest (readers and feed schemas) and synthetic (the generator) are
    used like the domain.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "innocredit"
DOMAIN = ("core", "profile", "evaluation", "ip", "risk", "lending", "coordination")
FRAMEWORKS = ("sqlalchemy", "alembic", "fastapi", "starlette", "typer", "uvicorn", "psycopg", "pyspark", "rich")
PKG = "innocredit."

# what each layer may not import (a prefix of a module name)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    **{d: (*FRAMEWORKS, PKG + "storage", PKG + "services", PKG + "web", PKG + "cli", PKG + "batch",
           PKG + "ingest", PKG + "synthetic") for d in DOMAIN},
    "ingest": (PKG + "storage", PKG + "services", PKG + "web", PKG + "cli", PKG + "batch", "sqlalchemy", "fastapi"),
    "synthetic": (PKG + "storage", PKG + "services", PKG + "web", PKG + "cli", PKG + "batch", "sqlalchemy"),
    "storage": (PKG + "services", PKG + "web", PKG + "cli", PKG + "batch", PKG + "synthetic"),
    "services": (PKG + "web", PKG + "cli", PKG + "batch", "fastapi", "starlette", "typer", "uvicorn"),
    "web": (PKG + "storage", PKG + "cli", PKG + "batch"),
    "cli": (PKG + "storage",),
    "batch": (PKG + "storage", PKG + "web", PKG + "cli"),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append((node.lineno, node.module))
            names += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return names


def _layer(path: Path) -> str:
    return path.relative_to(SRC).parts[0]


def test_every_package_has_a_rule():
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages - set(FORBIDDEN) == set(), "a new package needs its place in the layers"


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_inward(layer):
    offenders = []
    for path in (SRC / layer).rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[:2] == ("storage", "migrations"):
            continue  # Alembic scripts: SQL by design
        offenders += [f"{rel}:{line}: {name}" for line, name in _imports(path)
                      if name.startswith(FORBIDDEN[layer]) and not name.startswith(PKG + layer)]
    assert offenders == []


def test_no_optional_imports_of_the_project():
    """The project's own packages are imported directly: no swallowed ImportError around them."""
    offenders = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(
                    isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                    for h in node.handlers):
                inner = [n for stmt in node.body for n in ast.walk(stmt)
                         if isinstance(n, (ast.Import, ast.ImportFrom))]
                if any((isinstance(n, ast.ImportFrom) and (n.module or "").startswith("innocredit"))
                       or (isinstance(n, ast.Import) and any(a.name.startswith("innocredit") for a in n.names))
                       for n in inner):
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []
