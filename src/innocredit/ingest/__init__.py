"""Department feeds and tables: readers, validation, quarantine, lineage (an adapter layer)."""
