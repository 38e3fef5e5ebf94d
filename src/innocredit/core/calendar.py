"""The platform's one working-day calendar: weekends, public holidays and adjusted working days (调休).

One file, ``core/holidays.yaml`` (mainland China, from the State Council's yearly holiday notices), read
through the platform's policy loader. Used by the lending decision SLA (``lending.lifecycle.sla_due``),
the coordination push deadlines (``coordination.flow.overdue``) and, when a caller asks for it, repayment
due dates (``lending.schedules.build_schedule(..., calendar=...)``).

A working day is a day that is not a weekend day and not a holiday, or a make-up working day (a weekend
day the notice declares a working day). Dates outside the calendar's ``years`` count weekends only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from innocredit.core.policy import DATE, PolicyError, display_name, read_policy_file, validate_policy

__all__ = ["CALENDAR_SCHEMA", "HOLIDAYS_FILE", "WorkCalendar", "calendar_from_dict", "default_calendar",
           "load_calendar"]

HOLIDAYS_FILE = Path(__file__).resolve().parent / "holidays.yaml"

_DATES = {"type": "array", "items": DATE, "uniqueItems": True}
CALENDAR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["holidays"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "version": {"type": "string"},
        "weekend": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 7}, "uniqueItems": True},
        "years": {"type": "array", "items": {"type": "integer", "minimum": 1949, "maximum": 2200}},
        "sources": {"type": "array", "items": {
            "type": "object", "required": ["year", "notice"], "additionalProperties": False,
            "properties": {"year": {"type": "integer"}, "notice": {"type": "string", "minLength": 1},
                           "url": {"type": "string"}}}},
        "holidays": _DATES,
        "make_up_workdays": _DATES,
    },
}


def _frozen_dates(values: Iterable[Any]) -> frozenset[dt.date]:
    return frozenset(v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)) for v in values)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: not a weekend day (ISO weekday in ``weekend``) and not a holiday, or a make-up working day.

    ``WorkCalendar()`` counts weekends only. Vectorized methods take and return numpy ``datetime64[D]`` arrays
    (or anything numpy converts: lists of dates, polars Date columns as numpy).
    """

    weekend: tuple[int, ...] = (6, 7)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    make_up_workdays: frozenset[dt.date] = field(default_factory=frozenset)
    version: str = ""
    years: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekend", tuple(self.weekend))
        object.__setattr__(self, "holidays", _frozen_dates(self.holidays))
        object.__setattr__(self, "make_up_workdays", _frozen_dates(self.make_up_workdays))
        object.__setattr__(self, "years", tuple(self.years))

    @property
    def workdays(self) -> frozenset[dt.date]:
        """The make-up working days (the name the lending calendar used)."""
        return self.make_up_workdays

    @cached_property
    def weekmask(self) -> list[int]:
        """numpy's weekmask, Monday first: 1 = a weekday that is normally worked."""
        return [0 if d in self.weekend else 1 for d in range(1, 8)]

    @cached_property
    def _np_holidays(self) -> np.ndarray:
        return np.array(sorted(self.holidays), dtype="datetime64[D]")

    @cached_property
    def _np_makeup(self) -> np.ndarray:
        return np.array(sorted(self.make_up_workdays), dtype="datetime64[D]")

    def covers(self, day: dt.date) -> bool:
        """Whether the holidays of ``day``'s year are known (a calendar without ``years`` covers nothing)."""
        return day.year in self.years

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.make_up_workdays:
            return True
        return day.isoweekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day`` (``day`` itself does not count; n == 0 gives ``day``; n < 0 counts
        back)."""
        step = dt.timedelta(days=1 if n >= 0 else -1)
        current, remaining = day, abs(n)
        while remaining > 0:
            current += step
            if self.is_working_day(current):
                remaining -= 1
        return current

    def roll_forward(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the next working day (the "following" convention, 顺延)."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def working_days_between(self, start: Any, end: Any) -> Any:
        """Working days in [start, end), negative when end < start; vectorized over arrays of dates.

        Two dates give an ``int``; arrays give an ``int64`` array.
        """
        scalar = isinstance(start, dt.date) and isinstance(end, dt.date)
        s = np.asarray(start, dtype="datetime64[D]")
        e = np.asarray(end, dtype="datetime64[D]")
        base = np.busday_count(s, e, weekmask=self.weekmask, holidays=self._np_holidays)
        mk = self._np_makeup
        if len(mk):
            lo, hi = np.minimum(s, e), np.maximum(s, e)
            extra = np.searchsorted(mk, hi, side="left") - np.searchsorted(mk, lo, side="left")
            base = base + np.where(e >= s, extra, -extra)
        return int(base) if scalar else base

    def add_working_days_array(self, days: Any, n: Any) -> np.ndarray:
        """Vectorized ``add_working_days`` for n >= 0 (make-up working days included): ``datetime64[D]``."""
        d = np.asarray(days, dtype="datetime64[D]")
        k = np.broadcast_to(np.asarray(n, dtype=np.int64), d.shape)
        if d.size == 0:
            return d.copy()
        if (k < 0).any():
            raise ValueError("add_working_days_array counts forward only (n >= 0)")
        lo, hi = d.min(), d.max() + np.timedelta64(int(k.max()) * 2 + 30, "D")
        while True:
            span = np.arange(lo, hi + np.timedelta64(1, "D"), dtype="datetime64[D]")
            iso = (span.astype(np.int64) + 3) % 7 + 1  # 1970-01-01 was a Thursday (ISO 4)
            working = ~np.isin(iso, list(self.weekend)) & ~np.isin(span, self._np_holidays)
            working |= np.isin(span, self._np_makeup)
            wdays = span[working]
            idx = np.searchsorted(wdays, d, side="right") + k - 1
            out = np.where(k == 0, d, wdays[np.minimum(np.maximum(idx, 0), len(wdays) - 1)])
            if len(wdays) and (idx < len(wdays)).all():
                return out
            hi = hi + np.timedelta64(int(k.max()) * 2 + 30, "D")


def calendar_from_dict(data: Any, file: str = "<calendar>") -> WorkCalendar:
    """A calendar from its YAML data; ``PolicyError`` names the file and the JSON path of a bad date."""
    data = validate_policy(data, CALENDAR_SCHEMA, file)
    years = tuple(data.get("years", ()))
    weekend = tuple(data.get("weekend", (6, 7)))
    out: dict[str, frozenset[dt.date]] = {}
    for key in ("holidays", "make_up_workdays"):
        days = []
        for i, text in enumerate(data.get(key, [])):
            try:
                day = dt.date.fromisoformat(text)
            except ValueError as exc:
                raise PolicyError(file, f"$.{key}[{i}]", f"{text!r} is not a calendar date") from exc
            if years and day.year not in years:
                raise PolicyError(file, f"$.{key}[{i}]", f"{text} is outside the years {list(years)} of the calendar")
            if key == "make_up_workdays" and day.isoweekday() not in weekend:
                raise PolicyError(file, f"$.{key}[{i}]", f"{text} is not a weekend day, so it cannot be made up")
            days.append(day)
        out[key] = frozenset(days)
    both = sorted(out["holidays"] & out["make_up_workdays"])
    if both:
        raise PolicyError(file, "$.make_up_workdays", f"{both[0].isoformat()} is also listed as a holiday")
    return WorkCalendar(weekend=weekend, holidays=out["holidays"], make_up_workdays=out["make_up_workdays"],
                        version=str(data.get("version", "")), years=years)


def load_calendar(source: str | Path | None = None) -> WorkCalendar:
    """The calendar in ``source`` (default: the shipped ``core/holidays.yaml``)."""
    path = Path(source) if source else HOLIDAYS_FILE
    data, _ = read_policy_file(path)
    return calendar_from_dict(data, display_name(path))


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """The shipped calendar, read once."""
    return load_calendar()
