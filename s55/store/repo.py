"""Named queries and writes over the tables; services call these, never `select` themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.audit import Entry, next_entry
from ..domain.errors import NotFound
from ..domain.record import Record
from .db import lock_audit_head
from .models import AuditHead, AuditRow, LedgerEntry, Review, Version


def find_review(session: Session, ref: str) -> Review | None:
    return session.scalar(select(Review).where(Review.ref == ref))


def review(session: Session, ref: str) -> Review:
    row = find_review(session, ref)
    if row is None:
        raise NotFound(f"no review with the reference '{ref}' (see `s55 list`)")
    return row


def reviews(session: Session, *, stage: str | None = None) -> list[Review]:
    query = select(Review).order_by(Review.statutory_last_day.is_(None), Review.statutory_last_day,
                                    Review.ref)
    if stage:
        query = query.where(Review.stage == stage)
    return list(session.scalars(query))


def next_ref(session: Session, prefix: str, year: int) -> str:
    stem = f"{prefix}-{year}-"
    count = session.scalar(select(func.count()).where(Review.ref.like(stem + "%")))
    return f"{stem}{count + 1:04d}"


def versions(session: Session, review_id: int) -> list[Version]:
    return list(session.scalars(
        select(Version).where(Version.review_id == review_id).order_by(Version.number)))


def current_record(session: Session, row: Review) -> Record:
    version = session.scalar(
        select(Version).where(Version.review_id == row.id, Version.hash == row.current_version)
        .order_by(Version.number.desc()).limit(1))
    return Record.from_canonical(version.content)


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


def ledger_has(session: Session, review_id: int, version: str, purpose: str, recipient: str) -> bool:
    return session.scalar(select(func.count()).where(
        LedgerEntry.review_id == review_id, LedgerEntry.version == version,
        LedgerEntry.purpose == purpose, LedgerEntry.recipient == recipient)) > 0


def ledger(session: Session, review_id: int) -> list[LedgerEntry]:
    return list(session.scalars(
        select(LedgerEntry).where(LedgerEntry.review_id == review_id).order_by(LedgerEntry.id)))


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


def audit_entries(session: Session, ref: str | None = None) -> list[Entry]:
    query = select(AuditRow).order_by(AuditRow.seq)
    if ref is not None:
        query = query.where(AuditRow.ref == ref)
    return [_entry(row) for row in session.scalars(query)]


def audit_head(session: Session) -> tuple[int, str]:
    head = session.get(AuditHead, 1)
    return (head.seq, head.hash) if head else (0, "0" * 64)


def _entry(row: AuditRow) -> Entry:
    return Entry(seq=row.seq, at=row.at, actor=row.actor, role=row.role,
                 acting_for=row.acting_for, action=row.action, ref=row.ref, version=row.version,
                 details=row.details, prev_hash=row.prev_hash, hash=row.hash)
