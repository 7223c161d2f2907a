"""Route requests: committed with each decision, claimed per review, coalesced, never lost."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from s55.domain.errors import NotPermitted
from s55.housestyle import parse_record
from s55.services import drafting, requests, route
from s55.store.models import RouteRequest
from tests.conftest import CHIEF_CONSTABLE, OPCC, STAFF_OFFICER, FixedClock, make_ctx

WHEN = datetime(2022, 9, 23, 9, tzinfo=UTC)


@pytest.fixture
def ctx(home, db_url):
    return make_ctx(home, db_url, when=WHEN)


def open_review(ctx, seed_text) -> str:
    return drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                                published_on=WHEN.date() - timedelta(days=1))


def rows(ctx) -> list[RouteRequest]:
    with ctx.uow() as session:
        return list(session.scalars(select(RouteRequest).order_by(RouteRequest.id)))


def test_a_decision_commits_its_request_and_a_refusal_commits_none(ctx, seed_text):
    ref = open_review(ctx, seed_text)
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    [made] = rows(ctx)
    assert (made.status, made.cause, made.requested_by) == ("pending", "invite chief officer", OPCC)
    assert ctx.last_request == made.id
    with pytest.raises(NotPermitted):
        route.withdraw(ctx, actor=CHIEF_CONSTABLE, ref=ref, reason="not mine to withdraw")
    assert len(rows(ctx)) == 1


def test_a_reviews_requests_coalesce_into_one_run_and_it_is_held_until_done(ctx, seed_text):
    first, second = open_review(ctx, seed_text), open_review(ctx, seed_text)
    route.invite_chief_officer(ctx, actor=OPCC, ref=first)
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=first, seen_version=None, text="<p>Yes.</p>")
    route.invite_chief_officer(ctx, actor=OPCC, ref=second)

    [claim] = requests.claim(ctx, owner=requests.this_process(), ref=first)
    assert len(claim.requests) == 2  # the invitation's and the comments' requests: one run
    requests.ask(ctx, first, cause="a third, while the run goes on")
    # one run per review at a time: the held review is skipped, the other one is claimable
    others = requests.claim(ctx, owner="elsewhere:1:x", limit=5)
    assert [c.ref for c in others] == [second]

    assert requests.finish(ctx, claim.run, {"ref": first, "done": ["sent invitation: x"]}) == 2
    done = [r for r in rows(ctx) if r.run == claim.run]
    assert {r.status for r in done} == {"done"} and done[0].outcome["done"] == ["sent invitation: x"]
    [again] = requests.claim(ctx, owner=requests.this_process(), ref=first)
    assert len(again.requests) == 1  # the request made during the run gets a run of its own


def test_a_failed_run_waits_then_is_tried_again(ctx, seed_text):
    ref = open_review(ctx, seed_text)
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    [claim] = requests.claim(ctx, owner=requests.this_process())
    requests.fail(ctx, claim.run, "OperationalError: the database went away")
    [row] = rows(ctx)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "went away" in row.last_error
    assert requests.claim(ctx, owner=requests.this_process()) == []  # not before its back-off
    ctx.clock = FixedClock(WHEN + timedelta(seconds=requests.BACKOFF[0] + 1))
    assert [c.ref for c in requests.claim(ctx, owner=requests.this_process())] == [ref]


def test_a_claim_held_by_a_process_that_died_is_released(ctx, seed_text):
    ref = open_review(ctx, seed_text)
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = requests.this_process().split(":")[0]
    requests.claim(ctx, owner=f"{host}:{dead.pid}:gone")
    assert rows(ctx)[0].status == "running"
    queue = requests.queue(ctx)  # what `s55 serve --status` says: waiting again, not running
    assert (queue["pending"], queue["running"]) == (1, 0)
    [claim] = requests.claim(ctx, owner=requests.this_process())
    assert claim.ref == ref
    assert "stopped before it finished" in rows(ctx)[0].last_error


def test_a_claim_on_another_machine_is_released_when_its_lease_runs_out(ctx, seed_text):
    ref = open_review(ctx, seed_text)
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    requests.claim(ctx, owner="another-host:4242:abcd")
    assert requests.claim(ctx, owner=requests.this_process()) == []  # alive as far as we know
    ctx.clock = FixedClock(WHEN + requests.LEASE + timedelta(seconds=1))
    assert [c.ref for c in requests.claim(ctx, owner=requests.this_process())] == [ref]


def test_a_review_released_for_publication_is_not_released_twice(ctx, seed_text):
    from s55.domain.errors import WrongStage
    from s55.services import publishing, reading
    from tests import routes
    from tests.conftest import AUDITOR, CHIEF_EXEC

    ref = routes.signed_off(ctx, seed_text)
    publishing.request_publication(ctx, actor=OPCC, ref=ref, late_reason="held for the test")
    shown = reading.show(ctx, actor=AUDITOR, ref=ref)
    assert shown["waiting_for"] == "the route to publish it (released for publication)"
    with pytest.raises(WrongStage, match="was released for publication by opcc.officer"):
        publishing.request_publication(ctx, actor=CHIEF_EXEC, ref=ref, late_reason="again")
    trail = reading.audit_trail(ctx, actor=AUDITOR, ref=ref)
    assert [e["action"] for e in trail].count("publish") == 1
    assert trail[-1]["action"] == "refused: publish" and trail[-1]["actor"] == CHIEF_EXEC
