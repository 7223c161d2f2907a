"""`advance` under Prefect's real engine, in its own process with its own PREFECT_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from s55.housestyle import parse_record
from s55.services import drafting, route
from s55.store.db import engine_for
from tests.conftest import COMMISSIONER, OPCC, STAFF_OFFICER, make_ctx

pytestmark = pytest.mark.slow
TABLES = ("reviews", "versions", "outbox", "publications", "audit", "audit_head")


def snapshot(db_url):
    with engine_for(db_url).connect() as conn:
        return {t: conn.execute(text(f"SELECT * FROM {t} ORDER BY 1")).all() for t in TABLES}


def advance_all(home, api: str | None = None):
    """`s55 advance --all`: Prefect's ephemeral server of the embedded default, or the API's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env["S55_HOME"] = str(home)
    if api:
        env["PREFECT_API_URL"] = api
    done = subprocess.run([sys.executable, "-m", "s55", "advance", "--all"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_running_advance_again_on_any_review_changes_nothing(home, seed_text, prefect_api):
    ctx = make_ctx(home, when=datetime(2022, 9, 23, 9, tzinfo=UTC))
    record = parse_record(seed_text)
    refs = [drafting.open_review(ctx, actor=OPCC, record=record, published_on=date(2022, 9, 22))
            for _ in range(5)]
    for ref in refs[1:]:
        route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    for ref in refs[2:]:
        drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None, text="<p>Agreed.</p>")
    route.request_sign_off(ctx, actor=OPCC, ref=refs[3])
    route.withdraw(ctx, actor=OPCC, ref=refs[4], reason="Duplicate")

    first = advance_all(home)
    assert f"{refs[0]} is draft; waiting for an OPCC officer to invite" in first
    assert first.count("done: sent invitation: chief.constable@example.org") == 1
    # a round that was over before the route ran is not mailed: refs[3]'s invitation and
    # comment requests were superseded by its sign-off request
    assert first.count("done: sent comments_requested: commissioner@example.org") == 1
    assert first.count(f"done: sent sign_off_request: {COMMISSIONER}") == 1
    after_first = snapshot(ctx.settings.db_url)
    statuses = sorted(row.status for row in after_first["outbox"])
    # refs[4]'s messages were cancelled when it was withdrawn: superseded, never sent
    assert statuses.count("sent") == 1 + 3 + 1 and "pending" not in statuses
    assert len(list((home / "outbox").glob("*.eml"))) == 5

    second = advance_all(home, prefect_api)  # the first run was the embedded default's
    assert "done: " not in second
    assert snapshot(ctx.settings.db_url) == after_first
    assert len(list((home / "outbox").glob("*.eml"))) == 5
    assert (home / "prefect").is_dir()  # Prefect's own home lives inside S55_HOME


def test_a_new_round_of_waiting_gets_a_new_invitation(home, seed_text, prefect_api):
    ctx = make_ctx(home, when=datetime(2022, 9, 23, 9, tzinfo=UTC))
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=date(2022, 9, 22))
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    assert advance_all(home, prefect_api).count("done: sent invitation") == 1
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None,
                      text="<p>Draft comments.</p>")
    route.send_back(ctx, actor=COMMISSIONER, ref=ref, to="chief-officer",
                    reason="Please address the cause of concern on investigations")
    out = advance_all(home, prefect_api)
    assert out.count("done: sent invitation") == 1
    outbox = snapshot(ctx.settings.db_url)["outbox"]
    invitations = [row for row in outbox if row.template == "invitation"]
    assert len(invitations) == 2 and len({row.purpose for row in invitations}) == 2
    # the messages of the round that was sent back never went out
    assert {row.status for row in outbox if row.template.startswith("comments")} == {"cancelled"}
