"""s55(5A) arithmetic and working days, with literal dates."""

from datetime import UTC, date, datetime

import pytest

from s55.config import BankHolidays
from s55.domain import deadlines as d


@pytest.mark.parametrize("published, last", [
    (date(2022, 9, 22), date(2022, 11, 16)),   # DOMAIN.md: Thu 22 Sep 2022 -> Wed 16 Nov 2022
    (date(2022, 11, 2), date(2022, 12, 27)),   # a substitute bank holiday is still the last day
    (date(2024, 1, 10), date(2024, 3, 5)),     # leap year: 29 Feb counts
    (date(2023, 1, 10), date(2023, 3, 6)),     # the same dates a year earlier
    (date(2017, 5, 2), date(2017, 6, 26)),     # the commencement day itself
])
def test_the_last_day_is_the_publication_date_plus_55_calendar_days(published, last):
    assert d.statutory_last_day(published) == last


def test_reports_published_before_2_may_2017_have_no_statutory_deadline():
    assert d.statutory_last_day(date(2017, 5, 1)) is None
    assert d.progress(date(2017, 5, 1), None, date(2017, 7, 1)) == "no statutory deadline"


def test_a_kind_without_a_period_has_no_deadline():
    assert d.statutory_last_day(date(2022, 9, 22), period_days=None) is None


def test_the_publication_day_is_day_1_and_the_last_day_is_day_56():
    published, last = date(2022, 9, 22), date(2022, 11, 16)
    assert d.progress(published, last, published) == "day 1 of 56"
    assert d.progress(published, last, last) == "day 56 of 56"
    assert d.days_left(last, last) == 1


def test_a_day_past_the_last_day_is_late_by_one_day():
    published, last = date(2022, 9, 22), date(2022, 11, 16)
    assert d.progress(published, last, date(2022, 11, 17)) == "late by 1 day"
    assert d.progress(published, last, date(2022, 11, 26)) == "late by 10 days"


def test_publication_is_described_by_the_day_it_happened_on():
    published, last = date(2022, 9, 22), date(2022, 11, 16)
    assert d.progress(published, last, date(2023, 1, 1), done_on=date(2022, 11, 1)) == \
        "published on day 41 of 56 (on time)"
    assert d.progress(published, last, date(2023, 1, 1), done_on=date(2022, 11, 18)) == \
        "published 2 days late"


def test_working_days_skip_weekends_and_the_christmas_bank_holidays():
    holidays = BankHolidays()
    # Thu 22 Dec 2022: Fri 23, then Mon 26 and Tue 27 are bank holidays
    assert d.add_working_days(date(2022, 12, 22), 1, holidays) == date(2022, 12, 23)
    assert d.add_working_days(date(2022, 12, 22), 2, holidays) == date(2022, 12, 28)


def test_the_queens_state_funeral_was_not_a_working_day():
    assert date(2022, 9, 19) in BankHolidays()
    assert d.add_working_days(date(2022, 9, 16), 1, BankHolidays()) == date(2022, 9, 20)


def test_working_days_between_counts_the_end_not_the_start():
    assert d.working_days_between(date(2022, 12, 22), date(2022, 12, 28), BankHolidays()) == 2


def test_today_is_the_london_date_across_the_clock_change(home):
    from tests.conftest import make_ctx

    # 23:30 UTC on 30 June is already 1 July in British Summer Time ...
    assert make_ctx(home, when=datetime(2022, 6, 30, 23, 30, tzinfo=UTC)).today() == date(2022, 7, 1)
    # ... but the same time in December is still the same day (GMT)
    assert make_ctx(home, when=datetime(2022, 12, 30, 23, 30, tzinfo=UTC)).today() == \
        date(2022, 12, 30)
