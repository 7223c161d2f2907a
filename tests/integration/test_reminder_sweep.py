"""The reminder sweep over simulated days, with a real SMTP server on loopback: exactly which
messages arrive on which day."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest

from s55.housestyle import parse_record
from s55.services import drafting, mailing, reminding, route
from s55.services.context import LONDON
from s55.store import repo
from tests.conftest import OPCC, make_ctx

CHIEF = "chief.constable@example.org"
CHIEF_EXEC = "chief.executive@example.org"
COMMISSIONER = "commissioner@example.org"


@pytest.fixture
def server(smtp_server):
    return smtp_server.start()


@pytest.fixture
def ctx(home, db_url, server):
    return make_ctx(home, db_url, when=datetime(2022, 12, 16, 9, tzinfo=UTC),
                    mail_transport="smtp", smtp_host="127.0.0.1", smtp_port=server.port,
                    smtp_security="none", smtp_timeout=5)


def morning(ctx, day: date) -> None:
    ctx.clock.when = datetime.combine(day, time(7, 0), LONDON).astimezone(UTC)


def run_sweep(ctx, day: date) -> dict:
    """What the reminder_sweep flow does, without Prefect: plan, then deliver waiting mail."""
    morning(ctx, day)
    report = reminding.sweep(ctx, today=day)
    with ctx.uow() as session:
        refs = repo.refs_with_unsent_mail(session)
    for ref in refs:
        mailing.deliver(ctx, ref)
    return report


def arrivals(ctx, server, first: date, last: date, skip=()) -> dict:
    """Sweep every day from first to last (except `skip`); which reminders arrived when."""
    seen, days = 0, defaultdict(list)
    day = first
    while day <= last:
        if day not in skip:
            run_sweep(ctx, day)
            for msg in server.mailbox.received[seen:]:
                if "Reminder" in msg["Subject"] or "Escalation" in msg["Subject"]:
                    days[day].append((msg["To"].split("<")[-1].rstrip(">"),
                                      msg["Subject"].split(":")[0]))
            seen = len(server.mailbox.received)
        day += timedelta(days=1)
    return dict(days)


def opened_before_christmas(ctx, seed_text) -> str:
    """Published and invited on Fri 16 Dec 2022, the last Friday before the bank holidays."""
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=date(2022, 12, 16))
    due = route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    # 15 working days, skipping the weekends and 26 Dec, 27 Dec and 2 Jan: Wed 11 Jan 2023
    assert due == date(2023, 1, 11)
    return ref


def test_a_review_opened_on_the_friday_before_a_bank_holiday(ctx, server, seed_text):
    opened_before_christmas(ctx, seed_text)
    got = arrivals(ctx, server, date(2022, 12, 16), date(2023, 2, 10))
    overdue = "[Escalation] The chief officer's comments are overdue"
    assert got == {
        date(2023, 1, 6): [(CHIEF, "Reminder")],  # 3 working days before Wed 11 Jan
        date(2023, 1, 11): [(CHIEF, "Reminder")],  # on the day
        date(2023, 1, 13): [(CHIEF, overdue), (CHIEF_EXEC, overdue)],  # 2 working days after
        # the statutory last day is Thu 9 Feb 2023; 14 calendar days before is Thu 26 Jan
        date(2023, 1, 26): [(COMMISSIONER, "Reminder"), ("opcc.officer@example.org", "Reminder"),
                            (CHIEF_EXEC, "Reminder")],
        date(2023, 2, 3): [(COMMISSIONER, "[Escalation] 7 days left to publish"),
                           (CHIEF_EXEC, "[Escalation] 7 days left to publish")],
    }


def test_moving_the_due_date_replans_and_nothing_goes_for_the_old_date(ctx, server, seed_text):
    ref = opened_before_christmas(ctx, seed_text)
    first = arrivals(ctx, server, date(2023, 1, 4), date(2023, 1, 8))
    assert first == {date(2023, 1, 6): [(CHIEF, "Reminder")]}
    morning(ctx, date(2023, 1, 9))
    route.move_chief_officer_due(ctx, actor=OPCC, ref=ref, due=date(2023, 1, 18),
                                 reason="The chief constable asked for a week")
    got = arrivals(ctx, server, date(2023, 1, 9), date(2023, 1, 20))
    assert date(2023, 1, 11) not in got  # the old due date: nothing
    # Fri 13 Jan was the old date's escalation day; now it is 3 working days before Wed 18 Jan
    assert got[date(2023, 1, 13)] == [(CHIEF, "Reminder")]
    assert got[date(2023, 1, 18)] == [(CHIEF, "Reminder")]
    assert [to for to, _ in got[date(2023, 1, 20)]] == [CHIEF, CHIEF_EXEC]


def test_a_sweep_missed_for_a_week_sends_what_is_useful_and_says_what_it_skipped(ctx, server,
                                                                                seed_text):
    opened_before_christmas(ctx, seed_text)
    missed = {date(2023, 1, 5) + timedelta(days=n) for n in range(11)}  # Thu 5 to Sun 15 Jan
    got = arrivals(ctx, server, date(2023, 1, 4), date(2023, 1, 16), skip=missed)
    overdue = "[Escalation] The chief officer's comments are overdue"
    assert got == {date(2023, 1, 16): [(CHIEF, overdue), (CHIEF_EXEC, overdue)]}
    skipped = [m for m in mailing.outbox_rows(ctx, status="skipped")]
    assert len(skipped) == 2
    assert all("superseded by chief-officer-overdue" in m["last_error"] for m in skipped)


def test_two_sweeps_at_once_send_each_reminder_once(ctx, server, seed_text):
    opened_before_christmas(ctx, seed_text)
    morning(ctx, date(2023, 1, 6))
    barrier = threading.Barrier(2)

    def sweep():
        barrier.wait()
        reminding.sweep(ctx, today=date(2023, 1, 6))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    run_sweep(ctx, date(2023, 1, 6))
    reminders = [m for m in server.mailbox.received if "Reminder" in m["Subject"]]
    assert len(reminders) == 1


def test_every_reminder_explains_its_dates(ctx, server, seed_text):
    ref = opened_before_christmas(ctx, seed_text)
    arrivals(ctx, server, date(2023, 1, 6), date(2023, 1, 6))
    msg = next(m for m in server.mailbox.received if "Reminder" in m["Subject"])
    body = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_payload(
        decode=True).decode()
    for fact in ('"before the end of the period of 56 days beginning with the day on which the '
                 "report is published\"", "Fri 16 Dec 2022 + 55", "= Thu 09 Feb 2023",
                 "day 22 of 56", "35 days left including today",
                 "the chief officer's comments, held by the chief officer",
                 "15 England and Wales working days after the invitation",
                 f"s55 comment {ref} --version"):
        assert fact in " ".join(body.split()), fact


def test_a_withdrawn_or_sent_back_review_gets_no_reminder_for_its_old_plan(ctx, server, seed_text):
    withdrawn = opened_before_christmas(ctx, seed_text)
    sent_back = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                                     published_on=date(2022, 12, 16))
    route.invite_chief_officer(ctx, actor=OPCC, ref=sent_back)
    morning(ctx, date(2023, 1, 3))
    route.withdraw(ctx, actor=OPCC, ref=withdrawn, reason="Superseded by the force report")
    route.send_back(ctx, actor=OPCC, ref=sent_back, to="drafting", reason="Wrong report attached")
    got = arrivals(ctx, server, date(2023, 1, 3), date(2023, 1, 31))
    # neither gets a chief officer reminder; the draft still gets its last-week escalation
    # only in February, outside this window
    assert got == {}


def test_the_plan_is_stored_so_a_sweep_reads_only_what_is_due(ctx, server, seed_text):
    """After a sweep, a review's next reminder day is stored: sweeps before it read nothing;
    a decision that moves its dates puts it back in the next sweep's one query."""
    from s55.store.models import REPLAN, Review

    ref = opened_before_christmas(ctx, seed_text)

    def planned() -> date | None:
        with ctx.uow(read=True) as session:
            return session.query(Review).filter_by(ref=ref).one().next_reminder_on

    assert planned() == REPLAN  # new, and invited: to be planned
    run_sweep(ctx, date(2022, 12, 19))
    assert planned() == date(2023, 1, 6)  # 3 working days before the due date, Wed 11 Jan
    with ctx.uow(read=True) as session:
        assert repo.reviews_to_remind(session, date(2023, 1, 5)) == []
    assert run_sweep(ctx, date(2023, 1, 5))["planned"] == []
    morning(ctx, date(2023, 1, 5))
    route.move_chief_officer_due(ctx, actor=OPCC, ref=ref, due=date(2023, 1, 9),
                                 reason="brought forward")
    assert planned() == REPLAN
    assert run_sweep(ctx, date(2023, 1, 5))["planned"] == [
        f"{ref}: chief-officer-due-soon (2023-01-09)"]
    assert planned() == date(2023, 1, 9)


def test_a_decision_at_the_moment_of_the_sweep_is_never_refused_and_keeps_its_replan(
        ctx, seed_text):
    from s55.store.models import REPLAN, Review

    ref = opened_before_christmas(ctx, seed_text)
    with ctx.uow(read=True) as session:  # the sweep read the review ...
        seen = session.query(Review).filter_by(ref=ref).one()
    morning(ctx, date(2023, 1, 5))
    route.move_chief_officer_due(ctx, actor=OPCC, ref=ref, due=date(2023, 1, 9),
                                 reason="brought forward")  # ... a decision went in ...
    with ctx.uow() as session:  # ... and then the sweep stores the plan it made from what it read
        repo.plan_next_reminders(session, [(seen, date(2023, 1, 6))])
    with ctx.uow(read=True) as session:
        assert session.query(Review).filter_by(ref=ref).one().next_reminder_on == REPLAN
