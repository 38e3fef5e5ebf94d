"""The enterprise profile: feature-table schema and USCC validation (pure domain)."""
