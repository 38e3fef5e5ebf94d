"""One loader for every YAML policy: YAML, checked against a JSON Schema, one error type.

``load_policy_file(path, schema)`` reads a YAML file and validates it (JSON Schema draft 2020-12). Any
problem raises :class:`PolicyError` (a ``ValueError``) whose message names the file and the JSON path of
the problem, for example::

    lending/products/ip_pledge_loan.yaml: $.limit.max: -1 is not greater than 0

- Files inside the ``innocredit`` package are named relative to it (``lending/products/x.yaml``); other
  files by the path given.
- A YAML syntax error names the line and column; a key given twice in one mapping is an error (YAML
  parsers silently keep the last one).
- YAML 1.2 booleans: only ``true``/``false`` (YAML 1.1 also read ``on``, ``no``, ``y`` as booleans).
- Dates stay ISO text (``2026-02-16`` is the string ``"2026-02-16"``, as in JSON), so schemas check them
  with ``DATE``; the caller converts them.
- Rules a schema cannot express (shares adding up to one, min below max) raise the same ``PolicyError``
  with a path made by :func:`json_path`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

__all__ = ["DATE", "PolicyError", "display_name", "json_path", "load_policy_file", "parse_policy_text",
           "read_policy_file", "validate_policy"]

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # src/innocredit

DATE: dict[str, Any] = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}

PolicySource = str | os.PathLike[str] | Traversable


class PolicyError(ValueError):
    """A policy file that cannot be used: the file, the JSON path inside it (``$`` = the whole document,
    ``""`` = not about a place in the file) and what is wrong. ``problems`` lists every schema problem
    found; the message starts with the most specific one and then names up to four others."""

    def __init__(self, file: str, path: str, reason: str, problems: Iterable[str] = ()) -> None:
        self.file, self.path, self.reason = str(file), path, reason
        first = f"{path}: {reason}" if path else reason
        self.problems = [first, *(p for p in problems if p != first)]
        others = self.problems[1:]
        text = f"{self.file}: {first}"
        if others:
            text += "; also " + "; ".join(others[:4])
            if len(others) > 4:
                text += f" (and {len(others) - 4} more)"
        super().__init__(text)


def json_path(parts: Iterable[str | int]) -> str:
    """``["limits", "max", 0]`` -> ``$.limits.max[0]``; keys that are not identifiers are quoted."""
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif p.isidentifier():
            out += f".{p}"
        else:
            out += "[" + repr(str(p)) + "]"
    return out


def display_name(source: PolicySource) -> str:
    """How a policy file is named in errors: relative to the ``innocredit`` package when inside it."""
    text = os.fspath(source) if isinstance(source, str | os.PathLike) else str(source)
    try:
        return Path(text).resolve().relative_to(PACKAGE_ROOT).as_posix()
    except (ValueError, OSError):
        return text


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as ISO text, reads only true/false as booleans (YAML 1.2: ``on``, ``no``
    and ``y`` stay text) and refuses a key given twice in one mapping."""


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:timestamp", _BOOL)]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"the key {key!r} is given twice", key_node.start_mark)
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"not valid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return f"not valid YAML: {problem}"


def _parse(raw: bytes | str, name: str) -> Any:
    try:
        return yaml.load(raw, Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        raise PolicyError(name, "", _yaml_problem(exc)) from exc
    except ValueError as exc:  # e.g. a bad number YAML accepted lexically
        raise PolicyError(name, "", f"not valid YAML: {exc}") from exc


def read_policy_file(source: PolicySource, *, name: str | None = None) -> tuple[Any, str]:
    """The parsed YAML (not yet validated) and the SHA-256 of the file's bytes."""
    name = name or display_name(source)
    try:
        raw = source.read_bytes() if isinstance(source, Traversable) else Path(source).read_bytes()
    except FileNotFoundError as exc:
        raise PolicyError(name, "", "no such file") from exc
    except OSError as exc:
        raise PolicyError(name, "", f"cannot read: {exc.strerror or exc}") from exc
    return _parse(raw, name), hashlib.sha256(raw).hexdigest()


def _most_specific(errors: list[ValidationError]) -> ValidationError:
    err = max(errors, key=lambda e: (len(e.absolute_path), -errors.index(e)))
    while err.context:  # oneOf / anyOf: report the branch that got furthest
        err = max(err.context, key=lambda e: len(e.absolute_path))
    return err


def validate_policy(data: Any, schema: Mapping[str, Any], name: str = "<policy>") -> dict[str, Any]:
    """Check ``data`` against ``schema``; the data back as a dict, or ``PolicyError``."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data),
                    key=lambda e: (json_path(e.absolute_path), e.message))
    if errors:
        err = _most_specific(errors)
        problems = [f"{json_path(e.absolute_path)}: {e.message}" for e in errors[:20]]
        raise PolicyError(name, json_path(err.absolute_path), err.message, problems)
    if not isinstance(data, dict):
        raise PolicyError(name, "$", f"expected a mapping of keys to values, got {type(data).__name__}")
    return data


def parse_policy_text(text: str, schema: Mapping[str, Any], name: str = "<policy>") -> dict[str, Any]:
    """Parse YAML text and validate it (for policies that come from a form or a test, not a file)."""
    return validate_policy(_parse(text, name), schema, name)


def load_policy_file(source: PolicySource, schema: Mapping[str, Any], *, name: str | None = None) -> dict[str, Any]:
    """Read the YAML file ``source`` and validate it against ``schema``; ``PolicyError`` on any problem."""
    name = name or display_name(source)
    data, _ = read_policy_file(source, name=name)
    return validate_policy(data, schema, name)
