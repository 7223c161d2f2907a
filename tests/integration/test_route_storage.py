"""The review route through the services, on real SQLite and a throwaway PostgreSQL 15 cluster."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from s55.domain.errors import (
    InvalidInput, NotFound, NotPermitted, StaleVersion, UnansweredRecommendations, WrongStage,
)
from s55.housestyle import parse_record
from s55.services import drafting, reading, route
from s55.store.db import engine_for
from tests.conftest import (
    AUDITOR, CHIEF_CONSTABLE, COMMISSIONER, DEPUTY, OPCC, STAFF_OFFICER, make_ctx,
)

PUBLISHED = date(2022, 9, 22)


@pytest.fixture
def ctx(home, db_url):
    return make_ctx(home, db_url, when=datetime(2022, 9, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def ref(ctx, seed_text):
    record = parse_record(seed_text)
    ref = drafting.open_review(ctx, actor=OPCC, record=record, published_on=PUBLISHED,
                               source="seed")
    for cause in record.causes_of_concern:
        drafting.add_item(ctx, actor=OPCC, ref=ref, kind="recommendations", text=cause.text)
    return ref


def later(ctx, days):
    ctx.clock.when += timedelta(days=days)


def to_awaiting_sign_off(ctx, ref, answers=(1, 2)):
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None,
                      text="<p>We accept the findings.</p>")
    for n in answers:
        drafting.answer_recommendation(ctx, actor=COMMISSIONER, ref=ref, number=n,
                                       kind="action-proposed", text=f"Plan {n}")
    route.request_sign_off(ctx, actor=OPCC, ref=ref)
    return reading.show(ctx, actor=OPCC, ref=ref)["current_version"]


def test_a_review_opens_as_a_draft_with_its_statutory_last_day(ctx, ref):
    shown = reading.show(ctx, actor=AUDITOR, ref=ref)
    assert ref == "S55-2022-0001"
    assert shown["stage"] == "draft"
    assert shown["statutory_last_day"] == "2022-11-16"
    assert shown["progress"] == "day 2 of 56"
    assert shown["unanswered_recommendations"] == 2
    assert [v["number"] for v in shown["versions"]] == [1, 2, 3]


def test_the_whole_route_to_sign_off_records_who_acted_for_whom(ctx, ref):
    due = route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    assert due == date(2022, 10, 14)  # 15 working days after Fri 23 Sep 2022
    later(ctx, 19)
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None,
                      text="<p>We accept the findings.</p>")
    drafting.comments(ctx, actor=COMMISSIONER, ref=ref, seen_version=None,
                      initial_response="<p>Initial.</p>", overall_comments="<p>Overall.</p>")
    for n in (1, 2):
        drafting.answer_recommendation(ctx, actor=DEPUTY, ref=ref, number=n, kind="action-taken",
                                       text=f"Done {n}")
    route.request_sign_off(ctx, actor=OPCC, ref=ref)
    current = reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    assert route.sign_off(ctx, actor=DEPUTY, ref=ref, version=current[:12]) == current

    shown = reading.show(ctx, actor=AUDITOR, ref=ref)
    assert (shown["stage"], shown["signed_off_version"]) == ("signed off", current)
    trail = reading.audit_trail(ctx, actor=AUDITOR, ref=ref)
    co = next(e for e in trail if e["action"] == "submit chief officer's comments")
    assert (co["actor"], co["acting_for"]) == (STAFF_OFFICER, CHIEF_CONSTABLE)
    assert co["who"] == "Sam Reid for Chris Noble (Chief Constable)"
    signed = trail[-1]
    assert (signed["action"], signed["version"], signed["acting_for"]) == \
        ("sign off", current, COMMISSIONER)
    assert reading.verify_audit(ctx, actor=AUDITOR).ok


def test_sign_off_is_refused_while_a_recommendation_lacks_its_answer(ctx, ref):
    current = to_awaiting_sign_off(ctx, ref, answers=(1,))
    with pytest.raises(UnansweredRecommendations) as refusal:
        route.sign_off(ctx, actor=COMMISSIONER, ref=ref, version=current)
    assert "recommendation 2 has no answer" in str(refusal.value)
    assert "recommendation 1" not in str(refusal.value)
    assert reading.show(ctx, actor=OPCC, ref=ref)["stage"] == "awaiting sign-off"


def test_sign_off_of_a_version_that_is_no_longer_current_is_refused(ctx, ref):
    sent = to_awaiting_sign_off(ctx, ref)
    drafting.answer_recommendation(ctx, actor=OPCC, ref=ref, number=2, kind="no-action",
                                   text="Superseded by the national review")
    with pytest.raises(StaleVersion, match="answered recommendation 2"):
        route.sign_off(ctx, actor=COMMISSIONER, ref=ref, version=sent)
    assert reading.show(ctx, actor=OPCC, ref=ref)["signed_off_version"] is None


@pytest.mark.parametrize("actor, error", [
    (CHIEF_CONSTABLE, NotPermitted), (AUDITOR, NotPermitted), (OPCC, NotPermitted),
    ("stranger@example.invalid", NotPermitted), (None, NotPermitted),
])
def test_only_the_local_policing_body_may_sign_off(ctx, ref, actor, error):
    current = to_awaiting_sign_off(ctx, ref)
    with pytest.raises(error):
        route.sign_off(ctx, actor=actor, ref=ref, version=current)


def test_a_refused_decision_changes_nothing_but_is_itself_on_the_record(ctx, ref, db_url):
    before = _counts(db_url)
    with pytest.raises(WrongStage):
        drafting.comments(ctx, actor=CHIEF_CONSTABLE, ref=ref, seen_version=None,
                          text="<p>Too early</p>")
    with pytest.raises(InvalidInput):
        route.invite_chief_officer(ctx, actor=OPCC, ref=ref, due=date(2022, 11, 16))
    with pytest.raises(NotPermitted):
        route.invite_chief_officer(ctx, actor="mallory@example.invalid", ref=ref)
    after = _counts(db_url)
    assert (after[0], after[1], after[3]) == (before[0], before[1], before[3])
    assert after[2] == before[2] + 3
    assert reading.show(ctx, actor=OPCC, ref=ref)["stage"] == "draft"
    refusals = [(e["actor"], e["action"]) for e in reading.audit_trail(ctx, actor=AUDITOR, ref=ref)
                if e["action"].startswith("refused")]
    assert refusals == [
        (CHIEF_CONSTABLE, "refused: submit chief officer's comments"),
        (OPCC, "refused: invite chief officer"),
        ("mallory@example.invalid", "refused: invite chief officer"),
    ]
    assert reading.verify_audit(ctx, actor=AUDITOR).ok


def test_the_chief_officers_date_must_fall_before_the_last_day(ctx, ref):
    with pytest.raises(InvalidInput) as refusal:
        route.invite_chief_officer(ctx, actor=OPCC, ref=ref, due=date(2022, 11, 16))
    assert refusal.value.field == "due" and "Wed 16 Nov 2022" in refusal.value.rule
    assert route.invite_chief_officer(ctx, actor=OPCC, ref=ref, due=date(2022, 11, 15)) == \
        date(2022, 11, 15)


def test_send_back_to_drafting_and_withdrawal_need_a_reason(ctx, ref):
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    with pytest.raises(InvalidInput, match="^reason"):
        route.send_back(ctx, actor=OPCC, ref=ref, to="drafting", reason=" ")
    assert route.send_back(ctx, actor=OPCC, ref=ref, to="drafting", reason="Wrong report") == "draft"
    assert reading.show(ctx, actor=OPCC, ref=ref)["chief_officer_due"] is None
    assert route.withdraw(ctx, actor=OPCC, ref=ref, reason="Opened in error") == "withdrawn"
    with pytest.raises(WrongStage):
        route.invite_chief_officer(ctx, actor=OPCC, ref=ref)


def test_an_unknown_reference_is_not_found(ctx):
    with pytest.raises(NotFound, match="S55-1999-0001"):
        reading.show(ctx, actor=OPCC, ref="S55-1999-0001")


def test_list_is_ordered_by_the_soonest_deadline(ctx, seed_text):
    record = parse_record(seed_text)
    late = drafting.open_review(ctx, actor=OPCC, record=record, published_on=date(2022, 9, 1))
    early = drafting.open_review(ctx, actor=OPCC, record=record, published_on=date(2022, 9, 20))
    old = drafting.open_review(ctx, actor=OPCC, record=record, published_on=date(2016, 1, 5))
    rows = reading.list_reviews(ctx, actor=AUDITOR)
    assert [r["ref"] for r in rows] == [late, early, old]
    assert rows[2]["statutory_last_day"] is None


@pytest.mark.parametrize("tamper, first_bad", [
    (["UPDATE audit SET actor = 'mallory@example.org' WHERE seq = 3"], 3),
    (["DELETE FROM audit WHERE seq = 2"], 2),
    (["DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)"], None),
    (["UPDATE audit SET seq = -2 WHERE seq = 2", "UPDATE audit SET seq = 2 WHERE seq = 3",
      "UPDATE audit SET seq = 3 WHERE seq = -2"], 2),
], ids=["altered", "deleted", "newest deleted", "reordered"])
def test_audit_verify_names_the_first_bad_entry_after_tampering(ctx, ref, db_url, tamper,
                                                                first_bad):
    to_awaiting_sign_off(ctx, ref)
    assert reading.verify_audit(ctx, actor=AUDITOR).ok
    count = reading.verify_audit(ctx, actor=AUDITOR).count
    with engine_for(db_url).begin() as conn:
        for statement in tamper:
            conn.execute(text(statement))
    verdict = reading.verify_audit(ctx, actor=AUDITOR)
    assert not verdict.ok
    assert verdict.first_bad_seq == (first_bad or count)


def _counts(db_url):
    with engine_for(db_url).connect() as conn:
        return tuple(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                     for t in ("reviews", "versions", "audit", "outbox"))


def test_show_explains_the_chief_officers_date_and_when_it_is_overdue(ctx, ref):
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    shown = reading.show(ctx, actor=OPCC, ref=ref)
    assert shown["chief_officer_due_rule"] == (
        "15 England and Wales working days after the invitation on Fri 23 Sep 2022, "
        "skipping weekends and bank holidays")
    assert shown["chief_officer_due_in"] == "due in 15 working days"
    later(ctx, 24)  # Mon 17 Oct 2022, the working day after Fri 14 Oct
    assert reading.show(ctx, actor=OPCC, ref=ref)["chief_officer_due_in"] == \
        "overdue by 1 working day"
    route.move_chief_officer_due(ctx, actor=OPCC, ref=ref, due=date(2022, 10, 21),
                                 reason="The chief constable asked for a week")
    assert reading.show(ctx, actor=OPCC, ref=ref)["chief_officer_due_rule"] == \
        "given by the OPCC on Mon 17 Oct 2022"


def test_a_review_already_past_its_last_day_can_still_invite_the_chief_officer(ctx, ref):
    later(ctx, 60)  # Tue 22 Nov 2022, six days after the last day
    due = route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    shown = reading.show(ctx, actor=OPCC, ref=ref)
    assert shown["progress"] == "late by 6 days"
    assert shown["chief_officer_due"] == due.isoformat()
    assert shown["chief_officer_due_rule"].endswith(
        "the statutory last day, Wed 16 Nov 2022, has already passed")


def test_replacing_a_draft_from_a_document_keeps_answers_and_office_holders(home, seed_text):
    from dataclasses import replace

    from s55.domain.record import Item, OfficeHolder
    from s55.services import drafting
    from tests import routes
    from tests.conftest import COMMISSIONER, OPCC, make_ctx

    ctx = make_ctx(home, when=datetime(2022, 9, 23, 9, tzinfo=UTC))
    ref = routes.awaiting_sign_off(ctx, seed_text)  # recommendation 1 "Do A" answered
    route.send_back(ctx, actor=COMMISSIONER, ref=ref, to="chief-officer", reason="more")
    drafting.comments(ctx, actor="staff.officer@example.org", ref=ref, seen_version=None,
                      text="<p>Agreed again.</p>")
    now = reading.record(ctx, actor=OPCC, ref=ref)
    document = replace(now, summary="<p>A new summary.</p>",
                       recommendations=(Item("Do A"), Item("Do C")),
                       local_policing_body=OfficeHolder("Police and Crime Commissioner", "X"))
    before, new = drafting.replace_content(ctx, actor=OPCC, ref=ref, record=document,
                                           source="draft.docx")
    after = reading.record(ctx, actor=OPCC, ref=ref)
    assert new and before != new and after.summary == "<p>A new summary.</p>"
    assert after.recommendations[0].answer is not None  # same text: its answer stays
    assert after.recommendations[1].answer is None
    assert after.local_policing_body == now.local_policing_body
    trail = reading.audit_trail(ctx, actor=OPCC, ref=ref)
    assert trail[-1]["details"]["source"] == "draft.docx"
