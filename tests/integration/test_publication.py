"""Publication: who may, of what, and what the site shows afterwards."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest

from s55.domain.errors import InvalidInput, NotPermitted, WrongStage
from s55.services import mailing, publishing, reading, route
from tests.conftest import AUDITOR, COMMISSIONER, OPCC, make_ctx
from tests.routes import signed_off


@pytest.fixture
def ctx(home, db_url):
    return make_ctx(home, db_url, when=datetime(2022, 10, 3, 9, tzinfo=UTC))


def test_only_an_opcc_officer_publishes_and_only_what_was_signed_off(ctx, seed_text):
    ref = signed_off(ctx, seed_text)
    with pytest.raises(NotPermitted):
        publishing.request_publication(ctx, actor=COMMISSIONER, ref=ref)
    route.send_back(ctx, actor=OPCC, ref=ref, to="drafting", reason="A late correction")
    with pytest.raises(WrongStage):
        publishing.request_publication(ctx, actor=OPCC, ref=ref)
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["publication"] is None
    assert not (ctx.settings.site / "responses" / ref).exists()


def test_the_site_lists_every_published_response_newest_first(ctx, seed_text):
    first = signed_off(ctx, seed_text)
    publishing.request_publication(ctx, actor=OPCC, ref=first)
    publishing.publish_site(ctx, first)
    ctx.clock.when = datetime(2022, 11, 20, 9, tzinfo=UTC)
    second = signed_off(ctx, seed_text, published_on=date(2022, 9, 23))
    with pytest.raises(InvalidInput) as refusal:  # late: the reason is part of the record
        publishing.request_publication(ctx, actor=OPCC, ref=second)
    assert refusal.value.field == "reason" and "late by 3 days" in refusal.value.rule
    publishing.request_publication(ctx, actor=OPCC, ref=second,
                                   late_reason="The chief constable's comments came late")
    files = publishing.publish_site(ctx, second)
    assert publishing.publish_site(ctx, second) is None  # done once; a re-run does nothing
    # the site's files are readable by the web server that serves them (another user), as a
    # file made the usual way would be; the outbox's mail is not
    from s55.mail.transport import _umask

    for name in ("index.html", "feed.atom", "compliance.html", files["pdf"]["path"]):
        assert (ctx.settings.site / name).stat().st_mode & 0o777 == 0o666 & ~_umask(), name

    index = (ctx.settings.site / "index.html").read_text()
    assert index.index(f"responses/{second}/index.html") < index.index(
        f"responses/{first}/index.html")
    assert "published on day 12 of 56" in index and "published 3 days late" in index
    feed = (ctx.settings.site / "feed.atom").read_text()
    assert feed.count("<entry>") == 2 and f"urn:s55:{second}" in feed
    shown = reading.show(ctx, actor=AUDITOR, ref=second)
    assert shown["stage"] == "published"
    assert shown["publication"]["files"] == files
    for f in files.values():
        assert hashlib.sha256((ctx.settings.site / f["path"]).read_bytes()).hexdigest() == \
            f["sha256"]
    templates = sorted(m["template"] for m in mailing.outbox_rows(ctx, status="pending")
                       if m["ref"] == second)
    assert templates == ["published"] * 4 + ["statutory_copy"] * 2


@pytest.mark.parametrize("undo", ["send back", "withdraw"])
def test_a_release_ends_with_the_sign_off_it_rested_on(ctx, seed_text, undo):
    """Released, then sent back before the route published it: signing the same text off
    again does not publish it. Only a new decision to publish does."""
    from s55.services import drafting
    from s55.services.automation import run_here
    from tests.conftest import STAFF_OFFICER

    ref = signed_off(ctx, seed_text)
    signed = reading.show(ctx, actor=AUDITOR, ref=ref)["signed_off_version"]
    publishing.request_publication(ctx, actor=OPCC, ref=ref)  # the route is down: not yet done
    if undo == "withdraw":
        route.withdraw(ctx, actor=OPCC, ref=ref, reason="a mistake")
        assert run_here(ctx, ref)["stage"] == "withdrawn"
        assert not (ctx.settings.site / "responses" / ref).exists()
        return
    route.send_back(ctx, actor=COMMISSIONER, ref=ref, to="drafting", reason="a mistake")
    trail = reading.audit_trail(ctx, actor=AUDITOR, ref=ref)
    assert trail[-1]["details"]["release_cancelled"]["version"] == signed
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["publication"] is None

    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    record = reading.record(ctx, actor=AUDITOR, ref=ref)
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None,
                      text=record.chief_officer_response)  # the same text: the same version
    route.request_sign_off(ctx, actor=OPCC, ref=ref)
    route.sign_off(ctx, actor=COMMISSIONER, ref=ref, version=signed)
    after = run_here(ctx, ref)
    assert after["stage"] == "signed off" and "publish" in after["waiting_for"]
    assert not (ctx.settings.site / "responses" / ref).exists()
    assert not [m for m in mailing.outbox_rows(ctx) if m["template"] == "statutory_copy"]

    publishing.request_publication(ctx, actor=OPCC, ref=ref)
    assert run_here(ctx, ref)["stage"] == "copies sent"
