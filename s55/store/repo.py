"""Named queries and writes over the tables; services call these, never `select` themselves."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..domain.audit import Entry, next_entry
from ..domain.errors import NotFound
from ..domain.record import Record
from .db import lock_audit_head
from .models import (
    AuditHead, AuditRow, OutboxMessage, Publication, RefCounter, Review, Version,
)


def find_review(session: Session, ref: str) -> Review | None:
    return session.scalar(select(Review).where(Review.ref == ref))


def review_by_source_key(session: Session, key: str) -> Review | None:
    return session.scalar(select(Review).where(Review.source_key == key))


def review(session: Session, ref: str, office: str | None = None) -> Review:
    """The review with this reference; with `office`, only if it is that office's (another
    office's is answered exactly as one that does not exist)."""
    row = find_review(session, ref)
    if row is None or (office is not None and row.office != office):
        shown = f"'{ref}'" if re.fullmatch(r"[A-Za-z0-9-]{1,40}", ref) else "given"
        raise NotFound(f"no review with the reference {shown}; the list of reviews names them")
    return row


def reviews(session: Session, *, stage: str | None = None, office: str | None = None
            ) -> list[Review]:
    query = select(Review).order_by(Review.statutory_last_day.is_(None), Review.statutory_last_day,
                                    Review.ref)
    if stage:
        query = query.where(Review.stage == stage)
    if office is not None:
        query = query.where(Review.office == office)
    return list(session.scalars(query))


def next_ref(session: Session, prefix: str, year: int) -> str:
    """The next reference of a prefix and year, taken from its counter in one statement (an
    upsert that returns the new count): two transactions at once get two numbers, and a
    number is never given twice, even when they do not block each other (PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[dialect]
    taken = insert(RefCounter).values(prefix=prefix, year=year, last=1)
    taken = taken.on_conflict_do_update(index_elements=["prefix", "year"],
                                        set_={"last": RefCounter.last + 1})
    number = session.execute(taken.returning(RefCounter.last)).scalar_one()
    return f"{prefix}-{year}-{number:04d}"


def reviews_with_version(session: Session, digest: str, office: str | None = None) -> list[str]:
    """The references of reviews (of one office) that hold a version with this content hash."""
    query = (select(Review.ref).join(Version, Version.review_id == Review.id)
             .where(Version.hash == digest))
    if office is not None:
        query = query.where(Review.office == office)
    return list(session.scalars(query.distinct().order_by(Review.ref)))


def versions(session: Session, review_id: int) -> list[Version]:
    return list(session.scalars(
        select(Version).where(Version.review_id == review_id).order_by(Version.number)))


def current_record(session: Session, row: Review) -> Record:
    return record_at(session, row, row.current_version)


def add_version(session: Session, row: Review, record: Record, *, at: datetime, by: str,
                reason: str) -> str | None:
    """Store `record` as the review's new current version; None when nothing changed."""
    digest = record.content_hash()
    if digest == row.current_version:
        return None
    number = (session.scalar(select(func.max(Version.number)).where(Version.review_id == row.id))
              or 0) + 1
    session.add(Version(review_id=row.id, number=number, hash=digest, content=record.to_canonical(),
                        created_at=at, created_by=by, reason=reason))
    row.current_version = digest
    row.unanswered_recommendations = len(record.unanswered_recommendations())
    row.updated_at = at
    return digest


def record_at(session: Session, row: Review, version: str) -> Record:
    content = session.scalar(
        select(Version.content).where(Version.review_id == row.id, Version.hash == version)
        .limit(1))
    return Record.from_canonical(content)


def publication(session: Session, review_id: int) -> Publication | None:
    return session.scalar(select(Publication).where(Publication.review_id == review_id))


def published_on(session: Session, office: str | None = None) -> dict[int, datetime]:
    """When each published review was released for publication (the day that counts)."""
    query = (select(Publication.review_id, Publication.requested_at)
             .where(Publication.published_at.is_not(None)))
    if office is not None:
        query = query.join(Review, Review.id == Publication.review_id) \
            .where(Review.office == office)
    return dict(session.execute(query).all())


def publications_done(session: Session, office: str | None = None
                      ) -> list[tuple[Review, Publication]]:
    query = (select(Review, Publication).join(Publication, Publication.review_id == Review.id)
             .where(Publication.published_at.is_not(None))
             .order_by(Publication.requested_at.desc(), Review.ref))
    if office is not None:
        query = query.where(Review.office == office)
    return list(session.execute(query).all())


def outbox_has(session: Session, review_id: int, version: str, purpose: str, recipient: str) -> bool:
    return session.scalar(select(func.count()).where(
        OutboxMessage.review_id == review_id, OutboxMessage.version == version,
        OutboxMessage.purpose == purpose, OutboxMessage.recipient == recipient)) > 0


UNSENT = ("pending", "failed", "sending")  # "sending": claimed by a deliverer, not yet known sent



def reviews_by_ref(session: Session, refs: list[str]) -> list[Review]:
    """Several reviews by reference, in the order given, in one query."""
    found = {r.ref: r for r in session.scalars(select(Review).where(Review.ref.in_(refs)))}
    return [found[ref] for ref in refs if ref in found]


def reviews_to_remind(session: Session, today, office: str | None = None) -> list[str]:
    """The one query the reminder sweep makes: the reviews (of one office, or all) whose
    stored plan has something on or before today, or that are to be planned again (index
    ix_reviews_next_reminder_on)."""
    # sorted here, not by the database: ORDER BY ref would walk the references' index over
    # every review instead of seeking in this one
    query = select(Review.ref).where(Review.next_reminder_on <= today)
    if office is not None:
        query = query.where(Review.office == office)
    return sorted(session.scalars(query))


def plan_next_reminders(session: Session, plans: list[tuple[Review, object]]) -> None:
    """Store each review's next reminder day, unless the review changed since it was read (a
    decision at the same moment planned it again: that stands). Statements of their own (one
    round trip for all), so that the sweep never makes a person's decision fail as 'changed
    meanwhile'."""
    if not plans:
        return
    table = Review.__table__
    session.execute(
        update(table).where(table.c.id == bindparam("rid"),
                            table.c.row_version == bindparam("seen"))
        .values(next_reminder_on=bindparam("day")),
        [{"rid": row.id, "seen": row.row_version, "day": day} for row, day in plans])


def reminders_of(session: Session, review_ids: list[int]) -> dict[int, list[OutboxMessage]]:
    """The reminders already written for each of these reviews."""
    found: dict[int, list[OutboxMessage]] = {}
    if review_ids:
        for msg in session.scalars(select(OutboxMessage).where(
                OutboxMessage.review_id.in_(review_ids),
                OutboxMessage.purpose.startswith("reminder:")).order_by(OutboxMessage.id)):
            found.setdefault(msg.review_id, []).append(msg)
    return found


def refs_with_unsent_mail(session: Session, office: str | None = None) -> list[str]:
    ids = review_ids_with_unsent_mail(session)
    query = select(Review.ref).where(Review.id.in_(ids))
    if office is not None:
        query = query.where(Review.office == office)
    return list(session.scalars(query)) if ids else []


def review_ids_with_unsent_mail(session: Session) -> set[int]:
    return set(session.scalars(select(OutboxMessage.review_id).distinct().where(
        OutboxMessage.status.in_(UNSENT), OutboxMessage.review_id.is_not(None))))


def outbox_of(session: Session, review_id: int | None, *,
              statuses: tuple[str, ...]) -> list[OutboxMessage]:
    """One review's messages in these states; `review_id=None`: the messages about no review."""
    where = (OutboxMessage.review_id == review_id if review_id is not None
             else OutboxMessage.review_id.is_(None))
    return list(session.scalars(select(OutboxMessage).where(
        where, OutboxMessage.status.in_(statuses)).order_by(OutboxMessage.id)))


def claimable(session: Session, review_id: int | None, *,
              exclude: set[int]) -> list[OutboxMessage]:
    """Messages a deliverer may claim, oldest first: waiting or failed ones, then ones whose
    claim may have been abandoned (the caller checks the holder). PostgreSQL skips rows another
    deliverer has locked; SQLite has one writer at a time."""
    query = select(OutboxMessage).where(OutboxMessage.status.in_(UNSENT)).where(
        OutboxMessage.review_id == review_id if review_id is not None
        else OutboxMessage.review_id.is_(None))
    if exclude:
        query = query.where(OutboxMessage.id.not_in(exclude))
    query = query.order_by(OutboxMessage.status == "sending", OutboxMessage.id).limit(20)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def outbox(session: Session, *, review_id: int | None = None,
           statuses: tuple[str, ...] = ()) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if review_id is not None:
        query = query.where(OutboxMessage.review_id == review_id)
    if statuses:
        query = query.where(OutboxMessage.status.in_(statuses))
    return list(session.scalars(query))


def append_audit(session: Session, **fields) -> Entry:
    """Append one entry to the chain, under the head's lock, in the caller's transaction."""
    head = lock_audit_head(session)
    prev = None
    if head.seq:
        last = session.get(AuditRow, head.seq)
        prev = _entry(last) if last is not None else Entry(
            seq=head.seq, at="", actor="", role="", acting_for="", action="", ref="", version="",
            hash=head.hash)
    entry = next_entry(prev, **fields)
    session.add(AuditRow(**entry.__dict__))
    head.seq, head.hash = entry.seq, entry.hash
    return entry


def audit_entries(session: Session, ref: str | None = None, action: str | None = None
                  ) -> list[Entry]:
    query = select(AuditRow).order_by(AuditRow.seq)
    if ref is not None:
        query = query.where(AuditRow.ref == ref)
    if action is not None:
        query = query.where(AuditRow.action == action)
    return [_entry(row) for row in session.scalars(query)]


def audit_head(session: Session) -> tuple[int, str]:
    head = session.get(AuditHead, 1)
    return (head.seq, head.hash) if head else (0, "0" * 64)


def _entry(row: AuditRow) -> Entry:
    return Entry(seq=row.seq, at=row.at, actor=row.actor, role=row.role,
                 acting_for=row.acting_for, action=row.action, ref=row.ref, version=row.version,
                 details=row.details, prev_hash=row.prev_hash, hash=row.hash)


def due_rule(session: Session, row: Review) -> str | None:
    """How the chief officer's date was worked out, from the decision that set it."""
    if row.chief_officer_due is None:
        return None
    details = session.scalar(
        select(AuditRow.details).where(AuditRow.ref == row.ref, AuditRow.action.in_(
            ("invite chief officer", "move chief officer's due date")))
        .order_by(AuditRow.seq.desc()).limit(1))
    return (details or {}).get("worked_out")
