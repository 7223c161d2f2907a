"""Many offices in one database (config/offices-example): nobody sees or acts on another
office's reviews, through the services, the CLI, the web app, mail and exports; a national
reader reads across them; the national fan-out opens each force's review in its own office.
Real SQLite and PostgreSQL, real templates, the real web app."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from s55.domain.errors import InvalidInput, NotFound, NotPermitted
from s55.housestyle import parse_record
from s55.services import bundle, compliance, drafting, mailing, publishing, reading, route
from s55.services import thematic
from s55.store.models import OutboxMessage
from tests.conftest import ROOT, make_ctx

EXAMPLE = ROOT / "config" / "offices-example"
DAY = datetime(2022, 9, 23, 9, tzinfo=UTC)
PUBLISHED_ON = date(2022, 9, 22)

# (opcc officer, chief officer, local policing body, auditor) of each example office
STAFFS = ("opcc.officer@staffordshire.example.org", "chief.constable@staffordshire.example.org",
          "commissioner@staffordshire.example.org", "auditor@staffordshire.example.org")
MOPAC = ("policy@mopac.example.org", "commissioner@met.example.org",
         "deputy.mayor@mopac.example.org", "auditor@mopac.example.org")
NATIONAL = "national.reader@example.org"
OPERATOR = "operator@example.org"


@pytest.fixture
def ctx(home, db_url):
    return make_ctx(home, db_url, DAY, offices_dir=EXAMPLE, web_url="https://s55.example.org")


def opened(ctx, people, seed_text=None, title="PEEL 2021/22") -> str:
    """A review of the office of `people`, with one recommendation, in draft."""
    record = (parse_record(seed_text) if seed_text
              else drafting.blank_record(ctx, title, people[0]))
    ref = drafting.open_review(ctx, actor=people[0], record=record, published_on=PUBLISHED_ON)
    drafting.add_item(ctx, actor=people[0], ref=ref, kind="recommendations", text="Do A")
    return ref


def published(ctx, people, ref) -> str:
    opcc, chief, body, _auditor = people
    route.invite_chief_officer(ctx, actor=opcc, ref=ref)
    drafting.comments(ctx, actor=chief, ref=ref, seen_version=None, text="<p>Agreed.</p>")
    drafting.answer_recommendation(ctx, actor=body, ref=ref, number=1, kind="action-taken",
                                   text="Done")
    route.request_sign_off(ctx, actor=opcc, ref=ref)
    version = reading.show(ctx, actor=opcc, ref=ref)["current_version"]
    route.sign_off(ctx, actor=body, ref=ref, version=version)
    publishing.request_publication(ctx, actor=opcc, ref=ref)
    assert publishing.publish_site(ctx, ref)
    return ref


def unknown(ref: str) -> str:
    return re.escape(f"no review with the reference '{ref}'")


# --- configuration ---------------------------------------------------------------------------

def test_the_example_offices_take_their_titles_from_the_forces_list(home):
    ctx = make_ctx(home, offices_dir=EXAMPLE)
    offices = {o.force_id: o for o in ctx.offices}
    assert set(offices) == {"staffordshire", "metropolitan", "greater-manchester",
                            "dyfed-powys"}
    met, gm, dp = offices["metropolitan"], offices["greater-manchester"], offices["dyfed-powys"]
    # a Welsh force's office publishes in both languages, its Welsh names from forces-cy.csv
    assert dp.welsh and dp.welsh_first and not met.welsh and not gm.welsh
    assert dp.welsh_names == ("Heddlu Dyfed-Powys", "Comisiynydd Heddlu a Throseddu Dyfed-Powys",
                              "Prif Gwnstabl")
    assert dp.name_cy == "Swyddfa Comisiynydd Heddlu a Throseddu Dyfed-Powys"
    assert (met.local_policing_body_title, met.chief_officer_title) == (
        "Mayor's Office for Policing and Crime", "Commissioner")
    assert met.name == "Mayor's Office for Policing and Crime" and met.code == "MOPAC"
    assert gm.local_policing_body_title == "Mayor of Greater Manchester"
    assert offices["staffordshire"].local_policing_body_title == \
        "Staffordshire Commissioner for Police, Fire & Rescue and Crime"
    assert ctx.actor(NATIONAL).office == "" and ctx.actor(MOPAC[0]).office == "metropolitan"
    with pytest.raises(InvalidInput, match="many offices: name one"):
        ctx.office  # no default office to fall back on


def _copy(tmp_path) -> Path:
    folder = tmp_path / "offices"
    shutil.copytree(EXAMPLE, folder)
    return folder


@pytest.mark.parametrize("change, message", [
    # one address in two offices
    (lambda f: (f / "metropolitan" / "office.yaml").write_text(
        (f / "metropolitan" / "office.yaml").read_text().replace(
            "policy@mopac.example.org", "policy@gm.example.org")),
     "policy@gm.example.org is listed in greater-manchester and in metropolitan"),
    # a national reader inside an office
    (lambda f: (f / "metropolitan" / "office.yaml").write_text(
        (f / "metropolitan" / "office.yaml").read_text().replace(
            "role: auditor", "role: national")),
     "metropolitan/office.yaml: people\\[5\\]: the role 'national' belongs in national.yaml"),
    # a folder whose name is no force
    (lambda f: shutil.copytree(f / "metropolitan", f / "gotham"),
     "gotham/office.yaml: force_id: 'gotham' is not a force in forces.csv"),
])
def test_a_broken_offices_folder_is_refused_naming_the_file_and_rule(home, tmp_path, change,
                                                                      message):
    folder = _copy(tmp_path)
    change(folder)
    with pytest.raises(InvalidInput, match=message):
        make_ctx(home, offices_dir=folder).offices


# --- scoping: services ---------------------------------------------------------------------

def test_nobody_sees_or_acts_on_another_offices_review(ctx, seed_text):
    staffs = opened(ctx, STAFFS, seed_text)
    met = opened(ctx, MOPAC, title="PEEL 2021/22: Metropolitan Police Service")
    assert staffs == "STAFFS-S55-2022-0001" and met == "MOPAC-S55-2022-0001"

    assert [r["ref"] for r in reading.list_reviews(ctx, actor=STAFFS[3])] == [staffs]
    assert [r["ref"] for r in reading.list_reviews(ctx, actor=MOPAC[3])] == [met]
    assert [r["ref"] for r in compliance.status(ctx, actor=MOPAC[0])] == [met]
    # another office's review is answered exactly as one that does not exist
    for read in (reading.show, reading.export, reading.audit_trail, reading.record):
        with pytest.raises(NotFound, match=unknown(staffs)):
            read(ctx, actor=MOPAC[3], ref=staffs)
    with pytest.raises(NotFound, match=unknown(staffs)):
        reading.version_text(ctx, actor=MOPAC[0], ref=staffs, version="0" * 12)
    with pytest.raises(NotFound, match=unknown(staffs)):
        bundle.export_bundle(ctx, actor=MOPAC[3], ref=staffs, out=ctx.settings.home / "b")

    trail = len(reading.audit_trail(ctx, actor=STAFFS[3], ref=staffs))
    before = reading.show(ctx, actor=STAFFS[0], ref=staffs)["current_version"]
    attempts = [
        lambda: route.invite_chief_officer(ctx, actor=MOPAC[0], ref=staffs),
        lambda: drafting.edit_text(ctx, actor=MOPAC[0], ref=staffs, field_name="title",
                                   value="Taken over"),
        lambda: drafting.add_item(ctx, actor=MOPAC[0], ref=staffs, kind="recommendations",
                                  text="Do B"),
        lambda: route.withdraw(ctx, actor=MOPAC[0], ref=staffs, reason="not ours"),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound, match=unknown(staffs)):
            attempt()
    after = reading.show(ctx, actor=STAFFS[0], ref=staffs)
    assert after["current_version"] == before and after["stage"] == "draft"
    # and nothing of the attempts is on Staffordshire's trail to tell them apart
    assert len(reading.audit_trail(ctx, actor=STAFFS[3], ref=staffs)) == trail


def test_a_national_reader_reads_every_office_and_decides_nothing(ctx, seed_text):
    staffs = opened(ctx, STAFFS, seed_text)
    met = opened(ctx, MOPAC, title="PEEL 2021/22: Metropolitan Police Service")
    assert {r["ref"] for r in reading.list_reviews(ctx, actor=NATIONAL)} == {staffs, met}
    assert {r["ref"] for r in compliance.status(ctx, actor=NATIONAL)} == {staffs, met}
    shown = reading.show(ctx, actor=NATIONAL, ref=met)
    assert shown["force"] == "Metropolitan Police Service" and shown["allowed"] == []
    record = reading.record(ctx, actor=NATIONAL, ref=met)
    assert record.local_policing_body.title == "Mayor's Office for Policing and Crime"
    assert record.chief_officer == record.chief_officer.__class__("Commissioner", "Dana Holt")
    with pytest.raises(NotPermitted, match="the role 'national' may not invite chief officer"):
        route.invite_chief_officer(ctx, actor=NATIONAL, ref=met)
    with pytest.raises(NotPermitted, match="open review"):
        drafting.open_review(ctx, actor=NATIONAL, record=parse_record(seed_text),
                             published_on=PUBLISHED_ON)
    assert reading.show(ctx, actor=MOPAC[0], ref=met)["stage"] == "draft"
    # the refusal is on the trail, with who tried
    assert reading.audit_trail(ctx, actor=MOPAC[3], ref=met)[-1]["actor"] == NATIONAL


def test_each_office_mails_its_own_people_and_publishes_to_its_own_site(ctx, seed_text):
    staffs = published(ctx, STAFFS, opened(ctx, STAFFS, seed_text))
    met = published(ctx, MOPAC, opened(ctx, MOPAC, title="PEEL 2021/22: MPS"))
    with ctx.uow() as session:
        mail = list(session.query(OutboxMessage))
        ids = {ref: reading.repo.find_review(session, ref).id for ref in (staffs, met)}
    to = {ref: {m.recipient for m in mail if m.review_id == ids[ref]} for ref in (staffs, met)}
    assert MOPAC[1] in to[met] and MOPAC[2] in to[met]
    assert "police.committee@london-assembly.example.org" in to[met]  # MOPAC's own recipients
    assert not to[met] & {STAFFS[1], STAFFS[2], "panel@example.org"}
    assert STAFFS[2] in to[staffs] and "panel@example.org" in to[staffs]
    assert not to[staffs] & set(MOPAC)
    # the link in a message goes to the review on the service, and its own office's site
    copy = next(m for m in mail if m.review_id == ids[met]
                and m.recipient == "s55-responses@homeoffice.example.org")
    assert f"{ctx.settings.site_address}/metropolitan/responses/{met}/index.html" in \
        copy.body_text
    invitation = next(m for m in mail if m.review_id == ids[met] and m.recipient == MOPAC[1]
                      and m.template == "invitation")
    assert f"https://s55.example.org/reviews/{met}?version=" in invitation.body_text
    assert "Mayor's Office for Policing and Crime" in invitation.body_text

    site = ctx.settings.site
    assert (site / "metropolitan" / "responses" / met / "index.html").is_file()
    assert (site / "staffordshire" / "responses" / staffs / "index.html").is_file()
    met_index = (site / "metropolitan" / "index.html").read_text()
    assert met in met_index and staffs not in met_index
    assert "Mayor&#39;s Office for Policing and Crime" in met_index
    assert [r["ref"] for r in compliance.report(ctx, actor=MOPAC[0])["rows"]] == [met]
    assert {r["ref"] for r in compliance.report(ctx, actor=NATIONAL)["rows"]} == {staffs, met}

    # the outbox of one office is its own
    met_box = mailing.outbox_rows(ctx, office="metropolitan")
    assert met_box and {m["ref"] for m in met_box} == {met}
    for m in met_box:
        mailing.deliver(ctx, m["ref"])


def test_an_audit_bundle_withholds_other_offices_entries_and_still_verifies(ctx, seed_text,
                                                                           tmp_path):
    staffs = published(ctx, STAFFS, opened(ctx, STAFFS, seed_text))
    met = opened(ctx, MOPAC, title="PEEL 2021/22: MPS")
    mailing.deliver(ctx, staffs)
    publishing.finish_copies(ctx, staffs)
    out = bundle.export_bundle(ctx, actor=STAFFS[3], ref=staffs, out=tmp_path / "bundle")
    text = (out / "audit.jsonl").read_text()
    assert met not in text and "mopac.example.org" not in text and "met.example.org" not in text
    entries = [json.loads(line) for line in text.splitlines()]
    assert any("withheld" in e for e in entries)
    assert entries[-1]["hash"] == json.loads((out / "head.json").read_text())["hash"]
    checked = subprocess.run([sys.executable, "verify.py"], cwd=out, capture_output=True,
                             text=True)
    assert checked.returncode == 0, checked.stdout
    # a withheld entry that is altered still breaks the chain that follows it
    broken = [dict(e) for e in entries]
    first = next(i for i, e in enumerate(broken) if "withheld" in e)
    broken[first]["hash"] = "f" * 64
    (out / "audit.jsonl").write_text("".join(json.dumps(e) + "\n" for e in broken))
    checked = subprocess.run([sys.executable, "verify.py"], cwd=out, capture_output=True,
                             text=True)
    assert checked.returncode == 1


# --- the national fan-out --------------------------------------------------------------------

def test_the_fan_out_opens_each_forces_review_in_its_own_office(ctx):
    title = "An inspection of activism and impartiality in policing"
    result = thematic.open_all(ctx, actor=NATIONAL, title=title, published_on=PUBLISHED_ON)
    assert len(result["opened"]) == 4 and len(result["elsewhere"]) == 39
    assert "Kent Police" in result["elsewhere"]
    by_force = {r["force"]: r["ref"] for r in result["opened"]}
    # the Welsh office's is kept in both languages: its Welsh still to write, named
    welsh = reading.record(ctx, actor="swyddog@dyfed-powys.example.org",
                           ref=by_force["Dyfed-Powys Police"])
    assert welsh.bilingual and welsh.cy.force == "Heddlu Dyfed-Powys"
    assert "title: English only" in welsh.language_gaps()
    met = by_force["Metropolitan Police Service"]
    assert met.startswith("MOPAC-S55-2022-")
    record = reading.record(ctx, actor=MOPAC[0], ref=met)
    assert (record.local_policing_body.title, record.local_policing_body.name) == (
        "Mayor's Office for Policing and Crime", "Max Ellis")
    assert record.chief_officer.title == "Commissioner"
    gm = reading.record(ctx, actor="policy@gm.example.org",
                        ref=by_force["Greater Manchester Police"])
    assert gm.local_policing_body.title == "Mayor of Greater Manchester"
    assert [r["ref"] for r in reading.list_reviews(ctx, actor=MOPAC[0])] == [met]
    trail = reading.audit_trail(ctx, actor=MOPAC[3], ref=met)
    assert trail[0]["action"] == "open review" and trail[0]["actor"] == NATIONAL

    # again: nothing twice; an office's own officer opens only their own force's review
    again = thematic.open_all(ctx, actor=MOPAC[0], title=title, published_on=PUBLISHED_ON)
    assert [r["ref"] for r in again["existing"]] == [met] and not again["opened"]
    with pytest.raises(NotPermitted):
        thematic.open_all(ctx, actor=MOPAC[1], title=title, published_on=PUBLISHED_ON)


# --- the web app ---------------------------------------------------------------------------

def test_the_web_app_shows_each_person_their_own_office_only(home, seed_text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from s55.web.app import create_app

    ctx = make_ctx(home, "", DAY, offices_dir=EXAMPLE, web_url="https://s55.example.org")
    staffs = opened(ctx, STAFFS, seed_text)
    met = opened(ctx, MOPAC, title="PEEL 2021/22: MPS")

    def signed_in(who: str) -> TestClient:
        web = TestClient(create_app(ctx), base_url="http://127.0.0.1:8055")
        assert web.post("/signin", data={"email": who}).status_code == 200
        with ctx.uow() as session:
            body = session.query(OutboxMessage).filter_by(template="signin") \
                .order_by(OutboxMessage.id.desc()).first().body_text
        assert "https://s55.example.org/signin/" in body
        token = re.search(r"/signin/([A-Za-z0-9_-]+)", body)[1]
        answer = web.post(f"/signin/{token}", follow_redirects=False)
        web.cookies.set("s55_session", answer.cookies["s55_session"])
        return web

    mopac = signed_in(MOPAC[0])
    page = mopac.get("/")
    assert met in page.text and staffs not in page.text
    assert "Mayor&#39;s Office for Policing and Crime" in page.text
    assert mopac.get(f"/reviews/{met}").status_code == 200
    # the link another office's people were mailed leads nowhere for this one
    # exactly as a review that does not exist: nothing tells that it does
    for asked in ("", "?version=abc"):  # (the page's language link names the page asked for)
        nowhere = mopac.get(f"/reviews/STAFFS-S55-2022-0999{asked}")
        answer = mopac.get(f"/reviews/{staffs}{asked}")
        assert answer.status_code == nowhere.status_code == 404
        assert answer.text.replace(staffs, "REF") == nowhere.text.replace(
            "STAFFS-S55-2022-0999", "REF")
        # nor does an action's page, or its form
        answer, nowhere = (mopac.get(f"/actions/{r}/R1{asked}") for r in (
            staffs, "STAFFS-S55-2022-0999"))
        assert answer.status_code == nowhere.status_code == 404
        assert answer.text.replace(staffs, "REF") == nowhere.text.replace(
            "STAFFS-S55-2022-0999", "REF")
    csrf = re.search(r'name="csrf" value="([^"]+)"', mopac.get(f"/reviews/{met}").text)[1]
    assert mopac.post(f"/actions/{staffs}/R1", data={"csrf": csrf, "version": "1",
                                                     "status": "complete"}).status_code == 404
    refused = mopac.post(f"/reviews/{staffs}/invite", data={"csrf": csrf})
    assert refused.status_code == 404
    assert reading.show(ctx, actor=STAFFS[0], ref=staffs)["stage"] == "draft"

    national = signed_in(NATIONAL)
    page = national.get("/")
    assert met in page.text and staffs in page.text
    assert national.get(f"/reviews/{staffs}").status_code == 200


# --- the CLI ---------------------------------------------------------------------------------

def test_the_cli_scopes_every_command_to_the_persons_office(home, seed_text, tmp_path):
    import os

    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))},
           "S55_HOME": str(home), "S55_OFFICES_DIR": str(EXAMPLE)}

    def s55(*args, who):
        return subprocess.run([sys.executable, "-m", "s55", *args, "--as", who], env=env,
                              capture_output=True, text=True, cwd=tmp_path)

    record = tmp_path / "record.txt"
    record.write_text(seed_text)
    made = s55("import", str(record), "--published-on", "2022-09-22", who=STAFFS[0])
    assert made.returncode == 0, made.stderr
    staffs = made.stdout.strip()
    assert staffs == "STAFFS-S55-2022-0001"
    listed = s55("list", "--json", who=MOPAC[0])
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    for args in (("show", staffs), ("export", staffs), ("audit", staffs),
                 ("invite", staffs, "--no-wait")):
        answer = s55(*args, who=MOPAC[0])
        assert answer.returncode == 3, (args, answer.stdout, answer.stderr)
        assert f"no review with the reference '{staffs}'" in answer.stderr
    assert s55("show", staffs, who=NATIONAL).returncode == 0
    assert json.loads(s55("list", "--json", who=STAFFS[3]).stdout)[0]["ref"] == staffs
    fanned = s55("open-thematic", "--title", "Activism and impartiality", "--published-on",
                 "2022-09-22", who=NATIONAL)
    assert fanned.returncode == 0, fanned.stderr
    assert "4 opened, 0 already open" in fanned.stdout
    assert "not opened here (39 forces whose offices are not yours or not on this service)" \
        in fanned.stdout
    assert len(json.loads(s55("list", "--json", who=MOPAC[0]).stdout)) == 1


# --- a database made before offices ----------------------------------------------------------

def _before_offices(home) -> str:
    from sqlalchemy import text

    from s55.store import db
    from tests.integration.test_database import at_revision

    home.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{home / 's55.db'}"
    at_revision(url, "0010")
    with db.engine_for(url).begin() as conn:
        for n, force in enumerate(("Metropolitan Police Service", "Kent Police"), 1):
            conn.execute(text(
                "insert into reviews (ref, kind, force, title, stage, stage_seq, "
                "report_published_on, current_version, unanswered_recommendations, created_at, "
                "updated_at, row_version) values (:ref, 'police-s55', :force, 'PEEL', 'draft', "
                "0, '2022-09-22', '', 0, '2022-09-23', '2022-09-23', 1)"),
                {"ref": f"S55-2022-000{n}", "force": force})
    return url


def test_an_upgrade_places_earlier_reviews_in_their_forces_office_or_changes_nothing(home):
    from s55.services import database
    from s55.store import db

    url = _before_offices(home)
    many = make_ctx(home, url, DAY, offices_dir=EXAMPLE)
    # Kent's office is not on this service: refused, naming it, and the schema as it was
    with pytest.raises(InvalidInput, match="serves the force of reviews already in the "
                                           "database: Kent Police"):
        database.upgrade(many, actor=OPERATOR)
    db._READY.discard(url)
    assert db.schema_version(url) == "0010"
    with db.engine_for(url).begin() as conn:
        conn.exec_driver_sql("delete from reviews where force = 'Kent Police'")
    # one office's people may not upgrade the database every office shares
    with pytest.raises(NotPermitted, match="only a service operator may upgrade"):
        database.upgrade(many, actor=MOPAC[0])
    assert database.upgrade(many, actor=OPERATOR) == ("0010", db.SCHEMA_HEAD)
    assert [r["ref"] for r in reading.list_reviews(many, actor=MOPAC[0])] == ["S55-2022-0001"]
    assert reading.list_reviews(many, actor=STAFFS[0]) == []


def test_an_upgrade_of_one_office_keeps_every_review_in_it(home):
    from s55.services import database
    from tests.conftest import AUDITOR, OPCC

    url = _before_offices(home)
    one = make_ctx(home, url, DAY)
    database.upgrade(one, actor=OPCC)
    assert [r["ref"] for r in reading.list_reviews(one, actor=AUDITOR)] == [
        "S55-2022-0001", "S55-2022-0002"]


# --- an office's own reminder plan and templates ---------------------------------------------

def test_each_office_is_reminded_by_its_own_plan_its_own_templates_and_people(home, tmp_path,
                                                                           seed_text):
    from s55.services import reminding

    folder = _copy(tmp_path)
    own = folder / "metropolitan"
    plan = (ROOT / "config" / "reminders.yaml").read_text()
    # MOPAC warns its Deputy Mayor ten days before the last day, not six
    (own / "reminders.yaml").write_text(plan.replace(
        "id: last-week\n    family: statutory\n    anchor: statutory_last_day\n    days: -6",
        "id: last-week\n    family: statutory\n    anchor: statutory_last_day\n    days: -10"))
    (own / "templates" / "email" / "reminder").mkdir(parents=True)
    (own / "templates" / "email" / "reminder" / "subject.txt").write_text(
        "MOPAC: {{ m.about }} ({{ m.ref }})\n")
    ctx = make_ctx(home, "", DAY, offices_dir=folder)
    staffs = opened(ctx, STAFFS, seed_text)
    met = opened(ctx, MOPAC, title="PEEL 2021/22: MPS")

    def planned(day: date, office: str | None = None) -> dict[str, set]:
        reminding.sweep(ctx, today=day, office=office)
        with ctx.uow() as session:
            rows = session.query(OutboxMessage).filter(
                OutboxMessage.template == "reminder", OutboxMessage.status == "pending").all()
            refs = {r.id: r.ref for r in reading.repo.reviews(session)}
            return {(refs[m.review_id], m.recipient): m.subject for m in rows}

    # day -10 is a Sunday: MOPAC's goes on the Friday before; a Staffordshire officer's sweep
    # by hand is Staffordshire's alone and leaves it unplanned
    assert planned(date(2022, 11, 4), office="staffordshire") == {}
    mail = planned(date(2022, 11, 4))
    assert set(mail) == {(met, "deputy.mayor@mopac.example.org"),
                         (met, "chief.executive@mopac.example.org")}
    assert all(subject.startswith("MOPAC: ") for subject in mail.values())
    mail = planned(date(2022, 11, 10))
    assert {to for ref, to in mail if ref == staffs} == {
        "commissioner@staffordshire.example.org", "chief.executive@staffordshire.example.org"}
    assert all(mail[(staffs, to)].startswith("[Escalation] ") for r, to in mail if r == staffs)


def test_an_office_may_not_open_a_review_of_a_force_another_office_serves(home, seed_text):
    ctx = make_ctx(home, "", DAY, offices_dir=EXAMPLE)
    with pytest.raises(InvalidInput, match="'Staffordshire' is Staffordshire Police, whose own "
                                           "office .* is on this service"):
        drafting.open_review(ctx, actor=MOPAC[0], record=parse_record(seed_text),
                             published_on=PUBLISHED_ON)
    assert reading.list_reviews(ctx, actor=NATIONAL) == []
    # its own office opens it; a force no office here serves may be opened by any office
    assert opened(ctx, STAFFS, seed_text).startswith("STAFFS-")
    from dataclasses import replace

    kent = replace(drafting.blank_record(ctx, "PEEL: Kent", MOPAC[0]), force="Kent Police")
    assert drafting.open_review(ctx, actor=MOPAC[0], record=kent,
                                published_on=PUBLISHED_ON).startswith("MOPAC-")


@pytest.mark.parametrize("change, message", [
    (lambda f: (f / "greater-manchester" / "office.yaml").write_text(
        (f / "greater-manchester" / "office.yaml").read_text().replace("code: GMCA",
                                                                     "code: MOPAC")),
     "metropolitan/office.yaml: code: 'MOPAC' is the code of greater-manchester/office.yaml "
     "too"),
    (lambda f: (f / "greater-manchester" / "office.yaml").write_text(
        (f / "greater-manchester" / "office.yaml").read_text().replace(
            '"Deputy Mayor for Policing, Crime, Criminal Justice and Fire"',
            "Deputy Mayor for Policing, Crime")),
     "greater-manchester/office.yaml: people\\[4\\]: unknown key 'Crime'"),
    (lambda f: shutil.copytree(f / "metropolitan", f / "london") and (
        f / "london" / "office.yaml").write_text(
            "force_id: metropolitan\n" + (f / "london" / "office.yaml").read_text()),
     "metropolitan/office.yaml: force_id: 'metropolitan' is served twice \\(by "
     "london/office.yaml too\\)"),
])
def test_an_offices_folder_that_says_something_twice_or_unread_is_refused(home, tmp_path,
                                                                         change, message):
    folder = _copy(tmp_path)
    change(folder)
    with pytest.raises(InvalidInput, match=message):
        make_ctx(home, offices_dir=folder).offices


def test_a_review_whose_office_is_no_longer_served_is_still_read(home, tmp_path, seed_text):
    folder = _copy(tmp_path)
    ctx = make_ctx(home, "", DAY, offices_dir=folder)
    met = opened(ctx, MOPAC, title="PEEL 2021/22: MPS")
    shutil.rmtree(folder / "metropolitan")
    from s55.config import load_offices

    load_offices.cache_clear()
    ctx = make_ctx(home, "", DAY, offices_dir=folder)
    rows = compliance.status(ctx, actor=NATIONAL)
    assert [(r["ref"], r["held_by"]) for r in rows] == [(met, "opcc officer")]
    assert reading.show(ctx, actor=NATIONAL, ref=met)["stage"] == "draft"


def test_the_shared_database_is_backed_up_and_restored_by_a_service_operator_only(
        home, tmp_path, seed_text):
    from s55.services import backup as backups

    ctx = make_ctx(home, "", DAY, offices_dir=EXAMPLE)
    opened(ctx, STAFFS, seed_text)
    for who in (MOPAC[0], MOPAC[3], NATIONAL):  # one office's people hold no other's data
        with pytest.raises(NotPermitted, match="may not back up|only a service operator may"):
            backups.backup(ctx, actor=who, to=tmp_path / "b")
    assert not (tmp_path / "b").exists()
    backups.backup(ctx, actor=OPERATOR, to=tmp_path / "b")
    with pytest.raises(NotPermitted, match="only a service operator may restore"):
        backups.restore(ctx, actor=STAFFS[0], source=tmp_path / "b")
    with pytest.raises(NotPermitted, match="may not read"):
        reading.list_reviews(ctx, actor=OPERATOR)  # and reads no review
    assert backups.restore(ctx, actor=OPERATOR, source=tmp_path / "b")["audit"].startswith(
        "intact")
