"""Web sign-in without a browser: single use, bound to a person, rate limited, on the record."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from s55.domain.errors import InvalidInput, NotPermitted
from s55.services import reading, signin
from s55.store.models import OutboxMessage, SignInToken
from tests.conftest import AUDITOR, COMMISSIONER, make_ctx


@pytest.fixture
def ctx(home, db_url):
    return make_ctx(home, db_url)


def the_link(ctx) -> str:
    with ctx.uow() as session:
        msg = session.query(OutboxMessage).filter_by(template="signin").order_by(
            OutboxMessage.id.desc()).first()
    return msg.body_text.split("/signin/")[1].split()[0]


def test_a_link_works_once_for_the_person_it_was_sent_to(ctx):
    assert signin.request_link(ctx, email=COMMISSIONER, next_path="/reviews/x",
                               client="1.2.3.4").sent
    nonce = the_link(ctx)
    cookie, who, next_path = signin.use_link(ctx, nonce=nonce, client="1.2.3.4")
    assert (who, next_path) == (COMMISSIONER, "/reviews/x")
    assert signin.current(ctx, cookie)[0] == COMMISSIONER
    with pytest.raises(NotPermitted, match="used already"):
        signin.use_link(ctx, nonce=nonce, client="1.2.3.4")
    with ctx.uow() as session:  # only a hash of the link is kept
        assert session.get(SignInToken, nonce) is None
    signin.sign_out(ctx, cookie)
    assert signin.current(ctx, cookie) is None


def test_a_link_never_redirects_off_the_site(ctx):
    for attempt in ("https://evil.invalid/", "//evil.invalid", "/\\evil.invalid", ""):
        assert signin.safe_next(attempt) == "/"


def test_failed_sign_ins_are_limited_and_on_the_record(ctx):
    for n in range(signin.MAX_FAILURES):
        with pytest.raises(NotPermitted, match="not valid"):
            signin.use_link(ctx, nonce=f"guess-{n}", client="6.6.6.6")
    # now that client is held back, and told so: a link it asks for is not sent
    asked = signin.request_link(ctx, email=COMMISSIONER, next_path="/", client="6.6.6.6")
    assert not asked.sent and "sign-ins have failed from your network" in asked.held_back
    with pytest.raises(NotPermitted, match="try again after"):
        signin.use_link(ctx, nonce="guess-again", client="6.6.6.6")
    verdict = reading.verify_audit(ctx, actor=AUDITOR)
    assert verdict.ok and verdict.count == signin.MAX_FAILURES


def _later(ctx):
    from datetime import UTC, datetime

    return datetime.now(UTC) + signin.window(ctx) + timedelta(minutes=1)


def test_the_brake_lifts_after_the_window(ctx):
    for n in range(signin.MAX_FAILURES):
        with pytest.raises(NotPermitted):
            signin.use_link(ctx, nonce=f"guess-{n}", client="6.6.6.6")
    assert not signin.request_link(ctx, email=COMMISSIONER, next_path="/",
                                   client="6.6.6.6").sent
    ctx.clock = lambda: _later(ctx)
    assert signin.request_link(ctx, email=COMMISSIONER, next_path="/", client="6.6.6.6").sent


def test_twenty_requests_at_once_get_three_links(home, db_url):
    """The limit is counted and recorded in one transaction at a time, on SQLite and on
    PostgreSQL: requests that arrive together cannot all see 'two so far'."""
    from concurrent.futures import ThreadPoolExecutor

    ctx = make_ctx(home, db_url, web_url="http://s55.example.org")
    ctx.uow().__enter__().close()  # the schema, before the race
    gate = threading.Barrier(20)

    def ask(n: int) -> bool:
        gate.wait()
        return signin.request_link(ctx, email=COMMISSIONER, next_path="/",
                                   client=f"192.0.2.{n}").sent

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(ask, range(20)))
    assert answers.count(True) == ctx.settings.signin_limit
    with ctx.uow() as session:
        assert session.query(SignInToken).count() == ctx.settings.signin_limit
        assert session.query(OutboxMessage).filter_by(template="signin").count() == \
            ctx.settings.signin_limit


@pytest.mark.parametrize("address", ["", "   ", "commissioner", "a@b", "x" * 330 + "@example.org"])
def test_an_address_that_is_not_one_is_refused_and_counts_nothing(ctx, address):
    with pytest.raises(InvalidInput, match="give your email address"):
        signin.request_link(ctx, email=address, next_path="/", client="192.0.2.1")
    assert signin.counts(ctx)["events"] == 0


def test_asking_for_links_does_not_lift_the_brake_on_failures(ctx):
    for n in range(signin.MAX_FAILURES):
        with pytest.raises(NotPermitted, match="not valid"):
            signin.use_link(ctx, nonce=f"guess-{n}", client="198.51.100.9")
    for n in range(ctx.settings.signin_client_limit + 1):  # the client's asking limit is hit too
        signin.request_link(ctx, email=f"person{n}@example.invalid", next_path="/",
                            client="198.51.100.9")
    with pytest.raises(NotPermitted, match="sign-ins have failed from your network"):
        signin.use_link(ctx, nonce="guess-again", client="198.51.100.9")
    # the asking was held back too, and the last try before the link was looked at: the trail
    # holds the five failures and nothing more
    assert reading.verify_audit(ctx, actor=AUDITOR).count == signin.MAX_FAILURES
