"""Reading the coordination policies (``policies/*.yaml``) through the platform's one policy loader.

``read_policy("banks.yaml", schema)`` reads a bundled file by name, or any path; the YAML is checked
against the JSON Schema by ``innocredit.core.policy``, whose ``PolicyError`` names the file and the JSON
path of the problem (``coordination/policies/banks.yaml: $.banks[0].id: ...``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from innocredit.core.policy import DATE, PolicyError, load_policy_file, parse_policy_text

__all__ = ["DATE", "ID", "POLICY_PACKAGE", "TEXT", "PolicyError", "parse_policy", "read_policy"]

POLICY_PACKAGE = "innocredit.coordination.policies"

TEXT: dict[str, Any] = {
    "type": "object", "required": ["zh", "en"], "additionalProperties": False,
    "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}},
}
ID: dict[str, Any] = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}


def read_policy(source: str | Path, schema: dict[str, Any]) -> dict[str, Any]:
    """Read a policy: the name of a bundled file in ``policies/`` (e.g. ``"banks.yaml"``) or a path."""
    bundled = resources.files(POLICY_PACKAGE).joinpath(str(source))
    if isinstance(source, Path) or "/" in source or "\\" in source or not bundled.is_file():
        return load_policy_file(Path(source), schema)
    return load_policy_file(bundled, schema)


def parse_policy(text: str, schema: dict[str, Any], name: str = "<policy>") -> dict[str, Any]:
    """Parse and check policy text that is not a file (an upload, a test)."""
    return parse_policy_text(text, schema, name)
