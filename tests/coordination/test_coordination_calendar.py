"""Working days (holidays, make-up days), deadlines per stage, and policy-file errors."""

import datetime as dt

import polars as pl
import pytest

from innocredit.coordination.flow import overdue
from innocredit.coordination.policy import PolicyError
from innocredit.coordination.routing import load_bank_policy
from innocredit.coordination.screening import load_screening_policy
from innocredit.core.calendar import WorkCalendar, default_calendar


def test_spring_festival_2026():
    cal = default_calendar()
    # Fri 13 Feb 2026 is a working day; Sat 14 Feb is a make-up working day; 16-20 and 23 Feb are holidays
    assert cal.is_working_day(dt.date(2026, 2, 14)) and not cal.is_working_day(dt.date(2026, 2, 16))
    # working days in [13 Feb, 2 Mar): 13, 14, 24, 25, 26, 27, 28 (Sat, make-up) = 7
    assert cal.working_days_between([dt.date(2026, 2, 13)], [dt.date(2026, 3, 2)]).tolist() == [7]
    assert cal.add_working_days(dt.date(2026, 2, 13), 5) == dt.date(2026, 2, 27)


def test_overdue_per_stage():
    cal = WorkCalendar()  # weekends only
    t = lambda s: dt.datetime.fromisoformat(s).replace(tzinfo=dt.UTC)  # noqa: E731
    pushes = pl.DataFrame({
        "push_id": [1, 2, 3, 4],
        "bank_id": ["b1", "b1", "b2", "b2"],
        "status": ["pushed", "pushed", "accepted", "declined"],
        "pushed_at": [t("2026-03-02T09:00"), t("2026-03-05T09:00"), t("2026-02-02T09:00"), t("2026-02-02T09:00")],
        "accepted_at": [None, None, t("2026-02-03T09:00"), None],
    })
    late = overdue(pushes, t("2026-03-10T12:00"), calendar=cal)
    rows = {r["push_id"]: r for r in late.to_dicts()}
    # push 1: working days in (2 Mar, 10 Mar] = 3,4,5,6,9,10 = 6 > 5 -> overdue by 1
    assert rows[1]["stage"] == "answer" and rows[1]["working_days"] == 6 and rows[1]["overdue_by"] == 1
    # push 2: (5 Mar, 10 Mar] = 6, 9, 10 = 3 -> not overdue
    assert 2 not in rows
    # push 3: accepted 3 Feb; (3 Feb, 10 Mar] = 25 working days > 15 -> credit stage overdue by 10
    assert rows[3]["stage"] == "credit" and rows[3]["working_days"] == 25 and rows[3]["overdue_by"] == 10
    assert 4 not in rows  # declined: nothing is due


def test_policy_errors_name_file_and_path(tmp_path):
    bad = tmp_path / "banks.yaml"
    bad.write_text("id: banks\nversion: '1'\nmax_banks_per_firm: 0\nbanks: []\n", encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        load_bank_policy(bad)
    assert str(e.value).startswith(f"{bad}: $.banks: [] should be non-empty; also $.max_banks_per_firm: ")
    crit = tmp_path / "s.yaml"
    crit.write_text("id: s\nversion: '1'\ncriteria:\n  - id: x\n    name: {zh: 甲, en: A}\n"
                    "    when: {field: a, op: bigger, value: 1}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"s\.yaml: \$\.criteria\[0\]\.when"):
        load_screening_policy(crit)
    with pytest.raises(PolicyError, match=r"absent\.yaml: no such file"):
        load_screening_policy(tmp_path / "absent.yaml")
