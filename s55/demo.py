"""`s55 demo`: the whole route on a real record, on a simulated office calendar.

The clock is simulated so that the day counts read as they did for the real report:
every step happens on a stated day after publication, and the audit trail records
those simulated times. Nothing else differs from the commands an office would run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

from .domain.deadlines import add_working_days
from .domain.errors import InvalidInput, S55Error
from .housestyle import parse_record
from .services import anchoring, drafting, mailing, publishing, reading, route
from .services.automation import run_here
from .services.context import LONDON, Context, long_date
from .views import audit_text

SHARED_RECORD = Path(__file__).resolve().parents[2] / "shared" / "data" / "staffordshire-peel-2022.txt"
STAFFORDSHIRE_PUBLISHED = date(2022, 9, 22)

OPCC = "opcc.officer@example.org"
STAFF_OFFICER = "staff.officer@example.org"  # acts for the Chief Constable
COMMISSIONER = "commissioner@example.org"
DEPUTY = "deputy.commissioner@example.org"  # acts for the Commissioner
AUDITOR = "auditor@example.org"


class SimulatedClock:
    def __init__(self, day_one: date):
        self.day_one = day_one
        self.moment = datetime.combine(day_one, time(9, 0), LONDON)

    def on(self, day: date, hour: int, minute: int = 0) -> str:
        self.moment = datetime.combine(day, time(hour, minute), LONDON)
        n = (day - self.day_one).days + 1
        return f"day {n}, {day.strftime('%a %d %b %Y')} {hour:02d}:{minute:02d}"

    def __call__(self) -> datetime:
        return self.moment.astimezone(UTC)


def say(text: str) -> None:
    print(text, flush=True)


def step(ctx: Context, ref: str) -> None:
    result = run_here(ctx, ref, at=ctx.now())
    for done in result["done"]:
        say(f"      route: {done}")
    say(f"      route: {ref} is {result['stage']}; waiting for {result['waiting_for']}")


def run_demo(file: Path | None, published_on: date | None) -> int:
    if file is None:
        file, published_on = SHARED_RECORD, published_on or STAFFORDSHIRE_PUBLISHED
    if published_on is None:
        raise InvalidInput("published_on", "required with a FILE: the house style has no date")
    clock = SimulatedClock(published_on)
    ctx = Context.from_env()
    ctx.clock = clock
    say(f"s55 demo: {file.name}, report published {long_date(published_on)}")
    say(f"  home: {ctx.settings.home} (database {ctx.settings.db_url})")
    say("  the office calendar is simulated: each step happens on the day shown\n")
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidInput(str(file), f"cannot be read ({err})") from None
    record = parse_record(text)

    say(f"[{clock.on(published_on, 10)}] the OPCC registers the report and opens a review")
    ref = drafting.open_review(ctx, actor=OPCC, record=record, published_on=published_on,
                               source=file.name)
    shown = reading.show(ctx, actor=OPCC, ref=ref)
    say(f"      {ref}: {shown['statutory_rule']}")
    say(f"      {shown['progress']}; {shown['counts']}")
    for line in shown["outstanding"]:
        say(f"      flagged: {line}")

    if record.causes_of_concern and not record.recommendations:
        say(f"[{clock.on(published_on, 11)}] the OPCC records the recommendations behind each cause of "
            "concern (demo data: the record's Recommendations field is empty)")
        for cause in record.causes_of_concern:
            drafting.add_item(ctx, actor=OPCC, ref=ref, kind="recommendations",
                              text=f"The force should act on the cause of concern: {cause.text}")

    def working_day(after: date, n: int) -> date:
        return add_working_days(after, n, ctx.holidays)

    invited_on = working_day(published_on, 1)
    say(f"[{clock.on(invited_on, 9)}] the OPCC invites the chief officer's comments (s55(4))")
    due = route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    say(f"      due {long_date(due)}: "
        f"{ctx.kind('police-s55').chief_officer_due_working_days} working days, skipping "
        "weekends and England and Wales bank holidays")
    step(ctx, ref)

    co_day = working_day(invited_on, ctx.kind("police-s55").chief_officer_due_working_days - 2)
    say(f"[{clock.on(co_day, 16)}] the staff officer submits the Chief Constable's comments "
        "for the Chief Constable")
    given = reading.show(ctx, actor=STAFF_OFFICER, ref=ref)["current_version"]
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=given,
                      text=record.chief_officer_response)
    step(ctx, ref)

    say(f"[{clock.on(working_day(co_day, 3), 10)}] the Commissioner submits the body's comments; "
        "the OPCC drafts an answer to recommendation 1")
    drafting.comments(ctx, actor=COMMISSIONER, ref=ref, seen_version=None,
                      initial_response=record.initial_response,
                      overall_comments=record.overall_comments)
    n_recs = len(reading.show(ctx, actor=OPCC, ref=ref)["recommendations"])
    if n_recs:
        drafting.answer_recommendation(
            ctx, actor=OPCC, ref=ref, number=1, kind="action-proposed",
            text="The force has invested in its contact centre and vulnerability training; "
                 "the Commissioner will review progress at each Public Performance Meeting.")
    blockers = route.request_sign_off(ctx, actor=OPCC, ref=ref)
    sent_version = reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    say(f"      sign-off requested on version {sent_version[:12]}")
    for line in blockers:
        say(f"      outstanding: {line}")
    step(ctx, ref)

    say(f"[{clock.on(working_day(co_day, 4), 9)}] the Commissioner tries to sign off")
    try:
        route.sign_off(ctx, actor=COMMISSIONER, ref=ref, version=sent_version)
        say("      signed off")
    except S55Error as refusal:
        say("      " + str(refusal).replace("\n", "\n      "))
        for n in range(2, n_recs + 1):
            say(f"[{clock.on(working_day(co_day, 4), 11)}] the Deputy Commissioner answers "
                f"recommendation {n} for the Commissioner")
            drafting.answer_recommendation(
                ctx, actor=DEPUTY, ref=ref, number=n, kind="action-taken",
                text="New local policing model in place since June 2022; investigation quality "
                     "reviewed monthly at the Commissioner's performance meeting.")
            step(ctx, ref)
        say(f"[{clock.on(working_day(co_day, 4), 14)}] the Commissioner signs off the version first sent")
        try:
            route.sign_off(ctx, actor=COMMISSIONER, ref=ref, version=sent_version)
        except S55Error as stale:
            say("      " + str(stale))
        current = reading.show(ctx, actor=COMMISSIONER, ref=ref)["current_version"]
        say(f"[{clock.on(working_day(co_day, 4), 15)}] the Commissioner signs off version {current[:12]}")
        route.sign_off(ctx, actor=COMMISSIONER, ref=ref, version=current)
    step(ctx, ref)

    publish_day = working_day(co_day, 5)
    say(f"[{clock.on(publish_day, 10)}] the OPCC publishes the signed-off version")
    publishing.request_publication(ctx, actor=OPCC, ref=ref)
    step(ctx, ref)

    say(f"[{clock.on(publish_day, 10, 5)}] the route runs again: nothing is done twice")
    step(ctx, ref)

    shown = reading.show(ctx, actor=AUDITOR, ref=ref)
    pub = shown["publication"]
    say(f"\n{ref}: {shown['stage']}; signed-off version {shown['signed_off_version']}")
    say(f"  {pub['progress']}; statutory last day {shown['statutory_last_day']}")
    for name, f in pub["files"].items():
        say(f"  {name:<5} {f['sha256']}  {f['path']}")
    say("")
    say("audit trail (as the auditor sees it):")
    say(audit_text(reading.audit_trail(ctx, actor=AUDITOR, ref=ref)))
    messages = mailing.outbox_rows(ctx)
    sent = sum(m["status"] == "sent" for m in messages)
    say(f"\npublished page: {pub['page']}")
    say(f"messages: {len(messages)} written, {sent} sent "
        f"({ctx.settings.mail_transport}: {ctx.settings.outbox if ctx.settings.mail_transport == 'files' else ctx.settings.smtp_host})")
    # against the anchors the publication and the copies wrote to the site, too
    verdict = anchoring.verify(ctx, actor=AUDITOR, sources=[
        str(anchoring.anchors_file(ctx, ctx.offices.only))])
    say(f"\naudit verdict: {verdict.message if verdict.ok else 'BROKEN: ' + verdict.message}")
    return 0 if verdict.ok else 1
