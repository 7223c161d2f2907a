"""The reminder plan with literal dates: quiet days, families, missed sweeps."""

from datetime import date

from s55.config import BankHolidays
from s55.domain.reminders import Rule, before_quiet_days, choose, plan, send_on

H = BankHolidays()
AWAITING_CO = "awaiting chief officer"


def rule(id_, anchor, days, family="f", stages=(AWAITING_CO,)):
    return Rule(id_, family, anchor, days, frozenset(stages), ("chief officer",))


SOON = rule("soon", "chief_officer_due", -3)
TODAY = rule("today", "chief_officer_due", 0)
OVERDUE = rule("overdue", "chief_officer_due", 2)
TWO_WEEKS = rule("two-weeks", "statutory_last_day", -14, family="s")


def test_a_reminder_that_would_fall_on_a_quiet_day_goes_on_the_working_day_before():
    assert before_quiet_days(date(2022, 12, 27), H) == date(2022, 12, 23)  # Tue bank holiday
    assert before_quiet_days(date(2022, 9, 19), H) == date(2022, 9, 16)  # the state funeral
    # last day Wed 16 Nov 2022 - 14 = Wed 2 Nov: a working day, so it stays
    assert send_on(TWO_WEEKS, date(2022, 11, 16), H) == date(2022, 11, 2)
    # last day Tue 27 Dec 2022 - 14 = Tue 13 Dec
    assert send_on(TWO_WEEKS, date(2022, 12, 27), H) == date(2022, 12, 13)
    # 14 days before Sun 29 Jan 2023 is Sun 15 Jan: sent on Fri 13 Jan
    assert send_on(TWO_WEEKS, date(2023, 1, 29), H) == date(2023, 1, 13)


def test_chief_officer_reminders_count_working_days():
    due = date(2022, 12, 29)  # Thu, after the Christmas bank holidays
    assert send_on(SOON, due, H) == date(2022, 12, 22)  # Wed 28, Fri 23, Thu 22
    assert send_on(TODAY, due, H) == due
    assert send_on(OVERDUE, due, H) == date(2023, 1, 3)  # Fri 30, (Mon 2 Jan holiday), Tue 3


def test_only_reminders_for_the_reviews_stage_are_planned():
    anchors = {"chief_officer_due": date(2022, 10, 14), "statutory_last_day": date(2022, 11, 16)}
    assert [d.rule.id for d in plan(AWAITING_CO, anchors, [SOON, TWO_WEEKS], H)] == \
        ["soon", "two-weeks"]
    assert plan("signed off", anchors, [SOON, TWO_WEEKS], H) == []


def test_a_missed_week_sends_only_the_newest_reminder_and_reports_the_rest():
    anchors = {"chief_officer_due": date(2022, 10, 14)}
    dues = plan(AWAITING_CO, anchors, [SOON, TODAY, OVERDUE], H)
    decision = choose(dues, date(2022, 10, 19), already=set())
    assert [d.rule.id for d in decision.send] == ["overdue"]
    assert [(d.rule.id, why.split(":")[0]) for d, why in decision.skip] == [
        ("soon", "superseded by overdue"), ("today", "superseded by overdue")]


def test_a_before_reminder_whose_date_has_passed_is_skipped_not_sent():
    dues = plan(AWAITING_CO, {"chief_officer_due": date(2022, 10, 14)}, [SOON], H)
    decision = choose(dues, date(2022, 10, 17), already=set())
    assert decision.send == [] and "has passed" in decision.skip[0][1]


def test_nothing_is_decided_twice():
    dues = plan(AWAITING_CO, {"chief_officer_due": date(2022, 10, 14)}, [SOON, TODAY], H)
    first = choose(dues, date(2022, 10, 14), already=set())
    done = {d.key for d in first.send} | {d.key for d, _ in first.skip}
    again = choose(dues, date(2022, 10, 14), already=done)
    assert again.send == [] and again.skip == []


def test_a_moved_date_is_a_new_reminder():
    before = plan(AWAITING_CO, {"chief_officer_due": date(2022, 10, 14)}, [TODAY], H)
    after = plan(AWAITING_CO, {"chief_officer_due": date(2022, 10, 21)}, [TODAY], H)
    assert before[0].key != after[0].key
