"""Web sign-in without a browser: single use, bound to a person, rate limited, on the record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from s55.domain.errors import NotPermitted
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
