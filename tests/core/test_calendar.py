"""core.calendar: the one working-day calendar, checked by hand against the State Council notices.

2026 notice (国务院办公厅关于2026年部分节假日安排的通知, 4 Nov 2025), Spring Festival: "2月15日（农历腊月二十八、
周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。"
2025 notice (国办发明电〔2024〕12号): Spring Festival 28 Jan (Tue) - 4 Feb (Tue) off, Sun 26 Jan and Sat 8 Feb
worked; National Day and Mid-Autumn 1-8 Oct off, Sun 28 Sep and Sat 11 Oct worked.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from innocredit.core.calendar import HOLIDAYS_FILE, WorkCalendar, default_calendar, load_calendar
from innocredit.core.policy import PolicyError

D = dt.date
CAL = default_calendar()


def test_spring_festival_2026_week_and_its_working_saturdays() -> None:
    # 13 Feb (Fri) .. 1 Mar (Sun) 2026, day by day, from the notice
    expected = {
        D(2026, 2, 13): True,   # Fri, ordinary working day
        D(2026, 2, 14): True,   # Sat, 调休 working day (2月14日（周六）上班)
        D(2026, 2, 15): False,  # Sun, first day off (腊月二十八)
        D(2026, 2, 16): False, D(2026, 2, 17): False, D(2026, 2, 18): False,  # Mon-Wed off
        D(2026, 2, 19): False, D(2026, 2, 20): False,                          # Thu-Fri off
        D(2026, 2, 21): False, D(2026, 2, 22): False,                          # Sat-Sun off
        D(2026, 2, 23): False,  # Mon, last day off (正月初七)
        D(2026, 2, 24): True, D(2026, 2, 25): True, D(2026, 2, 26): True, D(2026, 2, 27): True,
        D(2026, 2, 28): True,   # Sat, 调休 working day (2月28日（周六）上班)
        D(2026, 3, 1): False,   # Sun, ordinary weekend
    }
    assert {d: CAL.is_working_day(d) for d in expected} == expected
    # [13 Feb, 2 Mar): 13, 14, 24, 25, 26, 27, 28 = 7 working days (the nine days off count none)
    assert CAL.working_days_between(D(2026, 2, 13), D(2026, 3, 2)) == 7
    # the working Saturday counts: Fri 13 Feb + 1 = Sat 14 Feb; + 2 = Tue 24 Feb
    assert CAL.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert CAL.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)
    assert CAL.add_working_days(D(2026, 2, 24), -2) == D(2026, 2, 13)
    assert CAL.roll_forward(D(2026, 2, 15)) == D(2026, 2, 24)
    assert CAL.roll_forward(D(2026, 2, 14)) == D(2026, 2, 14)


def test_spring_festival_2025_month() -> None:
    # January 2025: 23 weekdays (1 Jan is a Wednesday); off on weekdays 1, 28, 29, 30, 31 Jan = 5;
    # plus Sun 26 Jan worked = 23 - 5 + 1 = 19
    assert CAL.working_days_between(D(2025, 1, 1), D(2025, 2, 1)) == 19
    assert CAL.is_working_day(D(2025, 1, 26)) and CAL.is_working_day(D(2025, 2, 8))
    assert not CAL.is_working_day(D(2025, 2, 4))


def test_year_totals_match_thirteen_statutory_days_off() -> None:
    # 2025 and 2026 each: 261 weekdays (365 days, 104 weekend days); 13 statutory days off (2024 revision of the
    # 全国年节及纪念日放假办法) once the 调休 swaps cancel out -> 248 working days each year.
    # 2025: 18 weekday holidays - 5 make-up days; 2026: 19 weekday holidays - 6 make-up days
    assert CAL.working_days_between(D(2025, 1, 1), D(2026, 1, 1)) == 248
    assert CAL.working_days_between(D(2026, 1, 1), D(2027, 1, 1)) == 248
    assert len(CAL.make_up_workdays) == 11 and CAL.years == (2025, 2026)
    assert CAL.covers(D(2026, 12, 31)) and not CAL.covers(D(2027, 1, 1))


def test_vectorized_forms_agree_with_the_scalar_ones() -> None:
    days = np.arange(np.datetime64("2024-12-20"), np.datetime64("2027-01-10"), dtype="datetime64[D]")
    for n in (0, 1, 3, 5, 15):
        fast = CAL.add_working_days_array(days, n)
        slow = np.array([CAL.add_working_days(d.astype(dt.date), n) for d in days], dtype="datetime64[D]")
        assert (fast == slow).all(), n
    ends = days + np.timedelta64(17, "D")
    counts = CAL.working_days_between(days, ends)
    loop = [sum(CAL.is_working_day((d + np.timedelta64(i, "D")).astype(dt.date)) for i in range(17)) for d in days]
    assert counts.tolist() == loop
    assert CAL.working_days_between(D(2026, 3, 2), D(2026, 2, 13)) == -7


def test_weekends_only_calendar() -> None:
    plain = WorkCalendar()
    assert plain.add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 3)  # National Day ignored
    assert plain.working_days_between(D(2025, 3, 3), D(2025, 3, 10)) == 5


def _bad(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "h.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(("text", "path", "words"), [
    ("holidays: [2025-13-01]\n", "$.holidays[0]", "'2025-13-01' is not a calendar date"),
    ("holidays: [2025-1-1]\n", "$.holidays[0]", "does not match"),
    ("years: [2025]\nholidays: [2025-01-01, 2026-01-01]\n", "$.holidays[1]", "outside the years [2025]"),
    ("holidays: []\nmake_up_workdays: [2026-02-16]\n", "$.make_up_workdays[0]", "not a weekend day"),
    ("holidays: [2026-02-14]\nmake_up_workdays: [2026-02-14]\n", "$.make_up_workdays", "also listed as a holiday"),
    ("holidays: [2026-02-16]\nworkdays: [2026-02-14]\n", "$", "'workdays' was unexpected"),
])
def test_bad_holidays_file_names_file_and_path(tmp_path: Path, text: str, path: str, words: str) -> None:
    p = _bad(tmp_path, text)
    with pytest.raises(PolicyError) as e:
        load_calendar(p)
    assert e.value.file == str(p) and e.value.path == path and words in e.value.reason


def test_one_file_one_calendar_for_every_area() -> None:
    import innocredit.coordination.calendar as coord_cal
    import innocredit.coordination.flow as flow
    import innocredit.lending.lifecycle as lc

    assert HOLIDAYS_FILE.name == "holidays.yaml" and HOLIDAYS_FILE.parent.name == "core"
    assert lc.default_calendar() is CAL and coord_cal.default_calendar() is CAL and flow.default_calendar() is CAL
    assert lc.Calendar is WorkCalendar and coord_cal.WorkCalendar is WorkCalendar
    src = Path(__file__).resolve().parents[2] / "src" / "innocredit"
    assert sorted(p.relative_to(src).as_posix() for p in src.rglob("*.yaml")
                  if "holiday" in p.name or p.name == "calendar.yaml") == ["core/holidays.yaml"]
