"""Taking a review along the route through the services, for tests that start further on."""

from __future__ import annotations

from datetime import date

from s55.housestyle import parse_record
from s55.services import drafting, publishing, reading, route
from tests.conftest import COMMISSIONER, OPCC, STAFF_OFFICER


def awaiting_sign_off(ctx, seed_text: str, published_on: date = date(2022, 9, 22)) -> str:
    """A review with one answered recommendation, put to the Commissioner for sign-off."""
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=published_on)
    drafting.add_item(ctx, actor=OPCC, ref=ref, kind="recommendations", text="Do A")
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None, text="<p>Agreed.</p>")
    drafting.answer_recommendation(ctx, actor=COMMISSIONER, ref=ref, number=1,
                                   kind="action-taken", text="Done")
    route.request_sign_off(ctx, actor=OPCC, ref=ref)
    return ref


def signed_off(ctx, seed_text: str, published_on: date = date(2022, 9, 22)) -> str:
    """The same, signed off by the Commissioner."""
    ref = awaiting_sign_off(ctx, seed_text, published_on)
    version = reading.show(ctx, actor=OPCC, ref=ref)["current_version"]
    route.sign_off(ctx, actor=COMMISSIONER, ref=ref, version=version)
    return ref


def published(ctx, seed_text: str) -> str:
    """A signed-off review whose site files are written; its six messages wait in the outbox."""
    ref = signed_off(ctx, seed_text)
    publishing.request_publication(ctx, actor=OPCC, ref=ref)
    assert publishing.publish_site(ctx, ref)
    return ref
