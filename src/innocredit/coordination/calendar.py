"""Deprecated location: the working-day calendar is ``innocredit.core.calendar`` (one holidays file,
``core/holidays.yaml``). Kept as a re-export for the modules that still import it from here."""

from __future__ import annotations

from innocredit.core.calendar import CALENDAR_SCHEMA, WorkCalendar, calendar_from_dict, default_calendar, load_calendar

__all__ = ["CALENDAR_SCHEMA", "WorkCalendar", "calendar_from_dict", "default_calendar", "load_calendar"]
