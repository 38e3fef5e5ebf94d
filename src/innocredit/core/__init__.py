"""Shared mechanisms every area uses: money (``core.money``), the policy loader (``core.policy``) and the
working-day calendar (``core.calendar``). Pure Python plus pyyaml/jsonschema/numpy; no storage, web or CLI.
"""
