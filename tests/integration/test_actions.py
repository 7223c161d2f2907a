"""The follow-up of published answers (issue 13, actions): opened with the copies, one per
recommendation, cause of concern and area for improvement, from its published answer; given an
owner and a target date by the office; updated by its owner with dated notes and evidence;
marked red, amber or green by the office's rule on the day; every change through the role
table, the action's versions and the audit trail. On SQLite and PostgreSQL, through the real
services (and the CLI once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from s55.domain.actions import RagRule, Status, rag
from s55.domain.errors import InvalidInput, NotFound, NotPermitted, StaleVersion
from s55.services import actions, mailing, publishing, reading
from s55.store import repo
from tests.conftest import (
    AUDITOR, CHIEF_CONSTABLE, COMMISSIONER, OPCC, STAFF_OFFICER, FixedClock, make_ctx,
)
from tests.routes import published

WHEN = datetime(2022, 10, 3, 9, tzinfo=UTC)


def copies_sent(ctx, seed_text) -> str:
    ref = published(ctx, seed_text)
    mailing.deliver(ctx, ref)
    assert publishing.finish_copies(ctx, ref)
    return ref


@pytest.fixture
def ctx(home, db_url):
    return make_ctx(home, db_url, when=WHEN)


def on(ctx, day: date):
    ctx.clock = FixedClock(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))


def test_the_copies_open_an_action_per_item_from_its_published_answer(ctx, seed_text):
    ref = copies_sent(ctx, seed_text)
    record = reading.record(ctx, actor=OPCC, ref=ref)
    listed = actions.listing(ctx, actor=AUDITOR, report=ref)
    assert [a["action"] for a in listed] == (
        [f"{ref}/R{n}" for n in range(1, len(record.recommendations) + 1)]
        + [f"{ref}/C{n}" for n in range(1, len(record.causes_of_concern) + 1)]
        + [f"{ref}/A{n}" for n in range(1, len(record.areas_for_improvement) + 1)])
    first = listed[0]
    answer = record.recommendations[0].answer
    assert (first["text"], first["answer_kind"], first["answer"]) == (
        record.recommendations[0].text, str(answer.kind), answer.text)
    assert {(a["status"], a["owner"], a["target"], a["rag"]) for a in listed} == {
        ("not started", "", None, "amber")}  # no target yet: amber, by the rule
    with ctx.uow(read=True) as session:
        entry = repo.audit_entries(session, ref, "copies sent")[-1]
    assert entry.details["actions_opened"] == len(listed)
    # opening again (a review whose copies went before) opens none twice
    assert actions.open_actions(ctx, actor=OPCC, ref=ref) == 0
    assert len(actions.listing(ctx, actor=AUDITOR, report=ref)) == len(listed)


def test_owner_target_updates_and_the_mark_through_the_quarter(ctx, seed_text):
    ref = copies_sent(ctx, seed_text)
    r1, r2, a1 = f"{ref}/R1", f"{ref}/C1", f"{ref}/A1"  # (R2: a cause of concern's action)
    assert actions.assign(ctx, actor=OPCC, name=r1, owner=STAFF_OFFICER,
                          target=date(2023, 3, 31), note="Force lead for vulnerability") == 2
    actions.assign(ctx, actor=OPCC, name=r2, owner=CHIEF_CONSTABLE, target=date(2022, 11, 30))
    actions.assign(ctx, actor=OPCC, name=a1, owner=OPCC, target=date(2022, 12, 31))
    # giving an action its owner and date is not an update of it: no update yet, so amber
    given = {a["action"]: a for a in actions.listing(ctx, actor=OPCC, report=ref)}[r1]
    assert (given["last_update"], given["rag"]) == (None, "amber")

    # the owner says what was done; a board would see it on the day
    on(ctx, date(2022, 11, 1))
    actions.update(ctx, actor=STAFF_OFFICER, name=r1, status="in-progress",
                   note="Triage model piloted in two districts",
                   evidence="Pilot report, October 2022")
    by_name = {a["action"]: a for a in actions.listing(ctx, actor=OPCC, report=ref)}
    assert (by_name[r1]["rag"], by_name[r1]["status"], by_name[r1]["version"]) == (
        "green", "in progress", 3)  # target five months off, updated today
    assert by_name[r2]["rag"] == "amber"  # due within 30 days
    # on 1 December R2 is overdue: red, listed first, and with --overdue alone
    on(ctx, date(2022, 12, 1))
    listed = actions.listing(ctx, actor=OPCC, report=ref)
    assert listed[0]["action"] == r2 and listed[0]["rag"] == "red"
    assert listed[0]["overdue"] and listed[0]["days_overdue"] == 1
    assert [a["action"] for a in actions.listing(ctx, actor=OPCC, overdue_only=True)] == [r2]
    assert [a["action"] for a in actions.listing(ctx, actor=OPCC,
                                                  owner=STAFF_OFFICER)] == [r1]
    # no update for 90 days turns a distant target amber
    on(ctx, date(2023, 1, 30))
    marks = {a["action"]: a["rag"] for a in actions.listing(ctx, actor=OPCC, report=ref)}
    assert marks[r1] == "amber"

    # complete: green, whatever the dates; the history keeps every dated update
    actions.update(ctx, actor=CHIEF_CONSTABLE, name=r2, status="complete",
                   note="Done late", evidence="Board paper 12")
    done = {a["action"]: a for a in actions.listing(ctx, actor=OPCC, report=ref)}[r2]
    assert (done["rag"], done["overdue"]) == ("green", False)
    history = actions.updates(ctx, actor=AUDITOR, name=r2)
    assert [u["changes"] for u in history] == [
        {"owner": ["", CHIEF_CONSTABLE], "target": [None, "2022-11-30"]},
        {"status": ["not started", "complete"]}]
    assert history[-1]["note"] == "Done late" and history[-1]["by"] == CHIEF_CONSTABLE

    # each change is on the audit trail, and the chain holds
    with ctx.uow(read=True) as session:
        trail = [e.action for e in repo.audit_entries(session, ref)]
    assert trail.count("assign an action") == 3 and trail.count("update an action") == 2
    assert reading.verify_audit(ctx, actor=AUDITOR).ok


def test_who_may_do_what_to_an_action(ctx, seed_text):
    ref = copies_sent(ctx, seed_text)
    r1, c1 = f"{ref}/R1", f"{ref}/C1"
    actions.assign(ctx, actor=OPCC, name=r1, owner=STAFF_OFFICER, target=date(2023, 3, 31))
    with pytest.raises(NotPermitted, match="only a opcc officer may|only an opcc officer may"):
        actions.assign(ctx, actor=STAFF_OFFICER, name=c1, owner=STAFF_OFFICER)
    with pytest.raises(NotPermitted, match="the role 'auditor' may not update an action"):
        actions.update(ctx, actor=AUDITOR, name=r1, note="Looks fine")
    # another person of the chief officer's side is not its owner
    with pytest.raises(NotPermitted, match="staff.officer@example.org's to update; only its "
                                           "owner or an OPCC officer may"):
        actions.update(ctx, actor=CHIEF_CONSTABLE, name=r1, note="Chasing")
    with pytest.raises(NotPermitted, match="only the office .* records that the inspectorate "
                                           "closed"):
        actions.update(ctx, actor=STAFF_OFFICER, name=r1, status="closed")
    with pytest.raises(InvalidInput, match="not accepted says why"):
        actions.update(ctx, actor=STAFF_OFFICER, name=r1, status="not accepted")
    with pytest.raises(InvalidInput, match="'done' is not a status; use one of not started, "
                                           "in progress, complete, closed by the inspectorate"):
        actions.update(ctx, actor=STAFF_OFFICER, name=r1, status="done")
    with pytest.raises(InvalidInput, match="is not a person of the office or of the chief "
                                           "officer's side"):
        actions.assign(ctx, actor=OPCC, name=c1, owner="someone@elsewhere.invalid")
    with pytest.raises(InvalidInput, match="auditor@example.org is the office's auditor; an "
                                           "action's owner is an OPCC officer"):
        actions.assign(ctx, actor=OPCC, name=c1, owner=AUDITOR)
    with pytest.raises(NotFound, match="has no recommendation 99 to follow up"):
        actions.update(ctx, actor=OPCC, name=f"{ref}/R99", note="x")
    with pytest.raises(InvalidInput, match="is not an action's name"):
        actions.update(ctx, actor=OPCC, name=f"{ref}/X1", note="x")
    # an update of a version that is no longer the action's: refused, nothing written
    actions.update(ctx, actor=STAFF_OFFICER, name=r1, note="First", seen_version=2)
    with pytest.raises(StaleVersion, match="is at version 3, not 2"):
        actions.update(ctx, actor=OPCC, name=r1, status="closed", seen_version=2)
    # the office records the inspectorate's closing; not accepted keeps its reason
    actions.update(ctx, actor=OPCC, name=r1, status="closed", note="HMICFRS letter, May 2023")
    actions.update(ctx, actor=OPCC, name=c1, status="not-accepted",
                   reason="The force disputes the finding; raised with HMICFRS")
    marks = {a["action"]: (a["status"], a["rag"], a["reason"])
             for a in actions.listing(ctx, actor=COMMISSIONER, report=ref)}
    assert marks[r1] == ("closed by the inspectorate", "green", "")
    assert marks[c1] == ("not accepted", "amber",
                         "The force disputes the finding; raised with HMICFRS")
    with ctx.uow(read=True) as session:
        refused = [e for e in repo.audit_entries(session, ref)
                   if e.action.startswith("refused: ") and "action" in e.action]
    assert len(refused) >= 5  # who tried what is on the trail too
    assert reading.verify_audit(ctx, actor=AUDITOR).ok


def test_actions_open_only_once_the_copies_have_gone(ctx, seed_text):
    from s55.domain.errors import WrongStage

    ref = published(ctx, seed_text)  # published, the copies not yet sent
    assert actions.listing(ctx, actor=OPCC, report=ref) == []
    with pytest.raises(WrongStage, match="cannot open the follow-up actions while the review "
                                         "is 'published'"):
        actions.open_actions(ctx, actor=OPCC, ref=ref)


def test_the_rag_rule_comes_from_config_and_bad_settings_are_named(tmp_path):
    rule = RagRule(due_soon_days=10, stale_after_days=30, not_accepted="red", no_target="red")
    today = date(2023, 1, 10)
    assert rag(Status.IN_PROGRESS, date(2023, 1, 25), today, today, rule) == "green"
    assert rag(Status.IN_PROGRESS, date(2023, 1, 15), today, today, rule) == "amber"
    assert rag(Status.IN_PROGRESS, date(2023, 6, 1), date(2022, 12, 1), today, rule) == "amber"
    assert rag(Status.NOT_ACCEPTED, None, None, today, rule) == "red"
    assert rag(Status.NOT_STARTED, None, None, today, rule) == "red"
    assert rag(Status.CLOSED, date(2022, 1, 1), None, today, rule) == "green"
    path = tmp_path / "actions.yaml"
    for text, said in (("due_soon_days: -1\n", "due_soon_days: must be a whole number"),
                       ("not_accepted: purple\n", "not_accepted: must be one of red, amber"),
                       ("colour: red\n", "colour: is not a setting of the RAG rule"),
                       ("meetings: [2027-03-12]\n", "meetings: must map each board's name"),
                       ("meetings: {Board: 2027-03-12}\n", "meetings: Board: must be a list"),
                       ("meetings: {Board: [2027-02-30]}\n",
                        "meetings: Board: '2027-02-30' is not a day"),
                       ("meetings: {Board: [2027-03-12]}\ncycle_open_working_days: 5\n",
                        "cycle_open_working_days: must be more than cycle_due_working_days")):
        path.write_text(text)
        with pytest.raises(InvalidInput, match=said):
            RagRule.load(path)
    path.write_text("due_soon_days: 10\nmeetings: {Board: [2027-06-11, '2027-03-12']}\n")
    loaded = RagRule.load(path)
    assert loaded.due_soon_days == 10
    assert loaded.meetings == {"Board": (date(2027, 3, 12), date(2027, 6, 11))}


def test_the_command_line_lists_and_updates_actions(home, seed_text):
    """(On SQLite only: the commands call the same services the tests above run on both.)"""
    db_url = ""
    ctx = make_ctx(home, db_url, when=WHEN)
    ref = copies_sent(ctx, seed_text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env["S55_HOME"] = str(home)
    if db_url:
        env["S55_DATABASE_URL"] = db_url

    def s55(*args, who=OPCC):
        return subprocess.run([sys.executable, "-m", "s55", *args, "--as", who], env=env,
                              capture_output=True, text=True, timeout=120)

    done = s55("assign-action", f"{ref}/R1", "--owner", STAFF_OFFICER, "--target", "2000-01-01")
    assert done.returncode == 2 and "--target: 2000-01-01 is before the action was opened" \
        in done.stderr
    assert s55("assign-action", f"{ref}/R1", "--owner", STAFF_OFFICER, "--target",
               "2023-03-31").stdout.strip() == f"{ref}/R1: version 2"
    done = s55("update-action", f"{ref}/R1", "--status", "in-progress", "--note",
               "Pilot begun", "--evidence", "Pilot plan v2", who=STAFF_OFFICER)
    assert done.returncode == 0, done.stderr
    done = s55("update-action", f"{ref}/R1", "--status", "finished", who=STAFF_OFFICER)
    assert done.returncode == 2 and done.stderr.startswith("s55: --status: 'finished' is not a "
                                                           "status")
    rows = json.loads(s55("actions", "--report", ref, "--json", who=AUDITOR).stdout)
    r1 = next(a for a in rows if a["action"] == f"{ref}/R1")
    assert (r1["owner"], r1["target"], r1["status"], r1["version"]) == (
        STAFF_OFFICER, "2023-03-31", "in progress", 3)
    shown = s55("action", f"{ref}/R1", who=AUDITOR).stdout
    assert "note: Pilot begun" in shown and "evidence: Pilot plan v2" in shown
    assert "status not started -> in progress" in shown
    assert s55("actions", "--owner", STAFF_OFFICER, who=AUDITOR).stdout.startswith(
        f"{ref}/R1")
