"""Engines and the unit of work. SQLite takes its write lock up front (BEGIN IMMEDIATE)."""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm import Session, sessionmaker

from ..domain.errors import Conflict, SchemaOutOfDate
from .models import AuditHead

CONFLICT = ("refused: the review changed while this was being saved (someone else acted at the "
            "same moment); nothing was saved: look again and retry")

SCHEMA_HEAD = "0015"  # the newest Alembic revision in migrations/versions
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@lru_cache
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            dbapi_conn.execute("PRAGMA foreign_keys=ON")
            dbapi_conn.execute("PRAGMA journal_mode=WAL")

        # Writers queue on locks of ours: SQLite's own busy handler sleeps 1, 2, 5 ... 100 ms
        # between tries, so twenty web requests saving at once would wait far longer than the
        # writes take. In this process, a thread lock; across the processes of one database
        # (the web app's workers, the served route, commands), a lock file beside it, which the
        # kernel hands on the moment it is let go (and lets go when a holder dies).
        writing, mine = threading.Lock(), threading.local()  # a write begins and ends in one thread
        across = _LockFile(url)

        def done() -> None:
            if getattr(mine, "held", False):
                mine.held = False
                across.release()
                writing.release()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # a read (a poll for work or for an outcome) must not queue behind writers
            if conn.get_execution_options().get("s55_read"):
                conn.exec_driver_sql("BEGIN")
                return
            writing.acquire()
            mine.held = True
            try:
                across.acquire()
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                done()
                raise

        dialect = engine.dialect
        for name in ("do_commit", "do_rollback"):  # let the next writer in once this one is out
            real = getattr(dialect, name)

            def ended(dbapi_conn, real=real):
                try:
                    real(dbapi_conn)
                finally:
                    done()

            setattr(dialect, name, ended)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def sqlite_path(url: str) -> str:
    return make_url(url).database or ""


class _LockFile:
    """A lock file beside a SQLite database file, opened on first use (nothing in memory);
    held by one thread of this process at a time (the thread lock above sees to that)."""

    def __init__(self, url: str):
        database = make_url(url).database
        self.path = (f"{database}.writing" if database and database != ":memory:"
                     and not database.startswith("file:") else None)
        self.fd: int | None = None

    def acquire(self) -> None:
        if self.path is None:
            return
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)


_READY: set[str] = set()
_MIGRATING = threading.Lock()  # Alembic is not thread-safe; tasks run in threads


def schema_version(url: str) -> str | None:
    """The database's Alembic revision; None for a database s55 has not yet made."""
    # a read: it must not queue for SQLite's write lock behind a writer
    with engine_for(url).execution_options(s55_read=True).connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("select version_num from alembic_version")).scalar()


def ensure_schema(url: str) -> None:
    """Check that the database holds the schema this s55 needs. A new, empty database is made
    (the embedded default needs no step of its own); one at an older revision is left as it is
    and refused, with the way on (`s55 db upgrade`, after a backup), so that no process
    changes the schema under others that are still running."""
    if url in _READY:
        return
    with _MIGRATING, _across_processes(url):
        if url in _READY:
            return
        current = schema_version(url)
        if current is None:
            _upgrade(url)
        elif current != SCHEMA_HEAD:
            raise SchemaOutOfDate(_out_of_date(current))
        _READY.add(url)


def upgrade_schema(url: str, placement: dict | None = None) -> tuple[str | None, str]:
    """`s55 db upgrade`: the migrations to head, one process at a time (a lock file beside a
    SQLite database, an advisory lock on PostgreSQL); (the revision before, the one after).
    `placement` tells a migration where rows made before it belong: {"default_office": id,
    "offices_by_force": {force name: id}} (0011, offices)."""
    with _MIGRATING, _across_processes(url):
        before = schema_version(url)
        if before is not None and before not in _revisions():
            raise SchemaOutOfDate(_out_of_date(before))
        if before != SCHEMA_HEAD:
            _upgrade(url, placement)
        _READY.add(url)
        return before, SCHEMA_HEAD


def _upgrade(url: str, placement: dict | None = None) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine_for(url)
    cfg.attributes.update(placement or {})
    command.upgrade(cfg, "head")


@lru_cache
def _revisions() -> frozenset[str]:
    """The revisions this s55 has migrations for (read when one is asked about, not at import)."""
    return frozenset(p.name.split("_", 1)[0]
                     for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def _out_of_date(current: str) -> str:
    if current in _revisions():
        return (f"the database's schema is at revision {current} and this s55 needs "
                f"{SCHEMA_HEAD}: stop `s55 serve`, back the database up (`s55 backup DEST`) "
                "and run `s55 db upgrade`; nothing was done")
    return (f"the database's schema is at revision {current}, which this s55 does not know "
            f"(it knows up to {SCHEMA_HEAD}): it was written by a newer s55; run that one, or "
            "upgrade this one; nothing was done")


@contextmanager
def _across_processes(url: str):
    """One migrating process at a time: a lock file beside a SQLite database, an advisory
    lock on PostgreSQL (`s55 serve` and a command may both start on a new database)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if not path or path == ":memory:":
            yield
            return
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(f"{path}.migrating", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
        return
    with engine_for(url).connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(55056)"))
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(55056)"))
            conn.commit()


class UnitOfWork:
    """One transaction: commit on success, roll back on any error."""

    def __init__(self, url: str, *, read: bool = False):
        engine = engine_for(url)
        if read:
            engine = engine.execution_options(s55_read=True)
        self.factory = sessionmaker(engine, expire_on_commit=False)

    def __enter__(self) -> Session:
        self.session = self.factory()
        self.session.begin()
        return self.session

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.session.commit()
            else:
                self.session.rollback()
        except (StaleDataError, IntegrityError) as err:
            self.session.rollback()
            if not concurrent(err):
                raise
            raise Conflict(CONFLICT) from err
        finally:
            self.session.close()
        if exc_type is not None and issubclass(exc_type, (StaleDataError, IntegrityError)) \
                and concurrent(exc):
            raise Conflict(CONFLICT) from exc


def concurrent(err: BaseException) -> bool:
    """A change that lost a race: a row changed under us (its version moved on), or a unique
    key someone else took first. Any other integrity error (a missing value, a broken
    reference) is a fault, and is reported as what it is, never as 'someone else acted'."""
    if isinstance(err, StaleDataError):
        return True
    code = getattr(getattr(err, "orig", None), "pgcode", None) or \
        getattr(getattr(err, "orig", None), "sqlstate", None)
    if code is not None:
        return code == "23505"  # unique_violation
    return "UNIQUE constraint failed" in str(err)


def lock_audit_head(session: Session) -> AuditHead:
    """The head row, locked FOR UPDATE on PostgreSQL (SQLite already holds its write lock)."""
    head = session.get(AuditHead, 1, with_for_update=True)
    if head is None:
        head = AuditHead(id=1, seq=0, hash="0" * 64)
        session.add(head)
        session.flush()
    return head
