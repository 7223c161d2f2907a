"""Response kinds, separate homes, other respondents, and two people acting at once."""

import threading
from datetime import UTC, date, datetime

import pytest

from s55.domain.errors import Conflict, InvalidInput, StaleVersion
from s55.domain.record import OfficeHolder
from s55.housestyle import format_record, parse_record
from s55.services import drafting, reading, route
from tests.conftest import AUDITOR, COMMISSIONER, DEPUTY, OPCC, STAFF_OFFICER, make_ctx

WHEN = datetime(2022, 9, 23, 9, tzinfo=UTC)


def at_once(jobs: list, seconds: float = 120) -> list[tuple[object, Exception | None]]:
    """Run the jobs in threads that all start at the same moment; (result, None) or (None,
    the exception) for each, in order."""
    barrier, outcomes = threading.Barrier(len(jobs)), [(None, None)] * len(jobs)

    def run(n: int, job) -> None:
        barrier.wait()
        try:
            outcomes[n] = (job(), None)
        except Exception as err:  # noqa: BLE001 - handed back to the test
            outcomes[n] = (None, err)

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds)
    return outcomes


def test_two_homes_never_see_each_other(tmp_path, home, seed_text):
    one, two = make_ctx(tmp_path / "one", when=WHEN), make_ctx(tmp_path / "two", when=WHEN)
    drafting.open_review(one, actor=OPCC, record=parse_record(seed_text),
                         published_on=date(2022, 9, 22))
    assert len(reading.list_reviews(one, actor=AUDITOR)) == 1
    assert reading.list_reviews(two, actor=AUDITOR) == []
    assert (tmp_path / "one" / "s55.db").exists() and (tmp_path / "two" / "s55.db").exists()


def test_a_fire_action_plan_has_no_deadline_and_no_per_recommendation_duty(home, db_url, seed_text):
    ctx = make_ctx(home, db_url, when=WHEN)
    ref = drafting.open_review(ctx, actor=OPCC, published_on=date(2022, 9, 22),
                               kind="fire-action-plan",
                               record=parse_record(seed_text))
    drafting.add_item(ctx, actor=OPCC, ref=ref, kind="recommendations", text="Unanswered")
    assert ref.startswith("FIRE-2022-")
    shown = reading.show(ctx, actor=AUDITOR, ref=ref)
    assert (shown["statutory_last_day"], shown["progress"]) == (None, "no statutory deadline")
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref, due=date(2023, 3, 1))
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None,
                      text="<p>Noted.</p>")
    route.request_sign_off(ctx, actor=OPCC, ref=ref)
    current = reading.show(ctx, actor=AUDITOR, ref=ref)["current_version"]
    assert route.sign_off(ctx, actor=COMMISSIONER, ref=ref, version=current) == current


def test_an_unknown_kind_is_refused_naming_the_option(home, seed_text):
    ctx = make_ctx(home, when=WHEN)
    with pytest.raises(InvalidInput) as refusal:
        drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                             published_on=date(2022, 9, 22), kind="prisons")
    assert refusal.value.field == "kind"
    assert reading.list_reviews(ctx, actor=AUDITOR) == []


@pytest.mark.parametrize("title", ["Mayor of Greater Manchester",
                                   "Deputy Mayor for Policing and Crime",
                                   "Police, Fire and Crime Commissioner"])
def test_the_respondent_is_whatever_role_the_record_names(seed_text, title):
    text = seed_text.replace("Police and Crime Commissioner\tBen Adams", f"{title}\tA. Person")
    record = parse_record(text)
    assert record.local_policing_body == OfficeHolder(title, "A. Person")
    exported = format_record(record)
    assert f"{title}'s initial response" in exported
    assert parse_record(exported).content_hash() == record.content_hash()


def test_a_report_from_the_future_is_refused(home, seed_text):
    ctx = make_ctx(home, when=WHEN)
    with pytest.raises(InvalidInput, match="in the future"):
        drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                             published_on=date(2022, 9, 24))


@pytest.mark.postgres
def test_two_people_answering_at_once_lose_nothing_silently(home, postgres_url, seed_text):
    """Both act on the same version: one is saved, the other told to look again; never both
    applied on top of a version they did not see."""
    ctx = make_ctx(home, postgres_url, when=WHEN)
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=date(2022, 9, 22))
    drafting.add_item(ctx, actor=OPCC, ref=ref, kind="recommendations", text="Do A")
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None,
                      text="<p>Agreed.</p>")
    before = reading.show(ctx, actor=AUDITOR, ref=ref)
    seen = before["current_version"]
    barrier, outcomes = threading.Barrier(2), {}

    def answer(who, text):
        barrier.wait()
        try:
            drafting.answer_recommendation(ctx, actor=who, ref=ref, number=1, kind="action-taken",
                                           text=text, seen_version=seen)
            outcomes[who] = "saved"
        except (Conflict, StaleVersion) as refusal:
            outcomes[who] = type(refusal).__name__

    threads = [threading.Thread(target=answer, args=(who, f"Answer by {who}"))
               for who in (COMMISSIONER, DEPUTY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) in (["Conflict", "saved"], ["StaleVersion", "saved"])
    winner = next(w for w, o in outcomes.items() if o == "saved")
    shown = reading.show(ctx, actor=AUDITOR, ref=ref)
    assert shown["recommendations"][0]["answer"]["text"] == f"Answer by {winner}"
    assert len(shown["versions"]) == len(before["versions"]) + 1
    assert reading.verify_audit(ctx, actor=AUDITOR).ok


def test_ten_imports_at_once_get_ten_references(home, db_url, seed_text):
    """References come from a counter taken in one statement, not `count + 1`: on PostgreSQL
    ten transactions at once do not block each other, and each still gets its own number."""
    ctx = make_ctx(home, db_url, when=WHEN)
    record = parse_record(seed_text)
    outcomes = at_once([lambda: drafting.open_review(
        ctx, actor=OPCC, record=record, again=True, published_on=date(2022, 9, 22))] * 10, 60)
    refs = [ref for ref, _err in outcomes if ref]
    errors = [err for _ref, err in outcomes if err]
    assert errors == []
    assert sorted(refs) == [f"S55-2022-{n:04d}" for n in range(1, 11)]
    listed = {r["ref"] for r in reading.list_reviews(ctx, actor=AUDITOR)}
    assert listed == set(refs)


def test_fifty_sign_offs_at_once_one_wins(home, db_url, seed_text):
    """Fifty attempts to sign off one review at the same moment (a double-click, tabs, a
    replayed form): exactly one signs it off; every other is refused as the wrong stage, a
    stale version or a change made meanwhile, and nothing is recorded twice."""
    from s55.domain.errors import WrongStage
    from tests.routes import awaiting_sign_off

    ctx = make_ctx(home, db_url, when=WHEN)
    ref = awaiting_sign_off(ctx, seed_text)
    version = reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    outcomes = at_once([lambda: route.sign_off(ctx, actor=COMMISSIONER, ref=ref,
                                               version=version)] * 50)
    won = [result for result, err in outcomes if err is None]
    races = (WrongStage, StaleVersion, Conflict)
    refused = [err for _r, err in outcomes if isinstance(err, races)]
    other = [err for _r, err in outcomes if err is not None and not isinstance(err, races)]
    assert other == [] and len(won) == 1 and len(refused) == 49
    trail = reading.audit_trail(ctx, actor=AUDITOR, ref=ref)
    actions = [e["action"] for e in trail]
    assert actions.count("sign off") == 1
    # who tried and was refused is on the trail too (a lost race saved nothing to refuse)
    assert actions.count("refused: sign off") == sum(
        not isinstance(r, Conflict) for r in refused)
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "signed off"
