"""Deadline arithmetic. Pure: `today` and the holiday calendar are always arguments.

Police Act 1996, s55(5A), for reports published on or after 2 May 2017:
    "... before the end of the period of 56 days beginning with the day on which
    the report is published."
The publication day is day 1, so the last permitted day is the publication date plus
55 calendar days: no working-day rule, no roll-forward over weekends or bank holidays,
no extension. Internal dates (the chief officer's due date, reminders) are planned in
England and Wales working days instead.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date, timedelta

S55_5A_COMMENCEMENT = date(2017, 5, 2)
STATUTORY_PERIOD_DAYS = 56


def statutory_last_day(
    published_on: date,
    *,
    period_days: int | None = STATUTORY_PERIOD_DAYS,
    applies_from: date | None = S55_5A_COMMENCEMENT,
) -> date | None:
    """The last day on which publication is still in time, or None where no period applies."""
    if period_days is None:
        return None
    if applies_from is not None and published_on < applies_from:
        return None
    return published_on + timedelta(days=period_days - 1)


def day_of_period(published_on: date, today: date) -> int:
    """Day 1 is the report's publication day."""
    return (today - published_on).days + 1


def progress(
    published_on: date, last_day: date | None, today: date, *, done_on: date | None = None
) -> str:
    """'day N of 56', 'late by N days', or, once done, on which day it was done."""
    if last_day is None:
        return "no statutory deadline"
    period = (last_day - published_on).days + 1
    if done_on is not None:  # finished is finished: measured to the day of publication
        late = (done_on - last_day).days
        if late > 0:
            return f"published {_days(late)} late"
        return f"published on day {day_of_period(published_on, done_on)} of {period} (on time)"
    if today < published_on:
        return f"report not yet published (day 1 is {published_on.isoformat()})"
    late = (today - last_day).days
    if late > 0:
        return f"late by {_days(late)}"
    return f"day {day_of_period(published_on, today)} of {period}"


def days_left(last_day: date | None, today: date) -> int | None:
    """Days left including today: 1 on the last day itself, 0 or less once it has passed."""
    return None if last_day is None else (last_day - today).days + 1


def is_working_day(day: date, holidays: Container[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, count: int, holidays: Container[date]) -> date:
    """The date `count` working days after `start` (start itself never counts)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    while count:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            count -= 1
    return day


def working_days_before(end: date, count: int, holidays: Container[date]) -> date:
    """The working day `count` working days before `end` (`end` itself never counts)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = end
    while count:
        day -= timedelta(days=1)
        if is_working_day(day, holidays):
            count -= 1
    return day


def working_days_between(start: date, end: date, holidays: Container[date]) -> int:
    """Working days after `start` up to and including `end`."""
    day, count = start, 0
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, holidays)
    return count


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"
