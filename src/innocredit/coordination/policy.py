"""Loading the coordination policies (YAML) with JSON Schema validation and clear errors."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

POLICY_PACKAGE = "innocredit.coordination.policies"

TEXT: dict[str, Any] = {
    "type": "object", "required": ["zh", "en"], "additionalProperties": False,
    "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}},
}
ID: dict[str, Any] = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as ISO text (the schemas check them with a pattern)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

DATE: dict[str, Any] = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


class PolicyError(ValueError):
    """A policy file that is not valid: names the file, the path inside the YAML and what is wrong."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def read_policy(source: str | Path, schema: dict[str, Any]) -> dict[str, Any]:
    """Read a policy: the name of a bundled file in ``policies/`` (e.g. ``"banks.yaml"``) or a path."""
    bundled = resources.files(POLICY_PACKAGE).joinpath(str(source))
    if isinstance(source, Path) or "/" in source or "\\" in source or not bundled.is_file():
        path = Path(source)
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(name, [f"cannot read: {exc.strerror or exc}"]) from exc
    else:
        name = f"policies/{source}"
        text = bundled.read_text(encoding="utf-8")
    return parse_policy(text, schema, name)


def parse_policy(text: str, schema: dict[str, Any], name: str = "<policy>") -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        raise PolicyError(name, [f"not valid YAML: {exc}"]) from exc
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        problems = [f"at {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors[:20]]
        raise PolicyError(name, problems)
    assert isinstance(data, dict)
    return data
