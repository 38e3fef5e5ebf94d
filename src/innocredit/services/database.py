"""The database as the adapters see it: open an engine, migrate it, run one unit of work.

CLI verbs, the web app and batch jobs reach the database only through this module and the use-case modules
beside it; ``innocredit.storage`` is the services' own business.
"""

from __future__ import annotations

from innocredit.storage.base import UnitOfWork, database_url, make_engine, unit_of_work
from innocredit.storage.migrate import upgrade as migrate

__all__ = ["UnitOfWork", "database_url", "make_engine", "migrate", "unit_of_work"]
