"""The import direction of DESIGN.md: domain packages never import adapters."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "innocredit"
DOMAIN = ["profile", "evaluation", "ip", "risk", "lending", "coordination"]
ADAPTERS = ("innocredit.storage", "innocredit.web", "innocredit.cli", "innocredit.ingest", "innocredit.batch",
            "sqlalchemy", "fastapi", "starlette", "typer", "uvicorn", "psycopg", "pyspark")
# adapter modules that live inside a domain package by design: they only call out lazily
ALLOWED = {
    "lending/enrichment.py",  # joins other areas' results at call time; the core never imports it
    "coordination/service.py",  # consent-checked reads through the store (application service)
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_does_not_import_adapters(package):
    root = SRC / package
    if not root.exists():
        pytest.skip(f"{package} not present")
    offenders = []
    for path in root.rglob("*.py"):
        rel = str(path.relative_to(SRC))
        if rel in ALLOWED:
            continue
        offenders += [f"{rel}: {name}" for name in _imports(path) if name.startswith(ADAPTERS)]
    assert offenders == []
