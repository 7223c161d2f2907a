"""The database itself: its schema (`s55 db upgrade`, `s55 db status`) and its backup
(`s55 db backup FILE`). Operators' actions, checked against the same role table as
everything else; an upgrade is put on the audit trail.

A copy of `s55.db` taken with `cp` while s55 runs is not a backup: SQLite keeps recent
commits in `s55.db-wal` until a checkpoint, so the copy can lack them (or every table, just
after a first run). `s55 db backup` uses SQLite's online backup, which copies a consistent
snapshot however busy the database is.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..domain.errors import InvalidInput, NotPermitted
from ..domain.people import Person
from ..domain.workflow import Action, Role, check_role
from ..store import db
from .context import Context
from .deciding import audit


def status(ctx: Context) -> dict:
    """What the database holds and what this s55 needs (read without changing anything)."""
    url = ctx.settings.db_url
    current = db.schema_version(url)
    return {"database": _shown(url), "schema": current, "needs": db.SCHEMA_HEAD,
            "up_to_date": current == db.SCHEMA_HEAD}


def may_run_database(ctx: Context, actor: str | None, action: Action) -> Person:
    """Who may upgrade, back up or restore the database: on a service of one office, its
    staff (the role table); on a service of many, the database holds every office's reviews,
    so only a service operator (national.yaml) may, never one office's people."""
    person = ctx.actor(actor)
    check_role(action, person.role)
    if ctx.offices.many and person.role != Role.OPERATOR:
        raise NotPermitted(f"refused: on a service of many offices the database is the "
                           f"service's, and only a service operator may {action}")
    if not ctx.offices.many and person.role == Role.OPERATOR:
        raise NotPermitted(f"refused: a service of one office has no service operator; its "
                           f"own staff {action}")
    return person


def upgrade(ctx: Context, *, actor: str | None) -> tuple[str | None, str]:
    """The migrations to head, under a lock no other process passes meanwhile; on the trail."""
    person = may_run_database(ctx, actor, Action.UPGRADE_DATABASE)
    offices = ctx.offices
    placement = {"default_office": "" if offices.many else offices.only.force_id,
                 "offices_by_force": {o.force: o.force_id for o in offices}}
    try:
        before, after = db.upgrade_schema(ctx.settings.db_url, placement)
    except RuntimeError as err:  # a migration that cannot place what is there: nothing changed
        raise InvalidInput("database", str(err)) from None
    if before != after:
        with ctx.uow() as session:
            audit(session, at=ctx.now(), person=person, holder=person,
                  action=str(Action.UPGRADE_DATABASE), ref="", version="",
                  details={"from": before or "none", "to": after})
    return before, after


def backup(ctx: Context, *, actor: str | None, to: Path) -> Path:
    """A consistent copy of the SQLite database in a new file (never over an existing one)."""
    may_run_database(ctx, actor, Action.BACK_UP_DATABASE)
    url = ctx.settings.db_url
    if not url.startswith("sqlite"):
        raise InvalidInput("database", "is PostgreSQL: back it up with PostgreSQL's own tools "
                           "(pg_dump, or the service's backups); `s55 db backup` copies SQLite")
    from .backup import new_place, sqlite_copy

    to = new_place(to, "FILE", "file")
    db.ensure_schema(url)  # a database this s55 can read, or the reason why not
    partial = to.with_name(f".{to.name}.partial")
    try:
        sqlite_copy(db.sqlite_path(url), partial)
        try:
            os.link(partial, to)  # the file appears whole, or not at all, and over nothing
        except FileExistsError:
            raise InvalidInput("FILE", f"{to} appeared while the backup was made; nothing "
                               "was overwritten") from None
    finally:
        partial.unlink(missing_ok=True)
    return to


def _shown(url: str) -> str:
    return db.sqlite_path(url) if url.startswith("sqlite") else url.split("@")[-1]
