"""The reminder plan: which reminder falls on which day, and which are still worth sending.

Pure: `today` and the holiday calendar are arguments. Internal dates are planned in
England and Wales working days; the statutory day count (s55(5A): "before the end of
the period of 56 days beginning with the day on which the report is published") is in
calendar days. No reminder is sent on a quiet day (weekend or bank holiday): it goes on
the working day before.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date, timedelta

from .deadlines import add_working_days, is_working_day


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    anchor: str  # "chief_officer_due" (working days) or "statutory_last_day" (calendar days)
    days: int
    stages: frozenset[str]
    to: tuple[str, ...]
    escalation: bool = False


@dataclass(frozen=True)
class Due:
    rule: Rule
    anchor_date: date
    send_on: date

    @property
    def key(self) -> str:
        """Once per (record, rule, anchor date): a moved date is a new reminder."""
        return f"reminder:{self.rule.id}:{self.anchor_date.isoformat()}"


def before_quiet_days(day: date, holidays: Container[date]) -> date:
    while not is_working_day(day, holidays):
        day -= timedelta(days=1)
    return day


def send_on(rule: Rule, anchor: date, holidays: Container[date]) -> date:
    if rule.anchor == "chief_officer_due":
        if rule.days >= 0:
            day = add_working_days(anchor, rule.days, holidays)
        else:
            day = anchor
            for _ in range(-rule.days):
                day = before_quiet_days(day - timedelta(days=1), holidays)
    else:
        day = anchor + timedelta(days=rule.days)
    return before_quiet_days(day, holidays)


def plan(stage: str, anchors: dict[str, date | None], rules: list[Rule],
         holidays: Container[date]) -> list[Due]:
    """Every reminder that applies to a review in `stage` with these dates, soonest first."""
    out = []
    for rule in rules:
        anchor = anchors.get(rule.anchor)
        if anchor is not None and stage in rule.stages:
            out.append(Due(rule, anchor, send_on(rule, anchor, holidays)))
    return sorted(out, key=lambda d: (d.send_on, d.rule.id))


@dataclass(frozen=True)
class Decision:
    send: list[Due]
    skip: list[tuple[Due, str]]  # with the reason


def choose(plan_: list[Due], today: date, already: Container[str]) -> Decision:
    """What to send today. In each family only the newest reminder that is due goes out; older
    ones never sent are skipped (a sweep that missed days sends no burst of stale mail), and
    so is one whose date has passed ('due in 3 days' the day after the due date is untrue).
    `already` holds the keys sent or skipped before: nothing is decided twice."""
    send, skip = [], []
    families: dict[str, list[Due]] = {}
    for due in plan_:
        if due.send_on <= today:
            families.setdefault(due.rule.family, []).append(due)
    for dues in families.values():
        newest = dues[-1]
        for older in dues[:-1]:
            if older.key not in already:
                skip.append((older, f"superseded by {newest.rule.id}: the sweep did not run on "
                                    f"{older.send_on.isoformat()}"))
        if newest.key in already:
            continue
        if newest.rule.days < 0 and today > newest.anchor_date:
            skip.append((newest, f"its date, {newest.anchor_date.isoformat()}, has passed"))
        else:
            send.append(newest)
    return Decision(send, skip)
