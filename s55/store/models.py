"""Tables. Our database is the system of record; Prefect never holds the only copy of anything."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


# The day that means 'plan this review's reminders again': before any real day, so the sweep's
# one indexed query (next_reminder_on <= today) finds it.
REPLAN = date(2000, 1, 1)


class RefCounter(Base):
    """The last reference number given for a prefix and year (repo.next_ref)."""

    __tablename__ = "ref_counters"

    prefix: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Review(Base):
    """One response to one report: its stage, its dates and which version is which."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    # the office it belongs to (its force's id); nobody of another office sees it
    office: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    force: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(40), index=True)
    # the audit entry that moved the review into its stage: one round of waiting
    stage_seq: Mapped[int] = mapped_column(Integer, default=0)
    report_published_on: Mapped[date] = mapped_column(Date)
    statutory_last_day: Mapped[date | None] = mapped_column(Date, index=True)
    chief_officer_due: Mapped[date | None] = mapped_column(Date)
    current_version: Mapped[str] = mapped_column(String(64))
    signed_off_version: Mapped[str | None] = mapped_column(String(64))
    unanswered_recommendations: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    # set when a review is opened by a fan-out: makes opening it again a no-op
    source_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    # the stored reminder plan: the day the sweep next has something to do for this review
    # (REPLAN when its stage or dates changed and it is to be planned again; None: nothing)
    next_reminder_on: Mapped[date | None] = mapped_column(Date, index=True, default=REPLAN)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (Index("ix_reviews_stage_last_day", "stage", "statutory_last_day"),
                      Index("ix_reviews_stage_due", "stage", "chief_officer_due"),
                      Index("ix_reviews_office_stage", "office", "stage"))


class Version(Base):
    """An immutable version of a record's content, named by the SHA-256 of its canonical form."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("review_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text, default="")


class AuditRow(Base):
    """Append-only, hash-chained (s55.domain.audit)."""

    __tablename__ = "audit"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(40))
    acting_for: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80))
    ref: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_ref", "ref"),)


class AuditHead(Base):
    """The chain's newest entry: one row, locked while an entry is appended."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class Publication(Base):
    """Publishing one signed-off version: requested by a person, completed by the route."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), unique=True)
    version: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(320))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    files: Mapped[dict] = mapped_column(JSON, default=dict)  # name -> {path, sha256, bytes}
    progress: Mapped[str] = mapped_column(String(80), default="")
    late_reason: Mapped[str] = mapped_column(Text, default="")


class OutboxMessage(Base):
    """A message written in the same transaction as the decision that causes it, sent once."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("review_id", "version", "purpose", "recipient"),
                      Index("ix_outbox_status", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(80))
    template: Mapped[str] = mapped_column(String(80))
    recipient: Mapped[str] = mapped_column(String(320))
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSON, default=list)  # [{path, filename, sha256}]
    status: Mapped[str] = mapped_column(String(20))  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message_id: Mapped[str] = mapped_column(String(200))
    # a deliverer claims a message ("sending") before it hands it to the transport
    claimed_by: Mapped[str] = mapped_column(String(200), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RouteRequest(Base):
    """A durable request for the route, committed with the decision that causes it.

    The served process claims a review's pending requests together (they coalesce into one
    run), runs `advance` once for them, and writes the outcome back for whoever waits.
    `review_id` is None for mail about no review (sign-in links).
    """

    __tablename__ = "route_requests"
    __table_args__ = (Index("ix_route_requests_status", "status", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    cause: Mapped[str] = mapped_column(String(80))
    requested_by: Mapped[str] = mapped_column(String(320), default="")
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))  # pending, running, done
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run: Mapped[str] = mapped_column(String(64), default="")  # the claim: one run, many requests
    owner: Mapped[str] = mapped_column(String(200), default="")
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)
    last_error: Mapped[str] = mapped_column(Text, default="")


class ServedProcess(Base):
    """A running `s55 serve`: it writes a heartbeat so that commands know the route is served."""

    __tablename__ = "served_processes"

    owner: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    mode: Mapped[str] = mapped_column(String(40))
    web_url: Mapped[str] = mapped_column(String(300), default="")
    prefect_api: Mapped[str] = mapped_column(String(300), default="")


class SignInToken(Base):
    """A one-time sign-in link: single use, expiring, bound to one person."""

    __tablename__ = "signin_tokens"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    next_path: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in browser; only the SHA-256 of its cookie is stored."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignInEvent(Base):
    """A sign-in link asked for, or a failed sign-in: counted per address and per client."""

    __tablename__ = "signin_events"
    __table_args__ = (Index("ix_signin_events_key_at", "kind", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # asked | failed
    key: Mapped[str] = mapped_column(String(400))  # email:ADDRESS | client:IP
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@event.listens_for(Review.stage, "set")
@event.listens_for(Review.chief_officer_due, "set")
@event.listens_for(Review.statutory_last_day, "set")
@event.listens_for(Review.kind, "set")
def _replan(target: Review, value, old, _initiator) -> None:
    """A new stage or a moved date changes the reminders due: the next sweep plans it again."""
    if value != old:
        target.next_reminder_on = REPLAN


class FollowUpAction(Base):
    """One recommendation, cause of concern or area for improvement of a response whose copies
    have gone, followed up from its published answer (s55/domain/actions.py)."""

    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("review_id", "kind", "number"),
                      Index("ix_actions_office_status", "office", "status"),
                      Index("ix_actions_owner", "owner"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    office: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))  # recommendations, causes_of_concern, ...
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)  # the item, as published
    area: Mapped[str] = mapped_column(Text, default="")
    answer_kind: Mapped[str] = mapped_column(String(40), default="")  # the published answer
    answer: Mapped[str] = mapped_column(Text, default="")
    # the same in Welsh, from a bilingual record ("" where there is none)
    text_cy: Mapped[str] = mapped_column(Text, default="", server_default="")
    area_cy: Mapped[str] = mapped_column(Text, default="", server_default="")
    answer_cy: Mapped[str] = mapped_column(Text, default="", server_default="")
    owner: Mapped[str] = mapped_column(String(320), default="")
    target_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")  # why not accepted
    last_update_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)  # each change: one more
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActionUpdate(Base):
    """A dated update of an action: what changed, what was done, the evidence."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the action's version this update made
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(320))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # field -> [before, after]
    note: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")


class Cycle(Base):
    """A review cycle: the office asks each owner of open actions for an update before a
    board's meeting, and closes the cycle on the meeting day with what came in."""

    __tablename__ = "cycles"
    __table_args__ = (Index("ix_cycles_office_closed", "office", "closed_at"),
                      Index("ux_cycles_meeting", "office", "board", "meeting_on", unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office: Mapped[str] = mapped_column(String(40))
    board: Mapped[str] = mapped_column(String(200))
    meeting_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)  # updates are asked for by this day
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(String(320))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # what came in, at the close


class CycleRequest(Base):
    """One owner's part of a cycle: the actions they were asked about, and what went to them
    (each once: the ask, the reminder, the escalation)."""

    __tablename__ = "cycle_requests"
    __table_args__ = (UniqueConstraint("cycle_id", "owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    owner: Mapped[str] = mapped_column(String(320))
    actions: Mapped[list] = mapped_column(JSON, default=list)  # action ids
    reminded_on: Mapped[date | None] = mapped_column(Date)
    escalated_on: Mapped[date | None] = mapped_column(Date)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
