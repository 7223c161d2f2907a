"""The route as a person runs it: `s55` commands as subprocesses, each in a fresh process."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from tests.conftest import AUDITOR, CHIEF_CONSTABLE, COMMISSIONER, OPCC, SEED, STAFF_OFFICER

pytestmark = pytest.mark.slow


@pytest.fixture
def s55(home, tmp_path, prefect_api):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env["S55_HOME"] = str(home)
    env["PREFECT_API_URL"] = prefect_api

    def run(*args, actor=None, ok=True):
        extra = ["--as", actor] if actor else []
        done = subprocess.run([sys.executable, "-m", "s55", *args, *extra], env=env,
                              capture_output=True, text=True, timeout=300, cwd=tmp_path)
        if ok and done.returncode != 0:
            raise AssertionError(f"s55 {' '.join(args)} failed ({done.returncode}):\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done

    return run


def show(s55, ref):
    return json.loads(s55("show", ref, "--json", actor=AUDITOR).stdout)


def test_the_route_from_import_to_publication_on_the_command_line(s55, seed_text, tmp_path,
                                                                  home):
    published = date.today() - timedelta(days=3)
    ref = s55("import", str(SEED), "--published-on", published.isoformat(), actor=OPCC).stdout.strip()
    assert ref == f"S55-{published.year}-0001"
    first = show(s55, ref)
    assert first["stage"] == "draft"
    assert first["statutory_last_day"] == (published + timedelta(days=55)).isoformat()
    assert first["progress"] in ("day 4 of 56", "day 3 of 56", "day 5 of 56")  # London vs local midnight

    s55("add-item", ref, "--kind", "recommendations", "--text",
        "Within three months the force should improve how it assesses vulnerability", actor=OPCC)
    invited = s55("invite", ref, actor=OPCC)
    assert "done: sent invitation: chief.constable@example.org" in invited.stdout
    assert "waiting for the chief officer's comments" in invited.stdout

    refused = s55("sign-off", ref, "--version", first["current_version"], actor=CHIEF_CONSTABLE,
                  ok=False)
    assert refused.returncode == 4
    assert "may not sign off" in refused.stderr

    given = show(s55, ref)["current_version"]
    commented = s55("comment", ref, "--version", given, "--text", "We accept the findings.",
                    actor=STAFF_OFFICER)
    assert "done: sent comments_requested: commissioner@example.org" in commented.stdout
    s55("answer", ref, "1", "--kind", "action-proposed", "--text", "A new triage model by March",
        actor=COMMISSIONER)
    requested = s55("request-sign-off", ref, actor=OPCC).stdout
    current = show(s55, ref)["current_version"]
    assert f"sign-off requested on version {current}" in requested
    stale = s55("sign-off", ref, "--version", given, actor=COMMISSIONER, ok=False)
    assert stale.returncode == 6 and "no longer current" in stale.stderr
    signed = s55("sign-off", ref, "--version", current, actor=COMMISSIONER)
    assert f"version {current} signed off" in signed.stdout

    assert (show(s55, ref)["stage"]) == "signed off"

    refused = s55("publish", ref, actor=COMMISSIONER, ok=False)
    assert refused.returncode == 4 and "only an opcc officer may" in refused.stderr
    released = s55("publish", ref, actor=OPCC).stdout
    assert f"done: published: responses/{ref}/index.html" in released
    assert "done: sent statutory_copy: s55-responses@hmicfrs.example.org" in released
    assert "done: sent statutory_copy: s55-responses@homeoffice.example.org" in released
    assert "done: statutory copies sent to HMICFRS and the Home Office" in released

    final = show(s55, ref)
    assert (final["stage"], final["signed_off_version"]) == ("copies sent", current)
    assert final["unanswered_recommendations"] == 0
    site = home / "site"
    for f in final["publication"]["files"].values():
        assert hashlib.sha256((site / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert f"responses/{ref}/index.html" in (site / "index.html").read_text()
    messages = json.loads(s55("outbox", "--json", actor=AUDITOR).stdout)
    assert {m["status"] for m in messages} == {"sent"}
    assert len(list((home / "outbox").glob("*.eml"))) == len(messages)
    trail = s55("audit", ref, actor=AUDITOR).stdout
    assert "Sam Reid for Chris Noble (Chief Constable) [chief officer] submit chief officer's comments" \
        in trail
    assert f"Ben Adams [local policing body] sign off on version {current[:12]}" in trail
    assert "intact" in s55("audit", "verify", actor=AUDITOR).stdout

    exported = tmp_path / "export.txt"
    s55("export", ref, "-o", str(exported), actor=AUDITOR)
    twice = s55("import", str(exported), "--published-on", published.isoformat(), actor=OPCC,
                ok=False)  # the export holds the same content: it is this review
    assert twice.returncode == 8 and f"this record is already {ref}" in twice.stderr
    again = s55("import", str(exported), "--published-on", published.isoformat(), "--again",
                actor=OPCC).stdout.strip()
    assert show(s55, again)["current_version"] == current


def test_list_and_show_answer_in_json_with_the_promised_fields(s55):
    ref = s55("import", str(SEED), "--published-on", "2022-09-22", actor=OPCC).stdout.strip()
    rows = json.loads(s55("list", "--json", actor=AUDITOR).stdout)
    assert [r["ref"] for r in rows] == [ref]
    for key in ("ref", "stage", "report_published_on", "statutory_last_day", "chief_officer_due",
                "current_version", "signed_off_version", "unanswered_recommendations"):
        assert key in rows[0]
    assert rows[0]["statutory_last_day"] == "2022-11-16"
    assert rows[0]["progress"].startswith("late by ")
    text = s55("show", ref, actor=AUDITOR).stdout
    assert "2 causes of concern but no recommendations recorded" in text


def test_commands_that_only_read_do_not_import_prefect(s55, home):
    s55("import", str(SEED), "--published-on", "2022-09-22", actor=OPCC)
    probe = ("import sys\nfrom s55.cli import app\n"
             "for argv in (['list', '--json'], ['show', 'S55-2022-0001'], ['audit', 'verify'],"
             " ['audit', 'S55-2022-0001'], ['export', 'S55-2022-0001'], ['status'],"
             " ['outbox'], ['report'], ['actions'], ['actions', '--overdue', '--json'],"
             " ['cycles'], ['actions', 'themes']):\n"
             "    try:\n        app(argv + ['--as', 'auditor@example.org'])\n"
             "    except SystemExit as e:\n        assert not e.code, (argv, e.code)\n"
             "print('PREFECT', 'prefect' in sys.modules, 'weasyprint' in sys.modules,"
             " file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env["S55_HOME"] = str(home)
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "PREFECT False False" in done.stderr


@pytest.mark.parametrize("edit, field", [
    (lambda t: t.replace("Force\tStaffordshire\n", ""), "Force"),
    (lambda t: t.replace("Title of inspection\t", "Title\t"), "Title of inspection"),
])
def test_a_bad_file_is_refused_naming_the_field_and_nothing_is_stored(s55, seed_text, tmp_path,
                                                                      edit, field):
    bad = tmp_path / "bad.txt"
    bad.write_text(edit(seed_text), encoding="utf-8")
    done = s55("import", str(bad), "--published-on", "2022-09-22", actor=OPCC, ok=False)
    assert done.returncode == 2
    assert done.stderr.startswith(f"s55: {field}:")
    assert json.loads(s55("list", "--json", actor=AUDITOR).stdout) == []


def test_a_date_that_does_not_parse_is_refused_naming_the_option(s55):
    done = s55("import", str(SEED), "--published-on", "22/09/2022", actor=OPCC, ok=False)
    assert done.returncode == 2
    assert "--published-on: '22/09/2022' is not a date" in done.stderr
    assert json.loads(s55("list", "--json", actor=AUDITOR).stdout) == []


def test_a_command_without_an_actor_is_refused(s55):
    done = s55("import", str(SEED), "--published-on", "2022-09-22", ok=False)
    assert done.returncode == 4 and "no actor named" in done.stderr
