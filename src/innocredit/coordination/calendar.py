"""Working-day calendar: weekends, public holidays and make-up working days (调休), vectorized with numpy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from innocredit.coordination.policy import DATE, read_policy

CALENDAR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "version", "weekend", "holidays"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "version": {"type": "string"},
        "weekend": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 7}, "uniqueItems": True},
        "holidays": {"type": "array", "items": DATE},
        "make_up_workdays": {"type": "array", "items": DATE},
    },
}


def _as_date(v: object) -> dt.date:
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: not a weekend day unless a make-up working day, and not a public holiday."""

    weekend: tuple[int, ...] = (6, 7)
    holidays: tuple[dt.date, ...] = ()
    make_up_workdays: tuple[dt.date, ...] = ()
    version: str = ""

    @property
    def _weekmask(self) -> list[int]:
        return [0 if d in self.weekend else 1 for d in range(1, 8)]

    def _np_holidays(self) -> np.ndarray:
        return np.array(sorted(self.holidays), dtype="datetime64[D]")

    def _np_makeup(self) -> np.ndarray:
        return np.array(sorted(self.make_up_workdays), dtype="datetime64[D]")

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.make_up_workdays:
            return True
        return day.isoweekday() not in self.weekend and day not in self.holidays

    def working_days_between(self, start: Any, end: Any) -> np.ndarray:
        """Working days in [start, end) for arrays of dates (negative when end < start), vectorized."""
        s = np.asarray(start, dtype="datetime64[D]")
        e = np.asarray(end, dtype="datetime64[D]")
        base = np.busday_count(s, e, weekmask=self._weekmask, holidays=self._np_holidays())
        mk = self._np_makeup()
        if len(mk):
            lo, hi = np.minimum(s, e), np.maximum(s, e)
            extra = np.searchsorted(mk, hi, side="left") - np.searchsorted(mk, lo, side="left")
            base = base + np.where(e >= s, extra, -extra)
        return base

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day`` (n >= 0; n == 0 gives ``day`` itself)."""
        current = day
        remaining = n
        while remaining > 0:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current


def calendar_from_dict(data: dict[str, Any]) -> WorkCalendar:
    return WorkCalendar(
        weekend=tuple(data.get("weekend", (6, 7))),
        holidays=tuple(_as_date(d) for d in data.get("holidays", [])),
        make_up_workdays=tuple(_as_date(d) for d in data.get("make_up_workdays", [])),
        version=str(data.get("version", "")),
    )


def load_calendar(source: str | Path = "calendar.yaml") -> WorkCalendar:
    return calendar_from_dict(read_policy(source, CALENDAR_SCHEMA))


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    return load_calendar()
