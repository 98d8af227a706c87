"""Chinese working days (工作日) with the State Council's adjusted holidays and make-up
workdays (调休), from the `chinesecalendar` package (import name `chinese_calendar`).

The package ships data for a range of years (2004–2026 in 1.11); for a year it does not know
yet, Monday to Friday count as working days — a documented fallback, never an error.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar


def is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # year outside the package's data: plain weekdays
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_workday(current):
            count += 1
    return count
