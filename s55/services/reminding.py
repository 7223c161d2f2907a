"""The reminder sweep: one indexed query finds the reviews whose stored plan has a reminder due
today (or that changed and are to be planned again), the plan says what is due, each reminder
goes through the outbox once per (record, rule, date), and the review's next reminder day is
stored for the next sweep."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from ..config import load_reminder_rules
from ..domain import deadlines
from ..domain.errors import Conflict
from ..domain.reminders import Due, choose, plan
from ..domain.workflow import HELD_BY, WAITING_FOR, Role, Stage
from ..mail.compose import compose, compose_bilingual
from ..render import language
from ..store import repo
from ..store.models import Review
from .context import Context, long_date
from .mailing import mail_context, outbox_row

COMMANDS = {
    Stage.DRAFT: "s55 invite {ref} --as {to}",
    Stage.AWAITING_CHIEF_OFFICER: "s55 comment {ref} --version {v} --file COMMENTS.txt --as {to}",
    Stage.AWAITING_LOCAL_POLICING_BODY: "s55 comment {ref} --initial A.txt --overall C.txt --as "
                                        "{to}; s55 answer {ref} N --kind ... --text ... --as {to}",
    Stage.AWAITING_SIGN_OFF: "s55 sign-off {ref} --version {v} --as {to}",
    Stage.SIGNED_OFF: "s55 publish {ref} --as {to}",
}


BATCH = 50  # reviews planned in one transaction


def sweep(ctx: Context, *, today: date | None = None, office: str | None = None) -> dict:
    """Write today's reminders to the outbox (not yet sent) and report what was skipped: of
    every office, or of one (a sweep run by hand by a person of that office)."""
    today = today or ctx.today()
    report = {"today": today.isoformat(), "planned": [], "skipped": [], "refs": []}
    if not deadlines.is_working_day(today, ctx.holidays):
        report["quiet"] = "a weekend or bank holiday: no reminders today; they go on the next " \
                          "working day (or, if planned for today, went on the working day before)"
        return report
    with ctx.uow(read=True) as session:
        refs = repo.reviews_to_remind(session, today, office)
    # a transaction per batch of reviews (one commit, not one per review); a batch that meets
    # another sweep at the same moment is done again review by review, so only the reviews
    # that sweep took are left to it
    for start in range(0, len(refs), BATCH):
        batch = refs[start:start + BATCH]
        try:
            _batch(ctx, batch, today, report)
        except Conflict:
            for ref in batch:
                try:
                    _batch(ctx, [ref], today, report)
                except Conflict:
                    report["skipped"].append(
                        f"{ref}: another sweep wrote its reminders at the same moment")
    return report


def _batch(ctx: Context, refs: list[str], today: date, report: dict) -> None:
    """The reviews' reminders in one transaction; `report` is added to only once it commits."""
    mine = {"planned": [], "skipped": [], "refs": []}
    with ctx.uow() as session:
        rows = repo.reviews_by_ref(session, refs)
        # one query for the batch's reminders, one statement for its plans (a round trip
        # each, not one per review: on PostgreSQL the round trips are most of the cost)
        sent = repo.reminders_of(session, [row.id for row in rows])
        plans = []
        for row in rows:
            office = ctx.office_of(row)
            rules = load_reminder_rules(ctx.config_file(office, "reminders.yaml"))
            plans.append((row, _one(ctx, session, row, rules, today, mine,
                                    sent.get(row.id, []))))
        repo.plan_next_reminders(session, plans)
    for key, lines in mine.items():
        report[key] += lines


def _one(ctx: Context, session: Session, row: Review, rules: dict, today: date,
         report: dict, mine: list) -> date | None:
    """Write the review's reminders due today (`mine`: those written before); its next
    reminder day (None: nothing more to plan)."""
    anchors = {"chief_officer_due": row.chief_officer_due,
               "statutory_last_day": row.statutory_last_day}
    dues = plan(row.stage, anchors, rules.get(row.kind, []), ctx.holidays)
    valid = {d.key for d in dues}
    for msg in mine:  # a moved date or a new stage: what was planned for the old one is void
        if msg.status in ("pending", "failed") and msg.purpose not in valid:
            msg.status, msg.last_error = "cancelled", "the date it was for no longer applies"
    decision = choose(dues, today, already={m.purpose for m in mine})
    at = ctx.now()
    # what a message says about the review: worked out only when one is to be written
    office = ctx.office_of(row)
    record = repo.current_record(session, row) if decision.send else None
    context = mail_context(ctx, session, row, record, None) if decision.send else {}
    # a Welsh office's reminders go in both languages
    welsh = mail_context(ctx, session, row, record, None, "cy") \
        if decision.send and office.welsh and record.bilingual else None
    for due in decision.send:
        for name, email in _recipients(office, due):
            who = {"recipient": email, "recipient_name": name}
            english = {**context, **_explain(row, due, today), **who}
            if welsh is not None:
                message = compose_bilingual("reminder", english,
                                            {**welsh, **_explain(row, due, today, "cy"), **who},
                                            ctx.templates(office),
                                            welsh_first=office.welsh_first)
            else:
                message = compose("reminder", english, ctx.templates(office))
            _add(session, row, due.key, email, name, "pending", "", at, message)
        report["planned"].append(f"{row.ref}: {due.rule.id} ({due.anchor_date.isoformat()})")
    for due, why in decision.skip:
        _add(session, row, due.key, "", "", "skipped", why, at, None)
        report["skipped"].append(f"{row.ref}: {due.rule.id}: {why}")
    if decision.send:
        report["refs"].append(row.ref)
    # the stored plan: the next day with a reminder still to decide (None: nothing more)
    decided = {m.purpose for m in mine} | {d.key for d in decision.send} \
        | {d.key for d, _why in decision.skip}
    later = [d.send_on for d in dues if d.key not in decided and d.send_on > today]
    return min(later) if later else None


def _recipients(office, due: Due) -> list[tuple[str, str]]:
    directory, out = office.directory, []
    for who in due.rule.to:
        if who == "chief executive":
            person = directory.find(office.chief_executive)
            out += [(person.name, person.email)] if person else []
        else:
            out += [(p.name, p.email) for p in directory.holders(Role(who))]
    return list(dict.fromkeys(out))


def _explain(row: Review, due: Due, today: date, lang: str = "en") -> dict:
    if lang != "en":
        return _explain_in(row, due, today, lang)
    stage = Stage(row.stage)
    holder = HELD_BY.get(stage, Role.OPCC_OFFICER)
    if due.rule.anchor == "chief_officer_due":
        if due.rule.days < 0:
            about = f"The chief officer's comments are due on {long_date(due.anchor_date)}"
        elif due.rule.days == 0:
            about = "The chief officer's comments are due today"
        else:
            about = f"The chief officer's comments are overdue: they were due on " \
                    f"{long_date(due.anchor_date)}"
    else:
        left = deadlines.days_left(row.statutory_last_day, today)
        about = f"{left} days left to publish: the statutory last day is " \
                f"{long_date(due.anchor_date)}"
    return {"about": about, "escalation": due.rule.escalation, "today_long": long_date(today),
            "days_left": deadlines.days_left(row.statutory_last_day, today),
            "progress": deadlines.progress(row.report_published_on, row.statutory_last_day, today),
            "waiting_for": WAITING_FOR[stage], "holder": f"the {holder}",
            "command": COMMANDS.get(stage, "s55 show {ref}").format(
                ref=row.ref, v=row.current_version[:12], to="YOUR-EMAIL")}


def _explain_in(row: Review, due: Due, today: date, lang: str) -> dict:
    """What _explain says, in another language (the catalogue's words, Babel's dates)."""
    english = _explain(row, due, today)
    stage = Stage(row.stage)
    holder = HELD_BY.get(stage, Role.OPCC_OFFICER)
    day = language.long_date(due.anchor_date, lang)
    if due.rule.anchor == "chief_officer_due":
        about = (language._(lang, "The chief officer's comments are due on %(day)s", day=day)
                 if due.rule.days < 0 else
                 language._(lang, "The chief officer's comments are due today")
                 if due.rule.days == 0 else
                 language._(lang, "The chief officer's comments are overdue: they were due on "
                                  "%(day)s", day=day))
    else:
        left = deadlines.days_left(row.statutory_last_day, today)
        about = language.translations(lang).ngettext(
            "%(left)s day left to publish: the statutory last day is %(day)s",
            "%(left)s days left to publish: the statutory last day is %(day)s",
            left if left is not None else 0) % {"left": language.number(left or 0, lang),
                                                "day": day}
    return {**english, "about": about, "today_long": language.long_date(today, lang),
            "progress": language.progress_now(row.report_published_on, row.statutory_last_day,
                                              today, lang),
            "waiting_for": language._(lang, WAITING_FOR[stage]),
            "holder": language._(lang, f"the {holder}")}


def _add(session, row, purpose, email, name, status, error, at: datetime, message) -> None:
    session.add(outbox_row(review_id=row.id, key=f"{row.ref}|{purpose}|{email}", version="",
                           purpose=purpose, template="reminder", email=email, name=name,
                           message=message, at=at, status=status, error=error))
