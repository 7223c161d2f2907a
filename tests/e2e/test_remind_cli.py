"""`s55 remind --today` runs the reminder_sweep flow under Prefect, as the schedule would."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from s55.housestyle import parse_record
from s55.services import drafting, mailing, route
from s55.store import repo
from tests.conftest import AUDITOR, OPCC, make_ctx

pytestmark = pytest.mark.slow


def test_remind_sends_todays_reminders_once_and_refuses_other_roles(home, seed_text,
                                                                    prefect_api, tmp_path):
    ctx = make_ctx(home, when=datetime(2022, 12, 16, 9, tzinfo=UTC))
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=date(2022, 12, 16))
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)  # due Wed 11 Jan 2023
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(S55_HOME=str(home), PREFECT_API_URL=prefect_api)

    # the office's follow-up config is broken on the first day: its review cycles are not
    # run, and said, but the sweep's reminders, mail and anchors go on
    import shutil

    from tests.conftest import ROOT

    broken = tmp_path / "config"
    shutil.copytree(ROOT / "config", broken)
    (broken / "actions.yaml").write_text((broken / "actions.yaml").read_text().replace(
        "meetings: {}", "meetings: {Accountability board: [2023-02-30]}"))

    def remind(day, actor=OPCC, config=None):
        return subprocess.run([sys.executable, "-m", "s55", "remind", "--today", day,
                               "--as", actor],
                              env={**env, **({"S55_CONFIG_DIR": str(config)} if config else {})},
                              capture_output=True, text=True, timeout=300)

    refused = remind("2023-01-06", actor=AUDITOR)
    assert refused.returncode == 4 and "may not run the reminder sweep" in refused.stderr

    first = remind("2023-01-06", config=broken)
    assert first.returncode == 2 and "Traceback" not in first.stderr, first.stderr
    assert first.stderr.strip().splitlines()[-1] == (
        "s55: config/actions.yaml: review cycles not run: "
        f"{ctx.offices.only.force_id}: actions.yaml: meetings: Accountability board: "
        "'2023-02-30' is not a day (YYYY-MM-DD)")
    assert f"planned: {ref}: chief-officer-due-soon (2023-01-11)" in first.stdout
    assert f"sent: {ref}: reminder: chief.constable@example.org" in first.stdout
    # the day's sweep anchors the audit trail's head on the site (issue 12), once
    with ctx.uow(read=True) as session:
        seq, digest = repo.audit_head(session)
    assert f"audit trail anchored on the site: {ctx.offices.only.force_id}: entry {seq} " \
           f"({digest[:12]})" in first.stdout
    anchored = (home / "site" / "audit" / "anchors.txt").read_text().splitlines()
    assert anchored[-1].split(" ", 1)[1] == f"{seq} {digest} daily sweep"
    again = remind("2023-01-06")
    assert "nothing due" in again.stdout
    quiet = remind("2023-01-07")
    assert "2023-01-07 is a weekend or bank holiday: no reminders today" in quiet.stdout
    # each later sweep (a quiet day's too) anchors the head again only if it moved
    with ctx.uow(read=True) as session:
        seq, digest = repo.audit_head(session)
    lines = (home / "site" / "audit" / "anchors.txt").read_text().splitlines()
    assert lines[-1].split(" ", 1)[1] == f"{seq} {digest} daily sweep"
    assert len([line for line in lines if f" {seq} {digest} " in line]) == 1
    reminders = [m for m in mailing.outbox_rows(ctx) if m["template"] == "reminder"]
    assert [(m["recipient"], m["status"]) for m in reminders] == [
        ("chief.constable@example.org", "sent")]
    assert len(list((home / "outbox").glob("*.eml"))) == 2  # the invitation and the reminder
