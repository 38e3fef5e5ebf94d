"""Financing coordination (融资协调机制): consent-based data sharing, application lists screened into
recommendation lists pushed to banks, bank answers with escalation, coverage metrics and early warnings.

Pure domain: policies are YAML (``policies/``) validated on load; batch work is vectorized polars.
The only module that touches storage is ``service`` (the application service). See docs/coordination.md.
"""
