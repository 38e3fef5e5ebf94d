"""The ``innocredit`` command line. Each module in this package that defines
``register(app)`` adds its verbs; see the module docstrings for what each does."""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="innocredit",
    help="innocredit: evaluation, IP valuation, risk, lending and coordination for technology SMEs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_all()


def main() -> None:
    app()
