"""Review cycles in simulated time (issue 13): two quarterly cycles, the first over Easter, on
SQLite and PostgreSQL. Each owner of open actions is asked once; an owner who has not answered
is reminded once, three working days before the due day; the chief executive is told once,
on the first working day after it; nothing goes on a weekend or bank holiday; an action the
inspectorate closes mid-cycle counts as in; on the meeting day the cycle closes with what came
in and what did not. The daily sweep runs every day of each quarter, twice on some days."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, timedelta
from email import policy

import pytest

from s55.domain.errors import InvalidInput, NotPermitted
from s55.services import actions, cycles, mailing, reading
from s55.store import repo
from s55.store.models import OutboxMessage
from tests.conftest import (
    AUDITOR, CHIEF_CONSTABLE, CHIEF_EXEC, OPCC, ROOT, STAFF_OFFICER, FixedClock, make_ctx,
)
from tests.nuchecker import nu_errors
from tests.integration.test_actions import copies_sent

WHEN = datetime(2022, 10, 3, 9, tzinfo=UTC)
BOARD = "Accountability board"


BOARD_ADDRESS = "accountability.board@example.org"
NOTHING = {"opened": [], "missed": [], "reminded": [], "escalated": [], "closed": [],
           "refused": []}


def board_config(tmp_path):
    """The project's config, its accountability board given an address for its reports."""
    import shutil

    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "actions.yaml").write_text((config / "actions.yaml").read_text().replace(
        "board_addresses: {}", f"board_addresses: {{{BOARD}: {BOARD_ADDRESS}}}"))
    return config


@pytest.fixture
def ctx(home, db_url, tmp_path):
    """The demo office, its accountability board given an address for its reports."""
    return make_ctx(home, db_url, when=WHEN, config_dir=board_config(tmp_path))


def on(ctx, day: date) -> None:
    ctx.clock = FixedClock(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))


def cycle_mail(ctx, cycle: int) -> list[tuple[str, str]]:
    """(step, recipient) of each message of the cycle, in the order written."""
    with ctx.uow(read=True) as session:
        rows = session.query(OutboxMessage).filter(
            OutboxMessage.purpose.like(f"cycle:{cycle}:%")).order_by(OutboxMessage.id).all()
        return [(m.purpose.split(":")[2], m.recipient) for m in rows]


def run_days(ctx, first: date, last: date, on_day=None) -> dict[date, dict]:
    """The sweep on every day from `first` to `last` (twice on Mondays: a second sweep writes
    nothing more); `on_day(day)` does what people do that day, before the sweep."""
    seen = {}
    day = first
    while day <= last:
        on(ctx, day)
        if on_day:
            on_day(day)
        seen[day] = cycles.sweep(ctx, today=day)
        if day.weekday() == 0:
            again = cycles.sweep(ctx, today=day)
            assert again == NOTHING, (day, again)
        day += timedelta(days=1)
    return seen


def test_two_quarterly_cycles_each_message_once_and_what_came_in(ctx, seed_text, home):
    ref = copies_sent(ctx, seed_text)
    r1, c1, a1 = f"{ref}/R1", f"{ref}/C1", f"{ref}/A1"
    actions.assign(ctx, actor=OPCC, name=r1, owner=STAFF_OFFICER, target=date(2023, 9, 30))
    actions.assign(ctx, actor=OPCC, name=c1, owner=STAFF_OFFICER, target=date(2023, 12, 31))
    actions.assign(ctx, actor=OPCC, name=a1, owner=CHIEF_CONSTABLE, target=date(2023, 12, 31))

    # --- the first quarter: the board meets on Thursday 13 April 2023, after Easter --------
    on(ctx, date(2023, 3, 1))
    opened = cycles.open_cycle(ctx, actor=OPCC, board=BOARD, meeting=date(2023, 4, 13))
    # ten working days back from the meeting, skipping Easter Monday and Good Friday
    assert opened["due"] == "2023-03-28"
    assert opened["asked"] == {CHIEF_CONSTABLE: [a1], STAFF_OFFICER: [r1, c1]}
    assert r1 not in opened["no_owner"] and f"{ref}/A2" in opened["no_owner"]
    first = opened["cycle"]
    with pytest.raises(InvalidInput, match="has its cycle already"):
        cycles.open_cycle(ctx, actor=OPCC, board=BOARD, meeting=date(2023, 4, 13))

    def people(day):
        if day == date(2023, 3, 10):  # the staff officer answers on R1
            actions.update(ctx, actor=STAFF_OFFICER, name=r1, status="in-progress",
                           note="Pilot running", evidence="Pilot report")
        if day == date(2023, 3, 15):  # the inspectorate closes C1 mid-cycle
            actions.update(ctx, actor=OPCC, name=c1, status="closed",
                           note="HMICFRS letter of 14 March")

    days = run_days(ctx, date(2023, 3, 1), date(2023, 4, 14), people)
    # the chief constable never answers: reminded once, the chief executive told once
    assert cycle_mail(ctx, first) == [("ask", CHIEF_CONSTABLE), ("ask", STAFF_OFFICER),
                                      ("reminder", CHIEF_CONSTABLE),
                                      ("escalation", CHIEF_EXEC), ("report", BOARD_ADDRESS)]
    assert days[date(2023, 3, 23)]["reminded"] == [f"cycle {first}: {CHIEF_CONSTABLE}"]
    assert days[date(2023, 3, 29)]["escalated"] == [
        f"cycle {first}: {CHIEF_CONSTABLE} (to {CHIEF_EXEC})"]
    for quiet in (date(2023, 4, 7), date(2023, 4, 10), date(2023, 4, 8)):  # Easter, a Saturday
        assert days[quiet] == NOTHING
    assert days[date(2023, 4, 13)]["closed"] == [f"cycle {first} ({BOARD}, 2023-04-13)"]
    shown = cycles.show(ctx, actor=AUDITOR, cycle_id=first)
    assert (shown["open"], shown["came_in"], shown["not_in"]) == (
        False, sorted([r1, c1]), {CHIEF_CONSTABLE: [a1]})

    # --- the second quarter: the board's meetings are now in config, and the sweep opens its
    # cycle by itself, 20 working days before the meeting; only open actions are asked about
    config = ctx.settings.config_dir / "actions.yaml"
    config.write_text(config.read_text().replace(
        "meetings: {}", f"meetings: {{{BOARD}: [2023-04-13, 2023-07-13]}}"))
    on(ctx, date(2023, 6, 1))

    def later(day):
        if day == date(2023, 6, 20):  # this time the chief constable answers; the staff
            actions.update(ctx, actor=CHIEF_CONSTABLE, name=a1,  # officer does not
                           note="Recording audit done", evidence="Audit report Q1")

    days = run_days(ctx, date(2023, 6, 1), date(2023, 7, 13), later)
    opened_on = [day for day, did in days.items() if did["opened"]]
    assert opened_on == [date(2023, 6, 15)]  # 20 working days before 13 July
    second = next(c for c in cycles.listing(ctx, actor=AUDITOR) if c["meeting"] == "2023-07-13")
    assert days[opened_on[0]]["opened"] == [
        f"cycle {second['cycle']} ({BOARD}, 2023-07-13; updates due by 2023-06-29)"]
    assert second["opened_by"] == "s55"
    assert second["asked"] == {CHIEF_CONSTABLE: [a1], STAFF_OFFICER: [r1]}  # C1 is closed
    assert cycle_mail(ctx, second["cycle"]) == [
        ("ask", CHIEF_CONSTABLE), ("ask", STAFF_OFFICER), ("reminder", STAFF_OFFICER),
        ("escalation", CHIEF_EXEC), ("report", BOARD_ADDRESS)]
    shown = cycles.show(ctx, actor=AUDITOR, cycle_id=second["cycle"])
    assert (shown["came_in"], shown["not_in"]) == ([a1], {STAFF_OFFICER: [r1]})
    assert [c["cycle"] for c in cycles.listing(ctx, actor=AUDITOR)] == [second["cycle"], first]

    # each closed cycle's report is on the site: the page, its PDF and its chart; the second
    # says what changed since the first, and who is overdue
    site = ctx.settings.site
    page = (site / f"cycles/{second['cycle']}/index.html").read_text()
    assert "<h1>Accountability board, Thu 13 Jul 2023: follow-up of inspection reports</h1>" \
        in page
    changed = page[page.index("What changed since the last meeting"):]
    assert f'<th scope="row">{r1}</th><td>green (in progress)</td><td>amber (in progress)' \
        in changed  # no update for 90 days
    assert f'<th scope="row">{a1}</th><td>amber (not started)</td><td>green (not started)' \
        in changed  # updated in June
    first_page = (site / f"cycles/{first}/index.html").read_text()
    assert "the board&#39;s first cycle" in first_page or "the board's first cycle" in first_page
    # the board's paper says the same, the overdue and changed actions by owner and by change
    import io

    import pypdf

    paper = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(
        io.BytesIO((site / f"cycles/{second['cycle']}/report.pdf").read_bytes())).pages)
    assert "Actions whose mark or status changed: 2. By change" in paper
    assert f"green (in progress) → amber (in progress): 1: {r1}" in paper
    assert "No action is overdue." in paper
    assert b"<svg" in (site / f"cycles/{second['cycle']}/rag.svg").read_bytes()
    # the site's index lists the board's reports, the newest meeting first
    index = (site / "index.html").read_text()
    assert f'<li><a href="cycles/{second["cycle"]}/index.html">{BOARD}, Thu 13 Jul 2023</a>' \
        in index and index.index(f"cycles/{second['cycle']}/") < index.index(f"cycles/{first}/")
    assert nu_errors(site / f"cycles/{first}/index.html",
                     site / f"cycles/{second['cycle']}/index.html", site / "index.html") == []
    # the sweep writes each report once; a second look changes nothing
    assert cycles.sweep(ctx, today=date(2023, 7, 14)).get("reported") is None

    # the messages go (the served process or the sweep delivers mail about no one review),
    # each once, naming the actions and the day
    mailing.deliver(ctx, None)
    sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((home / "outbox").glob("*.eml"))]
    asks = [m for m in sent if m["Subject"].startswith(f"Your update for the {BOARD}")]
    assert len(asks) == 4
    chief = next(m for m in asks if m["To"].addresses[0].addr_spec == CHIEF_CONSTABLE)
    text = chief.get_body(("plain",)).get_content()
    assert a1 in text and "by Tue 28 Mar 2023" in text and r1 not in text
    reports = [m for m in sent if m["Subject"].startswith("Follow-up report for the")]
    assert [m["To"].addresses[0].addr_spec for m in reports] == [BOARD_ADDRESS] * 2
    pdf = next(reports[1].iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content() == \
        (site / f"cycles/{second['cycle']}/report.pdf").read_bytes()
    escalations = [m for m in sent if m["Subject"].startswith("[Escalation]")]
    assert len(escalations) == 2
    assert {m["To"].addresses[0].addr_spec for m in escalations} == {CHIEF_EXEC}
    with ctx.uow(read=True) as session:
        trail = [e.action for e in repo.audit_entries(session)]
    assert trail.count("open a review cycle") == 2 and trail.count("review cycle closed") == 2
    assert trail.count("review cycle report published") == 2
    assert reading.verify_audit(ctx, actor=AUDITOR).ok


def test_who_may_open_a_cycle_and_when(ctx, seed_text):
    copies_sent(ctx, seed_text)
    on(ctx, date(2023, 3, 1))
    with pytest.raises(NotPermitted, match="the role 'chief officer' may not open a review "
                                           "cycle"):
        cycles.open_cycle(ctx, actor=STAFF_OFFICER, board=BOARD, meeting=date(2023, 4, 13))
    with pytest.raises(InvalidInput, match="updates would be due by 2023-03-01 .* which is "
                                           "not after today"):
        cycles.open_cycle(ctx, actor=OPCC, board=BOARD, meeting=date(2023, 3, 15))
    with pytest.raises(InvalidInput, match="name the board"):
        cycles.open_cycle(ctx, actor=OPCC, board="  ", meeting=date(2023, 6, 15))


def test_two_sweeps_at_once_open_a_scheduled_meetings_cycle_once(ctx, seed_text):
    """The daily sweep of the served process and an officer's `s55 remind` at the same moment:
    one cycle for the meeting, each owner asked once; a meeting whose due day passed with no
    cycle is said, not opened."""
    import threading

    ref = copies_sent(ctx, seed_text)
    actions.assign(ctx, actor=OPCC, name=f"{ref}/R1", owner=STAFF_OFFICER,
                   target=date(2023, 9, 30))
    config = ctx.settings.config_dir / "actions.yaml"
    config.write_text(config.read_text().replace(
        "meetings: {}", f"meetings: {{{BOARD}: [2022-11-10, 2023-01-12]}}"))
    on(ctx, date(2022, 12, 12))  # 20 working days before 12 January, over Christmas
    start, results = threading.Barrier(2), []

    def sweep():
        start.wait()
        results.append(cycles.sweep(ctx, today=date(2022, 12, 12)))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    opened = [line for r in results for line in r["opened"]]
    assert len(opened) == 1 and "2023-01-12; updates due by 2022-12-28" in opened[0]
    assert [c["meeting"] for c in cycles.listing(ctx, actor=AUDITOR)] == ["2023-01-12"]
    assert cycle_mail(ctx, cycles.listing(ctx, actor=AUDITOR)[0]["cycle"]) == [
        ("ask", STAFF_OFFICER)]
    # November's meeting was over before the schedule was given: nothing; had its due day
    # passed with the meeting still ahead, the sweep would say so
    config.write_text(config.read_text().replace("2022-11-10", "2022-12-15"))
    missed = cycles.sweep(ctx, today=date(2022, 12, 12))["missed"]
    assert missed == [f"{ctx.office.force_id}: the {BOARD} on 2022-12-15 (updates were due by "
                      "2022-12-01; no cycle was opened)"]
    # a schedule's meeting opened by hand first is that meeting's cycle
    with pytest.raises(InvalidInput, match="has its cycle already"):
        cycles.open_cycle(ctx, actor=OPCC, board=BOARD, meeting=date(2023, 1, 12))


def test_the_boards_paper_gives_the_overdue_actions_by_owner(ctx, seed_text):
    """The PDF lists the overdue actions by owner, by name, the page each with its text (at
    hundreds overdue a list of them all is tens of pages; bench/cycles.py)."""
    import io

    import pypdf

    ref = copies_sent(ctx, seed_text)
    for item, owner, target in (("R1", STAFF_OFFICER, date(2022, 11, 1)),
                                ("C1", STAFF_OFFICER, date(2022, 10, 20)),
                                ("A1", CHIEF_CONSTABLE, date(2022, 11, 30))):
        actions.assign(ctx, actor=OPCC, name=f"{ref}/{item}", owner=owner, target=target)
    number = cycles.open_cycle(ctx, actor=OPCC, board=BOARD, meeting=date(2022, 12, 15))["cycle"]
    on(ctx, date(2022, 12, 15))
    cycles.sweep(ctx, today=date(2022, 12, 15))
    site = ctx.settings.site / f"cycles/{number}"
    paper = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(
        io.BytesIO((site / "report.pdf").read_bytes())).pages)
    assert "Open actions past their target date: 3." in paper
    assert f"{STAFF_OFFICER}: overdue: 2, the longest by 56 days: {ref}/C1, {ref}/R1" in paper
    assert f"{CHIEF_CONSTABLE}: overdue: 1, the longest by 15 days: {ref}/A1" in paper
    page = (site / "index.html").read_text()
    assert f"<strong>{ref}/C1</strong>: {STAFF_OFFICER}; target Thu 20 Oct 2022; 56 days overdue." \
        in page


def test_a_board_the_office_sends_its_report_only_keeps_it_off_the_site(ctx, seed_text, home):
    ref = copies_sent(ctx, seed_text)
    actions.assign(ctx, actor=OPCC, name=f"{ref}/R1", owner=STAFF_OFFICER,
                   target=date(2022, 11, 1))
    config = ctx.settings.config_dir / "actions.yaml"
    config.write_text(config.read_text().replace("report_to: {}",
                                                 f"report_to: {{{BOARD}: mail}}"))
    number = cycles.open_cycle(ctx, actor=OPCC, board=BOARD, meeting=date(2022, 12, 15))["cycle"]
    on(ctx, date(2022, 12, 15))
    assert cycles.sweep(ctx, today=date(2022, 12, 15))["reported"] == [
        f"cycle {number}: cycles/{number}/index.html (off the site), sent to {BOARD_ADDRESS}"]
    assert not (ctx.settings.site / "cycles").exists()
    from s55.services.publishing import refresh_site

    refresh_site(ctx, ctx.office)  # (as the next publication does): not on the site's index
    assert "cycles/" not in (ctx.settings.site / "index.html").read_text()
    kept = home / "board-papers" / ctx.office.force_id / f"cycles/{number}"
    assert {p.name for p in kept.iterdir()} == {"index.html", "report.pdf", "rag.svg"}
    page = (kept / "index.html").read_text()
    assert 'src="data:image/svg+xml;base64,' in page and 'src="rag.svg"' not in page
    mailing.deliver(ctx, None)
    paper = next(email.message_from_bytes(p.read_bytes(), policy=policy.default)
                 for p in (home / "outbox").glob("*.eml")
                 if BOARD_ADDRESS in p.read_text(errors="replace"))
    attached = {a.get_filename(): a for a in paper.iter_attachments()}
    assert set(attached) == {f"{BOARD} 2022-12-15.pdf", f"{BOARD} 2022-12-15.html"}
    assert attached[f"{BOARD} 2022-12-15.html"].get_content_type() == "text/html"
    assert attached[f"{BOARD} 2022-12-15.html"].get_content() == page
    body = paper.get_body(("plain",)).get_content()
    assert "It is not published on the office's site." in body and "http" not in body
    assert cycles.show(ctx, actor=AUDITOR, cycle_id=number)["on_site"] is False
    # a backup holds the papers kept off the site, as it holds the site and the outbox
    from s55.services import backup

    made = backup.backup(ctx, actor=AUDITOR, to=home.parent / "backup")
    assert made["files"] and (home.parent / "backup" / "board-papers" / ctx.office.force_id /
                              f"cycles/{number}/report.pdf").read_bytes() == \
        (kept / "report.pdf").read_bytes()
    # mailing a board that has no address is refused in the config, naming the board
    config.write_text(config.read_text().replace(f"report_to: {{{BOARD}: mail}}",
                                                 "report_to: {Police and crime panel: both}"))
    with pytest.raises(InvalidInput, match="report_to: Police and crime panel: 'both' sends "
                                           "the report to the board's address"):
        actions.rule_of(ctx, ctx.office.force_id)


def test_the_command_line_opens_shows_and_lists_cycles(seed_text, home, tmp_path):
    """(On SQLite only: the commands call the services the tests above run on both.)"""
    import os
    import subprocess
    import sys

    ctx = make_ctx(home, when=WHEN, config_dir=board_config(tmp_path))
    ref = copies_sent(ctx, seed_text)
    actions.assign(ctx, actor=OPCC, name=f"{ref}/R1", owner=STAFF_OFFICER,
                   target=date(2022, 11, 1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("S55_")}
    env.update(S55_HOME=str(home), S55_CONFIG_DIR=str(ctx.settings.config_dir))
    meeting = date.today() + timedelta(days=60)

    def s55(*args, who=OPCC, ok=True):
        done = subprocess.run([sys.executable, "-m", "s55", *args, "--as", who], env=env,
                              capture_output=True, text=True, timeout=120)
        assert (done.returncode == 0) == ok, done.stderr
        return done

    opened = s55("cycle", "open", "--board", BOARD, "--meeting", meeting.isoformat()).stdout
    # with no `s55 serve` running, the command sends the requests itself
    assert opened.startswith("  no `s55 serve` is running for this office: the requests went "
                             "from here (1 sent)")
    assert [m["status"] for m in mailing.outbox_rows(ctx, office=None)
            if m["template"] == "update_request"] == ["sent"]
    number = int(opened.splitlines()[1].split()[1].rstrip(":"))
    assert f"asked {STAFF_OFFICER}: {ref}/R1" in opened and "no owner to ask" in opened
    refused = s55("cycle", "open", "--board", BOARD, "--meeting", "2020-01-01", ok=False)
    assert refused.returncode == 2 and "meeting:" in refused.stderr and \
        "which is not after today" in refused.stderr
    assert s55("cycle", "open", "--board", BOARD, "--meeting", meeting.isoformat(),
               ok=False).stderr.count("has its cycle already") == 1
    # however its name is typed, a board's meeting has one cycle; a name is text
    assert f"the {BOARD} on {meeting.isoformat()} has its cycle already" in s55(
        "cycle", "open", "--board", " accountability  BOARD ", "--meeting", meeting.isoformat(),
        ok=False).stderr
    assert "board: name the board the updates are for, as text" in s55(
        "cycle", "open", "--board", "Accountability <script>x</script> board", "--meeting",
        (meeting + timedelta(days=7)).isoformat(), ok=False).stderr
    assert "may not open a review cycle" in s55("cycle", "open", "--board", BOARD, "--meeting",
                                                meeting.isoformat(), who=AUDITOR,
                                                ok=False).stderr
    shown = s55("cycle", str(number), who=AUDITOR).stdout
    assert f"still waiting for: {STAFF_OFFICER}" in shown
    on(ctx, meeting)
    cycles.sweep(ctx, today=meeting)
    shown = s55("cycle", str(number), who=AUDITOR).stdout
    assert f"did not come in from {STAFF_OFFICER}: {ref}/R1" in shown
    assert f"report: cycles/{number}/index.html (on the site); sent to {BOARD_ADDRESS}" in shown
    assert f"{meeting.isoformat()} {BOARD}" in s55("cycles", who=AUDITOR).stdout


def test_the_chief_executive_is_not_told_about_their_own_late_update(ctx, seed_text):
    ref = copies_sent(ctx, seed_text)
    actions.assign(ctx, actor=OPCC, name=f"{ref}/R1", owner=CHIEF_EXEC,
                   target=date(2023, 3, 31))
    number = cycles.open_cycle(ctx, actor=OPCC, board=BOARD, meeting=date(2022, 12, 15))["cycle"]
    run_days(ctx, date(2022, 10, 3), date(2022, 12, 14))
    assert cycle_mail(ctx, number) == [("ask", CHIEF_EXEC), ("reminder", CHIEF_EXEC)]
