"""The follow-up across reports (issue 13, the national picture): open actions by inspection
theme and age, the overdue ones oldest first, and the measures `s55 report` gains (the share
done within a year, the median days to done); of one office, and of every office for a
national reader. Real SQLite and PostgreSQL, the real services and (once) the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from s55.domain.errors import NotPermitted
from s55.services import actions, followup, mailing, publishing
from tests.conftest import AUDITOR, OPCC, STAFF_OFFICER, FixedClock, make_ctx
from tests.integration.test_offices import (
    DAY, EXAMPLE, MOPAC, NATIONAL, STAFFS, opened, published as published_in,
)
from tests.routes import published


def on(ctx, day: date) -> None:
    ctx.clock = FixedClock(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))


@pytest.fixture
def ctx(home, db_url):
    return make_ctx(home, db_url, when=datetime(2022, 10, 3, 9, tzinfo=UTC))


def test_open_actions_by_theme_and_age_and_the_follow_up_measures(ctx, seed_text):
    ref = published(ctx, seed_text)
    mailing.deliver(ctx, ref)
    assert publishing.finish_copies(ctx, ref)  # opened on 3 October 2022
    every = {a["action"]: a for a in actions.listing(ctx, actor=OPCC, report=ref)}
    # C1 (Responding to the public) and C2 (Investigating crime) are late; A13 is done in 200
    # days, A14 in 400; R1 is not accepted
    actions.assign(ctx, actor=OPCC, name=f"{ref}/C1", owner=STAFF_OFFICER,
                   target=date(2023, 3, 31))
    actions.assign(ctx, actor=OPCC, name=f"{ref}/C2", owner=STAFF_OFFICER,
                   target=date(2023, 6, 30))
    on(ctx, date(2023, 4, 21))  # 200 days
    actions.update(ctx, actor=OPCC, name=f"{ref}/A13", status="complete", note="Done")
    actions.update(ctx, actor=OPCC, name=f"{ref}/R1", status="not accepted",
                   reason="The force disputes it")
    on(ctx, date(2023, 11, 7))  # 400 days
    actions.update(ctx, actor=OPCC, name=f"{ref}/A14", status="closed",
                   note="HMICFRS letter")

    on(ctx, date(2023, 12, 1))  # 424 days after opening
    seen = followup.picture(ctx, actor=AUDITOR)
    themes = {t["theme"]: t for t in seen["themes"]}
    assert themes["Responding to the public"]["overdue"] == 1
    open_now = len(every) - 3
    assert sum(t["open"] for t in seen["themes"]) == open_now
    assert all(t["ages"]["1 to 2 years"] == t["open"] for t in seen["themes"])
    # the themes with overdue actions first
    assert {t["theme"] for t in seen["themes"][:2]} == {"Responding to the public",
                                                        "Investigating crime"}
    # A13 (Protecting vulnerable people) is done, so that theme has one open fewer
    protecting = [a for a in every.values() if a["area"] == "Protecting vulnerable people"]
    assert themes["Protecting vulnerable people"]["open"] == len(protecting) - 1
    # the oldest overdue first: C1 by 245 days, then C2 by 154
    assert [(a["action"], a["days_overdue"]) for a in seen["overdue"]] == [
        (f"{ref}/C1", 245), (f"{ref}/C2", 154)]
    m = seen["measures"]
    assert (m["actions"], m["open"], m["overdue"], m["done"], m["not_accepted"]) == (
        len(every), open_now, 2, 2, 1)
    # every action opened over a year ago; of those accepted, one (A13) done within the year
    assert (m["opened_a_year_ago"], m["closed_within_a_year"]) == (len(every) - 1, 1)
    assert m["closed_within_a_year_share"] == round(100 / (len(every) - 1), 1)
    assert m["median_days_to_close"] == 300  # 200 and 400

    # before a year has passed nothing is measured against it
    on(ctx, date(2023, 5, 1))
    early = followup.picture(ctx, actor=AUDITOR)["measures"]
    assert early["closed_within_a_year_share"] is None and early["opened_a_year_ago"] == 0


def test_the_national_reader_sees_every_office_and_each_office_its_own(home, db_url,
                                                                     seed_text):
    ctx = make_ctx(home, db_url, DAY, offices_dir=EXAMPLE, web_url="https://s55.example.org")
    staffs = published_in(ctx, STAFFS, opened(ctx, STAFFS, seed_text))
    met = published_in(ctx, MOPAC, opened(ctx, MOPAC, title="PEEL 2021/22: MPS"))
    for ref in (staffs, met):
        mailing.deliver(ctx, ref)
        assert publishing.finish_copies(ctx, ref)
    mine = followup.picture(ctx, actor=MOPAC[0])
    assert [t["theme"] for t in mine["themes"]] == ["PEEL 2021/22: MPS"]  # no area: the title
    assert mine["measures"]["actions"] == 1 and "offices" not in mine
    national = followup.picture(ctx, actor=NATIONAL)
    assert set(national["offices"]) == {"metropolitan", "staffordshire"}
    assert national["measures"]["actions"] == sum(
        m["actions"] for m in national["offices"].values()) > 1
    with pytest.raises(NotPermitted):
        followup.picture(ctx, actor="nobody@example.invalid")


def test_the_command_line_shows_the_themes_and_the_report_its_measures(home, seed_text):
    """(On SQLite only: the commands call the service the tests above run on both.)"""
    ctx = make_ctx(home, when=datetime(2022, 10, 3, 9, tzinfo=UTC))
    ref = published(ctx, seed_text)
    mailing.deliver(ctx, ref)
    assert publishing.finish_copies(ctx, ref)
    actions.assign(ctx, actor=OPCC, name=f"{ref}/C1", owner=STAFF_OFFICER,
                   target=date(2022, 11, 30))
    env = {k: v for k, v in os.environ.items() if not k.startswith("S55_")}
    env.update(S55_HOME=str(home))

    def s55(*args):
        done = subprocess.run([sys.executable, "-m", "s55", *args, "--as", AUDITOR], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    shown = s55("actions", "themes")
    assert "open actions by inspection theme and age" in shown
    assert "Responding to the public: " in shown
    assert f"{ref}/C1" in shown and "days overdue (target 2022-11-30)" in shown
    assert "done within a year: 0.0% (0 of " in shown  # (today: every action over a year old)
    data = json.loads(s55("actions", "themes", "--json"))
    assert data["overdue"][0]["action"] == f"{ref}/C1"
    report = s55("report")
    assert "follow-up: " in report and " actions, " in report
    assert json.loads(s55("report", "--json"))["follow_up"]["actions"] == len(
        actions.listing(ctx, actor=AUDITOR))
