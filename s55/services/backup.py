"""`s55 backup DEST` and `s55 restore SRC`: the whole of an office's state, copied while the
service runs, and brought back.

A backup is a new folder that appears whole (written beside DEST, then renamed):
- the database: `s55.db` (SQLite's online backup: a consistent snapshot however busy the
  database is) or `s55.pgdump` (`pg_dump`'s custom format, itself one snapshot);
- `site/`, `outbox/` and `board-papers/`, copies of the published files, the written mail and
  the board reports kept off the site;
- `manifest.json`: when and by whom, the schema, the audit chain's head in the copy, and the
  SHA-256 of every file, so that a damaged or altered backup is refused before it is used.

The backup is on the audit trail before the copy is taken, so the copy holds its own entry.

A restore puts the database back (SQLite: the files it replaces are moved aside into
`$S55_HOME/replaced-<time>/`, never deleted; PostgreSQL: `pg_restore --clean`), checks the
audit chain it brought back, and records the restore on it. The site and the outbox are what
the world has already seen and been sent: a restore puts back only files that are missing and
never removes or overwrites one. Mail written again after a restore gets files of its own
(`mailing.file_key`), so no message is ever taken for one already sent.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.engine import make_url

from ..domain import audit as chain
from ..domain.errors import InvalidInput, S55Error, WrongStage
from ..domain.workflow import Action
from ..store import db, repo
from ..store.models import SignInToken, WebSession
from .context import Context
from .deciding import audit

MANIFEST = "manifest.json"


class BackupFailed(S55Error):
    """A tool of the database's own (pg_dump, pg_restore) failed: said with its message."""

    exit_code = 70


def _folders(ctx: Context) -> tuple[tuple[str, Path], ...]:
    """The files a backup holds beside the database: the site, the outbox's mail, and the board
    papers kept off the site (a board's report sent only to the board)."""
    return (("site", ctx.settings.site), ("outbox", ctx.settings.outbox),
            ("board-papers", ctx.settings.home / "board-papers"))


def backup(ctx: Context, *, actor: str | None, to: Path) -> dict:
    """A consistent copy of the database, the site and the outbox in a new folder."""
    from .database import may_run_database

    person = may_run_database(ctx, actor, Action.BACK_UP_DATABASE)
    to = new_place(to, "DEST", "folder")
    url = ctx.settings.db_url
    db.ensure_schema(url)
    at = ctx.now()
    with ctx.uow() as session:  # first, so that the copy holds the entry that says it was made
        audit(session, at=at, person=person, holder=person, action="back up", ref="",
              version="", details={"to": to.name})
    partial = to.with_name(f".{to.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)  # it holds every review, and the outbox's mail
    try:
        if url.startswith("sqlite"):
            sqlite_copy(db.sqlite_path(url), partial / "s55.db")
            head = _sqlite_head(partial / "s55.db")
        else:
            head = _pg_dump(ctx, url, partial / "s55.pgdump")
        for name, folder in _folders(ctx):
            if folder.is_dir():
                shutil.copytree(folder, partial / name)
        manifest = {"made_at": at.isoformat(), "by": person.email,
                    "database": "sqlite" if url.startswith("sqlite") else "postgresql",
                    "schema": db.SCHEMA_HEAD, "audit_head": {"seq": head[0], "hash": head[1]},
                    "files": _sums(partial)}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _private(partial)
        try:
            os.rename(partial, to)  # the folder appears whole, or not at all
        except OSError:
            raise InvalidInput("DEST", f"{to} appeared while the backup was made; nothing was "
                               "overwritten") from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return {"to": str(to), **manifest, "files": len(manifest["files"])}


def restore(ctx: Context, *, actor: str | None, source: Path) -> dict:
    """Bring a backup back: checked first (its sums, its kind of database, its schema, its
    audit chain), then the database replaced, missing files put back, the restore recorded."""
    from . import requests

    from .database import may_run_database

    person = may_run_database(ctx, actor, Action.RESTORE_DATABASE)
    manifest = _checked(source.expanduser())
    url = ctx.settings.db_url
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    if manifest["database"] != kind:
        raise InvalidInput("SRC", f"is a backup of a {manifest['database']} database; this "
                           f"s55 keeps its record in {kind}")
    if manifest["schema"] != db.SCHEMA_HEAD:
        raise InvalidInput("SRC", f"holds schema {manifest['schema']}; this s55 restores "
                           f"{db.SCHEMA_HEAD} (restore it with the s55 that made it, then "
                           "`s55 db upgrade`)")
    if db.schema_version(url) is not None and requests.served_by(ctx):
        raise WrongStage("refused: `s55 serve` is running on this database; stop it (and its "
                         "workers), then restore")
    if kind == "sqlite":
        verdict = _sqlite_verdict(source / "s55.db")
        if not verdict.ok:
            raise InvalidInput("SRC", f"its audit chain is broken: {verdict.message}")
        altered = _sqlite_altered(source / "s55.db")
        if altered:
            raise InvalidInput("SRC", "its text does not match its version hashes (altered "
                               f"after it was saved): {'; '.join(altered[:5])}")
        aside = _sqlite_replace(ctx, source / "s55.db")
    else:
        # what is replaced is kept: a dump of it first, beside the SQLite case's files
        aside = ctx.settings.home / f"replaced-{datetime.now().strftime('%Y%m%dT%H%M%S%f')}"
        aside.mkdir(parents=True, mode=0o700)
        if db.schema_version(url) is not None:
            _pg_dump(ctx, url, aside / "s55.pgdump")
        db.engine_for(url).dispose()
        _pg(ctx, "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
            "--dbname", "{url}", str(source / "s55.pgdump"), url=url)
    db._READY.discard(url)
    put_back = {name: _put_back(source / name, folder)
                for name, folder in _folders(ctx)}
    at = ctx.now()
    with ctx.uow() as session:
        head = repo.audit_head(session)
        verdict = chain.verify(repo.audit_entries(session), head_seq=head[0],
                               head_hash=head[1])
        if not verdict.ok:
            raise InvalidInput("SRC", f"its audit chain is broken: {verdict.message}")
        altered = altered_versions(session)
        if altered:
            raise InvalidInput("SRC", "its text does not match its version hashes (altered "
                               f"after it was saved): {'; '.join(altered[:5])}")
        # the site's public anchors (issue 12) may record entries made after the backup: they
        # are lost now, and `s55 audit verify --anchors` will say so; the trail says why
        lost = _anchors_lost(ctx, repo.audit_entries(session))
        # sessions ended and links spent since the backup was made must not come back to life
        ended = session.execute(delete(WebSession)).rowcount
        session.execute(delete(SignInToken))
        audit(session, at=at, person=person, holder=person, action="restore from backup",
              ref="", version="", details={
                  "from": source.name, "made_at": manifest["made_at"],
                  "backup_head": manifest["audit_head"], "files_put_back": put_back,
                  "sessions_ended": ended, "anchors_lost": lost,
                  "replaced": str(aside)})
    return {"from": str(source), "made_at": manifest["made_at"], "audit": verdict.message,
            "replaced": str(aside), "files_put_back": put_back, "sessions_ended": ended,
            "anchors_lost": lost}


def _anchors_lost(ctx: Context, entries) -> list[str]:
    """The anchors on the offices' sites that the restored chain no longer holds."""
    from ..domain.anchors import check
    from .anchoring import anchors_file, recorded

    lost = []
    for office in ctx.offices:
        try:
            verdict = check(entries, recorded(ctx, office), str(anchors_file(ctx, office)))
        except InvalidInput as e:
            lost.append(str(e))
            continue
        if not verdict.ok:
            lost.append(verdict.message)
    return lost


# --- the parts --------------------------------------------------------------------------------

def altered_versions(session) -> list[str]:
    """Versions whose stored text no longer hashes to the version's name ("REF version N")."""
    from sqlalchemy import select

    from ..domain.record import content_hash
    from ..store.models import Review, Version

    rows = session.execute(select(Review.ref, Version.number, Version.hash, Version.content)
                           .join(Review, Review.id == Version.review_id)
                           .order_by(Review.ref, Version.number))
    return [f"{ref} version {number}" for ref, number, digest, content in rows
            if content_hash(content) != digest]


def _pg_dump(ctx: Context, url: str, to: Path) -> tuple[int, str]:
    """pg_dump of one snapshot, exported from a transaction of ours that reads the audit head
    in that same snapshot: the manifest's head is exactly the dump's."""
    from sqlalchemy import text

    engine = db.engine_for(url).execution_options(isolation_level="REPEATABLE READ",
                                                  postgresql_readonly=True)
    with engine.connect() as conn, conn.begin():
        snapshot = conn.execute(text("select pg_export_snapshot()")).scalar_one()
        row = conn.execute(text("select seq, hash from audit_head")).first()
        _pg(ctx, "pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}",
            "--file", str(to), url=url)
    return (row[0], row[1]) if row else (0, chain.GENESIS)


def new_place(to: Path, field: str, what: str) -> Path:
    """Where a backup goes: a new file or folder in an existing one, never over anything."""
    to = to.expanduser()
    if to.exists():
        raise InvalidInput(field, f"{to} exists already; name a new {what} (a backup never "
                           "overwrites)")
    if not to.parent.is_dir():
        raise InvalidInput(field, f"{to.parent} is not a folder")
    return to


def sqlite_copy(path: str, to: Path) -> None:
    source = sqlite3.connect(path)
    try:
        target = sqlite3.connect(to)
        with target:
            source.backup(target)
        # one self-contained file: no -wal or -shm beside it, now or when it is read
        target.execute("PRAGMA journal_mode=DELETE")
        target.close()
    finally:
        source.close()


def _sqlite_rows(path: Path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        head = con.execute("select seq, hash from audit_head").fetchone() or (0, chain.GENESIS)
        rows = con.execute("select seq, at, actor, role, acting_for, action, ref, version, "
                           "details, prev_hash, hash from audit order by seq").fetchall()
    finally:
        con.close()
    return head, [chain.Entry(seq=r[0], at=r[1], actor=r[2], role=r[3], acting_for=r[4],
                              action=r[5], ref=r[6], version=r[7], details=json.loads(r[8]),
                              prev_hash=r[9], hash=r[10]) for r in rows]


def _sqlite_altered(path: Path) -> list[str]:
    from ..domain.record import content_hash

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("select r.ref, v.number, v.hash, v.content from versions v join "
                           "reviews r on r.id = v.review_id order by r.ref, v.number").fetchall()
    finally:
        con.close()
    return [f"{ref} version {number}" for ref, number, digest, content in rows
            if content_hash(json.loads(content)) != digest]


def _sqlite_head(path: Path) -> tuple[int, str]:
    return _sqlite_rows(path)[0]


def _sqlite_verdict(path: Path) -> chain.Verdict:
    (seq, digest), entries = _sqlite_rows(path)
    return chain.verify(entries, head_seq=seq, head_hash=digest)


def _sqlite_replace(ctx: Context, backup_db: Path) -> Path:
    """The database files moved aside (never deleted), the backup's copy put in their place."""
    live = Path(db.sqlite_path(ctx.settings.db_url))
    db.engine_for(ctx.settings.db_url).dispose()
    aside = live.parent / f"replaced-{datetime.now().strftime('%Y%m%dT%H%M%S%f')}"
    incoming = live.with_name(f".{live.name}.restoring")
    shutil.copyfile(backup_db, incoming)
    aside.mkdir()
    for suffix in ("", "-wal", "-shm"):
        old = live.with_name(live.name + suffix)
        if old.exists():
            old.rename(aside / old.name)
    incoming.rename(live)
    return aside


def _put_back(saved: Path, folder: Path) -> int:
    """Files of the backup missing from `folder`, copied in; none removed or overwritten."""
    count = 0
    if not saved.is_dir():
        return 0
    for path in sorted(saved.rglob("*")):
        target = folder / path.relative_to(saved)
        if path.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            count += 1
    return count


def _private(root: Path) -> None:
    """Folders 0700 and files 0600: readable by the service's own user alone."""
    for path in [root, *root.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)


def _sums(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _checked(source: Path) -> dict:
    """The backup's manifest, once every file it lists is there with its SHA-256."""
    if not (source / MANIFEST).is_file():
        raise InvalidInput("SRC", f"{source} is not an s55 backup (it has no {MANIFEST})")
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        manifest["database"], manifest["schema"], manifest["made_at"]
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("SRC", f"{source / MANIFEST} is damaged") from None
    for path in sorted(source.rglob("*")):
        name = path.relative_to(source).as_posix()
        if path.is_symlink():
            raise InvalidInput("SRC", f"{name} is a symbolic link; a backup holds files only: "
                               "nothing was restored")
        if path.is_file() and name != MANIFEST and name not in files:
            raise InvalidInput("SRC", f"{name} is not in the manifest (added to the backup "
                               "after it was made): nothing was restored")
    for name, digest in files.items():
        path = source / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise InvalidInput("SRC", f"the manifest names {name}, outside the backup")
        if not path.is_file():
            raise InvalidInput("SRC", f"{name} is listed in the manifest but missing")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise InvalidInput("SRC", f"{name} does not match its SHA-256 in the manifest "
                               "(damaged or altered): nothing was restored")
    return manifest


def pg_tool(ctx: Context, name: str) -> str:
    """A PostgreSQL client tool: from S55_PG_BIN, else the PATH, else Debian's folder."""
    for folder in ([ctx.settings.pg_bin] if ctx.settings.pg_bin else []):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found:
        return found
    debian = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if debian:
        return str(debian[-1])
    raise InvalidInput("S55_PG_BIN", f"{name} is not on the PATH; set S55_PG_BIN to the folder "
                       "of PostgreSQL's client tools")


def _pg(ctx: Context, tool: str, *args: str, url: str) -> None:
    """Run pg_dump or pg_restore on the database at `url`; its password goes in the
    environment, never on a command line another user could read."""
    parts = make_url(url)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    address = parts.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    command = [pg_tool(ctx, tool), *(a.replace("{url}", address) for a in args)]
    if tool == "pg_dump":
        command.append(address)
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupFailed(f"{tool} failed: {done.stderr.strip()[:500]}")
