"""`s55 backup` and `s55 restore` (issue 11): a copy taken while decisions are being written
holds an intact chain; a restore brings the record back, checks and records itself, and the
route carries on with every new message written (none taken for one sent before the
restore). Real SQLite and PostgreSQL (pg_dump and pg_restore), real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from s55.domain.errors import InvalidInput, NotPermitted, WrongStage
from s55.housestyle import parse_record
from s55.services import backup as backups
from s55.services import drafting, mailing, reading, requests, route
from s55.store import db, repo
from s55.store.models import OutboxMessage, ServedProcess
from tests.conftest import AUDITOR, CHIEF_CONSTABLE, OPCC, STAFF_OFFICER, make_ctx


def invited(ctx, seed_text) -> str:
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=date.today() - timedelta(days=3))
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    mailing.deliver(ctx, ref)
    return ref


def emls(ctx) -> set[str]:
    return {p.name for p in ctx.settings.outbox.glob("*.eml")}


def sent(ctx) -> int:
    with ctx.uow(read=True) as session:
        return session.query(OutboxMessage).filter_by(status="sent").count()


def fresh(ctx):
    """The same home as a new process would open it (after the files changed under it)."""
    db.engine_for.cache_clear()
    db._READY.clear()
    return make_ctx(ctx.settings.home, ctx.settings.database_url)


def test_a_backup_taken_while_decisions_are_written_restores_and_the_route_goes_on(
        home, db_url, seed_text, tmp_path):
    ctx = make_ctx(home, db_url)
    ref = invited(ctx, seed_text)
    before = emls(ctx)
    assert len(before) == 1

    # decisions go on while the copy is taken: the copy is one consistent moment
    others = [drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                                   published_on=date.today(), again=True) for _ in range(2)]
    stop = threading.Event()

    def writing():
        n = 0
        while not stop.is_set():
            n += 1
            drafting.edit_text(ctx, actor=OPCC, ref=others[n % 2], field_name="title",
                               value=f"Edit {n}")

    writer = threading.Thread(target=writing)
    writer.start()
    try:
        made = backups.backup(ctx, actor=AUDITOR, to=tmp_path / "backup")
    finally:
        stop.set()
        writer.join()
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["audit_head"]["seq"] == made["audit_head"]["seq"] > 4
    assert "outbox/" + sorted(before)[0] in manifest["files"]

    # after the backup: the chief officer comments, and that mail goes
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None, text="<p>Ok.</p>")
    mailing.deliver(ctx, ref)
    after_backup = emls(ctx)
    assert len(after_backup) > len(before)

    done = backups.restore(ctx, actor=OPCC, source=tmp_path / "backup")
    assert done["audit"].startswith("intact")
    ctx = fresh(ctx)
    shown = reading.show(ctx, actor=AUDITOR, ref=ref)
    assert shown["stage"] == "awaiting chief officer"  # the comments came after the backup
    trail = reading.verify_audit(ctx, actor=AUDITOR)
    assert trail.ok and trail.count == manifest["audit_head"]["seq"] + 1
    with ctx.uow(read=True) as session:
        last = repo.audit_entries(session)[-1]
    assert (last.action, last.actor) == ("restore from backup", OPCC)
    assert emls(ctx) == after_backup  # nothing of what was sent is removed

    # the route carries on: the comments again, and every message written, none skipped
    sent_before = sent(ctx)
    drafting.comments(ctx, actor=CHIEF_CONSTABLE, ref=ref, seen_version=None,
                      text="<p>Ok again.</p>")
    outcome = mailing.deliver(ctx, ref)
    new = sent(ctx) - sent_before
    assert new > 0 and len(outcome["sent"]) == new
    assert len(emls(ctx)) == len(after_backup) + new
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "awaiting local policing body"


def test_a_damaged_backup_is_refused_and_nothing_changes(home, seed_text, tmp_path):
    ctx = make_ctx(home)
    ref = invited(ctx, seed_text)
    backups.backup(ctx, actor=OPCC, to=tmp_path / "backup")
    with pytest.raises(InvalidInput, match="exists already"):
        backups.backup(ctx, actor=OPCC, to=tmp_path / "backup")
    with pytest.raises(NotPermitted, match="may not restore"):
        backups.restore(ctx, actor=AUDITOR, source=tmp_path / "backup")
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None, text="<p>Ok.</p>")
    eml = next((tmp_path / "backup" / "outbox").glob("*.eml"))
    eml.write_bytes(eml.read_bytes() + b"\n")
    with pytest.raises(InvalidInput, match=f"outbox/{eml.name} does not match its SHA-256"):
        backups.restore(ctx, actor=OPCC, source=tmp_path / "backup")
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "awaiting local policing body"
    assert not list(home.glob("replaced-*"))
    with pytest.raises(InvalidInput, match="is not an s55 backup"):
        backups.restore(ctx, actor=OPCC, source=tmp_path)


def test_a_restore_under_a_running_service_is_refused(home, seed_text, tmp_path):
    ctx = make_ctx(home)
    invited(ctx, seed_text)
    backups.backup(ctx, actor=OPCC, to=tmp_path / "backup")
    now = datetime.now(UTC)
    with ctx.uow() as session:  # a live served process: this one, heartbeat now
        session.add(ServedProcess(owner=requests.this_process(), started_at=now,
                                  heartbeat_at=now, mode="embedded"))
    with pytest.raises(WrongStage, match="`s55 serve` is running on this database"):
        backups.restore(ctx, actor=OPCC, source=tmp_path / "backup")


def test_backup_and_restore_from_the_command_line(home, seed_text, tmp_path):
    ctx = make_ctx(home)
    ref = invited(ctx, seed_text)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))},
           "S55_HOME": str(home)}

    def s55(*args):
        return subprocess.run([sys.executable, "-m", "s55", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    made = s55("backup", str(tmp_path / "b"), "--as", AUDITOR)
    assert made.returncode == 0 and "sqlite database at schema" in made.stdout, made.stderr
    drafting.comments(ctx, actor=STAFF_OFFICER, ref=ref, seen_version=None, text="<p>Ok.</p>")
    refused = s55("restore", str(tmp_path / "b"), "--as", AUDITOR)
    assert refused.returncode == 4
    db.engine_for(ctx.settings.db_url).dispose()
    back = s55("restore", str(tmp_path / "b"), "--as", OPCC)
    assert back.returncode == 0 and "audit chain: intact" in back.stdout, back.stderr
    assert "the database it replaced is kept in" in back.stdout
    ctx = fresh(ctx)
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "awaiting chief officer"
    replaced = list(home.glob("replaced-*/s55.db"))
    assert len(replaced) == 1  # the database it replaced, kept


def test_a_backup_is_private_and_a_restore_takes_nothing_it_did_not_make(home, seed_text,
                                                                        tmp_path):
    import hashlib
    import shutil
    import sqlite3

    ctx = make_ctx(home)
    ref = invited(ctx, seed_text)
    made = tmp_path / "backup"
    backups.backup(ctx, actor=OPCC, to=made)
    assert made.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in made.rglob("*") if p.is_file()} == {0o600}

    def tampered(name: str, change) -> Path:
        copy = tmp_path / name
        shutil.copytree(made, copy)
        change(copy)
        return copy

    secret = tmp_path / "secret.txt"
    secret.write_text("not for the site")
    cases = [
        (tampered("extra", lambda c: (c / "site" / "evil.html").parent.mkdir(parents=True, exist_ok=True)
                  or (c / "site" / "evil.html").write_text("<h1>fake</h1>")),
         "site/evil.html is not in the manifest"),
        (tampered("link", lambda c: (c / "outbox" / "leak.eml").symlink_to(secret)),
         "outbox/leak.eml is a symbolic link"),
    ]

    def forged(copy):  # the signed text rewritten, and the manifest's sums made to match
        con = sqlite3.connect(copy / "s55.db")
        content = con.execute("select content from versions order by id limit 1").fetchone()[0]
        con.execute("update versions set content = ? where id = (select min(id) from versions)",
                    (content.replace("Staffordshire", "Elsewhere", 1),))
        con.commit()
        con.close()
        manifest = json.loads((copy / "manifest.json").read_text())
        manifest["files"]["s55.db"] = hashlib.sha256((copy / "s55.db").read_bytes()).hexdigest()
        (copy / "manifest.json").write_text(json.dumps(manifest))

    cases.append((tampered("forged", forged),
                  f"its text does not match its version hashes .*: {ref} version 1"))
    for source, refusal in cases:
        with pytest.raises(InvalidInput, match=refusal):
            backups.restore(ctx, actor=OPCC, source=source)
    assert not (ctx.settings.site / "evil.html").exists()
    assert not list(home.glob("replaced-*"))  # nothing was replaced


def test_a_restore_ends_every_web_session_and_is_on_every_reviews_trail(home, seed_text,
                                                                       tmp_path):
    from s55.services import signin

    ctx = make_ctx(home)
    ref = invited(ctx, seed_text)
    assert signin.request_link(ctx, email=OPCC, next_path="/", client="test").sent
    with ctx.uow(read=True) as session:
        body = session.query(OutboxMessage).filter_by(template="signin").one().body_text
    cookie = signin.use_link(ctx, nonce=body.split("/signin/")[1].split()[0], client="test")[0]
    backups.backup(ctx, actor=OPCC, to=tmp_path / "backup")
    assert signin.current(ctx, cookie) is not None
    done = backups.restore(ctx, actor=OPCC, source=tmp_path / "backup")
    ctx = fresh(ctx)
    assert done["sessions_ended"] == 1 and signin.current(ctx, cookie) is None
    trail = reading.audit_trail(ctx, actor=AUDITOR, ref=ref)
    assert trail[-1]["action"] == "restore from backup" and trail[-1]["actor"] == OPCC
