"""The web app's settings: the platform's one :class:`innocredit.settings.Settings` (``INNOCREDIT_*``).

Kept as a module so that ``from innocredit.web.config import Settings`` and ``Settings.from_env()`` keep working.
"""

from __future__ import annotations

from innocredit.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
