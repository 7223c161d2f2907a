"""The database as an operator meets it: a schema that is not this s55's is refused with the
way on, `s55 db upgrade` under a lock and on the audit trail, `s55 db backup` a consistent
copy taken live (issue 11)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from s55.domain.errors import InvalidInput, NotPermitted, SchemaOutOfDate
from s55.housestyle import parse_record
from s55.services import database, drafting, reading
from s55.store import db
from tests.conftest import AUDITOR, COMMISSIONER, OPCC, make_ctx


def s55(home, *argv) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    return subprocess.run([sys.executable, "-m", "s55", *argv], capture_output=True, text=True,
                          env={**env, "S55_HOME": str(home)}, timeout=60)


def at_revision(url: str, revision: str) -> None:
    """A database as an older s55 left it."""
    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS))
    cfg.attributes["engine"] = db.engine_for(url)
    command.upgrade(cfg, revision)


def test_an_older_schema_is_refused_until_upgraded_and_the_upgrade_is_on_the_trail(home):
    (home).mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{home / 's55.db'}"
    at_revision(url, "0008")
    refused = s55(home, "list", "--as", AUDITOR)
    assert refused.returncode == 9
    assert (f"the database's schema is at revision 0008 and this s55 needs {db.SCHEMA_HEAD}: "
            "stop `s55 serve`, back the database up (`s55 backup DEST`) and run `s55 db "
            "upgrade`") in refused.stderr
    assert s55(home, "db", "status").returncode == 1
    assert s55(home, "db", "upgrade", "--as", AUDITOR).returncode == 4  # not an auditor's to do
    done = s55(home, "db", "upgrade", "--as", OPCC)
    assert done.returncode == 0 and f"schema 0008 -> {db.SCHEMA_HEAD}" in done.stdout
    again = s55(home, "db", "upgrade", "--as", OPCC)
    assert f"schema {db.SCHEMA_HEAD}: up to date, nothing to do" in again.stdout
    assert s55(home, "list", "--as", AUDITOR).returncode == 0
    ctx = make_ctx(home)
    with ctx.uow(read=True) as session:
        rows = session.execute(text("select actor, action from audit")).all()
    assert [(r[0], r[1]) for r in rows] == [(OPCC, "upgrade the database's schema")]
    assert reading.verify_audit(ctx, actor=AUDITOR).ok


def test_a_schema_newer_than_this_s55_is_refused_naming_it(home):
    ctx = make_ctx(home)
    with ctx.uow() as session:  # a new database is made on first use
        session.execute(text("update alembic_version set version_num = '0099'"))
    db._READY.clear()
    with pytest.raises(SchemaOutOfDate, match="revision 0099, which this s55 does not know"):
        reading.list_reviews(make_ctx(home), actor=AUDITOR)


def test_a_backup_taken_live_holds_the_latest_commit(home, seed_text):
    ctx = make_ctx(home)
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=date(2022, 9, 22))
    # the commit is in s55.db-wal, not yet in s55.db: a plain copy of s55.db would miss it
    assert (home / "s55.db-wal").stat().st_size > 0
    copy = database.backup(ctx, actor=AUDITOR, to=home / "backup.db")
    with sqlite3.connect(copy) as conn:
        assert conn.execute("select ref from reviews").fetchall() == [(ref,)]
        assert conn.execute("select count(*) from audit").fetchone()[0] >= 1
    with pytest.raises(InvalidInput, match="exists already; name a new file"):
        database.backup(ctx, actor=OPCC, to=copy)
    with pytest.raises(NotPermitted):
        database.backup(ctx, actor=COMMISSIONER, to=home / "other.db")
    assert not (home / "other.db").exists()


@pytest.mark.postgres
def test_postgresql_is_backed_up_with_its_own_tools(home, postgres_url):
    ctx = make_ctx(home, postgres_url)
    with pytest.raises(InvalidInput, match="pg_dump"):
        database.backup(ctx, actor=OPCC, to=home / "backup.db")


def test_a_restored_backup_and_a_decision_taken_again_write_their_message(home, seed_text):
    """The outbox folder outlives a restore: the invitation sent after the backup keeps its
    file, and the invitation made again after the restore (the same row number, the same
    Message-ID) is written beside it, not taken for it."""
    from s55.services import mailing, route

    ctx = make_ctx(home)
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=date.today())
    copy = database.backup(ctx, actor=OPCC, to=home / "backup.db")
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    mailing.deliver(ctx, ref)
    first = sorted((home / "outbox").glob("*.eml"))
    assert len(first) == 1

    # restored, as the README says: s55 stopped, the backup put in place of s55.db
    db.engine_for(ctx.settings.db_url).dispose()
    for leftover in ("s55.db-wal", "s55.db-shm"):
        (home / leftover).unlink(missing_ok=True)
    copy.replace(home / "s55.db")
    db.engine_for.cache_clear()
    db._READY.clear()
    ctx = make_ctx(home)
    assert reading.show(ctx, actor=AUDITOR, ref=ref)["stage"] == "draft"
    route.invite_chief_officer(ctx, actor=OPCC, ref=ref)
    mailing.deliver(ctx, ref)
    files = sorted((home / "outbox").glob("*.eml"))
    assert len(files) == 2 and first[0] in files
    assert files[0].name[:6] == files[1].name[:6]  # the same row number, two files


def test_an_integrity_error_is_a_conflict_only_when_it_is_one(home, db_url, seed_text):
    """A unique key someone else took first is 'someone else acted at the same moment'; a
    missing value is a fault, and says so (the command's unexpected error, exit 70)."""
    from sqlalchemy.exc import IntegrityError

    from s55.domain.errors import Conflict
    from s55.store.models import RefCounter

    ctx = make_ctx(home, db_url)
    ref = drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                               published_on=date(2022, 9, 22))
    with pytest.raises(Conflict, match="someone else acted at the same moment"):
        with ctx.uow() as session:
            session.execute(text("update reviews set ref = :ref where ref <> :ref"),
                            {"ref": ref})
            session.execute(text(
                "insert into reviews (ref, office, kind, force, title, stage, stage_seq, "
                "report_published_on, current_version, unanswered_recommendations, created_at, "
                "updated_at, row_version) select ref, office, kind, force, title, stage, stage_seq, "
                "report_published_on, current_version, 0, created_at, updated_at, 1 "
                "from reviews"))
    with pytest.raises(IntegrityError, match="(?i)null"):
        with ctx.uow() as session:
            session.add(RefCounter(prefix="S55", year=2030, last=None))


def test_a_read_does_not_wait_for_a_writer(home, seed_text):
    """SQLite: a command that only reads answers while another process holds the write lock."""
    ctx = make_ctx(home)
    drafting.open_review(ctx, actor=OPCC, record=parse_record(seed_text),
                         published_on=date(2022, 9, 22))
    writer = sqlite3.connect(home / "s55.db", isolation_level=None, timeout=1)
    writer.execute("BEGIN IMMEDIATE")  # another process, mid-write
    try:
        listed = s55(home, "list", "--json", "--as", AUDITOR)
        assert listed.returncode == 0 and '"ref": "S55-2022-0001"' in listed.stdout
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_database_that_cannot_be_reached_is_said_and_worth_a_retry(home):
    """PostgreSQL down (restarted, moved): a clear line and exit 75, not a traceback."""
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
    env.update(S55_HOME=str(home),
               S55_DATABASE_URL=f"postgresql+psycopg://s55@127.0.0.1:{port}/s55")
    down = subprocess.run([sys.executable, "-m", "s55", "list", "--as", AUDITOR], env=env,
                          capture_output=True, text=True, timeout=60)
    assert down.returncode == 75
    assert down.stderr.startswith("s55: the database cannot be reached or refused the "
                                  "connection")
    assert "nothing was saved, try again" in down.stderr and "Traceback" not in down.stderr


@pytest.mark.postgres
def test_postgresql_restarted_mid_run_commands_fail_clearly_then_succeed(home, seed_text):
    """The database restarted under a working office: a command in that moment says so and
    changes nothing (exit 75); the same command afterwards works, and nothing was lost."""
    from tests.pgcluster import Cluster, Unavailable

    try:
        cluster = Cluster()
        cluster.start()
    except Unavailable as why:
        pytest.skip(str(why))
    try:
        url = cluster.database("restarted")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("S55_", "PREFECT_"))}
        env.update(S55_HOME=str(home), S55_DATABASE_URL=url)
        record = home.parent / "record.txt"
        record.write_text(seed_text, encoding="utf-8")

        def s55_pg(*argv):
            return subprocess.run([sys.executable, "-m", "s55", *argv], env=env,
                                  capture_output=True, text=True, timeout=120)

        first = s55_pg("import", str(record), "--published-on", "2022-09-22", "--as", OPCC)
        assert first.returncode == 0, first.stderr
        cluster.halt()
        down = s55_pg("import", str(record), "--published-on", "2022-09-22", "--again",
                      "--as", OPCC)
        assert down.returncode == 75 and "s55: the database cannot be reached" in down.stderr
        cluster.resume()
        again = s55_pg("import", str(record), "--published-on", "2022-09-22", "--again",
                       "--as", OPCC)
        assert again.returncode == 0 and again.stdout.strip() == "S55-2022-0002", again.stderr
        listed = s55_pg("list", "--json", "--as", AUDITOR)
        assert listed.stdout.count('"ref"') == 2
    finally:
        cluster.stop()
