"""`s55 status` and `s55 report`: the office's picture, from the database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from s55.housestyle import parse_record
from s55.services import compliance, drafting, publishing, route
from tests.conftest import AUDITOR, OPCC, make_ctx
from tests.routes import signed_off


@pytest.fixture
def ctx(home, db_url):
    return make_ctx(home, db_url, when=datetime(2022, 11, 10, 9, tzinfo=UTC))


def test_status_puts_the_reviews_in_danger_first(ctx, seed_text):
    record = parse_record(seed_text)
    calm = drafting.open_review(ctx, actor=OPCC, record=record, published_on=date(2022, 11, 1))
    close = drafting.open_review(ctx, actor=OPCC, record=record, published_on=date(2022, 9, 20))
    route.invite_chief_officer(ctx, actor=OPCC, ref=close, due=date(2022, 11, 11))
    late = drafting.open_review(ctx, actor=OPCC, record=record, published_on=date(2022, 9, 1))
    rows = compliance.status(ctx, actor=AUDITOR)
    assert [(r["ref"], r["rag"]) for r in rows] == [(late, "red"), (close, "red"), (calm, "green")]
    assert rows[1]["days_left"] == 5 and rows[1]["held_by"] == "Chris Noble"
    assert rows[0]["progress"] == "late by 15 days"


def test_the_report_counts_days_taken_and_gives_the_reasons_for_lateness(ctx, seed_text):
    ctx.clock.when = datetime(2022, 10, 3, 9, tzinfo=UTC)
    on_time = signed_off(ctx, seed_text)
    publishing.request_publication(ctx, actor=OPCC, ref=on_time)
    publishing.publish_site(ctx, on_time)
    ctx.clock.when = datetime(2022, 11, 20, 9, tzinfo=UTC)
    late = signed_off(ctx, seed_text, published_on=date(2022, 9, 23))
    publishing.request_publication(ctx, actor=OPCC, ref=late,
                                   late_reason="Comments came late")
    publishing.publish_site(ctx, late)

    data = compliance.report(ctx, actor=AUDITOR, year=2022)
    assert [(r["ref"], r["day"], r["on_time"]) for r in data["rows"]] == [
        (on_time, 12, True), (late, 59, False)]
    assert (data["on_time"], data["with_deadline"], data["on_time_rate"]) == (1, 2, 50.0)
    assert data["late_reasons"] == [f"{late}: late by 3 days: Comments came late"]
    assert compliance.report(ctx, actor=AUDITOR, year=2021)["rows"] == []

    site = ctx.settings.site
    page = (site / "compliance.html").read_text()
    assert "1 met it" in page and "Comments came late" in page
    assert '<a href="compliance.html">' in (site / "index.html").read_text()
    svg = (site / "compliance.svg").read_text()
    assert svg.startswith("<?xml") and "50.0% on time" in svg
