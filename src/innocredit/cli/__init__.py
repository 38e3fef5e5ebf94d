"""The ``innocredit`` command line. Each module in this package that defines ``register(app)`` adds its verbs;
see the module docstrings for what each does.

Start-up: ``main`` (the console script) imports only the module that owns the verb on the command line (found
by reading the ``register`` functions' source for ``app.command("verb")`` and ``add_typer(..., name="verb")``),
so ``innocredit evaluate --help`` imports neither the database nor the web stack. ``app`` (what tests and
scripts import) registers every module on first use.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import typer

_SETTINGS: dict[str, Any] = {
    "name": "innocredit",
    "help": "innocredit: evaluation, IP valuation, risk, lending and coordination for technology SMEs.",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    # plain click help: typer's rich help imports markdown and syntax highlighting (0.3 s) before printing
    "rich_markup_mode": None,
}
_VERB = re.compile(r"""\.command\(\s*["']([\w-]+)["']|add_typer\([^)]*?name\s*=\s*["']([\w-]+)["']""")


def _modules() -> list[str]:
    return [m.name for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name) if not m.name.startswith("_")]


@cache
def verb_modules() -> dict[str, str]:
    """verb -> the module that registers it, read from each module's ``register`` function (no import)."""
    out: dict[str, str] = {}
    here = Path(__file__).parent
    for name in _modules():
        try:
            src = (here / f"{name}.py").read_text(encoding="utf-8")
        except OSError:
            continue
        start = src.find("\ndef register(")
        if start < 0:
            continue
        nxt = src.find("\ndef ", start + 1)
        body = src[start:nxt if nxt > 0 else len(src)]
        for m in _VERB.finditer(body):
            out.setdefault(m.group(1) or m.group(2), name)
    return out


def _register(target: typer.Typer, names: list[str]) -> None:
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(target)


class _LazyTyper(typer.Typer):
    """A Typer app that imports and registers every CLI module the first time its commands are read."""

    _state = "empty"  # empty | loading | loaded

    def _load(self) -> None:
        if self._state == "empty":
            self._state = "loading"
            _register(self, _modules())
            self._state = "loaded"

    @property  # type: ignore[override]
    def registered_commands(self) -> list[Any]:
        self._load()
        return self._commands

    @registered_commands.setter
    def registered_commands(self, value: list[Any]) -> None:
        self._commands = value

    @property  # type: ignore[override]
    def registered_groups(self) -> list[Any]:
        self._load()
        return self._groups

    @registered_groups.setter
    def registered_groups(self, value: list[Any]) -> None:
        self._groups = value


app = _LazyTyper(**_SETTINGS)


def main() -> None:
    verb = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    module = verb_modules().get(verb) if verb else None
    if module is None:
        app()
        return
    small = typer.Typer(**_SETTINGS)

    @small.callback()
    def _root() -> None:
        """innocredit: evaluation, IP valuation, risk, lending and coordination for technology SMEs."""

    _register(small, [module])
    small()
