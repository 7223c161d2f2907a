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


def snapshot(db_url):
    with engine_for(db_url).connect() as conn:
        return {t: conn.execute(text(f"SELECT * FROM {t} ORDER BY 1")).all()
                for t in ("reviews", "versions", "ledger", "audit", "audit_head")}


def advance_all(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env["S55_HOME"] = str(home)
    done = subprocess.run([sys.executable, "-m", "s55", "advance", "--all"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_running_advance_again_on_any_review_changes_nothing(home, seed_text):
    ctx = make_ctx(home, when=datetime(2022, 9, 23, 9, tzinfo=UTC))
    record = parse_record(seed_text)
    refs = [drafting.open_review(ctx, actor=OPCC, record=record, published_on=date(2022, 9, 22))
            for _ in range(5)]
    for ref in refs[1:]:
        route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    for ref in refs[2:]:
        drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None,
                          text="<p>Agreed.</p>")
    route.request_sign_off(ctx, actor=OPCC, ref=refs[3])
    route.withdraw(ctx, actor=OPCC, ref=refs[4], reason="Duplicate")

    first = advance_all(home)
    assert first.count("done: ") == 3  # invitation x1, comments requested x1 (+ sign-off x1)
    assert f"{refs[0]} is draft; waiting for an OPCC officer to invite" in first
    assert f"done: sign-off requested: {COMMISSIONER}" in first
    after_first = snapshot(ctx.settings.db_url)
    assert len(after_first["ledger"]) == 3

    second = advance_all(home)
    assert "done: " not in second
    assert snapshot(ctx.settings.db_url) == after_first
    assert (home / "prefect").is_dir()  # Prefect's own home lives inside S55_HOME


def test_a_new_round_of_waiting_gets_a_new_notice(home, seed_text):
    ctx = make_ctx(home, when=datetime(2022, 9, 23, 9, tzinfo=UTC))
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=date(2022, 9, 22))
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    assert advance_all(home).count("done: invitation to comment") == 1
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None,
                      text="<p>Draft comments.</p>")
    route.send_back(ctx, actor=COMMISSIONER, ref=ref, to="chief-officer",
                    reason="Please address the cause of concern on investigations")
    out = advance_all(home)
    assert out.count("done: invitation to comment") == 1
    purposes = [row.purpose for row in snapshot(ctx.settings.db_url)["ledger"]]
    assert len(purposes) == 2 and len(set(purposes)) == 2  # one notice per round of waiting
    assert all(p.startswith("invitation to comment #") for p in purposes)
