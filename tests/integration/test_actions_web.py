"""The owner's update page (issue 13, review cycles): from the link in a cycle's message, an
owner signs in and updates their actions one by one on the web; the same role table, versions
and audit trail as `s55 update-action`; a refusal keeps what was typed and stores nothing.
Through FastAPI's TestClient on real SQLite, templates and services (the services run on both
databases in test_actions.py); Chromium and axe in tests/e2e/test_web.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape

import pytest

from s55.services import actions, cycles, reading
from s55.store import repo
from s55.store.models import OutboxMessage
from tests.conftest import AUDITOR, CHIEF_CONSTABLE, OPCC, STAFF_OFFICER, FixedClock, make_ctx
from tests.integration.test_actions import copies_sent
from tests.integration.test_web_routes import WEB_URL, form, signed_in

WHEN = datetime(2022, 10, 3, 9, tzinfo=UTC)
BOARD = "Accountability board"


@pytest.fixture
def cycle(home, seed_text):
    """A review whose copies went; two of its actions the staff officer's, one the chief
    constable's; a cycle opened for the board's December meeting."""
    ctx = make_ctx(home, web_url=WEB_URL, when=WHEN)
    ref = copies_sent(ctx, seed_text)
    for name, owner in ((f"{ref}/R1", STAFF_OFFICER), (f"{ref}/A1", STAFF_OFFICER),
                        (f"{ref}/C1", CHIEF_CONSTABLE)):
        actions.assign(ctx, actor=OPCC, name=name, owner=owner, target=date(2023, 3, 31))
    opened = cycles.open_cycle(ctx, actor=OPCC, board=BOARD, meeting=date(2022, 12, 15))
    ctx.clock = FixedClock(datetime(2022, 11, 1, 9, tzinfo=UTC))
    return ctx, ref, opened["cycle"]


def message_link(ctx, to: str) -> str:
    with ctx.uow(read=True) as session:
        body = session.query(OutboxMessage).filter_by(
            template="update_request", recipient=to).one().body_text
    return re.search(rf"{re.escape(WEB_URL)}(/actions\?cycle=\d+)", body)[1]


def test_an_owner_updates_each_action_from_the_cycle_messages_link(cycle):
    ctx, ref, number = cycle
    link = message_link(ctx, STAFF_OFFICER)
    assert link == f"/actions?cycle={number}"
    web = signed_in(ctx, STAFF_OFFICER)
    page = web.get(link)
    assert page.status_code == 200
    text = unescape(page.text)
    assert "meets on Thu 15 Dec 2022" in text and "due by Thu 01 Dec 2022" in text
    assert "Updates given for this meeting: 0 of 2." in text
    # the owner's own actions, each with its form; not the chief constable's
    assert f"/actions/{ref}/R1" in page.text and f"/actions/{ref}/A1" in page.text
    assert f'action="/actions/{ref}/C1"' not in page.text
    # the inspectorate's closing is the office's to record: not offered to an owner
    assert "closed by the inspectorate" not in page.text.split("<main")[1]

    fields = form(page.text, f"/actions/{ref}/R1")
    note = "Triage model piloted in two districts; sent to J Smith <j.smith@example.org> <b>ok</b>"
    fields.update(status="in progress", note=note, evidence="Pilot report, October 2022")
    saved = web.post(f"/actions/{ref}/R1", data=fields, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == (f"/actions?updated={ref}/R1&cycle={number}"
                                         f"#{ref}-R1")
    after = web.get(saved.headers["location"])
    shown = unescape(after.text)
    assert f"Saved: the update to {ref}/R1." in shown
    assert "Updates given for this meeting: 1 of 2." in shown
    # a person's text is kept as written, and shown as text, never as markup
    assert "<b>ok</b>" not in after.text and "&lt;b&gt;ok&lt;/b&gt;" in after.text

    # what the CLI, the board and the auditor see
    r1 = {a["action"]: a for a in actions.listing(ctx, actor=OPCC, report=ref)}[f"{ref}/R1"]
    assert (r1["status"], r1["last_update"]) == ("in progress", "2022-11-01")
    update = actions.updates(ctx, actor=AUDITOR, name=f"{ref}/R1")[-1]
    assert (update["by"], update["changes"], update["evidence"]) == (
        STAFF_OFFICER, {"status": ["not started", "in progress"]}, "Pilot report, October 2022")
    assert update["note"] == note
    assert cycles.asked_of(ctx, actor=STAFF_OFFICER, cycle_id=number)["came_in"] == [
        f"{ref}/R1"]
    with ctx.uow(read=True) as session:
        entry = repo.audit_entries(session, ref)[-1]
    assert (entry.action, entry.actor, entry.details["action"]) == (
        "update an action", STAFF_OFFICER, f"{ref}/R1")

    # the action's own page: its dated updates, and the form again
    own = web.get(f"/actions/{ref}/R1")
    assert own.status_code == 200
    assert "Pilot report, October 2022" in own.text and "not started → in progress" in \
        unescape(own.text)
    fields = form(own.text, f"/actions/{ref}/R1")
    fields.update(note="Rolled out force-wide")
    again = web.post(f"/actions/{ref}/R1", data=fields, follow_redirects=True)
    assert "Saved: the update to" in again.text and "Rolled out force-wide" in again.text
    assert reading.verify_audit(ctx, actor=AUDITOR).ok


def test_refusals_keep_what_was_typed_and_store_nothing(cycle):
    ctx, ref, number = cycle
    web = signed_in(ctx, STAFF_OFFICER)
    page = web.get(f"/actions?cycle={number}")
    fields = form(page.text, f"/actions/{ref}/R1")

    def versions() -> dict:
        return {a["action"]: a["version"] for a in actions.listing(ctx, actor=OPCC, report=ref)}

    before = versions()
    # not accepted needs its reason: the page comes back with the text and why
    refused = web.post(f"/actions/{ref}/R1", data={
        **fields, "status": "not accepted", "note": "We disagree with the finding", "back": "list",
        "cycle": str(number)})
    assert refused.status_code == 400
    assert "Nothing was saved. Why: an action not accepted says why" in unescape(refused.text)
    assert "We disagree with the finding" in refused.text
    assert re.search(r'<option value="not accepted" selected>', refused.text)
    # a version that moved on (the office changed the action while the owner wrote)
    actions.update(ctx, actor=OPCC, name=f"{ref}/R1", note="Chased at the weekly meeting")
    before = versions()
    stale = web.post(f"/actions/{ref}/R1", data={**fields, "note": "My long update"})
    assert stale.status_code == 409 and "My long update" in stale.text
    assert "The action changed while you were writing" in unescape(stale.text)
    assert "Chased at the weekly meeting" in stale.text  # the latest update, to read
    # the inspectorate's closing, forged into the form: refused for an owner
    forged = web.post(f"/actions/{ref}/R1", data={**fields, "version": str(before[f"{ref}/R1"]),
                                                  "status": "closed by the inspectorate"})
    assert forged.status_code == 403 and "only the office" in unescape(forged.text)
    # someone else's action; a form without its token
    theirs = web.post(f"/actions/{ref}/C1", data={**fields, "version": str(before[f"{ref}/C1"]),
                                                  "note": "Not mine"})
    assert theirs.status_code == 403 and "only its owner or an OPCC officer" in \
        unescape(theirs.text)
    no_token = web.post(f"/actions/{ref}/R1", data={**{k: v for k, v in fields.items()
                                                       if k != "csrf"},
                                                    "version": str(before[f"{ref}/R1"]),
                                                    "note": "x"})
    assert no_token.status_code == 403 and "security token" in no_token.text
    # a name that is no action, and an action of no review
    assert web.get(f"/actions/{ref}/X1").status_code == 400
    assert web.get(f"/actions/{ref}/R99").status_code == 404
    assert web.get("/actions/S55-1999-0001/R1").status_code == 404
    assert versions() == before

    # an auditor reads the page and is offered no form; a forged post is refused
    auditor = signed_in(ctx, AUDITOR)
    read = auditor.get(f"/actions/{ref}/R1")
    assert read.status_code == 200 and 'name="note"' not in read.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', read.text)[1]
    tried = auditor.post(f"/actions/{ref}/R1", data={**fields, "csrf": csrf, "note": "x",
                                                     "version": str(before[f"{ref}/R1"])})
    assert tried.status_code == 403 and "may not update an action" in tried.text
    assert versions() == before


def test_the_office_sees_every_action_and_records_the_inspectorates_closing(cycle):
    ctx, ref, number = cycle
    web = signed_in(ctx, OPCC)
    every = web.get("/actions?all=1")
    assert every.status_code == 200
    names = re.findall(rf'href="/actions/({re.escape(ref)}/[RCA]\d+)"', every.text)
    assert len(names) == len(actions.listing(ctx, actor=OPCC, report=ref)) > 3
    page = web.get(f"/actions/{ref}/C1")
    assert "closed by the inspectorate" in page.text
    fields = form(page.text, f"/actions/{ref}/C1")
    fields.update(status="closed by the inspectorate", note="HMICFRS letter, 20 October 2022")
    done = web.post(f"/actions/{ref}/C1", data=fields)
    assert done.status_code == 200 and "Saved: the update to" in done.text
    c1 = {a["action"]: a for a in actions.listing(ctx, actor=AUDITOR, report=ref)}[f"{ref}/C1"]
    assert (c1["status"], c1["rag"]) == ("closed by the inspectorate", "green")
    # the chief constable's only action is closed: nothing more is owed for the meeting
    assert cycles.asked_of(ctx, actor=CHIEF_CONSTABLE, cycle_id=number)["came_in"] == [
        f"{ref}/C1"]


def test_the_themes_page_and_the_timeliness_pages_follow_up(cycle):
    ctx, ref, _number = cycle
    ctx.clock = FixedClock(datetime(2023, 5, 2, 9, tzinfo=UTC))  # R1, A1 and C1 overdue
    actions.assign(ctx, actor=OPCC, name=f"{ref}/C1", target=date(2023, 4, 1))
    web = signed_in(ctx, AUDITOR)
    page = web.get("/actions/themes")
    assert page.status_code == 200
    text = unescape(page.text)
    assert '<th scope="row">Responding to the public</th>' in text
    assert re.search(rf'<a href="/actions/{re.escape(ref)}/C1">{re.escape(ref)}/C1</a></td>'
                     r'<td>31</td>', page.text)
    assert "Done within a year of being opened: none was opened a year ago yet." in text
    report = unescape(web.get("/report").text)
    assert "Follow-up of the published answers" in report
    assert re.search(r"\d+ actions: \d+ open \(3 overdue\)", report)  # R1, A1 and C1


def test_the_office_gives_an_action_its_owner_and_target_date_on_the_web(cycle):
    ctx, ref, _number = cycle
    web = signed_in(ctx, OPCC)
    page = web.get(f"/actions/{ref}/A2")
    assert page.status_code == 200
    fields = form(page.text, f"/actions/{ref}/A2/assign")
    assert '<option value="" selected>no owner yet</option>' in page.text  # not yet given one
    # a day that is no day: refused naming the field, the text kept, nothing stored
    refused = web.post(f"/actions/{ref}/A2/assign", data={
        **fields, "owner": STAFF_OFFICER, "target": "2023-02-30", "note": "Force lead"})
    assert refused.status_code == 400
    assert "Nothing was saved. The target date: '2023-02-30' is not a date (YYYY-MM-DD)" in \
        unescape(refused.text)
    assert "Force lead" in refused.text
    done = web.post(f"/actions/{ref}/A2/assign", data={
        **fields, "owner": STAFF_OFFICER, "target": "2023-06-30", "note": "Force lead"})
    assert done.status_code == 200 and "Saved:" in done.text
    a2 = {a["action"]: a for a in actions.listing(ctx, actor=AUDITOR, report=ref)}[f"{ref}/A2"]
    assert (a2["owner"], a2["target"]) == (STAFF_OFFICER, "2023-06-30")
    assert actions.updates(ctx, actor=AUDITOR, name=f"{ref}/A2")[-1]["changes"] == {
        "owner": ["", STAFF_OFFICER], "target": [None, "2023-06-30"]}
    # the owner is offered no such form, and a forged one is refused
    owner = signed_in(ctx, STAFF_OFFICER)
    mine = owner.get(f"/actions/{ref}/A2")
    assert f'action="/actions/{ref}/A2/assign"' not in mine.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', mine.text)[1]
    forged = owner.post(f"/actions/{ref}/A2/assign", data={
        "csrf": csrf, "version": str(a2["version"]), "owner": STAFF_OFFICER,
        "target": "2030-01-01"})
    assert forged.status_code == 403 and "may not assign an action" in unescape(forged.text)
    assert {a["action"]: a for a in actions.listing(ctx, actor=AUDITOR, report=ref)}[
        f"{ref}/A2"]["target"] == "2023-06-30"


def test_names_and_numbers_out_of_range_are_refused_not_failed(cycle):
    ctx, ref, number = cycle
    web = signed_in(ctx, STAFF_OFFICER)
    assert web.get(f"/actions/{ref}/R{'9' * 5000}").status_code == 400
    assert web.get(f"/actions/{ref}/R{'9' * 23}").status_code == 400
    assert web.get(f"/actions?cycle={'9' * 23}").status_code == 404
    assert web.get(f"/actions?cycle={'9' * 5000}").status_code == 400
    assert web.get("/actions?cycle=-1").status_code == 404
    assert web.get(f"/actions/{ref}/r1").status_code == 200  # as the form takes it


def test_a_note_longer_than_the_form_takes_is_refused_saying_the_limit(cycle):
    ctx, ref, number = cycle
    web = signed_in(ctx, STAFF_OFFICER)
    fields = form(web.get(f"/actions?cycle={number}").text, f"/actions/{ref}/R1")
    refused = web.post(f"/actions/{ref}/R1", data={**fields, "note": "x" * 60_000})
    assert refused.status_code == 400
    assert "Nothing was saved: note is longer than the form takes (at most 50000 " \
        "characters)" in unescape(refused.text)
    # under the form's limit but over an update's: refused by the service, the text kept
    kept = web.post(f"/actions/{ref}/R1", data={**fields, "note": "y" * 30_000})
    assert kept.status_code == 400 and "y" * 30_000 in kept.text
    assert "is 30000 characters long; the most is 20000" in unescape(kept.text)


def test_the_office_sees_a_cycle_s_progress_over_every_owner(cycle):
    ctx, ref, number = cycle
    actions.update(ctx, actor=CHIEF_CONSTABLE, name=f"{ref}/C1", note="Call audit done")
    page = unescape(signed_in(ctx, OPCC).get(f"/actions?cycle={number}").text)
    assert "Updates given for this meeting: 1 of 3." in page
    for item in ("R1", "A1", "C1"):
        assert f'action="/actions/{ref}/{item}"' in page  # the office may update any
    assert f'action="/actions/{ref}/A2"' not in page  # not asked about: no owner
